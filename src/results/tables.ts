/**
 * summary.json, a sweep's result table: per cell and policy the statistics of every metric, and the
 * policy pairs. Built in memory and read back here, by the CLI and the page alike (browser-safe;
 * src/results/write.ts writes the file; cells.csv, the same table flat, is in cellsCsv.ts). It holds
 * no timing or machine facts (those live in manifest.json), so a sharded-and-merged sweep gives
 * byte-identical tables to an unsharded one.
 *
 * @example
 *   const text = summaryText(summaryTable(meta, aggregate.summary(cells, axes)));
 *   const table = parseSummaryJson(text, 'summary.json'); // the same table, validated
 */
import { z } from 'zod';
import { formatIssues } from '../study/problems.js';
import { AGENT_METRICS, type AgentMetric, type CellSummary, LATE_AGENT_METRICS, SWEEP_METRICS } from '../sweep/aggregate.js';
import { CHECKPOINT_FORMAT } from './checkpoint.js';
import { InputError } from './errors.js';
import { MANIFEST_FORMAT } from './manifest.js';
import { JsonTextError, parseJsonText } from '../text/json.js';

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

/** The file's text: indented, one trailing newline. */
export function summaryText(table: SummaryTable): string {
  return `${JSON.stringify(table, null, 2)}\n`;
}

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
const fraction = z.number().min(0).max(1);
const VerdictSchema = z.object({
  a: z.string(),
  b: z.string(),
  metric: z.string(),
  better: z.enum(['lower', 'higher']),
  unit: z.string(),
  n: z.int().nonnegative(),
  aWins: z.int().nonnegative(),
  bWins: z.int().nonnegative(),
  ties: z.int().nonnegative(),
  difference: StatSummarySchema.nullable(),
  winner: z.string().nullable(),
  winnerWins: z.int().nonnegative().nullable(),
  winFraction: fraction.nullable(),
  winFractionCi95: z.tuple([fraction, fraction]).nullable(),
  relativeChange: finite.nullable(),
  unstable: z.boolean(),
  text: z.string(),
});
const AgentStatsSchema = z.object({
  policy: z.string(),
  agents: z.array(
    z.object({
      agent: z.int().nonnegative(),
      name: z.string(),
      // A metric added later (LATE_AGENT_METRICS) is absent from an older version's summary: null, no statistics.
      metrics: z.object(
        Object.fromEntries(
          AGENT_METRICS.map((m) => [m, LATE_AGENT_METRICS.has(m) ? StatSummarySchema.nullable().default(null) : StatSummarySchema.nullable()]),
        ) as Record<AgentMetric, z.ZodNullable<typeof StatSummarySchema>>,
      ),
    }),
  ),
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
      agents: z.array(AgentStatsSchema).exactOptional(), // fixed fleets only
      // Absent from the summaries of older versions: none to show.
      verdicts: z.array(VerdictSchema).default([]),
      warnings: z.array(z.string()).default([]),
    }),
  ),
});

/** Parses JSON text strictly (src/text/json.ts: BOM, depth, duplicate keys); a problem names the file. */
function parseJson(text: string, name: string): unknown {
  try {
    return parseJsonText(text, name);
  } catch (error) {
    if (!(error instanceof JsonTextError)) throw error;
    const [first, ...rest] = error.problems;
    throw new InputError(`${first ?? `${name}: not valid JSON`}${rest.length > 0 ? ` (and ${rest.length} more problems)` : ''}`);
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
  if (format === MANIFEST_FORMAT)
    return new InputError(`${name}: this is a sweep's manifest.json; open summary.json of the same directory`);
  if (typeof format === 'string' && format.startsWith(CHECKPOINT_FORMAT.replace(/\d+$/, '')))
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

