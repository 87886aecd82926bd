/** The CPU reference engine in a Web Worker, so a long run never freezes the page. */
import { runBatchCpu } from '../../src/cpu/engine.js';
import type { Batch } from '../../src/model/batch.js';

export interface CpuRequest {
  id: number;
  batch: Batch;
}

self.onmessage = (event: MessageEvent<CpuRequest>) => {
  const { id, batch } = event.data;
  try {
    const totals = runBatchCpu(batch);
    self.postMessage({ id, totals });
  } catch (error) {
    self.postMessage({ id, error: error instanceof Error ? error.message : String(error) });
  }
};
