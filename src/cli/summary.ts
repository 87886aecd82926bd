/**
 * What `fleetsim sweep` prints: the header before the progress bar (what will run, on what), and
 * after it the summary — per cell, each policy's mean ± 95 % CI half-width of avgLatency and
 * throughput, the fraction of unstable fleet runs when the sweep recorded it, the means of Jain's
 * fairness index and of the agent-steps below the minimum share, the verdicts and
 * warnings of summary.json word for word, then the commands that open the results. All cells up to a
 * limit, then a pointer to the files that hold the rest. Plain text, no colour: it is also a log.
 *
 * @example
 *   process.stdout.write(`${sweepHeader(study, counts, engine)}\n`); … process.stdout.write(`${sweepSummary(outcome, engine)}\n`);
 */
import type { Engine } from '../platform/engine.js';
import { FILES } from '../results/files.js';
import type { StatSummary } from '../stats/index.js';
import type { Study } from '../study/schema.js';
import type { CellSummary } from '../sweep/aggregate.js';
import type { SweepTimes } from '../sweep/run.js';
import { displayPath, displayText } from '../text/quote.js';
import { formatPercent } from '../sweep/verdict.js';

/** Cells shown in full by default; the rest are in cells.csv, summary.json and the report. */
export const SUMMARY_CELLS = 24;

/** What a sweep will run (the header, printed before the progress bar). */
export interface SweepCounts {
  cells: number;
  fleetRuns: number; // this invocation's shard, all of it
  policies: number;
  units: number;
}

/** The engine as one phrase: "gpu (llvmpipe …)", "cpu (2 threads)". */
export const engineText = (engine: Pick<Engine, 'name' | 'adapter'>): string =>
  `${engine.name}${engine.adapter ? ` (${engine.adapter})` : ''}`;

const plural = (n: number, one: string, many = `${one}s`): string => `${n} ${n === 1 ? one : many}`;

/** The header: study, grid, fleet runs and backend; printed before the bar so a long sweep says what it does. */
export function sweepHeader(study: Study, counts: SweepCounts, engine: Pick<Engine, 'name' | 'adapter'>): string {
  return [
    `fleetsim sweep ${displayText(study.name)}: ${plural(counts.cells, 'cell')} × ${plural(study.samples, 'sample')} × ${plural(study.replicates, 'replicate')} = ${counts.fleetRuns} fleet runs × ${plural(counts.policies, 'policy', 'policies')} (${plural(counts.units, 'unit')} of work)`,
    `backend: ${engineText(engine)}`,
  ].join('\n');
}

/** A directory in a command to copy: as it is when plain, else single-quoted for a POSIX shell (or quoted when it holds controls). */
export function shellPath(path: string): string {
  const shown = displayPath(path);
  if (shown === path && !path.startsWith('~')) return path;
  const controls = [...path].some((c) => c.charCodeAt(0) < 0x20 || (c.charCodeAt(0) >= 0x7f && c.charCodeAt(0) <= 0x9f));
  // Plain but for the shell (a space, a quote): single quotes; with controls, escapes or cut, displayPath's JSON form.
  return !controls && (shown === JSON.stringify(path) || shown === path) ? `'${path.replace(/'/g, `'\\''`)}'` : shown;
}

/** The two commands that open a sweep's results (`fleetsim report`, `fleetsim view`). */
export function openCommands(dir: string): string[] {
  const d = shellPath(dir);
  return [
    `  fleetsim report ${d}    # a self-contained HTML report (opens from the file system)`,
    `  fleetsim view ${d}      # the page on localhost, this sweep loaded`,
  ];
}

/** The 95 % CI's half-width of a summary, or null where it is undefined (one fleet run). */
export function halfWidth(s: StatSummary | null | undefined): number | null {
  const [lo, hi] = s?.ci95 ?? [null, null];
  return lo === null || hi === null ? null : (hi - lo) / 2;
}

