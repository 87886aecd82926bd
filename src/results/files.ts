/**
 * The files of a sweep directory, written atomically: each file goes to a temporary name in the same
 * directory, is flushed to disk, then renamed over the final name, so a crash or `kill -9` leaves
 * either the old file or the new one, never a truncated one.
 *
 *   manifest.json    the study, seed, version, backend, adapter, counts, wall time (written last)
 *   summary.json     per cell statistics (src/results/tables.ts)
 *   cells.csv        one row per cell × policy
 *   checkpoint.json  the aggregate and the units done: what --resume and `fleetsim merge` read
 *   fleets/*.arrow   per-fleet rows, one Arrow IPC file per unit (output.fleetRows)
 *
 * @example
 *   await writeAtomic(join(dir, 'summary.json'), JSON.stringify(table, null, 2));
 */
import { closeSync, fsyncSync, openSync, writeSync } from 'node:fs';
import { mkdir, readdir, readFile, rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

export const FILES = {
  manifest: 'manifest.json',
  summary: 'summary.json',
  cells: 'cells.csv',
  checkpoint: 'checkpoint.json',
  fleets: 'fleets',
} as const;

let counter = 0;

/** Writes `data` to `path` atomically (temporary file + fsync + rename). */
export async function writeAtomic(path: string, data: string | Uint8Array): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  const temporary = join(dirname(path), `.${basename(path)}.${process.pid}.${counter++}.tmp`);
  const fd = openSync(temporary, 'w');
  try {
    const bytes = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
    let at = 0;
    while (at < bytes.length) at += writeSync(fd, bytes, at, bytes.length - at);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  await rename(temporary, path);
}

/** Removes temporary files left by an interrupted writer. */
export async function removeTemporaries(dir: string): Promise<void> {
  for (const sub of [dir, join(dir, FILES.fleets)]) {
    let names: string[];
    try {
      names = await readdir(sub);
    } catch {
      continue;
    }
    await Promise.all(names.filter((n) => n.startsWith('.') && n.endsWith('.tmp')).map((n) => rm(join(sub, n), { force: true })));
  }
}

export async function readJson(path: string): Promise<unknown> {
  return JSON.parse(await readFile(path, 'utf8')) as unknown;
}

/** Name of the per-fleet file of unit `id` (zero-padded so that names sort in unit order). */
export function fleetFileName(unitId: number): string {
  return `unit-${String(unitId).padStart(8, '0')}.arrow`;
}
