/**
 * Every arrival process and work mode of src/model/modes.ts walked entry by entry on both engines and
 * both GPU kernels, with rate schedules (read through the arrival state's cursor) and several
 * dispatches per run, so a process added on one side only, or a cursor that loses its place between
 * dispatches, fails here by name. Arrival counts must agree exactly (they are integers or the same
 * f32 mean); the other metrics within the named tolerances of test/helpers/tolerances.ts.
 */
import { describe, expect, it } from 'vitest';
import { crossRuns, type FleetSpec, makeBatch, packFleets, type SimConfig } from '../src/model/batch.js';
import { ARRIVAL_PROCESSES, WORK_MODES } from '../src/model/modes.js';
import { PAPER_POLICIES, POLICY } from '../src/model/policies.js';
import { testFleet, wideTestFleet, withSchedules } from './helpers/fleets.js';
import { bothKernels, expectKernelsMatchCpu, gpu, gpuSkipReason } from './helpers/gpu.js';

const STEPS = 300;
const cases = ARRIVAL_PROCESSES.flatMap((arrivals) =>
  WORK_MODES.filter((work) => work === 'deterministic' || arrivals === 'poisson').map((work) => [arrivals, work] as const),
);

describe.skipIf(!gpu)('every arrival process on both engines and both GPU kernels', () => {
  if (gpuSkipReason) console.warn(gpuSkipReason);
  const fleets: FleetSpec[] = [
    ...Array.from({ length: 12 }, (_, k) => withSchedules(testFleet(31, k), 31, k, STEPS)),
    withSchedules(wideTestFleet(32, 0, 90), 32, 0, STEPS),
  ];

  it('covers every process', () => {
    expect(new Set(cases.map(([arrivals]) => arrivals))).toEqual(new Set(ARRIVAL_PROCESSES));
  });

  it.each(cases)('%s arrivals, %s work: GPU = CPU on the narrow and the wide kernel', async (arrivals, work) => {
    // 64 steps per dispatch: the schedule cursor crosses dispatch boundaries.
    const kernels = await bothKernels({ stepsPerDispatch: 64 });
    const config: SimConfig = { dt: 0.1, steps: STEPS, lmax: 999, price: 0.72, arrivals, work, seed: 41, warmup: 10 };
    const batch = makeBatch(
      packFleets(fleets),
      crossRuns(
        fleets.length,
        PAPER_POLICIES.map((p) => POLICY[p]),
        2,
      ),
      config,
    );
    await expectKernelsMatchCpu(batch, kernels, (kernel, r) => `${arrivals}/${work} ${kernel} run ${r}`, arrivals === 'poisson');
  });
});
