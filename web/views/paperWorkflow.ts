/**
 * The Paper view's workflow (MODEL-PART4 §4.6): the switch between independent agents and the paper's
 * four agents feeding each other, the routes it gives the batch, and what the view shows of a
 * workflow run — its graph (nodes, edges with their probabilities, entry agents, a layered layout),
 * the end-to-end latency per policy and each agent's visit rates. Everything shown is read back from
 * the batch the engines ran (PackedFleets' routes and `demand`) and from their totals, so the figure is
 * the workflow that ran. Pure: no DOM, so Node tests can run it.
 *
 * @example
 *   const wf = scenarioWorkflow(scenario.agents, 'paper'); // routes by agent index, or an error
 *   const graph = workflowGraph(batch.fleets, 0, names);   // null when the fleet routes nothing
 */
import type { ForkJoinSpec, PackedFleets, RouteSpec } from '../../src/model/batch.js';
import type { AgentSummary, BatchResult } from '../../src/model/metrics.js';
import { PAPER_WORKFLOW } from '../../src/model/paper.js';
import { isWorkflow, NO_AGENT } from '../../src/model/workflow.js';
import { fleetWorkflow, type NamedWorkflow } from '../../src/study/workflow.js';

/** The workflows the page offers (URL key `workflow`): independent agents, or the paper's graph. */
export const PAGE_WORKFLOWS = ['none', 'paper'] as const;
export type PageWorkflow = (typeof PAGE_WORKFLOWS)[number];

/** What each choice of the switch is, as the form shows it. */
export const WORKFLOW_TEXTS: Readonly<Record<PageWorkflow, string>> = {
  none: 'none: independent agents',
  paper: 'the paper’s: coordinator ⇄ nlp, vision, reasoning',
};

/**
 * The graph of each choice: `paper` is the shipped PAPER_WORKFLOW (src/model/paper.ts, MODEL-PART4
 * §4.6's example; sweeps/paper-workflow.json writes the same): the coordinator sends each completed
 * request to nlp, vision and reasoning with p = 0.3 each (0.1 leaves), each specialist returns it with
 * p = 0.5. Visit rates: γ_coordinator = Λ/0.55, γ_specialist = 0.3·γ_coordinator.
 */
export const PAGE_WORKFLOW_GRAPHS: Readonly<Record<Exclude<PageWorkflow, 'none'>, NamedWorkflow>> = { paper: PAPER_WORKFLOW };

/**
 * The agents a named workflow (a study's `workflow` graph) names: its entries, the sources and
 * successors of its routes and its fork-join, each once, in first-mention order.
 */
export function workflowNames(workflow: NamedWorkflow): string[] {
  const entries = workflow.entry === undefined ? [] : typeof workflow.entry === 'string' ? [workflow.entry] : workflow.entry;
  const names = [
    ...entries,
    ...Object.entries(workflow.routes).flatMap(([from, to]) => [from, ...Object.keys(to)]),
    ...(workflow.forkJoin ? [workflow.forkJoin.fork, workflow.forkJoin.join] : []),
  ];
  return [...new Set(names)];
}

/** A fleet's routes under the chosen workflow (scenarioWorkflow). */
export interface ScenarioWorkflow {
  routes: (RouteSpec[] | undefined)[];
  external: boolean[];
  /** Indices of the entry agents, none without a workflow. */
  entries: number[];
  /** The graph's fork-join (agent indices), where it has one. */
  forkJoin?: ForkJoinSpec;
  error?: string;
}

/**
 * A fleet's routes under the chosen workflow, by agent index (resolved by the study's own
 * fleetWorkflow, src/study/workflow.ts): per agent its routes and whether it takes external arrivals.
 * In a workflow the entries take them at their own λ (as typed: the page does not rescale the load as
 * a study's paper preset does), the other agents of the graph only what is routed to them (their λ is
 * not used), and agents outside the graph stay independent (their own λ, no routes). `error` (the fleet
 * lacks an agent the workflow names) means no routes.
 */
