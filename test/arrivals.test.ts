/**
 * Every arrival process and work mode of src/model/modes.ts walked entry by entry on both engines and
 * both GPU kernels, with rate schedules (read through the arrival state's cursor), traces (replayed,
 * and modulating the other counting processes; one short enough to wrap around) and several
 * dispatches per run, so a process added on one side only, or a state that loses its place between
 * dispatches, fails here by name. Arrival counts must agree exactly (they are integers or the same
 * f32 mean); the other metrics within the named tolerances of test/helpers/tolerances.ts.
 */
import { describe, expect, it } from 'vitest';
import { type ArrivalSpec, crossRuns, type FleetSpec, makeBatch, packFleets, type SimConfig } from '../src/model/batch.js';
import { ARRIVAL_PROCESS_INFO, ARRIVAL_PROCESSES, type ArrivalMode, WORK_MODES } from '../src/model/modes.js';
import { PAPER_POLICIES, POLICY } from '../src/model/policies.js';
import type { PackedTraces } from '../src/random/arrivals.js';
import { testFleet, wideTestFleet, withSchedules } from './helpers/fleets.js';
import { bothKernels, expectKernelsMatchCpu, gpu, gpuSkipReason } from './helpers/gpu.js';

const STEPS = 300;

/**
 * Each process's parameter sets (a Record: a process without a row does not compile). Traces by
 * index into TRACES: 0 is longer than the run, 1 shorter (it wraps around).
 */
const SPECS: Record<ArrivalMode, ArrivalSpec[]> = {
  deterministic: [{ process: 'deterministic' }],
  poisson: [{ process: 'poisson' }, { process: 'poisson', trace: 0 }],
  gamma: [
    { process: 'gamma', cv: 0.5 },
    { process: 'gamma', cv: 3 },
    { process: 'gamma', cv: 2, trace: 1 },
  ],
  weibull: [
    { process: 'weibull', cv: 0.7 },
    { process: 'weibull', cv: 2.5 },
  ],
  mmpp: [
    { process: 'mmpp', mmpp: { idc: 8, highFraction: 0.2, peakRatio: 3 } },
    { process: 'mmpp', mmpp: { idc: 30, highFraction: 0.5, peakRatio: 2 }, trace: 0 },
  ],
  replay: [
    { process: 'replay', trace: 0 },
    { process: 'replay', trace: 1 },
  ],
};

/** Bursty synthetic traces, one count per step: idle stretches, bursts and noise. */
function syntheticTraces(): PackedTraces {
  const lengths = [500, 120];
  const counts = new Uint32Array(lengths[0]! + lengths[1]!);
  for (let t = 0; t < counts.length; t++) counts[t] = ((t * 7919) % 13) + (t % 50 < 8 ? 25 : 0) + (t % 97 === 3 ? 60 : 0);
  const first = Uint32Array.from([0, lengths[0]!]);
  const length = Uint32Array.from(lengths);
  const meanRate = Float64Array.from(lengths, (L, k) => counts.subarray(first[k], first[k]! + L).reduce((a, b) => a + b, 0) / (L * 0.1));
  return { names: ['synthetic-long', 'synthetic-short'], counts, first, length, meanRate };
}

const cases = ARRIVAL_PROCESSES.flatMap((process) =>
  WORK_MODES.filter((work) => work === 'deterministic' || ARRIVAL_PROCESS_INFO[process].counts).map((work) => [process, work] as const),
);

describe.skipIf(!gpu)('every arrival process on both engines and both GPU kernels', () => {
  if (gpuSkipReason) console.warn(gpuSkipReason);

  it('covers every process', () => {
    expect(new Set(cases.map(([process]) => process))).toEqual(new Set(ARRIVAL_PROCESSES));
  });

  it.each(cases)('%s arrivals, %s work: GPU = CPU on the narrow and the wide kernel', async (process, work) => {
    // 64 steps per dispatch: the schedule cursor and the process state cross dispatch boundaries.
    const kernels = await bothKernels({ stepsPerDispatch: 64 });
    // Each parameter set on a share of the agents (the first fleets' agents cycle through the sets;
    // the wide fleet's all take the last), so one batch walks them all.
    const specs = SPECS[process];
    const withArrivals = (fleet: FleetSpec, k: number): FleetSpec => ({
      ...fleet,
      agents: fleet.agents.map((a, i) => ({ ...a, arrivals: specs[(k + i) % specs.length]! })),
    });
    const fleets: FleetSpec[] = [
      ...Array.from({ length: 12 }, (_, k) => withArrivals(withSchedules(testFleet(31, k), 31, k, STEPS), k)),
      withArrivals(withSchedules(wideTestFleet(32, 0, 90), 32, 0, STEPS), 0),
    ];
    const config: SimConfig = { dt: 0.1, steps: STEPS, lmax: 999, price: 0.72, arrivals: 'poisson', work, seed: 41, warmup: 10 };
    const batch = makeBatch(
      packFleets(fleets, undefined, syntheticTraces()),
      crossRuns(
        fleets.length,
        PAPER_POLICIES.map((p) => POLICY[p]),
        2,
      ),
      config,
    );
    await expectKernelsMatchCpu(batch, kernels, (kernel, r) => `${process}/${work} ${kernel} run ${r}`, process !== 'deterministic');
  });
});
