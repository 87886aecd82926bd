/**
 * Several GPUs as one pool (MODEL-PART4 §4.5, `pool`; src/model/pool.ts) on the CPU engine.
 *
 * - Allocation, each policy form on hand-made fleets, step by step (runSeriesCpu): `cap` (static
 *   min(U_i, G/N); adaptive = the plain fleet's Algorithm 1 at G capped at U_i, the excess unallocated),
 *   `turns` (roundRobin: n_G agents a whole GPU each per step, s = t·n_G mod N), `fill`
 *   (adaptiveWaterfill and maxMinFair: hi = U_i, the cap's excess redistributed); with U_i ≥ G a pool of
 *   the `cap` and `fill` policies is the plain fleet at capacity G, every per-agent total bit for bit,
 *   with and without the lifecycle (unlimited memory and load slots).
 * - N ≤ n_G agents, U_i = 1: static, roundRobin, adaptiveWaterfill and maxMinFair give each agent a
 *   whole GPU's work at every step, the same queues under all four (bit for bit); each an M/D/1 queue
 *   with μ = T_i (Pollaczek–Khinchine's W_q within 3 standard errors of 40 replicates, each under 3 %;
 *   the discretisation bias included).
 * - A pool of one GPU packs and runs as the plain fleet, bit for bit.
 * - Memory: on random fleets under memory limits (each eviction rule, load slots 1, 2, unlimited,
 *   initial phase warm and cold, every pool policy), every GPU's memory at every step is within its
 *   capacity, Σ_k is the run's memory, and it is the resident agents' models; loads land on several GPUs.
 * - Loads go to the GPU with the most free memory (a hand-made deterministic case), to a GPU with a free
 *   load slot, evicting only that GPU's idle agents, and stop head of line (no other GPU is tried); a
 *   step's evictions are counted over the pool. By placement, RunSeries.gpuMemory is each GPU's resident models.
 * - Pinned agents start first, each on the GPU with the most free memory; the others follow while they
 *   fit; a pinned agent is never evicted; a pinned set that does not fit is a configuration error.
 * - validateBatch refuses fixedShares and roundRobinSkipIdle on a pool; an agent's `gpu` and a bad
 *   gpuMode are configuration errors naming the field; the per-GPU run metrics are NaN in a pool.
 * - A seed fixes every result: run by run as in groups, on 2 worker threads as on 1 (needs `npm run build`).
 * Run time: about 15 s on a loaded 2-core machine (the M/D/1 case most of it).
 */
import { afterAll, describe, expect, it } from 'vitest';
import { runBatchCpu, runSeriesCpu } from '../src/cpu/engine.js';
import { CpuWorkerPool } from '../src/cpu/workers.js';
import { type AgentSpec, type Batch, crossRuns, type FleetSpec, makeBatch, packFleets, type SimConfig } from '../src/model/batch.js';
import { ConfigError } from '../src/model/errors.js';
import { type LifecycleSpec, MAX_EVICTIONS_PER_STEP, memoryCapacityMB, PHASE } from '../src/model/lifecycle.js';
import { runSummary, summarize, TOTAL_FIELDS } from '../src/model/metrics.js';
import { PAPER_AGENTS } from '../src/model/paper.js';
import { POLICIES, POLICY, POLICY_NAMES, type PolicyId } from '../src/model/policies.js';
import { testFleet } from './helpers/fleets.js';

/** The policies with a pool form (PolicyDef.pool not null), and those without. */
const POOL_POLICIES = POLICY_NAMES.filter((name) => POLICIES[name].pool !== null).map((name) => POLICY[name]);
const CAP_FILL_POLICIES = POLICY_NAMES.filter((name) => POLICIES[name].pool === 'cap' || POLICIES[name].pool === 'fill').map(
  (name) => POLICY[name],
);
/** The totals kept by a run's agent 0 for the whole run (not per agent). */
const RUN_TOTALS = ['busySum', 'residentRunStepSum', 'memorySum', 'memoryBoundStepSum', 'memoryPeak'] as const;
const AGENT_TOTALS = TOTAL_FIELDS.filter((f) => !(RUN_TOTALS as readonly string[]).includes(f));

const DETERMINISTIC: SimConfig = { dt: 0.25, steps: 200, lmax: 999, price: 1, arrivals: 'deterministic', seed: 7, warmup: 0 };

function batchOf(fleets: FleetSpec[], config: SimConfig, policies: readonly PolicyId[], replicates = 1): Batch {
  return makeBatch(packFleets(fleets, undefined, undefined, config.lifecycle), crossRuns(fleets.length, policies, replicates), config);
}

