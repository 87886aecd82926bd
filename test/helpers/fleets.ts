/**
 * Random test fleets, wider than the CLI's defaults so that the GPU-against-CPU tests reach every
 * branch: 1–64 agents (log-uniform, so small fleets are common and the suite stays fast), T from 1 to
 * 1,000 rps, ΣR around 1 (often above, exercising the adaptive allocator's normalisation), priorities
 * 1–3, per-agent load log-uniform over 0.01–3 (Poisson means from ~1e-5 to ~3,000 per step: both the
 * inversion and the PTRS sampler), zero-rate agents, and some fleets with no demand at all (D = 0).
 */
import type { FleetSpec } from '../../src/model/batch.js';
import type { ScheduleSegment } from '../../src/model/schedule.js';
import { DrawStream, seedKey, u01 } from '../../src/random/philox.js';

export function testFleet(seed: number, index: number): FleetSpec {
  const [k0, k1] = seedKey(seed ^ 0x5eed);
  const draws = new DrawStream();
  draws.reset(k0, k1, index, 0, 0xfffffffe, 0);
  const u = (): number => u01(draws.nextU32());
  const n = Math.min(64, Math.floor(Math.exp(u() * Math.log(65))) || 1);
  const idle = u() < 0.01; // a fleet without demand: every adaptive share is 0
  const agents = Array.from({ length: n }, (_, i) => {
    const T = Math.exp(u() * Math.log(1000));
    const R = u() * Math.min(1, 2 / n);
    const P = 1 + Math.floor(u() * 3);
    const zero = idle || u() < 0.03;
    const load = zero ? 0 : 0.01 * Math.exp(u() * Math.log(300));
    return { name: `a${i}`, T, R, P, lambda: (load * T) / n };
  });
  return { agents, capacity: u() < 0.1 ? 0.5 + u() : 1 };
}

/**
 * `fleet` with random rate schedules on about half its agents, for the schedule cases of the tests:
 * 1–6 segments at random steps in [0, steps), each a spike (×5 to ×10 for 1–3 steps, then back to 1),
 * a pause (×0), or a level from ×0.1 to ×`maxMultiplier` (log-uniform), so every branch of the
 * segment lookup runs: a first segment at step 0 or later, consecutive segments, long and short ones.
 */
export function withSchedules(fleet: FleetSpec, seed: number, index: number, steps: number, maxMultiplier = 10): FleetSpec {
  const [k0, k1] = seedKey(seed ^ 0x5c4ed);
  const draws = new DrawStream();
  const agents = fleet.agents.map((agent, i) => {
    draws.reset(k0, k1, index, 0, 0xfffffffd, i);
    const u = (): number => u01(draws.nextU32());
    if (u() < 0.5) return agent;
    const schedule: ScheduleSegment[] = [];
    const pieces = 1 + Math.floor(u() * 6);
    let start = u() < 0.2 ? 0 : Math.floor(u() * steps * 0.3);
    for (let k = 0; k < pieces && start < steps && schedule.length < 15; k++) {
      const kind = u();
      if (kind < 0.4) {
        const length = 1 + Math.floor(u() * 3);
        schedule.push({ start, multiplier: Math.min(maxMultiplier, 5 + 5 * u()) }, { start: start + length, multiplier: 1 });
        start += length;
      } else {
        schedule.push({ start, multiplier: kind < 0.55 ? 0 : 0.1 * Math.exp(u() * Math.log(10 * maxMultiplier)) });
      }
      start += 1 + Math.floor(u() * steps * 0.3);
    }
    return { ...agent, schedule };
  });
  return { ...fleet, agents };
}

/**
 * A random fleet of exactly `n` agents (any n up to MAX_AGENTS_PER_FLEET), for the wide-kernel tests:
 * T log-uniform 1–1,000 rps, R = u·min(1, 2/n) (ΣR around 1, often above), priorities 1–3, a fleet
 * load Σλ/T log-uniform 0.3–3 split by heavy-tailed weights (log-uniform 1–10^4, about 1 agent in 32
 * "hot" with n·10^3, 3 % idle), so that one fleet holds Poisson means from ~1e-6 to hundreds per
 * step (both samplers) and shares from near 0 to most of the GPU. `idle`: every λ is 0 (D = 0).
 */
export function wideTestFleet(seed: number, index: number, n: number, idle = false): FleetSpec {
  const [k0, k1] = seedKey(seed ^ 0x51de);
  const draws = new DrawStream();
  draws.reset(k0, k1, index, 0, 0xfffffffc, 0);
  const load = 0.3 * Math.exp(u01(draws.nextU32()) * Math.log(10));
  const capacity = u01(draws.nextU32()) < 0.25 ? 0.5 + u01(draws.nextU32()) : 1;
  const raw = Array.from({ length: n }, (_, i) => {
    draws.reset(k0, k1, index, 0, 0xfffffffc, i + 1);
    const u = (): number => u01(draws.nextU32());
    const T = Math.exp(u() * Math.log(1000));
    const R = u() * Math.min(1, 2 / n);
    const P = 1 + Math.floor(u() * 3);
    const kind = u();
    const weight = idle || kind < 0.03 ? 0 : kind < 0.03 + 1 / 32 ? n * 1e3 : Math.exp(u() * Math.log(1e4));
    return { T, R, P, weight };
  });
  const total = raw.reduce((s, a) => s + a.weight, 0) || 1;
  const agents = raw.map(({ T, R, P, weight }, i) => ({ name: `a${i}`, T, R, P, lambda: (load * T * weight) / total }));
  return { agents, capacity };
}
