/**
 * The serverless lifecycle and GPU memory on the GPU (MODEL-PART4 §4.3–4.4; shaders/lifecycle.wgsl, with
 * serveFlow and the eligible allocations allocateFlow / allocateWideFlow, on both workflow kernels)
 * against the CPU reference (src/cpu/lifecycle.ts in src/cpu/workflow.ts), one table of cases (GROUPS):
 * random fleets with model sizes M and pinned agents, each eligibility rule, memory limits under each
 * eviction rule (and none), K = 0, a few seconds and ∞, C = 0 (coldStart 0 and M = 0: admitted WARM at
 * once), one load slot and unlimited ones, initial WARM and COLD, a warm-up, exponentialCount work, and
 * workflows (routing, a fork-join) with the lifecycle; all ten policies, every case on both kernels
 * (each batch holds a fleet above WIDE_ABOVE).
 *
 * What must agree, and how closely:
 * - Whole numbers, exactly: per agent its arrivals, cold starts, cold hits, steps LOADING, resident,
 *   idle-warm, with a latency, waiting, its evictions, busy and violating steps; per run the resident
 *   steps, the memory sum (MB, integers), the peak and the memory-bound steps. A run where one differs is
 *   divergent: every phase decision is u32 arithmetic on the host's integers, but it reads the floats'
 *   B > 0 and Q = 0 (expire, admission, eviction, `backlogged`), and a fluid queue that one engine empties
 *   to 0 and the other leaves at a residue of ~1e-7 (T·g·Δt an f32 ulp either side of B) flips one
 *   such test, after which the run's phases differ. Divergent runs are counted (the test prints how
 *   many), must stay at or below MAX_DIVERGENT_RUNS of a group's runs, and are left out of the float
 *   comparisons.
 * - Floats (the other runs): every run metric within test/helpers/tolerances.ts (latency now over the
 *   steps with a latency: agentLatency; its tolerance looser, LIFECYCLE_TOLERANCES says why), and the lifecycle's float metrics: coldDelay (Σ a·L·Δt, f32
 *   Kahan against f64) within FLOW_TOL; the rest are integer totals times host constants, exact.
 * - Bits: the lifecycle with K = ∞, eligible `all`, initial WARM and no memory model never leaves WARM,
 *   so every total but the lifecycle's own must be the lifecycle-off flow kernel's, bit for bit (the side
 *   of serveFlow or the allocation that the lifecycle changes by mistake shows here), on both kernels.
 * - Splits: 37 steps per dispatch and chunks of 12 runs, so the lifecycle state (phases, load countdowns,
 *   waits, the run's memory in agent 0) crosses dispatch and chunk boundaries.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { runBatchCpu } from '../src/cpu/engine.js';
import { type GpuEngine, WIDE_ABOVE } from '../src/gpu/engine.js';
import { type ArrivalMode, type Batch, crossRuns, type FleetSpec, makeBatch, packFleets, type SimConfig } from '../src/model/batch.js';
import { LIFECYCLE_METRICS, lifecycleParams, type LifecycleSpec } from '../src/model/lifecycle.js';
import { summarize, TOTAL_FIELDS } from '../src/model/metrics.js';
import { POLICY, POLICY_NAMES, policyName } from '../src/model/policies.js';
import { compareColumns, compareRunMetrics } from './helpers/compare.js';
import { assertNoUncapturedErrors, engine, gpu } from './helpers/gpu.js';
import { rng } from './helpers/seeded.js';
import { COUNT_FIELDS, divergentRuns, FLOW_TOL, LIFECYCLE_TOLERANCES, MAX_DIVERGENT_RUNS } from './helpers/tolerances.js';

const POLICIES = POLICY_NAMES.map((p) => POLICY[p]);

/** The lifecycle's own totals (0 with it off). */
const LIFECYCLE_FIELDS = COUNT_FIELDS.slice(3);

interface FleetShape {
  /** Model sizes, MB, drawn from [lo, hi); `zero` of the agents get M = 0 (with coldStart 0: c_i = 0). */
  M: readonly [number, number];
  zero?: number;
  /** Fraction of the agents pinned (their sum kept within `pinBudget` MB). */
  pinned?: number;
  pinBudget?: number;
}

