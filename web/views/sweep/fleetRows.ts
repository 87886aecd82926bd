/**
 * The per-fleet rows of a sweep (one per fleet run and policy): read from fleets/unit-*.arrow, joined,
 * made from a batch run in the page, and turned into the per-fleet latency changes and the summary
 * statistics (through the same src/stats accumulators as the CLI). Pure, no DOM: vitest runs it in Node.
 */
import { tableFromIPC } from 'apache-arrow';
import { PairAccumulator, StatAccumulator } from '../../../src/stats/index.js';
import { type CellSummary, policyPairs, SWEEP_METRICS } from '../../../src/sweep/aggregate.js';
import { SUMMARY_FORMAT, type SummaryTable } from '../../../src/results/tables.js';
import type { Cell } from '../../../src/study/cells.js';
import type { BatchDone } from '../../../src/sweep/run.js';
import { InputError } from './files.js';

/** Per-fleet rows (one per fleet run and policy) from fleets/unit-*.arrow, columnar. */
export interface FleetRows {
  count: number;
  axes: { name: string; values: (number | string)[] }[]; // per row
  cell: Uint32Array;
  sample: Uint32Array;
  replicate: Uint32Array;
  policy: string[];
  metrics: Record<string, Float64Array>;
}

const FLEET_KEYS = ['cell', 'sample', 'replicate', 'policy', 'avgLatency'] as const;
const ROW_FIELDS = new Set(['cell', 'sample', 'replicate', 'policy', 'agents', 'load']);

/** One Arrow IPC file (file or stream format) → its rows; refuses foreign tables. */
export function parseFleetArrow(bytes: Uint8Array, name: string): FleetRows {
  let table;
  try {
    table = tableFromIPC(bytes);
  } catch (error) {
    throw new InputError(`${name}: not an Arrow IPC file (${error instanceof Error ? error.message.slice(0, 120) : String(error)})`);
  }
  const columns = table.schema.fields.map((f) => f.name);
  const missing = FLEET_KEYS.filter((k) => !columns.includes(k));
  if (missing.length > 0) {
    throw new InputError(
      `${name}: not a fleetsim per-fleet file: missing column(s) ${missing.join(', ')} (its columns: ${columns.slice(0, 8).join(', ') || 'none'})`,
    );
  }
  const count = table.numRows;
  const numbers = (column: string): Float64Array => {
    const vector = table.getChild(column)!;
    const out = new Float64Array(count);
    for (let r = 0; r < count; r++) {
      const v = Number(vector.get(r));
      if (!Number.isFinite(v))
        throw new InputError(`${name}: row ${r}, column ${column}: ${String(vector.get(r)).slice(0, 30)} is not a finite number`);
      out[r] = v;
    }
    return out;
  };
  const axisNames = columns.slice(0, columns.indexOf('cell')).filter((c) => !ROW_FIELDS.has(c));
  const metrics: Record<string, Float64Array> = {};
  for (const m of SWEEP_METRICS) if (columns.includes(m)) metrics[m] = numbers(m);
  const policyVector = table.getChild('policy')!;
  return {
    count,
    axes: axisNames.map((axis) => {
      const vector = table.getChild(axis)!;
      return {
        name: axis,
        values: Array.from({ length: count }, (_, r) => {
          const v: unknown = vector.get(r);
          return typeof v === 'number' ? v : String(v);
        }),
      };
    }),
    cell: Uint32Array.from(numbers('cell')),
    sample: Uint32Array.from(numbers('sample')),
    replicate: Uint32Array.from(numbers('replicate')),
    policy: Array.from({ length: count }, (_, r) => String(policyVector.get(r))),
    metrics,
  };
}

/** Several files' rows as one (their axes and metrics must agree: files of one sweep). */
export function concatFleetRows(parts: readonly { name: string; rows: FleetRows }[]): FleetRows {
  const first = parts[0]!.rows;
  const axes = first.axes.map((a) => a.name).join(',');
  const metrics = Object.keys(first.metrics).join(',');
  for (const { name, rows } of parts) {
    if (rows.axes.map((a) => a.name).join(',') !== axes || Object.keys(rows.metrics).join(',') !== metrics) {
      throw new InputError(
        `${name}: its columns differ from ${parts[0]!.name}'s; per-fleet files of different sweeps cannot be opened together`,
      );
    }
  }
  const count = parts.reduce((n, p) => n + p.rows.count, 0);
  const cat = <T extends Uint32Array | Float64Array>(make: new (n: number) => T, pick: (r: FleetRows) => T): T => {
    const out = new make(count);
    let at = 0;
    for (const { rows } of parts) {
      out.set(pick(rows), at);
      at += rows.count;
    }
    return out;
  };
  return {
    count,
    axes: first.axes.map((a, i) => ({ name: a.name, values: parts.flatMap((p) => p.rows.axes[i]!.values) })),
    cell: cat(Uint32Array, (r) => r.cell),
    sample: cat(Uint32Array, (r) => r.sample),
    replicate: cat(Uint32Array, (r) => r.replicate),
    policy: parts.flatMap((p) => p.rows.policy),
    metrics: Object.fromEntries(Object.keys(first.metrics).map((m) => [m, cat(Float64Array, (r) => r.metrics[m]!)])),
  };
}

/** Row indices of each fleet run (cell, sample, replicate) by policy. */
function fleetRuns(rows: FleetRows): Map<string, Map<string, number>> {
  const runs = new Map<string, Map<string, number>>();
  for (let r = 0; r < rows.count; r++) {
    const key = `${rows.cell[r]}:${rows.sample[r]}:${rows.replicate[r]}`;
    let run = runs.get(key);
    if (!run) runs.set(key, (run = new Map<string, number>()));
    run.set(rows.policy[r]!, r);
  }
  return runs;
}

