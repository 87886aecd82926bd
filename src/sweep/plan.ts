/**
 * How a sweep is cut up. A **unit** is a fixed block of fleet samples of one cell (all replicates, all
 * policies), or, when a sample's replicates exceed UNIT_FLEET_RUNS, a block of UNIT_FLEET_RUNS
 * consecutive replicates of one sample (all policies); units are numbered cell-major, then by sample,
 * then by replicate block, and never depend on the machine, so they are what shards own (unit u
 * belongs to shard u mod N), what a checkpoint counts and what a per-fleet file holds.
 * A **batch** is a run of consecutive units of one shard with the same engine settings and the same
 * replicates of each fleet (whole units of several samples, or consecutive replicate blocks of one
 * sample), sized to the memory budget; batches are a machine-dependent grouping only, since the
 * statistics are order-independent (src/stats).
 *
 * @example
 *   const units = shardUnits(planUnits(cells), { index: 0, count: 4 });
 *   for (const batch of planBatches(units, cells, 1 << 20)) …
 */
import { ownArrivals } from '../study/fleets.js';
import type { SimConfig } from '../model/batch.js';
import type { Cell } from '../study/cells.js';
import type { Study } from '../study/schema.js';
import { lifecycleSpec } from '../study/lifecycle.js';

/** Fleet runs (sample × replicate) per unit: big enough to keep a GPU busy, small enough to resume often. */
export const UNIT_FLEET_RUNS = 16_384;

export interface Unit {
  id: number; // global unit number, cell-major
  cell: number; // cell index
  sampleBegin: number;
  sampleEnd: number; // exclusive
  /** The replicates of each of its samples: [0, replicates), or one block when replicates > UNIT_FLEET_RUNS (then sampleEnd = sampleBegin + 1). */
  replicateBegin: number;
  replicateEnd: number; // exclusive
}

export interface Shard {
  index: number; // 0 ≤ index < count
  count: number;
}

export const WHOLE: Shard = { index: 0, count: 1 };

/**
 * Why a checkpoint or a shard set may count other units than this plan (said where one is refused):
 * fleetsim before replicate blocks made one unit of a sample's replicates however many there were.
 */
export const OTHER_PLAN_OF_UNITS = `a fleetsim older than this one makes one unit of a sample's replicates however many, where this one splits more than ${UNIT_FLEET_RUNS} of them into blocks`;

/** Fleet samples per unit for a study of at most UNIT_FLEET_RUNS replicates: whole replicate sets, about UNIT_FLEET_RUNS fleet runs. */
export function unitSamples(study: Study): number {
  return Math.max(1, Math.floor(UNIT_FLEET_RUNS / study.replicates));
}

/** Replicate blocks per sample: 1, or ⌈replicates / UNIT_FLEET_RUNS⌉ when the replicates exceed UNIT_FLEET_RUNS. */
export function replicateBlocks(study: Study): number {
  return Math.ceil(study.replicates / UNIT_FLEET_RUNS);
}

/**
 * Every unit of the study, cell-major then by sample block; when a sample's replicates exceed
 * UNIT_FLEET_RUNS, each sample is a unit per block of UNIT_FLEET_RUNS consecutive replicates (the last
 * one shorter), so a unit never holds much more than UNIT_FLEET_RUNS fleet runs.
 */
export function planUnits(cells: readonly Cell[]): Unit[] {
  const units: Unit[] = [];
  for (const cell of cells) {
    const { samples, replicates } = cell.study;
    if (replicates <= UNIT_FLEET_RUNS) {
      const block = unitSamples(cell.study);
      for (let s = 0; s < samples; s += block) {
        const sampleEnd = Math.min(samples, s + block);
        units.push({ id: units.length, cell: cell.index, sampleBegin: s, sampleEnd, replicateBegin: 0, replicateEnd: replicates });
      }
      continue;
    }
    for (let s = 0; s < samples; s++) {
      for (let r = 0; r < replicates; r += UNIT_FLEET_RUNS) {
        const replicateEnd = Math.min(replicates, r + UNIT_FLEET_RUNS);
        units.push({ id: units.length, cell: cell.index, sampleBegin: s, sampleEnd: s + 1, replicateBegin: r, replicateEnd });
      }
    }
  }
  return units;
}

/** The units of one shard, in unit order. */
export function shardUnits(units: readonly Unit[], shard: Shard): Unit[] {
  return units.filter((u) => u.id % shard.count === shard.index);
}

