/**
 * The one known GPU/CPU divergence of the fill policies (src/model/clampFill.ts), named here: a fleet
 * whose fill weights span so many decades that clampFill's final bracket, of width
 * δ = max_i(hi_i/w_i)·2^-30, is not small against the smallest breakpoint hi_i/w_i can have an agent
 * classified differently in f32 (GPU) and f64 (CPU) at the final midpoint, and one engine then takes
 * the bracket-top fallback and the other not: their shares differ by up to the bracket's resolution,
 * not by rounding. Such runs are counted, bounded (FILL_UNRESOLVED_RATE) and left out of the per-run
 * float comparisons; their invariants (Σg ≤ G, bounds) are still checked.
 */
import type { Batch } from '../../src/model/batch.js';
import { FILL_BISECTIONS } from '../../src/model/clampFill.js';
import { POLICY } from '../../src/model/policies.js';

/** δ above this fraction of the smallest breakpoint counts as unresolved. */
const RESOLUTION = 1e-3;
/** The most adaptiveWaterfill runs of a test batch that may be unresolved: 5 %. */
export const FILL_UNRESOLVED_RATE = 0.05;

/**
 * Whether run r is an adaptiveWaterfill run of a fleet whose nominal weights w_i = λ_i·R_i/P_i
 * (hi_i = cap_i) leave the final bracket unresolved (the module header says what that means).
 */
export function fillUnresolved(batch: Batch, r: number): boolean {
  if (batch.runs.policy[r] !== POLICY.adaptiveWaterfill) return false;
  const { fleets } = batch;
  const f = batch.runs.fleet[r]!;
  let top = 0;
  let smallest = Infinity;
  for (let a = fleets.agentOffset[f]!; a < fleets.agentOffset[f]! + fleets.agentCount[f]!; a++) {
    const w = (fleets.lambda[a]! * fleets.R[a]!) / fleets.P[a]!;
    if (!(w > 0)) continue;
    const breakpoint = fleets.cap[a]! / w;
    top = Math.max(top, breakpoint);
    if (fleets.R[a]! > 0) smallest = Math.min(smallest, (fleets.R[a]! * fleets.capacity[f]!) / w);
    smallest = Math.min(smallest, breakpoint);
  }
  return top * 2 ** -FILL_BISECTIONS > RESOLUTION * smallest;
}
