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
 *   agents/*.arrow   per-agent rows, one Arrow IPC file per unit beside its fleets/ file (output.fleetRows)
 *
 * @example
 *   await writeAtomic(join(dir, 'summary.json'), JSON.stringify(table, null, 2));
 */
import { closeSync, fsyncSync, mkdirSync, openSync, statSync, unlinkSync, writeSync } from 'node:fs';
import { readdir, readFile, rename, rm } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { JsonTextError, parseJsonText } from '../text/json.js';
import { displayPath } from '../text/quote.js';
import { InputError } from './errors.js';

export const FILES = {
  manifest: 'manifest.json',
  summary: 'summary.json',
  cells: 'cells.csv',
  checkpoint: 'checkpoint.json',
  fleets: 'fleets',
  agents: 'agents',
} as const;

let counter = 0;

/**
 * Creates `dir` and its missing parents, one level at a time from the deepest one that exists. Node's
 * `mkdir(…, { recursive: true })` retries forever where a parent exists but refuses children with
 * ENOENT (`/proc/x`: 100 % CPU, no end); here every failure is thrown with its errno code and path.
 */
export function makeDirectory(dir: string): void {
  const missing: string[] = [];
  let at = resolve(dir);
  for (;;) {
    try {
      if (statSync(at).isDirectory()) break;
      throw Object.assign(new Error(`${at}: not a directory`), { code: 'ENOTDIR', path: at });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    }
    missing.push(at);
    const parent = dirname(at);
    if (parent === at) break;
    at = parent;
  }
  for (const path of missing.reverse()) {
    try {
      mkdirSync(path);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST' || !statSync(path).isDirectory()) throw error;
    }
  }
}

/**
 * Writes `data` to `path` atomically (temporary file + fsync + rename). On a failure (a full disk)
 * the temporary file is removed and the old file, if any, stays as it was.
 */
export async function writeAtomic(path: string, data: string | Uint8Array): Promise<void> {
  makeDirectory(dirname(path));
  const temporary = join(dirname(path), `.${basename(path)}.${process.pid}.${counter++}.tmp`);
  try {
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
  } catch (error) {
    try {
      unlinkSync(temporary);
    } catch {
      // never created, or already renamed
    }
    throw error;
  }
}

/** Removes temporary files left by an interrupted writer. */
export async function removeTemporaries(dir: string): Promise<void> {
  for (const sub of [dir, join(dir, FILES.fleets), join(dir, FILES.agents)]) {
    let names: string[];
    try {
      names = await readdir(sub);
    } catch {
      continue;
    }
    await Promise.all(names.filter((n) => n.startsWith('.') && n.endsWith('.tmp')).map((n) => rm(join(sub, n), { force: true })));
  }
}

/**
 * A result file's JSON (src/text/json.ts: BOM, depth, duplicate keys); InputError naming the file when
 * it is not valid JSON. Errors of the file system (ENOENT, EACCES) are thrown as they are.
 */
export async function readJson(path: string): Promise<unknown> {
  const text = await readFile(path, 'utf8');
  try {
    return parseJsonText(text, displayPath(path));
  } catch (error) {
    if (!(error instanceof JsonTextError)) throw error;
    const [first, ...rest] = error.problems;
    throw new InputError(`${first ?? `${displayPath(path)}: not valid JSON`}${rest.length > 0 ? ` (and ${rest.length} more problems)` : ''}`);
  }
}

/** Name of the per-fleet (and per-agent) file of unit `id` (zero-padded so that names sort in unit order). */
export function fleetFileName(unitId: number): string {
  return `unit-${String(unitId).padStart(8, '0')}.arrow`;
}
