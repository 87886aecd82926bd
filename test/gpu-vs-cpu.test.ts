/**
 * The GPU against the CPU reference, one table of cases (GROUPS): 10,000 random fleets × 3 policies of
 * the paper's model with Poisson arrivals, 100 to 1,000 steps, four seeds; then one group per engine
 * extension of MODEL.md Part 3 (rate schedules with spikes, the observed and ema signals, exponential
 * work, warm-up, deterministic arrivals on schedules) and Δt = 0.01 and 0.1, where f32(Δt) ≠ Δt.
 * What must agree, and how closely:
 *
 * - Raw 32-bit draws: identical, always.
 * - Arrival counts: identical, except where a GPU transcendental (exp/log/sqrt, which WGSL lets be
 *   a few ulp off) or a fused multiply-add puts a draw on the other side of a sampler threshold.
 *   Such divergences are counted and must stay at or below 1 in 100,000 draws. Both sides hand the
 *   sampler the same f32 mean f32(f32(λ)·f32(Δt))·f32(m(t)) (src/model/schedule.ts), so the means
 *   never differ. The one divergence seen on lavapipe (seed 44, Δt = 1) is a threshold case of the
 *   counted kind: PTRS's acceptance test compares two f32 values one ulp apart (fleet 121, agent 15,
 *   step 645, mean 21.03: −3.3467228 against −3.3467226), which the simulate kernel evaluates the
 *   other way round from the CPU and from the draws kernel (another compilation of the same WGSL).
 * - Exponential work per request: identical bits (same draws, portable logf32, f32 sums in draw
 *   order), but for counted cases at the same rate as the counts.
 * - Per-run float metrics, on runs whose arrivals agree (the CPU keeps f64 state, the GPU f32):
 *   - LATENCY_TOL: the GPU queue Q is an f32 that takes one rounding (≤ 2^-24 relative) per step, so
 *     after S ≤ 1,000 steps it is off by ≤ S·2^-24 ≈ 6e-5 relative in the worst case; latency = Q/(T·g)
 *     inherits that, and near-empty queues add an absolute error of about ulp(backlog)/(T·g). The
 *     observed and ema signals add an f32 rate estimate (one rounding per step, contracting) whose
 *     error moves the adaptive shares by ~1e-7 relative: the same order as the queue's own.
 *     Observed worst cases on lavapipe: avgLatency at 5 % of its tolerance, crossAgentStd at 55 %
 *     (printed by the test as "worst error / tolerance").
 *   - FLOW_TOL (throughput, capacity throughput, utilization, cost, and arrivals when deterministic:
 *     f32 means summed in f32 with Kahan compensation against f64 sums): per-step f32 rounding of
 *     served and g (≤ 2^-24 relative each), summed with Kahan compensation, plus the queue error
 *     above when service is backlog-limited.
 *   - SYSTEM_TOL (meanInSystem, the mean of ⌈Q − 2^-10⌉ summed over agents): the ceiling turns the
 *     queue error into whole requests on the steps where the two queues straddle k + 2^-10. That
 *     happens mostly on long queues, where the f32 error exceeds 2^-10 (Q ≳ 10^3), and is then
 *     relative to Q like the latency's (rel 2e-4); on short queues a flip is rare, and one flip moves
 *     the mean by 1/S' (abs 1e-2 allows three in a 300-step run). Observed worst: 0.31 of it.
 *   - maxLoad (λ̂/(T·ḡ), the largest over the agents): arrivals over a mean share, FLOW_TOL.
 * - The stability diagnosis (src/model/stability.ts): the mean queue over each half of the recorded
 *   steps (queueSum − queueLateSum, queueLateSum) within QUEUE_TOL, the latency's slack read in
 *   requests; the drift is their difference over (S′/2)·Δt, so an `unstable` flag may flip only where
 *   the CPU's drift lies within that slack of its threshold (or the half means' rise within it of
 *   MIN_GROWTH). Each flip must be such a case, and they are counted and bounded by MAX_FLIP_RATE.
 * - Batch aggregates (mean of each metric per policy): within 1e-4 relative (an index of dispersion:
 *   within DISPERSION_TOL, test/helpers/tolerances.ts, which says why); `unstable`, a 0/1 flag, is
 *   compared per run instead.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { runBatchCpu } from '../src/cpu/engine.js';
import { type GpuEngine } from '../src/gpu/engine.js';
import { type ArrivalMode, type Batch, crossRuns, makeBatch, packFleets, type SimConfig } from '../src/model/batch.js';
import { type BatchResult, RUN_METRICS, summarize } from '../src/model/metrics.js';
import { POLICY, policyName, POLICY_NAMES, type PolicyName } from '../src/model/policies.js';

/**
 * The policies every group crosses: all but the clampFill ones (adaptiveWaterfill, maxMinFair, mps),
 * whose 36 passes per step make these long groups minutes slower on the CPU engine, and whose GPU = CPU
 * is checked on both kernels by test/policies.test.ts (every signal), test/clamp-fill.test.ts and
 * test/policy-validation.test.ts. A fill whose weights span many decades can classify an agent
 * differently in f32 and f64 (src/model/clampFill.ts; test/helpers/fills.ts names it for the wide kernel's tests).
 */
