/**
 * Trace-driven arrivals (MODEL-PART4 §4.2), CPU twin of shaders/replay.wgsl. A trace is a list of
 * per-step request counts c[0 … L) (binned on the host at the run's Δt: src/traces); agent i of fleet
 * replicate (stream, replicate) reads it from its own offset o = ⌊u·L′⌋, with u drawn once per
 * (fleet, replicate, agent) from the setup stream, so policies still share arrivals. L′ = L − S when
 * the S-step run fits in the trace (no wrap-around), else L (the trace wraps; the host reports it).
 * The step's count is C(t) = c[(o + t) mod L].
 *
 * - replay: a = C(t) at scale κ = 1; Binomial(C(t), κ) thinning for κ < 1; for κ > 1, ⌈κ⌉ copies of
 *   the trace at independent offsets, each thinned by κ/⌈κ⌉ (one Bernoulli draw per request).
 * - modulated (any counting process with a trace): the step's budget is κ·C(t) (arrivals.ts).
 *
 * @example
 *   const o = traceOffset(key, stream, replicate, agent, 0, span);
 */
import { DrawStream, mulhi, PURPOSE, purposeStep, u01 } from './philox.js';

/** Copies of a trace that one agent's replay sums at most: κ ≤ MAX_REPLAY_COPIES. */
export const MAX_REPLAY_COPIES = 16;
/**
 * Requests one step of one copy may hold: a replayed request takes one Bernoulli draw (κ ≠ 1), and an
 * agent-step addresses 2^18 draws (philox.ts), shared by MAX_REPLAY_COPIES copies and the work draws.
 */
export const MAX_REPLAY_STEP_COUNT = 4096;
/** The setup stream's step field for trace offsets (field 0 holds the processes' stationary starts). */
export const TRACE_OFFSET_STEP = 1;

/** The offsets' range L′: L − steps when the run fits in the trace, else L (it wraps around). */
export function traceSpan(length: number, steps: number): number {
  return steps <= length ? length - steps + 1 : length;
}

/** Whether an S-step run wraps around a trace of L steps (reported to the user, never silent). */
export function traceWraps(length: number, steps: number): boolean {
  return steps > length;
}

/** Copies of the trace a replay at scale κ sums: ⌈κ⌉ (at least 1). */
export function replayCopies(kappa: number): number {
  return Math.max(1, Math.ceil(kappa));
}

/**
 * The offset of copy `copy` of agent `agent`'s trace in fleet replicate (stream, replicate): draw
 * `copy` of the setup stream at step field TRACE_OFFSET_STEP, mapped to [0, span) by a 32×32-bit
 * high product (unbiased to within span/2^32).
 */
export function traceOffset(
  draws: DrawStream,
  k0: number,
  k1: number,
  stream: number,
  replicate: number,
  agent: number,
  copy: number,
  span: number,
): number {
  draws.reset(k0, k1, stream, replicate, purposeStep(PURPOSE.setup, TRACE_OFFSET_STEP), agent);
  let x = 0;
  for (let c = 0; c <= copy; c++) x = draws.nextU32();
  return mulhi(x, span);
}

/** C(t) of a trace stored at counts[first … first + length) read from `offset`. */
export function traceCount(counts: Uint32Array, first: number, length: number, offset: number, t: number): number {
  return counts[first + ((offset + (t % length)) % length)]!;
}

/**
 * Replayed arrivals at step t: C(t) per copy, each request kept with probability f32(κ/⌈κ⌉) (kept
 * outright when that is 1), drawn from `draws` (the step's arrival stream) in copy order.
 */
export function replayArrivals(
  counts: Uint32Array,
  first: number,
  length: number,
  offsets: ArrayLike<number>,
  kappa: number,
  t: number,
  draws: DrawStream,
): number {
  const copies = replayCopies(kappa);
  const keep = Math.fround(kappa / copies);
  let n = 0;
  for (let c = 0; c < copies; c++) {
    const count = traceCount(counts, first, length, offsets[c]!, t);
    if (keep >= 1) {
      n += count;
      continue;
    }
    for (let k = 0; k < count; k++) if (u01(draws.nextU32()) < keep) n++;
  }
  return n;
}
