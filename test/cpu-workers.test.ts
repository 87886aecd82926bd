/**
 * The CPU worker pool (src/cpu/workers.ts): the same bits as one thread for every feature, whatever
 * the number of threads and the split, ranges added onto given totals, batches queued in order on
 * workers started once, and small batches kept on the calling thread. The workers run the built
 * module (dist/src/cpu/worker.js), which `npm test` builds first.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { runBatchCpu } from '../src/cpu/engine.js';
import { CpuWorkerPool, sharedCopy, splitRuns } from '../src/cpu/workers.js';
import { type Batch, crossRuns, makeBatch, packFleets, type SimConfig } from '../src/model/batch.js';
import { allocTotals, type RunTotals, TOTAL_FIELDS } from '../src/model/metrics.js';
import { PAPER_AGENTS, PAPER_CONFIG } from '../src/model/paper.js';
import { POLICY } from '../src/model/policies.js';
import { testFleet, withSchedules } from './helpers/fleets.js';

const POLICIES = [POLICY.static, POLICY.roundRobin, POLICY.adaptive];
const poisson = (extra: Partial<SimConfig> = {}): SimConfig => ({ ...PAPER_CONFIG, arrivals: 'poisson', seed: 424242, ...extra });

const CASES: [string, () => Batch][] = [
  [
    'random fleets, Poisson',
    () => makeBatch(packFleets(Array.from({ length: 60 }, (_, f) => testFleet(31, f))), crossRuns(60, POLICIES, 2), poisson({ steps: 80 })),
  ],
  [
    'every extension',
    () =>
      makeBatch(
        packFleets(Array.from({ length: 40 }, (_, f) => withSchedules(testFleet(32, f), 32, f, 120))),
        crossRuns(40, POLICIES, 2),
        poisson({ dt: 0.1, steps: 120, warmup: 17, work: 'exponential', signal: 'ema', emaAlpha: 0.4 }),
      ),
  ],
  [
    'paper, deterministic',
    () => makeBatch(packFleets(Array.from({ length: 30 }, () => ({ agents: PAPER_AGENTS }))), crossRuns(30, POLICIES, 1), PAPER_CONFIG),
  ],
];

/** The first field and agent-run where two totals differ, or null. */
function firstDifference(a: RunTotals, b: RunTotals): string | null {
  for (const field of TOTAL_FIELDS) {
    for (let j = 0; j < a[field].length; j++) {
      if (!Object.is(a[field][j], b[field][j])) return `${field}[${j}]: got ${a[field][j]}, expected ${b[field][j]}`;
    }
  }
  return null;
}

const pools: CpuWorkerPool[] = [];
/** A pool that shares every batch, cut into as many ranges as it allows (16 per thread). */
const pool = (threads: number, minSharedAgentSteps = 0): CpuWorkerPool => {
  const p = new CpuWorkerPool(threads, { minSharedAgentSteps, minRangeAgentSteps: 1 });
  pools.push(p);
  return p;
};
afterAll(async () => {
  await Promise.all(pools.map((p) => p.close()));
});

