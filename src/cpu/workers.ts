/**
 * All cores for the CPU reference engine (Node only: node:worker_threads): a persistent pool of worker
 * threads, each running runBatchCpu on contiguous ranges of a batch's runs, claimed one after another,
 * and writing into shared totals (SharedArrayBuffer) that are copied into the caller's at the end. Every run's result is a pure
 * function of the batch and the run, so the totals are bit-identical to one thread's whatever the
 * split (test/cpu-workers.test.ts). The workers are started by warm() (told of enough work coming) or
 * on the first batch big enough to share, and kept for the next ones (their start costs ~30 ms, ~0.1 s
 * with their modules); close() ends them. Each batch reaches the workers
 * as one shared copy (sharedCopy), and totals handed back with release() are reused, so a long sweep's
 * memory stays at a few batches.
 *
 * @example
 *   const pool = new CpuWorkerPool(); // os.availableParallelism() threads
 *   const totals = await pool.run(batch); // = runBatchCpu(batch)
 *   pool.release(totals); // once read: a later batch reuses its buffer
 *   await pool.close();
 */
import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { Batch } from '../model/batch.js';
import { type RunTotals, TOTAL_FIELDS } from '../model/metrics.js';
import { TotalsBuffers, totalsBytes, totalsIn, withHeadroom } from '../model/totalsBuffers.js';
import { runBatchCpu } from './engine.js';

/** Below this many agent-steps (by default) a batch runs on the calling thread: handing it out would cost more. */
export const MIN_SHARED_AGENT_STEPS = 2_000_000;

export interface CpuWorkerPoolOptions {
  /** Batches (or ranges) of fewer agent-steps run on the calling thread; default MIN_SHARED_AGENT_STEPS. */
  minSharedAgentSteps?: number;
  /** Agent-steps per range at least; default MIN_RANGE_AGENT_STEPS. */
  minRangeAgentSteps?: number;
}
/**
 * Ranges per thread at most: each worker takes the next range as it finishes one, so a slow core or
 * fleet evens out; the last range to finish can overrun the others by at most one range, 1/16 of a
 * thread's share (so 2 threads reach at least 2/(1 + 2/16) = 1.78× and typically 1.9×).
 */
const RANGES_PER_THREAD = 16;
/** Agent-steps per range at least (~10 ms of work). */
export const MIN_RANGE_AGENT_STEPS = 250_000;

/**
 * The pool's messages: a worker gets a batch with its shared totals and its ranges, takes ranges until
 * none is left, and says how many it ran. The ranges are an Int32Array on a SharedArrayBuffer:
 * [next, count, begin₀, end₀, begin₁, end₁, …]; a worker claims range Atomics.add(next, 1), so no
 * message waits on the main thread between two ranges.
 */
export type ToWorker = {
  kind: 'batch';
  batch: Batch;
  shared: SharedArrayBuffer;
  runs: number;
  agentRuns: number;
  ranges: SharedArrayBuffer;
};
export type FromWorker = { kind: 'done'; ran: number } | { kind: 'error'; message: string; stack: string };

/**
 * `value` with every typed array in it (at any depth of plain objects and arrays) copied into one
 * SharedArrayBuffer, everything else as it is. Posted to a worker, such a batch is shared, not cloned:
 * the pool copies a batch once, where posting it to each of N workers would clone it N times (and
 * each worker would hold its copy until its heap is collected).
 */