/** Agent i's share at step t of run r's series. */
function shareAt(batch: Batch, r: number, t: number): number[] {
  const s = runSeriesCpu(batch, r);
  return Array.from({ length: s.agents }, (_, i) => s.share[i * s.steps + t]!);
}

/** Agents with T = 10, the given arrival rates λ and caps U (absent: the default 1). */
function agentsOf(lambdas: number[], caps: (number | undefined)[] = []): AgentSpec[] {
  return lambdas.map((lambda, i) => ({ T: 10, R: 0.05, P: 1, lambda, ...(caps[i] === undefined ? {} : { cap: caps[i] }) }));
}

describe('the allocation: each policy form', () => {
  it('cap, static: min(U_i, G/N), the excess unallocated', () => {
    // 5 agents on a pool of 2 GPUs (G = 2): G/N = 0.4; agent 0 capped at 0.3.
    const batch = batchOf([{ agents: agentsOf([1, 1, 1, 1, 1], [0.3]), gpus: 2, capacity: 2, gpuMode: 'pool' }], DETERMINISTIC, [
      POLICY.static,
    ]);
    const g = shareAt(batch, 0, 7);
    expect(g).toEqual([Math.fround(0.3), 0.4, 0.4, 0.4, 0.4]);
    // 2 agents on 4 GPUs: G/N = 2, each capped at U = 1 (a whole GPU), or at its own U = 1.5.
    const wide = batchOf([{ agents: agentsOf([1, 1], [undefined, 1.5]), gpus: 4, capacity: 4, gpuMode: 'pool' }], DETERMINISTIC, [
      POLICY.static,
    ]);
    expect(shareAt(wide, 0, 3)).toEqual([1, 1.5]);
  });

  it('cap, adaptive: the plain fleet’s Algorithm 1 at G, capped at U_i; the excess unallocated', () => {
    // One heavy agent: on one GPU of capacity 2 it would get more than 1 GPU.
    const agents = agentsOf([30, 2, 1]);
    const plain = batchOf([{ agents, capacity: 2 }], DETERMINISTIC, [POLICY.adaptive]);
    const pool = batchOf([{ agents, gpus: 2, capacity: 2, gpuMode: 'pool' }], DETERMINISTIC, [POLICY.adaptive]);
    const p = runSeriesCpu(plain, 0);
    const q = runSeriesCpu(pool, 0);
    expect(p.share[0]).toBeGreaterThan(1); // the case does what it is for
    for (let t = 0; t < p.steps; t += 17) {
      const want = [0, 1, 2].map((i) => Math.min(p.share[i * p.steps + t]!, 1));
      const got = [0, 1, 2].map((i) => q.share[i * q.steps + t]!);
      expect(got, `step ${t}`).toEqual(want);
      expect(got.reduce((x, y) => x + y, 0)).toBeLessThan(2); // unallocated: not redistributed
    }
  });

  it('turns, roundRobin: n_G agents get a whole GPU per step, s = t·n_G mod N; U_i caps the GPU', () => {
    // 5 agents, 2 GPUs: steps 0 … 4 serve {0, 1}, {2, 3}, {4, 0}, {1, 2}, {3, 4}; agent 2 capped at 0.5.
    const batch = batchOf(
      [{ agents: agentsOf([1, 1, 1, 1, 1], [undefined, undefined, 0.5]), gpus: 2, capacity: 2, gpuMode: 'pool' }],
      DETERMINISTIC,
      [POLICY.roundRobin],
    );
    const s = runSeriesCpu(batch, 0);
    const turns = [
      [1, 1, 0, 0, 0],
      [0, 0, 0.5, 1, 0],
      [1, 0, 0, 0, 1],
      [0, 1, 0.5, 0, 0],
      [0, 0, 0, 1, 1],
    ];
    for (let t = 0; t < 10; t++)
      expect(
        Array.from({ length: 5 }, (_, i) => s.share[i * s.steps + t]),
        `step ${t}`,
      ).toEqual(turns[t % 5]);
    // Capacity 3 on 2 GPUs: a whole GPU is f32(3/2) = 1.5, capped at U = 1 (the default) — and at U = 2, 1.5.
    const big = batchOf([{ agents: agentsOf([1, 1, 1], [undefined, 2]), gpus: 2, capacity: 3, gpuMode: 'pool' }], DETERMINISTIC, [
      POLICY.roundRobin,
    ]);
    expect(shareAt(big, 0, 0)).toEqual([1, 1.5, 0]);
    // N ≤ n_G: every agent, every step.
    const few = batchOf([{ agents: agentsOf([1, 1]), gpus: 3, capacity: 3, gpuMode: 'pool' }], DETERMINISTIC, [POLICY.roundRobin]);
    for (const t of [0, 1, 2, 5]) expect(shareAt(few, 0, t)).toEqual([1, 1]);
  });

  it('fill, adaptiveWaterfill: hi = U_i, what the cap leaves goes to the others (Σ g = G)', () => {
    const agents = agentsOf([30, 2, 1]);
    const pool = batchOf([{ agents, gpus: 2, capacity: 2, gpuMode: 'pool' }], DETERMINISTIC, [POLICY.adaptiveWaterfill, POLICY.adaptive]);
    const fill = shareAt(pool, 0, 5);
    const cap = shareAt(pool, 1, 5);
    expect(fill[0]).toBe(1);
    expect(fill[0]! + fill[1]! + fill[2]!).toBeCloseTo(2, 12);
    // The cap form would leave capacity idle where the fill redistributes it.
    expect(cap[0]).toBe(1);
    expect(fill[1]).toBeGreaterThan(cap[1]!);
    expect(fill[2]).toBeGreaterThan(cap[2]!);
  });

  it('U_i ≥ G: a pool of the cap and fill policies is the plain fleet at G, every per-agent total bit for bit', () => {
    // Agents with pauses (they go cold), every U_i = G.
    const agents = poolFleet(5, 4).agents.map((a) => ({ ...a, cap: 4 }));
    const cases: SimConfig[] = [
      { ...DETERMINISTIC, steps: 300, warmup: 20, arrivals: 'poisson' },
      // The lifecycle, its memory unlimited and load slots too: then the GPUs do not constrain a load.
      {
        ...DETERMINISTIC,
        steps: 300,
        warmup: 20,
        arrivals: 'poisson',
        lifecycle: { keepAlive: 1, coldStart: 1, loadSlots: Infinity, eligible: 'backlogged' },
      },
    ];
    for (const config of cases) {
      const plain = runBatchCpu(batchOf([{ agents, capacity: 4 }], config, CAP_FILL_POLICIES, 2));
      const pool = runBatchCpu(batchOf([{ agents, capacity: 4, gpus: 4, gpuMode: 'pool' }], config, CAP_FILL_POLICIES, 2));
      for (const field of AGENT_TOTALS) expect(Array.from(pool[field]), field).toEqual(Array.from(plain[field]));
      if (config.lifecycle !== undefined) {
        expect(pool.coldStartSum.reduce((x, y) => x + y, 0)).toBeGreaterThan(0);
        expect(Array.from(pool.memorySum)).toEqual(Array.from(plain.memorySum));
      }
    }
  });
});

