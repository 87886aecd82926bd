/**
 * `fleetsim sweep`, `fleetsim validate` and `fleetsim merge`: a study file in, a result directory out
 * (src/results/files.ts lists its files). Every check on the user's input happens before the output
 * directory is touched; after each batch the per-fleet files and then the checkpoint are written
 * atomically, so `--resume` continues from the last completed batch even after `kill -9`.
 */
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { copyFile, mkdir, readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { tableToIPC } from 'apache-arrow';
import { SingleBar } from 'cli-progress';
import { z } from 'zod';
import { packageVersion } from '../platform/node.js';
import { fleetRowsTable } from '../results/fleetRows.js';
import { FILES, fleetFileName, readJson, removeTemporaries, writeAtomic } from '../results/files.js';
import { cellsCsv, summaryTable } from '../results/tables.js';
import { type Cell, type ExpandedStudy, parseStudyText, StudyError } from '../study/cells.js';
import { axisLabels, axisName, type Study } from '../study/schema.js';
import { studyIdentityText } from '../study/identity.js';
import { type CellSummary, SweepAggregate } from '../sweep/aggregate.js';
import { planUnits, type Shard, shardUnits, WHOLE } from '../sweep/plan.js';
import { type BatchDone, runSweep, type SweepTimes, unitFleetRuns } from '../sweep/run.js';
import type { Backend } from './backend.js';
import { UsageError } from './errors.js';

const CHECKPOINT_FORMAT = 'fleetsim-checkpoint/1';

/** Reads and validates a study file; `seed` overrides the file's seed. Throws StudyError/UsageError. */
export async function loadStudy(path: string, seed?: number): Promise<ExpandedStudy & { hash: string }> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    throw new UsageError(`${path}: cannot read the study file (${(error as NodeJS.ErrnoException).code ?? String(error)})`);
  }
  let expanded: ExpandedStudy;
  try {
    if (seed === undefined) expanded = parseStudyText(text, path);
    else {
      const json = JSON.parse(text) as unknown;
      if (typeof json === 'object' && json !== null && !Array.isArray(json)) (json as Record<string, unknown>).seed = seed;
      expanded = parseStudyText(JSON.stringify(json), path);
    }
  } catch (error) {
    if (error instanceof SyntaxError) throw new StudyError([`${path}: not valid JSON (${error.message})`]);
    if (error instanceof StudyError) throw new StudyError(error.problems.map((p) => (p.startsWith(`${path}:`) ? p : `${path}: ${p}`)));
    throw error;
  }
  return { ...expanded, hash: studyHash(expanded.study) };
}

/** SHA-256 of the study with its defaults filled in: two files that mean the same study hash alike. */
export function studyHash(study: Study): string {
  return createHash('sha256').update(studyIdentityText(study)).digest('hex');
}

/** `--shard I/N`, or `--shard N` with I from JOB_COMPLETION_INDEX (Kubernetes) or SLURM_ARRAY_TASK_ID. */
export function parseShard(value: string | undefined, env: NodeJS.ProcessEnv = process.env): Shard {
  if (value === undefined) return WHOLE;
  const full = /^(\d+)\/(\d+)$/.exec(value.trim());
  const countOnly = /^(\d+)$/.exec(value.trim());
  let index: number;
  let count: number;
  if (full) {
    index = Number(full[1]);
    count = Number(full[2]);
  } else if (countOnly) {
    count = Number(countOnly[1]);
    const k8s = env.JOB_COMPLETION_INDEX;
    const slurm = env.SLURM_ARRAY_TASK_ID;
    if (k8s !== undefined && /^\d+$/.test(k8s)) index = Number(k8s);
    else if (slurm !== undefined && /^\d+$/.test(slurm)) index = Number(slurm) - Number(env.SLURM_ARRAY_TASK_MIN ?? 0);
    else throw new UsageError(`--shard ${value}: no shard index (set JOB_COMPLETION_INDEX or SLURM_ARRAY_TASK_ID, or write --shard I/N)`);
  } else throw new UsageError(`--shard: must be I/N (0 ≤ I < N) or N, got "${value}"`);
  if (!(count >= 1 && count <= 100_000) || !(index >= 0 && index < count)) {
    throw new UsageError(`--shard: the index must be from 0 to N − 1 and N from 1 to 100000, got ${index}/${count}`);
  }
  return { index, count };
}

