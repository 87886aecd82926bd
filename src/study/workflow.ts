/**
 * A study's workflow (MODEL-PART4 §4.6; docs/workflows.md) on a fleet: the graph between named agents
 * or a template (hub, chain) resolved to each agent's successors by index (the packer's RouteSpec),
 * its entries and fork-join; the external arrival rates that follow; and the checks that name the
 * study field at fault. The graph's own shape (cycles without exit, a malformed fork-join) is judged by
 * the engine's check (src/model/workflow.ts workflowProblem) on the resolved graph, so the study and the
 * packer cannot disagree. Browser-safe.
 *
 * Which agents get external requests, and at what rate:
 * - `fleet.agents` (rates written by the user): λ_i is agent i's external rate, as written; only the
 *   entries may have one (a λ or an arrival process on another agent is refused).
 * - the paper preset and random fleets (rates not written for this workflow): the fleet keeps its
 *   nominal load ρ = Σ λ_i/T_i, now counted by visits: the entries' λ are scaled by one factor so that
 *   Σ γ_i/T_i = Σ λ_i/T_i, where γ are the visit rates of the traffic equations, and the other agents'
 *   λ become 0. So a study with and without a workflow compares the same fleets at the same load.
 *
 * @example
 *   const wf = fleetWorkflow(study.workflow, names);             // successors by index, entries
 *   const { lambda, load } = workflowRates(agents, wf, keepLoad); // external rates, Σ γ_i/T_i
 */
import type { ForkJoinSpec, RouteSpec } from '../model/batch.js';
import { PAPER_AGENTS, PAPER_WORKFLOW } from '../model/paper.js';
import {
  MAX_SUCCESSORS,
  MAX_WORKFLOW_AGENTS,
  NO_AGENT,
  ROUTE_SUM_SLACK,
  trafficRates,
  type WorkflowArrays,
  workflowProblem,
} from '../model/workflow.js';
import { quote } from '../text/quote.js';
import type { Study, Workflow, WorkflowGraph } from './schema.js';

/** A workflow resolved on a fleet of `routes.length` agents. */
export interface FleetWorkflow {
  /** Agent i's successors (agent indices in the fleet, probabilities), in the order written. */
  routes: RouteSpec[][];
  /** 1 where external requests arrive. */
  entry: Uint8Array;
  forkJoin?: ForkJoinSpec;
}

/** The most agents the hub template can route between: agent 0 and its MAX_SUCCESSORS successors. */
export const HUB_MAX_AGENTS = MAX_SUCCESSORS + 1;

/** A graph between named agents as fleetWorkflow reads it (a study's, or PAPER_WORKFLOW, read-only). */
export interface NamedWorkflow {
  readonly entry?: string | readonly string[] | undefined;
  readonly routes: Readonly<Record<string, Readonly<Record<string, number>>>>;
  readonly forkJoin?: { readonly fork: string; readonly join: string } | undefined;
}

/** The entries of a graph as a list (default: the first agent, whose name may be absent). */
const entryNames = (w: NamedWorkflow): readonly string[] | null =>
  w.entry === undefined ? null : typeof w.entry === 'string' ? [w.entry] : w.entry;

/**
 * `workflow` on a fleet whose agent i is named names[i] (templates need only the count). A name the
 * fleet lacks is left out (the study's checks, workflowStudyProblems, report it first).
 */