export function sharedCopy<T>(value: T, reuse?: SharedArrayBuffer): { copy: T; buffer: SharedArrayBuffer } {
  let bytes = 0;
  const size = (v: unknown): void => {
    if (ArrayBuffer.isView(v)) bytes += Math.ceil(v.byteLength / 8) * 8;
    else if (Array.isArray(v)) v.forEach(size);
    else if (isPlainObject(v)) Object.values(v).forEach(size);
  };
  size(value);
  const buffer = reuse !== undefined && reuse.byteLength >= bytes ? reuse : new SharedArrayBuffer(withHeadroom(bytes));
  let offset = 0;
  const copy = (v: unknown): unknown => {
    if (ArrayBuffer.isView(v)) {
      if (v instanceof DataView) throw new TypeError('sharedCopy: a DataView is not a batch array');
      const source = v as unknown as {
        constructor: new (b: ArrayBufferLike, o: number, n: number) => { set(a: unknown): void };
        length: number;
      };
      const view = new source.constructor(buffer, offset, source.length);
      view.set(v);
      offset += Math.ceil(v.byteLength / 8) * 8;
      return view;
    }
    if (Array.isArray(v)) return v.map(copy);
    if (isPlainObject(v)) return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, copy(x)]));
    return v;
  };
  return { copy: copy(value) as T, buffer };
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  if (typeof v !== 'object' || v === null) return false;
  const proto = Object.getPrototypeOf(v) as unknown;
  return proto === Object.prototype || proto === null;
}

/** The ranges laid out for the workers to claim (see ToWorker). */
export function sharedRanges(ranges: readonly (readonly [number, number])[]): SharedArrayBuffer {
  const buffer = new SharedArrayBuffer((2 + 2 * ranges.length) * 4);
  const words = new Int32Array(buffer);
  words[1] = ranges.length;
  ranges.forEach(([begin, end], k) => {
    words[2 + 2 * k] = begin;
    words[3 + 2 * k] = end;
  });
  return buffer;
}

/**
 * RunTotals laid out in one SharedArrayBuffer (src/model/totalsBuffers.ts totalsIn): the f64 fields
 * (agentRuns each, TOTAL_FIELDS order), then agentOffset and agentCount (runs each). Without `buffer`,
 * allocates it.
 */
export function sharedTotals(runs: number, agentRuns: number, buffer?: SharedArrayBuffer): RunTotals & { buffer: SharedArrayBuffer } {
  return totalsIn(buffer ?? new SharedArrayBuffer(totalsBytes(runs, agentRuns)), runs, agentRuns);
}

/**
 * [begin, end) cut into about `parts` contiguous ranges of equal agent-runs (a run costs its agent
 * count × steps), each cut moved forward to where the fleet or the replicate changes when that is
 * near, so that runs sharing arrivals stay together (they are drawn once per such group).
 */
export function splitRuns(batch: Batch, totals: RunTotals, begin: number, end: number, parts: number): [number, number][] {
  const { runs } = batch;
  const first = totals.agentOffset[begin]!;
  const total = totals.agentOffset[end - 1]! + totals.agentCount[end - 1]! - first;
  const ranges: [number, number][] = [];
  let from = begin;
  for (let p = 1; p <= parts && from < end; p++) {
    const target = first + (total * p) / parts;
    let to = from + 1;
    while (to < end && totals.agentOffset[to]! < target) to++;
    // Up to 16 runs further (a group's size limit in the engine) for a group boundary.
    for (let k = 0; k < 16 && to < end && runs.fleet[to] === runs.fleet[to - 1] && runs.replicate[to] === runs.replicate[to - 1]; k++) to++;
    if (p === parts) to = end;
    ranges.push([from, to]);
    from = to;
  }
  return ranges;
}

/** The built worker module: beside this one in dist/, or dist/'s when this runs from src/ (vitest). */
function workerScript(): URL {
  for (const url of [new URL('./worker.js', import.meta.url), new URL('../../dist/src/cpu/worker.js', import.meta.url)]) {
    if (existsSync(fileURLToPath(url))) return url;
  }
  throw new Error('fleetsim: the CPU worker module dist/src/cpu/worker.js is missing; run `npm run build`');
}

