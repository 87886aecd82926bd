/**
 * The per-fleet rows of a sweep, fleets/unit-*.arrow: one row per fleet run and policy, with the cell's
 * axis values, the fleet's sample and replicate, its size and nominal load factor, and every per-run
 * metric. pandas (pyarrow), polars (`pl.read_ipc`) and DuckDB read the files directly. Made from a
 * batch (as an Arrow table for the CLI's files, or columnar for the page) and read back here, by the
 * page and the tests alike. Browser-safe: src/results/write.ts writes the bytes. Reading one row file
 * (openRowTable) and concatenating several (concatRowParts) live here too, shared with the per-agent
 * rows of agentRows.ts.
 *
 * @example
 *   const bytes = tableToIPC(fleetRowsTable(done, cells, study.axes.map(axisName)), 'file');
 *   const rows = parseFleetArrow(bytes, 'unit-00000000.arrow'); // = fleetRowsFromBatch(done, cells, axes)
 */
import { Dictionary, Int32, makeVector, Table, tableFromIPC, Utf8, type Vector, vectorFromArray } from 'apache-arrow';
import type { Cell } from '../study/cells.js';
import { SWEEP_METRICS } from '../sweep/aggregate.js';
import { OPTIONAL_METRICS, type RunMetric } from '../model/metrics.js';
import type { BatchDone } from '../sweep/run.js';
import { ROW_FIELDS } from './columns.js';
import { InputError } from './errors.js';

/**
 * The Arrow table of a batch's rows (fleet run-major, policies adjacent: crossRuns order), or of its
 * fleet runs `from` to `to` (exclusive; one unit's: src/sweep/run.ts unitFleetRunRanges; fleet run k
 * is fleet ⌊k / replicates⌋'s replicate replicateBegin + k mod replicates). The bytes of a unit's file
 * depend only on its rows: string columns are dictionaries with fixed ids (the column's position) and
 * hold only the unit's values, so a resumed, re-batched or merged sweep writes files byte-identical to
 * an uninterrupted run's (apache-arrow would otherwise number dictionaries from a process-wide counter).
 */
export function fleetRowsTable(
  done: BatchDone,
  cells: ReadonlyMap<number, Cell>,
  axes: readonly string[],
  from = 0,
  to = done.fleetCell.length * done.replicates,
  studyHash?: string,
): Table {
  const { replicates, replicateBegin, policies, result } = done;
  const P = policies.length;
  const first = from * P;
  const rows = (to - from) * P;
  const cell = new Uint32Array(rows);
  const sample = new Uint32Array(rows);
  const replicate = new Uint32Array(rows);
  const agents = new Uint16Array(rows);
  const load = new Float64Array(rows);
  const policy: string[] = new Array<string>(rows);
  const axisColumns = axes.map((name) => ({ path: name, values: new Array<number | string>(rows) }));
  for (let r = 0; r < rows; r++) {
    const k = from + Math.floor(r / P); // the fleet run
    const f = Math.floor(k / replicates);
    cell[r] = done.fleetCell[f]!;
    sample[r] = done.fleetSample[f]!;
    replicate[r] = replicateBegin + (k % replicates);
    agents[r] = done.fleetAgents[f]!;
    load[r] = done.fleetLoad[f]!;
    policy[r] = policies[r % P]!;
    const values = cells.get(done.fleetCell[f]!)!.values;
    axisColumns.forEach((c, a) => (c.values[r] = values[a]!));
  }
  // Columns in order as [name, vector] pairs; Object.fromEntries defines own properties, so an axis
  // named __proto__ stays a column.
  const columns: [string, Vector][] = [];
  const strings = (values: string[]): Vector => vectorFromArray(values, new Dictionary(new Utf8(), new Int32(), columns.length));
  for (const c of axisColumns) {
    columns.push([
      c.path,
      c.values.every((v) => typeof v === 'number') ? makeVector(Float64Array.from(c.values, Number)) : strings(c.values.map(String)),
    ]);
  }
  columns.push(['cell', makeVector(cell)], ['sample', makeVector(sample)], ['replicate', makeVector(replicate)]);
  columns.push(['policy', strings(policy)]);
  columns.push(['agents', makeVector(agents)], ['load', makeVector(load)]);
  for (const m of SWEEP_METRICS) columns.push([m, makeVector(result[m].slice(first, first + rows))]);
  const table = new Table(Object.fromEntries(columns));
  if (studyHash !== undefined) table.schema.metadata.set(STUDY_HASH_KEY, studyHash);
  return table;
}

