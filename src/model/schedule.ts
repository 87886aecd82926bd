/**
 * Rate schedules: the segment types, the lookup m(t) (CPU twin of `multiplierAt` in
 * shaders/arrivals.wgsl, which reads it through a cursor) and the peak multiplier the batch checks.
 *
 * @example
 *   const m = multiplierAt(fleets, a, t); // the step's mean is stepMean(λ, Δt, m), src/random/arrivals.ts
 */

/** From step `start` on (until the next segment), the agent's arrival rate is multiplier × λ. */
export interface ScheduleSegment {
  start: number; // first step of the segment, integer ≥ 0
  multiplier: number; // factor on λ, finite ≥ 0
}

/** Every agent's schedule, packed (part of PackedFleets): agent a's segments are [scheduleOffset[a], + scheduleCount[a]). */
export interface ScheduleArrays {
  scheduleOffset: Uint32Array;
  scheduleCount: Uint32Array;
  scheduleStart: Uint32Array; // per segment: first step
  scheduleMultiplier: Float32Array; // per segment: factor on λ
}

/** m(t) of agent `a`: the multiplier of its last segment with start ≤ t; 1 before the first. */
export function multiplierAt(fleets: ScheduleArrays, a: number, t: number): number {
  const first = fleets.scheduleOffset[a]!;
  let m = 1;
  for (let k = 0; k < fleets.scheduleCount[a]!; k++) {
    if (fleets.scheduleStart[first + k]! > t) break;
    m = fleets.scheduleMultiplier[first + k]!;
  }
  return m;
}

/** The largest multiplier of agent `a`'s segments and its index (1 and −1 when it has none). */
export function maxMultiplier(fleets: ScheduleArrays, a: number): { multiplier: number; index: number } {
  const first = fleets.scheduleOffset[a]!;
  let peak = { multiplier: 1, index: -1 };
  for (let k = 0; k < fleets.scheduleCount[a]!; k++) {
    const m = fleets.scheduleMultiplier[first + k]!;
    if (peak.index < 0 || m > peak.multiplier) peak = { multiplier: m, index: k };
  }
  return peak;
}
