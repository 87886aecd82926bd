/**
 * What the Sweep view's charts show, computed from a SummaryTable without the DOM (vitest tests it in
 * Node): a metric's mean and 95 % band along one axis with the other axes held fixed, histograms and
 * empirical CDFs of the per-fleet latency change, and the winning policy of a cell.
 *
 * @example
 *   const line = metricAlong(table, 'avgLatency', 'lmax', { 'fleet.random.load': 1 });
 */
import { RUN_METRIC_INFO, RUN_METRICS, type RunMetric, runMetricInfo } from '../../../src/model/metrics.js';
import { MIN_TEST_STEPS } from '../../../src/model/stability.js';
import type { SummaryTable } from '../../../src/results/tables.js';
import type { CellSummary, Verdict } from '../../../src/sweep/aggregate.js';

type AxisValue = number | string;

/** Unit, label and direction of each per-run metric: the one table, src/model/metrics.ts RUN_METRIC_INFO; `better` decides the winner grid. */
export const METRIC_INFO: Readonly<Record<string, { label: string; unit: string; better: 'lower' | 'higher' }>> = RUN_METRIC_INFO;

/** What a cell shows for a metric with no statistics (an IDC undefined in every run of the cell). */
export const UNDEFINED_STAT = '—';

/** What a run metric means, from RUN_METRIC_INFO (undefined for a name it does not list: a column of a newer file). */
export const metricAbout = (metric: string): string | undefined =>
  (RUN_METRICS as readonly string[]).includes(metric) ? runMetricInfo(metric as RunMetric).about : undefined;

/**
 * Whether `metric` has no statistics in any cell of the table (undefined in every run: forkParents in a
 * study without a fork-join, an IDC over windows longer than the run).
 */
export const undefinedEverywhere = (table: SummaryTable, metric: string): boolean =>
  table.cells.every((cell) => cell.policies.every((p) => (p.metrics[metric] ?? null) === null));

/**
 * Why a metric can be undefined in a run (the sweep's statistics leave such runs out): RUN_METRIC_INFO's
 * `undefinedWhen` (e.g. forkParents: the fleet has no fork-join), with the growth test's step count.
 */
export function undefinedWhy(metric: string): string {
  const when = (RUN_METRICS as readonly string[]).includes(metric) ? runMetricInfo(metric as RunMetric).undefinedWhen : undefined;
  if (when === undefined) return 'the metric was not recorded';
  return metric === 'unstable' ? `${when}: runs shorter than ${MIN_TEST_STEPS} recorded steps are not tested for growing queues` : when;
}

/** Whether some run of the table routed requests between agents (a workflow study: inFlight above 0 somewhere). */
export const routedTable = (table: SummaryTable): boolean =>
  table.cells.some((cell) => cell.policies.some((p) => (p.metrics.inFlight?.max ?? 0) > 0));

export const metricTitle = (metric: string): string => {
  const info = METRIC_INFO[metric];
  return info ? `${metric}: ${info.label}${info.unit === '' ? '' : ` (${info.unit})`}` : metric;
};

/** An axis's values in chart order: numbers ascending, labels as written. */
export function axisOrder(values: readonly AxisValue[]): AxisValue[] {
  return values.every((v) => typeof v === 'number') ? [...values].sort((a, b) => a - b) : [...values];
}

/** Whether a numeric axis spans enough to be drawn on a log scale (e.g. lmax 100 … 10,000). */
export function logAxis(values: readonly AxisValue[]): boolean {
  if (!values.every((v) => typeof v === 'number' && v > 0)) return false;
  const nums = values as number[];
  return Math.max(...nums) / Math.min(...nums) >= 50;
}

/** The value of axis `name` used when it is held fixed: the chosen one when it exists, else its first. */
export function fixedValue(table: SummaryTable, name: string, chosen: string | undefined): AxisValue {
  const axis = table.axes.find((a) => a.name === name)!;
  const ordered = axisOrder(axis.values);
  return ordered.find((v) => String(v) === chosen) ?? ordered[0]!;
}