const CROSSED: readonly PolicyName[] = POLICY_NAMES.filter((p) => !['adaptiveWaterfill', 'maxMinFair', 'mps'].includes(p));
import { DrawStream, philox4x32, seedKey } from '../src/random/philox.js';
import { poisson } from '../src/random/poisson.js';
import { exponentialWork } from '../src/random/work.js';
import { compareRunMetrics, compareStability } from './helpers/compare.js';

import { testFleet, withSchedules } from './helpers/fleets.js';
import { assertNoUncapturedErrors, engine, gpu, gpuSkipReason } from './helpers/gpu.js';
import { invariantViolations } from './helpers/invariants.js';
import { aggregateRel, MAX_DIVERGENCE_RATE, MAX_FLIP_RATE, RUN_TOLERANCES } from './helpers/tolerances.js';

interface Group {
  name: string;
  seed: number;
  fleets: number;
  steps: number;
  dt: number;
  arrivals?: ArrivalMode; // default poisson
  extensions?: Pick<SimConfig, 'warmup' | 'work' | 'signal' | 'emaAlpha'>; // MODEL.md Part 3
  schedules?: boolean; // random rate schedules with spikes on about half the agents
}

/**
 * The paper's model on 10,000 fleets (steps from 100 to 1,000, Δt from 0.1 to 1 s), then one group
 * per extension — rate schedules with spikes, each signal mode, exponential work, warm-up — and
 * Δt = 0.01 and 0.1, where f32(Δt) ≠ Δt, with everything at once.
 */
const GROUPS: Group[] = [
  { name: 'fleets of seed 11', seed: 11, fleets: 4000, steps: 100, dt: 1 },
  { name: 'fleets of seed 22', seed: 22, fleets: 3000, steps: 150, dt: 0.5 },
  { name: 'fleets of seed 33', seed: 33, fleets: 2000, steps: 300, dt: 0.1 },
  { name: 'fleets of seed 44', seed: 44, fleets: 1000, steps: 1000, dt: 1 },
  { name: 'rate schedules with spikes', seed: 55, fleets: 600, steps: 200, dt: 1, schedules: true },
  { name: 'observed signal', seed: 66, fleets: 600, steps: 200, dt: 0.5, extensions: { signal: 'observed' } },
  {
    name: 'ema signal on schedules',
    seed: 77,
    fleets: 600,
    steps: 200,
    dt: 1,
    schedules: true,
    extensions: { signal: 'ema', emaAlpha: 0.3 },
  },
  { name: 'exponential work', seed: 88, fleets: 300, steps: 150, dt: 1, extensions: { work: 'exponential' } },
  { name: 'warm-up', seed: 99, fleets: 600, steps: 250, dt: 1, extensions: { warmup: 90 } },
  { name: 'Δt 0.01', seed: 111, fleets: 800, steps: 400, dt: 0.01 },
  {
    name: 'deterministic arrivals on schedules, Δt 0.1',
    seed: 133,
    fleets: 600,
    steps: 200,
    dt: 0.1,
    arrivals: 'deterministic',
    schedules: true,
  },
  {
    name: 'Δt 0.1 with every extension',
    seed: 122,
    fleets: 600,
    steps: 300,
    dt: 0.1,
    schedules: true,
    extensions: { warmup: 37, work: 'exponential', signal: 'ema', emaAlpha: 0.2 },
  },
];

