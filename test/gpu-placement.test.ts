/**
 * Several GPUs per fleet by placement (MODEL-PART4 §4.5; src/model/placement.ts) on the GPU: both
 * workflow kernels (simulateFlow.wgsl, simulateWideFlow.wgsl; per GPU lifecycle.wgsl's admission,
 * allocateFlow / allocateWideFlow, gpuRanks) against the CPU reference (src/cpu/workflow.ts,
 * src/cpu/lifecycle.ts), one table of cases (GROUPS), every case on both kernels (each batch holds a
 * fleet above WIDE_ABOVE) and all ten policies: fleets of n_G = 2 … 8 GPUs, placed by LPT, with given
 * `gpu`s, or both; without the lifecycle (each GPU runs the policy over its agents), with it and no
 * memory limit, and with per-GPU memory under each eviction rule (the agents given their GPUs, so
 * that a GPU's models exceed its card: LPT would only place what fits), pinned agents, load slots per
 * GPU, initial WARM and COLD, a warm-up, exponentialCount work, and workflows routing across GPUs.
 *
 * What must agree, and how closely (as test/gpu-lifecycle.test.ts, whose header says why):
 * - Whole numbers exactly (COUNT_FIELDS: per agent its arrivals, cold starts, …; per run the GPUs
 *   resident, the memory sum over the GPUs, the fullest GPU's peak, the memory-bound steps); a run where
 *   one differs is divergent (a fluid queue an f32 ulp from empty flips a B > 0 test), counted and
 *   bounded by MAX_DIVERGENT_RUNS, and left out of the float comparisons.
 * - Floats: every run metric within test/helpers/tolerances.ts (latency looser with the lifecycle, as
 *   there), the per-GPU metrics (gpuImbalance, gpuUtilizationMin/Max, from the per-agent served work)
 *   within FLOW_TOL, the lifecycle's metrics as there.
 * - Bits (narrow kernel): with deterministic arrivals and work, GPU k's agents of a placed fleet equal a
 *   one-GPU fleet of just those agents with capacity f32(G/n_G), every per-agent total bit for bit, for
 *   every policy, with the lifecycle and memory per GPU (the separate fleets take the same flow
 *   kernel). (The wide kernel's tree sums pair terms by agent index, so a GPU's sums there are not the
 *   separate fleet's tree; GPU = CPU covers it.)
 * - Not vacuous: the GPUs' utilisations differ (gpuImbalance > 1 somewhere), and under memory limits
 *   admissions waited for memory and agents were evicted, on both kernels.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { type GpuEngine, WIDE_ABOVE } from '../src/gpu/engine.js';
import { type AgentSpec, type Batch, crossRuns, type FleetSpec, makeBatch, packFleets, type SimConfig } from '../src/model/batch.js';
import { lifecycleParams, type LifecycleSpec } from '../src/model/lifecycle.js';
import { TOTAL_FIELDS } from '../src/model/metrics.js';
import { GPU_METRICS, gpuCapacity, MAX_GPUS } from '../src/model/placement.js';
import { POLICY, POLICY_NAMES, policyName } from '../src/model/policies.js';
import { compareColumns } from './helpers/compare.js';
import { assertNoUncapturedErrors, engine, gpu } from './helpers/gpu.js';
import { gpuAgainstCpu } from './helpers/gpuAgainstCpu.js';
import { rng } from './helpers/seeded.js';
import { FLOW_TOL } from './helpers/tolerances.js';

const POLICIES = POLICY_NAMES.map((p) => POLICY[p]);

/** The totals a run's agent 0 keeps for the whole run (its GPUs together), not per agent. */
const RUN_FIELDS = ['busySum', 'residentRunStepSum', 'memorySum', 'memoryBoundStepSum', 'memoryPeak'] as const;

interface Shape {
  gpus: number;
  /** Model sizes, MB, drawn from [lo, hi). */
  M: readonly [number, number];
  /** Fraction of the agents given their GPU (uniform); the others placed by LPT. */
  given: number;
  /** Fraction pinned, their sum per GPU within `pinBudget` MB. */
  pinned?: number;
  pinBudget?: number;
}