/**
 * Decimals that show a half-width to two significant figures (0 to 6), so that the mean is written
 * to the precision the sweep measured it; 3 when there is no half-width (or it is 0).
 */
function decimalsFor(mean: number, hw: number | null): number {
  if (hw === null || !(hw > 0) || !Number.isFinite(hw)) return Math.abs(mean) >= 1000 ? 1 : 3;
  return Math.min(6, Math.max(0, 1 - Math.floor(Math.log10(Number(hw.toPrecision(2))))));
}

/** "mean ± half-width" (or the mean alone), split in its two columns for alignment; "–" when absent. */
export function estimate(s: StatSummary | null | undefined): [string, string] {
  if (!s || s.n === 0 || !Number.isFinite(s.mean)) return ['–', ''];
  const hw = halfWidth(s);
  const d = decimalsFor(s.mean, hw);
  return [s.mean.toFixed(d), hw === null ? '' : `± ${hw.toFixed(d)}`];
}

/** A cell's axis values as "path=value path=value" (or "(single cell)"). */
export function cellWhere(cell: Pick<CellSummary, 'values'>): string {
  return (
    Object.entries(cell.values)
      .map(([k, v]) => `${displayText(k)}=${typeof v === 'string' ? displayText(v) : v}`)
      .join(' ') || '(single cell)'
  );
}

/** The fraction of a policy's fleet runs with a growing queue (the run metric `unstable`), when recorded. */
function unstableFraction(metrics: Record<string, StatSummary | null>): number | null {
  return meanOf(metrics, 'unstable');
}

/** A metric's mean over the cell's fleet runs, null where no run defines it (or the summary lacks it: an older version's). */
function meanOf(metrics: Record<string, StatSummary | null>, metric: string): number | null {
  const s = metrics[metric];
  return s && s.n > 0 && Number.isFinite(s.mean) ? s.mean : null;
}

/**
 * The two §4.7 metrics the summary shows beside latency and throughput (the others, and every CI, are
 * in summary.json and cells.csv): Jain's fairness index of served/arrived (mean, 3 decimals; `–`
 * where undefined) and the fraction of agent-steps below the minimum share (mean, in percent).
 */
const POLICY_COLUMNS = [
  { metric: 'jainIndex', title: 'Jain', text: (x: number): string => x.toFixed(3) },
  { metric: 'minViolationFraction', title: 'below min share', text: (x: number): string => `${formatPercent(x)} %` },
] as const;

/** The serverless lifecycle's columns (means), shown when some shown cell has the lifecycle on (docs/serverless.md). */
const LIFECYCLE_COLUMNS = [
  { metric: 'coldDelay', title: 'cold delay (s)', text: (x: number): string => x.toPrecision(3) },
  { metric: 'coldStartsPerHour', title: 'cold starts/h', text: (x: number): string => x.toPrecision(3) },
  { metric: 'costResident', title: 'resident cost ($)', text: (x: number): string => x.toPrecision(3) },
] as const;

/**
 * The lines that say which policy wins a cell: the avgLatency verdicts of summary.json (their text,
 * verbatim) that involve the policy with the lowest mean avgLatency; without verdicts (a summary of
 * an older sweep), that policy and its paired win fractions.
 */
export function winnerLines(cell: CellSummary): string[] {
  const means = cell.policies.map((p) => ({ policy: p.policy, mean: p.metrics.avgLatency?.mean ?? NaN }));
  const best = means.filter((m) => Number.isFinite(m.mean)).sort((a, b) => a.mean - b.mean)[0]?.policy;
  if (best === undefined || cell.policies.length < 2) return [];
  const verdicts = (cell.verdicts ?? []).filter((v) => v.metric === 'avgLatency');
  if (verdicts.length > 0) return verdicts.filter((v) => v.a === best || v.b === best).map((v) => v.text);
  const wins = cell.pairs
    .filter((p) => p.a === best || p.b === best)
    .map((p) => {
      const mine = p.a === best ? p.aWinFraction : p.bWinFraction;
      return `${p.a === best ? p.b : p.a} in ${mine === null ? '–' : `${Math.round(100 * mine)} %`}`;
    });
  return [`lowest mean avgLatency: ${best}; its latency was lower than ${wins.join(', ')} of paired runs`];
}