/** Cells whose values equal `fixed` on every axis except `free` ones. */
export function cellsWhere(table: SummaryTable, fixed: Readonly<Record<string, AxisValue>>, free: readonly string[]): CellSummary[] {
  return table.cells.filter((cell) =>
    table.axes.every((axis) => free.includes(axis.name) || String(cell.values[axis.name]) === String(fixed[axis.name])),
  );
}

export interface MetricLine {
  x: number[]; // axis values, or 0, 1, … for a label axis
  ticks: string[] | null; // the labels of a label axis
  /**
   * Per policy: mean, lower and upper 95 % bound at each x (null: no data or n = 1), and the fraction
   * of the cell's fleet runs with a growing queue (the run metric `unstable`; null where not recorded).
   */
  series: {
    policy: string;
    mean: (number | null)[];
    low: (number | null)[];
    high: (number | null)[];
    unstable: (number | null)[];
  }[];
}

/** The fraction of a cell's fleet runs under `policy` with a growing queue (the mean of `unstable`), or null when not recorded. */
export function unstableFraction(cell: CellSummary | undefined, policy: string): number | null {
  return cell?.policies.find((p) => p.policy === policy)?.metrics.unstable?.mean ?? null;
}

/** `metric` along axis `x`, the other axes at `fixed`. */
export function metricAlong(table: SummaryTable, metric: string, x: string, fixed: Readonly<Record<string, AxisValue>>): MetricLine {
  const axis = table.axes.find((a) => a.name === x)!;
  const values = axisOrder(axis.values);
  const numeric = values.every((v) => typeof v === 'number');
  const cells = cellsWhere(table, fixed, [x]);
  const at = values.map((v) => cells.find((c) => String(c.values[x]) === String(v)));
  return {
    x: numeric ? values : values.map((_, i) => i),
    ticks: numeric ? null : values.map(String),
    series: table.policies.map((policy) => {
      const stats = at.map((cell) => cell?.policies.find((p) => p.policy === policy)?.metrics[metric] ?? null);
      return {
        policy,
        mean: stats.map((s) => s?.mean ?? null),
        low: stats.map((s) => s?.ci95[0] ?? null),
        high: stats.map((s) => s?.ci95[1] ?? null),
        unstable: at.map((cell) => unstableFraction(cell, policy)),
      };
    }),
  };
}

export interface Winner {
  policy: string;
  mean: number;
  /** The runner-up's 95 % interval overlaps the winner's: the difference is not resolved. */
  unresolved: boolean;
}

/** The policy with the best mean of `metric` in a cell (lower or higher per METRIC_INFO). */
export function winner(cell: CellSummary, metric: string): Winner | null {
  const lower = (METRIC_INFO[metric]?.better ?? 'lower') === 'lower';
  const ranked = cell.policies
    .map((p) => ({ policy: p.policy, s: p.metrics[metric] ?? null }))
    .filter((p): p is { policy: string; s: NonNullable<typeof p.s> } => p.s !== null)
    .sort((a, b) => (lower ? a.s.mean - b.s.mean : b.s.mean - a.s.mean));
  const best = ranked[0];
  if (!best) return null;
  const next = ranked[1];
  let unresolved = false;
  if (next) {
    const [bl, bh] = best.s.ci95;
    const [nl, nh] = next.s.ci95;
    unresolved = bl === null || bh === null || nl === null || nh === null ? best.s.mean === next.s.mean : lower ? nl <= bh : nh >= bl;
  }
  return { policy: best.policy, mean: best.s.mean, unresolved };
}

/** The verdicts of a cell on `metric` (absent for files without them and metrics without verdicts). */
export function verdictsOf(cell: CellSummary | undefined, metric: string): Verdict[] {
  return (cell?.verdicts ?? []).filter((v) => v.metric === metric);
}

