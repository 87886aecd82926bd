/**
 * The run metrics of MODEL-PART4 §4.7 that tell policies apart (src/model/metrics.ts: policyMetrics,
 * summarize): backlogGpuSeconds, minViolationFraction, workConservationGap, jainIndex and
 * worstAgentLatency, on hand-made totals with answers worked out by hand, their undefined cases, the
 * metric table (units, better direction, optional and L_max metrics), and on the CPU engine's totals.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { runBatchCpu } from '../src/cpu/engine.js';
import { crossRuns, type FleetSpec, makeBatch, packFleets, type SimConfig } from '../src/model/batch.js';
import {
  emptyTotals,
  LMAX_METRICS,
  OPTIONAL_METRICS,
  policyMetrics,
  RUN_METRIC_INFO,
  RUN_METRICS,
  runSummary,
  summarize,
} from '../src/model/metrics.js';
import { LIFECYCLE_METRICS } from '../src/model/lifecycle.js';
import { GPU_METRICS } from '../src/model/placement.js';
import { paperBatch, PAPER_CONFIG } from '../src/model/paper.js';
import { POLICY } from '../src/model/policies.js';
import { VERDICT_METRICS } from '../src/sweep/verdict.js';

const CONFIG: SimConfig = { dt: 0.5, steps: 100, warmup: 20, lmax: 999, price: 1, arrivals: 'deterministic', seed: 3 };

/** Fleet 0: G = 2, three agents (T = 10, 20, 40); fleet 1: G = 1, two agents; one static run each. */
function handBatch() {
  const fleets: FleetSpec[] = [
    {
      capacity: 2,
      agents: [
        { T: 10, R: 0.2, P: 1, lambda: 1 },
        { T: 20, R: 0.2, P: 1, lambda: 1 },
        { T: 40, R: 0.2, P: 1, lambda: 1 },
      ],
    },
    {
      agents: [
        { T: 10, R: 0.2, P: 1, lambda: 0 },
        { T: 10, R: 0.2, P: 1, lambda: 0 },
      ],
    },
  ];
  return makeBatch(packFleets(fleets), crossRuns(2, [POLICY.static], 1), CONFIG);
}