export function scenarioWorkflow(agents: readonly { name: string }[], workflow: PageWorkflow): ScenarioWorkflow {
  const none: ScenarioWorkflow = { routes: agents.map(() => undefined), external: agents.map(() => true), entries: [] };
  if (workflow === 'none') return none;
  const named = PAGE_WORKFLOW_GRAPHS[workflow];
  const index = new Map(agents.map((a, i) => [a.name, i]));
  const wanted = workflowNames(named);
  const missing = wanted.filter((n) => !index.has(n));
  if (missing.length > 0) {
    return {
      ...none,
      error: `workflow: the ${workflow} workflow routes between agents named ${listText(wanted)}; the fleet has no agent named ${listText(missing)} (rename an agent, or press “The paper’s fleet”)`,
    };
  }
  const inGraph = new Set(wanted.map((n) => index.get(n)!));
  const wf = fleetWorkflow(
    named,
    agents.map((a) => a.name),
  );
  const entries = agents.flatMap((_, i) => (wf.entry[i] ? [i] : []));
  return {
    routes: wf.routes.map((r) => (r.length > 0 ? r : undefined)),
    external: agents.map((_, i) => wf.entry[i] === 1 || !inGraph.has(i)),
    entries,
    ...(wf.forkJoin ? { forkJoin: wf.forkJoin } : {}),
  };
}

const listText = (names: readonly string[]): string =>
  names.length <= 1 ? (names[0] ?? '') : `${names.slice(0, -1).join(', ')} and ${names[names.length - 1]}`;

/** A probability as the graph labels it: at most three significant digits (the packed p is f32: 0.3 reads 0.30000001). */
export const probabilityText = (p: number): string => String(Number(p.toPrecision(3)));

export interface GraphNode {
  agent: number; // index in the fleet
  name: string;
  /** Takes external arrivals (λ > 0). */
  entry: boolean;
  lambda: number; // external rate λ, requests/s
  visitRate: number; // γ from the traffic equations, requests/s
  /** The fraction of its completions that leave the workflow (1 − Σp; 0 for a fork-join branch). */
  exit: number;
  fork: boolean;
  join: boolean;
  layer: number; // column, 0 = the entries'
  row: number; // position in its column, 0 = top
}

export interface GraphEdge {
  from: number; // agent index
  to: number;
  p: number;
  /** The label: p, or `fork` (the fork sends one child to every branch) and `join` (a branch's completions). */
  label: string;
}

export interface WorkflowGraph {
  nodes: GraphNode[];
  edges: GraphEdge[];
  layers: number;
  /** The most nodes in one column. */
  rows: number;
  /** The fleet's agents outside the graph (no route in or out): independent queues. */
  outside: string[];
}

/**
 * Fleet f's workflow as drawn: the agents with a route in or out, their edges, and a layered layout —
 * each agent's column its hop distance from the nearest entry (breadth-first over the edges), agents
 * no entry reaches after their predecessors; within a column, fleet order. Null without routing.
 */