describe('N ≤ n_G, U_i = 1: M/D/1 queues', () => {
  const rhos = [0.3, 0.5, 0.7];
  const spec: FleetSpec = { gpus: 4, capacity: 4, gpuMode: 'pool', agents: rhos.map((rho) => ({ T: 1, R: 0.1, P: 1, lambda: rho })) };
  const dt = 0.02;
  const warmup = Math.round(200 / dt);
  const config: SimConfig = { dt, steps: warmup + Math.round(2500 / dt), warmup, lmax: 999, price: 1, arrivals: 'poisson', seed: 2027 };

  it('static, roundRobin, adaptiveWaterfill and maxMinFair serve each of 3 agents on 4 GPUs a whole GPU’s work: the same queues', () => {
    // The same streams for every policy of a replicate: bit-identical queues are the same M/D/1 queue.
    // (maxMinFair's share is capped at the need, min(1, B/(T·Δt)): it serves B all the same, but records
    // ℓ = L_max at the steps with nothing queued, so its latencies are not compared.)
    const policies = [POLICY.static, POLICY.roundRobin, POLICY.adaptiveWaterfill, POLICY.maxMinFair];
    const short: SimConfig = { ...config, steps: warmup + Math.round(300 / dt) };
    const batch = batchOf([spec], short, policies, 3);
    const totals = runBatchCpu(batch);
    for (let rep = 0; rep < 3; rep++) {
      const j0 = totals.agentOffset[rep * policies.length]!;
      for (let p = 1; p < policies.length; p++) {
        const j = totals.agentOffset[rep * policies.length + p]!;
        const name = POLICY_NAMES[policies[p]!]!;
        const fields =
          name === 'maxMinFair' ? (['queueSum', 'servedSum'] as const) : (['queueSum', 'servedSum', 'latencySum', 'shareSum'] as const);
        for (const field of fields)
          expect(Array.from(totals[field].slice(j, j + 3)), `${name} ${field}`).toEqual(Array.from(totals[field].slice(j0, j0 + 3)));
      }
      // A whole GPU each at every step: Σ g = the recorded steps.
      expect(Array.from(totals.shareSum.slice(j0, j0 + 3))).toEqual([1, 1, 1].map(() => short.steps - warmup));
    }
  });

  it('ρ = 0.3, 0.5, 0.7, T = 1: each agent waits Pollaczek–Khinchine’s W_q = ρ/(2(1 − ρ))', () => {
    const replicates = 40;
    const batch = batchOf([spec], config, [POLICY.static], replicates);
    const result = summarize(batch, runBatchCpu(batch));
    rhos.forEach((rho, i) => {
      const latencies = Array.from({ length: replicates }, (_, r) => runSummary(batch, result, r).perAgent[i]!.latency);
      const mean = latencies.reduce((x, y) => x + y, 0) / replicates;
      const se = Math.sqrt(latencies.reduce((x, y) => x + (y - mean) ** 2, 0) / (replicates - 1) / replicates);
      // Recording ℓ at the end of each step biases it by about −(1 − ρ)Δt, relative (docs/QUEUEING.md).
      const want = (rho / (2 * (1 - rho))) * (1 - (1 - rho) * dt);
      const line = `ρ = ${rho}: ${mean.toFixed(4)} ± ${se.toFixed(4)}, P-K ${want.toFixed(4)}`;
      console.log(line);
      // Within 3 standard errors, and the estimate precise enough for that to mean something (se ≤ 3 %).
      expect(Math.abs(mean - want), line).toBeLessThanOrEqual(3 * se);
      expect(se, line).toBeLessThanOrEqual(0.03 * want);
      expect(runSummary(batch, result, 0).perAgent[i]!.share).toBe(1);
    });
  });
});

