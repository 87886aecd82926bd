/**
 * `fleetsim sweep`, `fleetsim validate` and `fleetsim merge`: a study file in, a result directory out
 * (src/results/ owns the files: files.ts lists them, write.ts writes them, merge.ts merges shards).
 * Every check on the user's input happens before the output directory is touched; after each batch
 * its per-fleet files, and at most once a second the checkpoint, are written atomically, so
 * `--resume` continues from the last checkpoint even after `kill -9` (docs/RESULTS.md).
 */
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { SingleBar } from 'cli-progress';
import type { Engine } from '../platform/engine.js';
import { packageVersion } from '../platform/node.js';
import { type Checkpoint, CHECKPOINT_FORMAT } from '../results/checkpoint.js';
import { FILES, removeTemporaries } from '../results/files.js';
import { sweepManifest } from '../results/manifest.js';
import type { LoadedStudy } from '../results/write.js';
import { type Cell, type ExpandedStudy, expandStudy, parseStudyJson, StudyError } from '../study/cells.js';
import { axisName, type Study } from '../study/schema.js';
import { studyIdentityText } from '../study/identity.js';
import { type CellSummary, SweepAggregate } from '../sweep/aggregate.js';
import { planUnits, type Shard, shardUnits, type Unit, unitAgentRuns, WHOLE } from '../sweep/plan.js';
import {
  autoBatchAgentRuns,
  type BatchDone,
  DEFAULT_BATCH_AGENT_RUNS,
  buildBatch,
  runSweep,
  type SweepTimes,
  unitFleetRuns,
} from '../sweep/run.js';
import { ConfigError } from '../model/errors.js';
import { ownArrivals, studyTraceNames } from '../study/fleets.js';
import type { Trace } from '../traces/format.js';
import { TraceLibrary } from '../traces/library.js';
import { loadServeGen, loadTrace } from '../traces/load.js';
import { traceWraps } from '../random/replay.js';
import type { ServeGenTrace } from '../traces/servegen.js';
import { UsageError } from './errors.js';
import { acquireLock, type DirectoryLock, fileSystemError, prepareDirectory } from './outDir.js';
import { displayPath, quote } from '../text/quote.js';
import { sweepHeader, sweepSummary } from './summary.js';
import { prepareOut, usage } from './resume.js';

/**
 * Top-level study fields set from the command line (`--seed`, and montecarlo's options), applied to
 * the file's JSON before it is validated; undefined entries leave the file's value.
 */
export type StudyOverrides = Readonly<Record<string, number | undefined>>;

/** Reads and validates a study file with `overrides` applied. Throws StudyError/UsageError. */
export async function loadStudy(path: string, overrides: StudyOverrides = {}): Promise<LoadedStudy> {
  const shown = displayPath(path);
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    throw new UsageError(`${shown}: cannot read the study file (${(error as NodeJS.ErrnoException).code ?? String(error)})`);
  }
  const set = Object.entries(overrides).filter(([, value]) => value !== undefined);
  let expanded: ExpandedStudy;
  try {
    const json = parseStudyJson(text, shown);
    let applied: unknown = json;
    if (set.length > 0 && typeof json === 'object' && json !== null && !Array.isArray(json)) {
      // A fresh object with own properties only: the file's fields, then the options'.
      const copy: Record<string, unknown> = {};
      for (const [key, value] of [...Object.entries(json), ...set])
        Object.defineProperty(copy, key, { value, writable: true, enumerable: true, configurable: true });
      applied = copy;
    }
    expanded = expandStudy(applied);
  } catch (error) {
    if (error instanceof StudyError) throw new StudyError(error.problems.map((p) => (p.startsWith(`${shown}:`) ? p : `${shown}: ${p}`)));
    throw error;
  }
  const traces = studyTraces(expanded, shown);
  return { ...expanded, traces, notes: [...(expanded.notes ?? []), ...wrapNotes(expanded, traces)], hash: studyHash(expanded.study) };
}

/**
 * The cells whose studies differ in `fields` (objects compared by identity: the cells of a grid share
 * every part of the study no axis sets, src/study/cells.ts), the first of each kind: a check that
 * reads only those fields runs once per kind, not once per cell of a large grid.
 */
