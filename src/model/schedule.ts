/**
 * Rate schedules and the per-step arrival mean, the CPU twins of `multiplierAt` and `arrivalMean` in
 * shaders/arrivals.wgsl. The mean is an f32 computed in the GPU's order, so that both engines hand
 * the Poisson sampler the same number and deterministic arrivals add the same amount.
 *
 * @example
 *   const mean = stepMean(fleets.lambda[a]!, config.dt, multiplierAt(fleets, a, t));
 */
const f = Math.fround;

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

/**
 * Mean arrivals of one agent-step, f32(f32(λ)·f32(Δt)) · f32(multiplier) with each product rounded to
 * f32, as WGSL's correctly rounded `*` does. With multiplier 1 it is the unscheduled mean f32(λ·Δt).
 */
export function stepMean(lambda: number, dt: number, multiplier: number): number {
  return f(f(f(lambda) * f(dt)) * f(multiplier));
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