describe('one GPU changes nothing', () => {
  it('a pool of gpus: 1 packs and runs as the plain fleet, bit for bit', () => {
    const fleets: FleetSpec[] = [{ agents: PAPER_AGENTS }, testFleet(3, 3)];
    const pools = fleets.map((f) => ({ ...f, gpus: 1, gpuMode: 'pool' as const }));
    // fixedShares and roundRobinSkipIdle too: one GPU is no pool.
    const policies = POLICY_NAMES.map((name) => POLICY[name]);
    for (const config of [
      { ...DETERMINISTIC, arrivals: 'poisson' as const },
      { ...DETERMINISTIC, lifecycle: { keepAlive: 2, memory: { gb: 24 } } },
    ]) {
      const a = batchOf(fleets, config, policies);
      const b = batchOf(pools, config, policies);
      expect(b.fleets).toEqual(a.fleets);
      const ta = runBatchCpu(a);
      const tb = runBatchCpu(b);
      for (const field of TOTAL_FIELDS) expect(Array.from(tb[field]), field).toEqual(Array.from(ta[field]));
    }
  });
});

/** A fleet of 5–11 agents with models of 1–9 GB, some pinned, loads 0.05–0.41 of T with pauses (they go cold and are evicted). */
function poolFleet(seed: number, gpus: number): FleetSpec {
  const base = testFleet(seed, seed);
  const n = 5 + (seed % 7);
  const agents = Array.from({ length: n }, (_, i) => {
    const a = base.agents[i % base.agents.length]!;
    const T = 5 + ((i * 37 + seed * 11) % 50);
    return {
      T,
      R: a.R,
      P: a.P,
      lambda: T * (0.05 + ((i * 13 + seed) % 10) * 0.04),
      M: 1_000 + ((i * 2654435761 + seed * 97) % 8_000),
      pinned: (i + seed) % 9 === 4,
      ...(i % 3 === 1 ? { cap: 0.5 + (i % 4) * 0.5 } : {}),
      schedule: [
        { start: 0, multiplier: 1 },
        { start: 20 + ((i * 17) % 40), multiplier: 0 },
        { start: 90 + ((i * 29) % 50), multiplier: 1.5 },
        { start: 170 + ((i * 13) % 30), multiplier: 0 },
        { start: 230 + ((i * 7) % 40), multiplier: 1 },
      ],
    };
  });
  return { agents, gpus, gpuMode: 'pool', capacity: gpus };
}

