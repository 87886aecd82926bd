/**
 * Whether result files opened together belong to one sweep. summary.json, manifest.json,
 * checkpoint.json and the per-fleet Arrow files (schema metadata `fleetsim.studyHash`, since this
 * version) carry the study's hash; cells.csv does not (it is the summary flat). Files are also matched
 * by what they hold: the same axes, values, policies and cells, and for the Arrow files the cells'
 * means where the rows hold all of a cell's fleet runs (which catches Arrow files of older versions). Each function returns why the files do not belong together, or null.
 * No DOM: vitest runs it in Node.
 *
 * @example
 *   const why = rowsMismatch(table, rows, 'summary.json'); // null: the rows are the table's sweep
 */
import { CHECKPOINT_FORMAT } from '../../../src/results/checkpoint.js';
import { InputError } from '../../../src/results/errors.js';
import type { FleetRows } from '../../../src/results/fleetRows.js';
import { MANIFEST_FORMAT } from '../../../src/results/manifest.js';
import type { SummaryTable } from '../../../src/results/tables.js';
import { quote } from '../../../src/text/quote.js';

const same = (a: readonly unknown[], b: readonly unknown[]): boolean =>
  a.length === b.length && a.every((x, i) => String(x) === String(b[i]));
const list = (xs: readonly unknown[]): string => quote(xs.map(String).join(', '), 80);
const hashOf = (hash: string): string => (hash === '' ? '(none)' : quote(hash.slice(0, 12)));

/** Close enough for the same statistic accumulated in another order (a merged or resumed sweep). */
const close = (x: number, y: number): boolean => Math.abs(x - y) <= 1e-9 * Math.max(Math.abs(x), Math.abs(y)) + 1e-12;

/** Why table `b` (from file `bName`) is not the same sweep's table as `a` (from `aName`), or null. */
export function tableMismatch(a: SummaryTable, aName: string, b: SummaryTable): string | null {
  if (a.studyHash !== '' && b.studyHash !== '' && a.studyHash !== b.studyHash)
    return `another study (study hash ${hashOf(b.studyHash)}, ${aName}'s is ${hashOf(a.studyHash)})`;
  const aAxes = a.axes.map((x) => x.name);
  const bAxes = b.axes.map((x) => x.name);
  if (!same(aAxes, bAxes)) return `another sweep: its axes are ${list(bAxes)}, ${aName}'s are ${list(aAxes)}`;
  for (const axis of a.axes) {
    const other = b.axes.find((x) => x.name === axis.name)!;
    if (!same(axis.values, other.values)) return `another sweep: the values of ${quote(axis.name)} differ from ${aName}'s`;
  }
  if (!same(a.policies, b.policies)) return `another sweep: its policies are ${list(b.policies)}, ${aName}'s are ${list(a.policies)}`;
  if (a.cells.length !== b.cells.length) return `another sweep: ${b.cells.length} cell(s), ${aName} has ${a.cells.length}`;
  for (const [i, cell] of a.cells.entries()) {
    const other = b.cells[i]!;
    if (
      other.cell !== cell.cell ||
      other.fleetRuns !== cell.fleetRuns ||
      !a.axes.every((x) => String(other.values[x.name]) === String(cell.values[x.name]))
    )
      return `another sweep: cell ${cell.cell} differs from ${aName}'s (its values or fleet runs)`;
    for (const [p, ps] of cell.policies.entries()) {
      for (const [metric, stat] of Object.entries(ps.metrics)) {
        const theirs = other.policies[p]?.metrics[metric];
        if (stat === null || theirs === null || theirs === undefined) continue;
        if (!close(stat.mean, theirs.mean))
          return `another sweep: cell ${cell.cell}, ${quote(ps.policy)}: mean ${quote(metric)} is ${theirs.mean}, ${aName} has ${stat.mean}`;
      }
    }
  }
  return null;
}

