/**
 * Backend selection for the commands: gpu (Dawn), cpu (the reference engine on a pool of worker
 * threads, or on the calling thread with --threads 1) or auto.
 */
import { availableParallelism } from 'node:os';
import { runBatchCpu } from '../cpu/engine.js';
import { CpuWorkerPool } from '../cpu/workers.js';
import { GpuEngine } from '../gpu/engine.js';
import { GpuError } from '../gpu/errors.js';
import type { Batch } from '../model/batch.js';
import type { RunTotals } from '../model/metrics.js';
import { openNodeGpu } from '../platform/node.js';
import { UsageError } from './errors.js';

export const BACKENDS = ['gpu', 'cpu', 'auto'] as const;
export type BackendChoice = (typeof BACKENDS)[number];

/** Threads of the CPU engine when --threads is not given: every core Node may use. */
export const DEFAULT_CPU_THREADS = availableParallelism();
/** The most --threads accepts. */
export const MAX_CPU_THREADS = 1024;

export interface Backend {
  name: 'gpu' | 'cpu';
  /** What runs the batches: the GPU adapter's description, or the CPU engine's threads ("2 threads"). */
  adapter: string | null;
  run(batch: Batch): Promise<RunTotals>;
  close(): void;
}

export interface BackendOptions {
  /** CPU engine threads (the cpu backend, and auto when it falls back to the CPU); default DEFAULT_CPU_THREADS. */
  threads?: number;
}

const NO_ADAPTER =
  'no WebGPU adapter found (Dawn needs a Vulkan, Metal or D3D12 driver; on Linux without a GPU install Mesa lavapipe, see README)';

/** Opens the chosen backend; `notice` receives the one-line fallback message of `auto`. */
export async function openBackend(choice: BackendChoice, notice: (line: string) => void, options: BackendOptions = {}): Promise<Backend> {
  if (choice !== 'cpu') {
    const gpu = await openNodeGpu();
    if (gpu) {
      try {
        const engine = await GpuEngine.create(gpu.device, gpu.sources);
        return { name: 'gpu', adapter: gpu.adapter.description, run: (b) => engine.run(b), close: () => gpu.close() };
      } catch (error) {
        gpu.close();
        if (choice === 'gpu' || !(error instanceof GpuError)) throw error;
        notice(`fleetsim: the GPU engine failed to start (${error.message}); running on the CPU reference engine`);
      }
    } else {
      if (choice === 'gpu') throw new UsageError(`--backend gpu: ${NO_ADAPTER}; use --backend cpu or auto`);
      notice(`fleetsim: ${NO_ADAPTER}; running on the CPU reference engine`);
    }
  }
  return cpuBackend(options.threads ?? DEFAULT_CPU_THREADS);
}

/**
 * The CPU reference engine on `threads` threads: a worker pool (its workers start with the first
 * batch big enough to share, src/cpu/workers.ts), or the calling thread alone for 1. The results are
 * the same bits either way.
 */
export function cpuBackend(threads: number): Backend {
  const adapter = `${threads} thread${threads === 1 ? '' : 's'}`;
  if (threads === 1) return { name: 'cpu', adapter, run: (b) => Promise.resolve(runBatchCpu(b)), close: () => undefined };
  const pool = new CpuWorkerPool(threads);
  // Idle workers do not keep Node alive, so close() need not be awaited.
  return { name: 'cpu', adapter, run: (b) => pool.run(b), close: () => void pool.close() };
}
