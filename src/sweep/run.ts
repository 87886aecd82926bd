/**
 * The sweep loop, free of Node and of files: builds each batch's fleets (every policy and replicate of
 * a fleet sample share its random stream: common random numbers), runs it on the given engine, folds
 * the per-run (and, for fixed fleets, per-agent) metrics into the aggregate and hands the batch to `afterBatch` (which writes per-fleet
 * rows and the checkpoint in the CLI, or updates a chart in the browser). Host memory is one batch.
 *
 * @example
 *   const agg = new SweepAggregate(study.policies);
 *   await runSweep({ cells, units }, engine, agg, { afterBatch: save }); // engine: src/platform/engine.ts
 */
import { type Batch, crossRuns, FleetPacker, makeBatch } from '../model/batch.js';
import { type BatchResult, type RunTotals, summarize } from '../model/metrics.js';
import { POLICY } from '../model/policies.js';
import type { Engine } from '../platform/engine.js';
import type { Cell, ExpandedStudy } from '../study/cells.js';
import { type AgentSink, cellAgents, type TraceResolver } from '../study/fleets.js';
import { TraceLibrary } from '../traces/library.js';
import { axisName, studyCapacity } from '../study/schema.js';
import { type CellSummary, isFixedFleet, SweepAggregate } from './aggregate.js';
import { batchReplicates, planBatches, planUnits, simConfig, type Unit, unitAgentRuns, unitFleetRunCount } from './plan.js';

/**
 * Agent-runs per batch at most by default: ~150 MB on the host (34 f64 totals per agent-run, the packed
 * parameters), a chunk or two on a GPU. A batch is in flight while the previous one is aggregated, so
 * this bounds the sweep's memory (bench/NOTES.md: 2^20 took a 2×10^6-run sweep to 1.3 GB).
 */
export const DEFAULT_BATCH_AGENT_RUNS = 1 << 19;
/** Below this many agent-runs a batch would leave a GPU idle between dispatches. */
const MIN_AUTO_BATCH_AGENT_RUNS = 1 << 18;

/**
 * The default batch budget: at most DEFAULT_BATCH_AGENT_RUNS, and about 1/32 of the sweep's work when
 * that is smaller, so the progress bar and the checkpoints advance in steps on small sweeps too.
 */
export function autoBatchAgentRuns(units: readonly Unit[], cells: ReadonlyMap<number, Cell>): number {
  const total = units.reduce((n, u) => n + unitAgentRuns(u, cells.get(u.cell)!.study), 0);
  return Math.min(DEFAULT_BATCH_AGENT_RUNS, Math.max(MIN_AUTO_BATCH_AGENT_RUNS, Math.ceil(total / 32)));
}

export interface BatchDone {
  units: readonly Unit[];
  batch: Batch;
  result: BatchResult;
  /** Every fleet of the batch runs replicates replicateBegin … replicateBegin + replicates − 1 (global indices). */
  replicateBegin: number;
  replicates: number; // replicates per fleet in this batch (the study's, unless its units are replicate blocks)
  policies: readonly string[];
  fleetCell: Uint32Array; // cell of each fleet (sample) of the batch
  fleetSample: Uint32Array; // sample index of each fleet
  fleetAgents: Uint16Array; // agents of each fleet (at most MAX_AGENTS_PER_FLEET = 4,096)
  fleetLoad: Float64Array; // nominal load factor Σ λ/T of each fleet
  engineSeconds: number; // time inside the engine for this batch
}

export interface SweepHooks {
  /** Gets each batch in order; its totals (result.totals) must not be kept past the returned promise: the engine may reuse them. */
  afterBatch?: (done: BatchDone) => Promise<void> | void;
  progress?: (fleetRunsDone: number) => void;
  signal?: AbortSignal;
  batchAgentRuns?: number; // default: autoBatchAgentRuns()
}

/** What the loop needs of an Engine: a GpuEngine, or a test's stand-in, will do. */
export type BatchRunner = Pick<Engine, 'run'> & Partial<Pick<Engine, 'release'>>;

export interface SweepTimes {
  engineSeconds: number;
  totalSeconds: number;
  fleetRuns: number;
  runs: number;
  agentSteps: number;
}