export function workflowGraph(
  fleets: Pick<
    PackedFleets,
    'agentOffset' | 'agentCount' | 'lambda' | 'demand' | 'routeOffset' | 'routeCount' | 'routeTo' | 'routeP' | 'fork' | 'join'
  >,
  f: number,
  names: readonly string[],
): WorkflowGraph | null {
  if (!isWorkflow(fleets, f)) return null;
  const n = fleets.agentCount[f]!;
  const a0 = fleets.agentOffset[f]!;
  const fork = fleets.fork[f]!;
  const join = fleets.join[f]!;
  const edges: GraphEdge[] = [];
  const linked = new Uint8Array(n);
  const sum = new Float64Array(n);
  const branch = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    const a = a0 + i;
    for (let e = fleets.routeOffset[a]!; e < fleets.routeOffset[a]! + fleets.routeCount[a]!; e++) {
      const to = fleets.routeTo[e]!;
      const p = fleets.routeP[e]!;
      if (i === fork) branch[to] = 1;
      edges.push({ from: i, to, p, label: i === fork ? 'fork' : probabilityText(p) });
      linked[i] = linked[to] = 1;
      sum[i] = sum[i]! + p;
    }
  }
  if (fork !== NO_AGENT) for (const edge of edges) if (branch[edge.from] && edge.to === join) edge.label = 'join';
  // Columns: breadth-first from the entries; then any agent left, one past its deepest placed predecessor.
  const layer = new Int32Array(n).fill(-1);
  const queue: number[] = [];
  for (let i = 0; i < n; i++) {
    if (linked[i] && fleets.lambda[a0 + i]! > 0) {
      layer[i] = 0;
      queue.push(i);
    }
  }
  for (let k = 0; k < queue.length; k++) {
    const i = queue[k]!;
    for (const edge of edges) {
      if (edge.from === i && layer[edge.to] === -1) {
        layer[edge.to] = layer[i]! + 1;
        queue.push(edge.to);
      }
    }
  }
  for (let i = 0; i < n; i++) {
    if (!linked[i] || layer[i] !== -1) continue;
    const before = edges.filter((e) => e.to === i && layer[e.from]! >= 0).map((e) => layer[e.from]! + 1);
    layer[i] = before.length > 0 ? Math.max(...before) : 0;
  }
  const nodes: GraphNode[] = [];
  const filled: number[] = [];
  for (let i = 0; i < n; i++) {
    if (!linked[i]) continue;
    const l = layer[i]!;
    const row = filled[l] ?? 0;
    filled[l] = row + 1;
    const lambda = fleets.lambda[a0 + i]!;
    nodes.push({
      agent: i,
      name: names[i] ?? `agent ${i}`,
      entry: lambda > 0,
      lambda,
      visitRate: fleets.demand[a0 + i]!,
      exit: i === fork || branch[i] ? 0 : Math.max(0, 1 - sum[i]!),
      fork: i === fork,
      join: i === join,
      layer: l,
      row,
    });
  }
  const outside = Array.from({ length: n }, (_, i) => i)
    .filter((i) => !linked[i])
    .map((i) => names[i] ?? `agent ${i}`);
  return { nodes, edges, layers: filled.length, rows: Math.max(...filled.map((x) => x ?? 0)), outside };
}

/** One policy's run of a workflow, as the end-to-end table shows it (RUN_METRIC_INFO's e2eLatency, inFlight, forkParents). */
export interface EndToEnd {
  /** W_e2e, seconds (NaN: no external arrival). */
  e2eLatency: number;
  /** Requests in the workflow on average, N̄ = W_e2e·Λ̂ (queued, in flight; outstanding fork parents inside a fork-join). */
  inWorkflow: number;
  inFlight: number; // requests between two agents, on average
  forkParents: number; // NaN without a fork-join
  externalRate: number; // Λ̂, external arrivals per second over the recorded steps
  littleLatency: number; // the request-weighted mean wait per agent visit (RUN_METRIC_INFO.littleLatency)
}

/**
 * Run r's end-to-end figures: the engines' metrics, and Λ̂ the sum of its agents' external rates
 * (runSummary's AgentSummary.externalRate: arrivals less routed ones over the recorded time).
 */
export function endToEnd(result: BatchResult, r: number, perAgent: readonly Pick<AgentSummary, 'externalRate'>[]): EndToEnd {
  const externalRate = perAgent.reduce((sum, a) => sum + a.externalRate, 0);
  const e2eLatency = result.e2eLatency[r]!;
  return {
    e2eLatency,
    inWorkflow: Number.isFinite(e2eLatency) ? e2eLatency * externalRate : NaN,
    inFlight: result.inFlight[r]!,
    forkParents: result.forkParents[r]!,
    externalRate,
    littleLatency: result.littleLatency[r]!,
  };
}