describe('memory in a pool', () => {
  const lifecycles: LifecycleSpec[] = [
    { keepAlive: 2, coldStart: 0.5, eligible: 'backlogged', memory: { gb: 16, evict: 'lru' }, loadSlots: 2 },
    { keepAlive: 1, coldStart: 0, eligible: 'all', memory: { gb: 12, usable: 0.9, evict: 'largestFirst' }, initialPhase: 'cold' },
    { keepAlive: 3, coldStart: 1, eligible: 'warm', memory: { gb: 10, evict: 'lowestPriority' }, loadSlots: Infinity },
    { keepAlive: 0, coldStart: 1, eligible: 'warm', memory: { gb: 14 } },
  ];
  it.each(lifecycles.map((lifecycle, k) => ({ lifecycle, k })))(
    'every GPU within its capacity at every step, the resident models’ memory (case $k)',
    ({ lifecycle, k }) => {
      const capacityMB = memoryCapacityMB(lifecycle.memory!);
      const seen = { coldStarts: 0, evictions: 0, bound: 0, gpusUsed: 0 };
      for (const [seed, gpus] of [
        [1 + k, 2],
        [4 + k, 3],
        [7 + k, 4],
      ] as const) {
        const spec = poolFleet(seed, gpus);
        const config: SimConfig = { ...DETERMINISTIC, steps: 300, warmup: 10, arrivals: 'poisson', lifecycle };
        const batch = batchOf([spec], config, POOL_POLICIES);
        const totals = runBatchCpu(batch);
        const M = spec.agents.map((a) => a.M!);
        for (let r = 0; r < batch.runs.count; r++) {
          const s = runSeriesCpu(batch, r);
          expect(s.gpus).toBe(gpus);
          const used = new Set<number>();
          for (let t = 0; t < s.steps; t++) {
            let sum = 0;
            for (let g = 0; g < gpus; g++) {
              const mb = s.gpuMemory[g * s.steps + t]!;
              if (!(mb >= 0 && mb <= capacityMB)) expect.fail(`run ${r} step ${t} GPU ${g}: ${mb} MB, capacity ${capacityMB}`);
              if (mb > 0) used.add(g);
              sum += mb;
            }
            let resident = 0;
            for (let i = 0; i < s.agents; i++) if (s.phase[i * s.steps + t] !== PHASE.cold) resident += M[i]!;
            if (sum !== s.memory[t] || resident !== sum)
              expect.fail(`run ${r} step ${t}: Σ_k ${sum}, memory ${s.memory[t]}, resident ${resident}`);
          }
          seen.gpusUsed = Math.max(seen.gpusUsed, used.size);
          const j0 = totals.agentOffset[r]!;
          expect(totals.memoryPeak[j0]).toBeLessThanOrEqual(capacityMB);
          seen.bound += totals.memoryBoundStepSum[j0]!;
        }
        seen.coldStarts += totals.coldStartSum.reduce((x, y) => x + y, 0);
        seen.evictions += totals.evictionSum.reduce((x, y) => x + y, 0);
        // The per-GPU run metrics are NaN in a pool (its compute is not per GPU).
        const result = summarize(batch, totals);
        expect(result.gpuImbalance.every(Number.isNaN)).toBe(true);
        expect(result.gpuUtilizationMax.every(Number.isNaN)).toBe(true);
      }
      // The cases do what they are for: loads, on several GPUs, waits for memory and (K > 0) evictions.
      expect(seen.coldStarts).toBeGreaterThan(0);
      expect(seen.gpusUsed).toBeGreaterThan(1);
      expect(seen.bound, JSON.stringify(seen)).toBeGreaterThan(0);
      if (lifecycle.keepAlive! > 0) expect(seen.evictions, JSON.stringify(seen)).toBeGreaterThan(0);
    },
  );
});

describe('RunSeries.gpuMemory by placement', () => {
  it('GPU k’s memory at every step is its resident agents’ models (the series the page plots per GPU)', () => {
    const lifecycle: LifecycleSpec = { keepAlive: 2, coldStart: 0.5, memory: { gb: 16, evict: 'lru' }, loadSlots: 2 };
    const config: SimConfig = { ...DETERMINISTIC, steps: 300, warmup: 10, arrivals: 'poisson', lifecycle };
    const base = poolFleet(3, 3);
    const spec: FleetSpec = { gpus: 3, capacity: 3, agents: base.agents.map((a, i) => ({ ...a, pinned: false, gpu: i % 3 })) };
    const batch = batchOf([spec], config, [POLICY.static, POLICY.maxMinFair]);
    for (let r = 0; r < batch.runs.count; r++) {
      const s = runSeriesCpu(batch, r);
      for (let t = 0; t < s.steps; t++) {
        const want = [0, 0, 0];
        for (let i = 0; i < s.agents; i++) if (s.phase[i * s.steps + t] !== PHASE.cold) want[i % 3] = want[i % 3]! + spec.agents[i]!.M!;
        const got = [0, 1, 2].map((k) => s.gpuMemory[k * s.steps + t]!);
        if (got.some((x, k) => x !== want[k])) expect.fail(`run ${r} step ${t}: ${got.join(', ')} ≠ ${want.join(', ')}`);
      }
    }
    const evictions = runBatchCpu(batch).evictionSum.reduce((x, y) => x + y, 0);
    expect(evictions).toBeGreaterThan(0);
  });
});