const CheckpointSchema = z.object({
  format: z.literal(CHECKPOINT_FORMAT),
  studyHash: z.string(),
  seed: z.number(),
  shard: z.object({ index: z.number(), count: z.number() }),
  unitsDone: z.number(),
  unitsTotal: z.number(),
  complete: z.boolean(),
  times: z.object({ engineSeconds: z.number(), totalSeconds: z.number(), fleetRuns: z.number(), runs: z.number(), agentSteps: z.number() }),
  aggregate: z.unknown(),
});
type Checkpoint = z.infer<typeof CheckpointSchema>;

async function readCheckpoint(dir: string): Promise<Checkpoint | null> {
  const path = join(dir, FILES.checkpoint);
  if (!existsSync(path)) return null;
  const parsed = CheckpointSchema.safeParse(await readJson(path).catch(() => null));
  if (!parsed.success) throw new UsageError(`${path}: not a fleetsim checkpoint (corrupt or from another version)`);
  return parsed.data;
}

export interface SweepOptions {
  out: string;
  shard: Shard;
  resume: boolean;
  quiet: boolean;
  batchAgentRuns?: number;
  /** Called after each batch with this invocation's fleet runs so far (bench/memory.ts samples memory there). */
  onProgress?: (fleetRuns: number) => void;
}

export interface SweepOutcome {
  dir: string;
  study: Study;
  cells: number;
  times: SweepTimes; // this invocation
  fleetRunsTotal: number;
  resumedUnits: number;
  summary: CellSummary[]; // the statistics written to summary.json
}

/** Checks the output directory before anything is written; returns the checkpoint to resume from. */
async function prepareOut(options: SweepOptions, hash: string, seed: number): Promise<Checkpoint | null> {
  const checkpoint = await readCheckpoint(options.out);
  const existing = checkpoint !== null || existsSync(join(options.out, FILES.manifest));
  if (!options.resume) {
    if (existing)
      throw new UsageError(`--out ${options.out}: already holds a sweep; pass --resume to continue it, or choose another directory`);
    return null;
  }
  if (checkpoint === null) return null; // nothing to resume: start from the beginning
  if (checkpoint.studyHash !== hash || checkpoint.seed !== seed) {
    throw new UsageError(`--resume: ${options.out} holds a different study or seed; use another --out`);
  }
  if (checkpoint.shard.index !== options.shard.index || checkpoint.shard.count !== options.shard.count) {
    throw new UsageError(
      `--resume: ${options.out} holds shard ${checkpoint.shard.index}/${checkpoint.shard.count}, not ${options.shard.index}/${options.shard.count}`,
    );
  }
  return checkpoint;
}

function manifest(
  loaded: ExpandedStudy & { hash: string },
  studyFile: string,
  backends: { name: string; adapter: string | null }[],
  shard: Shard,
  counts: Record<string, number>,
  times: SweepTimes,
  complete: boolean,
): object {
  return {
    format: 'fleetsim-manifest/1',
    fleetsim: packageVersion(),
    createdAt: new Date().toISOString(),
    studyFile,
    studyHash: loaded.hash,
    seed: loaded.study.seed,
    study: loaded.study,
    backends,
    shard,
    complete,
    counts,
    wallSeconds: times.totalSeconds,
    engineSeconds: times.engineSeconds,
    node: process.version,
  };
}