describe('the CPU worker pool', () => {
  const two = pool(2);
  const three = pool(3);

  it.each(CASES)('gives the single thread’s bits: %s', async (_, make) => {
    const batch = make();
    const expected = runBatchCpu(batch);
    expect(firstDifference(await two.run(batch), expected)).toBeNull();
    expect(firstDifference(await three.run(batch), expected)).toBeNull();
  });

  it('adds a range of runs onto the totals it is given, as runBatchCpu does', async () => {
    const batch = CASES[1]![1]();
    const start = (): RunTotals => {
      const totals = allocTotals(batch);
      for (const field of TOTAL_FIELDS) totals[field].forEach((_, j, xs) => (xs[j] = (j % 7) * 0.25 - 0.5));
      return totals;
    };
    const expected = runBatchCpu(batch, 13, 201, start());
    expect(firstDifference(await two.run(batch, 13, 201, start()), expected)).toBeNull();
  });

  it('runs batches handed over without waiting one after another, on the workers it started once', async () => {
    const batches = CASES.map(([, make]) => make());
    const results = await Promise.all(batches.map((b) => two.run(b)));
    results.forEach((totals, k) => expect(firstDifference(totals, runBatchCpu(batches[k]!))).toBeNull());
    expect(two.workersStarted).toBe(2);
  });

  it('reuses released totals (zeroed) for the next batches, with the same bits; ignores totals it did not make', async () => {
    const reuse = pool(2);
    const batches = [CASES[1]![1](), CASES[1]![1](), CASES[0]![1]()];
    const first = await reuse.run(batches[0]!);
    const buffer = (first as RunTotals & { buffer: SharedArrayBuffer }).buffer;
    expect(firstDifference(first, runBatchCpu(batches[0]!))).toBeNull();
    reuse.release(first);
    reuse.release(allocTotals(batches[0]!)); // not the pool's: ignored
    // A batch of the same size gets the released buffer, zeroed (the runs add onto what is there).
    const second = await reuse.run(batches[1]!);
    expect((second as RunTotals & { buffer: SharedArrayBuffer }).buffer).toBe(buffer);
    expect(firstDifference(second, runBatchCpu(batches[1]!))).toBeNull();
    // Not released: the next batch gets another buffer, and `second` keeps its values.
    const kept = TOTAL_FIELDS.map((f) => Float64Array.from(second[f]));
    const third = await reuse.run(batches[2]!);
    expect((third as RunTotals & { buffer: SharedArrayBuffer }).buffer).not.toBe(buffer);
    expect(firstDifference(third, runBatchCpu(batches[2]!))).toBeNull();
    TOTAL_FIELDS.forEach((f, k) => expect(second[f]).toEqual(kept[k]));
  });

  it('copies a batch once into shared memory for all its workers (equal arrays, one buffer, the rest as is)', () => {
    const batch = CASES[1]![1]();
    const { copy, buffer } = sharedCopy(batch);
    expect(copy).toEqual(batch);
    expect(copy.fleets.T.buffer).toBe(buffer);
    expect(copy.runs.fleet.buffer).toBe(buffer);
    expect(copy.fleets.T).not.toBe(batch.fleets.T);
    expect(copy.config).toEqual(batch.config);
    // Reused when large enough, replaced when not.
    expect(sharedCopy(batch, buffer).buffer).toBe(buffer);
    expect(sharedCopy(batch, new SharedArrayBuffer(8)).buffer).not.toBe(buffer);
  });

  it('keeps batches below its threshold on the calling thread, and refuses work once closed', async () => {
    const small = pool(2, 1e9);
    const batch = CASES[0]![1]();
    expect(firstDifference(await small.run(batch), runBatchCpu(batch))).toBeNull();
    expect(small.workersStarted).toBe(0);
    await small.close();
    await expect(small.run(batch)).rejects.toThrow(/closed/);
  });

  it('rejects a thread count that is not a positive integer', () => {
    expect(() => new CpuWorkerPool(0)).toThrow(/threads/);
    expect(() => new CpuWorkerPool(1.5)).toThrow(/threads/);
  });
});

describe('splitting a batch across threads', () => {
  it('cuts [begin, end) into contiguous ranges of about equal agent-runs, between groups of shared arrivals', () => {
    const batch = CASES[0]![1](); // fleets of 1–64 agents; runs of one fleet replicate (3 policies) adjacent
    const totals = allocTotals(batch);
    const [begin, end] = [5, batch.runs.count - 4];
    const ranges = splitRuns(batch, totals, begin, end, 8);
    expect(ranges[0]![0]).toBe(begin);
    expect(ranges.at(-1)[1]).toBe(end);
    for (let k = 1; k < ranges.length; k++) expect(ranges[k]![0]).toBe(ranges[k - 1]![1]);
    const agentRuns = (r: number): number => totals.agentOffset[r]! + totals.agentCount[r]!;
    const total = agentRuns(end - 1) - totals.agentOffset[begin]!;
    for (let k = 0; k + 1 < ranges.length; k++) {
      const [from, to] = ranges[k]!;
      expect(to).toBeGreaterThan(from);
      // a cut lands where the fleet or the replicate changes (groups are 3 runs here) …
      expect(batch.runs.fleet[to] !== batch.runs.fleet[to - 1] || batch.runs.replicate[to] !== batch.runs.replicate[to - 1]).toBe(true);
      // … at most one run past the ideal cut and then the rest of its group: 3 runs of ≤ 64 agents
      const ideal = (total * (k + 1)) / 8;
      expect(Math.abs(agentRuns(to - 1) - totals.agentOffset[begin]! - ideal)).toBeLessThanOrEqual(3 * 64);
    }
  });
});