/**
 * Why per-fleet `rows` are not from the sweep of `table` (shown from `tableName`), or null. The axes,
 * policies, each row's cell and its values must be the table's; a cell must not have more fleet runs
 * in the rows than in the table; and where the rows hold all of a cell's fleet runs, each policy's
 * mean latency must be the table's.
 */
export function rowsMismatch(table: SummaryTable, rows: FleetRows, tableName: string): string | null {
  if (table.studyHash !== '' && rows.studyHash !== '' && table.studyHash !== rows.studyHash)
    return `another study (study hash ${hashOf(rows.studyHash)}, ${tableName}'s is ${hashOf(table.studyHash)})`;
  const axes = table.axes.map((a) => a.name);
  const rowAxes = rows.axes.map((a) => a.name);
  if (!same(axes, rowAxes)) return `another sweep: its axes are ${list(rowAxes)}, ${tableName}'s are ${list(axes)}`;
  const policies = new Set(table.policies);
  const cells = new Map(table.cells.map((c) => [c.cell, c]));
  const runs = new Map<number, Set<string>>(); // cell → fleet runs (sample:replicate) in the rows
  const sums = new Map<string, { sum: number; n: number }>(); // cell|policy → avgLatency
  const latency = rows.metrics.avgLatency;
  for (let r = 0; r < rows.count; r++) {
    const policy = rows.policy[r]!;
    if (!policies.has(policy)) return `another sweep: row ${r} has the policy ${quote(policy)}, which ${tableName} does not have`;
    const index = rows.cell[r]!;
    const cell = cells.get(index);
    if (!cell) return `another sweep: row ${r} is of cell ${index}, which ${tableName} does not have`;
    for (const [a, axis] of rows.axes.entries()) {
      if (String(axis.values[r]) !== String(cell.values[axes[a]!]))
        return `another sweep: row ${r} (cell ${index}) has ${quote(axes[a]!)} = ${quote(axis.values[r])}, ${tableName} has ${quote(cell.values[axes[a]!])}`;
    }
    let set = runs.get(index);
    if (!set) runs.set(index, (set = new Set()));
    set.add(`${rows.sample[r]}:${rows.replicate[r]}`);
    if (latency) {
      const key = `${index}|${policy}`;
      const s = sums.get(key) ?? { sum: 0, n: 0 };
      s.sum += latency[r]!;
      s.n++;
      sums.set(key, s);
    }
  }
  for (const [index, set] of runs) {
    const cell = cells.get(index)!;
    if (set.size > cell.fleetRuns)
      return `another sweep: cell ${index} has ${set.size} fleet runs in the rows, ${tableName} has ${cell.fleetRuns}`;
    if (set.size < cell.fleetRuns) continue; // part of the cell: its mean cannot be compared
    for (const ps of cell.policies) {
      const s = sums.get(`${index}|${ps.policy}`);
      const want = ps.metrics.avgLatency?.mean;
      if (!s || want === undefined || s.n !== cell.fleetRuns) continue;
      if (!close(s.sum / s.n, want))
        return `another sweep: cell ${index}, ${quote(ps.policy)}: the rows' mean latency is ${s.sum / s.n}, ${tableName}'s is ${want}`;
    }
  }
  return null;
}

/** The study hash a manifest.json or checkpoint.json records; InputError when the JSON is neither. */
export function companionHash(json: unknown, name: string): { kind: 'manifest' | 'checkpoint'; hash: string } {
  const o = typeof json === 'object' && json !== null && !Array.isArray(json) ? (json as { format?: unknown; studyHash?: unknown }) : {};
  const kind = o.format === MANIFEST_FORMAT ? 'manifest' : o.format === CHECKPOINT_FORMAT ? 'checkpoint' : null;
  if (kind === null) throw new InputError(`${name}: not a fleetsim manifest.json or checkpoint.json (format ${quote(o.format)})`);
  if (typeof o.studyHash !== 'string') throw new InputError(`${name}: no study hash (corrupt or from another version)`);
  return { kind, hash: o.studyHash };
}
