/**
 * The stability diagnosis (src/model/stability.ts, docs/STABILITY.md): the function on hand-built
 * totals (load, drift, threshold, the untestable cases), the drift's closed form on a queue that grows
 * linearly, and the rule on clear cases of M/D/1 queues through the CPU engine: at load 0.7 a long run
 * is never flagged, at 1.3 always, and the paper's overloaded scenario is flagged under every policy.
 * The measured false-alarm and miss rates are scripts/stability-rates.ts's.
 */
import { describe, expect, it } from 'vitest';
import { runBatchCpu } from '../src/cpu/engine.js';
import { type Batch, crossRuns, type FleetSpec, makeBatch, packFleets, type SimConfig } from '../src/model/batch.js';
import { emptyTotals, lateStart, OPTIONAL_METRICS, RUN_METRICS, type RunTotals, summarize } from '../src/model/metrics.js';
import { paperBatch } from '../src/model/paper.js';
import { POLICY } from '../src/model/policies.js';
import {
  agentStability,
  driftThreshold,
  GROWTH_FRACTION,
  GROWTH_Z,
  MIN_GROWTH,
  MIN_TEST_STEPS,
  queueDrift,
  runStability,
} from '../src/model/stability.js';

const CONFIG: SimConfig = { dt: 1, steps: 600, lmax: 999, price: 1, arrivals: 'poisson', seed: 7 };

/** One fleet of `agents` under static, `replicates` runs. */
function batchOf(fleet: FleetSpec, config: Partial<SimConfig> = {}, replicates = 1): Batch {
  return makeBatch(packFleets([fleet]), crossRuns(1, [POLICY.static], replicates), { ...CONFIG, ...config });
}

/** An M/D/1 queue: one agent, the whole GPU, T·Δt = 1 request served per step, Poisson arrivals at load ρ. */
const md1 = (rho: number): FleetSpec => ({ agents: [{ T: 1, R: 0.1, P: 1, lambda: rho }] });

/** Totals of one run of one agent with the given sums (the rest zero). */
function totalsOf(values: Partial<Record<'arrivedSum' | 'shareSum' | 'queueSum' | 'queueLateSum', number>>): RunTotals {
  const totals = emptyTotals([1]);
  for (const [field, value] of Object.entries(values)) totals[field as keyof typeof values][0] = value;
  return totals;
}

describe('agentStability on hand-built totals', () => {
  const batch = batchOf({ agents: [{ T: 2, R: 0.1, P: 1, lambda: 1 }] }); // S' = 600, Δt = 1

  it('gives the load λ̂/(T·ḡ): 0 without arrivals, Infinity without a share', () => {
    // 600 arrivals in 600 s at T = 2 and a mean share of 0.5: one request/s against one request/s.
    expect(agentStability(batch, totalsOf({ arrivedSum: 600, shareSum: 300 }), 0, 0).load).toBe(1);
    expect(agentStability(batch, totalsOf({ arrivedSum: 900, shareSum: 150 }), 0, 0).load).toBe(3);
    expect(agentStability(batch, totalsOf({ arrivedSum: 0, shareSum: 300 }), 0, 0).load).toBe(0);
    expect(agentStability(batch, totalsOf({ arrivedSum: 0, shareSum: 0 }), 0, 0).load).toBe(0);
    expect(agentStability(batch, totalsOf({ arrivedSum: 5, shareSum: 0 }), 0, 0).load).toBe(Infinity);
    // The run metric: an infinite load is undefined (NaN), not a value the statistics would refuse.
    expect(runStability(batch, totalsOf({ arrivedSum: 5, shareSum: 0 }), 0).maxLoad).toBeNaN();
    expect(runStability(batch, totalsOf({ arrivedSum: 900, shareSum: 150 }), 0).maxLoad).toBe(3);
  });

  it('gives the drift from the two half means and flags it above the threshold only', () => {
    // Mean queue 10 in the first 300 steps, 40 in the last 300: +30 requests over 300 s.
    const drift = agentStability(batch, totalsOf({ arrivedSum: 600, shareSum: 300, queueSum: 300 * 50, queueLateSum: 300 * 40 }), 0, 0);
    expect(drift.drift).toBeCloseTo(0.1, 12);
    // The threshold at λ̂ = 1/s over 600 s: ε + z·√(4/(3·600)).
    const threshold = driftThreshold(1, 600, 1);
    expect(threshold).toBeCloseTo(GROWTH_FRACTION + GROWTH_Z * Math.sqrt(4 / 1800), 12);
    expect(drift.unstable).toBe(drift.drift > threshold);
    const at = (rise: number): boolean =>
      agentStability(
        batch,
        totalsOf({ arrivedSum: 600, shareSum: 300, queueSum: 300 * (20 + rise), queueLateSum: 300 * (10 + rise) }),
        0,
        0,
      ).unstable;
    // A rise of mean₂ − mean₁ = x over 300 s is a drift of x/300: flagged just above threshold·300, not below.
    expect(at(threshold * 300 * 1.001)).toBe(true);
    expect(at(threshold * 300 * 0.999)).toBe(false);
    expect(at(-50)).toBe(false); // a draining queue
  });

  it('needs a rise of at least MIN_GROWTH requests: rounding on a queue that neither grows nor drains is not growth', () => {
    // No arrivals (threshold 0) and a backlog the agent is not served: the two half means of a
    // constant queue may differ by a rounding, a drift > 0 that is no growth.
    const rise = 1e-9;
    const a = agentStability(
      batch,
      totalsOf({ arrivedSum: 0, shareSum: 0, queueSum: 300 * (2 * 7 + rise), queueLateSum: 300 * (7 + rise) }),
      0,
      0,
    );
    expect(a.drift).toBeGreaterThan(driftThreshold(0, 600, 1));
    expect(a.unstable).toBe(false);
    // With arrivals the noise term asks for a rise of z·√(N/3) requests or more anyway: ≥ MIN_GROWTH from N = 1.
    expect(driftThreshold(1 / 600, 600, 1) * 300).toBeGreaterThan(MIN_GROWTH);
  });

  it('does not test runs with fewer than MIN_TEST_STEPS recorded steps: unstable is NaN there', () => {
    const short = batchOf(md1(3), { steps: MIN_TEST_STEPS + 4, warmup: 5 }); // S' = MIN_TEST_STEPS − 1
    const a = agentStability(short, totalsOf({ arrivedSum: 100, shareSum: 19, queueSum: 1000, queueLateSum: 900 }), 0, 0);
    expect(a.load).toBeCloseTo(100 / 19, 12);
    expect(a.drift).toBeNaN();
    expect(a.unstable).toBe(false);
    const result = summarize(short, runBatchCpu(short));
    expect(result.unstable[0]).toBeNaN();
    expect(result.maxLoad[0]).toBeGreaterThan(1);
    const tested = batchOf(md1(3), { steps: MIN_TEST_STEPS + 5, warmup: 5 });
    expect(summarize(tested, runBatchCpu(tested)).unstable[0]).toBe(1);
  });

  it('adds unstable and maxLoad to the run metrics, both optional', () => {
    expect(RUN_METRICS).toContain('unstable');
    expect(RUN_METRICS).toContain('maxLoad');
    expect(OPTIONAL_METRICS.has('unstable')).toBe(true);
    expect(OPTIONAL_METRICS.has('maxLoad')).toBe(true);
  });
});