/**
 * Builds the batch of `units` (all from cells with equal engine settings, and either the same
 * replicates or one sample's consecutive replicate blocks: planBatches), with the traces its agents
 * name packed at its Δt from `traces`. Each fleet's agents go straight into the batch's typed arrays
 * (`packer`, reused from batch to batch: no object per fleet or agent).
 */
export function buildBatch(
  units: readonly Unit[],
  cells: ReadonlyMap<number, Cell>,
  traces: TraceLibrary = new TraceLibrary(),
  packer: FleetPacker = new FleetPacker(),
): Omit<BatchDone, 'result' | 'engineSeconds'> {
  const first = cells.get(units[0]!.cell)!.study;
  const replicates = batchReplicates(units);
  // A chain of one sample's replicate blocks is one fleet; otherwise every unit's samples are fleets.
  const fleetUnits = replicates.chain ? units.slice(0, 1) : units;
  const count = fleetUnits.reduce((n, u) => n + (u.sampleEnd - u.sampleBegin), 0);
  const fleetCell = new Uint32Array(count);
  const fleetSample = new Uint32Array(count);
  const fleetAgents = new Uint16Array(count);
  const fleetLoad = new Float64Array(count);
  const names: string[] = [];
  const resolver: TraceResolver = {
    index: (name) => {
      const k = names.indexOf(name);
      return k >= 0 ? k : names.push(name) - 1;
    },
    fitMmpp: (name) => traces.fitMmpp(name),
    clients: (name) => traces.clients(name),
  };
  let agents = 0;
  const sink: AgentSink = {
    agent: (T, R, P, lambda, schedule, arrivals, _name, policy, routes, serverless) => {
      packer.agent(T, R, P, lambda, schedule, arrivals, policy, routes, serverless);
      agents++;
    },
    forkJoin: (fork, join) => packer.forkJoin(fork, join),
  };
  packer.reset();
  let k = 0;
  for (const unit of fleetUnits) {
    const study = cells.get(unit.cell)!.study;
    for (let s = unit.sampleBegin; s < unit.sampleEnd; s++, k++) {
      packer.fleet(studyCapacity(study), s, study.fleet.gpus ?? 1, study.fleet.gpuMode); // the sample's stream, the same in every cell and under every policy
      agents = 0;
      fleetLoad[k] = cellAgents(study, s, resolver, sink);
      fleetCell[k] = unit.cell;
      fleetSample[k] = s;
      fleetAgents[k] = agents;
    }
  }
  const policies = first.policies.map((p) => POLICY[p]);
  const config = simConfig(first);
  // Packed with the lifecycle: the placement on several GPUs fits each GPU's memory.
  const packed = packer.finish(traces.pack(names, first.dt, first.steps, first.warmup), config.lifecycle);
  const perFleet = replicates.end - replicates.begin;
  const batch = makeBatch(packed, crossRuns(count, policies, perFleet, replicates.begin), config);
  return {
    units,
    batch,
    replicateBegin: replicates.begin,
    replicates: perFleet,
    policies: first.policies,
    fleetCell,
    fleetSample,
    fleetAgents,
    fleetLoad,
  };
}

/**
 * Each unit of a batch with its fleet runs [from, to) in the batch (fleet run k: fleet ⌊k / replicates⌋,
 * replicate replicateBegin + k mod replicates; its runs are k·P … k·P + P − 1): a unit's rows.
 */
export function unitFleetRunRanges(
  done: Pick<BatchDone, 'units' | 'replicateBegin' | 'replicates'>,
): { unit: Unit; from: number; to: number }[] {
  const ranges: { unit: Unit; from: number; to: number }[] = [];
  let fleet = 0;
  for (const [k, unit] of done.units.entries()) {
    const samples = unit.sampleEnd - unit.sampleBegin;
    const previous = done.units[k - 1];
    // A later replicate block of the previous unit's sample stays in its fleet.
    if (previous !== undefined && unit.cell === previous.cell && unit.sampleBegin === previous.sampleBegin) fleet -= samples;
    const from = fleet * done.replicates + (unit.replicateBegin - done.replicateBegin);
    const to = (fleet + samples - 1) * done.replicates + (unit.replicateEnd - done.replicateBegin);
    ranges.push({ unit, from, to });
    fleet += samples;
  }
  return ranges;
}