async function writeTables(dir: string, loaded: ExpandedStudy & { hash: string }, aggregate: SweepAggregate): Promise<CellSummary[]> {
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
  await writeAtomic(join(dir, FILES.summary), `${JSON.stringify(table, null, 2)}\n`);
  await writeAtomic(join(dir, FILES.cells), cellsCsv(table));
  return table.cells;
}

/** Runs (or resumes) a sweep into `options.out`. */
export async function runSweepCommand(
  studyFile: string,
  loaded: ExpandedStudy & { hash: string },
  backend: Backend,
  options: SweepOptions,
): Promise<SweepOutcome> {
  const { study, cells } = loaded;
  const checkpoint = await prepareOut(options, loaded.hash, study.seed);
  const units = shardUnits(planUnits(cells), options.shard);
  const done = checkpoint?.unitsDone ?? 0;
  const aggregate = checkpoint ? SweepAggregate.fromJSON(checkpoint.aggregate) : new SweepAggregate(study.policies);
  const before = checkpoint?.times ?? { engineSeconds: 0, totalSeconds: 0, fleetRuns: 0, runs: 0, agentSteps: 0 };
  const todo = units.slice(done);
  const fleetRunsTotal = unitFleetRuns(units, cells);
  const counts = {
    cells: cells.length,
    units: units.length,
    fleetRuns: fleetRunsTotal,
    policies: study.policies.length,
    runs: fleetRunsTotal * study.policies.length,
  };
  const backends = [{ name: backend.name, adapter: backend.adapter }];

  await mkdir(options.out, { recursive: true });
  await removeTemporaries(options.out);
  const cellMap = new Map(cells.map((c) => [c.index, c]));
  const bar = options.quiet
    ? null
    : new SingleBar({
        format: 'sweep |{bar}| {percentage}% | {value}/{total} fleet runs | {rate}/s | ETA {eta_formatted}',
        hideCursor: true,
        stream: process.stderr,
      });
  bar?.start(fleetRunsTotal, before.fleetRuns, { rate: '…' });
  const started = performance.now();
  let unitsDone = done;
  const total = (t: SweepTimes): SweepTimes => ({
    engineSeconds: before.engineSeconds + t.engineSeconds,
    totalSeconds: before.totalSeconds + (performance.now() - started) / 1000,
    fleetRuns: before.fleetRuns + t.fleetRuns,
    runs: before.runs + t.runs,
    agentSteps: before.agentSteps + t.agentSteps,
  });
  const running: SweepTimes = { engineSeconds: 0, totalSeconds: 0, fleetRuns: 0, runs: 0, agentSteps: 0 };
  const saveCheckpoint = (complete: boolean): Promise<void> => {
    const state: Checkpoint = {
      format: CHECKPOINT_FORMAT,
      studyHash: loaded.hash,
      seed: study.seed,
      shard: options.shard,
      unitsDone,
      unitsTotal: units.length,
      complete,
      times: total(running),
      aggregate: aggregate.toJSON(),
    };
    return writeAtomic(join(options.out, FILES.checkpoint), JSON.stringify(state));
  };
  const afterBatch = async (batch: BatchDone): Promise<void> => {
    if (study.output.fleetRows) await writeFleetRows(options.out, batch, cellMap, study);
    running.engineSeconds += batch.engineSeconds;
    running.fleetRuns += batch.fleetCell.length * batch.replicates;
    running.runs += batch.batch.runs.count;
    running.agentSteps += batch.result.totals.finalQueue.length * batch.batch.config.steps;
    unitsDone += batch.units.length;
    await saveCheckpoint(false);
  };
  const progress = (fleetRuns: number): void => {
    const seconds = (performance.now() - started) / 1000;
    bar?.update(before.fleetRuns + fleetRuns, { rate: Math.round(fleetRuns / Math.max(seconds, 1e-9)) });
    options.onProgress?.(fleetRuns);
  };
  try {
    await writeAtomic(
      join(options.out, FILES.manifest),
      `${JSON.stringify(manifest(loaded, studyFile, backends, options.shard, counts, total(running), false), null, 2)}\n`,
    );
    const times = await runSweep({ cells, units: todo }, (b) => backend.run(b), aggregate, {
      afterBatch,
      progress,
      ...(options.batchAgentRuns === undefined ? {} : { batchAgentRuns: options.batchAgentRuns }),
    });
    await saveCheckpoint(true);
    const summary = await writeTables(options.out, loaded, aggregate);
    await writeAtomic(
      join(options.out, FILES.manifest),
      `${JSON.stringify(manifest(loaded, studyFile, backends, options.shard, counts, total(running), true), null, 2)}\n`,
    );
    return { dir: options.out, study, cells: cells.length, times, fleetRunsTotal, resumedUnits: done, summary };
  } finally {
    bar?.stop();
  }
}