export function distinctCells(cells: readonly Cell[], fields: readonly string[]): Cell[] {
  const ids = new WeakMap<object, number>();
  let next = 0;
  const idOf = (x: unknown): string => {
    if (typeof x !== 'object' || x === null) return JSON.stringify(x) ?? 'undefined';
    let id = ids.get(x);
    if (id === undefined) ids.set(x, (id = next++));
    return `#${id}`;
  };
  const seen = new Set<string>();
  return cells.filter((cell) => {
    const key = fields.map((f) => idOf((cell.study as Record<string, unknown>)[f])).join(' ');
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

/**
 * A note per trace shorter than a cell's run: every agent's copy of it wraps around (cyclically), so
 * the run sees the trace's pattern more than once (MODEL-PART4 §4.2; never silent).
 */
function wrapNotes({ cells }: ExpandedStudy, traces: TraceLibrary): string[] {
  const notes = new Set<string>();
  for (const cell of distinctCells(cells, ['fleet', 'arrivals', 'dt', 'steps'])) {
    for (const { name, serveGen } of studyTraceNames(cell.study)) {
      const { dt, steps } = cell.study;
      const length = serveGen ? traces.serveGenSteps(name, dt) : traces.counts(name, dt).length;
      if (traceWraps(length, steps)) {
        notes.add(
          `note: trace ${quote(name)} holds ${length} steps of ${dt} s, fewer than the run's ${steps}: each agent's copy wraps around (the pattern repeats)`,
        );
      }
    }
  }
  return [...notes];
}

/** Random fleet samples whose placement on several GPUs `sweep` and `validate` check before running. */
const PLACEMENT_SAMPLES = 4096;

/**
 * Loads the traces the study's cells name (shipped names or files, relative to the working
 * directory), then checks every cell with its own arrival processes the way `sweep` will: its traces
 * bin at its Δt, and its first fleet sample packs and validates (src/model/batch.ts). Throws
 * StudyError with one line per problem.
 */
function studyTraces({ cells }: ExpandedStudy, path: string): TraceLibrary {
  const loaded = new Map<string, Trace>();
  const serveGen = new Map<string, ServeGenTrace>();
  const problems: string[] = [];
  const tried = new Set<string>(); // each name loaded (or reported) once
  for (const cell of distinctCells(cells, ['fleet', 'arrivals'])) {
    for (const { name, field, serveGen: isServeGen } of studyTraceNames(cell.study)) {
      if (tried.has(`${isServeGen}:${name}`)) continue;
      tried.add(`${isServeGen}:${name}`);
      try {
        if (isServeGen) serveGen.set(name, loadServeGen(name, field));
        else loaded.set(name, loadTrace(name, field));
      } catch (error) {
        if (!(error instanceof ConfigError)) throw error;
        problems.push(`${path}: ${error.message}`);
      }
    }
  }
  if (problems.length > 0) throw new StudyError(problems);
  const library = new TraceLibrary(loaded, serveGen);
  // Cells that differ only in fields the schema checks alone (lmax, price, …) pack alike: one check each.
  const packing = Object.keys(cells[0]?.study ?? {}).filter(
    (k) => !['lmax', 'price', 'name', 'description', '$schema', '$comment'].includes(k),
  );
  for (const cell of distinctCells(cells, packing)) {
    // Several GPUs: the placement (each model within some GPU's memory, each GPU's pinned agents), or
    // a pool's pinned agents, is the packer's; a random fleet's samples differ, so up to
    // PLACEMENT_SAMPLES of them are packed.
    const placed = (cell.study.fleet.gpus ?? 1) > 1;
    if (!ownArrivals(cell.study) && !placed) continue;
    try {
      // One replicate: the packer checks the fleet's parameters, which the replicates share (all
      // 10^6 of them made validate take 10 s).
      const one = new Map([[cell.index, { ...cell, study: { ...cell.study, replicates: 1 } }]]);
      const samples = placed && 'random' in cell.study.fleet ? Math.min(cell.study.samples, PLACEMENT_SAMPLES) : 1;
      buildBatch([{ id: 0, cell: cell.index, sampleBegin: 0, sampleEnd: samples, replicateBegin: 0, replicateEnd: 1 }], one, library);
    } catch (error) {
      if (!(error instanceof ConfigError)) throw error;
      const where = cells.length > 1 ? `cell ${cell.index} (${cell.values.map((v) => quote(v)).join(', ')}): ` : '';
      problems.push(`${path}: ${where}${error.message}`);
      if (problems.length >= 20) break;
    }
  }
  if (problems.length > 0) throw new StudyError([...new Set(problems)]);
  return library;
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
    else
      throw new UsageError(
        `--shard ${quote(value)}: no shard index (set JOB_COMPLETION_INDEX or SLURM_ARRAY_TASK_ID, or write --shard I/N)`,
      );
  } else throw new UsageError(`--shard: must be I/N (0 ≤ I < N) or N, got ${quote(value)}`);
  if (!(count >= 1 && count <= 100_000) || !(index >= 0 && index < count)) {
    throw new UsageError(`--shard: the index must be from 0 to N − 1 and N from 1 to 100000, got ${index}/${count}`);
  }
  return { index, count };
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

/** The least time between two checkpoints of a running sweep (the last one is always written). */
const CHECKPOINT_INTERVAL_MS = 1000;
/** …and at least this many times the last checkpoint's write (at most about 1/(1 + 4) of the time goes to checkpoints). */
const CHECKPOINT_WRITE_FACTOR = 4;

/** fleetsim's version and Node's, for the manifest. */
const runtime = (): { fleetsim: string; node: string } => ({ fleetsim: packageVersion(), node: process.version });

/** What a fault of the file system during a sweep leaves: said after its cause. */
const RESUMABLE = '; the directory holds every batch written so far: fix the cause, then run the same command with --resume';

/** Agent-steps of `units`: what the engine is told to expect (Engine.warm). */
function unitsAgentSteps(units: readonly Unit[], cells: ReadonlyMap<number, Cell>): number {
  let total = 0;
  for (const u of units) {
    const { study } = cells.get(u.cell)!;
    total += unitAgentRuns(u, study) * study.steps;
  }
  return total;
}

/**
 * Runs (or resumes) a sweep into `options.out`. The engine may still be opening (a promise): the sweep
 * loads its result writers and plans meanwhile, and waits for it before it touches `options.out`, so
 * an engine that fails to open leaves the directory as it was. Once the engine is there it is told
 * how much work is coming (Engine.warm: the CPU pool starts its workers for a sweep big enough to
 * share).
 */
export async function runSweepCommand(
  studyFile: string,
  loaded: LoadedStudy,
  engineOrOpening: Engine | Promise<Engine>,
  options: SweepOptions,
): Promise<SweepOutcome> {
  const { study, cells } = loaded;
  const units = shardUnits(planUnits(cells), options.shard);
  const cellMap = new Map(cells.map((c) => [c.index, c]));
  const opening = Promise.resolve(engineOrOpening);
  // On the CPU the engine is there at once, so its workers start here, while the result writers load.
  void opening.then(
    (engine) => engine.warm?.(unitsAgentSteps(units, cellMap)),
    () => undefined, // the rejection is the caller's, through the await below
  );
  const [files, progressBars] = await Promise.all([import('../results/write.js'), options.quiet ? null : import('cli-progress')]);
  const engine = await opening;
  const { writeCheckpoint, writeFleetRows, writeManifest, writeTables } = files;
  const prepared = await prepareOut(options, loaded, units, files);
  const { checkpoint, lock } = prepared;
  const done = checkpoint?.unitsDone ?? 0;
  const aggregate = prepared.aggregate ?? new SweepAggregate(study.policies);
  const before = checkpoint?.times ?? { engineSeconds: 0, totalSeconds: 0, fleetRuns: 0, runs: 0, agentSteps: 0 };
  const todo = units.slice(done);
  const fleetRunsTotal = unitFleetRuns(units);
  const counts = {
    cells: cells.length,
    units: units.length,
    fleetRuns: fleetRunsTotal,
    policies: study.policies.length,
    runs: fleetRunsTotal * study.policies.length,
  };
  const engines = [{ name: engine.name, adapter: engine.adapter }];
  const manifest = (complete: boolean): object =>
    sweepManifest({ loaded, studyFile, engines, shard: options.shard, counts, times: total(running), complete, runtime: runtime() });

  if (!options.quiet) process.stdout.write(`${sweepHeader(study, counts, engine)}\n`); // before the bar: what runs, on what
  const bar: SingleBar | null =
    progressBars === null
      ? null
      : new progressBars.SingleBar({
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
      aggregate: aggregate.toJSON() as Checkpoint['aggregate'],
    };
    return writeCheckpoint(options.out, state);
  };
  let lastCheckpoint = -Infinity;
  let lastWriteMs = 0;
  const afterBatch = async (batch: BatchDone): Promise<void> => {
    if (study.output.fleetRows) await writeFleetRows(options.out, batch, cellMap, study.axes.map(axisName), loaded.hash);
    running.engineSeconds += batch.engineSeconds;
    running.fleetRuns += batch.fleetCell.length * batch.replicates;
    running.runs += batch.batch.runs.count;
    running.agentSteps += batch.result.totals.finalQueue.length * batch.batch.config.steps;
    unitsDone += batch.units.length;
    // The checkpoint holds the whole aggregate, so writing it after every one of many small batches
    // (a grid of 1,000 lmax values is 1,000 batches) would cost O(cells²): the first batch writes
    // one, then at most one a second, and never sooner than CHECKPOINT_WRITE_FACTOR times the last
    // write took (a checkpoint of many cells is tens of MB), so writing stays a bounded share of the
    // run. A killed run redoes the batches since (their per-fleet files come out with the same bytes).
    if (performance.now() - lastCheckpoint >= Math.max(CHECKPOINT_INTERVAL_MS, CHECKPOINT_WRITE_FACTOR * lastWriteMs)) {
      const writing = performance.now();
      await saveCheckpoint(false);
      lastCheckpoint = performance.now();
      lastWriteMs = lastCheckpoint - writing;
    }
    lock.touch();
  };
  const progress = (fleetRuns: number): void => {
    const seconds = (performance.now() - started) / 1000;
    bar?.update(before.fleetRuns + fleetRuns, { rate: Math.round(fleetRuns / Math.max(seconds, 1e-9)) });
    options.onProgress?.(fleetRuns);
  };
  try {
    await removeTemporaries(options.out);
    await writeManifest(options.out, manifest(false));
    const times = await runSweep({ cells, units: todo, ...(loaded.traces ? { traces: loaded.traces } : {}) }, engine, aggregate, {
      afterBatch,
      progress,
      batchAgentRuns: options.batchAgentRuns ?? (options.quiet ? autoBatchAgentRuns(todo, cellMap) : perUnitBatches(todo, cellMap)),
    });
    await saveCheckpoint(true);
    const summary = await writeTables(options.out, loaded, aggregate);
    await writeManifest(options.out, manifest(true));
    return { dir: options.out, study, cells: cells.length, times, fleetRunsTotal, resumedUnits: done, summary };
  } catch (error) {
    throw fileSystemError(error, `--out ${displayPath(options.out)}`, RESUMABLE);
  } finally {
    bar?.stop();
    lock.release();
  }
}

/**
 * The batch budget of a sweep with a progress bar. A small sweep (at most DEFAULT_BATCH_AGENT_RUNS
 * agent-runs, a second or two of work) would be one batch, its bar jumping from 0 to 100 %: its
 * batches are capped at the largest unit, so the bar moves once per unit, at ~10–20 % of the
 * throughput of such a sweep (measured with `--batch-size` on load-curve.json, 2 cores, CPU and
 * lavapipe) — a fraction of a second. A larger sweep keeps the default budget (src/sweep/run.ts): small
 * batches would cost a GPU far more, and its bar already moves in steps of about 1/32 of the sweep
 * (at most DEFAULT_BATCH_AGENT_RUNS each). The results do not depend on it.
 */
function perUnitBatches(units: readonly Unit[], cells: ReadonlyMap<number, Cell>): number {
  let total = 0;
  let largest = 1;
  for (const u of units) {
    const n = unitAgentRuns(u, cells.get(u.cell)!.study);
    total += n;
    largest = Math.max(largest, n);
  }
  const auto = autoBatchAgentRuns(units, cells);
  return total <= DEFAULT_BATCH_AGENT_RUNS ? Math.min(auto, largest) : auto;
}

/** What the sweep found, printed when it ends (src/cli/summary.ts); the header was printed before the bar. */
export function sweepText(outcome: SweepOutcome, engine: Engine): string {
  return sweepSummary(outcome, engine);
}

/** `fleetsim merge DIR… --out DIR`: combines complete shards of one study into an unsharded result (src/results/merge.ts). */
export async function mergeCommand(
  dirs: readonly string[],
  out: string,
  studyFromManifest: (m: unknown) => Promise<LoadedStudy>,
): Promise<{ shards: number; fleetRuns: number }> {
  let lock: DirectoryLock | null = null;
  const what = `--out ${displayPath(out)}`;
  try {
    const { mergeShards } = await import('../results/merge.js');
    return await usage(
      mergeShards(dirs, out, studyFromManifest, runtime(), () => {
        prepareDirectory('--out', out); // after every check of the shards, before anything is written
        lock = acquireLock(out, '--out');
        return existsSync(join(out, FILES.manifest)) || existsSync(join(out, FILES.checkpoint));
      }),
      what,
    );
  } finally {
    (lock as DirectoryLock | null)?.release();
  }
}
