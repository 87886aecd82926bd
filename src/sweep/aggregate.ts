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
  fastTotals,
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
const VISIT_RATE_AT = AGENT_METRICS.indexOf('visitRate');
const EXTERNAL_RATE_AT = AGENT_METRICS.indexOf('externalRate');

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
  // Called per agent-run (the per-agent rows): the totals' fast-mode copy is made once per batch.
  let totals = FAST_TOTALS.get(result.totals);
  if (totals === undefined) FAST_TOTALS.set(result.totals, (totals = fastTotals(result.totals)));
  const S = recordedSteps(batch.config);
  const j = totals.agentOffset[r]! + i;
  const stability = agentStability(batch, totals, r, i);
  const horizon = S * batch.config.dt;
  const lifecycle = lifecycleOn(batch.config);
  const values = {
    latency: agentLatency(totals, j, S, lifecycle),
    throughput: totals.servedSum[j]! / horizon,
    share: totals.shareSum[j]! / S,
    finalQueue: totals.finalQueue[j]!,
    load: stability.load,
    drift: stability.drift,
    unstable: stabilityTested(batch) ? (stability.unstable ? 1 : 0) : NaN,
    visitRate: totals.arrivedSum[j]! / horizon,
    externalRate: (totals.arrivedSum[j]! - totals.routedSum[j]!) / horizon,
  } as AgentRunValues;
  fillLifecycleValues(totals, j, batch.config.dt, lifecycle, LIFECYCLE_SCRATCH, 0);
  for (let k = 0; k < AGENT_LIFECYCLE_METRICS.length; k++) values[AGENT_LIFECYCLE_METRICS[k]!] = LIFECYCLE_SCRATCH[k]!;
  values.gpu = agentGpu(batch.fleets, batch.runs.fleet[r]!, i);
  return values;
}

/** The fast-mode copy (fastTotals) of each batch's totals that agentRunValues has read. */
const FAST_TOTALS = new WeakMap<RunTotals, RunTotals>();
/** agentRunValues' lifecycle values before they go into its object. */
const LIFECYCLE_SCRATCH = new Float64Array(AGENT_LIFECYCLE_METRICS.length);

/**
 * Agent-run j's lifecycle values (AGENT_LIFECYCLE_METRICS, over the recorded steps) into
 * out[at·stride + t + k·stride] for the k-th: its cold starts and evictions (counts), its cold-hit
 * fraction and mean cold delay per request (NaN without arrivals), its seconds LOADING, resident, WARM
 * with nothing to do and waiting to load. All NaN with the lifecycle off.
 */
function fillLifecycleValues(
  totals: RunTotals,
  j: number,
  dt: number,
  on: boolean,
  out: Float64Array,
  at: number,
  stride = 1,
  t = 0,
): void {
  const o = at * stride + t;
  if (!on) {
    for (let k = 0; k < AGENT_LIFECYCLE_METRICS.length; k++) out[o + k * stride] = NaN;
    return;
  }
  const arrived = totals.arrivedSum[j]!;
  out[o] = totals.coldStartSum[j]!;
  out[o + stride] = arrived > 0 ? totals.coldHitSum[j]! / arrived : NaN;
  out[o + 2 * stride] = arrived > 0 ? totals.coldDelaySum[j]! / arrived : NaN;
  out[o + 3 * stride] = totals.loadStepSum[j]! * dt;
  out[o + 4 * stride] = totals.residentStepSum[j]! * dt;
  out[o + 5 * stride] = totals.idleWarmStepSum[j]! * dt;
  out[o + 6 * stride] = totals.evictionSum[j]!;
  out[o + 7 * stride] = totals.waitStepSum[j]! * dt;
}

/** Fleet runs addBatch adds accumulator by accumulator (one cell's, in a row). */
const BLOCK_FLEET_RUNS = 256;

/**
 * agentRunValues into a reused block (AGENT_METRICS-major, BLOCK_FLEET_RUNS runs per metric), for the
 * aggregate's per-agent loop: the same expressions, without an object per agent-run.
 */
class AgentScratch {
  readonly block = new Float64Array(AGENT_METRICS.length * BLOCK_FLEET_RUNS);
  readonly totals: BatchResult['totals'];
  /** The metrics fill() writes: AGENT_METRICS, or those before the lifecycle's when it is off (then all NaN, left out). */
  readonly metrics: number;
  readonly #S: number;
  readonly #horizon: number; // S·Δt, seconds recorded
  readonly #tested: boolean;
  readonly #lifecycle: boolean;

  constructor(
    readonly batch: Batch,
    result: BatchResult,
  ) {
    this.totals = fastTotals(result.totals); // read per agent-run
    this.#S = recordedSteps(batch.config);
    this.#horizon = this.#S * batch.config.dt;
    this.#tested = stabilityTested(batch);
    this.#lifecycle = lifecycleOn(batch.config);
    this.metrics = this.#lifecycle ? AGENT_METRICS.length : LIFECYCLE_AT;
  }