async function writeFleetRows(dir: string, done: BatchDone, cells: ReadonlyMap<number, Cell>, study: Study): Promise<void> {
  const table = fleetRowsTable(done, cells, study.axes.map(axisName));
  const perFleet = done.replicates * done.policies.length;
  let row = 0;
  for (const unit of done.units) {
    const rows = (unit.sampleEnd - unit.sampleBegin) * perFleet;
    await writeAtomic(join(dir, FILES.fleets, fleetFileName(unit.id)), tableToIPC(table.slice(row, row + rows), 'file'));
    row += rows;
  }
}

/** One line per cell (at most 12) with each policy's mean avgLatency: what the sweep found, at a glance. */
export function sweepText(outcome: SweepOutcome, backend: Backend): string {
  const { study, times, summary } = outcome;
  const rate = times.fleetRuns / Math.max(times.totalSeconds, 1e-9);
  const lines = [
    `fleetsim sweep ${study.name}: ${outcome.cells} cell(s) × ${study.samples} sample(s) × ${study.replicates} replicate(s) × ${study.policies.length} policies`,
    `backend: ${backend.name}${backend.adapter ? ` (${backend.adapter})` : ''}; ${times.fleetRuns} fleet runs in ${times.totalSeconds.toFixed(2)} s (${rate.toFixed(0)} fleet runs/s, engine ${((100 * times.engineSeconds) / Math.max(times.totalSeconds, 1e-9)).toFixed(0)} % of the time)${outcome.resumedUnits > 0 ? `; resumed after ${outcome.resumedUnits} unit(s)` : ''}`,
    `results: ${outcome.dir}/{${FILES.summary}, ${FILES.cells}, ${FILES.manifest}${study.output.fleetRows ? `, ${FILES.fleets}/` : ''}}`,
    '',
    `mean avgLatency (s) per cell: ${study.policies.join(' / ')}`,
  ];
  for (const cell of summary.slice(0, 12)) {
    const where =
      Object.entries(cell.values)
        .map(([k, v]) => `${k}=${v}`)
        .join(' ') || '(single cell)';
    const means = cell.policies.map((p) => p.metrics.avgLatency?.mean.toFixed(3) ?? '–').join(' / ');
    lines.push(`  ${where}: ${means}`);
  }
  if (summary.length > 12) lines.push(`  … ${summary.length - 12} more in ${FILES.cells}`);
  return lines.join('\n');
}

