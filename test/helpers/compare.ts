/**
 * GPU-against-CPU comparison with named tolerances, in the manner of the WebGPU CTS: a mismatch is
 * reported as the run, the field and a small window of neighbouring runs (got / expected), not a dump.
 */
import type { Batch } from '../../src/model/batch.js';
import type { BatchResult } from '../../src/model/metrics.js';
import { agentStability, driftThreshold, MIN_GROWTH } from '../../src/model/stability.js';

export interface Tolerance {
  abs: number; // absolute slack, in the field's unit
  rel: number; // relative slack, fraction of |expected|
}

/** Within the tolerance; two NaNs (a metric undefined on both sides, e.g. an IDC without two windows) agree. */
export function within(got: number, expected: number, tol: Tolerance): boolean {
  if (Number.isNaN(got) || Number.isNaN(expected)) return Number.isNaN(got) && Number.isNaN(expected);
  return Math.abs(got - expected) <= tol.abs + tol.rel * Math.abs(expected);
}

/** Returns null when every element agrees, else a report naming the first failing index and a window. */
export function compareColumns(
  field: string,
  got: ArrayLike<number>,
  expected: ArrayLike<number>,
  tol: Tolerance,
  label: (i: number) => string = (i) => `run ${i}`,
  skip: (i: number) => boolean = () => false,
): string | null {
  if (got.length !== expected.length) return `${field}: length ${got.length}, expected ${expected.length}`;
  let first = -1;
  let failures = 0;
  for (let i = 0; i < got.length; i++) {
    if (skip(i)) continue;
    if (!within(got[i]!, expected[i]!, tol)) {
      failures++;
      if (first < 0) first = i;
    }
  }
  if (first < 0) return null;
  const lines = [`${field}: ${failures} mismatch(es) beyond abs ${tol.abs} + rel ${tol.rel}; first at ${label(first)}`];
  for (let i = Math.max(0, first - 2); i < Math.min(got.length, first + 3); i++) {
    const mark = i === first ? '>' : ' ';
    const diff = got[i]! - expected[i]!;
    lines.push(`${mark} ${label(i)}: got ${got[i]} expected ${expected[i]} (diff ${diff.toExponential(2)})`);
  }
  return lines.join('\n');
}

/** The largest |got − expected| as a fraction of the allowed slack (≤ 1 passes), for reporting margins. */
export function worstFraction(
  got: ArrayLike<number>,
  expected: ArrayLike<number>,
  tol: Tolerance,
  skip: (i: number) => boolean = () => false,
): number {
  let worst = 0;
  for (let i = 0; i < got.length; i++) {
    if (skip(i) || Number.isNaN(expected[i]!)) continue; // an undefined metric (compareColumns checks both are)
    worst = Math.max(worst, Math.abs(got[i]! - expected[i]!) / (tol.abs + tol.rel * Math.abs(expected[i]!)));
  }
  return worst;
}

/** Per-run metrics of one batch on two backends: what compareRunMetrics reads. */
type RunColumns = Readonly<
  Record<
    | 'avgLatency'
    | 'crossAgentStd'
    | 'throughput'
    | 'capacityThroughput'
    | 'utilization'
    | 'cost'
    | 'arrived'
    | 'meanInSystem'
    | 'realizedRate'
    | 'maxStepArrivals'
    | 'approxSteps'
    | 'idc1'
    | 'idc10'
    | 'idc100'
    | 'maxLoad',
    ArrayLike<number>
  >
>;

export interface MetricTolerances {
  latency: Tolerance; // avgLatency, crossAgentStd
  flow: Tolerance; // throughput, capacityThroughput, utilization, cost (and arrivals when not counts)
  system: Tolerance; // meanInSystem
  dispersion: Tolerance; // idc1, idc10, idc100
  queue: Tolerance; // the mean queue over each half of the recorded steps (compareStability)
}

/**
 * Compares every per-run metric of `got` with `expected` (arrivals exactly when they are counts);
 * returns the mismatch reports (empty when all agree) and each metric's worst error / tolerance.
 */
export function compareRunMetrics(
  got: RunColumns,
  expected: RunColumns,
  tol: MetricTolerances,
  exactArrivals: boolean,
  label: (i: number) => string,
  skip: (i: number) => boolean,
): { reports: string[]; margins: string } {
  const columns: [keyof RunColumns, Tolerance][] = [
    ['avgLatency', tol.latency],
    ['crossAgentStd', tol.latency],
    ['throughput', tol.flow],
    ['capacityThroughput', tol.flow],
    ['utilization', tol.flow],
    ['cost', tol.flow],
    ['arrived', exactArrivals ? { abs: 0, rel: 0 } : tol.flow],
    ['meanInSystem', tol.system],
    ['realizedRate', exactArrivals ? { abs: 0, rel: 0 } : tol.flow],
    ['maxStepArrivals', exactArrivals ? { abs: 0, rel: 0 } : tol.flow],
    ['approxSteps', exactArrivals ? { abs: 0, rel: 0 } : tol.flow],
    ['idc1', tol.dispersion],
    ['idc10', tol.dispersion],
    ['idc100', tol.dispersion],
    ['maxLoad', tol.flow], // λ̂/(T·ḡ): arrivals (exact or flow) over the mean share (flow)
  ];
  const reports = columns.map(([m, t]) => compareColumns(m, got[m], expected[m], t, label, skip)).filter((r): r is string => r !== null);
  const margins = columns
    .filter(([m]) => !['arrived', 'realizedRate', 'maxStepArrivals', 'approxSteps'].includes(m))
    .map(([m, t]) => `${m} ${worstFraction(got[m], expected[m], t, skip).toFixed(3)}`)
    .join(', ');
  return { reports, margins };
}

