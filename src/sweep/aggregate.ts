/**
 * Streaming statistics of a sweep: per cell and policy, one accumulator per metric over the cell's
 * fleet runs; per pair of policies, the per-fleet relative latency change and the win counts on
 * identical work (common random numbers), and per verdict metric the paired difference b − a with
 * its win counts, from which summary() states the cell's verdicts and warnings (verdict.ts). Accumulators merge exactly and in any order (src/stats),
 * so a sweep gives the same statistics whatever its batches, shards or resumptions. Browser-safe.
 *
 * @example
 *   const agg = new SweepAggregate(study.policies); agg.addBatch(cellOf, result, k); agg.summary(cells)
 */
import type { Batch } from '../model/batch.js';
import {
  agentGpu,
  agentLatency,
  type BatchResult,
  OPTIONAL_METRICS,
  recordedSteps,
  RUN_METRICS,
  type RunMetric,
  type RunTotals,
} from '../model/metrics.js';
import { AGENT_LIFECYCLE_METRICS } from '../results/columns.js';
import { lifecycleOn } from '../model/lifecycle.js';
import { PAPER_AGENTS } from '../model/paper.js';
import { agentStability, stabilityTested } from '../model/stability.js';
import { DifferenceAccumulator, PairAccumulator, StatAccumulator, type StatSummary } from '../stats/index.js';
import type { AxisValue, Cell } from '../study/cells.js';
import type { Study } from '../study/schema.js';
import { cellVerdicts, cellWarnings, VERDICT_METRICS } from './verdict.js';

export type PolicyChoice = Study['policies'][number];

/** The metrics summarised per cell and policy (every per-run metric of src/model/metrics.ts). */
export const SWEEP_METRICS: readonly RunMetric[] = RUN_METRICS;

interface CellAccumulators {
  fleetRuns: number;
  policies: Record<string, Record<string, StatAccumulator>>; // policy → metric → accumulator
  pairs: Record<string, PairAccumulator>; // "a|b" → accumulator
  diffs: Record<string, DifferenceAccumulator>; // "a|b|metric" → b − a of a verdict metric
  agents: Record<string, Record<AgentMetric, StatAccumulator>[]> | null; // policy → agent → metric; null: a random fleet
}

/** The key of a pair's differences on `metric` in the aggregate (and its JSON). */
export const diffKey = (a: string, b: string, metric: string): string => `${a}|${b}|${metric}`;

/** A fresh accumulator of the paired differences for every pair of `policies` and verdict metric. */
export function newDiffs(policies: readonly string[]): Record<string, DifferenceAccumulator> {
  const diffs: Record<string, DifferenceAccumulator> = {};
  for (const [a, b] of policyPairs(policies))
    for (const { metric, better } of VERDICT_METRICS) diffs[diffKey(a, b, metric)] = new DifferenceAccumulator(better);
  return diffs;
}

/** Each unordered pair of the study's policies, in study order. */
export function policyPairs(policies: readonly string[]): [string, string][] {
  const pairs: [string, string][] = [];
  for (let i = 0; i < policies.length; i++) for (let j = i + 1; j < policies.length; j++) pairs.push([policies[i]!, policies[j]!]);
  return pairs;
}

/** A pair's row of summary.json from its accumulator (the sweep's and the page's cells alike). */
export function pairStats(a: string, b: string, pair: PairAccumulator): PairStats {
  const s = pair.summary();
  return {
    a,
    b,
    n: s.n,
    aWins: s.aWins,
    bWins: s.bWins,
    ties: s.ties,
    aWinFraction: s.aWinFraction,
    bWinFraction: s.bWinFraction,
    latencyChange: s.change,
    undefinedChange: s.undefinedChange,
  };
}

export interface PolicyStats {
  policy: string;
  metrics: Record<string, StatSummary | null>;
}

export interface PairStats {
  a: string;
  b: string;
  n: number;
  aWins: number;
  bWins: number;
  ties: number;
  aWinFraction: number | null;
  bWinFraction: number | null;
  /** (latency_b − latency_a) / latency_a per fleet run, summarised. */
  latencyChange: StatSummary | null;
  undefinedChange: number; // fleet runs where latency_a = 0 < latency_b
}

