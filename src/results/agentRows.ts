/**
 * The per-agent rows of a sweep, agents/unit-*.arrow: one row per agent-run (fleet run × policy ×
 * agent), with the cell's axis values, the fleet's sample and replicate, the policy, the agent's index
 * and name, and its latency, throughput, share, final queue, stability (load, drift, unstable;
 * src/model/stability.ts) and rates (visitRate γ̂: every arrival, external and routed, per second;
 * externalRate: the external ones; equal without a workflow). Written beside fleets/unit-*.arrow, under the same byte-determinism rules
 * (fleetRows.ts), and read back here by the page and the tests. Browser-safe.
 *
 * `agentName` is the agent's name in a fixed fleet (the paper's, or `fleet.agents`; `agent i` when
 * unnamed) and null in a random fleet, whose agent i is another agent in every sample: the page
 * summarises per agent only the rows with a name, as the CLI does for fixed fleets only.
 *
 * @example
 *   const { from, to } = unitFleetRunRanges(done)[0]!; // the batch's first unit (src/sweep/run.ts)
 *   const bytes = tableToIPC(agentRowsTable(done, cells, axes, from, to, hash), 'file');
 *   const rows = parseAgentArrow(bytes, 'unit-00000000.arrow'); // pandas: pd.read_feather(path)
 */
import { Dictionary, Int32, makeVector, Table, Utf8, type Vector, vectorFromArray } from 'apache-arrow';
import type { Cell } from '../study/cells.js';
import { agentRunValues, fixedFleetNames } from '../sweep/aggregate.js';
import type { BatchDone } from '../sweep/run.js';
import { AGENT_LIFECYCLE_METRICS, AGENT_ROW_FIELDS, AGENT_ROW_METRICS, LATE_AGENT_ROW_METRICS } from './columns.js';
import { InputError } from './errors.js';
import { concatRowParts, openRowTable, STUDY_HASH_KEY } from './fleetRows.js';

export type AgentRowMetric = (typeof AGENT_ROW_METRICS)[number];

/** Per-agent rows, columnar. */
export interface AgentRows {
  count: number;
  studyHash: string; // '' when unknown (page runs)
  axes: { name: string; values: (number | string)[] }[]; // per row
  cell: Uint32Array;
  sample: Uint32Array;
  replicate: Uint32Array;
  policy: string[];
  agent: Uint32Array;
  agentName: (string | null)[]; // null: an agent of a random fleet
  metrics: Record<AgentRowMetric, Float64Array>;
}

/**
 * The rows of a batch's fleet runs `from` to `to` (exclusive; one unit's: fleetRowsTable), in the
 * batch's run order (fleet run-major, policies adjacent) and agent order within a run.
 */
export function agentRowsFromBatch(
  done: BatchDone,
  cells: ReadonlyMap<number, Cell>,
  axes: readonly string[],
  from = 0,
  to = done.fleetCell.length * done.replicates,
): AgentRows {
  const { replicates, replicateBegin, policies, result, batch } = done;
  const P = policies.length;
  const { totals } = result;
  let count = 0;
  for (let k = from; k < to; k++) count += done.fleetAgents[Math.floor(k / replicates)]! * P;
  const rows: AgentRows = {
    count,
    studyHash: '',
    axes: axes.map((name) => ({ name, values: new Array<number | string>(count) })),
    cell: new Uint32Array(count),
    sample: new Uint32Array(count),
    replicate: new Uint32Array(count),
    policy: new Array<string>(count),
    agent: new Uint32Array(count),
    agentName: new Array<string | null>(count),
    metrics: Object.fromEntries(AGENT_ROW_METRICS.map((m) => [m, new Float64Array(count)])) as Record<AgentRowMetric, Float64Array>,
  };
  const names = new Map<number, string[] | null>(); // per cell
  let at = 0;
  for (let k = from; k < to; k++) {
    const f = Math.floor(k / replicates);
    const cellIndex = done.fleetCell[f]!;
    const cell = cells.get(cellIndex)!;
    if (!names.has(cellIndex)) names.set(cellIndex, fixedFleetNames(cell.study));
    const fleetNames = names.get(cellIndex)!;
    for (let p = 0; p < P; p++) {
      const r = k * P + p;
      for (let i = 0; i < totals.agentCount[r]!; i++, at++) {
        rows.cell[at] = cellIndex;
        rows.sample[at] = done.fleetSample[f]!;
        rows.replicate[at] = replicateBegin + (k % replicates);
        rows.policy[at] = policies[p]!;
        rows.agent[at] = i;
        rows.agentName[at] = fleetNames === null ? null : (fleetNames[i] ?? `agent ${i}`);
        rows.axes.forEach((axis, a) => (axis.values[at] = cell.values[a]!));
        const values = agentRunValues(batch, result, r, i);
        for (const m of AGENT_ROW_METRICS) rows.metrics[m][at] = values[m];
      }
    }
  }
  return rows;
}

/**
 * The Arrow table of a batch's per-agent rows of fleet runs `from` to `to` (one unit's). As in
 * fleetRowsTable, string columns are dictionaries with fixed ids (the column's position) holding only
 * the unit's values, so the bytes depend only on the unit's rows.
 */
