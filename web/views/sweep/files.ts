/**
 * Reading the result files of `fleetsim sweep` in the page: which kind a file is and whether the page
 * reads it (size limits), summary.json and cells.csv; the per-fleet Arrow files are in fleetRows.ts. Pure functions of a file's name and bytes, no DOM, so vitest runs
 * them in Node (test/web-sweep.test.ts). Every problem is an InputError whose message names the
 * file and what is wrong with it; the view shows it as text and keeps what it had loaded.
 *
 * Everything becomes one in-page model, the SummaryTable of src/results/tables.ts (what the CLI writes
 * to summary.json), plus the per-fleet rows when Arrow files were opened.
 *
 * @example
 *   const table = parseSummaryJson(await file.text(), file.name);
 */
import { z } from 'zod';
import type { StatSummary } from '../../../src/stats/index.js';
import { formatIssues } from '../../../src/study/problems.js';
import { type CellSummary, policyPairs } from '../../../src/sweep/aggregate.js';
import { SUMMARY_FORMAT, type SummaryTable } from '../../../src/results/tables.js';

/** A file the page cannot use; the message names the file and the problem. */
export class InputError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InputError';
  }
}

const MiB = 1024 * 1024;

/**
 * Largest file the page reads, by kind, checked on File.size before a byte is read: a browser tab has
 * a few GB at most, and JSON/CSV parse into several times their size. A sweep's summary.json is about
 * 16 kB per cell (100,000 cells, the study limit, would be ~1.6 GB: read those with pandas instead).
 */
export const MAX_BYTES = { json: 64 * MiB, csv: 64 * MiB, arrow: 256 * MiB, study: 1 * MiB } as const;

export type FileKind = 'summary' | 'csv' | 'arrow' | 'parquet' | 'manifest' | 'checkpoint' | 'json' | 'unknown';

/** What a file is, from its name (the content is checked when it is parsed). */
export function fileKind(name: string): FileKind {
  const lower = name.toLowerCase();
  if (lower.endsWith('manifest.json')) return 'manifest';
  if (lower.endsWith('checkpoint.json')) return 'checkpoint';
  if (lower.endsWith('summary.json')) return 'summary';
  if (lower.endsWith('.json')) return 'json';
  if (lower.endsWith('.csv')) return 'csv';
  if (lower.endsWith('.arrow') || lower.endsWith('.feather') || lower.endsWith('.ipc')) return 'arrow';
  if (lower.endsWith('.parquet')) return 'parquet';
  return 'unknown';
}

export function formatBytes(bytes: number): string {
  if (bytes >= 1024 * MiB) return `${(bytes / (1024 * MiB)).toFixed(1)} GB`;
  if (bytes >= MiB) return `${(bytes / MiB).toFixed(1)} MB`;
  if (bytes >= 1024) return `${(bytes / 1024).toFixed(1)} kB`;
  return `${bytes} bytes`;
}

/** Refuses a file before reading it: an unknown kind, Parquet, a file over the size limit. */
export function checkFile(name: string, size: number): FileKind {
  const kind = fileKind(name);
  switch (kind) {
    case 'unknown':
      throw new InputError(`${name}: not a sweep result file (the page opens summary.json, cells.csv and fleets/unit-*.arrow)`);
    case 'parquet':
      throw new InputError(
        `${name}: Parquet is not supported in the page (no Parquet reader is bundled); open the sweep's fleets/unit-*.arrow files instead`,
      );
    case 'manifest':
      throw new InputError(
        `${name}: manifest.json holds no statistics; open summary.json, cells.csv or fleets/unit-*.arrow of the same directory`,
      );
    case 'checkpoint':
      throw new InputError(`${name}: checkpoint.json is the sweep's resume state; open summary.json (or cells.csv) of the same directory`);
  }
  const limit = kind === 'csv' ? MAX_BYTES.csv : kind === 'arrow' ? MAX_BYTES.arrow : MAX_BYTES.json;
  if (size > limit) {
    throw new InputError(
      `${name}: ${formatBytes(size)} is too large for the page (at most ${formatBytes(limit)} for this kind of file); nothing was read`,
    );
  }
  return kind;
}