/**
 * The per-agent metrics summarised per cell, policy and agent over the cell's fleet runs (cells whose
 * fleet is fixed: the paper's, or `fleet.agents`; random fleets differ in size from sample to sample).
 * `load` is λ_i/(T_i·ḡ_i), the agent's offered load against the mean share the policy gave it;
 * `unstable` is 1 for a fleet run where the agent's queue grows through the run (src/model/stability.ts);
 * `visitRate` γ̂_i is every request that arrived at the agent (external and routed) per second, and
 * `externalRate` the external ones (docs/workflows.md; the two are equal without a workflow); then the
 * serverless lifecycle's (AGENT_LIFECYCLE_METRICS, src/results/columns.ts; NaN with the lifecycle off).
 */
export const AGENT_METRICS = [
  'latency',
  'throughput',
  'share',
  'finalQueue',
  'load',
  'unstable',
  'visitRate',
  'externalRate',
  ...AGENT_LIFECYCLE_METRICS,
] as const;
export type AgentMetric = (typeof AGENT_METRICS)[number];

/** Where AGENT_LIFECYCLE_METRICS begin in AGENT_METRICS (the aggregate's scratch order). */
const LIFECYCLE_AT = AGENT_METRICS.indexOf(AGENT_LIFECYCLE_METRICS[0]);

const LIFECYCLE_AGENT_SET: ReadonlySet<AgentMetric> = new Set(AGENT_LIFECYCLE_METRICS);

/** AGENT_METRICS added after summaries and checkpoints were first written: absent from an older one's (no statistics). */
export const LATE_AGENT_METRICS: ReadonlySet<AgentMetric> = new Set(['visitRate', 'externalRate', ...AGENT_LIFECYCLE_METRICS]);

export interface AgentStats {
  policy: string;
  agents: { agent: number; name: string; metrics: Record<AgentMetric, StatSummary | null> }[];
}

/**
 * The agents' names of a study's fleet when it is fixed (the paper's, or `fleet.agents`: the same
 * agents in every sample), `agent i` for an unnamed one; null for a random fleet, whose agent i is
 * another agent in every sample.
 */
export function fixedFleetNames(study: Pick<Study, 'fleet'>): string[] | null {
  if (!isFixedFleet(study)) return null;
  const f = study.fleet as Exclude<Study['fleet'], { random: unknown }>;
  const agents: readonly { name?: string | undefined }[] = 'preset' in f ? PAPER_AGENTS : f.agents;
  return agents.map((a, i) => a.name ?? `agent ${i}`);
}

/** Whether the study's fleet is the same agents in every sample (the paper's, or `fleet.agents`). */
export function isFixedFleet(study: Pick<Study, 'fleet'>): boolean {
  return !('random' in study.fleet);
}

/** One agent-run's values: AGENT_METRICS and the drift (NaN: not defined, e.g. a run too short to test). */
export type AgentRunValues = Record<AgentMetric | 'drift' | 'gpu', number>;

/**
 * Agent i of run r: latency, throughput and share as runSummary() computes them (the same
 * expressions), the final queue, and load, drift and unstable from agentStability (unstable NaN when
 * the run is too short for the growth test; load Infinity for arrivals without any share).
 */
export function agentRunValues(batch: Batch, result: BatchResult, r: number, i: number): AgentRunValues {
  const { totals } = result;
  const S = recordedSteps(batch.config);
  const j = totals.agentOffset[r]! + i;
  const stability = agentStability(batch, totals, r, i);
  const horizon = S * batch.config.dt;
  return {
    latency: agentLatency(totals, j, S, lifecycleOn(batch.config)),
    throughput: totals.servedSum[j]! / horizon,
    share: totals.shareSum[j]! / S,
    finalQueue: totals.finalQueue[j]!,
    load: stability.load,
    drift: stability.drift,
    unstable: stabilityTested(batch) ? (stability.unstable ? 1 : 0) : NaN,
    visitRate: totals.arrivedSum[j]! / horizon,
    externalRate: (totals.arrivedSum[j]! - totals.routedSum[j]!) / horizon,
    ...agentLifecycleValues(totals, j, batch.config.dt, lifecycleOn(batch.config)),
    gpu: agentGpu(batch.fleets, batch.runs.fleet[r]!, i),
  };
}