/** A random fleet of n agents on shape.gpus GPUs (capacity 1 each, or less): light to heavy, some rarely called. */
function placedFleet(seed: number, n: number, shape: Shape): FleetSpec {
  const u = rng(seed);
  const pinnedOn = new Array<number>(MAX_GPUS).fill(0);
  const agents = Array.from({ length: n }, (_, i): AgentSpec => {
    const T = 5 + 35 * u();
    const M = Math.floor(shape.M[0] + (shape.M[1] - shape.M[0]) * u());
    const given = u() < shape.given;
    const k = Math.floor(u() * shape.gpus);
    const pin = given && u() < (shape.pinned ?? 0) && pinnedOn[k]! + M <= (shape.pinBudget ?? Infinity);
    if (pin) pinnedOn[k]! += M;
    const load = u() < 0.3 ? 0.02 : 0.05 + 0.9 * u();
    const perGpu = Math.max(1, n / shape.gpus);
    return {
      name: `a${i}`,
      T,
      R: u() * Math.min(1, 1.5 / perGpu),
      P: 1 + Math.floor(u() * 3),
      lambda: (load * T) / perGpu,
      M,
      pinned: pin,
      ...(given ? { gpu: k } : {}),
    };
  });
  return { agents, gpus: shape.gpus, capacity: shape.gpus * (u() < 0.2 ? 0.5 + 0.5 * u() : 1) };
}

/** A small workflow on two GPUs: agent 0 fed from outside, routing to two specialists that return to it. */
function workflowFleet(seed: number): FleetSpec {
  const u = rng(seed);
  const agent = (lambda: number, routes: { to: number; p: number }[], gpu: number): AgentSpec => ({
    T: 8 + 20 * u(),
    R: 0.15,
    P: 1 + Math.floor(u() * 2),
    lambda,
    routes,
    M: Math.floor(2000 + 6000 * u()),
    gpu,
  });
  return {
    agents: [
      agent(
        0.8 + u(),
        [
          { to: 1, p: 0.4 },
          { to: 2, p: 0.3 },
        ],
        0,
      ),
      agent(0, [{ to: 0, p: 0.5 }], 1),
      agent(0, [{ to: 0, p: 0.5 }], 1),
      agent(0.2 * u(), [], 0),
      agent(0.5 * u(), [], 1),
    ],
    gpus: 2,
    capacity: 2,
  };
}

/** Four narrow fleets of 3–16 agents on 2 … 8 GPUs and one wide one (above WIDE_ABOVE) on `wideGpus`. */
function mixed(seed: number, shape: Omit<Shape, 'gpus'>, wideGpus: number): FleetSpec[] {
  const u = rng(seed);
  return [
    ...Array.from({ length: 4 }, (_, i) => {
      const n = 3 + Math.floor(u() * 14);
      return placedFleet(seed + i, n, { ...shape, gpus: 2 + Math.floor(u() * Math.min(7, n - 1)) });
    }),
    placedFleet(seed + 9, WIDE_ABOVE + 6 + (seed % 11), { ...shape, gpus: wideGpus }),
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
    name: 'no lifecycle, LPT and given GPUs, n_G 2…8',
    fleets: () => mixed(1100, { M: [0, 1], given: 0.3 }, 8),
  },
  {
    name: 'no lifecycle, exponentialCount work, observed signal, warm-up',
    fleets: () => mixed(1200, { M: [0, 1], given: 0 }, 3),
    config: { work: 'exponentialCount', signal: 'observed', warmup: 30 },
  },
  {
    name: 'lifecycle without memory, eligible warm, K = 1 s, 1 slot per GPU',
    fleets: () => mixed(1300, { M: [500, 8000], given: 0.5, pinned: 0.1 }, 5),
    lifecycle: { keepAlive: 1, coldStart: 1, loadBandwidth: 4, eligible: 'warm', loadSlots: 1 },
  },
  {
    name: 'memory per GPU 24 GB, lru, pinned, eligible backlogged, K = 2 s',
    fleets: () => mixed(1400, { M: [1000, 9000], given: 1, pinned: 0.15, pinBudget: 9000 }, 4),
    lifecycle: { keepAlive: 2, coldStart: 0.5, loadBandwidth: 4, eligible: 'backlogged', memory: { gb: 24, evict: 'lru' } },
  },
  {
    name: 'memory per GPU 16 GB × 0.9, lowestPriority, initial COLD, unlimited slots, K = 0.5 s',
    fleets: () => mixed(1500, { M: [500, 6000], given: 1, pinned: 0.1, pinBudget: 4000 }, 7),
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
    name: 'workflows across 2 GPUs and memory 12 GB, largestFirst, eligible all, K = 1.5 s',
    fleets: () => [
      ...Array.from({ length: 3 }, (_, i) => workflowFleet(1600 + i)),
      placedFleet(1620, WIDE_ABOVE + 8, { gpus: 6, M: [300, 2500], given: 1 }),
    ],
    lifecycle: { keepAlive: 1.5, coldStart: 1, eligible: 'all', loadSlots: 2, memory: { gb: 12, evict: 'largestFirst' } },
  },
];

