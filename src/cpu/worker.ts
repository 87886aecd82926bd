/**
 * One thread of the CPU worker pool (src/cpu/workers.ts): receives a batch, its shared totals and its
 * ranges of runs, and runs ranges with the reference engine, claiming the next as it finishes one,
 * until none is left; the results go straight into the shared totals.
 */
import { parentPort } from 'node:worker_threads';
import { runBatchCpu } from './engine.js';
import { type FromWorker, sharedTotals, type ToWorker } from './workers.js';

const port = parentPort;
if (!port) throw new Error('fleetsim: src/cpu/worker.ts runs only as a worker thread');

port.on('message', (message: ToWorker) => {
  const totals = sharedTotals(message.runs, message.agentRuns, message.shared);
  const ranges = new Int32Array(message.ranges);
  let ran = 0;
  try {
    for (let k = Atomics.add(ranges, 0, 1); k < ranges[1]!; k = Atomics.add(ranges, 0, 1)) {
      runBatchCpu(message.batch, ranges[2 + 2 * k], ranges[3 + 2 * k], totals);
      ran++;
    }
    port.postMessage({ kind: 'done', ran } satisfies FromWorker);
  } catch (error) {
    const e = error instanceof Error ? error : new Error(String(error));
    port.postMessage({ kind: 'error', message: e.message, stack: e.stack ?? e.message } satisfies FromWorker);
  }
});