/** A random fleet of n agents for the lifecycle: loads from light to heavy, bursty enough to go cold. */
function lifecycleFleet(seed: number, n: number, shape: FleetShape): FleetSpec {
  const u = rng(seed);
  let pinned = 0;
  const agents = Array.from({ length: n }, (_, i) => {
    const T = 5 + 35 * u();
    const M = u() < (shape.zero ?? 0) ? 0 : Math.floor(shape.M[0] + (shape.M[1] - shape.M[0]) * u());
    const pin = u() < (shape.pinned ?? 0) && pinned + M <= (shape.pinBudget ?? Infinity);
    if (pin) pinned += M;
    // Per-agent load 0.05–0.8 of its fair share, some agents rarely called (they scale to zero).
    const load = u() < 0.3 ? 0.02 : 0.05 + 0.75 * u();
    return { name: `a${i}`, T, R: u() * Math.min(1, 1.5 / n), P: 1 + Math.floor(u() * 3), lambda: (load * T) / n, M, pinned: pin };
  });
  return { agents, capacity: u() < 0.2 ? 0.5 + u() : 1 };
}

/** A small workflow with the lifecycle: agent 0 fed from outside, routing to two specialists that return to it. */
function workflowFleet(seed: number): FleetSpec {
  const u = rng(seed);
  const agent = (lambda: number, routes: { to: number; p: number }[]) => ({
    T: 8 + 20 * u(),
    R: 0.15,
    P: 1 + Math.floor(u() * 2),
    lambda,
    routes,
    M: Math.floor(2000 + 6000 * u()),
  });
  return {
    agents: [
      agent(0.8 + u(), [
        { to: 1, p: 0.4 },
        { to: 2, p: 0.3 },
      ]),
      agent(0, [{ to: 0, p: 0.5 }]),
      agent(0, [{ to: 0, p: 0.5 }]),
      agent(0.2 * u(), []),
    ],
  };
}

/** A fork-join with the lifecycle: the fork (0) to two branches, joined at 3. */
function forkJoinFleet(seed: number): FleetSpec {
  const u = rng(seed);
  const agent = (lambda: number, routes: { to: number; p: number }[]) => ({
    T: 8 + 20 * u(),
    R: 0.2,
    P: 1,
    lambda,
    routes,
    M: Math.floor(1000 + 4000 * u()),
  });
  return {
    agents: [
      agent(1 + u(), [
        { to: 1, p: 1 },
        { to: 2, p: 1 },
      ]),
      agent(0, [{ to: 3, p: 1 }]),
      agent(0, [{ to: 3, p: 1 }]),
      agent(0, []),
    ],
    forkJoin: { fork: 0, join: 3 },
  };
}

interface Group {
  name: string;
  fleets: () => FleetSpec[];
  lifecycle: LifecycleSpec;
  config?: Partial<SimConfig>;
}

/** Narrow fleets of 2–12 agents and one wide one (above WIDE_ABOVE). */
function mixed(seed: number, shape: FleetShape, wideShape: FleetShape = shape): FleetSpec[] {
  const u = rng(seed);
  return [
    ...Array.from({ length: 4 }, (_, i) => lifecycleFleet(seed + i, 2 + Math.floor(u() * 11), shape)),
    lifecycleFleet(seed + 9, WIDE_ABOVE + 6 + (seed % 11), wideShape),
  ];
}

