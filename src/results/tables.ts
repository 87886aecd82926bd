/**
 * The result tables of a sweep, built in memory (browser-safe; src/results/files.ts writes them):
 * `summary.json` (per cell statistics and policy pairs) and `cells.csv` (one row per cell × policy).
 * Neither holds timing or machine facts (those live in manifest.json), so a sharded-and-merged sweep
 * gives byte-identical tables to an unsharded one.
 *
 * @example
 *   const text = cellsCsv(summaryTable(meta, aggregate.summary(cells, study.axes)));
 */
import type { CellSummary } from '../sweep/aggregate.js';
import { SWEEP_METRICS } from '../sweep/aggregate.js';
import type { StatSummary } from '../stats/index.js';

export const SUMMARY_FORMAT = 'fleetsim-summary/1';

export interface SummaryTable {
  format: typeof SUMMARY_FORMAT;
  study: string; // the study's name
  studyHash: string;
  seed: number;
  axes: { name: string; values: (number | string)[] }[]; // name: the axis's path, or a variant axis's name
  policies: string[];
  metrics: string[];
  /** What each quantile is: DDSketch estimates within ±0.5 % relative of the exact order statistic. */
  quantiles: string;
  cells: CellSummary[];
}

export interface SummaryMeta {
  name: string;
  studyHash: string;
  seed: number;
  axes: readonly { name: string; values: readonly (number | string)[] }[];
  policies: readonly string[];
}

export function summaryTable(meta: SummaryMeta, cells: CellSummary[]): SummaryTable {
  return {
    format: SUMMARY_FORMAT,
    study: meta.name,
    studyHash: meta.studyHash,
    seed: meta.seed,
    axes: meta.axes.map((a) => ({ name: a.name, values: [...a.values] })),
    policies: [...meta.policies],
    metrics: [...SWEEP_METRICS],
    quantiles: 'p50/p90/p99 from a DDSketch with 0.5 % relative accuracy, clamped to [min, max]',
    cells,
  };
}

const STAT_FIELDS = ['mean', 'std', 'ci95Low', 'ci95High', 'min', 'max', 'p50', 'p90', 'p99'] as const;

function statValues(s: StatSummary | null): (number | null)[] {
  if (s === null) return STAT_FIELDS.map(() => null);
  return [s.mean, s.std, s.ci95[0], s.ci95[1], s.min, s.max, s.p50, s.p90, s.p99];
}

/** RFC 4180 field: quoted when it holds a comma, quote or line break. */
function csvField(x: number | string | null): string {
  if (x === null) return '';
  const text = String(x);
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/**
 * One row per cell × policy: the cell, its axis values, the policy, the fleet runs, then
 * `<metric>_<mean|std|ci95Low|ci95High|min|max|p50|p90|p99>` for every metric, then
 * `winFraction_vs_<other>`: the fraction of fleet runs where this policy's avgLatency is lower.
 */
export function cellsCsv(table: SummaryTable): string {
  const header = [
    'cell',
    ...table.axes.map((a) => a.name),
    'policy',
    'fleetRuns',
    ...table.metrics.flatMap((m) => STAT_FIELDS.map((f) => `${m}_${f}`)),
    ...table.policies.map((p) => `winFraction_vs_${p}`),
  ];
  const rows = [header.map(csvField).join(',')];
  for (const cell of table.cells) {
    for (const ps of cell.policies) {
      const wins = table.policies.map((other) => {
        if (other === ps.policy) return null;
        const pair = cell.pairs.find((q) => (q.a === ps.policy && q.b === other) || (q.b === ps.policy && q.a === other))!;
        return pair.a === ps.policy ? pair.aWinFraction : pair.bWinFraction;
      });
      const row = [
        cell.cell,
        ...table.axes.map((a) => cell.values[a.name] ?? null),
        ps.policy,
        cell.fleetRuns,
        ...table.metrics.flatMap((m) => statValues(ps.metrics[m] ?? null)),
        ...wins,
      ];
      rows.push(row.map(csvField).join(','));
    }
  }
  return `${rows.join('\n')}\n`;
}
