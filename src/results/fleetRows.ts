/**
 * Per-fleet rows of a sweep as an Apache Arrow table: one row per fleet run and policy, with the
 * cell's axis values, the fleet's sample and replicate, its size and nominal load factor, and every
 * per-run metric. pandas (pyarrow), polars (`pl.read_ipc`) and DuckDB read the files directly.
 * Browser-safe: src/results/files.ts writes the bytes.
 *
 * @example
 *   const bytes = tableToIPC(fleetRowsTable(done, cells, study.axes.map(axisName)), 'file');
 */
import { type Table, tableFromArrays } from 'apache-arrow';
import type { Cell } from '../study/cells.js';
import { SWEEP_METRICS } from '../sweep/aggregate.js';
import type { BatchDone } from '../sweep/run.js';

export function fleetRowsTable(done: BatchDone, cells: ReadonlyMap<number, Cell>, axes: readonly string[]): Table {
  const { replicates, policies, result } = done;
  const P = policies.length;
  const rows = done.fleetCell.length * replicates * P;
  const cell = new Uint32Array(rows);
  const sample = new Uint32Array(rows);
  const replicate = new Uint32Array(rows);
  const agents = new Uint16Array(rows);
  const load = new Float64Array(rows);
  const policy: string[] = new Array<string>(rows);
  const axisColumns = axes.map((name) => ({ path: name, values: new Array<number | string>(rows) }));
  for (let r = 0; r < rows; r++) {
    const f = Math.floor(r / (replicates * P));
    cell[r] = done.fleetCell[f]!;
    sample[r] = done.fleetSample[f]!;
    replicate[r] = Math.floor(r / P) % replicates;
    agents[r] = done.fleetAgents[f]!;
    load[r] = done.fleetLoad[f]!;
    policy[r] = policies[r % P]!;
    const values = cells.get(done.fleetCell[f]!)!.values;
    axisColumns.forEach((c, a) => (c.values[r] = values[a]!));
  }
  const columns: Record<string, ArrayLike<unknown>> = {};
  for (const c of axisColumns) {
    columns[c.path] = c.values.every((v) => typeof v === 'number') ? Float64Array.from(c.values, Number) : c.values.map(String);
  }
  Object.assign(columns, { cell, sample, replicate, policy, agents, load });
  for (const m of SWEEP_METRICS) columns[m] = result[m].slice(0, rows);
  return tableFromArrays(columns as Parameters<typeof tableFromArrays>[0]);
}