const GROUPS: readonly Group[] = [
  {
    name: 'eligible warm, 24 GB, lru, pinned, K = 2 s',
    fleets: () => mixed(100, { M: [1000, 9000], pinned: 0.15, pinBudget: 12_000 }),
    lifecycle: { keepAlive: 2, coldStart: 1, loadBandwidth: 4, eligible: 'warm', memory: { gb: 24, evict: 'lru' } },
  },
  {
    name: 'eligible backlogged, 16 GB × 0.9, lowestPriority, K = 0, initial COLD, unlimited slots',
    fleets: () => mixed(200, { M: [500, 6000], pinned: 0.1, pinBudget: 5000 }),
    lifecycle: {
      keepAlive: 0,
      coldStart: 0.5,
      initialPhase: 'cold',
      eligible: 'backlogged',
      loadSlots: Infinity,
      memory: { gb: 16, usable: 0.9, evict: 'lowestPriority' },
    },
  },
  {
    name: 'eligible all, 40 GB, largestFirst, K = ∞, 3 slots, warm-up',
    fleets: () => mixed(300, { M: [2000, 14_000], pinned: 0.1, pinBudget: 15_000 }),
    lifecycle: { keepAlive: Infinity, coldStart: 2, eligible: 'all', loadSlots: 3, memory: { gb: 40, evict: 'largestFirst' } },
    config: { warmup: 40 },
  },
  {
    name: 'C = 0 (coldStart 0, M = 0), no memory limit, K = 1 s, exponentialCount',
    fleets: () => mixed(400, { M: [0, 3000], zero: 0.5 }),
    lifecycle: { keepAlive: 1, coldStart: 0, loadBandwidth: 25, eligible: 'warm' },
    config: { work: 'exponentialCount' },
  },
  {
    name: 'workflows and fork-joins, 12 GB, lru, K = 1.5 s, observed signal',
    fleets: () => [
      ...Array.from({ length: 3 }, (_, i) => workflowFleet(500 + i)),
      forkJoinFleet(510),
      forkJoinFleet(511),
      lifecycleFleet(520, WIDE_ABOVE + 8, { M: [100, 900] }),
    ],
    lifecycle: { keepAlive: 1.5, coldStart: 1, eligible: 'warm', memory: { gb: 12, evict: 'lru' } },
    config: { signal: 'observed' },
  },
];

function batchOf(fleets: FleetSpec[], arrivals: ArrivalMode, config: Partial<SimConfig>, steps = 300): Batch {
  return makeBatch(packFleets(fleets), crossRuns(fleets.length, POLICIES, 1), {
    dt: 0.1,
    steps,
    lmax: 60,
    price: 1,
    arrivals,
    seed: 2026,
    ...config,
  });
}