/** The verdict on `metric` between policies a and b of a cell, in whichever order the sweep compared them. */
export function verdictBetween(cell: CellSummary | undefined, metric: string, a: string, b: string): Verdict | null {
  return verdictsOf(cell, metric).find((v) => (v.a === a && v.b === b) || (v.a === b && v.b === a)) ?? null;
}

export interface MapCell {
  policy: string;
  mean: number;
  /** No resolved winner: the paired verdict against the runner-up has none (or, without verdicts, the intervals overlap). */
  unresolved: boolean;
  /** The verdict sentences behind the mark (verbatim), one per pair with the best policy. */
  texts: string[];
  /** Whether the mark rests on paired verdicts (else on the unpaired intervals of the means). */
  paired: boolean;
  /** A verdict behind the mark depends on run length (a growing queue in some fleet runs). */
  unstable: boolean;
}

/**
 * The winner map's cell: the policy with the best mean of `metric`, marked unresolved (≈) when the
 * paired verdict against the runner-up has no winner. The verdict is the same test the summary's text
 * states, so the map never says ≈ where the text says one policy wins. Files without verdicts fall
 * back to the unpaired intervals (winner()).
 */
export function mapCell(cell: CellSummary, metric: string): MapCell | null {
  const w = winner(cell, metric);
  if (!w) return null;
  const verdicts = verdictsOf(cell, metric);
  if (verdicts.length === 0) return { policy: w.policy, mean: w.mean, unresolved: w.unresolved, texts: [], paired: false, unstable: false };
  const lower = (METRIC_INFO[metric]?.better ?? 'lower') === 'lower';
  const ranked = cell.policies
    .filter((p) => p.metrics[metric])
    .sort((a, b) => (lower ? a.metrics[metric]!.mean - b.metrics[metric]!.mean : b.metrics[metric]!.mean - a.metrics[metric]!.mean));
  const runnerUp = ranked[1]?.policy;
  const decisive = runnerUp === undefined ? null : verdictBetween(cell, metric, w.policy, runnerUp);
  const mine = verdicts.filter((v) => v.a === w.policy || v.b === w.policy);
  return {
    policy: w.policy,
    mean: w.mean,
    unresolved: decisive ? decisive.winner !== w.policy : w.unresolved,
    texts: (mine.length > 0 ? mine : verdicts).map((v) => v.text),
    paired: decisive !== null,
    unstable: mine.some((v) => v.unstable),
  };
}

/**
 * A verdict's change in words that name their baseline: relative (%) only where the verdict gives
 * relativeChange — the other policy against the loser (against a without a winner), whose mean is
 * away from zero — e.g. "adaptive −35.2 % vs static"; else the absolute difference b − a of the page's
 * pair (a, b) with its 95 % half-width and unit, e.g. "b − a = +12.3 ± 0.4 s".
 */
export function verdictChange(v: Verdict, a: string, b: string): string {
  if (v.relativeChange !== null) {
    const baseline = v.winner === null || v.winner === v.b ? v.a : v.b;
    const other = baseline === v.a ? v.b : v.a;
    return `${other} ${v.relativeChange >= 0 ? '+' : '−'}${Math.abs(100 * v.relativeChange).toPrecision(3)} % vs ${baseline}`;
  }
  const d = v.difference;
  if (!d) return '–';
  const mean = (v.a === a && v.b === b ? 1 : -1) * d.mean;
  const [lo, hi] = d.ci95;
  const half = lo === null || hi === null ? '' : ` ± ${numberText((hi - lo) / 2)}`;
  return `${b} − ${a} = ${mean >= 0 ? '+' : '−'}${numberText(Math.abs(mean))}${half} ${v.unit}`;
}

/** A number in four significant digits (exponent form outside 10⁻³ … 10⁵). */
export const numberText = (x: number): string =>
  Math.abs(x) >= 1e5 || (x !== 0 && Math.abs(x) < 1e-3) ? x.toExponential(3) : String(Number(x.toPrecision(4)));

