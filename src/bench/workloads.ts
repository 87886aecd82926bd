/**
 * The benchmark's workloads, shared by the suite (src/bench/suite.ts: `npm run bench`, `fleetsim bench`) and the page's Bench view:
 * the paper's 4-agent fleet under each policy and under all three (issue 14's workload), and random
 * fleets of exactly 16 and 64 agents under all three, with Poisson arrivals; and the paper fleet under static with the bursty and trace arrival
 * processes of MODEL-PART4 §4.1–4.2 at the same mean load (every agent keeps its λ), each costed against
 * its Poisson `baseline` (paper-static); the paper's agents in the shipped workflow (WORKFLOW_WORKLOADS) against `paper`; and the
 * paper fleet with the serverless lifecycle (SERVERLESS_WORKLOADS, MODEL-PART4 §4.3–4.4) against `paper`. Browser-safe (imports nothing from Node): the trace workloads
 * take the loaded traces as a TraceLibrary.
 */
import { type ArrivalSpec, type Batch, crossRuns, type FleetSpec, makeBatch, packFleets, type WorkMode } from '../model/batch.js';
import type { LifecycleSpec } from '../model/lifecycle.js';
import { PAPER_AGENTS, PAPER_CONFIG, PAPER_WORKFLOW } from '../model/paper.js';
import { POLICIES, POLICY, PAPER_POLICIES, POLICY_NAMES, type PolicyName } from '../model/policies.js';
import { DEFAULT_RANDOM_FLEETS, randomFleet } from '../model/randomFleets.js';
import { NO_TRACES } from '../random/arrivals.js';
import type { TraceLibrary } from '../traces/library.js';

export interface Workload {
  name: string;
  policies: PolicyName[];
  fleet(index: number): FleetSpec;
  numpy?: PolicyName; // the NumPy peer implements the paper fleet only
  /** The Numba peer runs it too (bench/peers/numba_peer.py: the three policies on shared Poisson arrivals, fleets of one size). */
  numba?: boolean;
  /** Every agent's arrival process (absent: the batch's Poisson arrivals). */
  arrivals?: ArrivalSpec;
  /** The shipped trace the arrivals name (trace index 0): such a workload needs a TraceLibrary. */
  trace?: string;
  /** The workload of the same fleets and mean load that its cost per agent-step is measured against (Poisson arrivals under static). */
  baseline?: string;
  /** What sets it apart from its baseline, in words (its arrivals, or its policy), for the tables. */
  label?: string;
  /** Work per request (absent: deterministic). */
  work?: WorkMode;
  /** The serverless lifecycle (SimConfig.lifecycle; absent: off). */
  lifecycle?: LifecycleSpec;
}

const paperFleet: FleetSpec = { agents: PAPER_AGENTS };

/** Random fleets of exactly `n` agents (the CLI's random-fleet family). */
export const randomOf =
  (n: number) =>
  (index: number): FleetSpec =>
    randomFleet(1, index, { ...DEFAULT_RANDOM_FLEETS, agents: [n, n] });

/** The shipped trace of the trace workloads. */
export const BENCH_TRACE = 'azure-llm-2023-conv';

/** The MMPP of the bursty workload (MODEL-PART4 §4.1): J = 20, π_H = 0.2, κ = 3. */
const BENCH_MMPP = { idc: 20, highFraction: 0.2, peakRatio: 3 } as const;

const bursty = (suffix: string, label: string, arrivals: ArrivalSpec, trace?: string): Workload => ({
  name: `paper-static-${suffix}`,
  policies: ['static'],
  fleet: () => paperFleet,
  arrivals,
  ...(trace === undefined ? {} : { trace }),
  baseline: 'paper-static',
  label,
});

/** The arrival-process workloads: the paper fleet under static, each against paper-static (Poisson). */
export const ARRIVAL_WORKLOADS: Workload[] = [
  bursty('gamma2', 'gamma cv 2', { process: 'gamma', cv: 2 }),
  bursty('gamma4', 'gamma cv 4', { process: 'gamma', cv: 4 }),
  bursty('weibull2', 'weibull cv 2', { process: 'weibull', cv: 2 }),
  bursty('mmpp', 'mmpp J 20, π_H 0.2, κ 3', { process: 'mmpp', mmpp: BENCH_MMPP }),
  bursty('replay', `replay ${BENCH_TRACE}`, { process: 'replay', trace: 0 }, BENCH_TRACE),
  bursty('tracepoisson', `poisson modulated by ${BENCH_TRACE}`, { process: 'poisson', trace: 0 }, BENCH_TRACE),
];

/**
 * The policy workloads (MODEL-PART4 §4.7): every policy beyond the paper's three alone on the paper
 * fleet and on random 16-agent fleets, each costed against static on the same fleets and arrivals
 * (paper-static, random16-static): what a policy's passes, and the step-by-step path of those that
 * read the backlogs, cost per agent-step.
 */
export const POLICY_WORKLOADS: Workload[] = POLICY_NAMES.filter((p) => !POLICIES[p].paper).flatMap((p): Workload[] => [
  { name: `paper-${p}`, policies: [p], fleet: () => paperFleet, baseline: 'paper-static', label: `policy ${POLICIES[p].label}` },
  { name: `random16-${p}`, policies: [p], fleet: randomOf(16), baseline: 'random16-static', label: `policy ${POLICIES[p].label}` },
]);

/**
 * The paper's agents in the shipped workflow (PAPER_WORKFLOW, MODEL-PART4 §4.6): outside requests at the
 * coordinator only, Λ = 0.55·80 = 44 requests/s, so that its visit rate γ is the paper's λ = 80 (each
 * specialist's 24). Routes resolved from the names here, as the study does.
 */
