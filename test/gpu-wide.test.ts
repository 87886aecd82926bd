/**
 * The wide kernel (shaders/simulateWide.wgsl: a workgroup per fleet run, for fleets above the
 * per-invocation size WIDE_ABOVE) against the CPU reference, on fleets of 65 to 4,096 agents under
 * every policy, with Poisson arrivals on rate schedules, each signal mode, exponential work, warm-up,
 * deterministic arrivals, and Δt 1 and 0.1; then its determinism, and batches that mix both kernels.
 *
 * What must agree, and how closely (the constants are test/helpers/tolerances.ts, derived for the
 * narrow kernel in the header of test/gpu-vs-cpu.test.ts):
 *
 * - Arrival counts and exponential work: the wide kernel draws them with the same code
 *   (agentStep.wgsl) from the same counters as the narrow one, so they are identical but for the
 *   counted threshold cases, at most MAX_DIVERGENCE_RATE per draw.
 * - Per-run floats, with the same tolerances as the narrow kernel. The one new error is the order of
 *   the adaptive allocator's two sums (Σ d_i and Σ max(R_i, p_i)): a balanced binary tree over the
 *   agent index in f32 (agent i + h added into i, h = P/2, …, 2, 1 with P the power of two in
 *   [N, 2N)) instead of the narrow kernel's sequential f32 loop. A tree of N terms is off by at
 *   most ⌈log2 N⌉·2^-24 of Σ|terms| (12·2^-24 ≈ 7e-7 at N = 4,096), a sequential loop by (N − 1)·2^-24
 *   (63·2^-24 ≈ 4e-6 at N = 64): every share g_i = max(R_i, d_i/D·G)·G/Σ g is the ratio of a term
 *   (a few roundings) and these sums, so the wide kernel's share error per step is below the narrow
 *   kernel's worst case, for which the tolerances hold. The queue's own f32 rounding per step (S·2^-24
 *   relative over S steps) is per agent and does not grow with N; fleet metrics are means or sums
 *   over agents of per-agent values, so their relative error does not grow with N either.
 *   meanInSystem (a sum over agents of ⌈Q⌉ means) gains more chances of a ceiling flip with more
 *   agents, but also grows with them; its relative part covers the long queues where flips happen.
 *   The test prints each metric's worst error / tolerance; on lavapipe the largest are 0.07
 *   (meanInSystem) and 0.022 (throughput), latency at most 0.006: the wide kernel sits further inside
 *   the tolerances than the narrow one (0.55 at worst in test/gpu-vs-cpu.test.ts).
 * - The stability diagnosis: the half-run mean queues within QUEUE_TOL and the `unstable` flags but
 *   for near-threshold flips, as in test/gpu-vs-cpu.test.ts (the queue's error is per agent, whatever N).
 * - Determinism: the tree's order depends on the agent index only, so the wide kernel's results are
 *   byte-identical whatever its workgroup size, the chunking, the dispatch grid, the steps per
 *   dispatch, and whether the batch mixes fleets of both kernels. Static and round-robin shares need
 *   no sum at all, so on a small fleet those runs are byte-identical on both kernels.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { runBatchCpu } from '../src/cpu/engine.js';
import { type GpuEngine, type GpuEngineOptions, WIDE_ABOVE } from '../src/gpu/engine.js';
import {
  type ArrivalMode,
  type Batch,
  crossRuns,
  type FleetSpec,
  makeBatch,
  MAX_AGENTS_PER_FLEET,
  packFleets,
  type SimConfig,
} from '../src/model/batch.js';
import { type BatchResult, RUN_METRICS, type RunTotals, summarize, TOTAL_FIELDS } from '../src/model/metrics.js';
import { ConfigError } from '../src/model/errors.js';
import { POLICY, POLICY_NAMES, policyName } from '../src/model/policies.js';
import { StudySchema } from '../src/study/schema.js';
import { compareRunMetrics, compareStability } from './helpers/compare.js';
import { testFleet, wideTestFleet, withSchedules } from './helpers/fleets.js';
import { assertNoUncapturedErrors, engine, gpu, gpuSkipReason } from './helpers/gpu.js';
import { fillUnresolved } from './helpers/fills.js';
import { invariantViolations } from './helpers/invariants.js';
import { aggregateRel, MAX_DIVERGENCE_RATE, MAX_FLIP_RATE, RUN_TOLERANCES } from './helpers/tolerances.js';

const POLICIES = POLICY_NAMES.map((p) => POLICY[p]);

interface WideGroup {
  name: string;
  seed: number;
  sizes: number[]; // agents of each fleet
  idle?: number; // agents of one extra fleet whose every λ is 0 (D = 0: every adaptive share is 0)
  steps: number;
  dt: number;
  arrivals?: ArrivalMode; // default poisson
  extensions?: Pick<SimConfig, 'warmup' | 'work' | 'signal' | 'emaAlpha'>;
  schedules?: boolean; // random rate schedules with spikes and pauses on about half the agents
}

const GROUPS: WideGroup[] = [
  { name: "the paper's model, Δt 1", seed: 301, sizes: [65, 100, 257, 1000, MAX_AGENTS_PER_FLEET], idle: 70, steps: 150, dt: 1 },
  {
    name: 'schedules and the observed signal, Δt 0.1',
    seed: 302,
    sizes: [65, 257, 1000, 4000],
    steps: 200,
    dt: 0.1,
    schedules: true,
    extensions: { signal: 'observed' },
  },
  {
    name: 'ema signal, exponential work and warm-up on schedules, Δt 0.1',
    seed: 303,
    sizes: [100, 513, 2048],
    steps: 150,
    dt: 0.1,
    schedules: true,
    extensions: { signal: 'ema', emaAlpha: 0.3, work: 'exponential', warmup: 41 },
  },
  {
    name: 'deterministic arrivals on schedules, Δt 1',
    seed: 304,
    sizes: [129, 3000],
    steps: 150,
    dt: 1,
    arrivals: 'deterministic',
    schedules: true,
  },
];

function config(g: Pick<WideGroup, 'seed' | 'steps' | 'dt' | 'arrivals' | 'extensions'>): SimConfig {
  return {
    dt: g.dt,
    steps: g.steps,
    lmax: 999,
    price: 0.72,
    arrivals: g.arrivals ?? 'poisson',
    seed: g.seed,
    arrivalStats: true,
    ...g.extensions,
  };
}

function groupBatch(g: WideGroup): Batch {
  const fleets: FleetSpec[] = g.sizes.map((n, f) => wideTestFleet(g.seed, f, n));
  if (g.idle) fleets.push(wideTestFleet(g.seed, fleets.length, g.idle, true));
  const scheduled = fleets.map((fleet, f) => (g.schedules ? withSchedules(fleet, g.seed, f, g.steps) : fleet));
  return makeBatch(packFleets(scheduled), crossRuns(scheduled.length, POLICIES, 1), config(g));
}

/** Bytes of every run's totals, in run order (as test/determinism.test.ts compares them). */
function runBytes(totals: RunTotals, runs: ArrayLike<number>): Buffer[] {
  return Array.from(runs, (r) => {
    const from = totals.agentOffset[r]!;
    const to = from + totals.agentCount[r]!;
    return Buffer.concat(TOTAL_FIELDS.map((f) => new Uint8Array(totals[f].slice(from, to).buffer)));
  });
}

