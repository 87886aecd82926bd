/**
 * A seed fixes every result for the bursty and trace-driven arrival processes (MODEL-PART4 §4.1–4.2)
 * too: gamma and weibull renewal (their residual carried across chunks), the MMPP (its phase and
 * holding time), replay at κ < 1, = 1 and > 1 (several copies), and trace-modulated gamma and MMPP.
 * The per-run totals are byte-identical whatever
 * - the batch size (1, 7, all runs) and a batch split into run ranges (CPU),
 * - the CPU's chunk span (ArrivalDraws driven through chunks of 1, 7, 100 and 1,024 steps),
 * - the CPU worker threads (2 and 3),
 * - the sweep's batching and sharding (sample blocks run in separate batches and shards),
 * - the GPU's steps per dispatch and run chunking (maxRunsPerChunk, small buffers).
 * (test/determinism.test.ts holds the same for the Poisson model.)
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runBatchCpu } from '../src/cpu/engine.js';
import { CpuWorkerPool } from '../src/cpu/workers.js';
import type { GpuEngine, GpuEngineOptions } from '../src/gpu/engine.js';
import { type ArrivalSpec, type Batch, crossRuns, type FleetSpec, makeBatch, packFleets } from '../src/model/batch.js';
import { allocTotals, type RunTotals, TOTAL_FIELDS } from '../src/model/metrics.js';
import { POLICY } from '../src/model/policies.js';
import { ArrivalDraws, type PackedTraces } from '../src/random/arrivals.js';
import { expandStudy } from '../src/study/cells.js';
import { SweepAggregate } from '../src/sweep/aggregate.js';
import { planUnits, shardUnits, type Unit } from '../src/sweep/plan.js';
import { runSweep } from '../src/sweep/run.js';
import { encodeBins, TRACE_FORMAT, TRACE_VERSION, type Trace } from '../src/traces/format.js';
import { TraceLibrary } from '../src/traces/library.js';
import { testFleet } from './helpers/fleets.js';
import { assertNoUncapturedErrors, engine, gpu, gpuSkipReason } from './helpers/gpu.js';

const SEED = 0xfeedbeefn;
const POLICIES = [POLICY.static, POLICY.roundRobin, POLICY.adaptive];
const DT = 0.1;
const STEPS = 150;

/** Bursty per-step counts: a slow wave, bursts every 40 steps and hash noise. */
function traceCounts(L: number): Uint32Array {
  return Uint32Array.from({ length: L }, (_, j) => ((j * 7919) % 5) + (j % 40 < 5 ? 12 : 0) + Math.round(3 + 3 * Math.sin(j / 30)));
}

/** Two traces: one longer than the run, one shorter (wraps around). */
function traces(): PackedTraces {
  const a = traceCounts(700);
  const b = traceCounts(90);
  const counts = new Uint32Array(a.length + b.length);
  counts.set(a);
  counts.set(b, a.length);
  const rate = (c: Uint32Array): number => c.reduce((s, x) => s + x, 0) / (c.length * DT);
  return {
    names: ['long', 'short'],
    counts,
    first: Uint32Array.of(0, a.length),
    length: Uint32Array.of(a.length, b.length),
    stepsPerBin: Uint32Array.of(1, 1),
    serveGen: Uint8Array.of(0, 0),
    meanRate: Float64Array.of(rate(a), rate(b)),
  };
}

const TRACES = traces();

/** The processes the agents cycle through; replay's λ is set from κ (the trace's rate). */
const SPECS: { spec: ArrivalSpec; kappa?: number }[] = [
  { spec: { process: 'gamma', cv: 2 } },
  { spec: { process: 'gamma', cv: 0.5 } },
  { spec: { process: 'weibull', cv: 2.5 } },
  { spec: { process: 'mmpp', mmpp: { idc: 8, highFraction: 0.2, peakRatio: 3 } } },
  { spec: { process: 'replay', trace: 0 }, kappa: 0.4 },
  { spec: { process: 'replay', trace: 1 }, kappa: 1 },
  { spec: { process: 'replay', trace: 0 }, kappa: 2.7 },
  { spec: { process: 'gamma', cv: 3, trace: 1 }, kappa: 0.8 },
  { spec: { process: 'mmpp', mmpp: { idc: 20, highFraction: 0.5, peakRatio: 1.8 }, trace: 0 } },
];

