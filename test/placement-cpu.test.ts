/**
 * Several GPUs per fleet by placement (MODEL-PART4 §4.5; src/model/placement.ts) on the CPU engine.
 *
 * - LPT on hand-made fleets: descending γ/T to the least-loaded GPU (ties: lower index, lower GPU), the
 *   given agents counted first, the memory fit per GPU; an agent that fits nowhere is named.
 * - Separate fleets: with deterministic arrivals and work, GPU k's agents of a placed fleet equal a
 *   one-GPU fleet of just those agents with capacity f32(G/n_G), bit for bit (every per-agent total),
 *   for every policy, with and without the lifecycle (memory per GPU, each eviction and eligibility
 *   rule, load slots); the run's memory, resident and bound totals are the GPUs' combined. With Poisson
 *   arrivals, GPU 0's agents when they are the fleet's first agents (same indices, same streams).
 * - One GPU: `gpus: 1` packs and runs as a fleet without it, bit for bit.
 * - N = n_G, one agent per GPU: each an M/D/1-like queue with μ = T_i (Pollaczek–Khinchine's W_q
 *   within 3 standard errors and 4 %, the discretisation bias −(1 − ρ)Δt included in the band).
 * - The per-GPU metrics (gpuImbalance, gpuUtilizationMin/Max) from the per-agent totals; NaN with one GPU.
 * - Bad input (gpus 0, 9, 2.5; a gpu index out of range; an agent that fits no GPU): a ConfigError naming the field.
 * - A seed fixes every result: run by run as in groups, on worker threads as on one.
 * Run time: about 8 s (the M/D/1 case 4 s of it) on a loaded 2-core machine.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { runBatchCpu } from '../src/cpu/engine.js';
import { CpuWorkerPool } from '../src/cpu/workers.js';
import { type AgentSpec, type Batch, crossRuns, type FleetSpec, makeBatch, packFleets, type SimConfig } from '../src/model/batch.js';
import { ConfigError } from '../src/model/errors.js';
import type { LifecycleSpec } from '../src/model/lifecycle.js';
import { runSummary, summarize, TOTAL_FIELDS, type RunTotals } from '../src/model/metrics.js';
import { gpuCapacity, gpuUtilizations } from '../src/model/placement.js';
import { PAPER_AGENTS } from '../src/model/paper.js';
import { POLICY, POLICY_NAMES, type PolicyId } from '../src/model/policies.js';
import { testFleet } from './helpers/fleets.js';

const ALL_POLICIES = POLICY_NAMES.map((name) => POLICY[name]);
/** The totals kept by a run's agent 0 for the whole run (not per agent). */
const RUN_TOTALS = ['busySum', 'residentRunStepSum', 'memorySum', 'memoryBoundStepSum', 'memoryPeak'] as const;
const AGENT_TOTALS = TOTAL_FIELDS.filter((f) => !(RUN_TOTALS as readonly string[]).includes(f));

const DETERMINISTIC: SimConfig = { dt: 0.25, steps: 300, lmax: 999, price: 1, arrivals: 'deterministic', seed: 11, warmup: 10 };

function batchOf(fleets: FleetSpec[], config: SimConfig, policies: readonly PolicyId[] = ALL_POLICIES, streams?: number[]): Batch {
  return makeBatch(packFleets(fleets, streams, undefined, config.lifecycle), crossRuns(fleets.length, policies, 1), config);
}

/** Agents with the given loads ρ = λ/T (T = 10), memory M, and optional given GPUs. */
function loads(rhos: number[], M: number[] = [], gpu: (number | undefined)[] = []): AgentSpec[] {
  return rhos.map((rho, i) => ({
    T: 10,
    R: 0.1,
    P: 1,
    lambda: 10 * rho,
    ...(M[i] === undefined ? {} : { M: M[i] }),
    ...(gpu[i] === undefined ? {} : { gpu: gpu[i] }),
  }));
}

const placed = (fleet: FleetSpec, lifecycle?: LifecycleSpec): number[] =>
  Array.from(packFleets([fleet], undefined, undefined, lifecycle).gpu);