/** A persistent pool of `threads` worker threads running the CPU reference engine. */
export class CpuWorkerPool {
  readonly threads: number;
  private readonly minShared: number;
  private readonly minRange: number;
  private workers: Worker[] = [];
  private started = 0;
  private queue: Promise<unknown> = Promise.resolve();
  private closed = false;
  /** The batch in progress: where a worker's answer goes. */
  private onMessage: ((worker: Worker, message: FromWorker) => void) | null = null;
  private onFailure: ((error: Error) => void) | null = null;
  /** The totals this pool returns fresh, shared with its workers, and those released back for the next batches (memory stays flat). */
  private readonly totalsBuffers = new TotalsBuffers((bytes) => new SharedArrayBuffer(bytes));
  /** The buffer of the last batch's shared copy, reused for the next (the workers are done with it when a batch resolves). */
  private batchBuffer: SharedArrayBuffer | undefined;

  /** `threads` ≥ 1 (default: os.availableParallelism()); 1 runs every batch on the calling thread. */
  constructor(threads = availableParallelism(), options: CpuWorkerPoolOptions = {}) {
    if (!Number.isInteger(threads) || threads < 1) throw new RangeError(`threads must be an integer ≥ 1, got ${threads}`);
    this.threads = threads;
    this.minShared = options.minSharedAgentSteps ?? MIN_SHARED_AGENT_STEPS;
    this.minRange = options.minRangeAgentSteps ?? MIN_RANGE_AGENT_STEPS;
  }

  /**
   * runBatchCpu(batch, begin, end, totals) on the pool: adds runs [begin, end) onto `totals` and
   * returns it. Without `totals`, returns fresh ones: on workers, the shared buffer the workers wrote
   * (no copy: a sweep holds one set of totals per batch, not two). Batches run one after another in
   * the order given.
   */
  run(batch: Batch, begin = 0, end = batch.runs.count, totals?: RunTotals): Promise<RunTotals> {
    const job = this.queue.then(() => this.runNow(batch, begin, end, totals));
    this.queue = job.catch(() => undefined);
    return job;
  }

  /**
   * Hands back totals that run() returned fresh, once the caller has read everything it needs of
   * them: their buffer is reused (zeroed) by a later batch, so a sweep's memory stays at a few
   * batches instead of growing with the garbage collector's lag (SharedArrayBuffers are large and
   * the collector does not see their size). Totals that are not this pool's are ignored; totals
   * must not be read after they are released.
   */
  release(totals: RunTotals): void {
    this.totalsBuffers.release(totals);
  }

  /**
   * Starts the workers now, when `agentSteps` of coming work (by default: any) is enough to share
   * (at least minSharedAgentSteps, more than one thread), so that they load their modules while the
   * caller still prepares its batches instead of after it hands the first one over. Idle workers do
   * not keep Node alive. Does nothing once they run or the pool is closed.
   */
  warm(agentSteps = Infinity): void {
    if (this.closed || this.threads === 1 || agentSteps < this.minShared) return;
    this.start();
  }

  /** Worker threads started so far (they are kept from batch to batch; a failed one is replaced). */
  get workersStarted(): number {
    return this.started;
  }

  /** Ends the workers; the pool runs nothing afterwards. */
  async close(): Promise<void> {
    this.closed = true;
    await this.queue;
    const workers = this.workers;
    this.workers = [];
    await Promise.all(workers.map((w) => w.terminate()));
  }

