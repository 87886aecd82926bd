/**
 * Merging the complete shards of one sweep into the directory an unsharded run gives: the aggregates
 * merge exactly (src/stats), so summary.json and cells.csv are byte-identical to an unsharded run's;
 * the per-fleet and per-agent files are copied; the manifest lists every shard's engines. Every check happens before
 * `out` is touched; a problem is an InputError naming the directory.
 *
 * @example
 *   const { shards } = await mergeShards(['s0', 's1'], 'merged', studyFromManifest, runtime);
 */
import { existsSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { SweepAggregate } from '../sweep/aggregate.js';
import { OTHER_PLAN_OF_UNITS, planUnits, WHOLE } from '../sweep/plan.js';
import { type SweepTimes, unitFleetRuns } from '../sweep/run.js';
import { type Checkpoint, checkpointAggregate } from './checkpoint.js';
import { InputError } from './errors.js';
import { FILES, makeDirectory, writeAtomic } from './files.js';
import { displayPath } from '../text/quote.js';
import { type ManifestFields, type ManifestRead, sweepManifest } from './manifest.js';
import { type LoadedStudy, readCheckpoint, readManifest, writeCheckpoint, writeManifest, writeTables } from './write.js';

interface Shard {
  dir: string;
  checkpoint: Checkpoint;
  manifest: ManifestRead;
}

/** Reads every shard and checks that they are the complete, distinct shards of one study and seed. */
async function readShards(dirs: readonly string[]): Promise<Shard[]> {
  const parts: Shard[] = [];
  for (const dir of dirs) {
    const checkpoint = await readCheckpoint(dir);
    if (checkpoint === null) throw new InputError(`${displayPath(dir)}: no ${FILES.checkpoint}; not a sweep result directory`);
    if (!checkpoint.complete)
      throw new InputError(
        `${displayPath(dir)}: shard ${checkpoint.shard.index}/${checkpoint.shard.count} is not complete (${checkpoint.unitsDone}/${checkpoint.unitsTotal} units); finish it with --resume`,
      );
    parts.push({ dir, checkpoint, manifest: await readManifest(dir) });
  }
  const first = parts[0]!.checkpoint;
  for (const p of parts) {
    if (p.checkpoint.studyHash !== first.studyHash || p.checkpoint.seed !== first.seed) {
      throw new InputError(`${displayPath(p.dir)}: a shard of a different study or seed than ${displayPath(parts[0]!.dir)}; refusing to merge`);
    }
    if (p.checkpoint.shard.count !== first.shard.count)
      throw new InputError(`${displayPath(p.dir)}: split into ${p.checkpoint.shard.count} shards, ${displayPath(parts[0]!.dir)} into ${first.shard.count}`);
  }
  const indices = parts.map((p) => p.checkpoint.shard.index).sort((a, b) => a - b);
  const missing = Array.from({ length: first.shard.count }, (_, i) => i).filter((i) => !indices.includes(i));
  const repeated = indices.filter((x, i) => indices[i - 1] === x);
  if (repeated.length > 0) throw new InputError(`shard ${repeated[0]} given twice`);
  if (missing.length > 0) throw new InputError(`missing shard(s) ${missing.join(', ')} of ${first.shard.count}`);
  return parts;
}

/**
 * Merges the shard directories `dirs` (all N of them) into `out`, which must not hold a sweep.
 * `studyFromManifest` expands and hashes the study recorded in a manifest. `prepareOut` runs after
 * every check and before anything is written (the CLI creates, probes and locks `out` there); it says
 * whether `out` already holds a sweep.
 */
export async function mergeShards(
  dirs: readonly string[],
  out: string,
  studyFromManifest: (study: unknown) => Promise<LoadedStudy>,
  runtime: ManifestFields['runtime'],
  prepareOut: () => boolean = () => existsSync(join(out, FILES.manifest)) || existsSync(join(out, FILES.checkpoint)),
): Promise<{ shards: number; fleetRuns: number }> {
  const parts = await readShards(dirs);
  const first = parts[0]!.checkpoint;
  const loaded = await studyFromManifest(parts[0]!.manifest.study);
  if (loaded.hash !== first.studyHash) throw new InputError(`${displayPath(parts[0]!.dir)}: the manifest's study does not match its checkpoint`);
  const planned = planUnits(loaded.cells).length;
  const totals = parts.reduce((n, p) => n + p.checkpoint.unitsTotal, 0);
  if (totals !== planned)
    throw new InputError(
      `${displayPath(parts[0]!.dir)}: the shards hold ${totals} units in all, but the study has ${planned} here; they were written under another plan of units (${OTHER_PLAN_OF_UNITS}) or their checkpoints are damaged: merge them with the fleetsim that wrote them`,
    );
  if (prepareOut()) throw new InputError(`--out ${displayPath(out)}: already holds a sweep; choose another directory`);

  const aggregate = new SweepAggregate(loaded.study.policies);
  const times: SweepTimes = { engineSeconds: 0, totalSeconds: 0, fleetRuns: 0, runs: 0, agentSteps: 0 };
  for (const p of parts) {
    aggregate.merge(checkpointAggregate(p.checkpoint, join(p.dir, FILES.checkpoint)));
    for (const k of Object.keys(times) as (keyof SweepTimes)[]) times[k] += p.checkpoint.times[k];
  }
  makeDirectory(out);
  for (const p of parts) {
    for (const sub of [FILES.fleets, FILES.agents]) {
      const from = join(p.dir, sub);
      if (!existsSync(from)) continue;
      for (const name of (await readdir(from)).filter((n) => /^unit-\d{8}\.arrow$/.test(n))) {
        await writeAtomic(join(out, sub, name), await readFile(join(from, name))); // atomic, like every result file
      }
    }
  }
  const units = planUnits(loaded.cells).length;
  await writeCheckpoint(out, {
    ...first,
    shard: WHOLE,
    unitsDone: units,
    unitsTotal: units,
    complete: true,
    times,
    aggregate: aggregate.toJSON() as Checkpoint['aggregate'],
  });
  await writeTables(out, loaded, aggregate);
  const fleetRuns = unitFleetRuns(planUnits(loaded.cells));
  const counts = {
    cells: loaded.cells.length,
    units,
    fleetRuns,
    policies: loaded.study.policies.length,
    runs: fleetRuns * loaded.study.policies.length,
    shardsMerged: parts.length,
  };
  const engines = parts.flatMap((p) => p.manifest.backends);
  await writeManifest(
    out,
    sweepManifest({ loaded, studyFile: parts[0]!.dir, engines, shard: WHOLE, counts, times, complete: true, runtime }),
  );
  return { shards: parts.length, fleetRuns: times.fleetRuns };
}