function expectSameBytes(got: Buffer[], expected: Buffer[], what: string): void {
  expect(got.length).toBe(expected.length);
  const first = got.findIndex((g, r) => !g.equals(expected[r]!));
  expect(first, `${what}: run ${first} differs`).toBe(-1);
}

/** The runs `which` of `all` as a batch of their own (same fleets and streams). */
function subset(all: Batch, which: readonly number[]): Batch {
  const pick = (a: Uint32Array): Uint32Array => Uint32Array.from(which, (r) => a[r]!);
  const { runs } = all;
  const picked = { count: which.length, fleet: pick(runs.fleet), policy: pick(runs.policy), replicate: pick(runs.replicate) };
  return makeBatch(all.fleets, picked, all.config);
}

const range = (n: number): number[] => Array.from({ length: n }, (_, i) => i);

/** Runs of `batch` with a different arrival count on some agent (their floats are not compared). */
function divergedRuns(batch: Batch, got: RunTotals, expected: RunTotals): Set<number> {
  const out = new Set<number>();
  for (let r = 0; r < batch.runs.count; r++) {
    for (let j = expected.agentOffset[r]!; j < expected.agentOffset[r]! + expected.agentCount[r]!; j++) {
      if (got.arrivedSum[j] !== expected.arrivedSum[j]) out.add(r);
    }
  }
  return out;
}

