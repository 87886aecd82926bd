/**
 * The one engine seam: what a sweep, the CLI and the page need from whatever runs the batches. Opened
 * by src/platform/nodeEngine.ts (Dawn, or the CPU engine on worker threads) or src/platform/browser.ts
 * (navigator.gpu, or the CPU engine in a Web Worker); the rest of src/ takes an Engine and never knows
 * where it runs. Browser-safe.
 *
 * @example
 *   const totals = await engine.run(batch); … engine.close();
 */
import type { Batch } from '../model/batch.js';
import type { RunTotals } from '../model/metrics.js';

/** Which engine runs the batches: the WGSL kernels on a WebGPU device, or the CPU reference engine. */
export type EngineName = 'gpu' | 'cpu';

export interface Engine {
  readonly name: EngineName;
  /**
   * What runs the batches: the GPU adapter's description, or the CPU engine's threads ("2 threads",
   * "a Web Worker"); what the result files and `--json` record as `adapter`.
   */
  readonly adapter: string | null;
  /** Why the GPU is not used, when it is not and a GPU was possible: `auto`'s fallback, or the CPU chosen. */
  readonly fallback?: string;
  /** Runs every run of `batch`; the totals are the same bits on every engine that passes the tests. */
  run(batch: Batch): Promise<RunTotals>;
  /** Optional: hands back totals `run` returned, read to the end, for the engine to reuse their memory (the CPU worker pool's). */
  release?(totals: RunTotals): void;
  /**
   * Optional: says that about `agentSteps` agent-steps of work are coming, so that the engine can get
   * ready while the caller prepares it (the CPU worker pool starts its workers when that is enough
   * to share). Changes no result; a hint, which may be called any number of times.
   */
  warm?(agentSteps: number): void;
  /** Releases the device or the workers; the engine runs nothing after. Need not be awaited. */
  close(): void;
}

/** One line for a person: the adapter, or why the CPU runs. */
export function engineDetail(engine: Engine): string {
  return engine.fallback ?? engine.adapter ?? engine.name;
}