describe('LPT placement', () => {
  it('descending γ/T to the least-loaded GPU; ties to the lower index and the lower GPU', () => {
    // 0.5 → 0, 0.4 → 1, 0.3 → 1 (0.4 < 0.5), 0.2 → 0 (0.5 < 0.7), 0.1 → 0 (0.7 = 0.7: the lower GPU).
    expect(placed({ agents: loads([0.5, 0.4, 0.3, 0.2, 0.1]), gpus: 2 })).toEqual([0, 1, 1, 0, 0]);
    // Equal loads: index order, round the GPUs.
    expect(placed({ agents: loads([0.2, 0.2, 0.2, 0.2, 0.2]), gpus: 3 })).toEqual([0, 1, 2, 0, 1]);
    // Order by load, not by index: 0.1, 0.9, 0.5, 0.5 → 0.9 → 0, 0.5 (agent 2) → 1, 0.5 (agent 3) → 2, 0.1 → 1.
    expect(placed({ agents: loads([0.1, 0.9, 0.5, 0.5]), gpus: 3 })).toEqual([1, 0, 1, 2]);
    // More GPUs than agents: the last GPUs stay empty.
    expect(placed({ agents: loads([0.3, 0.6]), gpus: 4 })).toEqual([1, 0]);
    // γ is the visit rate: an agent fed by another counts its routed load (agent 1: 0.1 + 0.9·0.5 = 0.55,
    // first now: 0.55 → 0, 0.5 → 1, 0.4 → 1).
    const agents = loads([0.5, 0.1, 0.4]);
    agents[0] = { ...agents[0]!, routes: [{ to: 1, p: 0.9 }] };
    expect(placed({ agents, gpus: 2 })).toEqual([1, 0, 1]);
  });

  it('the given agents keep their GPU and count first; memory limits where the others may go', () => {
    // Agent 0 (0.9) is given GPU 1: the others fill GPU 0 first.
    expect(placed({ agents: loads([0.9, 0.3, 0.2, 0.1], [], [1]), gpus: 2 })).toEqual([1, 0, 0, 0]);
    expect(placed({ agents: loads([0.9, 0.3, 0.2, 0.5], [], [1, undefined, undefined, 1]), gpus: 2 })).toEqual([1, 0, 0, 1]);
    // 16 GB cards: 0.5 (4 GB) → 0, 0.4 (10 GB) → 1, then 0.1 (8 GB) would go to the less-loaded GPU 1,
    // where it does not fit beside the 10 GB model: GPU 0. Without the memory limit: GPU 1.
    const fleet = { agents: loads([0.5, 0.4, 0.1], [4_000, 10_000, 8_000]), gpus: 2 };
    expect(placed(fleet)).toEqual([0, 1, 1]);
    expect(placed(fleet, { memory: { gb: 16 } })).toEqual([0, 1, 0]);
    // usable counts: 0.9 × 20 GB = 18 GB fits it on GPU 1 again.
    expect(placed(fleet, { memory: { gb: 20, usable: 0.9 } })).toEqual([0, 1, 1]);
  });

  it('an agent that fits no GPU is a configuration error naming it', () => {
    const fleet = { agents: loads([0.5, 0.4, 0.3], [9_000, 9_000, 9_000]), gpus: 2 };
    expect(() => packFleets([fleet], undefined, undefined, { memory: { gb: 16 } })).toThrow(
      /fleets\[0\]\.agents\[2\]\.M: must fit one of the fleet's 2 GPUs/,
    );
    expect(() => packFleets([fleet], undefined, undefined, { memory: { gb: 18 } })).not.toThrow();
  });
});

