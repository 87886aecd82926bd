/** Backend selection for the commands: gpu (Dawn), cpu (reference engine) or auto. */
import { runBatchCpu } from '../cpu/engine.js';
import { GpuEngine } from '../gpu/engine.js';
import { GpuError } from '../gpu/errors.js';
import type { Batch } from '../model/batch.js';
import type { RunTotals } from '../model/metrics.js';
import { openNodeGpu } from '../platform/node.js';
import { UsageError } from './errors.js';

export const BACKENDS = ['gpu', 'cpu', 'auto'] as const;
export type BackendChoice = (typeof BACKENDS)[number];

export interface Backend {
  name: 'gpu' | 'cpu';
  adapter: string | null; // the adapter's description on the GPU backend
  run(batch: Batch): Promise<RunTotals>;
  close(): void;
}

const NO_ADAPTER =
  'no WebGPU adapter found (Dawn needs a Vulkan, Metal or D3D12 driver; on Linux without a GPU install Mesa lavapipe, see README)';

/** Opens the chosen backend; `notice` receives the one-line fallback message of `auto`. */
export async function openBackend(choice: BackendChoice, notice: (line: string) => void): Promise<Backend> {
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
  return { name: 'cpu', adapter: null, run: (b) => Promise.resolve(runBatchCpu(b)), close: () => undefined };
}