// ---- summary.json ----------------------------------------------------------------------------------

const finite = z.number(); // zod rejects Infinity and NaN: JSON's 1e400 parses to Infinity
const StatSummarySchema = z.object({
  n: z.int().nonnegative(),
  mean: finite,
  std: finite.nullable(),
  ci95: z.tuple([finite.nullable(), finite.nullable()]),
  min: finite,
  max: finite,
  p50: finite,
  p90: finite,
  p99: finite,
});
const PairSchema = z.object({
  a: z.string(),
  b: z.string(),
  n: z.int().nonnegative(),
  aWins: z.int().nonnegative(),
  bWins: z.int().nonnegative(),
  ties: z.int().nonnegative(),
  aWinFraction: finite.nullable(),
  bWinFraction: finite.nullable(),
  latencyChange: StatSummarySchema.nullable(),
  undefinedChange: z.int().nonnegative(),
});
const AxisValueSchema = z.union([finite, z.string()]);
const SummarySchema = z.object({
  format: z.literal(SUMMARY_FORMAT),
  study: z.string(),
  studyHash: z.string(),
  seed: finite,
  axes: z.array(z.object({ name: z.string(), values: z.array(AxisValueSchema).min(1) })),
  policies: z.array(z.string()).min(1),
  metrics: z.array(z.string()),
  quantiles: z.string(),
  cells: z.array(
    z.object({
      cell: z.int().nonnegative(),
      values: z.record(z.string(), AxisValueSchema),
      fleetRuns: z.int().nonnegative(),
      policies: z.array(z.object({ policy: z.string(), metrics: z.record(z.string(), StatSummarySchema.nullable()) })),
      pairs: z.array(PairSchema),
    }),
  ),
});

/** Parses JSON text; a syntax error names the file. */
function parseJson(text: string, name: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    throw new InputError(`${name}: not valid JSON (${(error as Error).message})`);
  }
}

/** What a JSON document that is not a summary looks like, for the message. */
function foreignJson(json: unknown, name: string): InputError | null {
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    return new InputError(
      `${name}: not a fleetsim summary.json (the document is ${Array.isArray(json) ? 'an array' : typeof json}, not an object)`,
    );
  }
  const format = (json as { format?: unknown }).format;
  if (format === SUMMARY_FORMAT) return null;
  if (format === 'fleetsim-manifest/1')
    return new InputError(`${name}: this is a sweep's manifest.json; open summary.json of the same directory`);
  if (format === 'fleetsim-checkpoint/1')
    return new InputError(`${name}: this is a sweep's checkpoint.json; open summary.json of the same directory`);
  if ('fleet' in json && 'name' in json)
    return new InputError(`${name}: this looks like a study file; paste it into the study editor below to run it`);
  const shown = typeof format === 'string' ? `format "${format.slice(0, 40)}"` : 'no "format" field';
  return new InputError(`${name}: not a fleetsim summary.json (${shown}; expected "${SUMMARY_FORMAT}")`);
}

/** summary.json → the table, validated (shape, finite numbers, cells consistent with the axes). */
export function parseSummaryJson(text: string, name: string): SummaryTable {
  const json = parseJson(text, name);
  const foreign = foreignJson(json, name);
  if (foreign) throw foreign;
  const parsed = SummarySchema.safeParse(json, { reportInput: true });
  if (!parsed.success) {
    const lines = formatIssues(parsed.error.issues);
    throw new InputError(`${name}: ${lines.slice(0, 3).join('; ')}${lines.length > 3 ? ` (and ${lines.length - 3} more)` : ''}`);
  }
  const table = parsed.data;
  checkConsistent(table, name);
  return table;
}

/** Every cell has a value on every axis and statistics for every policy. */
function checkConsistent(table: SummaryTable, name: string): void {
  table.cells.forEach((cell, i) => {
    for (const axis of table.axes) {
      if (!(axis.name in cell.values)) throw new InputError(`${name}: cells[${i}].values: no value for the axis ${axis.name}`);
    }
    const names = cell.policies.map((p) => p.policy).join(',');
    if (names !== table.policies.join(',')) {
      throw new InputError(`${name}: cells[${i}].policies: ${names || 'none'}, but the table's policies are ${table.policies.join(',')}`);
    }
  });
}

