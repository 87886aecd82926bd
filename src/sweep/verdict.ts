/**
 * Verdicts and warnings of a sweep cell, in words: per pair of policies and verdict metric, the paired
 * difference with its 95 % CI, the winner where that CI excludes 0, the win fraction with its Wilson
 * interval, a relative change only where the baseline is away from zero, and the one sentence that
 * says it; per policy whose queues grow through the run, a warning. Built from the accumulators'
 * summaries, so the CLI's summary.json and the page's own aggregation of Arrow rows say the same words.
 * Browser-safe, no dependencies beyond src/stats' types and the metric table of src/model/metrics.ts.
 *
 * @example
 *   cellVerdicts(['static', 'adaptive'], policies, (a, b, metric) => diffs[`${a}|${b}|${metric}`].summary());
 *   // [{ a: 'static', b: 'adaptive', metric: 'avgLatency', winner: 'static', text: 'static is better than adaptive on avgLatency by 12.3 ± 0.4 s (35 % lower) in 100 % of paired runs (95 % CI 99.6–100 %)', … }, …]
 */
import { RUN_METRIC_INFO, type RunMetric } from '../model/metrics.js';
import type { Better, DifferenceSummary, StatSummary } from '../stats/index.js';
import type { PolicyStats, Verdict } from './aggregate.js';

/**
 * The metrics a verdict compares: the paper's three, then the §4.7 metrics that tell policies apart
 * (which policy is fairer, starves less, leaves less capacity idle while work waits). A new one goes
 * at the end: the verdicts are pair-major in this order, and cells.csv's verdict columns too.
 */
export const VERDICT_METRIC_NAMES = [
  'avgLatency',
  'throughput',
  'cost',
  'backlogGpuSeconds',
  'minViolationFraction',
  'workConservationGap',
  'jainIndex',
  'worstAgentLatency',
  'littleLatency',
  'e2eLatency',
] as const satisfies readonly RunMetric[];

export type VerdictMetric = (typeof VERDICT_METRIC_NAMES)[number];

/** Each verdict metric with its better direction and unit, from RUN_METRIC_INFO (src/model/metrics.ts). */
export const VERDICT_METRICS: readonly { metric: VerdictMetric; better: Better; unit: string }[] = VERDICT_METRIC_NAMES.map((metric) => ({
  metric,
  better: RUN_METRIC_INFO[metric].better,
  unit: RUN_METRIC_INFO[metric].unit,
}));

/**
 * The standard normal's 0.975 quantile, √2·erfc⁻¹(0.05): the z of a two-sided 95 % interval. (The
 * library t-quantile of the mean's CI has no infinite-df form; a test checks this against it at large df.)
 */
export const Z95 = 1.959963984540054;

/**
 * Relative change only where the baseline is away from zero: its 95 % CI half-width at most this
 * fraction of |mean| (so the CI excludes 0 with room, and the denominator is known to ±25 %: the
 * relative change cannot be off by more than that from its baseline's uncertainty)…
 */
export const BASELINE_MAX_RELATIVE_HALF_WIDTH = 0.25;
/**
 * …and |mean| at least this fraction of the other policy's |mean|: below it the change exceeds
 * 9,900 % — a ratio of a number to almost nothing (the 32,046 % of issue 16), which the absolute
 * difference, always given, says better.
 */
export const BASELINE_MIN_FRACTION = 0.01;

/**
 * Wilson score interval of a binomial proportion `successes / n` at normal quantile `z` (Wilson 1927;
 * Agresti & Coull 1998 recommend it over the Wald interval, which collapses to a point at 0 % and
 * 100 %): (p̂ + z²/2n ± z·√(p̂(1 − p̂)/n + z²/4n²)) / (1 + z²/n). At 0 or n successes the bound on
 * that side is exactly 0 or 1 (the formula's value, without its rounding). null for n = 0.
 */
export function wilsonInterval(successes: number, n: number, z = Z95): [number, number] | null {
  if (!(n > 0) || !(successes >= 0 && successes <= n)) return null;
  const p = successes / n;
  const z2 = z * z;
  const centre = p + z2 / (2 * n);
  const spread = z * Math.sqrt((p * (1 - p)) / n + z2 / (4 * n * n));
  const scale = 1 + z2 / n;
  const low = successes === 0 ? 0 : Math.max(0, (centre - spread) / scale);
  const high = successes === n ? 1 : Math.min(1, (centre + spread) / scale);
  return [low, high];
}

/** The 95 % CI half-width of a summary, null without one (n < 2). */
export function halfWidth(s: StatSummary | null): number | null {
  if (s === null || s.ci95[0] === null || s.ci95[1] === null) return null;
  return (s.ci95[1] - s.ci95[0]) / 2;
}