/**
 * The per-fleet relative latency change (latency_b − latency_a)/latency_a over the fleet runs that
 * ran both policies (in `cells`, when given), as PairAccumulator counts it: a = 0 = b is 0, a = 0 < b
 * has no finite change and is left out.
 */
export function latencyChanges(rows: FleetRows, a: string, b: string, cells?: ReadonlySet<number>): Float64Array {
  const latency = rows.metrics.avgLatency!;
  const out: number[] = [];
  for (const run of fleetRuns(rows).values()) {
    const ra = run.get(a);
    const rb = run.get(b);
    if (ra === undefined || rb === undefined) continue;
    if (cells && !cells.has(rows.cell[ra]!)) continue;
    const la = latency[ra]!;
    const lb = latency[rb]!;
    if (la > 0) out.push((lb - la) / la);
    else if (lb === 0) out.push(0);
  }
  return Float64Array.from(out);
}

/**
 * The table from per-fleet rows alone, with the sweep's own accumulators: the same statistics as the
 * CLI's summary.json for the fleet runs in the files (all of a sweep's files give all of its cells).
 */
export function summaryFromFleetRows(rows: FleetRows, name: string): SummaryTable {
  const policies = [...new Set(rows.policy)];
  const metrics = Object.keys(rows.metrics);
  const byCell = new Map<
    number,
    {
      values: Record<string, number | string>;
      runs: number;
      stats: Map<string, Map<string, StatAccumulator>>;
      pairs: Map<string, PairAccumulator>;
    }
  >();
  const axisValues = rows.axes.map(() => [] as (number | string)[]);
  for (let r = 0; r < rows.count; r++) {
    const index = rows.cell[r]!;
    let cell = byCell.get(index);
    if (!cell) {
      const values: Record<string, number | string> = {};
      rows.axes.forEach((axis, a) => {
        const v = axis.values[r]!;
        values[axis.name] = v;
        if (!axisValues[a]!.includes(v)) axisValues[a]!.push(v);
      });
      const stats = new Map(policies.map((p) => [p, new Map(metrics.map((m) => [m, new StatAccumulator()]))]));
      const pairs = new Map(policyPairs(policies).map(([a, b]) => [`${a}|${b}`, new PairAccumulator()]));
      byCell.set(index, (cell = { values, runs: 0, stats, pairs }));
    }
    const policy = rows.policy[r]!;
    if (policy === policies[0]) cell.runs++;
    for (const m of metrics) {
      try {
        cell.stats.get(policy)!.get(m)!.add(rows.metrics[m]![r]!);
      } catch (error) {
        throw new InputError(`${name}: row ${r}, column ${m}: ${(error as Error).message}`);
      }
    }
  }
  const latency = rows.metrics.avgLatency!;
  for (const run of fleetRuns(rows).values()) {
    for (const [a, b] of policyPairs(policies)) {
      const ra = run.get(a);
      const rb = run.get(b);
      if (ra === undefined || rb === undefined) continue;
      try {
        byCell.get(rows.cell[ra]!)!.pairs.get(`${a}|${b}`)!.add(latency[ra]!, latency[rb]!);
      } catch (error) {
        throw new InputError(`${name}: row ${ra}: ${(error as Error).message}`);
      }
    }
  }
  const cells: CellSummary[] = [...byCell.entries()]
    .sort(([x], [y]) => x - y)
    .map(([index, cell]) => ({
      cell: index,
      values: cell.values,
      fleetRuns: cell.runs,
      policies: policies.map((policy) => ({
        policy,
        metrics: Object.fromEntries(metrics.map((m) => [m, cell.stats.get(policy)!.get(m)!.summary()])),
      })),
      pairs: policyPairs(policies).map(([a, b]) => {
        const s = cell.pairs.get(`${a}|${b}`)!.summary();
        return {
          a,
          b,
          n: s.n,
          aWins: s.aWins,
          bWins: s.bWins,
          ties: s.ties,
          aWinFraction: s.aWinFraction,
          bWinFraction: s.bWinFraction,
          latencyChange: s.change,
          undefinedChange: s.undefinedChange,
        };
      }),
    }));
  return {
    format: SUMMARY_FORMAT,
    study: name,
    studyHash: '',
    seed: 0,
    axes: rows.axes.map((axis, a) => ({ name: axis.name, values: axisValues[a]! })),
    policies,
    metrics,
    quantiles: 'p50/p90/p99 from a DDSketch with 0.5 % relative accuracy, clamped to [min, max]',
    cells,
  };
}

/**
 * A batch of a sweep run in the page as per-fleet rows, laid out like src/results/fleetRows.ts (fleet
 * run-major, policies adjacent), so page runs and opened Arrow files feed the same charts.
 */
export function fleetRowsFromBatch(done: BatchDone, cells: ReadonlyMap<number, Cell>, axes: readonly string[]): FleetRows {
  const { replicates, policies, result } = done;
  const P = policies.length;
  const count = done.fleetCell.length * replicates * P;
  const rows: FleetRows = {
    count,
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
    rows.replicate[r] = Math.floor(r / P) % replicates;
    rows.policy[r] = policies[r % P]!;
    const values = cells.get(done.fleetCell[f]!)!.values;
    rows.axes.forEach((axis, a) => (axis.values[r] = values[a]!));
  }
  return rows;
}