// ---- cells.csv -------------------------------------------------------------------------------------

/** RFC 4180 records (quoted fields may hold commas, quotes and line breaks); each with its line number. */
export function csvRecords(text: string): { line: number; fields: string[] }[] {
  const records: { line: number; fields: string[] }[] = [];
  let fields: string[] = [];
  let field = '';
  let quoted = false;
  let line = 1;
  let start = 1;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (c === '"') quoted = false;
      else {
        if (c === '\n') line++;
        field += c;
      }
    } else if (c === '"' && field === '') quoted = true;
    else if (c === ',') {
      fields.push(field);
      field = '';
    } else if (c === '\n' || c === '\r') {
      if (c === '\r' && text[i + 1] === '\n') i++;
      fields.push(field);
      if (!(fields.length === 1 && fields[0] === '')) records.push({ line: start, fields });
      fields = [];
      field = '';
      line++;
      start = line;
    } else field += c;
  }
  if (quoted) throw new InputError(`a quoted field that starts on line ${start} is never closed`);
  if (field !== '' || fields.length > 0) {
    fields.push(field);
    records.push({ line: start, fields });
  }
  return records;
}

const STAT_COLUMNS = ['mean', 'std', 'ci95Low', 'ci95High', 'min', 'max', 'p50', 'p90', 'p99'] as const;

/** A CSV number: '' is null; anything not a finite number (text, 1e999) is a problem at its line and column. */
function csvNumber(text: string, where: () => string): number | null {
  if (text === '') return null;
  const value = Number(text);
  if (text.trim() === '' || Number.isNaN(value)) throw new InputError(`${where()}: "${text.slice(0, 40)}" is not a number`);
  if (!Number.isFinite(value)) throw new InputError(`${where()}: ${text.slice(0, 40)} overflows (not a finite number)`);
  return value;
}

/**
 * cells.csv → the table. The columns are the CLI's: `cell`, the axes, `policy`, `fleetRuns`,
 * `<metric>_<stat>`, `winFraction_vs_<policy>`. The pairs get their win fractions from the last
 * columns; cells.csv has no latency-change statistics (summary.json and the Arrow rows do).
 */
