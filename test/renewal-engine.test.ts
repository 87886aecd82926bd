/**
 * The renewal arrival processes of MODEL-PART4 §4.1 at the engine level: a study run through the
 * sweep (sweepInMemory: study → cells → batches → CPU engine → summarize → aggregate), read from the
 * sweep's own idc1 / idc10 / idc100 and realizedRate statistics.
 *
 * - Gamma at cv c = 2: the IDC of a renewal process over a window of λt expected arrivals is
 *   Var N(t)/λt = c² + (1 − c⁴)/(6λt) + o(1/t) (§4.1 Validation), tending to c² = 4. With λΔt = 2 the
 *   windows of 10 and 100 steps hold λt = 20 and 200: 3.875 and 3.9875. The run metric is each agent's
 *   sample variance over its W = S/w windows (÷ W − 1); counts in adjacent windows of a renewal process
 *   covary by −(1 − c⁴)/12, which biases that estimator by (1 − c⁴)/(6λt·W) = −0.00125 at both
 *   windows here (added to the truth below).
 * - c = 1 is a Poisson process: gamma at cv 1 gives the mean λ and IDC 1 at every window, like the
 *   poisson process itself, and the two agree with each other (within 3 combined SE).
 *
 * Tolerance: the spec's "3 SE and 2 %" (within 3 SE, the sweep's std/√n over fleet runs, and within
 * 2 % of the truth) wherever the sample gives 3 SE ≲ 2 %: the rates, idc1 and idc10. idc100 has only
 * 10 windows per agent-run, so its 3 SE is about 4 % here (2 % would take 4× the runs: gamma costs
 * ~2.5 µs per agent-step on the CPU, the file would take ~15 s); it is held to 3 SE alone, and for
 * cv 2 to within 5 % of c² (its truth is 0.3 % below c²). The gamma cv 2 study runs 40 replicates of
 * 32 agents × 1,000 steps, the cv 1 / poisson one 20. The windows start at step 0 from the stationary
 * start (§4.1), so no warm-up is needed.
 */
import { describe, expect, it } from 'vitest';
import { runBatchCpu } from '../src/cpu/engine.js';
import { expandStudy } from '../src/study/cells.js';
import { type CellSummary } from '../src/sweep/aggregate.js';
import { sweepInMemory } from '../src/sweep/run.js';

const DT = 0.1;
const LAMBDA = 20; // λΔt = 2 per step
const STEPS = 1000;
const AGENTS = 32;

function study(replicates: number, variants: { label: string; arrivals: unknown }[]) {
  return expandStudy({
    name: 'renewal-idc',
    seed: 2026,
    dt: DT,
    steps: STEPS,
    policies: ['static'],
    fleet: { agents: Array.from({ length: AGENTS }, () => ({ T: 1000, R: 0, P: 1, lambda: LAMBDA })) },
    samples: 1,
    replicates,
    output: { arrivalStats: true }, // recorded under the poisson process too
    axes: [{ name: 'process', variants: variants.map(({ label, arrivals }) => ({ label, set: { arrivals } })) }],
  });
}

const engine = { run: (b: Parameters<typeof runBatchCpu>[0]) => Promise.resolve(runBatchCpu(b)) };
const cells = [
  ...(await sweepInMemory(study(40, [{ label: 'gamma cv 2', arrivals: { process: 'gamma', cv: 2 } }]), engine)).cells,
  ...(
    await sweepInMemory(
      study(20, [
        { label: 'gamma cv 1', arrivals: { process: 'gamma', cv: 1 } },
        { label: 'poisson', arrivals: 'poisson' },
      ]),
      engine,
    )
  ).cells,
];

/** The cell's mean and SE of `metric` (over its fleet runs). */
function stat(label: string, metric: string): { mean: number; se: number; n: number } {
  const cell = cells.find((c: CellSummary) => c.values.process === label)!;
  const s = cell.policies[0]!.metrics[metric]!;
  return { mean: s.mean, se: s.std! / Math.sqrt(s.n), n: s.n };
}

function expectNear(label: string, est: { mean: number; se: number }, truth: number): void {
  const err = Math.abs(est.mean - truth);
  const msg = `${label}: ${est.mean.toFixed(4)} ± ${est.se.toFixed(4)} vs ${truth.toFixed(4)}`;
  expect(err, msg).toBeLessThanOrEqual(3 * est.se);
  expect(err, msg).toBeLessThanOrEqual(0.02 * Math.abs(truth));
}

describe('renewal arrivals through the sweep', () => {
  it('gamma at cv 2: the IDC over long windows approaches c² = 4 as c² + (1 − c⁴)/(6λt)', () => {
    const c2 = 4;
    const K = (1 - c2 * c2) / 6;
    const truth = (w: number): number => c2 + K / (LAMBDA * DT * w) + K / (LAMBDA * DT * w * (STEPS / w));
    expect(stat('gamma cv 2', 'idc10').n).toBe(40);
    expectNear('gamma cv 2 idc10', stat('gamma cv 2', 'idc10'), truth(10));
    const long = stat('gamma cv 2', 'idc100');
    expect(Math.abs(long.mean - truth(100)), `idc100 ${long.mean} ± ${long.se}`).toBeLessThanOrEqual(3 * long.se);
    expect(Math.abs(long.mean - c2)).toBeLessThan(0.05 * c2);
    // The IDC grows with the window towards c² (1-step counts are less dispersed).
    expect(stat('gamma cv 2', 'idc1').mean).toBeLessThan(stat('gamma cv 2', 'idc10').mean);
    expectNear('gamma cv 2 rate', stat('gamma cv 2', 'realizedRate'), LAMBDA * AGENTS);
    expect(stat('gamma cv 2', 'approxSteps').mean).toBe(0);
  });

  it('c = 1 is a Poisson process: the same mean and IDC 1 at every window as the poisson process', () => {
    for (const label of ['gamma cv 1', 'poisson']) {
      expectNear(`${label} rate`, stat(label, 'realizedRate'), LAMBDA * AGENTS);
      for (const metric of ['idc1', 'idc10']) expectNear(`${label} ${metric}`, stat(label, metric), 1);
      const long = stat(label, 'idc100');
      expect(Math.abs(long.mean - 1), `${label} idc100 ${long.mean} ± ${long.se}`).toBeLessThanOrEqual(3 * long.se);
    }
    for (const metric of ['realizedRate', 'idc1', 'idc10', 'idc100']) {
      const a = stat('gamma cv 1', metric);
      const b = stat('poisson', metric);
      // Two independent estimates: their difference within 3 combined SE.
      expect(Math.abs(a.mean - b.mean), metric).toBeLessThanOrEqual(3 * Math.hypot(a.se, b.se));
    }
  });
});