  private async runNow(batch: Batch, begin: number, end: number, given: RunTotals | undefined): Promise<RunTotals> {
    if (this.closed) throw new Error('fleetsim: the CPU worker pool is closed');
    const totals = given ?? this.totalsBuffers.take(batch);
    if (end <= begin) return totals;
    const agentRuns = totals.agentOffset[end - 1]! + totals.agentCount[end - 1]! - totals.agentOffset[begin]!;
    if (this.threads === 1 || agentRuns * batch.config.steps < this.minShared) return runBatchCpu(batch, begin, end, totals);
    this.start();
    if (!given) {
      // Fresh totals are already shared (and zero): the workers write straight into them.
      await this.share(
        batch,
        totals as RunTotals & { buffer: SharedArrayBuffer },
        splitRuns(batch, totals, begin, end, this.parts(agentRuns, batch)),
      );
      return totals;
    }
    const shared = sharedTotals(totals.runs, totals.finalQueue.length);
    shared.agentOffset.set(totals.agentOffset);
    shared.agentCount.set(totals.agentCount);
    for (const name of TOTAL_FIELDS) shared[name].set(totals[name]); // runs add onto what is there
    await this.share(batch, shared, splitRuns(batch, totals, begin, end, this.parts(agentRuns, batch)));
    const lo = totals.agentOffset[begin]!;
    const hi = lo + agentRuns;
    for (const name of TOTAL_FIELDS) totals[name].set(shared[name].subarray(lo, hi), lo);
    return totals;
  }

  /** How many ranges the runs are cut into: enough for load balance, none below minRange agent-steps. */
  private parts(agentRuns: number, batch: Batch): number {
    return Math.max(this.threads, Math.min(this.threads * RANGES_PER_THREAD, Math.floor((agentRuns * batch.config.steps) / this.minRange)));
  }

  /** Hands the batch and its ranges to every worker; resolves when each has run out of ranges. */
  private share(batch: Batch, shared: RunTotals & { buffer: SharedArrayBuffer }, ranges: [number, number][]): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      let pending = this.workers.length;
      let ran = 0;
      const finish = (error: Error | null): void => {
        this.onMessage = null;
        this.onFailure = null;
        for (const w of this.workers) w.unref();
        if (error) this.batchBuffer = undefined; // a worker may still be reading it
        if (error) reject(error);
        else if (ran !== ranges.length) reject(new Error(`fleetsim CPU workers ran ${ran} of ${ranges.length} ranges`));
        else resolve();
      };
      this.onMessage = (_, message) => {
        if (message.kind === 'error') {
          const error = new Error(`fleetsim CPU worker: ${message.message}`);
          error.stack = message.stack;
          finish(error);
          return;
        }
        ran += message.ran;
        if (--pending === 0) finish(null);
      };
      this.onFailure = (error) => {
        // A worker died: the pool starts fresh ones for the next batch.
        const workers = this.workers;
        this.workers = [];
        for (const w of workers) void w.terminate();
        finish(error);
      };
      // One copy for all the workers, in the buffer of the previous batch's (they are done with it).
      const { copy, buffer } = sharedCopy(batch, this.batchBuffer);
      this.batchBuffer = buffer;
      const message: ToWorker = {
        kind: 'batch',
        batch: copy,
        shared: shared.buffer,
        runs: shared.runs,
        agentRuns: shared.finalQueue.length,
        ranges: sharedRanges(ranges),
      };
      for (const w of this.workers) {
        w.ref();
        w.postMessage(message);
      }
    });
  }

  /**
   * A worker failed: the batch in progress fails, and with none in progress (a worker started by
   * warm() that could not load) the workers are dropped, so that the next batch starts fresh ones
   * and reports the failure instead of waiting on a dead worker.
   */
  private failed(error: Error): void {
    if (this.onFailure) {
      this.onFailure(error);
      return;
    }
    const workers = this.workers;
    this.workers = [];
    for (const w of workers) void w.terminate();
  }

  private start(): void {
    if (this.workers.length > 0) return;
    const script = workerScript();
    for (let k = 0; k < this.threads; k++) {
      const worker = new Worker(script, { name: `fleetsim-cpu-${k}` });
      worker.on('message', (message: FromWorker) => this.onMessage?.(worker, message));
      worker.on('error', (error: Error) => this.failed(error));
      worker.on('exit', (code) => {
        if (this.workers.includes(worker)) this.failed(new Error(`fleetsim CPU worker exited with code ${code}`));
      });
      worker.unref();
      this.workers.push(worker);
      this.started++;
    }
  }
}