export function fleetWorkflow(
  workflow: Exclude<Workflow, WorkflowGraph> | NamedWorkflow,
  names: readonly (string | undefined)[],
): FleetWorkflow {
  const n = names.length;
  const routes: RouteSpec[][] = Array.from({ length: n }, () => []);
  const entry = new Uint8Array(n);
  if ('template' in workflow) {
    if (n > 0) entry[0] = 1;
    if (workflow.template === 'hub' && n > 1) {
      for (let j = 1; j < n; j++) {
        routes[0]!.push({ to: j, p: workflow.out / (n - 1) });
        routes[j]!.push({ to: 0, p: workflow.back });
      }
    } else if (workflow.template === 'chain') {
      for (let i = 0; i + 1 < n; i++) routes[i]!.push({ to: i + 1, p: workflow.next });
    }
    return { routes, entry };
  }
  const index = new Map<string, number>();
  names.forEach((name, i) => {
    if (name !== undefined && !index.has(name)) index.set(name, i);
  });
  const entries = entryNames(workflow);
  if (entries === null) {
    if (n > 0) entry[0] = 1;
  } else for (const name of entries) if (index.has(name)) entry[index.get(name)!] = 1;
  for (const [from, successors] of Object.entries(workflow.routes)) {
    const i = index.get(from);
    if (i === undefined) continue;
    for (const [to, p] of Object.entries(successors)) {
      const j = index.get(to);
      if (j !== undefined) routes[i]!.push({ to: j, p });
    }
  }
  const fj = workflow.forkJoin;
  const fork = fj === undefined ? undefined : index.get(fj.fork);
  const join = fj === undefined ? undefined : index.get(fj.join);
  return fork === undefined || join === undefined ? { routes, entry } : { routes, entry, forkJoin: { fork, join } };
}

/** The packed arrays of one fleet's workflow (src/model/workflow.ts reads these), with external rates `lambda`. */
function workflowArrays(wf: FleetWorkflow, lambda: ArrayLike<number>): WorkflowArrays {
  const n = wf.routes.length;
  const edges = wf.routes.reduce((e, r) => e + r.length, 0);
  const arrays: WorkflowArrays = {
    agentOffset: Uint32Array.of(0),
    agentCount: Uint32Array.of(n),
    lambda: Float32Array.from(lambda),
    routeOffset: new Uint32Array(n),
    routeCount: new Uint32Array(n),
    routeTo: new Uint32Array(edges),
    routeP: new Float32Array(edges),
    fork: Uint32Array.of(wf.forkJoin?.fork ?? NO_AGENT),
    join: Uint32Array.of(wf.forkJoin?.join ?? NO_AGENT),
  };
  let e = 0;
  wf.routes.forEach((routes, i) => {
    arrays.routeOffset[i] = e;
    arrays.routeCount[i] = routes.length;
    for (const r of routes) {
      arrays.routeTo[e] = r.to;
      arrays.routeP[e++] = r.p;
    }
  });
  return arrays;
}

/** Visit rates γ (requests/s) of the traffic equations for external rates `lambda` (f32, as the packer holds them). */
export function visitRates(wf: FleetWorkflow, lambda: ArrayLike<number>): Float64Array {
  const out = new Float64Array(wf.routes.length);
  trafficRates(workflowArrays(wf, lambda), 0, out);
  return out;
}

/**
 * The external arrival rates of a fleet (agents' T and nominal λ, after the load scale) under its
 * workflow, their visit rates γ and the load Σ γ_i/T_i: with `keepLoad` (the paper preset, random
 * fleets) the entries' λ scaled so that Σ γ_i/T_i = Σ λ_i/T_i; without (fleet.agents), the entries' λ
 * as written. Other agents: 0 either way.
 */
export function workflowRates(
  agents: readonly { T: number; lambda: number }[],
  wf: FleetWorkflow,
  keepLoad: boolean,
): { lambda: Float64Array; visits: Float64Array; load: number } {
  const n = agents.length;
  const lambda = Float64Array.from(agents, (a, i) => (wf.entry[i] ? a.lambda : 0));
  if (keepLoad) {
    const target = agents.reduce((rho, a) => rho + a.lambda / a.T, 0);
    const visits = visitRates(wf, lambda);
    let rho = 0;
    for (let i = 0; i < n; i++) rho += visits[i]! / agents[i]!.T;
    const scale = rho > 0 ? target / rho : 0;
    for (let i = 0; i < n; i++) lambda[i]! *= scale;
  }
  const visits = visitRates(wf, lambda);
  let load = 0;
  for (let i = 0; i < n; i++) load += visits[i]! / agents[i]!.T;
  return { lambda, visits, load };
}