  /** Agent i of run r into the block's column t (its first `metrics` rows). */
  fill(r: number, i: number, t: number): void {
    const { totals, block } = this;
    const S = this.#S;
    const j = totals.agentOffset[r]! + i;
    const stability = agentStability(this.batch, totals, r, i);
    const B = BLOCK_FLEET_RUNS;
    block[t] = agentLatency(totals, j, S, this.#lifecycle);
    block[B + t] = totals.servedSum[j]! / this.#horizon;
    block[2 * B + t] = totals.shareSum[j]! / S;
    block[3 * B + t] = totals.finalQueue[j]!;
    block[4 * B + t] = stability.load;
    block[5 * B + t] = this.#tested ? (stability.unstable ? 1 : 0) : NaN;
    block[6 * B + t] = totals.arrivedSum[j]! / this.#horizon;
    block[7 * B + t] = (totals.arrivedSum[j]! - totals.routedSum[j]!) / this.#horizon;
    if (this.#lifecycle) fillLifecycleValues(totals, j, this.batch.config.dt, true, block, LIFECYCLE_AT, B, t);
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
    // Per paper fleet run this adds ~200 values (some 28 run metrics per policy, 3 pairs' worth of pair
    // and verdict values, 8 per agent-run of a fixed fleet) to as many accumulators. They go in
    // accumulator by accumulator over a block of fleet runs of one cell (BLOCK_FLEET_RUNS), so each
    // accumulator's sums and sketch stay in cache while its values stream in, and equal values in a
    // row (a 0/1 flag, a metric constant in the cell) meet StatAccumulator's pending run. Each
    // accumulator receives the same values in the same order as one add per fleet run would give
    // (and its state depends only on their multiset anyway), so the results are identical.
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
    let k0 = 0;
    while (k0 < fleetRuns) {
      const c = cellOf(k0);
      let k1 = k0 + 1;
      while (k1 < fleetRuns && k1 - k0 < BLOCK_FLEET_RUNS && cellOf(k1) === c) k1++;
      const acc = this.cell(c);
      const flat = this.flat(acc);
      acc.fleetRuns += k1 - k0;
      const stats = flat.stats;
      for (let p = 0; p < P; p++) {
        for (let m = 0; m < M; m++) {
          // An undefined value (NaN) of an optional metric is left out, not 0.
          stats[p * M + m]!.addStrided(columns[m]!, k0 * P + p, k1 - k0, P, optional[m] ? 'nan' : 'none');
        }
      }
      if (scratch !== null && agents?.fixed(c) === true) this.addAgents(acc, scratch, k0, k1);
      for (let q = 0; q < pairs.length; q++) {
        const pa = pairs[q]![0]!;
        const pb = pairs[q]![1]!;
        const pair = flat.pairs[q]!;
        for (let k = k0; k < k1; k++) pair.add(latency[k * P + pa]!, latency[k * P + pb]!);
        for (let v = 0; v < V; v++) {
          const column = verdictColumns[v]!;
          const diff = flat.diffs[q * V + v]!;
          for (let k = k0; k < k1; k++) diff.add(column[k * P + pa]!, column[k * P + pb]!);
        }
      }
      k0 = k1;
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

  /** Fleet runs k0 … k1 − 1's agent-runs, one set of accumulators per policy and agent (every sample has the same agents). */
  private addAgents(acc: CellAccumulators, scratch: AgentScratch, k0: number, k1: number): void {
    const P = this.policies.length;
    acc.agents ??= Object.fromEntries(this.policies.map((p) => [p, []]));
    const { block } = scratch;
    const count = scratch.totals.agentCount;
    const B = k1 - k0;
    for (let p = 0; p < P; p++) {
      const perAgent = acc.agents[this.policies[p]!]!;
      let agentsMost = 0;
      for (let k = k0; k < k1; k++) agentsMost = Math.max(agentsMost, count[k * P + p]!);
      for (let i = 0; i < agentsMost; i++) {
        const accs = (perAgent[i] ??= agentAccumulators());
        // Agent i's values in the block's runs, metric-major (block[m · BLOCK_FLEET_RUNS + t]); a run
        // without an agent i (none in a fixed fleet) gets NaN, left out below.
        for (let t = 0; t < B; t++) {
          const r = (k0 + t) * P + p;
          if (i < count[r]!) scratch.fill(r, i, t);
          else for (let m = 0; m < scratch.metrics; m++) block[m * BLOCK_FLEET_RUNS + t] = NaN;
        }
        // A non-finite value (an untested run's unstable, an infinite load, the lifecycle's NaN) is
        // left out; visitRate and externalRate are counts over a positive horizon, finite, so there
        // only a run without agent i is left out and anything else non-finite throws.
        for (let m = 0; m < scratch.metrics; m++) {
          const leaveOut = m === VISIT_RATE_AT || m === EXTERNAL_RATE_AT ? 'nan' : 'nonFinite';
          accs[AGENT_METRICS[m]!].addStrided(block, m * BLOCK_FLEET_RUNS, B, 1, leaveOut);
        }
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