describe('fleet size limits', () => {
  const fleetOf = (n: number): FleetSpec => ({ agents: Array.from({ length: n }, () => ({ T: 10, R: 0, P: 1, lambda: 1 })) });
  const batchOf = (n: number): Batch =>
    makeBatch(packFleets([fleetOf(n)]), crossRuns(1, POLICIES, 1), config({ seed: 1, steps: 2, dt: 1 }));

  it('accepts fleets of 4,096 agents and rejects 4,097, in the engine and in study files', () => {
    expect(MAX_AGENTS_PER_FLEET).toBe(4096);
    expect(batchOf(4096).fleets.agentCount[0]).toBe(4096);
    expect(() => batchOf(4097)).toThrow(ConfigError);
    const study = (agents: number): unknown => ({ name: 'big', fleet: { random: { agents, T: 10, R: 0.001, P: 1, load: 1 } } });
    expect(StudySchema.safeParse(study(4096)).success).toBe(true);
    expect(StudySchema.safeParse(study(4097)).success).toBe(false);
  });
});

describe.skipIf(!gpu)(gpuSkipReason ?? 'the wide kernel', () => {
  let plain: GpuEngine;
  const run = async (e: GpuEngine, b: Batch): Promise<RunTotals> => {
    const totals = await e.run(b);
    assertNoUncapturedErrors();
    return totals;
  };

  beforeAll(async () => {
    plain = await engine();
  });

  describe.each(GROUPS)('$name (fleets of $sizes agents, $steps steps)', (group) => {
    let batch: Batch;
    let cpu: BatchResult;
    let gpuResult: BatchResult;
    let divergentFleets: Set<number>; // fleets with a different arrival count on some agent-step
    const poissonArrivals = (group.arrivals ?? 'poisson') === 'poisson';

    beforeAll(async () => {
      batch = groupBatch(group);
      expect(plain.planChunks(batch).every((c) => c.kernel === 'wide')).toBe(true);
      gpuResult = summarize(batch, await run(plain, batch));
      cpu = summarize(batch, runBatchCpu(batch));
      // all policies of a fleet share its streams: a divergence shows in every run of the fleet
      const diverged = poissonArrivals ? divergedRuns(batch, gpuResult.totals, cpu.totals) : new Set<number>();
      divergentFleets = new Set([...diverged].map((r) => batch.runs.fleet[r]!));
    });

    const label = (r: number): string =>
      `run ${r} (fleet ${batch.runs.fleet[r]} of ${batch.fleets.agentCount[batch.runs.fleet[r]!]} agents, ${policyName(batch.runs.policy[r]!)})`;

    it.skipIf(!poissonArrivals)('draws the same arrivals, but for counted threshold cases', () => {
      const draws = group.steps * batch.fleets.agentCount.reduce((n, a) => n + a, 0);
      console.info(`${group.name}: arrivals differ in ${divergentFleets.size} of ${batch.fleets.count} fleets (${draws} agent-steps)`);
      expect(divergentFleets.size).toBeLessThanOrEqual(Math.max(1, draws * MAX_DIVERGENCE_RATE));
      expect(divergentFleets.size, 'every fleet diverged: nothing left to compare').toBeLessThan(batch.fleets.count);
    });

    it('agrees per run within the named tolerances', () => {
      const skip = (r: number): boolean => divergentFleets.has(batch.runs.fleet[r]!) || fillUnresolved(batch, r);
      const { reports, margins } = compareRunMetrics(gpuResult, cpu, RUN_TOLERANCES, poissonArrivals, label, skip);
      console.info(`${group.name}: worst error / tolerance: ${margins}`);
      expect(reports.join('\n\n')).toBe('');
    });

    it('agrees on the stability diagnosis: half-run mean queues, and the unstable flags but for near-threshold flips', () => {
      const skip = (r: number): boolean => divergentFleets.has(batch.runs.fleet[r]!) || fillUnresolved(batch, r);
      const { reports, flips, agentRuns } = compareStability(batch, gpuResult, cpu, RUN_TOLERANCES.queue, label, skip);
      console.info(`${group.name}: unstable flags differ in ${flips} of ${agentRuns} agent-runs (each within tolerance of its threshold)`);
      expect(reports.join('\n\n')).toBe('');
      expect(flips).toBeLessThanOrEqual(Math.max(1, agentRuns * MAX_FLIP_RATE));
    });

    it('agrees on batch aggregates within 1e-4 relative', () => {
      for (const metric of RUN_METRICS) {
        if (metric === 'unstable') continue; // a 0/1 flag: compared per run above, with its near-threshold flips
        for (const p of POLICIES) {
          let g = 0;
          let c = 0;
          for (let r = p; r < batch.runs.count; r += POLICIES.length) {
            // An undefined IDC (no two windows) is undefined on both sides, and left out of the sums.
            expect(Number.isNaN(gpuResult[metric][r]!), `${metric} run ${r}`).toBe(Number.isNaN(cpu[metric][r]!));
            if (Number.isNaN(cpu[metric][r]!)) continue;
            g += gpuResult[metric][r]!;
            c += cpu[metric][r]!;
          }
          expect(Math.abs(g - c), `${metric} ${policyName(p)}: GPU ${g} CPU ${c}`).toBeLessThanOrEqual(
            aggregateRel(metric) * Math.abs(c) + 1e-9,
          );
        }
      }
    });

    it('keeps the invariants on both backends', () => {
      expect(invariantViolations(batch, gpuResult, group.steps * 2 ** -24 * 4)).toEqual([]);
      expect(invariantViolations(batch, cpu, 1e-9)).toEqual([]);
    });
  });

  describe('determinism and mixed batches', () => {
    // Small fleets (1–64 agents, narrow kernel) interleaved with large ones (wide), two replicates,
    // every extension at once.
    const SIZES = [65, 150, 700, 1500];
    const fleets: FleetSpec[] = [];
    for (let f = 0; f < 16; f++) {
      const fleet = f % 4 === 3 ? wideTestFleet(8, f, SIZES[(f - 3) / 4]!) : testFleet(8, f);
      fleets.push(withSchedules(fleet, 8, f, 100));
    }
    const all = makeBatch(packFleets(fleets), crossRuns(fleets.length, POLICIES, 2), {
      ...config({ seed: 8, steps: 100, dt: 0.1 }),
      warmup: 13,
      work: 'exponential',
      signal: 'ema',
      emaAlpha: 0.25,
    });
    const isWide = (r: number): boolean => all.fleets.agentCount[all.runs.fleet[r]!]! > WIDE_ABOVE;
    const wideRuns = range(all.runs.count).filter(isWide);
    const narrowRuns = range(all.runs.count).filter((r) => !isWide(r));
    let referenceTotals: RunTotals;
    let reference: Buffer[];

    beforeAll(async () => {
      referenceTotals = await run(plain, all);
      reference = runBytes(referenceTotals, range(all.runs.count));
    });

    it('splits a mixed batch by kernel, each run once, in batch order', () => {
      const chunks = plain.planChunks(all);
      expect(chunks.map((c) => c.kernel)).toEqual(['narrow', 'wide']);
      expect(Array.from(chunks[0]!.runs)).toEqual(narrowRuns);
      expect(Array.from(chunks[1]!.runs)).toEqual(wideRuns);
    });

    it('gives each run the same bytes in a mixed batch as in a batch of its kernel alone', async () => {
      for (const which of [narrowRuns, wideRuns]) {
        const alone = runBytes(await run(plain, subset(all, which)), range(which.length));
        expectSameBytes(
          alone,
          which.map((r) => reference[r]!),
          `${which === wideRuns ? 'wide' : 'narrow'} runs alone`,
        );
      }
      const single = wideRuns.slice(0, 3);
      const oneByOne = await Promise.all(single.map(async (r) => runBytes(await run(plain, subset(all, [r])), [0])[0]!));
      expectSameBytes(
        oneByOne,
        single.map((r) => reference[r]!),
        'wide runs one by one',
      );
    });

    it.each<[string, GpuEngineOptions]>([
      ['wide workgroups of 32 invocations', { wideWorkgroupSize: 32 }],
      ['wide workgroups of 256 invocations', { wideWorkgroupSize: 256 }],
      ['small run chunks and a folded 2-D grid', { maxRunsPerChunk: 5, maxWorkgroupsPerDimension: 3 }],
      ['small buffers', { maxChunkBytes: 160 * 1024 }],
      ['one step per dispatch', { stepsPerDispatch: 1 }],
      ['7 steps per dispatch', { stepsPerDispatch: 7 }],
    ])('gives byte-identical runs with %s', async (_, options) => {
      const e = await engine(options);
      if (options.maxRunsPerChunk || options.maxChunkBytes)
        expect(e.planChunks(all).filter((c) => c.kernel === 'wide').length).toBeGreaterThan(1);
      expectSameBytes(runBytes(await run(e, all), range(all.runs.count)), reference, JSON.stringify(options));
    });

    it('agrees with the CPU within the named tolerances on the mixed batch', () => {
      const cpu = summarize(all, runBatchCpu(all));
      const diverged = divergedRuns(all, referenceTotals, cpu.totals);
      expect(diverged.size).toBeLessThanOrEqual(2 * POLICIES.length); // a threshold case hits a fleet's every policy
      const result = summarize(all, referenceTotals);
      const { reports, margins } = compareRunMetrics(
        result,
        cpu,
        RUN_TOLERANCES,
        true,
        (r) => `run ${r}`,
        (r) => diverged.has(r) || fillUnresolved(all, r),
      );
      console.info(`mixed batch: arrivals differ in ${diverged.size} of ${all.runs.count} runs; worst error / tolerance: ${margins}`);
      expect(reports.join('\n\n')).toBe('');
    });
  });

  it('rejects a wide workgroup size that is not a power of two (the tree sums pair slots of one invocation)', async () => {
    await expect(engine({ wideWorkgroupSize: 48 })).rejects.toThrow(/wideWorkgroupSize must be a power of two/);
  });

  it('runs small fleets on the wide kernel when told to: the order-free policies byte-identical, the others within tolerance', async () => {
    const fleets = Array.from({ length: 150 }, (_, f) => testFleet(9, f));
    fleets.push(wideTestFleet(9, 150, 40, true)); // D = 0
    const batch = makeBatch(packFleets(fleets), crossRuns(fleets.length, POLICIES, 1), {
      ...config({ seed: 9, steps: 120, dt: 0.5 }),
      signal: 'observed',
    });
    const allWide = await engine({ wideAbove: 0 });
    expect(allWide.planChunks(batch).every((c) => c.kernel === 'wide')).toBe(true);
    expect(plain.planChunks(batch).every((c) => c.kernel === 'narrow')).toBe(true);
    const wide = await run(allWide, batch);
    const narrow = await run(plain, batch);
    // Byte-identical: the policies whose reductions do not depend on their order (no passes; sums of
    // 0/1 counts, exact in f32; a max). The float sums of the others are a tree on the wide kernel.
    const orderFree = new Set<number>([POLICY.static, POLICY.roundRobin, POLICY.fixedShares, POLICY.timeSlice, POLICY.roundRobinSkipIdle]);
    const fixed = range(batch.runs.count).filter((r) => orderFree.has(batch.runs.policy[r]!));
    expectSameBytes(runBytes(wide, fixed), runBytes(narrow, fixed), 'the order-free policies');
    const summed = range(batch.runs.count).filter((r) => !orderFree.has(batch.runs.policy[r]!));
    const reordered = summed.filter((r) => !runBytes(wide, [r])[0]!.equals(runBytes(narrow, [r])[0]!)).length;
    console.info(`runs of float-summing policies whose bytes the sum order changes: ${reordered} of ${summed.length}`);
    const cpu = summarize(batch, runBatchCpu(batch));
    const got = summarize(batch, wide);
    const diverged = divergedRuns(batch, wide, cpu.totals);
    expect(diverged.size).toBeLessThanOrEqual(POLICIES.length);
    const { reports, margins } = compareRunMetrics(
      got,
      cpu,
      RUN_TOLERANCES,
      true,
      (r) => `run ${r}`,
      (r) => diverged.has(r) || fillUnresolved(batch, r),
    );
    console.info(
      `small fleets on the wide kernel: arrivals differ in ${diverged.size} of ${batch.runs.count} runs; worst error / tolerance: ${margins}`,
    );
    expect(reports.join('\n\n')).toBe('');
  });
});