/** The schema metadata key of the study's hash (the one summary.json and the manifest carry). */
export const STUDY_HASH_KEY = 'fleetsim.studyHash';

/** Per-fleet rows (one per fleet run and policy) from fleets/unit-*.arrow, columnar. */
export interface FleetRows {
  count: number;
  studyHash: string; // of the sweep that wrote the rows; '' when unknown (files of older versions, page runs)
  axes: { name: string; values: (number | string)[] }[]; // per row
  cell: Uint32Array;
  sample: Uint32Array;
  replicate: Uint32Array;
  policy: string[];
  metrics: Record<string, Float64Array>;
}

const FLEET_KEYS = ['cell', 'sample', 'replicate', 'policy', 'avgLatency'] as const;
const ROW_FIELD_SET: ReadonlySet<string> = new Set(ROW_FIELDS);

/**
 * The shared part of reading one sweep row file (per-fleet here, per-agent in agentRows.ts): the Arrow
 * table, refused in one line when it is not Arrow IPC or lacks a `required` column; its row count,
 * study hash (checked) and axis columns (those before `cell` that are not `rowFields`); and
 * `numbers(column)`, which reads a column as numbers, refusing a non-finite value unless
 * `nonFiniteAllowed(column, value)`.
 */
export function openRowTable(
  bytes: Uint8Array,
  name: string,
  kind: string,
  required: readonly string[],
  rowFields: ReadonlySet<string>,
  nonFiniteAllowed: (column: string, value: number) => boolean,
): {
  table: Table;
  count: number;
  studyHash: string;
  axes: { name: string; values: (number | string)[] }[];
  numbers: (column: string) => Float64Array;
} {
  let table: Table;
  try {
    table = tableFromIPC(bytes);
  } catch (error) {
    throw new InputError(`${name}: not an Arrow IPC file (${error instanceof Error ? error.message.slice(0, 120) : String(error)})`);
  }
  const columns = table.schema.fields.map((f) => f.name);
  const missing = required.filter((k) => !columns.includes(k));
  if (missing.length > 0) {
    throw new InputError(
      `${name}: not a fleetsim ${kind} file: missing column(s) ${missing.slice(0, 6).join(', ')} (its columns: ${columns.slice(0, 8).join(', ') || 'none'})`,
    );
  }
  const count = table.numRows;
  const numbers = (column: string): Float64Array => {
    const vector = table.getChild(column)!;
    const out = new Float64Array(count);
    for (let r = 0; r < count; r++) {
      const v = Number(vector.get(r));
      if (!Number.isFinite(v) && !nonFiniteAllowed(column, v))
        throw new InputError(`${name}: row ${r}, column ${column}: ${String(vector.get(r)).slice(0, 30)} is not a finite number`);
      out[r] = v;
    }
    return out;
  };
  const studyHash = table.schema.metadata.get(STUDY_HASH_KEY) ?? '';
  if (studyHash !== '' && !/^[0-9a-f]{64}$/.test(studyHash)) throw new InputError(`${name}: its study hash is not a SHA-256 in hex`);
  const axisNames = columns.slice(0, columns.indexOf('cell')).filter((c) => !rowFields.has(c));
  const axes = axisNames.map((axis) => {
    const vector = table.getChild(axis)!;
    return {
      name: axis,
      values: Array.from({ length: count }, (_, r) => {
        const v: unknown = vector.get(r);
        return typeof v === 'number' ? v : String(v);
      }),
    };
  });
  return { table, count, studyHash, axes, numbers };
}

/** One Arrow IPC file (file or stream format) → its rows; refuses foreign tables. */
export function parseFleetArrow(bytes: Uint8Array, name: string): FleetRows {
  // an undefined optional metric (an IDC without two windows) is NaN
  const { table, count, studyHash, axes, numbers } = openRowTable(
    bytes,
    name,
    'per-fleet',
    FLEET_KEYS,
    ROW_FIELD_SET,
    (column, v) => OPTIONAL_METRICS.has(column as RunMetric) && Number.isNaN(v),
  );
  const columns = table.schema.fields.map((f) => f.name);
  const metrics: Record<string, Float64Array> = {};
  for (const m of SWEEP_METRICS) if (columns.includes(m)) metrics[m] = numbers(m);
  const policyVector = table.getChild('policy')!;
  return {
    count,
    studyHash,
    axes,
    cell: Uint32Array.from(numbers('cell')),
    sample: Uint32Array.from(numbers('sample')),
    replicate: Uint32Array.from(numbers('replicate')),
    policy: Array.from({ length: count }, (_, r) => String(policyVector.get(r))),
    metrics,
  };
}