describe('the §4.7 metrics on hand-made totals (S′ = 80 steps of 0.5 s)', () => {
  const batch = handBatch();
  const totals = emptyTotals([3, 2]);
  // fleet 0, agents 0–2
  totals.queueSum.set([80, 160, 0], 0); // Σ_i queueSum_i/T_i = 8 + 8 + 0 = 16 GPU-s over 80 steps
  totals.violationSum.set([8, 0, 16], 0); // 24 of 3·80 agent-steps
  totals.servedSum.set([200, 400, 800], 0); // served/(T·Δt) = 40 + 40 + 40 = 120 GPU-steps of work
  totals.busySum.set([80, 0, 0], 0); // agent 0 keeps the run's busy steps
  totals.arrivedSum.set([200, 800, 0], 0); // x = 1, 0.5; agent 2 has no arrivals and is left out
  totals.latencySum.set([240, 800, 80], 0); // mean latencies 3, 10, 1 s
  totals.shareSum.set([80, 40, 40], 0);
  // fleet 1 (agents 3–4): no arrivals, no busy step
  totals.latencySum.set([80, 160], 3);
  const result = summarize(batch, totals);

  it('backlogGpuSeconds = Σ_i queueSum_i/(T_i·S′)', () => {
    expect(result.backlogGpuSeconds[0]).toBe(16 / 80);
    expect(result.backlogGpuSeconds[1]).toBe(0);
  });

  it('minViolationFraction = Σ_i violationSum_i/(N·S′)', () => {
    expect(result.minViolationFraction[0]).toBe(24 / 240);
    expect(result.minViolationFraction[1]).toBe(0);
  });

  it('workConservationGap = G − Σ_i servedSum_i/(T_i·Δt)/busySum, in GPUs; NaN without a busy step', () => {
    expect(result.workConservationGap[0]).toBe(2 - 120 / 80);
    expect(result.workConservationGap[1]).toBeNaN();
    // busySum is agent 0's alone, but the sum over agents is taken: a busy count elsewhere is counted too
    const moved = emptyTotals([3]);
    moved.servedSum.set([200, 400, 800]);
    moved.busySum.set([60, 0, 0]);
    expect(policyMetrics(moved, [10, 20, 40], 0, 0, 3, 80, 0.5, 2).workConservationGap).toBe(0);
  });

  it('jainIndex = (Σx)²/(n·Σx²) over the agents with arrivals; NaN without one', () => {
    expect(result.jainIndex[0]).toBe(1.5 ** 2 / (2 * 1.25)); // 0.9
    expect(result.jainIndex[0]).toBeCloseTo(0.9, 15);
    expect(result.jainIndex[1]).toBeNaN();
    const jain = (served: number[], arrived: number[]): number => {
      const t = emptyTotals([served.length]);
      t.servedSum.set(served);
      t.arrivedSum.set(arrived);
      return policyMetrics(
        t,
        served.map(() => 1),
        0,
        0,
        served.length,
        10,
        1,
        1,
      ).jainIndex;
    };
    expect(jain([5, 10, 20], [5, 10, 20])).toBe(1); // all served in proportion
    expect(jain([6, 0, 0], [6, 6, 6])).toBeCloseTo(1 / 3, 15); // one agent got it all: 1/n
    expect(jain([0, 0], [3, 4])).toBe(1); // nobody served: all equal
  });

  it('worstAgentLatency = max_i latencySum_i/S′, at least avgLatency', () => {
    expect(result.worstAgentLatency[0]).toBe(10);
    expect(result.worstAgentLatency[1]).toBe(2);
    expect(result.avgLatency[0]).toBe((3 + 10 + 1) / 3);
  });

  it('runSummary carries them', () => {
    const s = runSummary(batch, result, 0);
    expect([s.backlogGpuSeconds, s.minViolationFraction, s.workConservationGap, s.jainIndex, s.worstAgentLatency]).toEqual([
      0.2,
      0.1,
      0.5,
      result.jainIndex[0],
      10,
    ]);
  });
});

describe('the lifecycle metrics on hand-made totals (S′ = 80 steps of 0.5 s: 40 s, 1/90 h)', () => {
  const lifecycle: SimConfig = { ...CONFIG, lifecycle: { memory: { gb: 16 } } };
  const fleets = packFleets([
    {
      agents: [
        { T: 10, R: 0.2, P: 1, lambda: 1, M: 1000 },
        { T: 20, R: 0.2, P: 1, lambda: 1, M: 2000 },
        { T: 40, R: 0.2, P: 1, lambda: 1, M: 500 },
      ],
    },
    { agents: [{ T: 10, R: 0.2, P: 1, lambda: 0 }] },
  ]);
  const batch = makeBatch(fleets, crossRuns(2, [POLICY.static], 1), lifecycle);
  const totals = emptyTotals([3, 1]);
  totals.arrivedSum.set([200, 800, 0], 0);
  totals.latencySum.set([240, 800, 80], 0);
  totals.latencyStepSum.set([40, 80, 80], 0); // agent 0 recorded a latency in 40 steps only (COLD and empty in the rest)
  totals.coldStartSum.set([2, 1, 0], 0);
  totals.coldHitSum.set([10, 0, 0], 0);
  totals.coldDelaySum.set([25, 0, 0], 0);
  totals.loadStepSum.set([4, 2, 0], 0);
  totals.residentStepSum.set([40, 80, 80], 0);
  totals.idleWarmStepSum.set([10, 20, 30], 0);
  totals.evictionSum.set([1, 1, 0], 0);
  totals.waitStepSum.set([8, 0, 4], 0);
  totals.residentRunStepSum[0] = 80; // run-wide sums: agent 0's
  totals.memorySum[0] = 80 * 2500;
  totals.memoryPeak[0] = 3500;
  totals.memoryBoundStepSum[0] = 8;
  const result = summarize(batch, totals);
  const hours = 40 / 3600;

  it('per hour, per request, per agent-step and per step, as RUN_METRIC_INFO says', () => {
    expect(result.coldStartsPerHour[0]).toBeCloseTo(3 / hours, 9);
    expect(result.coldHitFraction[0]).toBe(10 / 1000);
    expect(result.coldDelay[0]).toBe(25 / 1000);
    expect(result.loadFraction[0]).toBe(6 / 240);
    expect(result.residentFraction[0]).toBe(200 / 240);
    expect(result.idleWarmFraction[0]).toBe(60 / 240);
    expect(result.costResident[0]).toBeCloseTo(1 * hours, 15); // price 1, resident in all 80 steps
    expect(result.residentGBs[0]).toBe((1 * 40 + 2 * 80 + 0.5 * 80) * 0.5);
    expect(result.evictionsPerHour[0]).toBeCloseTo(2 / hours, 9);
    expect(result.memoryWaitFraction[0]).toBe(12 / 240);
    expect(result.meanMemoryGB[0]).toBe(2.5);
    expect(result.peakMemoryGB[0]).toBe(3.5);
    expect(result.memoryBoundFraction[0]).toBe(0.1);
  });

  it('latency divides by the steps that recorded one (latencyStepSum), not S′', () => {
    expect(result.avgLatency[0]).toBe((6 + 10 + 1) / 3);
    expect(result.worstAgentLatency[0]).toBe(10);
  });

  it('the per-request metrics are NaN without arrivals; every one is NaN with the lifecycle off; no memory limit: memoryBoundFraction NaN', () => {
    expect(result.coldHitFraction[1]).toBeNaN();
    expect(result.coldDelay[1]).toBeNaN();
    expect(result.residentFraction[1]).toBe(0);
    const off = summarize(makeBatch(fleets, crossRuns(2, [POLICY.static], 1), CONFIG), totals);
    for (const m of LIFECYCLE_METRICS) expect(off[m][0], m).toBeNaN();
    const unlimited = summarize(makeBatch(fleets, crossRuns(2, [POLICY.static], 1), { ...CONFIG, lifecycle: {} }), totals);
    expect(unlimited.memoryBoundFraction[0]).toBeNaN();
    expect(unlimited.meanMemoryGB[0]).toBe(2.5);
  });
});