function groupBatch(g: Group): Batch {
  const fleets = Array.from({ length: g.fleets }, (_, f) => {
    const fleet = testFleet(g.seed, f);
    return g.schedules ? withSchedules(fleet, g.seed, f, g.steps) : fleet;
  });
  const policies = CROSSED.map((p) => POLICY[p]);
  return makeBatch(packFleets(fleets), crossRuns(fleets.length, policies, 1), {
    dt: g.dt,
    steps: g.steps,
    lmax: 999,
    price: 0.72,
    arrivals: g.arrivals ?? 'poisson',
    seed: g.seed,
    arrivalStats: true, // the arrival statistics compared too
    ...g.extensions,
  });
}

describe.skipIf(!gpu)(gpuSkipReason ?? 'GPU against CPU', () => {
  let gpuEngine: GpuEngine;
  beforeAll(async () => {
    gpuEngine = await engine();
  });

  it('draws the same raw words and, but for counted threshold cases, the same Poisson counts', async () => {
    const seed = 0x123456789abcn;
    const [k0, k1] = seedKey(seed);
    const n = 400_000;
    const queries = Array.from({ length: n }, (_, i) => ({
      stream: i,
      replicate: i % 7,
      step: (i * 2654435761) >>> 0,
      agent: i % 64,
      // means log-uniform over 1e-3 … 1e4, plus exact zeros and the sampler switch at 10
      mean: i % 100 === 0 ? 0 : i % 100 === 1 ? 10 : Math.fround(1e-3 * 10 ** (7 * ((i * 0.618034) % 1))),
    }));
    const results = await gpuEngine.draws(seed, queries);
    assertNoUncapturedErrors();
    const draws = new DrawStream();
    let wordMismatch = '';
    let divergent = 0;
    const examples: string[] = [];
    results.forEach((got, i) => {
      const q = queries[i]!;
      const block = philox4x32([q.stream, q.replicate, q.step, q.agent << 16], k0, k1);
      if (!wordMismatch && got.block0.some((w, k) => w !== block[k])) {
        wordMismatch = `query ${i}: GPU words ${got.block0.join(',')} vs CPU ${Array.from(block).join(',')}`;
      }
      draws.reset(k0, k1, q.stream, q.replicate, q.step, q.agent);
      const count = poisson(q.mean, draws);
      if (count !== got.count) {
        divergent++;
        if (examples.length < 5) examples.push(`query ${i} mean ${q.mean}: GPU ${got.count}, CPU ${count}`);
      }
    });
    expect(wordMismatch).toBe('');
    console.info(`Poisson count divergences: ${divergent} of ${n} draws ${examples.join('; ')}`);
    expect(divergent, examples.join('\n')).toBeLessThanOrEqual(Math.max(1, n * MAX_DIVERGENCE_RATE));
  });

  it('draws the same exponential work per request, but for counted cases', async () => {
    const seed = 0xfeedn;
    const [k0, k1] = seedKey(seed);
    const n = 100_000;
    const queries = Array.from({ length: n }, (_, i) => ({
      stream: i,
      replicate: 3,
      step: (i * 40503) >>> 0,
      agent: i % 64,
      mean: Math.fround(1e-2 * 10 ** (4.5 * ((i * 0.618034) % 1))), // log-uniform 0.01 … 316 requests
      withWork: true,
    }));
    const results = await gpuEngine.draws(seed, queries);
    assertNoUncapturedErrors();
    const draws = new DrawStream();
    let requests = 0;
    let divergent = 0;
    const examples: string[] = [];
    results.forEach((got, i) => {
      const q = queries[i]!;
      draws.reset(k0, k1, q.stream, q.replicate, q.step, q.agent);
      const count = poisson(q.mean, draws);
      const work = exponentialWork(count, draws);
      requests += count;
      if (count !== got.count || work !== got.work) {
        divergent++;
        if (examples.length < 5) examples.push(`query ${i}: GPU ${got.count} requests, work ${got.work}; CPU ${count}, ${work}`);
      }
    });
    console.info(`exponential work: ${divergent} of ${n} agent-steps differ (${requests} requests) ${examples.join('; ')}`);
    expect(requests).toBeGreaterThan(1_000_000);
    expect(divergent, examples.join('\n')).toBeLessThanOrEqual(Math.max(1, requests * MAX_DIVERGENCE_RATE));
  });

  describe.each(GROUPS)('$name ($fleets fleets, $steps steps, Δt $dt s)', (group) => {
    let batch: Batch;
    let cpu: BatchResult;
    let gpuResult: BatchResult;
    /** Runs whose fleet saw a different arrival count on some agent (all policies share the streams). */
    let divergentFleets: Set<number>;
    const poissonArrivals = (group.arrivals ?? 'poisson') === 'poisson';

    beforeAll(async () => {
      batch = groupBatch(group);
      gpuResult = summarize(batch, await gpuEngine.run(batch));
      assertNoUncapturedErrors();
      cpu = summarize(batch, runBatchCpu(batch));
      divergentFleets = new Set();
      const { totals } = cpu;
      for (let r = 0; r < batch.runs.count && poissonArrivals; r++) {
        for (let i = 0; i < totals.agentCount[r]!; i++) {
          const j = totals.agentOffset[r]! + i;
          if (gpuResult.totals.arrivedSum[j] !== totals.arrivedSum[j]) divergentFleets.add(batch.runs.fleet[r]!);
        }
      }
    });

    const label = (r: number): string => `run ${r} (fleet ${batch.runs.fleet[r]}, ${policyName(batch.runs.policy[r]!)})`;

    it.skipIf(!poissonArrivals)('draws the same arrivals, but for counted threshold cases', () => {
      let draws = 0;
      for (let f = 0; f < batch.fleets.count; f++) draws += batch.fleets.agentCount[f]! * group.steps;
      const where = [...divergentFleets].slice(0, 3).map((f) => {
        const first = batch.fleets.agentOffset[f]!;
        const means = Array.from({ length: batch.fleets.agentCount[f]! }, (_, i) => batch.fleets.lambda[first + i]! * group.dt);
        return `fleet ${f} (means ${means.map((m) => m.toPrecision(3)).join(' ')})`;
      });
      console.info(
        `${group.name}: arrivals differ in ${divergentFleets.size} of ${batch.fleets.count} fleets (${draws} draws) ${where.join('; ')}`,
      );
      expect(divergentFleets.size).toBeLessThanOrEqual(Math.max(1, draws * MAX_DIVERGENCE_RATE));
    });

    it('agrees per run within the named tolerances', () => {
      const skip = (r: number): boolean => divergentFleets.has(batch.runs.fleet[r]!);
      const { reports, margins } = compareRunMetrics(gpuResult, cpu, RUN_TOLERANCES, poissonArrivals, label, skip);
      console.info(`${group.name}: worst error / tolerance: ${margins}`);
      expect(reports.join('\n\n')).toBe('');
    });

    it('agrees on the stability diagnosis: half-run mean queues, and the unstable flags but for near-threshold flips', () => {
      const skip = (r: number): boolean => divergentFleets.has(batch.runs.fleet[r]!);
      const { reports, flips, agentRuns } = compareStability(batch, gpuResult, cpu, RUN_TOLERANCES.queue, label, skip);
      console.info(`${group.name}: unstable flags differ in ${flips} of ${agentRuns} agent-runs (each within tolerance of its threshold)`);
      expect(reports.join('\n\n')).toBe('');
      expect(flips).toBeLessThanOrEqual(Math.max(1, agentRuns * MAX_FLIP_RATE));
    });

    it('agrees on batch aggregates within 1e-4 relative', () => {
      for (const metric of RUN_METRICS) {
        if (metric === 'unstable') continue; // a 0/1 flag: compared per run above, with its near-threshold flips
        for (const p of CROSSED) {
          let g = 0;
          let c = 0;
          for (let r = CROSSED.indexOf(p); r < batch.runs.count; r += CROSSED.length) {
            // An undefined IDC (no two windows) is undefined on both sides, and left out of the sums.
            expect(Number.isNaN(gpuResult[metric][r]!), `${metric} run ${r}`).toBe(Number.isNaN(cpu[metric][r]!));
            if (Number.isNaN(cpu[metric][r]!)) continue;
            g += gpuResult[metric][r]!;
            c += cpu[metric][r]!;
          }
          expect(Math.abs(g - c), `${metric} ${p}: GPU ${g} CPU ${c}`).toBeLessThanOrEqual(aggregateRel(metric) * Math.abs(c) + 1e-9);
        }
      }
    });

    it('keeps the invariants on both backends', () => {
      // f32 queues: conservation holds to ~steps·2^-24 of the arrivals on the GPU (checked where it
      // applies: no warm-up and one unit of work per request)
      expect(invariantViolations(batch, gpuResult, group.steps * 2 ** -24 * 4)).toEqual([]);
      expect(invariantViolations(batch, cpu, 1e-9)).toEqual([]);
    });
  });
});