export function parseCellsCsv(text: string, name: string): SummaryTable {
  let records: { line: number; fields: string[] }[];
  try {
    records = csvRecords(text.replace(/^\uFEFF/, ''));
  } catch (error) {
    throw new InputError(`${name}: ${(error as Error).message}`);
  }
  const header = records[0]?.fields ?? [];
  const cellAt = header.indexOf('cell');
  const policyAt = header.indexOf('policy');
  const runsAt = header.indexOf('fleetRuns');
  const metrics = header.filter((h) => h.endsWith('_mean')).map((h) => h.slice(0, -'_mean'.length));
  const missing = [
    cellAt < 0 ? 'cell' : '',
    policyAt < 0 ? 'policy' : '',
    runsAt < 0 ? 'fleetRuns' : '',
    metrics.length === 0 ? '<metric>_mean' : '',
  ].filter((m) => m !== '');
  for (const m of metrics) for (const s of STAT_COLUMNS) if (!header.includes(`${m}_${s}`)) missing.push(`${m}_${s}`);
  if (missing.length > 0 || policyAt < cellAt) {
    const found = header
      .slice(0, 6)
      .map((h) => h.slice(0, 30))
      .join(', ');
    throw new InputError(
      `${name}: not a fleetsim cells.csv: missing column(s) ${missing.slice(0, 4).join(', ') || 'cell before policy'}${missing.length > 4 ? '…' : ''} (its columns begin: ${found || 'nothing'})`,
    );
  }
  const axisNames = header.slice(cellAt + 1, policyAt);
  const winColumns = header.map((h, i) => [h, i] as const).filter(([h]) => h.startsWith('winFraction_vs_'));
  const rows = records.slice(1);
  if (rows.length === 0) throw new InputError(`${name}: the header has no rows under it`);

  const policies: string[] = [];
  const axisValues = axisNames.map(() => [] as (number | string)[]);
  const cells = new Map<number, CellSummary>();
  const wins = new Map<number, Map<string, Map<string, number | null>>>(); // cell → policy → other → fraction
  for (const { line, fields } of rows) {
    if (fields.length !== header.length)
      throw new InputError(`${name}: line ${line} has ${fields.length} fields, the header has ${header.length}`);
    const at = (column: number) => () => `${name}: line ${line}, column ${header[column]}`;
    const need = (column: number): number => {
      const v = csvNumber(fields[column]!, at(column));
      if (v === null) throw new InputError(`${at(column)()}: empty`);
      return v;
    };
    const index = need(cellAt);
    const runs = need(runsAt);
    if (!Number.isSafeInteger(index) || index < 0) throw new InputError(`${at(cellAt)()}: ${index} is not a cell number`);
    if (!Number.isSafeInteger(runs) || runs < 0) throw new InputError(`${at(runsAt)()}: ${runs} is not a count of fleet runs`);
    const policy = fields[policyAt]!;
    if (policy === '') throw new InputError(`${at(policyAt)()}: empty`);
    if (!policies.includes(policy)) policies.push(policy);
    let cell = cells.get(index);
    if (!cell) {
      const values: Record<string, number | string> = {};
      axisNames.forEach((axis, a) => {
        const raw = fields[cellAt + 1 + a]!;
        const number = raw.trim() !== '' && Number.isFinite(Number(raw)) ? Number(raw) : raw;
        values[axis] = number;
        if (!axisValues[a]!.includes(number)) axisValues[a]!.push(number);
      });
      cell = { cell: index, values, fleetRuns: runs, policies: [], pairs: [] };
      cells.set(index, cell);
      wins.set(index, new Map());
    }
    if (cell.policies.some((p) => p.policy === policy))
      throw new InputError(`${name}: line ${line}: cell ${index} has the policy ${policy} twice`);
    const stats: Record<string, StatSummary | null> = {};
    for (const m of metrics) {
      const v = STAT_COLUMNS.map((s) => {
        const column = header.indexOf(`${m}_${s}`);
        return csvNumber(fields[column]!, at(column));
      });
      const [mean, std, lo, hi, min, max, p50, p90, p99] = v;
      stats[m] =
        mean === null || mean === undefined
          ? null
          : {
              n: runs,
              mean,
              std: std ?? null,
              ci95: [lo ?? null, hi ?? null],
              min: min ?? mean,
              max: max ?? mean,
              p50: p50 ?? mean,
              p90: p90 ?? mean,
              p99: p99 ?? mean,
            };
    }
    cell.policies.push({ policy, metrics: stats });
    wins.get(index)!.set(policy, new Map(winColumns.map(([h, i]) => [h.slice('winFraction_vs_'.length), csvNumber(fields[i]!, at(i))])));
  }
  for (const cell of cells.values()) {
    const byPolicy = wins.get(cell.cell)!;
    cell.pairs = policyPairs(policies).flatMap(([a, b]) => {
      const aw = byPolicy.get(a)?.get(b) ?? null;
      const bw = byPolicy.get(b)?.get(a) ?? null;
      if (aw === null && bw === null) return [];
      const n = cell.fleetRuns;
      const aWins = Math.round((aw ?? 0) * n);
      const bWins = Math.round((bw ?? 0) * n);
      return [
        {
          a,
          b,
          n,
          aWins,
          bWins,
          ties: Math.max(0, n - aWins - bWins),
          aWinFraction: aw,
          bWinFraction: bw,
          latencyChange: null,
          undefinedChange: 0,
        },
      ];
    });
  }
  return {
    format: SUMMARY_FORMAT,
    study: name.replace(/\.csv$/i, ''),
    studyHash: '',
    seed: 0,
    axes: axisNames.map((axis, a) => ({ name: axis, values: axisValues[a]! })),
    policies,
    metrics,
    quantiles: '',
    cells: [...cells.values()].sort((x, y) => x.cell - y.cell),
  };
}
