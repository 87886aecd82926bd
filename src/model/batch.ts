/**
 * A batch of fleet runs: fleets (packed into typed arrays), the runs (fleet × policy × replicate) and
 * the simulation settings. Both engines read the same packed arrays, so the GPU and the CPU simulate
 * the same f32-rounded parameters.
 *
 * @example
 *   const fleets = packFleets([{ agents: PAPER_AGENTS }]);
 *   const batch = makeBatch(fleets, crossRuns(1, [POLICY.adaptive], 1), { ...PAPER_CONFIG });
 */
import { MAX_POISSON_MEAN } from '../random/poisson.js';
import { ConfigError } from './errors.js';
import { POLICY_NAMES, type PolicyId } from './policies.js';

/** One agent (MODEL.md Part 1). */
export interface AgentSpec {
  name?: string;
  T: number; // base throughput with the whole GPU, requests/s
  R: number; // minimum GPU share, fraction of G
  P: number; // priority, 1 = most important
  lambda: number; // nominal arrival rate, requests/s
  M?: number; // model size, MB (descriptive)
}

export interface FleetSpec {
  agents: readonly AgentSpec[];
  capacity?: number; // G, GPUs; default 1
}

export type ArrivalMode = 'deterministic' | 'poisson';
export const ARRIVAL_MODE_ID: Readonly<Record<ArrivalMode, number>> = { deterministic: 0, poisson: 1 };

export interface SimConfig {
  dt: number; // step length Δt, seconds
  steps: number; // S
  lmax: number; // latency recorded at share 0, seconds
  price: number; // $ per GPU-hour
  arrivals: ArrivalMode;
  seed: bigint | number; // Philox key, integer in [0, 2^64)
}

/** Fleets packed agent-major: fleet f owns agents [agentOffset[f], agentOffset[f] + agentCount[f]). */
export interface PackedFleets {
  count: number;
  agentOffset: Uint32Array;
  agentCount: Uint32Array;
  capacity: Float32Array;
  stream: Uint32Array; // random stream id per fleet (default: its index)
  T: Float32Array;
  R: Float32Array;
  P: Float32Array;
  lambda: Float32Array;
}

export interface PackedRuns {
  count: number;
  fleet: Uint32Array;
  policy: Uint32Array;
  replicate: Uint32Array;
}

export interface Batch {
  config: SimConfig;
  fleets: PackedFleets;
  runs: PackedRuns;
}

export const MAX_AGENTS_PER_FLEET = 64;
/** Step indices stop below the Philox step word reserved for fleet parameter draws. */
export const MAX_STEPS = 1_000_000_000;

/** Packs fleet specs; `streams` gives each fleet's random stream id (default: 0, 1, 2, …). */
export function packFleets(fleets: readonly FleetSpec[], streams?: ArrayLike<number>): PackedFleets {
  const total = fleets.reduce((n, f) => n + f.agents.length, 0);
  const packed: PackedFleets = {
    count: fleets.length,
    agentOffset: new Uint32Array(fleets.length),
    agentCount: new Uint32Array(fleets.length),
    capacity: new Float32Array(fleets.length),
    stream: new Uint32Array(fleets.length),
    T: new Float32Array(total),
    R: new Float32Array(total),
    P: new Float32Array(total),
    lambda: new Float32Array(total),
  };
  let offset = 0;
  fleets.forEach((fleet, f) => {
    packed.agentOffset[f] = offset;
    packed.agentCount[f] = fleet.agents.length;
    packed.capacity[f] = fleet.capacity ?? 1;
    packed.stream[f] = streams ? streams[f]! : f;
    for (const a of fleet.agents) {
      packed.T[offset] = a.T;
      packed.R[offset] = a.R;
      packed.P[offset] = a.P;
      packed.lambda[offset] = a.lambda;
      offset++;
    }
  });
  return packed;
}

