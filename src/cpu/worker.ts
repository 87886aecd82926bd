/**
 * One thread of the CPU worker pool (src/cpu/workers.ts): receives a batch and its shared totals, then
 * runs the ranges of runs it is handed with the reference engine, writing into the shared totals.
 */
import { parentPort } from 'node:worker_threads';
import type { Batch } from '../model/batch.js';
import type { RunTotals } from '../model/metrics.js';
import { runBatchCpu } from './engine.js';
import { type FromWorker, sharedTotals, type ToWorker } from './workers.js';

const port = parentPort;
if (!port) throw new Error('fleetsim: src/cpu/worker.ts runs only as a worker thread');

let batch: Batch | null = null;
let totals: RunTotals | null = null;

port.on('message', (message: ToWorker) => {
  if (message.kind === 'batch') {
    batch = message.batch;
    totals = sharedTotals(message.runs, message.agentRuns, message.shared);
    return;
  }
  try {
    runBatchCpu(batch!, message.begin, message.end, totals!);
    port.postMessage({ kind: 'done', begin: message.begin, end: message.end } satisfies FromWorker);
  } catch (error) {
    const e = error instanceof Error ? error : new Error(String(error));
    port.postMessage({ kind: 'error', message: e.message, stack: e.stack ?? e.message } satisfies FromWorker);
  }
});
