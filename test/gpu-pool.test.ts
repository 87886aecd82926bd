/**
 * Several GPUs as one pool (MODEL-PART4 §4.5; src/model/pool.ts) on the GPU: both workflow kernels
 * (simulateFlow.wgsl, simulateWideFlow.wgsl; the pool's one allocation at Run.capacity = G and poolShare
 * by policyPoolRule in workflow.wgsl, its start and admission by poolTarget with per-agent `home` in
 * lifecycle.wgsl) against the CPU reference (src/cpu/gpus.ts, src/cpu/lifecycle.ts), one table of cases
 * (GROUPS), every case on both kernels (each batch holds a fleet above WIDE_ABOVE) and the eight
 * policies with a pool form: pools of n_G = 2 … 8 GPUs with per-agent caps U_i on both sides of one GPU,
 * without the lifecycle, with it and no memory limit, and with per-GPU memory under each eviction rule,
 * pinned agents, load slots per GPU, initial WARM and COLD, a warm-up, exponentialCount work, and
 * workflows routing inside a pool.
 *
 * What must agree, and how closely (as test/gpu-placement.test.ts, test/gpu-lifecycle.test.ts's header
 * says why):
 * - Whole numbers exactly (COUNT_FIELDS: per agent its arrivals, cold starts, …; per run the GPUs
 *   resident, the memory sum over the GPUs, the fullest GPU's peak, the memory-bound steps); a run where
 *   one differs is divergent, counted and bounded by MAX_DIVERGENT_RUNS, and left out of the float
 *   comparisons.
 * - Floats: every run metric within test/helpers/tolerances.ts (latency looser with the lifecycle), the
 *   lifecycle's metrics as there. The per-GPU metrics are NaN in a pool on both engines.
 * - The pool's rules on the GPU alone, against their closed forms (no CPU): with no lifecycle every
 *   agent is eligible at every step, so over S steps, a multiple of N, roundRobin gives agent i exactly
 *   S·n_G/N turns of min(U_i, G/n_G) each, and static min(U_i, G/N) every step.
 * - Not vacuous: under memory limits admissions waited for memory and agents were evicted, loads went
 *   to GPUs other than GPU 0 (more than one GPU resident at a time), and no GPU's memory exceeded its
 *   card, on both kernels.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { type GpuEngine, WIDE_ABOVE } from '../src/gpu/engine.js';
import { type AgentSpec, type Batch, crossRuns, type FleetSpec, makeBatch, packFleets, type SimConfig } from '../src/model/batch.js';
import { lifecycleParams, type LifecycleSpec } from '../src/model/lifecycle.js';
import { GPU_METRICS } from '../src/model/placement.js';
import { POLICIES as POLICY_DEFS, POLICY, POLICY_NAMES, policyName } from '../src/model/policies.js';
import { assertNoUncapturedErrors, engine, gpu } from './helpers/gpu.js';
import { gpuAgainstCpu } from './helpers/gpuAgainstCpu.js';
import { rng } from './helpers/seeded.js';

/** The policies a pool can run (PolicyDef.pool not null: validateBatch refuses the others). */
const POOL_POLICIES = POLICY_NAMES.filter((p) => POLICY_DEFS[p].pool !== null).map((p) => POLICY[p]);

interface Shape {
  gpus: number;
  /** Model sizes, MB, drawn from [lo, hi). */
  M: readonly [number, number];
  /** Fraction pinned, their sum within `pinBudget` MB (so that they fit one GPU, wherever they land). */
  pinned?: number;
  pinBudget?: number;
  /** The narrow pools' fewest agents per GPU (default 1): more for memory pressure. */
  perGpu?: number;
}

/**
 * A random pool of n agents on shape.gpus GPUs (capacity 1 each, or less): light to heavy, some rarely
 * called, caps U_i from a quarter GPU to two (a fifth of them the default, one GPU).
 */