function fleet(k: number): FleetSpec {
  const base = testFleet(77, k);
  return {
    ...base,
    agents: base.agents.map((a, i) => {
      const { spec, kappa } = SPECS[(k + i) % SPECS.length]!;
      const lambda = kappa === undefined ? a.lambda : kappa * TRACES.meanRate[spec.trace!]!;
      return { ...a, lambda, arrivals: spec };
    }),
  };
}

const FLEETS = 24;
const BATCH = makeBatch(
  packFleets(
    Array.from({ length: FLEETS }, (_, k) => fleet(k)),
    undefined,
    TRACES,
  ),
  crossRuns(FLEETS, POLICIES, 2),
  {
    dt: DT,
    steps: STEPS,
    warmup: 13,
    lmax: 999,
    price: 0.72,
    arrivals: 'poisson',
    seed: SEED,
    arrivalStats: true,
  },
);

/** Runs [begin, end) of `all` as a batch of their own. */
function slice(all: Batch, begin: number, end: number): Batch {
  const { runs } = all;
  return makeBatch(
    all.fleets,
    {
      count: end - begin,
      fleet: runs.fleet.slice(begin, end),
      policy: runs.policy.slice(begin, end),
      replicate: runs.replicate.slice(begin, end),
    },
    all.config,
  );
}

/** Every run's totals as bytes (all TOTAL_FIELDS), in run order. */
function runBytes(totals: RunTotals): Buffer[] {
  return Array.from({ length: totals.runs }, (_, r) => {
    const from = totals.agentOffset[r]!;
    const to = from + totals.agentCount[r]!;
    return Buffer.concat(TOTAL_FIELDS.map((f) => Buffer.from(totals[f].slice(from, to).buffer)));
  });
}

async function inBatches(all: Batch, run: (b: Batch) => Promise<RunTotals>, size: number, total = all.runs.count): Promise<Buffer[]> {
  const out: Buffer[] = [];
  for (let begin = 0; begin < total; begin += size) out.push(...runBytes(await run(slice(all, begin, Math.min(begin + size, total)))));
  return out;
}

function expectSameBytes(got: Buffer[], expected: Buffer[]): void {
  expect(got.length).toBe(expected.length);
  const first = got.findIndex((g, r) => !g.equals(expected[r]!));
  expect(first, `run ${first} differs`).toBe(-1);
}

const cpu = (b: Batch): Promise<RunTotals> => Promise.resolve(runBatchCpu(b));

describe('on the CPU', () => {
  const totals = runBatchCpu(BATCH);
  const whole = runBytes(totals);

  it('covers every bursty process, replay at several κ, and arrivals that vary', () => {
    const { fleets } = BATCH;
    expect(new Set(fleets.process)).toEqual(new Set([2, 3, 4, 5]));
    expect(Math.max(...fleets.kappa)).toBeGreaterThan(2);
    expect(totals.arrivedSum.reduce((a, b) => a + b, 0)).toBeGreaterThan(0);
    expect(totals.window10M2Sum.reduce((a, b) => a + b, 0)).toBeGreaterThan(0);
  });

  it('gives byte-identical runs for batches of 1, 7 and all runs, and a batch split into ranges', async () => {
    expectSameBytes(await inBatches(BATCH, cpu, 1, 60), whole.slice(0, 60));
    expectSameBytes(await inBatches(BATCH, cpu, 7), whole);
    const split = allocTotals(BATCH);
    for (let r = 0; r < BATCH.runs.count; r += 50) runBatchCpu(BATCH, r, Math.min(r + 50, BATCH.runs.count), split);
    expectSameBytes(runBytes(split), whole);
  });

  it('draws the same arrivals, work and statistics whatever the chunk span', () => {
    const { fleets, config } = BATCH;
    for (const f of [0, 3, 11]) {
      const n = fleets.agentCount[f]!;
      const results = [1, 7, 100, 1024].map((span) => {
        const draws = new ArrivalDraws(fleets, config, n);
        const arrivals = new Float64Array(n * STEPS);
        const work = new Float64Array(n * STEPS);
        draws.startGroup(fleets.stream[f]!, 1, fleets.agentOffset[f]!, n);
        for (let t0 = 0; t0 < STEPS; t0 += span) {
          const t1 = Math.min(STEPS, t0 + span);
          draws.startChunk(t0, t1);
          for (let i = 0; i < n; i++) draws.arrive(i, t0, t1, arrivals, work, i * STEPS);
        }
        return { arrivals, work, stats: Array.from({ length: n }, (_, i) => ({ ...draws.statsOf(i) })) };
      });
      for (const r of results.slice(1)) {
        expect(Buffer.from(r.arrivals.buffer).equals(Buffer.from(results[0]!.arrivals.buffer)), `fleet ${f} arrivals`).toBe(true);
        expect(Buffer.from(r.work.buffer).equals(Buffer.from(results[0]!.work.buffer)), `fleet ${f} work`).toBe(true);
        expect(r.stats).toEqual(results[0]!.stats);
      }
    }
  });

  describe('worker threads', () => {
    const pools: CpuWorkerPool[] = [];
    afterAll(async () => {
      await Promise.all(pools.map((p) => p.close()));
    });
    it.each([2, 3])('%i threads give the same bytes as the calling thread', async (threads) => {
      const pool = new CpuWorkerPool(threads, { minSharedAgentSteps: 0, minRangeAgentSteps: 1 });
      pools.push(pool);
      expectSameBytes(runBytes(await pool.run(BATCH)), whole);
    });
  });
});