/**
 * A workflow cell's policies by mean e2eLatency (the verdicts compare avgLatency, whose L_max for an
 * idle agent with no share can hide what a request through the graph sees): the lowest and the next,
 * each with its 95 % CI half-width. Means only: no paired difference is kept for this metric.
 */
export function e2eLine(cell: CellSummary): string[] {
  const ranked = cell.policies
    .map((p) => ({ policy: p.policy, stat: p.metrics.e2eLatency }))
    .filter((p) => p.stat && p.stat.n > 0 && Number.isFinite(p.stat.mean))
    .sort((a, b) => a.stat!.mean - b.stat!.mean);
  if (ranked.length < 2) return [];
  const text = (p: (typeof ranked)[number]): string => `${p.policy} (${estimate(p.stat).join(' ').trim()} s)`;
  return [`lowest mean e2eLatency: ${text(ranked[0]!)}; next: ${text(ranked[1]!)}`];
}

/**
 * Pads each column of `rows` to its widest entry: left-aligned text, right-aligned where `right[c]`;
 * columns joined by two spaces, or by `glue[c]` before column c (a mean and its "± half-width": one).
 */
export function alignRows(rows: readonly string[][], right: readonly boolean[], glue: readonly (string | undefined)[] = []): string[] {
  const widths: number[] = [];
  for (const row of rows) row.forEach((text, c) => (widths[c] = Math.max(widths[c] ?? 0, [...text].length)));
  return rows.map((row) =>
    row
      .map((text, c) => {
        const pad = ' '.repeat(widths[c]! - [...text].length);
        return (c === 0 ? '' : (glue[c] ?? '  ')) + (right[c] ? pad + text : text + pad);
      })
      .join('')
      .trimEnd(),
  );
}

export interface SummaryInput {
  dir: string;
  study: Study;
  times: SweepTimes;
  resumedUnits: number;
  summary: readonly CellSummary[];
}

/**
 * The summary printed after a sweep: timings and files, then per cell (up to `limit`) one row per
 * policy with mean ± 95 % CI half-width of avgLatency and throughput (and the fraction of unstable
 * fleet runs, when recorded; the means of jainIndex and minViolationFraction, when the summary has
 * them), under it the winner and the cell's warnings, then the commands.
 */
