/**
 * A seed fixes every result: the per-run totals are byte-identical whatever the batch size (1, 7,
 * 4,096 runs; batches of 1 on the first runs), the chunking (one chunk, or chunks forced small by
 * maxRunsPerChunk / maxChunkBytes, and a 2-D folded dispatch grid), and the dispatch split of the
 * steps. Checked on both backends, for the paper's model with Poisson arrivals and for every engine
 * extension at once (rate schedules, the ema signal, exponential work, and a warm-up that ends inside
 * a dispatch). On the GPU also: the two loop orders of each simulate kernel (agent by agent under the
 * nominal signal, step by step under the others) give the same static and round-robin runs, and a run
 * gives the same bytes in a group of runs sharing its arrivals as alone.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { runBatchCpu } from '../src/cpu/engine.js';
import { type GpuEngine, type GpuEngineOptions } from '../src/gpu/engine.js';
import { MAX_GROUP_RUNS, runGroups } from '../src/gpu/pack.js';
import { planGrid } from '../src/gpu/dispatch.js';
import { type Batch, crossRuns, makeBatch, packFleets } from '../src/model/batch.js';
import { allocTotals, type RunTotals, summarize, TOTAL_FIELDS } from '../src/model/metrics.js';
import { POLICY } from '../src/model/policies.js';
import { testFleet, withSchedules } from './helpers/fleets.js';
import { assertNoUncapturedErrors, engine, gpu, gpuSkipReason } from './helpers/gpu.js';
import { invariantViolations } from './helpers/invariants.js';

const SEED = 987654321987654321n;
const POLICIES = [POLICY.static, POLICY.roundRobin, POLICY.adaptive];
const REPLICATES = 2;

interface Case {
  name: string;
  batch: Batch;
  oneByOne: number; // runs compared in batches of one run (each batch is a GPU submit)
}

const CASES: Case[] = [
  {
    name: "the paper's model",
    // 700 fleets × 3 policies × 2 replicates = 4,200 runs: batches of 4,096 leave a remainder
    batch: makeBatch(packFleets(Array.from({ length: 700 }, (_, f) => testFleet(5, f))), crossRuns(700, POLICIES, REPLICATES), {
      dt: 1,
      steps: 120,
      lmax: 999,
      price: 0.72,
      arrivals: 'poisson',
      seed: SEED,
    }),
    oneByOne: 300,
  },
  {
    name: 'every extension',
    batch: makeBatch(
      packFleets(Array.from({ length: 120 }, (_, f) => withSchedules(testFleet(6, f), 6, f, 300))),
      crossRuns(120, POLICIES, REPLICATES),
      {
        dt: 0.1,
        steps: 300,
        warmup: 37,
        work: 'exponential',
        signal: 'ema',
        emaAlpha: 0.3,
        lmax: 999,
        price: 0.72,
        arrivals: 'poisson',
        seed: SEED,
      },
    ),
    oneByOne: 60,
  },
];

/** Runs [begin, end) of `all` as a batch of their own (same fleets and streams). */
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

/** Bytes of every run's totals, in run order, for byte-for-byte comparison across batchings. */
function runBytes(batch: Batch, totals: RunTotals): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (let r = 0; r < batch.runs.count; r++) {
    const from = totals.agentOffset[r]!;
    const to = from + totals.agentCount[r]!;
    const parts = TOTAL_FIELDS.map((f) => new Uint8Array(totals[f].slice(from, to).buffer));
    const bytes = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
    let at = 0;
    for (const p of parts) {
      bytes.set(p, at);
      at += p.length;
    }
    out.push(bytes);
  }
  return out;
}

/** Runs [0, total) of `all` in batches of `size` runs and concatenates the per-run bytes. */
async function inBatches(all: Batch, run: (b: Batch) => Promise<RunTotals>, size: number, total = all.runs.count): Promise<Uint8Array[]> {
  const out: Uint8Array[] = [];
  for (let begin = 0; begin < total; begin += size) {
    const batch = slice(all, begin, Math.min(begin + size, total));
    out.push(...runBytes(batch, await run(batch)));
  }
  return out;
}

function expectSameBytes(got: Uint8Array[], expected: Uint8Array[]): void {
  expect(got.length).toBe(expected.length);
  const first = got.findIndex((g, r) => Buffer.compare(g, expected[r]!) !== 0);
  expect(first, `run ${first} differs`).toBe(-1);
}