/** `fleetsim merge DIR… --out DIR`: combines complete shards of one study into an unsharded result. */
export async function mergeCommand(
  dirs: readonly string[],
  out: string,
  studyFromManifest: (m: unknown) => Promise<ExpandedStudy & { hash: string }>,
): Promise<{ shards: number; fleetRuns: number }> {
  const parts: {
    dir: string;
    checkpoint: Checkpoint;
    manifest: { backends?: { name: string; adapter: string | null }[]; study?: unknown };
  }[] = [];
  for (const dir of dirs) {
    const checkpoint = await readCheckpoint(dir);
    if (checkpoint === null) throw new UsageError(`${dir}: no ${FILES.checkpoint}; not a sweep result directory`);
    if (!checkpoint.complete)
      throw new UsageError(
        `${dir}: shard ${checkpoint.shard.index}/${checkpoint.shard.count} is not complete (${checkpoint.unitsDone}/${checkpoint.unitsTotal} units); finish it with --resume`,
      );
    const m = (await readJson(join(dir, FILES.manifest)).catch(() => null)) as {
      backends?: { name: string; adapter: string | null }[];
      study?: unknown;
    } | null;
    if (m === null) throw new UsageError(`${dir}: no readable ${FILES.manifest}`);
    parts.push({ dir, checkpoint, manifest: m });
  }
  const first = parts[0]!.checkpoint;
  for (const p of parts) {
    if (p.checkpoint.studyHash !== first.studyHash || p.checkpoint.seed !== first.seed) {
      throw new UsageError(`${p.dir}: a shard of a different study or seed than ${parts[0]!.dir}; refusing to merge`);
    }
    if (p.checkpoint.shard.count !== first.shard.count)
      throw new UsageError(`${p.dir}: split into ${p.checkpoint.shard.count} shards, ${parts[0]!.dir} into ${first.shard.count}`);
  }
  const indices = parts.map((p) => p.checkpoint.shard.index).sort((a, b) => a - b);
  const missing = Array.from({ length: first.shard.count }, (_, i) => i).filter((i) => !indices.includes(i));
  const repeated = indices.filter((x, i) => indices[i - 1] === x);
  if (repeated.length > 0) throw new UsageError(`shard ${repeated[0]} given twice`);
  if (missing.length > 0) throw new UsageError(`missing shard(s) ${missing.join(', ')} of ${first.shard.count}`);
  if (existsSync(join(out, FILES.manifest)) || existsSync(join(out, FILES.checkpoint))) {
    throw new UsageError(`--out ${out}: already holds a sweep; choose another directory`);
  }

  const loaded = await studyFromManifest(parts[0]!.manifest.study);
  if (loaded.hash !== first.studyHash) throw new UsageError(`${parts[0]!.dir}: the manifest's study does not match its checkpoint`);
  const aggregate = new SweepAggregate(loaded.study.policies);
  const times: SweepTimes = { engineSeconds: 0, totalSeconds: 0, fleetRuns: 0, runs: 0, agentSteps: 0 };
  for (const p of parts) {
    aggregate.merge(SweepAggregate.fromJSON(p.checkpoint.aggregate));
    for (const k of Object.keys(times) as (keyof SweepTimes)[]) times[k] += p.checkpoint.times[k];
  }
  await mkdir(out, { recursive: true });
  for (const p of parts) {
    const from = join(p.dir, FILES.fleets);
    if (!existsSync(from)) continue;
    for (const name of (await readdir(from)).filter((n) => n.endsWith('.arrow'))) {
      await mkdir(join(out, FILES.fleets), { recursive: true });
      await copyFile(join(from, name), join(out, FILES.fleets, name));
    }
  }
  const units = planUnits(loaded.cells).length;
  const state: Checkpoint = {
    ...first,
    shard: WHOLE,
    unitsDone: units,
    unitsTotal: units,
    complete: true,
    times,
    aggregate: aggregate.toJSON(),
  };
  await writeAtomic(join(out, FILES.checkpoint), JSON.stringify(state));
  await writeTables(out, loaded, aggregate);
  const fleetRuns = unitFleetRuns(planUnits(loaded.cells), loaded.cells);
  const counts = {
    cells: loaded.cells.length,
    units,
    fleetRuns,
    policies: loaded.study.policies.length,
    runs: fleetRuns * loaded.study.policies.length,
    shardsMerged: parts.length,
  };
  const backends = parts.flatMap((p) => p.manifest.backends ?? []);
  await writeAtomic(
    join(out, FILES.manifest),
    `${JSON.stringify(manifest(loaded, parts[0]!.dir, backends, WHOLE, counts, times, true), null, 2)}\n`,
  );
  return { shards: parts.length, fleetRuns: times.fleetRuns };
}