export function sweepSummary(outcome: SummaryInput, engine: Pick<Engine, 'name' | 'adapter'>, limit = SUMMARY_CELLS): string {
  const { study, times, summary } = outcome;
  const seconds = Math.max(times.totalSeconds, 1e-9);
  const lines = [
    `${times.fleetRuns} fleet runs in ${times.totalSeconds.toFixed(2)} s on ${engineText(engine)} (${(times.fleetRuns / seconds).toFixed(0)} fleet runs/s, engine ${((100 * times.engineSeconds) / seconds).toFixed(0)} % of the time)${outcome.resumedUnits > 0 ? `; resumed after ${plural(outcome.resumedUnits, 'unit')}` : ''}`,
    `results: ${displayPath(outcome.dir)}/{${FILES.summary}, ${FILES.cells}, ${FILES.manifest}${study.output.fleetRows ? `, ${FILES.fleets}/` : ''}}`,
    '',
  ];
  const shown = summary.slice(0, limit);
  const withUnstable = shown.some((c) => c.policies.some((p) => unstableFraction(p.metrics) !== null));
  // A §4.7 column when some shown cell has the metric (a summary of an older version has none).
  const policyColumns = POLICY_COLUMNS.filter(({ metric }) => shown.some((c) => c.policies.some((p) => metric in p.metrics)));
  // The lifecycle's metrics are defined only with it on: their columns when a shown cell has one.
  const serverless = shown.some((c) => c.policies.some((p) => meanOf(p.metrics, 'costResident') !== null));
  const extra = [...policyColumns, ...(serverless ? LIFECYCLE_COLUMNS : [])];
  // A workflow's end-to-end latency (Little's law over the whole graph; docs/workflows.md) beside the per-agent mean.
  const e2e = study.workflow !== undefined;
  lines.push(
    `mean ± 95 % CI half-width over each cell’s fleet runs (lower avgLatency${e2e ? ' and e2eLatency' : ''} is better, higher throughput is better):`,
  );
  if (e2e)
    lines.push(
      "e2eLatency: a request's mean time from entering the workflow to leaving it, by Little's law (requests queued or in flight between agents over the external arrival rate; each hop takes at least one step)",
    );
  if (policyColumns.length > 0)
    lines.push(
      'Jain: mean fairness index of served/arrived across agents (1: equal; higher is better); below min share: mean fraction of agent-steps with demand under R·G (lower is better)',
    );
  if (serverless)
    lines.push(
      'cold delay: mean load time ahead of a request when it arrived (every request counted); cold starts/h: loads begun per hour; resident cost: $ while any model is on the GPU (per-second billing); all lower is better (docs/serverless.md)',
    );
  const header = [
    'cell',
    'values',
    'policy',
    'avgLatency (s)',
    '',
    'throughput (req/s)',
    '',
    ...(e2e ? ['e2eLatency (s)', ''] : []),
    ...(withUnstable ? ['unstable runs'] : []),
    ...extra.map((e) => e.title),
  ];
  const estimates = e2e ? 3 : 2; // columns of "mean" "± half-width" pairs after the policy
  const right = [
    true,
    false,
    false,
    ...Array.from({ length: estimates }, () => [true, false]).flat(),
    ...header.slice(3 + 2 * estimates).map(() => true),
  ];
  const glue = [undefined, undefined, undefined, ...Array.from({ length: estimates }, () => [undefined, ' ']).flat()];
  const rows: string[][] = [header];
  const notes = new Map<number, string[]>(); // row index → the lines under it (winner, warnings)
  for (const cell of shown) {
    cell.policies.forEach((p, k) => {
      const u = unstableFraction(p.metrics);
      rows.push([
        k === 0 ? String(cell.cell) : '',
        k === 0 ? cellWhere(cell) : '',
        p.policy,
        ...estimate(p.metrics.avgLatency),
        ...estimate(p.metrics.throughput),
        ...(e2e ? estimate(p.metrics.e2eLatency) : []),
        ...(withUnstable ? [u === null ? '–' : `${(100 * u).toFixed(0)} %`] : []),
        ...extra.map(({ metric, text }) => {
          const mean = meanOf(p.metrics, metric);
          return mean === null ? '–' : text(mean);
        }),
      ]);
    });
    const under = [
      ...winnerLines(cell).map((t) => `winner: ${t}`),
      ...(e2e ? e2eLine(cell) : []),
      ...(cell.warnings ?? []).map((w) => `WARNING: ${w}`),
    ];
    if (under.length > 0) notes.set(rows.length - 1, under);
  }
  const aligned = alignRows(rows, right, glue);
  // The notes are indented under the policy column, so a cell's block reads as one.
  const indent = ' '.repeat(aligned[0]!.indexOf('policy'));
  aligned.forEach((line, r) => {
    lines.push(`  ${line}`);
    for (const note of notes.get(r) ?? []) lines.push(`  ${indent}${note}`);
  });
  if (summary.length > shown.length)
    lines.push(
      `  … ${summary.length - shown.length} more cells: ${FILES.cells} / ${FILES.summary} in ${displayPath(outcome.dir)}, or \`fleetsim report ${shellPath(outcome.dir)}\``,
    );
  lines.push('', 'to look at the results:', ...openCommands(outcome.dir));
  return lines.join('\n');
}
