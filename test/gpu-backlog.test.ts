/**
 * The two policy totals on the GPU, exactly the CPU engine's: violationSum (steps below the minimum
 * share while in demand) and busySum (the run's steps with backlog, kept by agent 0), both integer
 * counts, so GPU = CPU with no tolerance. Random fleets on both kernels, every signal, a warm-up that
 * ends inside a dispatch, dispatches of 40 steps (so a run's busy mask spans two words and each
 * dispatch ends mid-word), and groups that mix the backlog-reading timeSlice (allocated after the
 * step's arrivals, MODEL-PART4 §4.8) with the paper's policies (the narrow kernel's fixed path for the
 * latter and its step-by-step path, drawing first, for the group as a whole).
 */
import { describe, expect, it } from 'vitest';
import { runBatchCpu } from '../src/cpu/engine.js';
import { crossRuns, type FleetSpec, makeBatch, packFleets, type SimConfig } from '../src/model/batch.js';
import type { RunTotals } from '../src/model/metrics.js';
import { SIGNALS } from '../src/model/modes.js';
import { PAPER_POLICIES, POLICIES, POLICY } from '../src/model/policies.js';
import { testFleet, wideTestFleet } from './helpers/fleets.js';
import { assertNoUncapturedErrors, bothKernels, engine, gpu, gpuSkipReason } from './helpers/gpu.js';

/** The first agent-runs (at most 8) where `field` differs, as `run r agent i: got / expected`. */
function mismatches(got: RunTotals, want: RunTotals, field: 'violationSum' | 'busySum'): string[] {
  const out: string[] = [];
  for (let r = 0; r < want.runs && out.length < 8; r++) {
    for (let i = 0; i < want.agentCount[r]!; i++) {
      const j = want.agentOffset[r]! + i;
      if (got[field][j] !== want[field][j]) out.push(`${field} run ${r} agent ${i}: ${got[field][j]} / ${want[field][j]}`);
    }
  }
  return out;
}

describe.skipIf(!gpu)('violationSum and busySum: GPU = CPU exactly', () => {
  if (gpuSkipReason) console.warn(gpuSkipReason);
  const config: SimConfig = { dt: 0.1, steps: 150, lmax: 999, price: 0.72, arrivals: 'poisson', seed: 1313, warmup: 57 };
  // Narrow-kernel fleets, then two above WIDE_ABOVE (the wide kernel on either engine).
  const fleets: FleetSpec[] = [
    ...Array.from({ length: 10 }, (_, k) => testFleet(1313, k)),
    wideTestFleet(1313, 0, 70),
    wideTestFleet(1313, 1, 97),
  ];
  // Every policy alone, then the backlog-reading ones in groups with the paper's policies.
  const readers = Object.entries(POLICIES).flatMap(([name, def]) => (def.readsBacklog ? [POLICY[name as keyof typeof POLICY]] : []));
  const paper = PAPER_POLICIES.map((p) => POLICY[p]);

  it('reads the step’s arrivals for every backlog-reading policy (at least timeSlice)', () => {
    expect(readers).toContain(POLICY.timeSlice);
  });

  it('on random fleets, every signal, both kernels, 40-step dispatches, mixed groups', async () => {
    const kernels = await bothKernels({ stepsPerDispatch: 40 });
    for (const signal of SIGNALS) {
      const policies = [...new Set([readers[0]!, ...paper, ...readers])];
      const batch = makeBatch(packFleets(fleets), crossRuns(fleets.length, policies, 2), { ...config, signal });
      const cpu = runBatchCpu(batch);
      // The counts are not all 0 or all full: the test can see a miscount either way.
      const busy = cpu.busySum.reduce((s, x) => s + x, 0);
      const violations = cpu.violationSum.reduce((s, x) => s + x, 0);
      expect(busy).toBeGreaterThan(0);
      expect(violations).toBeGreaterThan(0);
      for (const [kernel, gpuEngine] of kernels) {
        const got = await gpuEngine.run(batch);
        const bad = [...mismatches(got, cpu, 'violationSum'), ...mismatches(got, cpu, 'busySum')];
        expect(bad, `${kernel} ${signal}:\n${bad.join('\n')}`).toEqual([]);
      }
    }
    assertNoUncapturedErrors();
  });

  it('refuses a dispatch longer than the busy masks hold', async () => {
    await expect(engine({ stepsPerDispatch: 257 })).rejects.toThrow(/stepsPerDispatch must be an integer from 1 to 256/);
  });
});