/** Whether `baseline`'s mean can divide a difference (see BASELINE_MAX_RELATIVE_HALF_WIDTH and BASELINE_MIN_FRACTION). */
export function awayFromZero(baseline: StatSummary | null, other: StatSummary | null): boolean {
  const h = halfWidth(baseline);
  if (baseline === null || h === null || baseline.mean === 0) return false;
  const size = Math.abs(baseline.mean);
  return h <= BASELINE_MAX_RELATIVE_HALF_WIDTH * size && size >= BASELINE_MIN_FRACTION * Math.abs(other?.mean ?? 0);
}

/** `x` with `decimals` digits after the point, thousands grouped with commas ("1,544.2"); ASCII minus. */
function fixed(x: number, decimals: number): string {
  if (!Number.isFinite(x)) return String(x);
  if (Math.abs(x) >= 1e21) return x.toPrecision(4);
  const text = Math.abs(x).toFixed(Math.min(20, Math.max(0, decimals)));
  const [whole, fraction] = text.split('.');
  const grouped = whole!.replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  const sign = x < 0 && Number(text) !== 0 ? '-' : '';
  return `${sign}${grouped}${fraction === undefined ? '' : `.${fraction}`}`;
}

/**
 * Decimals for a value known to ± `half`: the half-width to one significant digit, two when it begins
 * with 1 (0.14, not 0.1: rounding it to one digit would change it by up to 40 %); without a half-width
 * (none, or 0: every pair the same), four significant digits of `value`.
 */
function decimalsFor(value: number, half: number | null): number {
  if (half !== null && half > 0 && Number.isFinite(half)) {
    const e = Math.floor(Math.log10(half));
    const lead = half / 10 ** e;
    return Math.max(0, (lead < 2 ? 1 : 0) - e);
  }
  if (value === 0 || !Number.isFinite(value)) return 0;
  return Math.max(0, 3 - Math.floor(Math.log10(Math.abs(value))));
}

/** A value in its unit: "12.3 s", "0.52 requests/s", "$0.12"; a dimensionless one (unit '') alone: "0.93". */
function withUnit(text: string, unit: string): string {
  if (unit === '$') return text.startsWith('-') ? `-$${text.slice(1)}` : `$${text}`;
  return unit === '' ? text : `${text} ${unit}`;
}

/**
 * "12.3 ± 0.4 s" (`signed`: "+12.3 ± 0.4 s"): the mean to the half-width's precision. Without a
 * half-width, the mean alone to four significant digits.
 */
export function formatEstimate(mean: number, half: number | null, unit: string, signed = false): string {
  const d = decimalsFor(mean, half);
  const m = fixed(mean, d);
  const shown = signed && !m.startsWith('-') ? `+${m}` : m;
  if (half === null) return withUnit(shown, unit);
  const h = fixed(half, d);
  return unit === '$' ? `${withUnit(shown, unit)} ± $${h}` : withUnit(`${shown} ± ${h}`, unit);
}

/**
 * A fraction as a percentage with at most one decimal ("99.6", "100", "35"): exactly 0 and 1 only
 * as "0" and "100" (99.97 % reads "99.9", never a "100" that did not happen).
 */
export function formatPercent(x: number): string {
  if (x >= 1) return '100';
  if (x <= 0) return '0';
  const v = Math.min(99.9, Math.max(0.1, Math.round(x * 1000) / 10));
  return String(v);
}

/** A relative change's size in percent, two significant digits, whole percent from 100 up ("35", "1.2", "250"). */
function formatRelative(r: number): string {
  const v = Math.abs(r) * 100;
  if (v >= 100) return fixed(Math.round(v), 0);
  return v === 0 ? '0' : String(Number(v.toPrecision(2)));
}

/** A policy's fraction of fleet runs with a growing queue (the run metric `unstable`'s mean), 0 without it. */
export function unstableFraction(policy: PolicyStats | undefined): number {
  return policy?.metrics.unstable?.mean ?? 0;
}

/** The caveat appended to a verdict whose policies have growing queues. */
function runLengthCaveat(parts: readonly { policy: string; fraction: number }[]): string {
  const grow = parts.filter((p) => p.fraction > 0).map((p) => `${formatPercent(p.fraction)} % of ${p.policy}'s fleet runs`);
  return `; caution: this depends on run length (queues grow through the run in ${grow.join(' and ')}; docs/STABILITY.md)`;
}

export interface VerdictInput {
  a: string;
  b: string;
  metric: string;
  better: Better;
  unit: string;
  diff: DifferenceSummary; // b − a over the paired fleet runs
  statsA: StatSummary | null; // the policies' own summaries of the metric (the relative change's baseline)
  statsB: StatSummary | null;
  unstableA: number; // fractions of fleet runs with a growing queue
  unstableB: number;
}