describe('the metric table', () => {
  it('gives every run metric a unit, a better direction, a label and a description; new metrics come last', () => {
    for (const m of RUN_METRICS) {
      const info = RUN_METRIC_INFO[m];
      expect(['lower', 'higher'], m).toContain(info.better);
      expect(info.label.length, m).toBeGreaterThan(0);
      expect(info.about.length, m).toBeGreaterThan(0);
      expect(typeof info.unit, m).toBe('string');
    }
    // the result files' column order: the metrics before issue 13 keep their places
    expect(RUN_METRICS.slice(0, 18)).toEqual([
      'avgLatency',
      'throughput',
      'capacityThroughput',
      'cost',
      'utilization',
      'crossAgentStd',
      'arrived',
      'served',
      'finalQueue',
      'meanInSystem',
      'realizedRate',
      'idc1',
      'idc10',
      'idc100',
      'maxStepArrivals',
      'approxSteps',
      'unstable',
      'maxLoad',
    ]);
    expect(RUN_METRICS.slice(18)).toEqual([
      'backlogGpuSeconds',
      'minViolationFraction',
      'workConservationGap',
      'jainIndex',
      'worstAgentLatency',
      'littleLatency',
      'e2eLatency',
      'inFlight',
      'forkParents',
      // the serverless lifecycle (issue 12, MODEL-PART4 §4.3–4.4), in LIFECYCLE_METRICS' order
      'coldStartsPerHour',
      'coldHitFraction',
      'coldDelay',
      'loadFraction',
      'residentFraction',
      'idleWarmFraction',
      'costResident',
      'residentGBs',
      'evictionsPerHour',
      'memoryWaitFraction',
      'meanMemoryGB',
      'peakMemoryGB',
      'memoryBoundFraction',
      // several GPUs per fleet (issue 12, MODEL-PART4 §4.5), in GPU_METRICS' order
      'gpuImbalance',
      'gpuUtilizationMin',
      'gpuUtilizationMax',
    ]);
    expect(RUN_METRICS.slice(27, 27 + LIFECYCLE_METRICS.length)).toEqual([...LIFECYCLE_METRICS]);
    expect(RUN_METRICS.slice(27 + LIFECYCLE_METRICS.length)).toEqual([...GPU_METRICS]);
  });

  it('marks the metrics that may be undefined and those set by the L_max convention', () => {
    expect([...OPTIONAL_METRICS]).toEqual([
      'idc1',
      'idc10',
      'idc100',
      'maxStepArrivals',
      'approxSteps',
      'unstable',
      'maxLoad',
      'workConservationGap',
      'jainIndex',
      'littleLatency',
      'e2eLatency',
      'forkParents',
      // every lifecycle metric is NaN with the lifecycle off
      'coldStartsPerHour',
      'coldHitFraction',
      'coldDelay',
      'loadFraction',
      'residentFraction',
      'idleWarmFraction',
      'costResident',
      'residentGBs',
      'evictionsPerHour',
      'memoryWaitFraction',
      'meanMemoryGB',
      'peakMemoryGB',
      'memoryBoundFraction',
      // NaN with one GPU
      'gpuImbalance',
      'gpuUtilizationMin',
      'gpuUtilizationMax',
    ]);
    expect([...LMAX_METRICS]).toEqual(['avgLatency', 'crossAgentStd', 'worstAgentLatency']);
  });

  it('verdicts take their direction and unit from it: jainIndex higher-better, the other §4.7 metrics lower-better', () => {
    const of = (m: string) => VERDICT_METRICS.find((v) => v.metric === m)!;
    expect(of('throughput')).toEqual({ metric: 'throughput', better: 'higher', unit: 'requests/s' });
    expect(of('jainIndex').better).toBe('higher');
    for (const m of ['backlogGpuSeconds', 'minViolationFraction', 'workConservationGap', 'worstAgentLatency', 'littleLatency'])
      expect(of(m).better).toBe('lower');
    expect(of('worstAgentLatency').unit).toBe('s');
    expect(of('workConservationGap').unit).toBe('GPUs');
  });
});