/** MB per GPU after step t's admissions. */
function memoryAt(batch: Batch, r: number, t: number): number[] {
  const s = runSeriesCpu(batch, r);
  return Array.from({ length: s.gpus }, (_, k) => s.gpuMemory[k * s.steps + t]!);
}

/** An agent of M MB idle until step `from` (and again from `to`), T = 10, λ = 1 (deterministic: 0.25 a step). */
function arriving(M: number, from: number, to = Infinity, extra: Partial<AgentSpec> = {}): AgentSpec {
  const schedule = [
    { start: 0, multiplier: 0 },
    { start: from, multiplier: 1 },
    ...(to === Infinity ? [] : [{ start: to, multiplier: 0 }]),
  ];
  return { T: 10, R: 0, P: 1, lambda: 1, M, schedule, ...extra };
}

/** Loads of one step (coldStart 0, 25 GB/s): every model here (≤ 6 250 MB) loads in one step of 0.25 s. */
const QUICK: LifecycleSpec = { keepAlive: Infinity, coldStart: 0, loadBandwidth: 25, initialPhase: 'cold', loadSlots: Infinity };

describe('where a load goes', () => {
  it('to the GPU with the most free memory (ties: the lower index), not the index order', () => {
    const agents = [arriving(6_000, 5), arriving(4_000, 10), arriving(3_000, 15), arriving(2_000, 20)];
    const config: SimConfig = { ...DETERMINISTIC, steps: 30, lifecycle: { ...QUICK, memory: { gb: 16 } } };
    const batch = batchOf([{ agents, gpus: 2, capacity: 2, gpuMode: 'pool' }], config, [POLICY.static]);
    expect(memoryAt(batch, 0, 4)).toEqual([0, 0]);
    expect(memoryAt(batch, 0, 5)).toEqual([6_000, 0]); // a tie: GPU 0
    expect(memoryAt(batch, 0, 10)).toEqual([6_000, 4_000]);
    expect(memoryAt(batch, 0, 15)).toEqual([6_000, 7_000]); // 4 000 used < 6 000
    expect(memoryAt(batch, 0, 29)).toEqual([8_000, 7_000]); // 6 000 < 7 000
    // Every GPU's used_k the same: the lower index.
    const three = batchOf([{ agents, gpus: 3, capacity: 3, gpuMode: 'pool' }], config, [POLICY.static]);
    expect(memoryAt(three, 0, 29)).toEqual([6_000, 4_000, 5_000]);
  });

  it('a load needs a free load slot on its GPU; none free on any GPU: the candidate waits', () => {
    // Agent 0 (2 GB) loads on GPU 0 at step 2; agents 1–3 (1 GB each) all arrive at step 10.
    const agents = [arriving(2_000, 2), arriving(1_000, 10), arriving(1_000, 10), arriving(1_000, 10)];
    const one: SimConfig = { ...DETERMINISTIC, steps: 20, lifecycle: { ...QUICK, loadSlots: 1, memory: { gb: 16 } } };
    const batch = batchOf([{ agents, gpus: 2, capacity: 2, gpuMode: 'pool' }], one, [POLICY.static]);
    // Agent 1 → GPU 1 (the most free); agent 2 → GPU 0 (GPU 1's one slot is busy); agent 3 waits a step.
    expect(memoryAt(batch, 0, 10)).toEqual([3_000, 1_000]);
    expect(memoryAt(batch, 0, 11)).toEqual([3_000, 2_000]);
    const totals = runBatchCpu(batch);
    expect(Array.from(totals.waitStepSum)).toEqual([0, 0, 0, 1]);
    // Two slots a GPU: agent 2 goes to GPU 1 too (1 000 < 2 000 used), agent 3 to either (a tie: GPU 0).
    const two: SimConfig = { ...one, lifecycle: { ...one.lifecycle, loadSlots: 2 } };
    expect(memoryAt(batchOf([{ agents, gpus: 2, capacity: 2, gpuMode: 'pool' }], two, [POLICY.static]), 0, 10)).toEqual([3_000, 2_000]);
  });

  it('evicting only the chosen GPU’s idle agents; when they cannot make room, head of line (no other GPU tried)', () => {
    // 10 GB cards: A (6 GB) on GPU 0 and B (5 GB) on GPU 1 go idle; C (6 GB) goes to GPU 1, evicting B.
    const idle = [arriving(6_000, 5, 8), arriving(5_000, 10, 13), arriving(6_000, 30)];
    const config: SimConfig = { ...DETERMINISTIC, steps: 40, lifecycle: { ...QUICK, memory: { gb: 10 } } };
    const batch = batchOf([{ agents: idle, gpus: 2, capacity: 2, gpuMode: 'pool' }], config, [POLICY.static]);
    expect(memoryAt(batch, 0, 29)).toEqual([6_000, 5_000]);
    expect(memoryAt(batch, 0, 30)).toEqual([6_000, 6_000]);
    const totals = runBatchCpu(batch);
    expect(Array.from(totals.evictionSum)).toEqual([0, 1, 0]);
    expect(Array.from(totals.coldStartSum)).toEqual([1, 1, 1]);
    expect(totals.memoryBoundStepSum[0]).toBe(0);
    // B busy (arrivals every step): nothing on GPU 1 is evictable, and C waits, though evicting the idle A
    // on GPU 0 would make room there.
    const busy = [idle[0]!, arriving(5_000, 10), idle[2]!];
    const blocked = batchOf([{ agents: busy, gpus: 2, capacity: 2, gpuMode: 'pool' }], config, [POLICY.static]);
    expect(memoryAt(blocked, 0, 39)).toEqual([6_000, 5_000]);
    const held = runBatchCpu(blocked);
    expect(Array.from(held.evictionSum)).toEqual([0, 0, 0]);
    expect(Array.from(held.coldStartSum)).toEqual([1, 1, 0]);
    expect(held.memoryBoundStepSum[0]).toBe(10); // steps 30 … 39
  });
});