function batchOf(fleets: FleetSpec[], lifecycle: LifecycleSpec | undefined, config: Partial<SimConfig>, steps = 300): Batch {
  const cfg: SimConfig = {
    dt: 0.1,
    steps,
    lmax: 60,
    price: 1,
    arrivals: 'poisson',
    seed: 2027,
    ...config,
    ...(lifecycle === undefined ? {} : { lifecycle }),
  };
  return makeBatch(packFleets(fleets, undefined, undefined, lifecycle), crossRuns(fleets.length, POLICIES, 1), cfg);
}

describe.skipIf(!gpu)('several GPUs per fleet: the GPU workflow kernels against the CPU engine', () => {
  // One engine for both kernels and every case (each batch runs all ten policies on fleets either
  // side of WIDE_ABOVE, Poisson or deterministic arrivals): the two workflow pipelines compiled once.
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
      for (let f = 0; f < fleets.count; f++) expect(fleets.gpuCount[f]).toBeGreaterThan(1);
      const { totals, got, cpu, kernel, label, skip, reports } = await gpuAgainstCpu(
        gpuEngine,
        batch,
        group.name,
        (f) => `${fleets.gpuCount[f]} GPUs`,
      );
      const gpuReports = GPU_METRICS.map((m) => compareColumns(m, got[m], cpu[m], FLOW_TOL, label, skip));
      const all = [...reports, ...gpuReports].filter((x): x is string => x !== null);
      expect(all, all.join('\n')).toEqual([]);
      // Not vacuous: the GPUs' loads differ somewhere on each kernel.
      for (const k of ['narrow', 'wide'] as const) {
        const imbalances = Array.from(got.gpuImbalance).filter((x, r) => kernel(r) === k && x === x);
        expect(Math.max(...imbalances), `${k}: gpuImbalance`).toBeGreaterThan(1.01);
      }
      if (group.lifecycle === undefined) return assertNoUncapturedErrors();
      // Under a memory limit admissions waited for memory and agents were evicted, on both kernels; no
      // GPU's memory ever above its card.
      const sums = { narrow: [0, 0, 0], wide: [0, 0, 0] };
      const fields = ['coldStartSum', 'evictionSum', 'memoryBoundStepSum'] as const;
      for (let r = 0; r < batch.runs.count; r++) {
        const j0 = totals.agentOffset[r]!;
        for (let j = j0; j < j0 + totals.agentCount[r]!; j++) fields.forEach((field, k) => (sums[kernel(r)][k]! += totals[field][j]!));
      }
      console.log(`${group.name}: ${fields.join(', ')}: narrow ${sums.narrow.join(', ')}; wide ${sums.wide.join(', ')}`);
      const capacity = lifecycleParams(batch.config)!.capacityMB;
      for (let r = 0; r < batch.runs.count; r++) expect(totals.memoryPeak[totals.agentOffset[r]!]).toBeLessThanOrEqual(capacity);
      for (const k of ['narrow', 'wide'] as const) {
        expect(sums[k][0], `${k}: cold starts`).toBeGreaterThan(0);
        if (group.lifecycle.memory !== undefined) {
          expect(sums[k][1], `${k}: evictions`).toBeGreaterThan(0);
          expect(sums[k][2], `${k}: memory-bound steps`).toBeGreaterThan(0);
        }
      }
      assertNoUncapturedErrors();
    },
    600_000,
  );

  it('deterministic arrivals and work: GPU k’s agents are a one-GPU fleet of them, bit for bit (narrow kernel)', async () => {
    const lifecycle: LifecycleSpec = { keepAlive: 1, coldStart: 0.5, loadBandwidth: 4, eligible: 'warm', memory: { gb: 16, evict: 'lru' } };
    const u = rng(1700);
    const placedSpec: FleetSpec = {
      agents: Array.from({ length: 13 }, (_, i) => ({
        name: `a${i}`,
        T: 5 + 30 * u(),
        R: 0.1 * u(),
        P: 1 + Math.floor(u() * 3),
        lambda: 0.2 + 3 * u(),
        M: Math.floor(1500 + 7000 * u()),
        gpu: i % 3,
      })),
      gpus: 3,
      capacity: 2.5,
    };
    const config: Partial<SimConfig> = { arrivals: 'deterministic', warmup: 10 };
    const packed = packFleets([placedSpec], undefined, undefined, lifecycle);
    const share = gpuCapacity(packed, 0);
    const onGpu = (k: number): number[] => placedSpec.agents.flatMap((_, i) => (packed.gpu[i] === k ? [i] : []));
    const alone = (spec: AgentSpec): AgentSpec => {
      const agent = { ...spec };
      delete agent.gpu;
      return agent;
    };
    const separate = [0, 1, 2].map((k): FleetSpec => ({ agents: onGpu(k).map((i) => alone(placedSpec.agents[i]!)), capacity: share }));
    const batch = batchOf([placedSpec, ...separate], lifecycle, config, 200);
    const totals = await gpuEngine.run(batch);
    expect(gpuEngine.planChunks(batch).every((c) => c.kernel === 'narrow' && c.flow)).toBe(true);
    const differences: string[] = [];
    const runOf = (f: number, policy: number): number => {
      for (let r = 0; r < batch.runs.count; r++) if (batch.runs.fleet[r] === f && batch.runs.policy[r] === policy) return r;
      throw new Error(`no run of fleet ${f}, policy ${policy}`);
    };
    for (const policy of POLICIES) {
      const whole = totals.agentOffset[runOf(0, policy)]!;
      for (let k = 0; k < 3; k++) {
        const part = totals.agentOffset[runOf(1 + k, policy)]!;
        onGpu(k).forEach((i, local) => {
          for (const field of TOTAL_FIELDS) {
            if ((RUN_FIELDS as readonly string[]).includes(field)) continue;
            const a = totals[field][whole + i]!;
            const b = totals[field][part + local]!;
            if (!Object.is(a, b)) differences.push(`${policyName(policy)} GPU ${k} agent ${i} ${field}: ${a} vs ${b}`);
          }
        });
      }
    }
    expect(differences.slice(0, 20), differences.slice(0, 20).join('\n')).toEqual([]);
    // Not vacuous: the GPUs' memory bound admissions (some agent waited) and the runs served work.
    let waits = 0;
    for (let j = 0; j < totals.waitStepSum.length; j++) waits += totals.waitStepSum[j]!;
    expect(waits).toBeGreaterThan(0);
    assertNoUncapturedErrors();
  }, 600_000);
});