/** Whether a study's fleet keeps its load under a workflow (its rates were not written for it): the preset and random fleets. */
export const keepsLoad = (study: Pick<Study, 'fleet'>): boolean => !('agents' in study.fleet);

/** The shipped paper workflow on the paper's agents (src/model/paper.ts PAPER_WORKFLOW), for the page and the tests. */
export const paperWorkflow = (): FleetWorkflow =>
  fleetWorkflow(
    PAPER_WORKFLOW,
    PAPER_AGENTS.map((a) => a.name),
  );

type Issue = { code: 'custom'; path: (string | number)[]; message: string };

/**
 * The problems of a study's workflow, each at the field to fix: names the fleet lacks (routes, entry,
 * fork-join), a routing row summing above 1, more than MAX_SUCCESSORS successors, a fork whose routes
 * are not p = 1, a named graph on a random fleet, a fleet too large, `work: "exponential"`, external
 * rates on agents that are not entries (fleet.agents), and then the engine's own check of the graph
 * (a cycle without exit, a malformed fork-join), reported at the agent's routes.
 */
export function workflowStudyProblems(study: Study, ctx: { addIssue(issue: Issue): void }): void {
  const w = study.workflow;
  if (w === undefined) return;
  let problems = 0;
  const add = (path: (string | number)[], message: string): void => {
    problems++;
    ctx.addIssue({ code: 'custom', path, message });
  };
  if (study.work === 'exponential')
    add(['work'], 'a workflow routes whole requests: use "exponentialCount" (the same law, counted in whole requests), not "exponential"');
  const f = study.fleet;
  if ('template' in w) {
    const most = 'random' in f ? (typeof f.random.agents === 'number' ? f.random.agents : f.random.agents.max) : fixedNames(study)!.length;
    if (w.template === 'hub' && most > HUB_MAX_AGENTS)
      add(
        ['workflow', 'template'],
        `the hub template routes from agent 0 to every other agent, at most ${MAX_SUCCESSORS} successors: at most ${HUB_MAX_AGENTS} agents, the fleet can have ${most}`,
      );
    if (most > MAX_WORKFLOW_AGENTS) add(['workflow'], `a workflow holds at most ${MAX_WORKFLOW_AGENTS} agents, the fleet can have ${most}`);
    if (w.template === 'hub' && w.out === 1 && w.back === 1)
      add(
        ['workflow', 'back'],
        'with out = 1 and back = 1 no request ever leaves the workflow (a cycle without exit): make one of them < 1',
      );
    // The templates' shapes have no other fault: a chain's last agent and a hub with out or back < 1 let requests leave.
    if ('agents' in f) entryRateProblems(study, fleetWorkflow(w, fixedNames(study)!), add);
    return;
  }
  const names = fixedNames(study);
  if (names === null) {
    add(
      ['workflow', 'routes'],
      'a random fleet’s agents have no names: use a template ({"template": "hub", …} or {"template": "chain", …})',
    );
    return;
  }
  if (names.length > MAX_WORKFLOW_AGENTS)
    add(['workflow'], `a workflow holds at most ${MAX_WORKFLOW_AGENTS} agents, the fleet has ${names.length}`);
  const known = new Set(names.filter((n): n is string => n !== undefined));
  const listed = [...known].map((n) => (/^[\w.-]{1,64}$/.test(n) ? n : quote(n))).join(', ') || 'none named';
  const unknown = (name: string): string => `no agent is named ${quote(name)} (agents: ${listed})`;
  const seen = new Set<string>();
  names.forEach((name, i) => {
    if (name === undefined) return;
    if (seen.has(name))
      add(
        ['fleet', 'agents', i, 'name'],
        `a workflow routes between agents by name: ${quote(name)} names two agents; give each its own name`,
      );
    seen.add(name);
  });
  const entries = entryNames(w);
  entries?.forEach((name, k) => {
    if (!known.has(name)) add(['workflow', 'entry', ...(typeof w.entry === 'string' ? [] : [k])], unknown(name));
  });
  const fork = w.forkJoin?.fork;
  let inRange = true; // every probability in [0, 1] (the schema reports the others)
  for (const [from, successors] of Object.entries(w.routes)) {
    if (!known.has(from)) add(['workflow', 'routes', from], unknown(from));
    const count = Object.keys(successors).length;
    if (count > MAX_SUCCESSORS) add(['workflow', 'routes', from], `at most ${MAX_SUCCESSORS} successors, got ${count}`);
    let sum = 0;
    // A probability outside [0, 1] has its own line (the schema's): no sum over it.
    const probabilities = Object.values(successors).every((p) => p >= 0 && p <= 1);
    inRange &&= probabilities;
    for (const [to, p] of Object.entries(successors)) {
      if (!known.has(to)) add(['workflow', 'routes', from, to], unknown(to));
      if (from === fork && p !== 1)
        add(['workflow', 'routes', from, to], `the fork sends one child of every request to each branch: p must be 1, got ${p}`);
      sum += p;
    }
    if (from !== fork && probabilities && sum > 1 + ROUTE_SUM_SLACK)
      add(
        ['workflow', 'routes', from],
        `the probabilities sum to ${Number(sum.toPrecision(12))}; they must sum to at most 1 (the rest leaves the workflow)`,
      );
  }
  if (w.forkJoin !== undefined) {
    if (!known.has(w.forkJoin.fork)) add(['workflow', 'forkJoin', 'fork'], unknown(w.forkJoin.fork));
    if (!known.has(w.forkJoin.join)) add(['workflow', 'forkJoin', 'join'], unknown(w.forkJoin.join));
  }
  if ('agents' in f) entryRateProblems(study, fleetWorkflow(w, names), add);
  // The graph's shape once every name resolves (an unresolved one would make its own false cycle).
  if (problems === 0 && inRange) graphProblems(names, w, add);
}