describe('the step’s evictions', () => {
  it('are counted over the whole pool: at most MAX_EVICTIONS_PER_STEP a step, not per GPU', () => {
    // 10 agents of 1 GB load at step 1, alternately on GPU 0 and 1 (the most free), then go idle; two
    // 10 GB agents arrive at step 10: the first evicts GPU 0's five, the second would need GPU 1's five
    // but only 8 − 5 = 3 evictions are left: it waits (memoryBound) and loads at step 11.
    const small = Array.from({ length: 10 }, () => arriving(1_000, 1, 4));
    const agents = [...small, arriving(6_000, 10), arriving(6_000, 10)];
    const config: SimConfig = { ...DETERMINISTIC, steps: 20, lifecycle: { ...QUICK, memory: { gb: 6 } } };
    expect(MAX_EVICTIONS_PER_STEP).toBe(8);
    const batch = batchOf([{ agents, gpus: 2, capacity: 2, gpuMode: 'pool' }], config, [POLICY.static]);
    expect(memoryAt(batch, 0, 9)).toEqual([5_000, 5_000]);
    expect(memoryAt(batch, 0, 10)).toEqual([6_000, 5_000]);
    expect(memoryAt(batch, 0, 11)).toEqual([6_000, 6_000]);
    const totals = runBatchCpu(batch);
    expect(totals.evictionSum.reduce((x, y) => x + y, 0)).toBe(10);
    expect(totals.memoryBoundStepSum[0]).toBe(1);
    expect(Array.from(totals.waitStepSum.slice(10))).toEqual([0, 1]);
  });
});

