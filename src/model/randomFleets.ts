/**
 * Random fleets: agent parameters drawn from ranges with the counter-based generator, so fleet number
 * `index` under `seed` is the same fleet on every machine, batch size and backend. Draws use the step
 * word FLEET_DRAW_STEP, which no simulated step uses, so they never overlap the arrival streams.
 *
 * @example
 *   const fleet = randomFleet(42, 7, DEFAULT_RANDOM_FLEETS); // fleet 7 of seed 42
 */
import { DrawStream, FLEET_DRAW_STEP, MAX_COUNTER_AGENTS, seedKey, u01 } from '../random/philox.js';
import type { AgentSpec, FleetSpec } from './batch.js';

export interface RandomFleetRanges {
  agents: readonly [number, number]; // N, uniform over the integers in [min, max]
  T: readonly [number, number]; // throughput, log-uniform, requests/s
  R: readonly [number, number]; // minimum share, uniform, then divided by N so Σ R stays near its mean
  priorities: readonly number[]; // P, uniform choice
  load: readonly [number, number]; // fleet load factor ρ = Σ λ_i/T_i, uniform; split over the agents by Dirichlet(1, …, 1) weights
  capacity: number; // G
}

/** 1–64 agents, T 5–500 rps, ΣR up to 1, priorities 1–3, load factor 0.3–1.5. */
export const DEFAULT_RANDOM_FLEETS: RandomFleetRanges = {
  agents: [1, 64],
  T: [5, 500],
  R: [0, 1],
  priorities: [1, 2, 3],
  load: [0.3, 1.5],
  capacity: 1,
};

const FLEET_SLOT = MAX_COUNTER_AGENTS - 1; // counter agent slot of the fleet-level draws

function uniform(draws: DrawStream, [lo, hi]: readonly [number, number]): number {
  return lo + (hi - lo) * u01(draws.nextU32());
}

/** Fleet `index` of the random-fleet family (seed, ranges). */
export function randomFleet(seed: bigint | number, index: number, ranges: RandomFleetRanges): FleetSpec {
  const [k0, k1] = seedKey(seed);
  const draws = new DrawStream();
  draws.reset(k0, k1, index, 0, FLEET_DRAW_STEP, FLEET_SLOT);
  const [nMin, nMax] = ranges.agents;
  const n = Math.min(nMax, nMin + Math.floor(u01(draws.nextU32()) * (nMax - nMin + 1)));
  const load = uniform(draws, ranges.load);
  const agents: AgentSpec[] = [];
  const weights: number[] = [];
  const [tMin, tMax] = ranges.T;
  for (let i = 0; i < n; i++) {
    draws.reset(k0, k1, index, 0, FLEET_DRAW_STEP, i);
    const T = tMin * Math.exp(Math.log(tMax / tMin) * u01(draws.nextU32()));
    const R = uniform(draws, ranges.R) / n;
    const P = ranges.priorities[Math.floor(u01(draws.nextU32()) * ranges.priorities.length)]!;
    weights.push(-Math.log(1 - u01(draws.nextU32()))); // Exp(1): normalised, Dirichlet(1, …, 1)
    agents.push({ name: `agent${i}`, T, R, P, lambda: 0 });
  }
  // An even split would make every agent need exactly G/N, the static share, by construction.
  const total = weights.reduce((a, b) => a + b, 0) || 1;
  agents.forEach((a, i) => (a.lambda = (load * a.T * weights[i]!) / total));
  return { agents, capacity: ranges.capacity };
}

/** Fleets [first, first + count) of the family, with their indices as random stream ids. */
export function randomFleets(seed: bigint | number, first: number, count: number, ranges = DEFAULT_RANDOM_FLEETS): FleetSpec[] {
  return Array.from({ length: count }, (_, k) => randomFleet(seed, first + k, ranges));
}
