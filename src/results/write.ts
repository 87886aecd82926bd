/**
 * Reading and writing a sweep directory's files (src/results/files.ts lists them; every write is
 * atomic): the tables from an aggregate, the per-fleet Arrow files of a batch, the manifest and the
 * checkpoint. Used by `fleetsim sweep` (src/cli/sweep.ts) and by the shard merge (merge.ts). Node.
 *
 * @example
 *   await writeTables(dir, loaded, aggregate); await writeCheckpoint(dir, state);
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { tableToIPC } from 'apache-arrow';
import type { Cell, ExpandedStudy } from '../study/cells.js';
import { axisLabels, axisName } from '../study/schema.js';
import type { CellSummary, SweepAggregate } from '../sweep/aggregate.js';
import type { BatchDone } from '../sweep/run.js';
import { cellsCsv } from './cellsCsv.js';
import { type Checkpoint, checkpointText, parseCheckpoint } from './checkpoint.js';
import { FILES, fleetFileName, readJson, writeAtomic } from './files.js';
import { fleetRowsTable } from './fleetRows.js';
import { InputError } from './errors.js';
import { manifestText, type ManifestRead, parseManifest } from './manifest.js';
import { summaryTable, summaryText } from './tables.js';

/** A study with its hash, as the directory's files record it. */
export type LoadedStudy = ExpandedStudy & { hash: string };

/** Writes summary.json and cells.csv from the aggregate; returns the cells' statistics. */
export async function writeTables(dir: string, loaded: LoadedStudy, aggregate: SweepAggregate): Promise<CellSummary[]> {
  const { study, cells } = loaded;
  const axes = study.axes.map((a) => ({ name: axisName(a), values: axisLabels(a) }));
  const meta = { name: study.name, studyHash: loaded.hash, seed: study.seed, axes, policies: study.policies };
  const table = summaryTable(
    meta,
    aggregate.summary(
      cells,
      axes.map((a) => a.name),
    ),
  );
  await writeAtomic(join(dir, FILES.summary), summaryText(table));
  await writeAtomic(join(dir, FILES.cells), cellsCsv(table));
  return table.cells;
}

/** Writes a batch's per-fleet rows: one Arrow file per unit, so that a resumed sweep rewrites whole files. */
export async function writeFleetRows(dir: string, done: BatchDone, cells: ReadonlyMap<number, Cell>, axes: readonly string[]): Promise<void> {
  const table = fleetRowsTable(done, cells, axes);
  const perFleet = done.replicates * done.policies.length;
  let row = 0;
  for (const unit of done.units) {
    const rows = (unit.sampleEnd - unit.sampleBegin) * perFleet;
    await writeAtomic(join(dir, FILES.fleets, fleetFileName(unit.id)), tableToIPC(table.slice(row, row + rows), 'file'));
    row += rows;
  }
}

export function writeManifest(dir: string, manifest: object): Promise<void> {
  return writeAtomic(join(dir, FILES.manifest), manifestText(manifest));
}

export function writeCheckpoint(dir: string, checkpoint: Checkpoint): Promise<void> {
  return writeAtomic(join(dir, FILES.checkpoint), checkpointText(checkpoint));
}

/** The directory's checkpoint, or null when it has none; InputError when it is unreadable or foreign. */
export async function readCheckpoint(dir: string): Promise<Checkpoint | null> {
  const path = join(dir, FILES.checkpoint);
  if (!existsSync(path)) return null;
  return parseCheckpoint(await readJson(path).catch(() => null), path);
}

/** The directory's manifest; InputError when it is missing, unreadable or foreign. */
export async function readManifest(dir: string): Promise<ManifestRead> {
  const path = join(dir, FILES.manifest);
  const json = await readJson(path).catch(() => undefined);
  if (json === undefined) throw new InputError(`${dir}: no readable ${FILES.manifest}`);
  return parseManifest(json, path);
}