describe('pinned agents in a pool', () => {
  it('start first, each on the most free GPU; the others in index order while they fit; never evicted', () => {
    // 10 GB cards. Pinned 1 (5 GB) → GPU 0, pinned 2 (4 GB) → GPU 1; then 0 (3 GB) → GPU 1 (4 < 5 GB used),
    // then 3 (6 GB) → GPU 0 does not fit: 3 and every later one (4, though 1 GB would fit) start COLD.
    const agents = [
      arriving(3_000, 100),
      arriving(5_000, 100, Infinity, { pinned: true }),
      arriving(4_000, 100, Infinity, { pinned: true }),
      arriving(6_000, 10),
      arriving(1_000, 10, Infinity, { P: 2 }),
    ];
    const config: SimConfig = { ...DETERMINISTIC, steps: 30, lifecycle: { ...QUICK, initialPhase: 'warm', memory: { gb: 10 } } };
    const batch = batchOf([{ agents, gpus: 2, capacity: 2, gpuMode: 'pool' }], config, [POLICY.static]);
    const s = runSeriesCpu(batch, 0);
    expect(Array.from({ length: 5 }, (_, i) => s.phase[i * s.steps])).toEqual([PHASE.warm, PHASE.warm, PHASE.warm, PHASE.cold, PHASE.cold]);
    expect(memoryAt(batch, 0, 0)).toEqual([5_000, 7_000]);
    // Agent 3 arrives at step 10: GPU 0 (the most free) holds only the pinned agent 1, so it waits — head of
    // line, agent 4 (lower priority) with it — though evicting the idle agent 0 on GPU 1 would make room.
    const totals = runBatchCpu(batch);
    expect(Array.from(totals.evictionSum)).toEqual([0, 0, 0, 0, 0]);
    expect(Array.from(totals.coldStartSum)).toEqual([0, 0, 0, 0, 0]);
    expect(totals.memoryBoundStepSum[0]).toBe(20);
    expect(memoryAt(batch, 0, 29)).toEqual([5_000, 7_000]);
  });

  it('a pinned set that does not fit the pool is a configuration error naming the agent', () => {
    const agents = [6_000, 6_000, 5_000].map((M) => ({ ...arriving(M, 1), pinned: true }));
    const config: SimConfig = { ...DETERMINISTIC, lifecycle: { memory: { gb: 10 } } };
    // 6 → GPU 0, 6 → GPU 1, 5 → GPU 0: 11 GB.
    expect(() => batchOf([{ agents, gpus: 2, capacity: 2, gpuMode: 'pool' }], config, [POLICY.static])).toThrow(
      /agents\[2\]\.pinned: the pinned agents must fit the pool's 2 GPUs/,
    );
    expect(() => batchOf([{ agents, gpus: 3, capacity: 3, gpuMode: 'pool' }], config, [POLICY.static])).not.toThrow();
  });
});

describe('bad input', () => {
  const agents = agentsOf([1, 2, 3]);
  it.each([
    [POLICY.fixedShares, /^runs\[0\]\.policy: on fleet 0, a pool of GPUs: fixedShares has no pool form/],
    [POLICY.roundRobinSkipIdle, /^runs\[0\]\.policy: on fleet 0, a pool of GPUs: roundRobinSkipIdle has no pool form/],
  ])('validateBatch refuses policy %i on a pool', (policy, message) => {
    const fleets = packFleets([{ agents, gpus: 2, capacity: 2, gpuMode: 'pool' }]);
    expect(() => makeBatch(fleets, crossRuns(1, [policy as PolicyId], 1), DETERMINISTIC)).toThrow(message);
    // By placement they run.
    expect(() =>
      makeBatch(packFleets([{ agents, gpus: 2, capacity: 2 }]), crossRuns(1, [policy as PolicyId], 1), DETERMINISTIC),
    ).not.toThrow();
  });

  it.each([
    [
      { agents: [{ ...agents[0]!, gpu: 1 }, agents[1]!], gpus: 2, gpuMode: 'pool' },
      /^fleets\[0\]\.agents\[0\]\.gpu: must be absent in a pool/,
    ],
    [{ agents, gpus: 2, gpuMode: 'pooled' }, /^fleets\[0\]\.gpuMode: must be/],
  ])('%#: a ConfigError naming the field', (fleet, message) => {
    let error: unknown;
    try {
      packFleets([fleet as FleetSpec]);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect(String((error as Error).message)).toMatch(message);
  });

  it('a packed gpuPool of 1 on one GPU is refused', () => {
    const fleets = packFleets([{ agents }]);
    fleets.gpuPool[0] = 1;
    expect(() => makeBatch(fleets, crossRuns(1, [POLICY.static], 1), DETERMINISTIC)).toThrow(/^fleets\[0\]\.gpuPool: must be 0/);
  });
});

describe('a seed fixes every result', () => {
  const pools: CpuWorkerPool[] = [];
  afterAll(async () => {
    await Promise.all(pools.map((p) => p.close()));
  });
  it('pools run by run as in groups, and on 2 worker threads as on 1 (the packed gpuPool travels)', async () => {
    const lifecycle: LifecycleSpec = { keepAlive: 2, memory: { gb: 12 }, loadSlots: 2 };
    const fleets = [poolFleet(2, 3), poolFleet(9, 2), { agents: PAPER_AGENTS, gpus: 2, gpuMode: 'pool' as const }];
    for (const config of [
      { ...DETERMINISTIC, arrivals: 'poisson' as const, lifecycle },
      { ...DETERMINISTIC, arrivals: 'poisson' as const },
    ]) {
      const batch = batchOf(fleets, config, POOL_POLICIES, 2);
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