/**
 * Agent-run j's lifecycle values (AGENT_LIFECYCLE_METRICS, over the recorded steps): its cold starts
 * and evictions (counts), its cold-hit fraction and mean cold delay per request (NaN without
 * arrivals), its seconds LOADING, resident, WARM with nothing to do and waiting to load. All NaN with
 * the lifecycle off. Into `out` at `at` (the aggregate's scratch), or a new object.
 */
export function agentLifecycleValues(
  totals: RunTotals,
  j: number,
  dt: number,
  on: boolean,
): Record<(typeof AGENT_LIFECYCLE_METRICS)[number], number> {
  const out = new Float64Array(AGENT_LIFECYCLE_METRICS.length);
  fillLifecycleValues(totals, j, dt, on, out, 0);
  return Object.fromEntries(AGENT_LIFECYCLE_METRICS.map((m, k) => [m, out[k]!])) as Record<
    (typeof AGENT_LIFECYCLE_METRICS)[number],
    number
  >;
}

/** agentLifecycleValues into out[at …], in AGENT_LIFECYCLE_METRICS order. */
function fillLifecycleValues(totals: RunTotals, j: number, dt: number, on: boolean, out: Float64Array, at: number): void {
  if (!on) {
    out.fill(NaN, at, at + AGENT_LIFECYCLE_METRICS.length);
    return;
  }
  const arrived = totals.arrivedSum[j]!;
  out[at] = totals.coldStartSum[j]!;
  out[at + 1] = arrived > 0 ? totals.coldHitSum[j]! / arrived : NaN;
  out[at + 2] = arrived > 0 ? totals.coldDelaySum[j]! / arrived : NaN;
  out[at + 3] = totals.loadStepSum[j]! * dt;
  out[at + 4] = totals.residentStepSum[j]! * dt;
  out[at + 5] = totals.idleWarmStepSum[j]! * dt;
  out[at + 6] = totals.evictionSum[j]!;
  out[at + 7] = totals.waitStepSum[j]! * dt;
}

/**
 * agentRunValues into a reused array (AGENT_METRICS order), for the aggregate's per-agent loop: the
 * same expressions, without an object per agent-run.
 */
class AgentScratch {
  readonly values = new Float64Array(AGENT_METRICS.length);
  readonly totals: BatchResult['totals'];
  readonly #S: number;
  readonly #tested: boolean;
  readonly #lifecycle: boolean;

  constructor(
    readonly batch: Batch,
    result: BatchResult,
  ) {
    this.totals = result.totals;
    this.#S = recordedSteps(batch.config);
    this.#tested = stabilityTested(batch);
    this.#lifecycle = lifecycleOn(batch.config);
  }