describe('bad input names the field', () => {
  const agents = loads([0.2, 0.3]);
  it.each([
    [{ agents, gpus: 0 }, /^fleets\[0\]\.gpus: must be an integer from 1 to 8/],
    [{ agents, gpus: 9 }, /^fleets\[0\]\.gpus: must be an integer from 1 to 8/],
    [{ agents, gpus: 2.5 }, /^fleets\[0\]\.gpus: must be an integer from 1 to 8/],
    [{ agents: loads([0.2, 0.3], [], [0, 2]), gpus: 2 }, /^fleets\[0\]\.agents\[1\]\.gpu: must be an integer from 0 to 1/],
    [{ agents: loads([0.2, 0.3], [], [-1]), gpus: 2 }, /^fleets\[0\]\.agents\[0\]\.gpu: must be an integer from 0 to 1/],
    [{ agents: loads([0.2, 0.3], [], [1]) }, /^fleets\[0\]\.agents\[0\]\.gpu: must be an integer from 0 to 0/],
  ])('%#', (fleet, message) => {
    let error: unknown;
    try {
      packFleets([fleet]);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect(String((error as Error).message)).toMatch(message);
  });

  it('validateBatch: a packed gpu out of range, a pinned set too large for its GPU', () => {
    const fleets = packFleets([{ agents: loads([0.2, 0.3]), gpus: 2 }]);
    fleets.gpu[1] = 2;
    expect(() => makeBatch(fleets, crossRuns(1, [POLICY.static], 1), DETERMINISTIC)).toThrow(
      /fleets\[0\]\.agents\[1\]\.gpu: must be an integer from 0 to 1/,
    );
    const pinned = loads([0.2, 0.3, 0.1], [9_000, 9_000, 1_000], [0, 0, 1]).map((a) => ({ ...a, pinned: true }));
    const lifecycle: LifecycleSpec = { memory: { gb: 16 } };
    expect(() => batchOf([{ agents: pinned, gpus: 2 }], { ...DETERMINISTIC, lifecycle })).toThrow(
      /fleets\[0\]\.agents: the pinned agents on GPU 0 must fit its usable memory together, 16000 MB, got 18000 MB/,
    );
  });
});

/** The agent without its `gpu`. */
function withoutGpu(agent: AgentSpec): AgentSpec {
  const copy = { ...agent };
  delete copy.gpu;
  return copy;
}

/** Fleet `spec` placed (packed with `lifecycle`), split into one one-GPU fleet per GPU: its agents in index order, capacity f32(G/n_G). */
function splitByGpu(spec: FleetSpec, lifecycle?: LifecycleSpec): { parts: FleetSpec[]; members: number[][] } {
  const packed = packFleets([spec], undefined, undefined, lifecycle);
  const nG = spec.gpus ?? 1;
  const members: number[][] = Array.from({ length: nG }, () => []);
  spec.agents.forEach((_, i) => members[packed.gpu[i]!]!.push(i));
  const capacity = gpuCapacity(packed, 0);
  const parts = members.map((ids) => ({
    capacity,
    agents: ids.map((i) => withoutGpu(spec.agents[i]!)),
  }));
  return { parts, members };
}

/** The first per-agent total of placed fleet run r that differs from GPU k's separate run, or null; and the run totals combined. */
function compareSplit(
  whole: RunTotals,
  parts: RunTotals[],
  members: number[][],
  runs: number,
): { differences: string[]; memory: string[] } {
  const differences: string[] = [];
  const memory: string[] = [];
  for (let r = 0; r < runs; r++) {
    const w0 = whole.agentOffset[r]!;
    let memorySum = 0;
    let resident = 0;
    let peak = 0;
    let boundMax = 0;
    let boundSum = 0;
    let busyMax = 0;
    members.forEach((ids, k) => {
      if (ids.length === 0) return;
      const part = parts[k]!;
      const p0 = part.agentOffset[r]!;
      ids.forEach((i, position) => {
        for (const field of AGENT_TOTALS) {
          const got = whole[field][w0 + i]!;
          const want = part[field][p0 + position]!;
          if (!Object.is(got, want)) differences.push(`run ${r} GPU ${k} agent ${i} ${field}: ${got} ≠ ${want}`);
        }
      });
      memorySum += part.memorySum[p0]!;
      resident += part.residentRunStepSum[p0]!;
      peak = Math.max(peak, part.memoryPeak[p0]!);
      boundMax = Math.max(boundMax, part.memoryBoundStepSum[p0]!);
      boundSum += part.memoryBoundStepSum[p0]!;
      busyMax = Math.max(busyMax, part.busySum[p0]!);
    });
    if (whole.memorySum[w0] !== memorySum) memory.push(`run ${r} memorySum ${whole.memorySum[w0]} ≠ Σ_k ${memorySum}`);
    if (whole.residentRunStepSum[w0] !== resident)
      memory.push(`run ${r} residentRunStepSum ${whole.residentRunStepSum[w0]} ≠ Σ_k ${resident}`);
    if (whole.memoryPeak[w0] !== peak) memory.push(`run ${r} memoryPeak ${whole.memoryPeak[w0]} ≠ max_k ${peak}`);
    const bound = whole.memoryBoundStepSum[w0]!;
    if (bound < boundMax || bound > boundSum) memory.push(`run ${r} memoryBoundStepSum ${bound} outside [${boundMax}, ${boundSum}]`);
    if (whole.busySum[w0]! < busyMax) memory.push(`run ${r} busySum ${whole.busySum[w0]} < ${busyMax}`);
  }
  return { differences, memory };
}

/** A fleet of 6–12 agents with models of 1–9 GB, some pinned (every 7th), loads 0.05–0.41 of T with two pauses each. */
function serverlessFleet(seed: number, gpus: number, given: 'none' | 'some' | 'all'): FleetSpec {
  const base = testFleet(seed, seed);
  const n = 6 + (seed % 7);
  const agents = Array.from({ length: n }, (_, i) => {
    const a = base.agents[i % base.agents.length]!;
    const T = 5 + ((i * 37 + seed * 11) % 50);
    return {
      T,
      R: a.R,
      P: a.P,
      lambda: T * (0.05 + ((i * 13 + seed) % 10) * 0.04),
      M: 1_000 + ((i * 2654435761 + seed * 97) % 8_000),
      pinned: (i + seed) % 7 === 3,
      // Pauses (deterministic arrivals never leave an agent idle otherwise): it goes cold, and is evicted.
      schedule: [
        { start: 20 + ((i * 17) % 40), multiplier: 0 },
        { start: 90 + ((i * 29) % 50), multiplier: 1.5 },
        { start: 170 + ((i * 13) % 30), multiplier: 0 },
        { start: 230 + ((i * 7) % 40), multiplier: 1 },
      ],
      ...(given === 'all' ? { gpu: (i * 5 + seed) % gpus } : given === 'some' && i % 3 === 0 ? { gpu: (i / 3) % gpus } : {}),
    };
  });
  return { agents, gpus, capacity: gpus === 3 ? 2 : gpus };
}

describe('placement = separate fleets, bit for bit', () => {
  const lifecycles: (LifecycleSpec | undefined)[] = [
    undefined,
    { keepAlive: 5, coldStart: 1, loadBandwidth: 4, eligible: 'warm' },
    { keepAlive: 2, coldStart: 0.5, eligible: 'backlogged', memory: { gb: 16, evict: 'lru' }, loadSlots: 2 },
    { keepAlive: 1, coldStart: 0, eligible: 'all', memory: { gb: 12, usable: 0.9, evict: 'largestFirst' }, initialPhase: 'cold' },
    { keepAlive: 0, coldStart: 1, eligible: 'warm', memory: { gb: 10, evict: 'lowestPriority' }, loadSlots: Infinity },
  ];
  it.each(lifecycles.map((lifecycle, k) => ({ lifecycle, k })))(
    'deterministic arrivals, every policy, lifecycle case $k',
    ({ lifecycle, k }) => {
      // LPT fits every model of a GPU at once: under a memory limit the agents are given their GPUs, so
      // that the GPUs are overcommitted and evict.
      const memory = lifecycle?.memory !== undefined;
      const seen = { coldStarts: 0, evictions: 0, bound: 0 };
      for (const [seed, gpus, given] of [
        [1 + k, 2, memory ? 'all' : 'none'],
        [3 + k, 3, memory ? 'all' : 'some'],
        [5 + k, 8, memory ? 'all' : 'none'],
      ] as const) {
        const spec = serverlessFleet(seed, gpus, given);
        const config: SimConfig = lifecycle === undefined ? DETERMINISTIC : { ...DETERMINISTIC, lifecycle };
        const { parts, members } = splitByGpu(spec, lifecycle);
        const whole = runBatchCpu(batchOf([spec], config));
        // A GPU without agents has no fleet of its own (compareSplit skips it).
        const separate = parts.map((part) => (part.agents.length > 0 ? runBatchCpu(batchOf([part], config)) : whole));
        const { differences, memory } = compareSplit(whole, separate, members, ALL_POLICIES.length);
        expect(differences.slice(0, 5), `seed ${seed}, ${gpus} GPUs`).toEqual([]);
        expect(memory.slice(0, 5), `seed ${seed}, ${gpus} GPUs`).toEqual([]);
        if (lifecycle !== undefined) seen.coldStarts += whole.coldStartSum.reduce((x, y) => x + y, 0);
        if (memory) seen.evictions += whole.evictionSum.reduce((x, y) => x + y, 0);
        if (memory) seen.bound += whole.memoryBoundStepSum.reduce((x, y) => x + y, 0);
      }
      // The cases do what they are for: loads, and under memory limits evictions and waits for memory.
      if (lifecycle !== undefined) expect(seen.coldStarts).toBeGreaterThan(0);
      // (K = 0 leaves no idle WARM agent to evict: the GPUs wait for memory instead.)
      if (memory) expect(seen.bound, JSON.stringify(seen)).toBeGreaterThan(0);
      if (memory && lifecycle.keepAlive! > 0) expect(seen.evictions, JSON.stringify(seen)).toBeGreaterThan(0);
    },
  );

  it('Poisson arrivals: GPU 0 holding the fleet first agents equals them alone (same indices, same stream)', () => {
    const spec = serverlessFleet(4, 2, 'none');
    const agents = spec.agents.map((a, i) => ({ ...a, gpu: i < 3 ? 0 : 1 }));
    for (const lifecycle of [undefined, { keepAlive: 3, coldStart: 1, memory: { gb: 12 } } satisfies LifecycleSpec]) {
      const config: SimConfig = { ...DETERMINISTIC, arrivals: 'poisson', ...(lifecycle === undefined ? {} : { lifecycle }) };
      const whole = runBatchCpu(batchOf([{ ...spec, agents }], config, ALL_POLICIES, [5]));
      const first = runBatchCpu(batchOf([{ capacity: 1, agents: spec.agents.slice(0, 3) }], config, ALL_POLICIES, [5]));
      const { differences } = compareSplit(whole, [first], [[0, 1, 2]], ALL_POLICIES.length);
      expect(differences.slice(0, 5)).toEqual([]);
    }
  });
});

describe('one GPU changes nothing', () => {
  it('gpus: 1 (and gpu: 0) packs and runs as a fleet without them, bit for bit', () => {
    const fleets = [{ agents: PAPER_AGENTS }, testFleet(2, 2)];
    const one = fleets.map((f) => ({ ...f, gpus: 1, agents: f.agents.map((a) => ({ ...a, gpu: 0 })) }));
    for (const config of [
      { ...DETERMINISTIC, arrivals: 'poisson' as const },
      { ...DETERMINISTIC, lifecycle: { keepAlive: 2, memory: { gb: 24 } } },
    ]) {
      const a = batchOf(fleets, config);
      const b = batchOf(one, config);
      expect(b.fleets).toEqual(a.fleets);
      const ta = runBatchCpu(a);
      const tb = runBatchCpu(b);
      for (const field of TOTAL_FIELDS) expect(Array.from(tb[field]), field).toEqual(Array.from(ta[field]));
      const s = summarize(a, ta);
      expect(s.gpuImbalance.every(Number.isNaN)).toBe(true);
      expect(s.gpuUtilizationMin.every(Number.isNaN)).toBe(true);
      expect(s.gpuUtilizationMax.every(Number.isNaN)).toBe(true);
    }
  });
});

describe('the per-GPU metrics', () => {
  it('util_k from the per-agent totals; imbalance max/mean; per-agent rows carry the GPU', () => {
    const spec: FleetSpec = { agents: loads([0.6, 0.5, 0.2, 0.1], [], [0, 1, 1, 2]), gpus: 3, capacity: 3 };
    const config: SimConfig = { ...DETERMINISTIC, steps: 400, warmup: 0 };
    const batch = batchOf([spec], config, [POLICY.static]);
    const totals = runBatchCpu(batch);
    const result = summarize(batch, totals);
    const S = config.steps;
    const util = Array.from(gpuUtilizations(batch.fleets, 0, totals, 0, 0, 4, S, config.dt));
    // Deterministic arrivals below capacity: each GPU serves its load, Σ ρ of its agents (the static share covers them).
    expect(util[0]).toBeCloseTo(0.6, 2);
    expect(util[1]).toBeCloseTo(0.7, 2);
    expect(util[2]).toBeCloseTo(0.1, 2);
    expect(result.gpuUtilizationMin[0]).toBe(Math.min(...util));
    expect(result.gpuUtilizationMax[0]).toBe(Math.max(...util));
    expect(result.gpuImbalance[0]).toBeCloseTo(Math.max(...util) / ((util[0]! + util[1]! + util[2]!) / 3), 12);
    expect(runSummary(batch, result, 0).perAgent.map((a) => a.gpu)).toEqual([0, 1, 1, 2]);
    // No arrivals at all: every util 0, the imbalance undefined.
    const idle = batchOf([{ ...spec, agents: loads([0, 0, 0, 0], [], [0, 1, 1, 2]) }], config, [POLICY.static]);
    const none = summarize(idle, runBatchCpu(idle));
    expect(none.gpuImbalance[0]).toBeNaN();
    expect(none.gpuUtilizationMax[0]).toBe(0);
  });
});

describe('one agent per GPU: M/D/1 queues', () => {
  it('N = n_G = 3, T = 1, ρ = 0.3, 0.5, 0.7: each agent waits Pollaczek–Khinchine’s W_q = ρ/(2(1 − ρ))', () => {
    const rhos = [0.3, 0.5, 0.7];
    const dt = 0.02;
    const replicates = 24;
    const warmup = Math.round(200 / dt);
    const config: SimConfig = { dt, steps: warmup + Math.round(2500 / dt), warmup, lmax: 999, price: 1, arrivals: 'poisson', seed: 2026 };
    const spec: FleetSpec = { gpus: 3, capacity: 3, agents: rhos.map((rho) => ({ T: 1, R: 0, P: 1, lambda: rho })) };
    const batch = makeBatch(packFleets([spec]), crossRuns(1, [POLICY.static], replicates), config);
    expect(Array.from(batch.fleets.gpu)).toEqual([2, 1, 0]); // LPT: the heaviest first
    const result = summarize(batch, runBatchCpu(batch));
    rhos.forEach((rho, i) => {
      const latencies = Array.from({ length: replicates }, (_, r) => runSummary(batch, result, r).perAgent[i]!.latency);
      const mean = latencies.reduce((x, y) => x + y, 0) / replicates;
      const se = Math.sqrt(latencies.reduce((x, y) => x + (y - mean) ** 2, 0) / (replicates - 1) / replicates);
      // Recording ℓ at the end of each step biases it by about −(1 − ρ)Δt, relative (docs/QUEUEING.md).
      const want = (rho / (2 * (1 - rho))) * (1 - (1 - rho) * dt);
      const line = `ρ = ${rho}: ${mean.toFixed(4)} ± ${se.toFixed(4)}, P-K ${want.toFixed(4)}`;
      console.log(line);
      expect(Math.abs(mean - want), line).toBeLessThanOrEqual(3 * se);
      expect(Math.abs(mean - want), line).toBeLessThanOrEqual(0.04 * want);
      // The whole GPU for each: share 1 at every step.
      expect(runSummary(batch, result, 0).perAgent[i]!.share).toBe(1);
    });
  });
});

describe('a seed fixes every result', () => {
  const pools: CpuWorkerPool[] = [];
  afterAll(async () => {
    await Promise.all(pools.map((p) => p.close()));
  });
  it('placed fleets run by run as in groups, and on 2 worker threads as on 1 (the packed gpu travels)', async () => {
    const lifecycle: LifecycleSpec = { keepAlive: 2, memory: { gb: 12 }, initialPhase: 'cold' };
    const fleets = [serverlessFleet(2, 3, 'all'), serverlessFleet(9, 2, 'all'), { agents: PAPER_AGENTS, gpus: 2 }];
    for (const config of [
      { ...DETERMINISTIC, arrivals: 'poisson' as const, lifecycle },
      { ...DETERMINISTIC, arrivals: 'poisson' as const },
    ]) {
      const batch = makeBatch(packFleets(fleets, undefined, undefined, config.lifecycle), crossRuns(3, ALL_POLICIES, 2), config);
      const expected = runBatchCpu(batch);
      const alone = runBatchCpu(batch, 0, 0);
      for (let r = 0; r < batch.runs.count; r++) runBatchCpu(batch, r, r + 1, alone);
      const pool = new CpuWorkerPool(2, { minSharedAgentSteps: 0, minRangeAgentSteps: 1 });
      pools.push(pool);
      const pooled = await pool.run(batch);
      for (const field of TOTAL_FIELDS) {
        expect(Array.from(alone[field]), field).toEqual(Array.from(expected[field]));
        expect(Array.from(pooled[field]), field).toEqual(Array.from(expected[field]));
      }
    }
  });
});
