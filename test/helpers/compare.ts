/**
 * GPU-against-CPU comparison with named tolerances, in the manner of the WebGPU CTS: a mismatch is
 * reported as the run, the field and a small window of neighbouring runs (got / expected), not a dump.
 */

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
    | 'idc100',
    ArrayLike<number>
  >
>;

export interface MetricTolerances {
  latency: Tolerance; // avgLatency, crossAgentStd
  flow: Tolerance; // throughput, capacityThroughput, utilization, cost (and arrivals when not counts)
  system: Tolerance; // meanInSystem
  dispersion: Tolerance; // idc1, idc10, idc100
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
  ];
  const reports = columns.map(([m, t]) => compareColumns(m, got[m], expected[m], t, label, skip)).filter((r): r is string => r !== null);
  const margins = columns
    .filter(([m]) => !['arrived', 'realizedRate', 'maxStepArrivals', 'approxSteps'].includes(m))
    .map(([m, t]) => `${m} ${worstFraction(got[m], expected[m], t, skip).toFixed(3)}`)
    .join(', ');
  return { reports, margins };
}
