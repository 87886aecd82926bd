/**
 * Opens an Engine in Node: the GPU engine on Dawn (src/platform/node.ts), the CPU reference engine on a
 * pool of worker threads (or on the calling thread for 1), or `auto`: the GPU when an adapter exists
 * and its engine starts, else the CPU with a one-line notice.
 *
 * @example
 *   const engine = await openEngine('auto', console.error, { threads: 4 }); try { … } finally { engine.close(); }
 */
import { availableParallelism } from 'node:os';
import { runBatchCpu } from '../cpu/engine.js';
import { CpuWorkerPool } from '../cpu/workers.js';
import { GpuError } from '../gpu/errors.js';
import type { Engine } from './engine.js';
import { openNodeGpu } from './node.js';

export const ENGINE_CHOICES = ['gpu', 'cpu', 'auto'] as const;
export type EngineChoice = (typeof ENGINE_CHOICES)[number];

/** Threads of the CPU engine when none are given: every core Node may use. */
export const DEFAULT_CPU_THREADS = availableParallelism();
/** The most threads the CPU engine accepts. */
export const MAX_CPU_THREADS = 1024;

export interface EngineOptions {
  /** CPU engine threads (the cpu choice, and auto when it falls back to the CPU); default DEFAULT_CPU_THREADS. */
  threads?: number;
  /** Let Dawn's own log (its warnings while it finds the adapter) through to stderr; default false. */
  verbose?: boolean;
}

export const NO_ADAPTER =
  'no WebGPU adapter found (Dawn needs a Vulkan, Metal or D3D12 driver; on Linux without a GPU install Mesa lavapipe, see README)';

/** `gpu` was chosen and no adapter exists; the message is NO_ADAPTER. */
export class NoAdapterError extends Error {
  constructor() {
    super(NO_ADAPTER);
    this.name = 'NoAdapterError';
  }
}

/**
 * Opens the chosen engine; `notice` receives the one-line fallback message of `auto` (also kept as
 * the engine's `fallback`). Throws NoAdapterError for `gpu` without an adapter, and the GPU engine's
 * error for `gpu` when it fails to start.
 */
export async function openEngine(choice: EngineChoice, notice: (line: string) => void, options: EngineOptions = {}): Promise<Engine> {
  let fallback: string | undefined;
  if (choice !== 'cpu') {
    // The GPU engine's modules load only when a GPU may run (a CPU sweep skips them), while Dawn finds the adapter.
    const [gpu, { GpuEngine }] = await Promise.all([openNodeGpu({ dawnLog: options.verbose ?? false }), import('../gpu/engine.js')]);
    if (gpu) {
      try {
        const engine = await GpuEngine.create(gpu.device, gpu.sources);
        return {
          name: 'gpu',
          adapter: gpu.adapter.description,
          run: (b) => engine.run(b),
          release: (t) => engine.release(t),
          close: () => gpu.close(),
        };
      } catch (error) {
        gpu.close();
        if (choice === 'gpu' || !(error instanceof GpuError)) throw error;
        fallback = `the GPU engine failed to start (${error.message})`;
      }
    } else {
      if (choice === 'gpu') throw new NoAdapterError();
      fallback = NO_ADAPTER;
    }
    notice(`fleetsim: ${fallback}; running on the CPU reference engine`);
  }
  const engine = cpuEngine(options.threads ?? DEFAULT_CPU_THREADS);
  return fallback === undefined ? engine : { ...engine, fallback };
}

/**
 * The CPU reference engine on `threads` threads: a worker pool (its workers start when warm() is told
 * of enough work to share, else with the first batch big enough, src/cpu/workers.ts), or the calling thread alone for 1. The results are
 * the same bits either way.
 */
export function cpuEngine(threads: number): Engine {
  const adapter = `${threads} thread${threads === 1 ? '' : 's'}`;
  if (threads === 1) return { name: 'cpu', adapter, run: (b) => Promise.resolve(runBatchCpu(b)), close: () => undefined };
  const pool = new CpuWorkerPool(threads);
  // Idle workers do not keep Node alive, so close() need not be awaited.
  return {
    name: 'cpu',
    adapter,
    run: (b) => pool.run(b),
    release: (t) => pool.release(t),
    warm: (agentSteps) => pool.warm(agentSteps),
    close: () => void pool.close(),
  };
}