/** Quantile of sorted values (linear interpolation between order statistics). */
function quantile(sorted: Float64Array, q: number): number {
  const at = q * (sorted.length - 1);
  const i = Math.floor(at);
  return sorted[i]! + (sorted[Math.min(i + 1, sorted.length - 1)]! - sorted[i]!) * (at - i);
}

/** Whether a chart's values span enough to be drawn on a log scale (all > 0, max/min ≥ 100). */
export function logValues(values: readonly (number | null)[]): boolean {
  const present = values.filter((v): v is number => v !== null);
  return present.length > 1 && present.every((v) => v > 0) && Math.max(...present) / Math.min(...present) >= 100;
}

export interface Histogram {
  centers: number[];
  counts: number[];
  below: number; // values left of the first bin (outside the 0.5 %–99.5 % range drawn)
  above: number;
}

/**
 * The range the histogram and the CDF draw: the quartiles widened by 3 interquartile ranges (Tukey's
 * far-out fences), within the data. Relative changes are heavy-tailed (a fleet whose latency under a
 * is near 0 can change by 10⁴ %), and a few such fleets would squash the rest into one bar; what lies
 * outside is counted and said under the chart. With no spread (IQR = 0) the whole data is drawn.
 */
export function drawnRange(sorted: Float64Array): [number, number] {
  const lo = sorted[0]!;
  const hi = sorted[sorted.length - 1]!;
  const q1 = quantile(sorted, 0.25);
  const q3 = quantile(sorted, 0.75);
  const iqr = q3 - q1;
  if (!(iqr > 0)) return [lo, hi];
  return [Math.max(lo, q1 - 3 * iqr), Math.min(hi, q3 + 3 * iqr)];
}

/** Counts in `bins` equal bins over drawnRange(values); the rest in `below`/`above`. */
export function histogram(values: Float64Array, bins = 40): Histogram {
  if (values.length === 0) return { centers: [], counts: [], below: 0, above: 0 };
  const sorted = Float64Array.from(values).sort();
  let [lo, hi] = drawnRange(sorted);
  if (hi <= lo) {
    lo -= 0.5;
    hi += 0.5;
  }
  const width = (hi - lo) / bins;
  const counts = new Array<number>(bins).fill(0);
  let below = 0;
  let above = 0;
  for (const v of sorted) {
    if (v < lo) below++;
    else if (v > hi) above++;
    else counts[Math.min(bins - 1, Math.floor((v - lo) / width))]!++;
  }
  return { centers: counts.map((_, i) => lo + (i + 0.5) * width), counts, below, above };
}

/**
 * The empirical CDF, thinned to at most `points` points; `clip` keeps only the points within
 * drawnRange (the histogram's), so the tails do not squash the curve (p still counts them).
 */
export function ecdf(values: Float64Array, points = 400, clip = false): { x: number[]; p: number[] } {
  const sorted = Float64Array.from(values).sort();
  const n = sorted.length;
  if (n === 0) return { x: [], p: [] };
  const [lo, hi] = clip ? drawnRange(sorted) : [-Infinity, Infinity];
  let first = 0;
  while (sorted[first]! < lo) first++;
  let last = n - 1;
  while (sorted[last]! > hi) last--;
  const step = Math.max(1, Math.floor((last - first + 1) / points));
  const x: number[] = [];
  const p: number[] = [];
  for (let i = first; i <= last; i += step) {
    x.push(sorted[i]!);
    p.push((i + 1) / n);
  }
  if (x[x.length - 1] !== sorted[last]) {
    x.push(sorted[last]!);
    p.push((last + 1) / n);
  }
  return { x, p };
}

/** Reads a value of an axis from the URL (`at.<axis>`): a number when the axis is numeric. */
export function axisValueFromText(table: SummaryTable, name: string, text: string | undefined): AxisValue | undefined {
  const axis = table.axes.find((a) => a.name === name);
  return axis?.values.find((v) => String(v) === text);
}
