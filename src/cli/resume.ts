/**
 * What `fleetsim sweep` finds in its output directory before it runs (docs/RESULTS.md): nothing of a
 * sweep, or, with --resume, this study's, seed's and shard's manifest and checkpoint under this plan of
 * units, from which it continues. The directory is checked, created and locked first
 * (src/cli/outDir.ts); a foreign or broken result file is a usage error (exit code 2), a fault of the
 * file system one line naming the directory.
 *
 * @example
 *   const { checkpoint, aggregate, lock } = await prepareOut(options, loaded, units, await import('../results/write.js'));
 */
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { type Checkpoint, checkpointAggregate } from '../results/checkpoint.js';
import { InputError } from '../results/errors.js';
import { FILES } from '../results/files.js';
import type { LoadedStudy } from '../results/write.js';
import { SweepAggregate } from '../sweep/aggregate.js';
import { OTHER_PLAN_OF_UNITS, type Shard, type Unit } from '../sweep/plan.js';
import { unitFleetRuns } from '../sweep/run.js';
import { displayPath } from '../text/quote.js';
import { UsageError } from './errors.js';
import { acquireLock, type DirectoryLock, fileSystemError, prepareDirectory } from './outDir.js';

/** What the result directory holds before the run: the checkpoint and aggregate to resume from, if any. */
export interface Prepared {
  checkpoint: Checkpoint | null;
  aggregate: SweepAggregate | null;
  lock: DirectoryLock;
}

/**
 * Checks, creates and locks the output directory before anything is written (src/cli/outDir.ts), and
 * checks what it holds: without --resume it must hold no sweep; with --resume its manifest and
 * checkpoint (when there are any) must be this study's, seed's and shard's, and the checkpoint must
 * agree with the plan (`units`). Returns the checkpoint to resume from, with the directory locked.
 */
export async function prepareOut(
  options: { out: string; resume: boolean; shard: Shard },
  loaded: LoadedStudy,
  units: readonly Unit[],
  files: ResultFiles,
): Promise<Prepared> {
  const { readCheckpoint, readManifestIfAny } = files;
  const out = options.out;
  prepareDirectory('--out', out);
  const what = `--out ${displayPath(out)}`;
  const lock = acquireLock(out, '--out');
  try {
    const checkpoint = await usage(readCheckpoint(out), what);
    const manifest = await usage(readManifestIfAny(out), what);
    const fleetFiles = existsSync(join(out, FILES.fleets)) && readdirSync(join(out, FILES.fleets)).some((n) => n.endsWith('.arrow'));
    const tables = existsSync(join(out, FILES.summary)) || existsSync(join(out, FILES.cells));
    const existing = checkpoint !== null || manifest !== null || fleetFiles || tables;
    if (!options.resume) {
      if (existing) throw new UsageError(`${what}: already holds a sweep; pass --resume to continue it, or choose another directory`);
      return { checkpoint: null, aggregate: null, lock };
    }
    if (manifest === null && existing)
      throw new UsageError(
        `--resume: ${displayPath(out)} holds result files but no ${FILES.manifest}; not a sweep to continue, use another --out`,
      );
    const { hash } = loaded;
    const { seed } = loaded.study;
    for (const [file, held] of [
      [FILES.manifest, manifest],
      [FILES.checkpoint, checkpoint],
    ] as const) {
      if (held === null) continue;
      if (held.studyHash !== hash || held.seed !== seed) {
        throw new UsageError(`--resume: ${displayPath(out)} holds a different study or seed (its ${file}); use another --out`);
      }
      if (held.shard.index !== options.shard.index || held.shard.count !== options.shard.count) {
        throw new UsageError(
          `--resume: ${displayPath(out)} holds shard ${held.shard.index}/${held.shard.count}, not ${options.shard.index}/${options.shard.count} (its ${file})`,
        );
      }
    }
    if (checkpoint === null) return { checkpoint: null, aggregate: null, lock }; // nothing done yet: start from the beginning
    const path = displayPath(join(out, FILES.checkpoint));
    const broken = (field: string, problem: string): UsageError =>
      new UsageError(`${path}: ${field}: ${problem}; the checkpoint is corrupt, start again in another directory`);
    // Not necessarily corrupt: an older plan of units (OTHER_PLAN_OF_UNITS).
    if (checkpoint.unitsTotal !== units.length)
      throw new UsageError(
        `${path}: unitsTotal: must be this shard's ${units.length} units, got ${checkpoint.unitsTotal}; the checkpoint was written under another plan of units (${OTHER_PLAN_OF_UNITS}) or is damaged: it cannot be resumed here; finish it with the fleetsim that started it, or start again in another directory`,
      );
    const fleetRuns = unitFleetRuns(units.slice(0, checkpoint.unitsDone));
    if (checkpoint.times.fleetRuns !== fleetRuns)
      throw broken('times.fleetRuns', `must be ${fleetRuns} after ${checkpoint.unitsDone} units, got ${checkpoint.times.fleetRuns}`);
    if (checkpoint.aggregate.policies.join(',') !== loaded.study.policies.join(','))
      throw broken('aggregate.policies', `must be the study's ${loaded.study.policies.join(', ')}`);
    const owned = new Set(units.slice(0, checkpoint.unitsDone).map((u) => u.cell));
    const foreign = checkpoint.aggregate.cells.find((c) => !owned.has(c.cell));
    if (foreign !== undefined) throw broken('aggregate.cells', `cell ${foreign.cell} is not among the units done`);
    const aggregate = await usage(
      Promise.resolve().then(() => checkpointAggregate(checkpoint, join(out, FILES.checkpoint))),
      what,
    );
    return { checkpoint, aggregate, lock };
  } catch (error) {
    lock.release();
    throw error;
  }
}

/**
 * Runs a results-library call, reporting a foreign or broken result file as a usage error (exit code
 * 2) and a fault of the file system as one line naming `what` (src/cli/outDir.ts).
 */
export async function usage<T>(work: Promise<T>, what: string): Promise<T> {
  try {
    return await work;
  } catch (error) {
    if (error instanceof InputError) throw new UsageError(error.message);
    throw fileSystemError(error, what);
  }
}

/** The result files' writers and readers (src/results/write.ts), loaded when a sweep runs: they bring Apache Arrow. */
export type ResultFiles = typeof import('../results/write.js');