function poolFleet(seed: number, n: number, shape: Shape): FleetSpec {
  const u = rng(seed);
  let pinnedMB = 0;
  const agents = Array.from({ length: n }, (_, i): AgentSpec => {
    const T = 5 + 35 * u();
    const M = Math.floor(shape.M[0] + (shape.M[1] - shape.M[0]) * u());
    const pin = u() < (shape.pinned ?? 0) && pinnedMB + M <= (shape.pinBudget ?? Infinity);
    if (pin) pinnedMB += M;
    const load = u() < 0.3 ? 0.02 : 0.05 + 1.2 * u();
    const perGpu = Math.max(1, n / shape.gpus);
    const cap = u() < 0.2 ? undefined : 0.25 + 1.75 * u();
    return {
      name: `a${i}`,
      T,
      R: u() * Math.min(1, 1.5 / n),
      P: 1 + Math.floor(u() * 3),
      lambda: (load * T) / perGpu,
      M,
      pinned: pin,
      ...(cap === undefined ? {} : { cap }),
    };
  });
  return { agents, gpus: shape.gpus, gpuMode: 'pool', capacity: shape.gpus * (u() < 0.2 ? 0.5 + 0.5 * u() : 1) };
}

/** A small workflow in a pool of 3 GPUs: agent 0 fed from outside, routing to two specialists that return to it. */
function workflowPool(seed: number): FleetSpec {
  const u = rng(seed);
  const agent = (lambda: number, routes: { to: number; p: number }[]): AgentSpec => ({
    T: 8 + 20 * u(),
    R: 0.1,
    P: 1 + Math.floor(u() * 2),
    lambda,
    routes,
    M: Math.floor(2000 + 6000 * u()),
    cap: 0.5 + u(),
  });
  return {
    agents: [
      agent(1.5 + 2 * u(), [
        { to: 1, p: 0.4 },
        { to: 2, p: 0.3 },
      ]),
      agent(0, [{ to: 0, p: 0.5 }]),
      agent(0, [{ to: 0, p: 0.5 }]),
      agent(0.5 * u(), []),
      agent(1 * u(), []),
    ],
    gpus: 3,
    gpuMode: 'pool',
    capacity: 3,
  };
}

/** Four narrow pools of 3–16 agents on 2 … 8 GPUs and one wide one (above WIDE_ABOVE) on `wideGpus`. */
function mixed(seed: number, shape: Omit<Shape, 'gpus'>, wideGpus: number): FleetSpec[] {
  const u = rng(seed);
  return [
    ...Array.from({ length: 4 }, (_, i) => {
      const n = 3 + Math.floor(u() * 14);
      const most = Math.max(2, Math.min(8, Math.floor(n / (shape.perGpu ?? 1))));
      return poolFleet(seed + i, n, { ...shape, gpus: 2 + Math.floor(u() * (most - 1)) });
    }),
    poolFleet(seed + 9, WIDE_ABOVE + 6 + (seed % 11), { ...shape, gpus: wideGpus }),
  ];
}

interface Group {
  name: string;
  fleets: () => FleetSpec[];
  lifecycle?: LifecycleSpec;
  config?: Partial<SimConfig>;
}

const GROUPS: readonly Group[] = [
  {
    name: 'no lifecycle, n_G 2…8, caps U_i from ¼ to 2 GPUs',
    fleets: () => mixed(2100, { M: [0, 1] }, 8),
  },
  {
    name: 'no lifecycle, exponentialCount work, observed signal, warm-up',
    fleets: () => mixed(2200, { M: [0, 1] }, 3),
    config: { work: 'exponentialCount', signal: 'observed', warmup: 30 },
  },
  {
    name: 'lifecycle without memory, eligible warm, K = 1 s, 1 slot per GPU',
    fleets: () => mixed(2300, { M: [500, 8000], pinned: 0.1 }, 5),
    lifecycle: { keepAlive: 1, coldStart: 1, loadBandwidth: 4, eligible: 'warm', loadSlots: 1 },
  },
  {
    name: 'memory per GPU 24 GB, lru, pinned, eligible backlogged, K = 2 s',
    fleets: () => mixed(2400, { M: [6000, 20000], pinned: 0.15, pinBudget: 12000, perGpu: 4 }, 4),
    lifecycle: { keepAlive: 2, coldStart: 0.5, loadBandwidth: 4, eligible: 'backlogged', memory: { gb: 24, evict: 'lru' } },
  },
  {
    name: 'memory per GPU 16 GB × 0.9, lowestPriority, initial COLD, unlimited slots, K = 0.5 s',
    fleets: () => mixed(2500, { M: [500, 6000], pinned: 0.1, pinBudget: 4000, perGpu: 2 }, 7),
    lifecycle: {
      keepAlive: 0.5,
      coldStart: 0.5,
      initialPhase: 'cold',
      eligible: 'warm',
      loadSlots: Infinity,
      memory: { gb: 16, usable: 0.9, evict: 'lowestPriority' },
    },
    config: { warmup: 20 },
  },
  {
    name: 'workflows in a pool of 3 and memory 12 GB, largestFirst, eligible all, K = 1.5 s, 2 slots',
    fleets: () => [
      ...Array.from({ length: 3 }, (_, i) => workflowPool(2600 + i)),
      poolFleet(2620, WIDE_ABOVE + 8, { gpus: 6, M: [300, 2500] }),
    ],
    lifecycle: { keepAlive: 1.5, coldStart: 1, eligible: 'all', loadSlots: 2, memory: { gb: 12, evict: 'largestFirst' } },
  },
];