describe('sweep batching and shards', () => {
  // A study over two variants (plain bursty processes; replay and trace-modulated gamma), its samples cut
  // into blocks of 9 (units), run whole, in small batches, and as 3 shards.
  const fine = traceCounts(600);
  const bins: number[] = [];
  fine.forEach((c, k) => {
    for (let r = 0; r < c; r++) bins.push(k);
  });
  const trace: Trace = {
    format: TRACE_FORMAT,
    version: TRACE_VERSION,
    name: 'synthetic',
    description: '',
    source: '',
    licence: '',
    attribution: '',
    resolution: 0.05,
    duration: 30,
    requests: bins.length,
    ...encodeBins(bins),
  };
  const library = new TraceLibrary(new Map([['synthetic', trace]]));
  const { cells } = expandStudy({
    name: 'arrival-shards',
    seed: 31,
    dt: DT,
    steps: 120,
    warmup: 5,
    fleet: {
      random: {
        agents: { min: 1, max: 8 },
        T: { kind: 'logUniform', min: 10, max: 300 },
        R: { kind: 'uniform', min: 0, max: 0.2 },
        P: { kind: 'choice', values: [1, 2, 3] },
        load: { kind: 'uniform', min: 0.3, max: 1.2 },
      },
    },
    samples: 40,
    replicates: 2,
    axes: [
      {
        name: 'arrivals',
        variants: [
          {
            label: 'bursty',
            set: {
              'fleet.random.arrivals': {
                process: ['gamma', 'weibull', 'mmpp'],
                cv: { kind: 'uniform', min: 0.5, max: 4 },
                mmpp: { idc: 6, highFraction: 0.25, peakRatio: 2.5 },
              },
            },
          },
          { label: 'trace', set: { 'fleet.random.arrivals': { process: ['replay', 'gamma'], cv: 2, trace: 'synthetic' } } },
        ],
      },
    ],
  });
  const units: Unit[] = cells
    .flatMap((cell) =>
      Array.from({ length: 5 }, (_, b) => ({
        id: 0,
        cell: cell.index,
        sampleBegin: b * 9,
        sampleEnd: Math.min(40, (b + 1) * 9),
        replicateBegin: 0,
        replicateEnd: 2,
      })),
    )
    .map((u, id) => ({ ...u, id }));
  const engineCpu = { run: cpu };

  /** Every fleet run's per-agent arrival totals and latency, keyed by (cell, sample, replicate, policy). */
  async function sweepRows(of: readonly Unit[], batchAgentRuns: number): Promise<Map<string, string>> {
    const rows = new Map<string, string>();
    const aggregate = new SweepAggregate(cells[0]!.study.policies);
    await runSweep({ cells, units: of, traces: library }, engineCpu, aggregate, {
      batchAgentRuns,
      afterBatch: ({ batch, result, fleetCell, fleetSample }) => {
        const { totals } = result;
        for (let r = 0; r < batch.runs.count; r++) {
          const f = batch.runs.fleet[r]!;
          const key = `${fleetCell[f]}/${fleetSample[f]}/${batch.runs.replicate[r]}/${batch.runs.policy[r]}`;
          const from = totals.agentOffset[r]!;
          const to = from + totals.agentCount[r]!;
          const bytes = Buffer.concat(TOTAL_FIELDS.map((field) => Buffer.from(totals[field].slice(from, to).buffer)));
          expect(rows.has(key), key).toBe(false);
          rows.set(key, bytes.toString('base64'));
        }
      },
    });
    return rows;
  }

  it('gives every fleet run the same bytes whole, in small batches and in 3 shards', async () => {
    expect(planUnits(cells)).toHaveLength(2); // one unit per cell by default; blocks of 9 samples below
    const whole = await sweepRows(units, 1 << 22);
    expect(whole.size).toBe(2 * 40 * 2 * 3);
    expect(await sweepRows(units, 50)).toEqual(whole);
    const sharded = new Map<string, string>();
    for (let index = 0; index < 3; index++) {
      for (const [k, v] of await sweepRows(shardUnits(units, { index, count: 3 }), 1 << 22)) sharded.set(k, v);
    }
    expect(sharded).toEqual(whole);
  });
});