describe('the §4.7 metrics on the CPU engine', () => {
  it('the paper fleet: backlogGpuSeconds is Σ_i meanQueue_i/T_i, worstAgentLatency the largest agent latency; round-robin pays L_max', () => {
    const batch = paperBatch(PAPER_CONFIG);
    const result = summarize(batch, runBatchCpu(batch));
    for (let r = 0; r < batch.runs.count; r++) {
      const s = runSummary(batch, result, r);
      const T = s.perAgent.map((_, i) => batch.fleets.T[batch.fleets.agentOffset[batch.runs.fleet[r]!]! + i]!);
      const backlog = s.perAgent.reduce((v, a, i) => v + a.meanQueue / T[i]!, 0);
      expect(s.backlogGpuSeconds).toBeCloseTo(backlog, 12);
      expect(s.worstAgentLatency).toBe(Math.max(...s.perAgent.map((a) => a.latency)));
      expect(s.worstAgentLatency).toBeGreaterThanOrEqual(s.avgLatency);
      expect(s.jainIndex).toBeGreaterThan(0);
      expect(s.jainIndex).toBeLessThanOrEqual(1 + 1e-12);
    }
    // round-robin: each agent has share 0 on 3 steps in 4 and is scored L_max there
    const rr = [...batch.runs.policy].indexOf(POLICY.roundRobin);
    expect(result.worstAgentLatency[rr]).toBeGreaterThanOrEqual((PAPER_CONFIG.lmax * 3) / 4);
  });
});

describe('docs/METRICS.md', () => {
  it('has a row for every run metric (the table-driven check for the page)', () => {
    const rows = readFileSync('docs/METRICS.md', 'utf8')
      .split('\n')
      .filter((line) => line.startsWith('| `'));
    for (const m of RUN_METRICS)
      expect(
        rows.some((row) => row.split('|')[1]!.includes(`\`${m}\``)),
        m,
      ).toBe(true);
    // and the L_max caveat names every metric set by L_max
    const caveat = readFileSync('docs/METRICS.md', 'utf8').split("### Round-robin's latency is set by L_max")[1]!.split('###')[0]!;
    for (const m of LMAX_METRICS) if (m !== 'avgLatency') expect(caveat, m).toContain(`\`${m}\``);
  });
});
