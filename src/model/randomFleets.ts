/**
 * The random-fleet generator: agent parameters drawn with the counter-based generator, so fleet number
 * `index` under `seed` is the same fleet on every machine, shard, batch size and backend. Every draw
 * uses the step word FLEET_DRAW_STEP, which no simulated step uses, so fleet draws never overlap the
 * arrival streams; the fleet-level draws (N, then ρ) take counter slot FLEET_SLOT and agent i slot i,
 * so a field's draws never shift another agent's.
 *
 * Two callers, two draw layouts (kept apart so that neither caller's fleets change):
 * - `'ranges'`: RandomFleetRanges (bench/, tests). Agent words: T, R, P, weight.
 * - `'study'`: the `fleet.random` block of a study file (src/study/fleets.ts). Agent words: T, R, P,
 *   λ, weight. The λ word is drawn whether or not the study gives `lambda`, so adding it does not
 *   shift the Dirichlet weights.
 *
 * @example
 *   const fleet = randomFleet(42, 7, DEFAULT_RANDOM_FLEETS); // fleet 7 of seed 42
 */
import { DrawStream, FLEET_DRAW_STEP, MAX_COUNTER_AGENTS, seedKey, u01 } from '../random/philox.js';
import type { AgentSpec, FleetSpec } from './batch.js';

/** Counter agent slot of the fleet-level draws (N, then ρ); agents use slots 0 … N − 1. */
export const FLEET_SLOT = MAX_COUNTER_AGENTS - 1;

/** Each field maps its uniform draw u ∈ [0, 1) to a value; R also sees the fleet's agent count N. */
interface AgentDraws {
  agents: readonly [number, number]; // N, uniform over the integers in [min, max]
  load?: (u: number) => number; // fleet load factor ρ = Σ λ_i/T_i; absent: the λ are not rescaled
  T: (u: number) => number; // requests/s with the whole GPU
  R: (u: number, n: number) => number; // minimum share
  P: (u: number) => number; // priority
}

/**
 * What a fleet is drawn from, and in which layout. With `load`, the λ are scaled so that Σ λ_i/T_i = ρ;
 * their relative sizes come from `lambda` when given (λ_i/T_i), else from Dirichlet(1, …, 1) weights
 * (an even split would give every agent exactly the static share G/N, by construction).
 */
export type FleetDraws =
  | (AgentDraws & { layout: 'ranges' })
  | (AgentDraws & { layout: 'study'; lambda?: (u: number) => number /* requests/s; absent: 0 before ρ */ });

/**
 * Agents of fleet `index` drawn from `d`.
 *
 * @example
 *   const agents = drawFleetAgents(1, 0, { layout: 'study', agents: [4, 4], T: () => 100, R: () => 0, P: () => 1, load: () => 1 });
 */
export function drawFleetAgents(seed: bigint | number, index: number, d: FleetDraws): AgentSpec[] {
  const [k0, k1] = seedKey(seed);
  const draws = new DrawStream();
  const u = (): number => u01(draws.nextU32());
  draws.reset(k0, k1, index, 0, FLEET_DRAW_STEP, FLEET_SLOT);
  const [nMin, nMax] = d.agents;
  const n = Math.min(nMax, nMin + Math.floor(u() * (nMax - nMin + 1)));
  const load = d.load === undefined ? undefined : d.load(u());
  const lambdaOf = d.layout === 'study' ? d.lambda : undefined;
  const agents: AgentSpec[] = [];
  const weights: number[] = [];
  for (let i = 0; i < n; i++) {
    draws.reset(k0, k1, index, 0, FLEET_DRAW_STEP, i);
    const T = d.T(u());
    const R = d.R(u(), n);
    const P = d.P(u());
    const uLambda = d.layout === 'study' ? u() : 0; // the 'study' layout's λ word, drawn even when unused
    const lambda = lambdaOf === undefined ? 0 : lambdaOf(uLambda);
    weights.push(lambdaOf === undefined ? -Math.log(1 - u()) : lambda / T); // -log(1 − u): Exp(1), normalised below
    agents.push({ name: `agent${i}`, T, R, P, lambda });
  }
  if (load !== undefined) {
    const total = weights.reduce((a, b) => a + b, 0);
    agents.forEach((a, i) => (a.lambda = total > 0 ? (load * a.T * weights[i]!) / total : 0));
  }
  return agents;
}

/**
 * The counter replicate word of agent i's arrival-process draws (process choice, cv): fleet draws use
 * word 0, so these never shift a fleet's other parameters, and a study without `arrivals` draws none.
 */
export const ARRIVAL_DRAW_REPLICATE = 1;

/** Agent i of fleet `index`'s three arrival-process uniforms (the process choice, its cv, a ServeGen client). */
export function arrivalUniforms(seed: bigint | number, index: number, i: number): [number, number, number] {
  const [k0, k1] = seedKey(seed);
  const draws = new DrawStream();
  draws.reset(k0, k1, index, ARRIVAL_DRAW_REPLICATE, FLEET_DRAW_STEP, i);
  return [u01(draws.nextU32()), u01(draws.nextU32()), u01(draws.nextU32())];
}

/**
 * The counter replicate word of agent i's model-size draw (a study's `fleet.random.M`, MODEL-PART4
 * §4.3–4.4): fleet draws use word 0 and arrival processes word 1, so drawing M shifts no other draw,
 * and a study without `M` draws none.
 */
export const MEMORY_DRAW_REPLICATE = 2;

/** Agent i of fleet `index`'s model-size uniform. */
export function memoryUniform(seed: bigint | number, index: number, i: number): number {
  const [k0, k1] = seedKey(seed);
  const draws = new DrawStream();
  draws.reset(k0, k1, index, MEMORY_DRAW_REPLICATE, FLEET_DRAW_STEP, i);
  return u01(draws.nextU32());
}

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

/** The 'ranges' layout's draws for `ranges`. */
function rangesDraws(ranges: RandomFleetRanges): FleetDraws {
  const [tMin, tMax] = ranges.T;
  const [rMin, rMax] = ranges.R;
  const [loadMin, loadMax] = ranges.load;
  return {
    layout: 'ranges',
    agents: ranges.agents,
    load: (u) => loadMin + (loadMax - loadMin) * u,
    T: (u) => tMin * Math.exp(Math.log(tMax / tMin) * u),
    R: (u, n) => (rMin + (rMax - rMin) * u) / n,
    P: (u) => ranges.priorities[Math.floor(u * ranges.priorities.length)]!,
  };
}

/** Fleet `index` of the random-fleet family (seed, ranges). */
export function randomFleet(seed: bigint | number, index: number, ranges: RandomFleetRanges): FleetSpec {
  return { agents: drawFleetAgents(seed, index, rangesDraws(ranges)), capacity: ranges.capacity };
}

/** Fleets [first, first + count) of the family, with their indices as random stream ids. */
export function randomFleets(seed: bigint | number, first: number, count: number, ranges = DEFAULT_RANDOM_FLEETS): FleetSpec[] {
  return Array.from({ length: count }, (_, k) => randomFleet(seed, first + k, ranges));
}