type Built = Omit<BatchDone, 'result' | 'engineSeconds'>;

interface InFlight {
  built: Built;
  totals: Promise<RunTotals>;
  started: number;
  readonly finished: number; // when the engine's promise settled
}

/** Starts the engine on a built batch (null: nothing left). */
function launch(built: Built | null, engine: BatchRunner): InFlight | null {
  if (!built) return null;
  const started = performance.now();
  let finished = started;
  const totals = engine.run(built.batch).finally(() => {
    finished = performance.now();
  });
  // A failure surfaces where the loop awaits it; until then it must not count as unhandled.
  totals.catch(() => undefined);
  return {
    built,
    totals,
    started,
    get finished() {
      return finished;
    },
  };
}

/**
 * Runs `units` (in order) and folds them into `aggregate`. The engine's run of one batch overlaps the
 * host's work on the previous one (summarising, aggregating, `afterBatch`) and building the next.
 */
export async function runSweep(
  plan: { cells: readonly Cell[]; units: readonly Unit[]; traces?: TraceLibrary },
  engine: BatchRunner,
  aggregate: SweepAggregate,
  hooks: SweepHooks = {},
): Promise<SweepTimes> {
  const started = performance.now();
  const cells = new Map(plan.cells.map((c) => [c.index, c]));
  const times: SweepTimes = { engineSeconds: 0, totalSeconds: 0, fleetRuns: 0, runs: 0, agentSteps: 0 };
  const batches = planBatches(plan.units, plan.cells, hooks.batchAgentRuns ?? autoBatchAgentRuns(plan.units, cells))[Symbol.iterator]();
  const packer = new FleetPacker(); // its columns reused from batch to batch
  const build = (): Built | null => {
    const next = batches.next();
    if (next.done) return null;
    hooks.signal?.throwIfAborted();
    return buildBatch(next.value, cells, plan.traces, packer);
  };
  // Pipelined: while the engine runs batch k+1, the host summarises and saves batch k and builds k+2.
  // The aggregate still takes the batches in order, so results do not depend on the overlap.
  let running = launch(build(), engine);
  let upcoming = running ? build() : null;
  while (running) {
    const current = running;
    const totals = await current.totals;
    const engineSeconds = (current.finished - current.started) / 1000;
    hooks.signal?.throwIfAborted();
    running = launch(upcoming, engine);
    const { built } = current;
    const result = summarize(built.batch, totals);
    const fleetRuns = built.fleetCell.length * built.replicates;
    aggregate.addBatch((k) => built.fleetCell[Math.floor(k / built.replicates)]!, result, fleetRuns, {
      batch: built.batch,
      fixed: (cell) => isFixedFleet(cells.get(cell)!.study),
    });
    await hooks.afterBatch?.({ ...built, result, engineSeconds });
    const { config } = built.batch;
    times.engineSeconds += engineSeconds;
    times.fleetRuns += fleetRuns;
    times.runs += built.batch.runs.count;
    times.agentSteps += totals.finalQueue.length * config.steps;
    engine.release?.(totals); // read to the end: the engine may reuse its memory for a later batch
    hooks.progress?.(times.fleetRuns);
    upcoming = running ? build() : null;
  }
  times.totalSeconds = (performance.now() - started) / 1000;
  return times;
}

/**
 * A whole study run in memory, as `fleetsim sweep` runs it but without its result files: the cells of
 * summary.json (the same loader's cells, plan, sweep loop and aggregate) and the sweep's timings.
 */
export async function sweepInMemory(
  { study, cells, traces }: ExpandedStudy,
  engine: BatchRunner,
): Promise<{ cells: CellSummary[]; times: SweepTimes }> {
  const aggregate = new SweepAggregate(study.policies);
  const times = await runSweep({ cells, units: planUnits(cells), ...(traces ? { traces } : {}) }, engine, aggregate);
  return { cells: aggregate.summary(cells, study.axes.map(axisName)), times };
}

/** Fleet runs (sample × replicate) of a list of units. */
export function unitFleetRuns(units: readonly Unit[]): number {
  return units.reduce((n, u) => n + unitFleetRunCount(u), 0);
}