describe.skipIf(!gpu)('the lifecycle: the GPU workflow kernels against the CPU engine', () => {
  // One engine for both kernels (each batch holds fleets on either side of WIDE_ABOVE) and every case:
  // each batch runs all ten policies, so the two workflow pipelines are compiled once (the `all`
  // policy set), minutes on lavapipe.
  let gpuEngine: GpuEngine;
  beforeAll(async () => {
    gpuEngine = await engine({ stepsPerDispatch: 37, maxRunsPerChunk: 12 });
  }, 120_000);

  it.each(GROUPS.map((g) => [g.name, g] as const))(
    '%s',
    async (_, group) => {
      const batch = batchOf(group.fleets(), 'poisson', { ...group.config, lifecycle: group.lifecycle });
      const cpuTotals = runBatchCpu(batch);
      const cpu = summarize(batch, cpuTotals);
      const chunks = gpuEngine.planChunks(batch);
      expect(chunks.every((c) => c.flow)).toBe(true);
      for (const kernel of ['narrow', 'wide'] as const) expect(chunks.some((c) => c.kernel === kernel)).toBe(true);
      const totals = await gpuEngine.run(batch);
      const divergent = divergentRuns(batch, totals, cpuTotals);
      const kernel = (r: number): string => gpuEngine.kernelFor(batch.fleets.agentCount[batch.runs.fleet[r]!]!);
      console.log(`${group.name}: ${divergent.size} divergent of ${batch.runs.count} runs (${[...divergent].map(kernel).join(', ')})`);
      expect(divergent.size, `divergent runs ${[...divergent].join(', ')}`).toBeLessThanOrEqual(
        Math.max(1, Math.floor(MAX_DIVERGENT_RUNS * batch.runs.count)),
      );
      const label = (r: number): string =>
        `${kernel(r)} run ${r} (fleet ${batch.runs.fleet[r]}, ${policyName(batch.runs.policy[r]!)}, replicate ${batch.runs.replicate[r]})`;
      const skip = (r: number): boolean => divergent.has(r);
      const got = summarize(batch, totals);
      const { reports } = compareRunMetrics(got, cpu, LIFECYCLE_TOLERANCES, true, label, skip);
      const exact = { abs: 0, rel: 0 };
      const lifecycleReports = LIFECYCLE_METRICS.map((m) =>
        compareColumns(m, got[m], cpu[m], m === 'coldDelay' ? FLOW_TOL : exact, label, skip),
      ).filter((x): x is string => x !== null);
      expect([...reports, ...lifecycleReports], [...reports, ...lifecycleReports].join('\n')).toEqual([]);
      // Not vacuous: agents went cold and loaded on both kernels, and under a memory limit admissions
      // waited for memory and (K > 0) agents were evicted, on both kernels.
      const sums = { narrow: [0, 0, 0, 0], wide: [0, 0, 0, 0] };
      const fields = ['coldStartSum', 'waitStepSum', 'evictionSum', 'memoryBoundStepSum'] as const;
      for (let r = 0; r < batch.runs.count; r++) {
        const j0 = totals.agentOffset[r]!;
        const into = sums[kernel(r) as 'narrow' | 'wide'];
        for (let j = j0; j < j0 + totals.agentCount[r]!; j++) fields.forEach((field, k) => (into[k]! += totals[field][j]!));
      }
      console.log(`${group.name}: ${fields.join(', ')}: narrow ${sums.narrow.join(', ')}; wide ${sums.wide.join(', ')}`);
      // Memory never above the capacity on the GPU (its peak, kept by each run's agent 0).
      const capacity = lifecycleParams(batch.config)!.capacityMB;
      for (let r = 0; r < batch.runs.count; r++) expect(totals.memoryPeak[totals.agentOffset[r]!]).toBeLessThanOrEqual(capacity);
      for (const kernel of ['narrow', 'wide'] as const) {
        expect(sums[kernel][0]).toBeGreaterThan(0);
        // K = 0 leaves no idle WARM agent to evict (each scales to zero the step after its queue empties).
        if (group.lifecycle.memory !== undefined) expect(sums[kernel][3]).toBeGreaterThan(0);
        if (group.lifecycle.memory !== undefined && group.lifecycle.keepAlive !== 0) expect(sums[kernel][2]).toBeGreaterThan(0);
      }
      assertNoUncapturedErrors();
    },
    600_000,
  );

  it('K = ∞, eligible all, initial WARM, no memory: the lifecycle-off flow kernels’ bits, both kernels', async () => {
    // exponentialCount work takes the flow kernels with the lifecycle off too: the same pipelines.
    const fleets = mixed(700, { M: [1000, 5000], pinned: 0.2 });
    const config = { work: 'exponentialCount' as const, signal: 'ema' as const, warmup: 10 };
    const off = batchOf(fleets, 'poisson', config, 150);
    const on = batchOf(fleets, 'poisson', { ...config, lifecycle: { keepAlive: Infinity, eligible: 'all', initialPhase: 'warm' } }, 150);
    const want = await gpuEngine.run(off);
    const got = await gpuEngine.run(on);
    const differences: string[] = [];
    for (const field of TOTAL_FIELDS) {
      if ((LIFECYCLE_FIELDS as readonly string[]).includes(field)) continue;
      for (let j = 0; j < want[field].length; j++) {
        if (!Object.is(got[field][j], want[field][j])) differences.push(`${field}[${j}]: ${got[field][j]} vs ${want[field][j]}`);
      }
    }
    expect(differences.slice(0, 20), differences.slice(0, 20).join('\n')).toEqual([]);
    // The lifecycle's own: every agent resident throughout, none loading, a latency every step.
    const S = 150 - 10;
    for (let j = 0; j < got.residentStepSum.length; j++) {
      expect([got.residentStepSum[j], got.loadStepSum[j], got.latencyStepSum[j], got.coldStartSum[j]]).toEqual([S, 0, S, 0]);
    }
    assertNoUncapturedErrors();
  }, 600_000);
});
