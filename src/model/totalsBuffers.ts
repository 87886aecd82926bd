/**
 * RunTotals laid out in one buffer, and the buffers an engine hands out batch after batch. The layout:
 * the f64 fields (agentRuns each, TOTAL_FIELDS order), then agentOffset and agentCount (runs each). The
 * CPU worker pool's buffers are SharedArrayBuffers (its workers write into them), the GPU engine's
 * ArrayBuffers; both take totals from a TotalsBuffers and get them back through release() once a sweep
 * has read them, so that its memory and garbage stay at a few batches' totals instead of one fresh
 * set per batch (a batch of 2^19 agent-runs holds ~140 MB of them). Browser-safe.
 *
 * @example
 *   const buffers = new TotalsBuffers((bytes) => new ArrayBuffer(bytes));
 *   const totals = buffers.take(batch); … buffers.release(totals); // the next take() reuses its buffer
 */
import type { Batch } from './batch.js';
import { type RunTotals, TOTAL_FIELDS } from './metrics.js';

/** Bytes of totalsIn(runs, agentRuns). */
export function totalsBytes(runs: number, agentRuns: number): number {
  return TOTAL_FIELDS.length * agentRuns * 8 + 2 * runs * 4;
}

/** RunTotals for `runs` runs of `agentRuns` agent-runs in all, laid out in `buffer` (at least totalsBytes long). */
export function totalsIn<B extends ArrayBufferLike>(buffer: B, runs: number, agentRuns: number): RunTotals & { buffer: B } {
  const f64Bytes = TOTAL_FIELDS.length * agentRuns * 8;
  const field = (k: number): Float64Array => new Float64Array(buffer, k * agentRuns * 8, agentRuns);
  // Built in one go, so that it is a fast-mode object as emptyTotals' are (fastTotals in
  // src/model/metrics.ts): the engines read and write its columns per agent-run.
  return Object.fromEntries([
    ['buffer', buffer],
    ['runs', runs],
    ['agentOffset', new Uint32Array(buffer, f64Bytes, runs)],
    ['agentCount', new Uint32Array(buffer, f64Bytes + runs * 4, runs)],
    ...TOTAL_FIELDS.map((name, k) => [name, field(k)]),
  ]) as RunTotals & { buffer: B };
}

/**
 * A reusable buffer's size for `bytes`: 1/16 more, so that the next batch, a little larger (random
 * fleets vary in size), still fits in it instead of leaving it to the garbage collector.
 */
export function withHeadroom(bytes: number): number {
  return bytes + Math.ceil(bytes / 16 / 8) * 8;
}

/** Buffers kept for reuse at most: a sweep holds two batches' totals at a time (one running, one being summarised). */
const FREE_TOTALS = 2;

/** The totals buffers of one engine: handed out by take(), taken back by release(). */
export class TotalsBuffers<B extends ArrayBufferLike> {
  /** Buffers take() handed out (release() ignores any other totals). */
  readonly #issued = new WeakSet<B>();
  /** Released buffers, reused by the next take() instead of new ones. */
  readonly #free: B[] = [];

  constructor(private readonly allocate: (bytes: number) => B) {}

  /** Zero totals shaped for `batch` (as allocTotals), in a released buffer when one is big enough. */
  take(batch: Batch): RunTotals & { buffer: B } {
    const { runs, fleets } = batch;
    let n = 0;
    for (let r = 0; r < runs.count; r++) n += fleets.agentCount[runs.fleet[r]!]!;
    const bytes = totalsBytes(runs.count, n);
    const k = this.#free.findIndex((b) => b.byteLength >= bytes);
    const reused = k >= 0 ? this.#free.splice(k, 1)[0] : undefined;
    if (reused) new Uint8Array(reused, 0, bytes).fill(0); // engines add onto what is there
    const totals = totalsIn(reused ?? this.allocate(withHeadroom(bytes)), runs.count, n);
    for (let r = 0, offset = 0; r < runs.count; r++) {
      totals.agentOffset[r] = offset;
      totals.agentCount[r] = fleets.agentCount[runs.fleet[r]!]!;
      offset += totals.agentCount[r]!;
    }
    this.#issued.add(totals.buffer);
    return totals;
  }

  /**
   * Takes back totals that take() handed out, once their reader is done with them: a later take()
   * reuses (and zeroes) their buffer. Other totals are ignored; totals must not be read once released.
   */
  release(totals: RunTotals): void {
    const { buffer } = totals as Partial<RunTotals & { buffer: B }>;
    if (buffer === undefined || !this.#issued.has(buffer)) return;
    this.#issued.delete(buffer);
    this.#free.push(buffer);
    if (this.#free.length > FREE_TOTALS) this.#free.sort((a, b) => b.byteLength - a.byteLength).pop();
  }
}