  fill(r: number, i: number): void {
    const { totals, values } = this;
    const S = this.#S;
    const j = totals.agentOffset[r]! + i;
    const stability = agentStability(this.batch, totals, r, i);
    values[0] = agentLatency(totals, j, S, this.#lifecycle);
    values[1] = totals.servedSum[j]! / (S * this.batch.config.dt);
    values[2] = totals.shareSum[j]! / S;
    values[3] = totals.finalQueue[j]!;
    values[4] = stability.load;
    values[5] = this.#tested ? (stability.unstable ? 1 : 0) : NaN;
    values[6] = totals.arrivedSum[j]! / (S * this.batch.config.dt);
    values[7] = (totals.arrivedSum[j]! - totals.routedSum[j]!) / (S * this.batch.config.dt);
    fillLifecycleValues(totals, j, this.batch.config.dt, this.#lifecycle, values, LIFECYCLE_AT);
  }
}

/** A cell's accumulators in the order addBatch reads its columns. */
interface FlatAccumulators {
  stats: StatAccumulator[]; // [policy · SWEEP_METRICS.length + metric]
  pairs: PairAccumulator[]; // policyPairs order
  diffs: DifferenceAccumulator[]; // [pair · VERDICT_METRICS.length + verdict metric]
}

/** A new accumulator per agent metric. */
const agentAccumulators = (): Record<AgentMetric, StatAccumulator> =>
  Object.fromEntries(AGENT_METRICS.map((m) => [m, new StatAccumulator()])) as Record<AgentMetric, StatAccumulator>;

/** Adds an agent-run's values; a non-finite one (an untested run's unstable, an infinite load) is left out, as the run metrics' NaN are. */
export function addAgentValues(accs: Record<AgentMetric, StatAccumulator>, values: AgentRunValues): void {
  for (const m of AGENT_METRICS) if (Number.isFinite(values[m])) accs[m].add(values[m]);
}

/** What addBatch needs for the per-agent statistics: the batch, and which cells hold a fixed fleet. */
export interface AgentSource {
  batch: Batch;
  fixed: (cell: number) => boolean;
}

/**
 * A paired comparison of policies a and b on one metric over a cell's fleet runs (common random
 * numbers: both ran on the same arrivals), with its uncertainty, and the sentence that says it —
 * the same text in the CLI's summary, summary.json and the page.
 */
export interface Verdict {
  a: string;
  b: string;
  metric: string; // a RUN_METRICS name
  better: 'lower' | 'higher';
  unit: string; // 's', 'requests/s', '$'…
  n: number; // paired fleet runs
  aWins: number; // paired runs where a's value was the better one (beyond the tie tolerance, TIE_RELATIVE)
  bWins: number;
  ties: number; // n − aWins − bWins
  difference: StatSummary | null; // b − a per fleet run, in the metric's unit (mean with its 95 % CI)
  winner: string | null; // the better policy where the difference's 95 % CI excludes 0, else null
  winnerWins: number | null; // paired runs the winner won (ties excluded); null without a winner
  winFraction: number | null; // winnerWins / n
  winFractionCi95: [number, number] | null; // Wilson score interval of winFraction
  /**
   * (mean of the other − mean of the loser) / mean of the loser (a's without a winner: (b − a)/a),
   * only where that baseline is away from zero (verdict.ts: awayFromZero); negative: lower.
   */
  relativeChange: number | null;
  unstable: boolean; // either policy has fleet runs with a growing queue: the difference depends on run length
  /** e.g. "static is better than adaptive on avgLatency by 12.3 ± 0.4 s (35 % lower) in 100 % of paired runs (95 % CI 99.6–100 %)". */
  text: string;
}

export interface CellSummary {
  cell: number;
  values: Record<string, AxisValue>; // axis name (its path, or a variant axis's name) → value or label
  fleetRuns: number;
  policies: PolicyStats[];
  pairs: PairStats[];
  /** Per policy, per agent (fixed fleets only; absent for random fleets). */
  agents?: AgentStats[];
  /** Per pair of policies (study order) and verdict metric (avgLatency, throughput, cost), pair-major; empty in an older version's summary.json. */
  verdicts: Verdict[];
  /** Sentences a user must not miss (run-length-dependent results), the same in every place shown. */
  warnings: string[];
}

/** A cell's per-agent statistics: per policy, its agents in order with their names (`agent i` beyond `names`). */
export function agentStats(
  policies: readonly string[],
  accs: Readonly<Record<string, readonly Record<AgentMetric, StatAccumulator>[]>>,
  names: readonly string[] | null,
): AgentStats[] {
  return policies.map((policy) => ({
    policy,
    agents: (accs[policy] ?? []).map((m, agent) => ({
      agent,
      name: names?.[agent] ?? `agent ${agent}`,
      metrics: Object.fromEntries(AGENT_METRICS.map((k) => [k, m[k].summary()])) as Record<AgentMetric, StatSummary | null>,
    })),
  }));
}

export class SweepAggregate {
  readonly cells = new Map<number, CellAccumulators>();
  /** Each cell's accumulators as flat arrays for addBatch (built on first use; the same objects). */
  readonly #flat = new WeakMap<CellAccumulators, FlatAccumulators>();

  constructor(readonly policies: readonly PolicyChoice[]) {}

  private cell(index: number): CellAccumulators {
    let acc = this.cells.get(index);
    if (!acc) {
      acc = { fleetRuns: 0, policies: {}, pairs: {}, diffs: newDiffs(this.policies), agents: null };
      for (const p of this.policies) {
        acc.policies[p] = Object.fromEntries(SWEEP_METRICS.map((m) => [m, new StatAccumulator()]));
      }
      for (const [a, b] of policyPairs(this.policies)) acc.pairs[`${a}|${b}`] = new PairAccumulator();
      this.cells.set(index, acc);
    }
    return acc;
  }

  /**
   * Adds the runs of a batch laid out fleet run-major with the study's policies adjacent (crossRuns
   * order): fleet run k holds runs [k·P, (k + 1)·P); `cellOf(k)` is the cell of fleet run k. With
   * `agents`, the per-agent statistics of the cells whose fleet is fixed too.
   */
  addBatch(cellOf: (fleetRun: number) => number, result: BatchResult, fleetRuns: number, agents?: AgentSource): void {
    // Per fleet run this adds ~100 values (some 25 run metrics, 4 pairs' worth of pair and verdict values,
    // 6 per agent-run of a fixed fleet), so everything that does not change from one fleet run to
    // the next is looked up once: the columns, the accumulators of the current cell (flat arrays,
    // not string-keyed records), the pairs' policy indices. Each accumulator sees the same values
    // in the same order as one add per value would give, so the results are identical.
    const P = this.policies.length;
    const M = SWEEP_METRICS.length;
    const columns = SWEEP_METRICS.map((m) => result[m]);
    const optional = SWEEP_METRICS.map((m) => OPTIONAL_METRICS.has(m));
    const pairs = policyPairs(this.policies).map(([a, b]) => [
      this.policies.indexOf(a as PolicyChoice),
      this.policies.indexOf(b as PolicyChoice),
    ]);
    const V = VERDICT_METRICS.length;
    const verdictColumns = VERDICT_METRICS.map(({ metric }) => result[metric]);
    const latency = result.avgLatency;
    const scratch = agents ? new AgentScratch(agents.batch, result) : null;
    let current = -1;
    let acc: CellAccumulators | undefined;
    let flat: FlatAccumulators | undefined;
    let fixed = false;
    for (let k = 0; k < fleetRuns; k++) {
      const c = cellOf(k);
      if (c !== current || acc === undefined || flat === undefined) {
        current = c;
        acc = this.cell(c);
        flat = this.flat(acc);
        fixed = agents?.fixed(c) === true;
      }
      acc.fleetRuns++;
      const base = k * P;
      for (let p = 0; p < P; p++) {
        const stats = flat.stats;
        for (let m = 0; m < M; m++) {
          const x = columns[m]![base + p]!;
          if (!(x !== x && optional[m])) stats[p * M + m]!.add(x); // an undefined IDC is left out, not 0
        }
      }
      if (fixed) this.addAgents(acc, scratch!, k);
      for (let q = 0; q < pairs.length; q++) {
        const a = base + pairs[q]![0]!;
        const b = base + pairs[q]![1]!;
        flat.pairs[q]!.add(latency[a]!, latency[b]!);
        for (let v = 0; v < V; v++) flat.diffs[q * V + v]!.add(verdictColumns[v]![a]!, verdictColumns[v]![b]!);
      }
    }
  }

  /** The cell's accumulators as flat arrays (policy-major metrics, pair-major verdict metrics), the same objects as its records. */
  private flat(acc: CellAccumulators): FlatAccumulators {
    let flat = this.#flat.get(acc);
    if (!flat) {
      const pairs = policyPairs(this.policies);
      flat = {
        stats: this.policies.flatMap((p) => SWEEP_METRICS.map((m) => acc.policies[p]![m]!)),
        pairs: pairs.map(([a, b]) => acc.pairs[`${a}|${b}`]!),
        diffs: pairs.flatMap(([a, b]) => VERDICT_METRICS.map(({ metric }) => acc.diffs[diffKey(a, b, metric)]!)),
      };
      this.#flat.set(acc, flat);
    }
    return flat;
  }

  /** Fleet run k's agent-runs, one set of accumulators per policy and agent (every sample has the same agents). */
  private addAgents(acc: CellAccumulators, scratch: AgentScratch, k: number): void {
    const P = this.policies.length;
    acc.agents ??= Object.fromEntries(this.policies.map((p) => [p, []]));
    const { values } = scratch;
    for (let p = 0; p < P; p++) {
      const r = k * P + p;
      const perAgent = acc.agents[this.policies[p]!]!;
      const n = scratch.totals.agentCount[r]!;
      for (let i = 0; i < n; i++) {
        const accs = (perAgent[i] ??= agentAccumulators());
        scratch.fill(r, i);
        // AGENT_METRICS order; a non-finite value (an untested run's unstable, an infinite load) is left out.
        if (Number.isFinite(values[0])) accs.latency.add(values[0]!);
        if (Number.isFinite(values[1])) accs.throughput.add(values[1]!);
        if (Number.isFinite(values[2])) accs.share.add(values[2]!);
        if (Number.isFinite(values[3])) accs.finalQueue.add(values[3]!);
        if (Number.isFinite(values[4])) accs.load.add(values[4]!);
        if (Number.isFinite(values[5])) accs.unstable.add(values[5]!);
        accs.visitRate.add(values[6]!); // finite: counts over a positive horizon
        accs.externalRate.add(values[7]!);
        // The lifecycle's (NaN with it off, or without arrivals for the per-request ones).
        for (let m = LIFECYCLE_AT; m < AGENT_METRICS.length; m++) if (Number.isFinite(values[m])) accs[AGENT_METRICS[m]!].add(values[m]!);
      }
    }
  }

  /** Folds another aggregate (a shard's, or a checkpoint's) into this one. */
  merge(other: SweepAggregate): void {
    for (const [index, theirs] of other.cells) {
      const mine = this.cell(index);
      mine.fleetRuns += theirs.fleetRuns;
      for (const p of this.policies) for (const m of SWEEP_METRICS) mine.policies[p]![m]!.merge(theirs.policies[p]![m]!);
      for (const key of Object.keys(mine.pairs)) mine.pairs[key]!.merge(theirs.pairs[key]!);
      for (const key of Object.keys(mine.diffs)) mine.diffs[key]!.merge(theirs.diffs[key]!);
      if (theirs.agents !== null) {
        mine.agents ??= Object.fromEntries(this.policies.map((p) => [p, []]));
        for (const p of this.policies) {
          theirs.agents[p]!.forEach((accs, i) => {
            const into = (mine.agents![p]![i] ??= agentAccumulators());
            for (const m of AGENT_METRICS) into[m].merge(accs[m]);
          });
        }
      }
    }
  }

  /** Per-cell statistics in cell order (cells without runs are left out). */
  summary(cells: readonly Cell[], axes: readonly string[]): CellSummary[] {
    const out: CellSummary[] = [];
    for (const cell of cells) {
      const acc = this.cells.get(cell.index);
      if (!acc) continue;
      const policies = this.policies.map((policy) => ({
        policy,
        metrics: Object.fromEntries(SWEEP_METRICS.map((m) => [m, acc.policies[policy]![m]!.summary()])),
      }));
      out.push({
        cell: cell.index,
        values: Object.fromEntries(axes.map((name, i) => [name, cell.values[i]!])),
        fleetRuns: acc.fleetRuns,
        policies,
        pairs: policyPairs(this.policies).map(([a, b]) => pairStats(a, b, acc.pairs[`${a}|${b}`]!)),
        ...(acc.agents === null ? {} : { agents: agentStats(this.policies, acc.agents, fixedFleetNames(cell.study)) }),
        verdicts: cellVerdicts(policyPairs(this.policies), policies, (a, b, m) => acc.diffs[diffKey(a, b, m)]!.summary()),
        warnings: cellWarnings(policies),
      });
    }
    return out;
  }

  toJSON(): unknown {
    return {
      policies: this.policies,
      cells: [...this.cells.entries()]
        .sort(([a], [b]) => a - b)
        .map(([cell, acc]) => ({
          cell,
          fleetRuns: acc.fleetRuns,
          policies: Object.fromEntries(
            this.policies.map((p) => [p, Object.fromEntries(SWEEP_METRICS.map((m) => [m, acc.policies[p]![m]!.toJSON()]))]),
          ),
          pairs: Object.fromEntries(Object.entries(acc.pairs).map(([k, v]) => [k, v.toJSON()])),
          diffs: Object.fromEntries(Object.entries(acc.diffs).map(([k, v]) => [k, v.toJSON()])),
          ...(acc.agents === null
            ? {}
            : {
                agents: Object.fromEntries(
                  this.policies.map((p) => [
                    p,
                    // A lifecycle metric without values (the lifecycle off) is left out, as an older
                    // checkpoint lacks it: fromJSON makes it empty again, and the checkpoint stays small.
                    acc.agents![p]!.map((accs) =>
                      Object.fromEntries(
                        AGENT_METRICS.flatMap((m) => (accs[m].count === 0 && LIFECYCLE_AGENT_SET.has(m) ? [] : [[m, accs[m].toJSON()]])),
                      ),
                    ),
                  ]),
                ),
              }),
        })),
    };
  }

  static fromJSON(json: unknown): SweepAggregate {
    const j = json as {
      policies: PolicyChoice[];
      cells: {
        cell: number;
        fleetRuns: number;
        policies: Record<string, Record<string, unknown>>;
        pairs: Record<string, unknown>;
        diffs: Record<string, unknown>;
        agents?: Record<string, Record<string, unknown>[]>;
      }[];
    };
    if (!Array.isArray(j?.policies) || !Array.isArray(j.cells)) throw new Error('not a sweep aggregate');
    const agg = new SweepAggregate(j.policies);
    for (const c of j.cells) {
      const policies: CellAccumulators['policies'] = {};
      for (const p of j.policies) {
        policies[p] = Object.fromEntries(SWEEP_METRICS.map((m) => [m, StatAccumulator.fromJSON(c.policies[p]?.[m])]));
      }
      const pairs = Object.fromEntries(
        policyPairs(j.policies).map(([a, b]) => [`${a}|${b}`, PairAccumulator.fromJSON(c.pairs[`${a}|${b}`])]),
      );
      const diffs = newDiffs(j.policies);
      for (const key of Object.keys(diffs)) {
        const theirs = DifferenceAccumulator.fromJSON(c.diffs?.[key]);
        if (theirs.better !== diffs[key]!.better)
          throw new Error(`cell ${c.cell}: diffs.${key}: ${theirs.better} is not the metric's better value`);
        diffs[key] = theirs;
      }
      let agents: CellAccumulators['agents'] = null;
      if (c.agents !== undefined) {
        agents = {};
        for (const p of j.policies) {
          const list = c.agents[p];
          if (!Array.isArray(list)) throw new Error(`cell ${c.cell}: agents.${p}: not a list of agents`);
          agents[p] = list.map(
            (accs) =>
              Object.fromEntries(
                AGENT_METRICS.map((m) => [
                  m,
                  // An older checkpoint has no accumulator of a late metric: an empty one (no statistics).
                  LATE_AGENT_METRICS.has(m) && accs?.[m] === undefined ? new StatAccumulator() : StatAccumulator.fromJSON(accs?.[m]),
                ]),
              ) as Record<AgentMetric, StatAccumulator>,
          );
        }
      }
      agg.cells.set(c.cell, { fleetRuns: c.fleetRuns, policies, pairs, diffs, agents });
    }
    return agg;
  }
}