/** Slack of a value `x` under `tol`. */
const slack = (x: number, tol: Tolerance): number => tol.abs + tol.rel * Math.abs(x);

/**
 * The stability diagnosis (src/model/stability.ts) of `got` against `expected`: every agent-run's
 * mean queue over each half of the recorded steps within `tol`, then its `unstable` flag. The drift is
 * a difference of the two half means over (S'/2)·Δt, so it may differ by up to the sum of their
 * slacks over that time, and a flag may flip where the expected drift lies that close to its
 * threshold (or the rise of the half means that close to MIN_GROWTH): each disagreement must be such
 * a near-threshold case, and a run's `unstable` may differ only through its agents' flips. Returns the
 * reports (empty when all agree), the flips and the agent-runs compared.
 */
export function compareStability(
  batch: Batch,
  got: BatchResult,
  expected: BatchResult,
  tol: Tolerance,
  label: (r: number) => string,
  skip: (r: number) => boolean,
): { reports: string[]; flips: number; agentRuns: number } {
  const { config } = batch;
  const S = config.steps - (config.warmup ?? 0);
  const first = Math.floor(S / 2);
  const second = S - first;
  const halfSeconds = (S / 2) * config.dt;
  const e = expected.totals;
  const g = got.totals;
  const n = e.arrivedSum.length;
  // Per agent-run: its run, and the half means of both sides.
  const runOf = new Uint32Array(n);
  for (let r = 0; r < batch.runs.count; r++) runOf.fill(r, e.agentOffset[r], e.agentOffset[r]! + e.agentCount[r]!);
  const halves = (t: BatchResult['totals']): [Float64Array, Float64Array] => [
    Float64Array.from(t.queueSum, (q, j) => (first > 0 ? (q - t.queueLateSum[j]!) / first : 0)),
    Float64Array.from(t.queueLateSum, (q) => q / second),
  ];
  const [g1, g2] = halves(g);
  const [e1, e2] = halves(e);
  const agentLabel = (j: number): string => `${label(runOf[j]!)} agent ${j - e.agentOffset[runOf[j]!]!}`;
  const skipAgent = (j: number): boolean => skip(runOf[j]!);
  const reports = [
    compareColumns('mean queue, first half', g1, e1, tol, agentLabel, skipAgent),
    compareColumns('mean queue, second half', g2, e2, tol, agentLabel, skipAgent),
  ].filter((r): r is string => r !== null);
  let flips = 0;
  let agentRuns = 0;
  const flipped = new Set<number>();
  const seconds = S * config.dt;
  const moment2 = config.work === 'exponential' ? 2 : 1;
  for (let r = 0; r < batch.runs.count; r++) {
    if (skip(r)) continue;
    for (let i = 0; i < e.agentCount[r]!; i++) {
      agentRuns++;
      const a = agentStability(batch, g, r, i);
      const b = agentStability(batch, e, r, i);
      if (a.unstable === b.unstable) continue;
      flips++;
      flipped.add(r);
      const j = e.agentOffset[r]! + i;
      const room = slack(e1[j]!, tol) + slack(e2[j]!, tol); // |Δ(mean₂ − mean₁)| at most
      const thresholdGot = driftThreshold(g.arrivedSum[j]! / seconds, seconds, moment2);
      const thresholdExpected = driftThreshold(e.arrivedSum[j]! / seconds, seconds, moment2);
      const nearThreshold = Math.abs(b.drift - thresholdExpected) <= room / halfSeconds + Math.abs(thresholdGot - thresholdExpected);
      const nearMinGrowth = Math.abs(e2[j]! - e1[j]! - MIN_GROWTH) <= room;
      if (!nearThreshold && !nearMinGrowth) {
        reports.push(
          `unstable: ${agentLabel(j)}: got ${a.unstable}, expected ${b.unstable} far from the threshold ` +
            `(drift ${a.drift} vs ${b.drift}, threshold ${thresholdExpected}, half means ${e1[j]}, ${e2[j]})`,
        );
      }
    }
  }
  for (let r = 0; r < batch.runs.count; r++) {
    const same = Object.is(got.unstable[r], expected.unstable[r]);
    if (!skip(r) && !same && !flipped.has(r)) {
      reports.push(`unstable: ${label(r)}: got ${got.unstable[r]}, expected ${expected.unstable[r]} with no agent flipped`);
    }
  }
  return { reports, flips, agentRuns };
}