const paperWorkflowFleet: FleetSpec = (() => {
  const index = new Map(PAPER_AGENTS.map((a, i) => [a.name, i]));
  return {
    agents: PAPER_AGENTS.map((a) => {
      const routes = Object.entries(PAPER_WORKFLOW.routes[a.name] ?? {}).map(([to, p]) => ({ to: index.get(to)!, p }));
      return { ...a, lambda: PAPER_WORKFLOW.entry.includes(a.name) ? 44 : 0, ...(routes.length > 0 ? { routes } : {}) };
    }),
  };
})();

/**
 * The workflow workloads (MODEL-PART4 §4.6): the paper's policies on the paper's agents in the shipped
 * workflow, with unit work and with exponentialCount work, each costed against the independent paper
 * fleet (`paper`): what routing, whole completions and stepping every agent every step cost per agent-step.
 */
export const WORKFLOW_WORKLOADS: Workload[] = [
  { name: 'paper-workflow', policies: [...PAPER_POLICIES], fleet: () => paperWorkflowFleet, baseline: 'paper', label: 'workflow' },
  {
    name: 'paper-workflow-count',
    policies: [...PAPER_POLICIES],
    fleet: () => paperWorkflowFleet,
    baseline: 'paper',
    label: 'workflow, exponentialCount work',
    work: 'exponentialCount',
  },
];

/**
 * The serverless workloads (MODEL-PART4 §4.3–4.4, docs/serverless.md): the paper's policies on the paper
 * fleet with the lifecycle at a realistic keep-alive and load time (K = 60 s as Modal's default, C0 = 5 s
 * as a Cloud Run GPU instance's start, weights at 2 GB/s: C_i = 5.25–6.5 s), every agent WARM at step 0,
 * without and with a T4's 16 GB (the paper's 7 GB fit it), each costed against `paper`: what stepping
 * every agent every step with its phase, admission and lifecycle totals costs per agent-step.
 */
export const SERVERLESS_LIFECYCLE: LifecycleSpec = { keepAlive: 60, coldStart: 5, loadBandwidth: 2 };
export const SERVERLESS_WORKLOADS: Workload[] = [
  {
    name: 'paper-serverless',
    policies: [...PAPER_POLICIES],
    fleet: () => paperFleet,
    baseline: 'paper',
    label: 'lifecycle, K 60 s, C0 5 s',
    lifecycle: SERVERLESS_LIFECYCLE,
  },
  {
    name: 'paper-serverless-t4',
    policies: [...PAPER_POLICIES],
    fleet: () => paperFleet,
    baseline: 'paper',
    label: 'lifecycle, K 60 s, C0 5 s, T4 16 GB lru',
    lifecycle: { ...SERVERLESS_LIFECYCLE, memory: { gb: 16, evict: 'lru' } },
  },
];

export const WORKLOADS: Workload[] = [
  ...PAPER_POLICIES.map((p): Workload => ({ name: `paper-${p}`, policies: [p], fleet: () => paperFleet, numpy: p, label: 'poisson' })),
  { name: 'paper', policies: [...PAPER_POLICIES], fleet: () => paperFleet, numba: true, label: 'poisson' },
  { name: 'random16', policies: [...PAPER_POLICIES], fleet: randomOf(16), numba: true },
  { name: 'random64', policies: [...PAPER_POLICIES], fleet: randomOf(64), numba: true },
  ...ARRIVAL_WORKLOADS,
  { name: 'random16-static', policies: ['static'], fleet: randomOf(16), label: 'poisson' },
  ...POLICY_WORKLOADS,
  ...WORKFLOW_WORKLOADS,
  ...SERVERLESS_WORKLOADS,
];

/** The workload's batch; a trace workload needs `traces` holding its trace (else an Error). */
export function makeWorkloadBatch(w: Workload, fleets: number, steps: number, traces?: TraceLibrary): Batch {
  const arrivals = w.arrivals;
  // Every agent takes the workload's arrival process; the paper fleet's one spec is shared by all fleets.
  const withArrivals = (f: FleetSpec): FleetSpec => (arrivals ? { ...f, agents: f.agents.map((a) => ({ ...a, arrivals })) } : f);
  const paper = withArrivals(paperFleet);
  const specs = Array.from({ length: fleets }, (_, i) => {
    const f = w.fleet(i);
    return f === paperFleet ? paper : withArrivals(f);
  });
  if (w.trace !== undefined && traces === undefined)
    throw new Error(`workload ${w.name} replays trace ${w.trace}: pass a TraceLibrary holding it`);
  return makeBatch(
    packFleets(specs, undefined, w.trace === undefined ? NO_TRACES : traces!.pack([w.trace], PAPER_CONFIG.dt, steps)),
    crossRuns(
      fleets,
      w.policies.map((p) => POLICY[p]),
      1,
    ),
    {
      ...PAPER_CONFIG,
      arrivals: 'poisson',
      steps,
      seed: 1,
      ...(w.work === undefined ? {} : { work: w.work }),
      ...(w.lifecycle === undefined ? {} : { lifecycle: w.lifecycle }),
    },
  );
}

/** Agent-steps of a batch: Σ over runs of the fleet's agents × steps. */
export const agentStepsOf = (b: Batch): number => {
  let agents = 0;
  for (let r = 0; r < b.runs.count; r++) agents += b.fleets.agentCount[b.runs.fleet[r]!]!;
  return agents * b.config.steps;
};