function batchOf(
  fleets: FleetSpec[],
  lifecycle: LifecycleSpec | undefined,
  config: Partial<SimConfig>,
  policies = POOL_POLICIES,
  steps = 300,
): Batch {
  const cfg: SimConfig = {
    dt: 0.1,
    steps,
    lmax: 60,
    price: 1,
    arrivals: 'poisson',
    seed: 2028,
    ...config,
    ...(lifecycle === undefined ? {} : { lifecycle }),
  };
  return makeBatch(packFleets(fleets, undefined, undefined, lifecycle), crossRuns(fleets.length, policies, 1), cfg);
}

describe.skipIf(!gpu)('several GPUs as one pool: the GPU workflow kernels against the CPU engine', () => {
  // One engine for both kernels and every case (each batch runs the eight pool policies on fleets
  // either side of WIDE_ABOVE): the two workflow pipelines compiled once.
  let gpuEngine: GpuEngine;
  beforeAll(async () => {
    gpuEngine = await engine({ stepsPerDispatch: 37, maxRunsPerChunk: 12 });
  }, 120_000);

  it.each(GROUPS.map((g) => [g.name, g] as const))(
    '%s',
    async (_, group) => {
      const batch = batchOf(group.fleets(), group.lifecycle, group.config ?? {});
      const { fleets } = batch;
      const chunks = gpuEngine.planChunks(batch);
      expect(chunks.every((c) => c.flow)).toBe(true);
      for (const kernel of ['narrow', 'wide'] as const) expect(chunks.some((c) => c.kernel === kernel)).toBe(true);
      for (let f = 0; f < fleets.count; f++) expect([fleets.gpuCount[f]! > 1, fleets.gpuPool[f]]).toEqual([true, 1]);
      const { totals, got, kernel, label, reports } = await gpuAgainstCpu(
        gpuEngine,
        batch,
        group.name,
        (f) => `a pool of ${fleets.gpuCount[f]} GPUs`,
      );
      expect(reports, reports.join('\n')).toEqual([]);
      // The per-GPU metrics are NaN in a pool (its compute is not per GPU).
      for (const m of GPU_METRICS) for (let r = 0; r < batch.runs.count; r++) expect(got[m][r], `${m} of ${label(r)}`).toBeNaN();
      if (group.lifecycle === undefined) return assertNoUncapturedErrors();
      // Loads went to GPUs other than GPU 0: on some recorded step more than one GPU was resident, on
      // both kernels; under a memory limit admissions waited for memory and agents were evicted; no
      // GPU's memory ever above its card.
      const recorded = batch.config.steps - (batch.config.warmup ?? 0);
      const sums = { narrow: [0, 0, 0, 0], wide: [0, 0, 0, 0] };
      const fields = ['coldStartSum', 'evictionSum', 'memoryBoundStepSum'] as const;
      for (let r = 0; r < batch.runs.count; r++) {
        const j0 = totals.agentOffset[r]!;
        for (let j = j0; j < j0 + totals.agentCount[r]!; j++) fields.forEach((field, k) => (sums[kernel(r)][k]! += totals[field][j]!));
        sums[kernel(r)][3] = Math.max(sums[kernel(r)][3]!, totals.residentRunStepSum[j0]! / recorded);
      }
      console.log(
        `${group.name}: ${fields.join(', ')}, most GPUs resident per step: narrow ${sums.narrow.join(', ')}; wide ${sums.wide.join(', ')}`,
      );
      const capacity = lifecycleParams(batch.config)!.capacityMB;
      for (let r = 0; r < batch.runs.count; r++) expect(totals.memoryPeak[totals.agentOffset[r]!]).toBeLessThanOrEqual(capacity);
      for (const k of ['narrow', 'wide'] as const) {
        expect(sums[k][0], `${k}: cold starts`).toBeGreaterThan(0);
        expect(sums[k][3], `${k}: GPUs resident per step`).toBeGreaterThan(1);
        if (group.lifecycle.memory !== undefined) {
          expect(sums[k][1], `${k}: evictions`).toBeGreaterThan(0);
          expect(sums[k][2], `${k}: memory-bound steps`).toBeGreaterThan(0);
        }
      }
      assertNoUncapturedErrors();
    },
    600_000,
  );

  it('roundRobin gives each agent S·n_G/N turns of min(U_i, G/n_G), static min(U_i, G/N) a step, a fill at most U_i (both kernels, GPU alone)', async () => {
    // No lifecycle: every agent eligible at every step (n_e = N, rank = index), S a multiple of N. With
    // adaptiveWaterfill (a fill: its own shares, hi = U_i), the batch takes the `all` pipelines the
    // cases above compiled (the paper's three alone would compile two more, minutes on lavapipe).
    const u = rng(2700);
    const pool = (n: number, gpus: number, capacity: number): FleetSpec => ({
      agents: Array.from({ length: n }, (_, i) => ({
        T: 10 + 20 * u(),
        R: 0.01, // adaptiveWaterfill weighs λ·R/P: none with R = 0 (static and roundRobin do not read R)
        P: 1,
        lambda: 2 + 8 * u(),
        ...(i % 3 === 0 ? {} : { cap: i % 3 === 1 ? 0.05 + 0.3 * u() : 1 + u() }),
      })),
      gpus,
      gpuMode: 'pool',
      capacity,
    });
    const fleets = [pool(5, 3, 3), pool(6, 8, 6), pool(WIDE_ABOVE + 11, 5, 4)];
    const steps = 5 * 6 * 75 * 2; // a multiple of every N
    const policies = [POLICY.roundRobin, POLICY.static, POLICY.adaptiveWaterfill];
    const batch = batchOf(fleets, undefined, { arrivals: 'deterministic' }, policies, steps);
    const kernels = new Set(gpuEngine.planChunks(batch).map((c) => c.kernel));
    expect([...kernels].sort()).toEqual(['narrow', 'wide']);
    const totals = await gpuEngine.run(batch);
    const { fleets: packed } = batch;
    const problems: string[] = [];
    for (let r = 0; r < batch.runs.count; r++) {
      const f = batch.runs.fleet[r]!;
      const n = packed.agentCount[f]!;
      const gpus = packed.gpuCount[f]!;
      const G = packed.capacity[f]!;
      const oneGpu = Math.fround(G / gpus);
      for (let i = 0; i < n; i++) {
        const cap = packed.cap[packed.agentOffset[f]! + i]!;
        const got = totals.shareSum[totals.agentOffset[r]! + i]!;
        const policy = batch.runs.policy[r]!;
        const about = `${policyName(policy)} fleet ${f} agent ${i}: Σg ${got}`;
        if (policy === POLICY.adaptiveWaterfill) {
          if (!(got <= steps * cap * (1 + 1e-6) && got > 0)) problems.push(`${about}, want in (0, S·U_i = ${steps * cap}]`);
          continue;
        }
        const want =
          policy === POLICY.roundRobin
            ? ((steps * Math.min(gpus, n)) / n) * Math.min(cap, oneGpu)
            : steps * Math.min(cap, Math.fround(G / n));
        // f32 shares summed in a Kahan pair: the sum of S equal terms within a few ulps of S·x.
        if (!(Math.abs(got - want) <= 1e-6 * want)) problems.push(`${about}, want ${want}`);
      }
    }
    expect(problems.slice(0, 20), problems.slice(0, 20).join('\n')).toEqual([]);
    assertNoUncapturedErrors();
  }, 600_000);
});