export function agentRowsTable(
  done: BatchDone,
  cells: ReadonlyMap<number, Cell>,
  axes: readonly string[],
  from = 0,
  to = done.fleetCell.length * done.replicates,
  studyHash?: string,
): Table {
  const rows = agentRowsFromBatch(done, cells, axes, from, to);
  const columns: [string, Vector][] = [];
  const strings = (values: (string | null)[]): Vector =>
    vectorFromArray(values, new Dictionary(new Utf8(), new Int32(), columns.length));
  for (const axis of rows.axes) {
    columns.push([
      axis.name,
      axis.values.every((v) => typeof v === 'number')
        ? makeVector(Float64Array.from(axis.values, Number))
        : strings(axis.values.map(String)),
    ]);
  }
  columns.push(['cell', makeVector(rows.cell)], ['sample', makeVector(rows.sample)], ['replicate', makeVector(rows.replicate)]);
  columns.push(['policy', strings(rows.policy)]);
  columns.push(['agent', makeVector(Uint16Array.from(rows.agent))]); // at most MAX_AGENTS_PER_FLEET = 4,096
  columns.push(['agentName', strings(rows.agentName)]);
  for (const m of AGENT_ROW_METRICS) columns.push([m, makeVector(rows.metrics[m])]);
  const table = new Table(Object.fromEntries(columns)); // own properties: an axis named __proto__ stays a column
  if (studyHash !== undefined) table.schema.metadata.set(STUDY_HASH_KEY, studyHash);
  return table;
}

const AGENT_ROW_FIELD_SET: ReadonlySet<string> = new Set(AGENT_ROW_FIELDS);
/** Metrics that may be non-finite: load (Infinity: arrivals and no share), drift and unstable (NaN: a run too short to test). */
const NON_FINITE_ALLOWED: ReadonlySet<string> = new Set(['load', 'drift', 'unstable']);
/**
 * The lifecycle's, NaN (never infinite) with the lifecycle off, and the per-request ones without
 * arrivals; the agent's gpu, NaN in a pool of GPUs (src/model/pool.ts: an agent has no GPU of its own).
 */
const NAN_ALLOWED: ReadonlySet<string> = new Set([...AGENT_LIFECYCLE_METRICS, 'gpu']);

/** One agents/unit-*.arrow file → its rows; refuses foreign tables (a per-fleet file among them). */
export function parseAgentArrow(bytes: Uint8Array, name: string): AgentRows {
  const { table, count, studyHash, axes, numbers } = openRowTable(
    bytes,
    name,
    'per-agent',
    [...AGENT_ROW_FIELDS, ...AGENT_ROW_METRICS.filter((m) => !LATE_AGENT_ROW_METRICS.includes(m))],
    AGENT_ROW_FIELD_SET,
    (column, v) => (NON_FINITE_ALLOWED.has(column) && (Number.isNaN(v) || v === Infinity)) || (NAN_ALLOWED.has(column) && Number.isNaN(v)),
  );
  const columns = new Set(table.schema.fields.map((f) => f.name));
  // A column added after files were first written (the workflow's rates): NaN where an older file lacks it.
  const metric = (m: string): Float64Array => (columns.has(m) ? numbers(m) : new Float64Array(count).fill(NaN));
  const text = (column: string): (string | null)[] => {
    const vector = table.getChild(column)!;
    return Array.from({ length: count }, (_, r) => {
      const v = vector.get(r) as string | null | undefined; // a dictionary of Utf8: strings, or null
      return v === null || v === undefined ? null : String(v);
    });
  };
  const policy = text('policy');
  const missingPolicy = policy.indexOf(null);
  if (missingPolicy >= 0) throw new InputError(`${name}: row ${missingPolicy}, column policy: empty`);
  return {
    count,
    studyHash,
    axes,
    cell: Uint32Array.from(numbers('cell')),
    sample: Uint32Array.from(numbers('sample')),
    replicate: Uint32Array.from(numbers('replicate')),
    policy: policy as string[],
    agent: Uint32Array.from(numbers('agent')),
    agentName: text('agentName'),
    metrics: Object.fromEntries(AGENT_ROW_METRICS.map((m) => [m, metric(m)])) as Record<AgentRowMetric, Float64Array>,
  };
}

/** Several files' rows as one (files of one sweep: same axes and study). */
export function concatAgentRows(parts: readonly { name: string; rows: AgentRows }[]): AgentRows {
  const { count, studyHash, axes, cat } = concatRowParts(parts, 'per-agent');
  return {
    count,
    studyHash,
    axes,
    cell: cat(Uint32Array, (r) => r.cell),
    sample: cat(Uint32Array, (r) => r.sample),
    replicate: cat(Uint32Array, (r) => r.replicate),
    policy: parts.flatMap((p) => p.rows.policy),
    agent: cat(Uint32Array, (r) => r.agent),
    agentName: parts.flatMap((p) => p.rows.agentName),
    metrics: Object.fromEntries(AGENT_ROW_METRICS.map((m) => [m, cat(Float64Array, (r) => r.metrics[m])])) as Record<AgentRowMetric, Float64Array>,
  };
}
