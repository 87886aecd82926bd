/**
 * Exponential work per request, the CPU twin of `exponentialWork` in shaders/work.wgsl: each of the n
 * requests that arrived in one agent-step brings Exp(1) units of work (units of one request's mean
 * work), drawn as −ln u with the portable logf32, u on (0, 1], from the agent-step's DrawStream after
 * the Poisson draws, and summed in f32 in draw order, as the GPU does.
 *
 * @example
 *   const n = poisson(mean, draws); const work = exponentialWork(n, draws);
 */
import { logf32 } from './f32math.js';
import { type DrawStream, u01Open0 } from './philox.js';

const f = Math.fround;

/**
 * Draws one agent-step can take for work: the counter addresses 2^18 draws (philox.ts), and the Poisson
 * sampler takes at most 128 before them (64 PTRS tries of two draws).
 */
export const MAX_WORK_DRAWS = 2 ** 18 - 128;

/**
 * Total work of `n` requests. Requests past MAX_WORK_DRAWS (never at the means validateBatch allows,
 * see MAX_EXPONENTIAL_MEAN) add their mean, 1, instead of a draw, so the stream never wraps.
 */
export function exponentialWork(n: number, draws: DrawStream): number {
  const drawn = Math.min(n, MAX_WORK_DRAWS);
  let work = 0;
  for (let k = 0; k < drawn; k++) work = f(work - logf32(u01Open0(draws.nextU32())));
  return f(work + (n - drawn));
}