describe.each(CASES)('determinism of $name', ({ batch: all, oneByOne }) => {
  /** A tolerance for invariantViolations: f32 queues conserve work to ~steps·2^-24 of the arrivals. */
  const f32Slack = all.config.steps * 2 ** -24 * 4;

  describe('on the CPU', () => {
    const cpu = (b: Batch): Promise<RunTotals> => Promise.resolve(runBatchCpu(b));

    it('gives byte-identical runs for batches of 1, 7 and 4,096 runs and a split batch', async () => {
      const whole = await inBatches(all, cpu, all.runs.count);
      expect(invariantViolations(all, summarize(all, runBatchCpu(all)), 1e-9)).toEqual([]);
      expectSameBytes(await inBatches(all, cpu, 1, oneByOne), whole.slice(0, oneByOne));
      for (const size of [7, 4096]) expectSameBytes(await inBatches(all, cpu, size), whole);
      const split = allocTotals(all);
      for (let r = 0; r < all.runs.count; r += 1000) runBatchCpu(all, r, Math.min(r + 1000, all.runs.count), split);
      expectSameBytes(runBytes(all, split), whole);
    });
  });

  describe.skipIf(!gpu)(gpuSkipReason ?? 'on the GPU', () => {
    let reference: Uint8Array[];
    let plain: GpuEngine;
    const gpuRun =
      (e: GpuEngine) =>
      async (b: Batch): Promise<RunTotals> => {
        const totals = await e.run(b);
        assertNoUncapturedErrors();
        return totals;
      };

    beforeAll(async () => {
      plain = await engine();
      reference = await inBatches(all, gpuRun(plain), all.runs.count);
      const totals = await plain.run(all);
      expect(invariantViolations(all, summarize(all, totals), f32Slack)).toEqual([]);
    });

    it('submits its first chunk before run() first yields, once the pipeline is compiled', async () => {
      // A sweep launches the next batch and then works on the last one's statistics without yielding
      // (src/sweep/run.ts): the kernel overlaps that work only if run() has submitted by then.
      const queue = plain.device.queue;
      const submit = queue.submit.bind(queue);
      let submitted = 0;
      queue.submit = (buffers: Iterable<GPUCommandBuffer>): undefined => {
        submitted++;
        return submit(buffers);
      };
      try {
        const running = plain.run(all);
        expect(submitted).toBe(1);
        await running;
      } finally {
        queue.submit = submit;
      }
    });

    it('gives byte-identical runs for batches of 1, 7 and 4,096 runs', async () => {
      expectSameBytes(await inBatches(all, gpuRun(plain), 1, oneByOne), reference.slice(0, oneByOne));
      for (const size of [7, 4096]) expectSameBytes(await inBatches(all, gpuRun(plain), size), reference);
    });

    it('gives each run the same bytes in a group sharing its arrivals as alone', async () => {
      // Six adjacent runs per fleet replicate (the kernel cuts them into groups of MAX_GROUP_RUNS and
      // the rest), replicates alternating in a second stretch so that no run has a neighbour to share with.
      const policies = [POLICY.adaptive, POLICY.static, POLICY.roundRobin, POLICY.adaptive, POLICY.roundRobin, POLICY.static];
      const grouped = crossRuns(20, policies, 2);
      const alternating = crossRuns(20, [POLICY.adaptive], 2);
      const runs = {
        count: grouped.count + alternating.count,
        fleet: Uint32Array.from([...grouped.fleet, ...alternating.fleet.map((_, r) => alternating.fleet[(r * 7) % alternating.count]!)]),
        policy: Uint32Array.from([...grouped.policy, ...alternating.policy]),
        replicate: Uint32Array.from([
          ...grouped.replicate,
          ...alternating.replicate.map((_, r) => alternating.replicate[(r * 7) % alternating.count]!),
        ]),
      };
      const batch = makeBatch(all.fleets, runs, all.config);
      const e = await engine();
      const groups = runGroups(
        batch,
        Uint32Array.from({ length: runs.count }, (_, r) => r),
      );
      expect(Math.max(...groups.slice(1).map((g, k) => g - groups[k]!))).toBe(MAX_GROUP_RUNS);
      expectSameBytes(runBytes(batch, await gpuRun(e)(batch)), await inBatches(batch, gpuRun(e), 1));
    });

    it.each<[string, GpuEngineOptions]>([
      ['narrow', {}],
      ['wide', { wideAbove: 0 }],
    ])('gives byte-identical static and round-robin runs in both loop orders of the %s kernel', async (_, options) => {
      // Under the nominal signal the kernels run the agents one after the other through the steps,
      // under the others step by step over all agents; static and round-robin ignore the signal, so
      // their runs must not change with it (nor with the kernel: they need no sum).
      const other = all.config.signal === 'ema' ? 'nominal' : 'ema';
      const swapped = makeBatch(all.fleets, all.runs, { ...all.config, signal: other });
      const got = runBytes(swapped, await gpuRun(await engine(options))(swapped));
      const kept = (r: number): boolean => all.runs.policy[r] !== POLICY.adaptive;
      expectSameBytes(
        got.filter((_, r) => kept(r)),
        reference.filter((_, r) => kept(r)),
      );
      const adaptive = got.findIndex((bytes, r) => !kept(r) && Buffer.compare(bytes, reference[r]!) !== 0);
      expect(adaptive, 'the signal changes some adaptive run').toBeGreaterThanOrEqual(0);
    });

    it.each<[string, GpuEngineOptions]>([
      ['small run chunks', { maxRunsPerChunk: 500 }],
      ['small buffers', { maxChunkBytes: 64 * 1024 }],
      ['a folded 2-D grid', { maxWorkgroupsPerDimension: 20, workgroupSize: 32 }],
      ['one step per dispatch', { stepsPerDispatch: 1 }],
      ['16 steps per dispatch', { stepsPerDispatch: 16 }],
    ])('gives byte-identical runs with %s', async (_, options) => {
      const e = await engine(options);
      if (options.maxRunsPerChunk || options.maxChunkBytes) expect(e.planChunks(all).length).toBeGreaterThan(1);
      expectSameBytes(runBytes(all, await gpuRun(e)(all)), reference);
    });
  });
});

describe('dispatch planning', () => {
  const limits = { maxComputeWorkgroupsPerDimension: 65535 } as GPUSupportedLimits;
  it('keeps small grids 1-D and folds large ones into 2-D within the limits', () => {
    expect(planGrid(100, 64, limits)).toEqual({ x: 2, y: 1, gridWidth: 128 });
    const big = planGrid(10_000_000, 64, limits);
    expect(big.y).toBeGreaterThan(1);
    expect(big.x).toBeLessThanOrEqual(65535);
    expect(big.x * big.y * 64).toBeGreaterThanOrEqual(10_000_000);
  });
});
