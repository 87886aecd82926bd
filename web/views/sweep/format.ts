/**
 * How the Sweep view writes numbers: five significant digits (exponent form outside 10⁻³ … 10⁵), a
 * fraction as a percentage, a mean with its 95 % half-width; – where there is nothing.
 *
 * @example
 *   meanCi({ mean: 12.3, ci95: [12.1, 12.5], … }) // "12.300 ± 0.20000"
 */
import type { StatSummary } from '../../../src/stats/index.js';

export const fmt = (x: number | null | undefined): string =>
  x === null || x === undefined ? '–' : Math.abs(x) >= 1e5 || (x !== 0 && Math.abs(x) < 1e-3) ? x.toExponential(3) : x.toPrecision(5);

export const pct = (x: number | null | undefined): string => (x === null || x === undefined ? '–' : `${(100 * x).toFixed(1)} %`);

/** "mean ± half-width" of a summary (the mean alone where n = 1 leaves no interval); – for none. */
export function meanCi(s: StatSummary | null | undefined): string {
  if (!s) return '–';
  const [lo, hi] = s.ci95;
  return lo === null || hi === null ? fmt(s.mean) : `${fmt(s.mean)} ± ${fmt((hi - lo) / 2)}`;
}

/** "unstable in 40 % of runs": the mark the tables put beside a result that depends on run length. */
export const unstableMark = (fraction: number): string =>
  `unstable in ${Math.round(100 * fraction) === 0 ? '<1' : Math.round(100 * fraction)} % of runs`;