describe('the drift of a queue that grows linearly', () => {
  it('is the closed form: (mean₂ − mean₁)/((S′/2)·Δt) = the slope, for even and odd S′', () => {
    // Q_t = c + β·t over the recorded steps t = 0 … S′ − 1 (any warm-up before): the drift is β/Δt.
    for (const [S, dt, c, beta] of [
      [600, 1, 3, 0.5],
      [601, 0.25, 0, 2],
      [21, 2, 7.5, 0.125],
    ] as const) {
      let all = 0;
      let late = 0;
      for (let t = 0; t < S; t++) {
        const q = c + beta * t;
        all += q;
        if (t >= Math.floor(S / 2)) late += q;
      }
      expect(queueDrift(all, late, S, dt), `S′ ${S}`).toBeCloseTo(beta / dt, 10);
    }
  });

  it('is what the engine records for deterministic arrivals above the service rate, warm-up included', () => {
    // λ = 3/s, T·g = 1/s, Δt = 1: 3 arrive and 1 is served per step, so Q_t = 2(t + 1) from step 0.
    for (const [steps, warmup] of [
      [600, 0],
      [301, 40],
    ] as const) {
      const batch = batchOf(md1(3), { arrivals: 'deterministic', steps, warmup });
      const totals = runBatchCpu(batch);
      let late = 0;
      for (let t = lateStart(batch.config); t < steps; t++) late += 2 * (t + 1);
      expect(totals.queueLateSum[0]).toBe(late);
      const a = agentStability(batch, totals, 0, 0);
      expect(a.drift).toBeCloseTo(2, 10);
      expect(a.load).toBe(3);
      expect(a.unstable).toBe(true);
    }
  });
});

describe('the rule on M/D/1 queues (CPU engine)', () => {
  const flagged = (rho: number, steps: number, replicates: number): number => {
    const batch = batchOf(md1(rho), { steps, seed: 2026 }, replicates);
    const result = summarize(batch, runBatchCpu(batch));
    let n = 0;
    for (let r = 0; r < replicates; r++) {
      expect(result.unstable[r]).toBe(agentStability(batch, result.totals, r, 0).unstable ? 1 : 0);
      n += result.unstable[r]!;
    }
    return n;
  };

  it('does not flag a stable queue at load 0.7 in long runs', () => {
    expect(flagged(0.7, 30_000, 40)).toBe(0);
  });

  it('flags an overloaded queue at load 1.3 in every run of 3,000 steps', () => {
    expect(flagged(1.3, 3_000, 40)).toBe(40);
  });

  it("flags the paper's overloaded scenario (ρ ≈ 3.2 for every agent) under each policy", () => {
    const batch = paperBatch();
    const result = summarize(batch, runBatchCpu(batch));
    for (let r = 0; r < batch.runs.count; r++) {
      expect(result.unstable[r], `run ${r}`).toBe(1);
      expect(result.maxLoad[r]).toBeGreaterThan(3);
      for (let i = 0; i < 4; i++) expect(agentStability(batch, result.totals, r, i).unstable, `run ${r} agent ${i}`).toBe(true);
    }
  });
});