/** The agents' names of a fixed fleet (undefined where unnamed); null for a random fleet. */
function fixedNames(study: Pick<Study, 'fleet'>): (string | undefined)[] | null {
  const f = study.fleet;
  return 'preset' in f ? PAPER_AGENTS.map((a) => a.name) : 'agents' in f ? f.agents.map((a) => a.name) : null;
}

/** fleet.agents: only the entries may have external arrivals (a rate, or a process of their own). */
function entryRateProblems(study: Study, wf: FleetWorkflow, add: (path: (string | number)[], message: string) => void): void {
  const f = study.fleet;
  if (!('agents' in f)) return;
  f.agents.forEach((a, i) => {
    if (wf.entry[i]) return;
    const who = a.name === undefined ? `agent ${i}` : quote(a.name);
    if (a.lambda !== 0)
      add(
        ['fleet', 'agents', i, 'lambda'],
        `${who} is not an entry of the workflow: its requests come from its predecessors, so its lambda must be 0 (or list it in workflow.entry), got ${a.lambda}`,
      );
    if (a.arrivals !== undefined)
      add(['fleet', 'agents', i, 'arrivals'], `${who} is not an entry of the workflow: it has no external arrivals to give a process`);
  });
}

/**
 * The engine's check of the resolved graph (a cycle without exit, the fork-join's shape), its field
 * mapped onto the study's: agents[i].routes… → workflow.routes.<name>, forkJoin… → workflow.forkJoin….
 */
function graphProblems(
  names: readonly (string | undefined)[],
  w: NamedWorkflow,
  add: (path: (string | number)[], message: string) => void,
): void {
  const problem = workflowProblem(workflowArrays(fleetWorkflow(w, names), new Float32Array(names.length)), 0);
  if (problem === null) return;
  const [field, ...why] = problem.split(': ');
  const named = (i: string): string => quote(names[Number(i)] ?? `agent ${i}`);
  const message = why.join(': ').replace(/agent (\d+)/g, (_, i: string) => named(i));
  if (field!.startsWith('forkJoin')) return add(['workflow', ...field!.split('.')], message);
  const agent = /^agents\[(\d+)\]/.exec(field!);
  const name = agent ? names[Number(agent[1])] : undefined;
  add(name === undefined ? ['workflow', 'routes'] : ['workflow', 'routes', name], message);
}
