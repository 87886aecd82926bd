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
import { TraceLibrary } from '../src/traces/library.js';
import type { ServeGenTrace } from '../src/traces/servegen.js';
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
  servegen: [{ process: 'servegen', trace: 2 }],
};

/** A synthetic ServeGen client: 20 s windows (200 steps of 0.1 s), Gamma, idle and Weibull ones. */
const SERVEGEN: ServeGenTrace = {
  format: 'fleetsim-servegen',
  version: 1,
  name: 'synthetic',
  description: '',
  source: '',
  licence: '',
  attribution: '',
  window: 20,
  clients: [
    {
      id: 0,
      windows: [
        { start: 0, rate: 50, cv: 2, family: 'gamma', shape: 0.25, scale: 0.08 },
        { start: 20, rate: 0, cv: 0, family: null, shape: null, scale: null },
        { start: 40, rate: 30, cv: 0.8, family: 'weibull', shape: 1.3, scale: 0.03 },
        { start: 60, rate: 80, cv: 4, family: 'gamma', shape: 0.0625, scale: 0.2 },
      ],
    },
  ],
};

/**
 * Bursty synthetic traces, one count per step (idle stretches, bursts and noise): 0 longer than the
 * run, 1 shorter (it wraps around); then 2, the ServeGen client above.
 */
function syntheticTraces(): PackedTraces {
  const lengths = [500, 120];
  const counts = new Uint32Array(lengths[0]! + lengths[1]!);
  for (let t = 0; t < counts.length; t++) counts[t] = ((t * 7919) % 13) + (t % 50 < 8 ? 25 : 0) + (t % 97 === 3 ? 60 : 0);
  const first = [0, lengths[0]!];
  const meanRate = lengths.map((L, k) => counts.subarray(first[k], first[k]! + L).reduce((a, b) => a + b, 0) / (L * 0.1));
  const client = new TraceLibrary(new Map(), new Map([['synthetic', SERVEGEN]])).pack(['synthetic#0'], 0.1, STEPS);
  const all = new Uint32Array(counts.length + client.counts.length);
  all.set(counts);
  all.set(client.counts, counts.length);
  return {
    names: ['synthetic-long', 'synthetic-short', 'synthetic#0'],
    counts: all,
    first: Uint32Array.from([...first, counts.length]),
    length: Uint32Array.from([...lengths, client.length[0]!]),
    stepsPerBin: Uint32Array.from([1, 1, client.stepsPerBin[0]!]),
    serveGen: Uint8Array.from([0, 0, 1]),
    meanRate: Float64Array.from([...meanRate, client.meanRate[0]!]),
  };
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
    const config: SimConfig = {
      dt: 0.1,
      steps: STEPS,
      lmax: 999,
      price: 0.72,
      arrivals: 'poisson',
      work,
      seed: 41,
      warmup: 10,
      arrivalStats: true,
    };
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
