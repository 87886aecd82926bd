/**
 * The fixed column names of the result files, in one place: the per-fleet Arrow files' row fields
 * (fleetRows.ts) and cells.csv's statistics (cellsCsv.ts, `<metric>_<statistic>`). The study schema
 * reserves them, so that an axis (a column beside them) never takes one. Browser-safe, no
 * dependencies.
 */

/** The per-fleet columns after the axes: `cell` … `load`, then the metrics. */
export const ROW_FIELDS = ['cell', 'sample', 'replicate', 'policy', 'agents', 'load'] as const;

/** cells.csv's statistics of each metric, in column order. */
export const STAT_FIELDS = ['mean', 'std', 'ci95Low', 'ci95High', 'min', 'max', 'p50', 'p90', 'p99'] as const;