/** What concatenating row files needs of each: its size, its study hash and its axis columns. */
interface RowsPart {
  count: number;
  studyHash: string;
  axes: { name: string; values: (number | string)[] }[];
}

/**
 * The shared part of concatenating one sweep's row files (per-fleet here, per-agent in agentRows.ts):
 * refuses files whose columns (`columns` of each, beside its axes) or study hash differ, and returns
 * the common study hash, the row count, the concatenated axis columns, and `cat`, which concatenates
 * one typed column over the files in order.
 */
export function concatRowParts<R extends RowsPart>(
  parts: readonly { name: string; rows: R }[],
  kind: string,
  columns: (rows: R) => string = () => '',
): {
  count: number;
  studyHash: string;
  axes: RowsPart['axes'];
  cat: <T extends Uint32Array | Float64Array>(make: new (n: number) => T, pick: (r: R) => T) => T;
} {
  const first = parts[0]!.rows;
  const shape = (rows: R): string => `${rows.axes.map((a) => a.name).join(',')}|${columns(rows)}`;
  for (const { name, rows } of parts) {
    if (shape(rows) !== shape(first))
      throw new InputError(`${name}: its columns differ from ${parts[0]!.name}'s; ${kind} files of different sweeps cannot be opened together`);
  }
  const studyHash = parts.find((p) => p.rows.studyHash !== '')?.rows.studyHash ?? '';
  for (const { name, rows } of parts) {
    if (rows.studyHash !== '' && rows.studyHash !== studyHash)
      throw new InputError(`${name}: of another study than ${parts.find((p) => p.rows.studyHash === studyHash)!.name} (its study hash differs)`);
  }
  const count = parts.reduce((n, p) => n + p.rows.count, 0);
  const cat = <T extends Uint32Array | Float64Array>(make: new (n: number) => T, pick: (r: R) => T): T => {
    const out = new make(count);
    let at = 0;
    for (const { rows } of parts) {
      out.set(pick(rows), at);
      at += rows.count;
    }
    return out;
  };
  const axes = first.axes.map((a, i) => ({ name: a.name, values: parts.flatMap((p) => p.rows.axes[i]!.values) }));
  return { count, studyHash, axes, cat };
}

/** Several files' rows as one (their axes and metrics must agree: files of one sweep). */
export function concatFleetRows(parts: readonly { name: string; rows: FleetRows }[]): FleetRows {
  const first = parts[0]!.rows;
  const { count, studyHash, axes, cat } = concatRowParts(parts, 'per-fleet', (rows) => Object.keys(rows.metrics).join(','));
  return {
    count,
    studyHash,
    axes,
    cell: cat(Uint32Array, (r) => r.cell),
    sample: cat(Uint32Array, (r) => r.sample),
    replicate: cat(Uint32Array, (r) => r.replicate),
    policy: parts.flatMap((p) => p.rows.policy),
    metrics: Object.fromEntries(Object.keys(first.metrics).map((m) => [m, cat(Float64Array, (r) => r.metrics[m]!)])),
  };
}

/**
 * A batch's rows as the page keeps them, laid out like fleetRowsTable (fleet run-major, policies
 * adjacent), so page runs and opened Arrow files feed the same charts.
 */
export function fleetRowsFromBatch(done: BatchDone, cells: ReadonlyMap<number, Cell>, axes: readonly string[]): FleetRows {
  const { replicates, replicateBegin, policies, result } = done;
  const P = policies.length;
  const count = done.fleetCell.length * replicates * P;
  const rows: FleetRows = {
    count,
    studyHash: '',
    axes: axes.map((name) => ({ name, values: new Array<number | string>(count) })),
    cell: new Uint32Array(count),
    sample: new Uint32Array(count),
    replicate: new Uint32Array(count),
    policy: new Array<string>(count),
    metrics: Object.fromEntries(SWEEP_METRICS.map((m) => [m, result[m].slice(0, count)])),
  };
  for (let r = 0; r < count; r++) {
    const f = Math.floor(r / (replicates * P));
    rows.cell[r] = done.fleetCell[f]!;
    rows.sample[r] = done.fleetSample[f]!;
    rows.replicate[r] = replicateBegin + (Math.floor(r / P) % replicates);
    rows.policy[r] = policies[r % P]!;
    const values = cells.get(done.fleetCell[f]!)!.values;
    rows.axes.forEach((axis, a) => (axis.values[r] = values[a]!));
  }
  return rows;
}
