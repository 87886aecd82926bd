/**
 * The fixed column names of the result files, in one place: the per-fleet and per-agent Arrow files'
 * row fields (fleetRows.ts, agentRows.ts) and cells.csv's statistics and verdicts (cellsCsv.ts,
 * `<metric>_<statistic>`, `diff_<metric>_vs_<policy>_<statistic>`, …). The study schema reserves
 * them, so that an axis (a column beside them) never takes one. Browser-safe, no dependencies.
 */

/** The per-fleet columns after the axes: `cell` … `load`, then the metrics. */
export const ROW_FIELDS = ['cell', 'sample', 'replicate', 'policy', 'agents', 'load'] as const;

/** cells.csv's statistics of each metric, in column order. */
export const STAT_FIELDS = ['mean', 'std', 'ci95Low', 'ci95High', 'min', 'max', 'p50', 'p90', 'p99'] as const;

/** The per-agent columns after the axes (agents/unit-*.arrow): `cell` … `agentName`, then AGENT_ROW_METRICS. */
export const AGENT_ROW_FIELDS = ['cell', 'sample', 'replicate', 'policy', 'agent', 'agentName'] as const;

/**
 * The per-agent metrics of agents/unit-*.arrow, in column order; the workflow's visit and external
 * rates (docs/workflows.md) come last, so a file written before them differs only by lacking them.
 */
/**
 * The serverless lifecycle's per-agent metrics (MODEL-PART4 §4.3–4.4, docs/METRICS.md), last in the
 * per-agent rows and statistics, NaN with the lifecycle off: cold starts (loads begun), the fraction
 * of its requests that met it COLD or LOADING, the mean cold-start delay per request (s), the seconds
 * LOADING, resident (LOADING or WARM) and WARM with nothing to do, evictions, and the seconds COLD with
 * work waiting for the load slot or for memory — over the recorded time.
 */
export const AGENT_LIFECYCLE_METRICS = [
  'coldStarts',
  'coldHitFraction',
  'coldDelay',
  'loadSeconds',
  'residentSeconds',
  'idleWarmSeconds',
  'evictions',
  'memoryWaitSeconds',
] as const;

export const AGENT_ROW_METRICS = [
  'latency',
  'throughput',
  'share',
  'finalQueue',
  'load',
  'drift',
  'unstable',
  'visitRate',
  'externalRate',
  ...AGENT_LIFECYCLE_METRICS,
  // Several GPUs (MODEL-PART4 §4.5): the GPU the agent lives on (0 with one GPU; NaN in a pool, where it moves).
  'gpu',
] as const;

/** AGENT_ROW_METRICS that a file of an earlier version lacks (read back as NaN). */
export const LATE_AGENT_ROW_METRICS: readonly string[] = ['visitRate', 'externalRate', ...AGENT_LIFECYCLE_METRICS, 'gpu'];

/**
 * cells.csv's statistics of a verdict's paired difference, in column order (`diff_<metric>_vs_<other>_<statistic>`):
 * its mean and 95 % CI, and `n`, the paired runs where both policies define the metric (the cell's
 * fleet runs but for a metric undefined in some runs, e.g. jainIndex without arrivals).
 */
export const DIFF_FIELDS = ['mean', 'ci95Low', 'ci95High', 'n'] as const;

/**
 * cells.csv's column-name prefixes after the metrics' statistics: `winFraction_vs_<other>`,
 * `diff_<metric>_vs_<other>_<statistic>`, `wins_<metric>_vs_<other>` and `winner_<metric>_vs_<other>`;
 * then the single column `unstableFraction`.
 */
export const CSV_PREFIXES = ['winFraction_vs_', 'diff_', 'wins_', 'winner_'] as const;
export const CSV_FIELDS = ['unstableFraction'] as const;