/** One verdict (see Verdict in aggregate.ts for the fields). */
export function makeVerdict(v: VerdictInput): Verdict {
  const { a, b, metric, unit, diff } = v;
  const difference = diff.difference;
  const half = halfWidth(difference);
  const unstable = v.unstableA > 0 || v.unstableB > 0;
  let winner: string | null = null;
  if (difference !== null && half !== null) {
    const [low, high] = difference.ci95 as [number, number];
    // b − a below 0 with confidence: b has the lower value.
    if (high < 0) winner = v.better === 'lower' ? b : a;
    else if (low > 0) winner = v.better === 'lower' ? a : b;
  }
  const winnerWins = winner === null ? null : winner === a ? diff.aWins : diff.bWins;
  const winFraction = winnerWins === null || diff.n === 0 ? null : winnerWins / diff.n;
  const winFractionCi95 = winnerWins === null ? null : wilsonInterval(winnerWins, diff.n);
  // The loser is the baseline (a without a winner); the change is the other policy's, relative to it.
  const baselineIsA = winner === null || winner === b;
  const baseline = baselineIsA ? v.statsA : v.statsB;
  const other = baselineIsA ? v.statsB : v.statsA;
  const relativeChange =
    difference !== null && baseline !== null && awayFromZero(baseline, other)
      ? (baselineIsA ? 1 : -1) * (difference.mean / baseline.mean)
      : null;

  let text: string;
  if (difference === null || half === null) {
    text = `${a} and ${b} on ${metric}: ${diff.n} paired run${diff.n === 1 ? '' : 's'}, too few for a confidence interval`;
  } else if (diff.ties === diff.n) {
    text = `no difference between ${a} and ${b} on ${metric}: equal in every paired run`;
  } else if (winner !== null) {
    const loser = winner === a ? b : a;
    const size = formatEstimate(Math.abs(difference.mean), half, unit);
    const change = relativeChange === null ? '' : ` (${formatRelative(relativeChange)} % ${relativeChange < 0 ? 'lower' : 'higher'})`;
    const [low, high] = winFractionCi95!;
    text = `${winner} is better than ${loser} on ${metric} by ${size}${change} in ${formatPercent(winFraction!)} % of paired runs (95 % CI ${formatPercent(low)}–${formatPercent(high)} %)`;
  } else {
    text = `no clear difference between ${a} and ${b} on ${metric}: ${b} − ${a} = ${formatEstimate(difference.mean, half, unit, true)} (95 % CI holds 0)`;
  }
  if (unstable) {
    text += runLengthCaveat([
      { policy: a, fraction: v.unstableA },
      { policy: b, fraction: v.unstableB },
    ]);
  }
  return {
    a,
    b,
    metric,
    better: v.better,
    unit,
    n: diff.n,
    aWins: diff.aWins,
    bWins: diff.bWins,
    ties: diff.ties,
    difference,
    winner,
    winnerWins,
    winFraction,
    winFractionCi95,
    relativeChange,
    unstable,
    text,
  };
}

/**
 * A cell's verdicts: every pair of `order` (study order) × VERDICT_METRICS (or those of them in
 * `metrics`: a cells.csv of an older version has the first three only), pair-major. `diff(a, b,
 * metric)` gives the pair's paired differences b − a.
 */
export function cellVerdicts(
  pairs: readonly (readonly [string, string])[],
  policies: readonly PolicyStats[],
  diff: (a: string, b: string, metric: string) => DifferenceSummary,
  metrics: ReadonlySet<string> | null = null,
): Verdict[] {
  const byName = new Map(policies.map((p) => [p.policy, p]));
  const chosen = metrics === null ? VERDICT_METRICS : VERDICT_METRICS.filter(({ metric }) => metrics.has(metric));
  return pairs.flatMap(([a, b]) =>
    chosen.map(({ metric, better, unit }) =>
      makeVerdict({
        a,
        b,
        metric,
        better,
        unit,
        diff: diff(a, b, metric),
        statsA: byName.get(a)?.metrics[metric] ?? null,
        statsB: byName.get(b)?.metrics[metric] ?? null,
        unstableA: unstableFraction(byName.get(a)),
        unstableB: unstableFraction(byName.get(b)),
      }),
    ),
  );
}

/**
 * A cell's warnings: one sentence per policy with fleet runs whose queues grow through the run, with
 * the largest offered load against an agent's share (the run metric maxLoad) where it is known.
 */
export function cellWarnings(policies: readonly PolicyStats[]): string[] {
  return policies.flatMap((p) => {
    const fraction = unstableFraction(p);
    if (!(fraction > 0)) return [];
    const load = p.metrics.maxLoad;
    const peak = load ? ` (offered load up to ${Number(load.max.toPrecision(2))}× its share)` : '';
    return [
      `${p.policy}: in ${formatPercent(fraction)} % of fleet runs an agent's queue grows through the run${peak}: its latencies depend on run length (docs/STABILITY.md)`,
    ];
  });
}
