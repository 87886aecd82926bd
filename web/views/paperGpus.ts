/**
 * What the Paper view shows of a fleet's several GPUs (MODEL-PART4 §4.5): by **placement**
 * (src/model/placement.ts) each agent lives on one GPU, so each GPU's utilisation is its agents' busy
 * fraction, Σ_{i on k} served_i/(T_i·Δt), per step from the CPU series and per run from the totals
 * (gpuUtilizations, what gpuImbalance reads). In a **pool** (src/model/pool.ts) the compute is not per
 * GPU: the pool's busy fraction over all its GPUs. Either way each GPU's memory in use per step is the
 * CPU series' `gpuMemory` (a pool's agent holds memory on the GPU it last loaded on). Pure: no DOM, so
 * Node tests can run it.
 *
 * @example
 *   const layout = gpuLayout(batch);                        // n_G, pool or not, each agent's GPU
 *   const util = gpuUtilizationData(series, layout, T, 1);  // x seconds, one column per GPU
 */
import type { Batch } from '../../src/model/batch.js';
import { MB_PER_GB } from '../../src/model/lifecycle.js';
import { recordedSteps, type RunTotals } from '../../src/model/metrics.js';
import { gpuCapacity, gpuUtilizations } from '../../src/model/placement.js';
import type { Columns } from './paperFigures.js';

/** The fleet's GPUs as the page draws them (fleet 0 of the page's batch). */
export interface GpuLayout {
  /** n_G. */
  gpus: number;
  /** One pool (gpuMode pool with n_G > 1), else placement (or one GPU). */
  pool: boolean;
  /** Placement: each agent's GPU (PackedFleets.gpu, after LPT); a pool: all 0 (its home moves). */
  agentGpu: number[];
  /** One GPU's capacity, f32(G/n_G) (1 by default: the page's capacity is n_G). */
  gpuCapacity: number;
}

export function gpuLayout(batch: Batch): GpuLayout {
  const { fleets } = batch;
  const a0 = fleets.agentOffset[0]!;
  const n = fleets.agentCount[0]!;
  return {
    gpus: fleets.gpuCount[0]!,
    pool: fleets.gpuPool[0] === 1,
    agentGpu: Array.from(fleets.gpu.subarray(a0, a0 + n)),
    gpuCapacity: gpuCapacity(fleets, 0),
  };
}

/** The per-step series the GPU views read (src/cpu/engine.ts RunSeries). */
export interface GpuSeries {
  steps: number;
  agents: number;
  /** Agent-major: work served in the step. */
  served: ArrayLike<number>;
  /** n_G. */
  gpus: number;
  /** GPU-major [k·steps + t]: MB in use on GPU k after the step's admissions. */
  gpuMemory: ArrayLike<number>;
}

const xSeconds = (steps: number, dt: number): number[] => Array.from({ length: steps }, (_, t) => t * dt);

/**
 * Placement: each GPU's utilisation at each step, Σ_{i on k} served_i(t)/(T_i·Δt) (its busy fraction;
 * the mean over the recorded steps is gpuUtilizations'). x: the step's start, seconds; a column per GPU.
 */
export function gpuUtilizationData(series: GpuSeries, layout: GpuLayout, T: readonly number[], dt: number): Columns {
  const { steps, agents } = series;
  const columns = Array.from({ length: layout.gpus }, () => new Array<number>(steps).fill(0));
  for (let i = 0; i < agents; i++) {
    const column = columns[layout.agentGpu[i]!]!;
    const scale = T[i]! * dt;
    for (let t = 0; t < steps; t++) column[t] = column[t]! + series.served[i * steps + t]! / scale;
  }
  return [xSeconds(steps, dt), ...columns];
}

/**
 * A pool: its busy fraction at each step, Σ_i served_i(t)/(T_i·Δt) over its n_G GPUs of capacity
 * gpuCapacity each (the compute of a pool is not per GPU). x seconds, one column.
 */
export function poolUtilizationData(series: GpuSeries, layout: GpuLayout, T: readonly number[], dt: number): Columns {
  const { steps, agents } = series;
  const busy = new Array<number>(steps).fill(0);
  for (let i = 0; i < agents; i++) {
    const scale = T[i]! * dt;
    for (let t = 0; t < steps; t++) busy[t] = busy[t]! + series.served[i * steps + t]! / scale;
  }
  const whole = layout.gpus * layout.gpuCapacity;
  return [xSeconds(steps, dt), busy.map((b) => b / whole)];
}

/**
 * Each GPU's memory in use after each step's admissions, GB (x: the step's start, seconds; a column per
 * GPU), from the series' gpuMemory. With `capacityGB`, a last column at the card's usable memory.
 */
export function gpuMemoryData(series: GpuSeries, dt: number, capacityGB?: number): Columns {
  const { steps, gpus } = series;
  const x = xSeconds(steps, dt);
  const gb = Array.from({ length: gpus }, (_, k) => Array.from({ length: steps }, (_, t) => series.gpuMemory[k * steps + t]! / MB_PER_GB));
  return capacityGB === undefined ? [x, ...gb] : [x, ...gb, x.map(() => capacityGB)];
}

/** Each GPU's highest memory in use over the steps of one run, GB (the columns of gpuMemoryData). */
export function gpuPeakMemory(memory: Columns, gpus: number): number[] {
  return Array.from({ length: gpus }, (_, k) => Math.max(0, ...(memory[k + 1] as number[])));
}

/**
 * Placement: each GPU's utilisation over the run's recorded steps (run r of the batch), from the
 * engine's totals: gpuUtilizations, what gpuImbalance and gpuUtilizationMin/Max read.
 */
export function runGpuUtilizations(batch: Batch, totals: RunTotals, r: number): number[] {
  const { fleets, config } = batch;
  const f = batch.runs.fleet[r]!;
  const S = recordedSteps(config);
  return Array.from(
    gpuUtilizations(fleets, f, totals, fleets.agentOffset[f]!, totals.agentOffset[r]!, fleets.agentCount[f]!, S, config.dt),
  );
}

/**
 * A pool: its utilisation over the run's recorded steps (run r), from the engine's totals: Σ_i
 * servedSum_i/(T_i·Δt·S) over its n_G GPUs of gpuCapacity each (the mean of poolUtilizationData's).
 */
export function runPoolUtilization(batch: Batch, totals: RunTotals, r: number): number {
  const layout = gpuLayout(batch);
  const util = runGpuUtilizations(batch, totals, r); // every agent of a pool is packed on GPU 0
  return util.reduce((a, b) => a + b, 0) / (layout.gpus * layout.gpuCapacity);
}

/** Placement: the agents (indices) on each GPU, in index order. */
export function agentsByGpu(layout: GpuLayout): number[][] {
  const out = Array.from({ length: layout.gpus }, () => [] as number[]);
  layout.agentGpu.forEach((k, i) => out[k]!.push(i));
  return out;
}