describe.skipIf(!gpu)(gpuSkipReason ?? 'on the GPU', () => {
  // One engine per option set (creating one compiles the kernels).
  const engines = new Map<string, GpuEngine>();
  const engineFor = async (options: GpuEngineOptions): Promise<GpuEngine> => {
    const key = JSON.stringify(options);
    let e = engines.get(key);
    if (!e) engines.set(key, (e = await engine(options)));
    return e;
  };
  const gpuRun = (options: GpuEngineOptions) => async (b: Batch) => {
    const totals = await (await engineFor(options)).run(b);
    assertNoUncapturedErrors();
    return totals;
  };
  let reference: RunTotals;

  beforeAll(async () => {
    reference = await gpuRun({})(BATCH);
  });

  it('draws the same arrivals as the CPU engine, exactly (their Welford statistics in f32 on the GPU: to 1e-5)', () => {
    const cpuTotals = runBatchCpu(BATCH);
    for (const f of ['arrivedSum', 'maxArrivals'] as const) expect(Array.from(reference[f]), f).toEqual(Array.from(cpuTotals[f]));
    // Welford's means and M2 are f32 on the GPU (f64 on the CPU): they agree to f32 precision.
    for (const f of ['window1Mean', 'window1M2Sum', 'window10Mean', 'window10M2Sum', 'window100Mean', 'window100M2Sum'] as const) {
      reference[f].forEach((x, j) =>
        expect(Math.abs(x - cpuTotals[f][j]!), `${f}[${j}]`).toBeLessThanOrEqual(1e-5 * Math.abs(cpuTotals[f][j]!) + 1e-3),
      );
    }
  });

  it('gives byte-identical runs for batches of 1 and 7 runs', async () => {
    const bytes = runBytes(reference);
    expectSameBytes(await inBatches(BATCH, gpuRun({}), 1, 24), bytes.slice(0, 24));
    expectSameBytes(await inBatches(BATCH, gpuRun({}), 7), bytes);
  });

  it.each<[string, GpuEngineOptions]>([
    ['one step per dispatch', { stepsPerDispatch: 1 }],
    ['13 steps per dispatch', { stepsPerDispatch: 13 }],
    ['small run chunks', { maxRunsPerChunk: 37 }],
    ['small buffers', { maxChunkBytes: 16 * 1024 }],
  ])('gives byte-identical runs with %s', async (_, options) => {
    if (options.maxRunsPerChunk || options.maxChunkBytes) expect((await engineFor(options)).planChunks(BATCH).length).toBeGreaterThan(1);
    expectSameBytes(runBytes(await gpuRun(options)(BATCH)), runBytes(reference));
  });
});