/** The engine settings of a cell (everything a batch must share). */
export function simConfig(study: Study): SimConfig {
  return {
    dt: study.dt,
    steps: study.steps,
    warmup: study.warmup,
    lmax: study.lmax,
    price: study.price,
    // A process name applies to every agent that has none of its own; a process with parameters is
    // each agent's own (src/study/fleets.ts cellFleet), leaving the batch's default unused.
    arrivals: typeof study.arrivals === 'string' ? study.arrivals : 'poisson',
    // The arrival statistics: for the processes beyond the paper's two, or when asked.
    arrivalStats: ownArrivals(study) || study.output.arrivalStats,
    work: study.work,
    signal: study.allocator.sees,
    emaAlpha: study.allocator.emaAlpha,
    // τ ≥ Δt is checked only where a policy reads τ (src/study/schema.ts); elsewhere it is unused.
    queueTau: Math.max(study.allocator.queueTau, study.dt),
    sliceOverhead: study.allocator.sliceOverhead,
    maxMinFloor: study.allocator.maxMinFloor,
    seed: study.seed,
    // The serverless lifecycle (src/study/lifecycle.ts): only when the study has the block, so a study
    // without it keeps its engine settings (and batches) as they were.
    ...(study.lifecycle === undefined ? {} : { lifecycle: lifecycleSpec(study.lifecycle)! }),
  };
}

const configKey = (c: SimConfig): string => JSON.stringify({ ...c, seed: String(c.seed) });

/** Upper bound of the agents of one fleet sample of a cell (exact for fixed fleets). */
export function maxAgents(study: Study): number {
  const f = study.fleet;
  if ('preset' in f) return 4;
  if ('agents' in f) return f.agents.length;
  return typeof f.random.agents === 'number' ? f.random.agents : f.random.agents.max;
}

/** Fleet runs (samples × replicates) of a unit. */
export const unitFleetRunCount = (unit: Unit): number => (unit.sampleEnd - unit.sampleBegin) * (unit.replicateEnd - unit.replicateBegin);

/** Agent-runs (agents × replicates × policies over its samples) a unit can hold at most. */
export function unitAgentRuns(unit: Unit, study: Study): number {
  return unitFleetRunCount(unit) * study.policies.length * maxAgents(study);
}

/** Whether `unit` holds the replicates after `last`'s of the same single sample (its next replicate block). */
const continues = (last: Unit, unit: Unit): boolean =>
  unit.cell === last.cell &&
  unit.sampleBegin === last.sampleBegin &&
  unit.sampleEnd === last.sampleEnd &&
  unit.sampleEnd - unit.sampleBegin === 1 &&
  unit.replicateBegin === last.replicateEnd;

/**
 * The replicates [begin, end) that every fleet of a batch of `units` runs, and whether the batch is
 * one sample's consecutive replicate blocks (`chain`: one fleet) rather than units of the same
 * replicates (one fleet per sample). A batch's runs are its fleets × these replicates × the policies
 * (crossRuns), so any other mix of units cannot be one batch: Error.
 */
export function batchReplicates(units: readonly Unit[]): { begin: number; end: number; chain: boolean } {
  const first = units[0]!;
  const chain = units.length > 1 && continues(first, units[1]!);
  for (let k = 1; k < units.length; k++) {
    const u = units[k]!;
    const ok = chain ? continues(units[k - 1]!, u) : u.replicateBegin === first.replicateBegin && u.replicateEnd === first.replicateEnd;
    if (!ok)
      throw new Error(`units ${first.id} and ${u.id} cannot share a batch: their replicates differ (src/sweep/plan.ts batchReplicates)`);
  }
  return { begin: first.replicateBegin, end: units.at(-1)!.replicateEnd, chain };
}

/** Whether `unit` can join `batch` (see batchReplicates): the same replicates as all its units, or the next block of its one sample. */
function joins(batch: readonly Unit[], unit: Unit): boolean {
  const first = batch[0]!;
  const last = batch.at(-1)!;
  const same = (u: Unit): boolean => u.replicateBegin === unit.replicateBegin && u.replicateEnd === unit.replicateEnd;
  // A chain of two or more blocks has first ≠ last replicates, so `same` for both means every unit.
  if (same(first) && same(last)) return true;
  return continues(last, unit) && first.cell === unit.cell && first.sampleBegin === unit.sampleBegin;
}

/**
 * Groups consecutive units with equal engine settings (and the same replicates of each fleet: see
 * joins) into batches of at most `maxAgentRuns` agent-runs (a unit larger than the budget is a batch
 * of its own; the engine splits it further).
 */
export function planBatches(units: readonly Unit[], cells: readonly Cell[], maxAgentRuns: number): Unit[][] {
  const byIndex = new Map(cells.map((c) => [c.index, c]));
  const batches: Unit[][] = [];
  let current: Unit[] = [];
  let key = '';
  let size = 0;
  for (const unit of units) {
    const study = byIndex.get(unit.cell)!.study;
    const k = configKey(simConfig(study));
    const n = unitAgentRuns(unit, study);
    if (current.length > 0 && (k !== key || size + n > maxAgentRuns || !joins(current, unit))) {
      batches.push(current);
      current = [];
      size = 0;
    }
    current.push(unit);
    key = k;
    size += n;
  }
  if (current.length > 0) batches.push(current);
  return batches;
}
