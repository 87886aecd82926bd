/**
 * Reading and writing a sweep directory's files (src/results/files.ts lists them; every write is
 * atomic): the tables from an aggregate, the per-fleet and per-agent Arrow files of a batch, the manifest and the
 * checkpoint. Used by `fleetsim sweep` (src/cli/sweep.ts) and by the shard merge (merge.ts). Node.
 *
 * @example
 *   await writeTables(dir, loaded, aggregate); await writeCheckpoint(dir, state);
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Cell, ExpandedStudy } from '../study/cells.js';
import { axisLabels, axisName } from '../study/schema.js';
import type { CellSummary, SweepAggregate } from '../sweep/aggregate.js';
import { type BatchDone, unitFleetRunRanges } from '../sweep/run.js';
import { cellsCsv } from './cellsCsv.js';
import { type Checkpoint, checkpointText, parseCheckpoint } from './checkpoint.js';
import { FILES, fleetFileName, readJson, writeAtomic } from './files.js';
import { InputError } from './errors.js';
import { manifestText, type ManifestRead, parseManifest } from './manifest.js';
import { summaryTable, summaryText } from './tables.js';
import { displayPath } from '../text/quote.js';

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

/**
 * Writes a batch's per-fleet and per-agent rows: per unit one Arrow file in fleets/ and one in
 * agents/, so that a resumed sweep rewrites whole files. Apache Arrow and the row tables are loaded on
 * the first call: a sweep without `output.fleetRows` never needs them (~70 ms of start-up).
 */
export async function writeFleetRows(
  dir: string,
  done: BatchDone,
  cells: ReadonlyMap<number, Cell>,
  axes: readonly string[],
  studyHash: string,
): Promise<void> {
  const [{ tableToIPC }, { agentRowsTable }, { fleetRowsTable }] = await Promise.all([
    import('apache-arrow'),
    import('./agentRows.js'),
    import('./fleetRows.js'),
  ]);
  for (const { unit, from, to } of unitFleetRunRanges(done)) {
    const table = fleetRowsTable(done, cells, axes, from, to, studyHash); // the unit's rows alone: bytes independent of the batch
    await writeAtomic(join(dir, FILES.fleets, fleetFileName(unit.id)), tableToIPC(table, 'file'));
    const agents = agentRowsTable(done, cells, axes, from, to, studyHash);
    await writeAtomic(join(dir, FILES.agents, fleetFileName(unit.id)), tableToIPC(agents, 'file'));
  }
}

export function writeManifest(dir: string, manifest: object): Promise<void> {
  return writeAtomic(join(dir, FILES.manifest), manifestText(manifest));
}

export function writeCheckpoint(dir: string, checkpoint: Checkpoint): Promise<void> {
  return writeAtomic(join(dir, FILES.checkpoint), checkpointText(checkpoint));
}

/**
 * The directory's checkpoint, or null when it has none; InputError naming the file and the field when
 * it is not JSON, foreign or inconsistent. Faults of the file system (EACCES, EIO) are thrown as they are.
 */
export async function readCheckpoint(dir: string): Promise<Checkpoint | null> {
  const path = join(dir, FILES.checkpoint);
  if (!existsSync(path)) return null;
  return parseCheckpoint(await readJson(path), path);
}

/** The directory's manifest, or null when it has none; InputError when it is not JSON or foreign. */
export async function readManifestIfAny(dir: string): Promise<ManifestRead | null> {
  const path = join(dir, FILES.manifest);
  if (!existsSync(path)) return null;
  return parseManifest(await readJson(path), path);
}

/** The directory's manifest; InputError when it is missing, unreadable or foreign. */
export async function readManifest(dir: string): Promise<ManifestRead> {
  const manifest = await readManifestIfAny(dir);
  if (manifest === null) throw new InputError(`${displayPath(dir)}: no ${FILES.manifest}; not a sweep result directory`);
  return manifest;
}