/** Every fleet × replicate × policy, in that nesting order (policies of one fleet run are adjacent). */
export function crossRuns(fleetCount: number, policies: readonly PolicyId[], replicates: number): PackedRuns {
  const count = fleetCount * replicates * policies.length;
  const runs: PackedRuns = {
    count,
    fleet: new Uint32Array(count),
    policy: new Uint32Array(count),
    replicate: new Uint32Array(count),
  };
  let r = 0;
  for (let f = 0; f < fleetCount; f++) {
    for (let rep = 0; rep < replicates; rep++) {
      for (const p of policies) {
        runs.fleet[r] = f;
        runs.replicate[r] = rep;
        runs.policy[r] = p;
        r++;
      }
    }
  }
  return runs;
}

export function makeBatch(fleets: PackedFleets, runs: PackedRuns, config: SimConfig): Batch {
  const batch = { config, fleets, runs };
  validateBatch(batch);
  return batch;
}

function check(ok: boolean, field: string, problem: string): void {
  if (!ok) throw new ConfigError(field, problem);
}

const finite = (x: number): boolean => Number.isFinite(x);

/** Throws a ConfigError naming the first field outside its allowed range. */
export function validateBatch({ config, fleets, runs }: Batch): void {
  check(finite(config.dt) && config.dt > 0, 'dt', `must be a number > 0 (seconds), got ${config.dt}`);
  check(
    Number.isInteger(config.steps) && config.steps >= 1 && config.steps <= MAX_STEPS,
    'steps',
    `must be an integer from 1 to ${MAX_STEPS}, got ${config.steps}`,
  );
  check(finite(config.lmax) && config.lmax > 0, 'lmax', `must be a number > 0 (seconds), got ${config.lmax}`);
  check(finite(config.price) && config.price >= 0, 'price', `must be a number ≥ 0 ($/GPU-hour), got ${config.price}`);
  const seed = BigInt(config.seed);
  check(seed >= 0n && seed < 1n << 64n, 'seed', `must be an integer in [0, 2^64), got ${config.seed}`);
  check(config.arrivals in ARRIVAL_MODE_ID, 'arrivals', `must be deterministic or poisson, got ${config.arrivals}`);
  for (let f = 0; f < fleets.count; f++) {
    const n = fleets.agentCount[f]!;
    check(n >= 1 && n <= MAX_AGENTS_PER_FLEET, `fleets[${f}].agents`, `must hold 1 to ${MAX_AGENTS_PER_FLEET} agents, got ${n}`);
    const g = fleets.capacity[f]!;
    check(finite(g) && g > 0, `fleets[${f}].capacity`, `must be a number > 0 (GPUs), got ${g}`);
    for (let i = 0; i < n; i++) {
      const a = fleets.agentOffset[f]! + i;
      const at = `fleets[${f}].agents[${i}]`;
      const T = fleets.T[a]!;
      const R = fleets.R[a]!;
      const P = fleets.P[a]!;
      const lambda = fleets.lambda[a]!;
      check(finite(T) && T > 0, `${at}.T`, `must be a number > 0 (requests/s), got ${T}`);
      check(R >= 0 && R <= 1, `${at}.R`, `must be a number in [0, 1] (share of G), got ${R}`);
      check(finite(P) && P > 0, `${at}.P`, `must be a number > 0 (priority, 1 = highest), got ${P}`);
      check(
        lambda >= 0 && lambda * config.dt <= MAX_POISSON_MEAN,
        `${at}.lambda`,
        `must be a number ≥ 0 with lambda·dt ≤ ${MAX_POISSON_MEAN} (requests/s), got ${lambda}`,
      );
    }
  }
  for (let r = 0; r < runs.count; r++) {
    check(runs.fleet[r]! < fleets.count, `runs[${r}].fleet`, `must be below ${fleets.count}, got ${runs.fleet[r]}`);
    check(
      runs.policy[r]! < POLICY_NAMES.length,
      `runs[${r}].policy`,
      `must be one of ${POLICY_NAMES.map((n, i) => `${i} (${n})`).join(', ')}, got ${runs.policy[r]}`,
    );
  }
}
