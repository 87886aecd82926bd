/**
 * The CPU engine's WebAssembly kernel (src/cpu/wasm) against its JavaScript twin: Philox blocks (the
 * Random123 known-answer vectors and random counters against src/random/philox.ts), and the engine's
 * totals bit for bit with FLEETSIM_CPU_KERNEL=wasm and =js on a table of batches (paper and random
 * fleets, every registered policy and signal, Poisson, deterministic and bursty arrivals, schedules,
 * exponential work, warm-up, fleets whose chunks end mid-run), on one thread and on the worker pool,
 * and ranges added onto non-integer totals. The kernel is
 * the built dist/src/cpu/wasm/kernel.wasm, which `npm test` builds first.
 */
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { runBatchCpu } from '../src/cpu/engine.js';
import { acquireKernel, CPU_KERNEL_ENV, cpuKernel, releaseKernel, type WasmKernel } from '../src/cpu/wasm/kernel.js';
import { CpuWorkerPool } from '../src/cpu/workers.js';
import { type Batch, crossRuns, type FleetSpec, makeBatch, packFleets, type PackedRuns, type SimConfig } from '../src/model/batch.js';
import { type RunTotals, TOTAL_FIELDS } from '../src/model/metrics.js';
import { PAPER_AGENTS, PAPER_CONFIG } from '../src/model/paper.js';
import { POLICIES as POLICIES_BY_NAME, POLICY, POLICY_NAMES } from '../src/model/policies.js';
import { DEFAULT_RANDOM_FLEETS, randomFleets } from '../src/model/randomFleets.js';
import {
  type DrawStream,
  KEY_WORDS,
  philox4x32,
  philoxBlock,
  philoxBlocks4,
  philoxKey,
  philoxPrefix,
  PREFIX_WORDS,
} from '../src/random/philox.js';
import { buildPoissonTable, TABLE_HEADER_WORDS, tableDraw } from '../src/random/poissonTable.js';
import { testFleet, withSchedules } from './helpers/fleets.js';

const POLICIES = [POLICY.static, POLICY.roundRobin, POLICY.adaptive];
const ALL_POLICIES = POLICY_NAMES.map((name) => POLICIES_BY_NAME[name].id);
const saved = process.env[CPU_KERNEL_ENV];
afterEach(() => {
  if (saved === undefined) delete process.env[CPU_KERNEL_ENV];
  else process.env[CPU_KERNEL_ENV] = saved;
});

/** Runs `f` with FLEETSIM_CPU_KERNEL set to `kernel`. */
function withKernel<T>(kernel: 'wasm' | 'js', f: () => T): T {
  const before = process.env[CPU_KERNEL_ENV];
  process.env[CPU_KERNEL_ENV] = kernel;
  try {
    return f();
  } finally {
    if (before === undefined) delete process.env[CPU_KERNEL_ENV];
    else process.env[CPU_KERNEL_ENV] = before;
  }
}

/** A kernel for the duration of `f`. */
function withWasm<T>(f: (kernel: WasmKernel) => T): T {
  const kernel = withKernel('wasm', () => acquireKernel(0))!;
  try {
    return f(kernel);
  } finally {
    releaseKernel(kernel);
  }
}

/** The first field and agent-run where two totals differ (bit for bit: NaN = NaN, 0 ≠ −0), or null. */
function firstDifference(a: RunTotals, b: RunTotals): string | null {
  for (const field of TOTAL_FIELDS) {
    const x = new Uint32Array(a[field].buffer, a[field].byteOffset, 2 * a[field].length);
    const y = new Uint32Array(b[field].buffer, b[field].byteOffset, 2 * b[field].length);
    for (let k = 0; k < x.length; k++) if (x[k] !== y[k]) return `${field}[${k >> 1}]: ${a[field][k >> 1]} ≠ ${b[field][k >> 1]}`;
  }
  return null;
}

/** A tiny deterministic generator of u32 for the random counters (xorshift32). */
function words(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    return (s >>>= 0);
  };
}

describe('the WebAssembly kernel', () => {
  it('is built and loads (FLEETSIM_CPU_KERNEL=js turns it off; other values are refused)', () => {
    expect(withKernel('wasm', () => cpuKernel())).toBe('wasm');
    expect(withKernel('js', () => cpuKernel())).toBe('js');
    expect(withKernel('js', () => acquireKernel(0))).toBeNull();
    process.env[CPU_KERNEL_ENV] = 'fast';
    expect(() => cpuKernel()).toThrow('FLEETSIM_CPU_KERNEL: must be one of auto, wasm, js; got "fast"');
  });

  it('computes Philox4x32-10 blocks as the Random123 known-answer vectors say', () => {
    withWasm((kernel) => {
      const { exports: x, u32 } = kernel;
      for (const [ctr, [k0, k1], expected] of [
        [
          [0, 0, 0, 0],
          [0, 0],
          [0x6627e8d5, 0xe169c58d, 0xbc57ac4c, 0x9b00dbd8],
        ],
        [
          [0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff],
          [0xffffffff, 0xffffffff],
          [0x408f276d, 0x41c83b0e, 0xa20bc7c6, 0x6d5451fd],
        ],
        [
          [0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344],
          [0xa4093822, 0x299f31d0],
          [0xd16cfe09, 0x94fdcceb, 0x5001e420, 0x24126ea1],
        ],
      ] as const) {
        u32.set(new Uint32Array(philoxKey(k0, k1).buffer), kernel.key >> 2);
        x.philoxPrefix(kernel.key, ctr[0], ctr[1], ctr[2], kernel.prefix);
        x.philoxBlock(kernel.key, kernel.prefix, ctr[3], kernel.block);
        expect(Array.from(u32.subarray(kernel.block >> 2, (kernel.block >> 2) + 4))).toEqual(expected);
      }
    });
  });

  it('gives the same words as philox4x32, philoxPrefix, philoxBlock and philoxBlocks4 on random counters and keys', () => {
    withWasm((kernel) => {
      const { exports: x, u32 } = kernel;
      const next = words(0xc0ffee);
      const jsKey = new Int32Array(KEY_WORDS);
      const jsPrefix = new Int32Array(4 * PREFIX_WORDS);
      const jsBlocks = new Int32Array(16);
      const jsBlock = new Uint32Array(4);
      for (let trial = 0; trial < 2000; trial++) {
        const [k0, k1] = trial === 0 ? [0, 0] : [next(), next()];
        const stream = next();
        const replicate = trial % 3 === 0 ? trial : next();
        const step = trial % 5 === 0 ? 0x0fffffff : next() >>> 4;
        const word3 = trial % 7 === 0 ? 0xffffffff : next();
        philoxKey(k0, k1, jsKey);
        u32.set(new Uint32Array(jsKey.buffer), kernel.key >> 2);
        for (let s = 0; s < 4; s++) philoxPrefix(jsKey, stream, replicate, step + s, jsPrefix, s * PREFIX_WORDS);
        x.philoxPrefixes(kernel.key, stream, replicate, step, step + 4, kernel.prefix);
        const wasmPrefix = u32.subarray(kernel.prefix >> 2, (kernel.prefix >> 2) + 4 * PREFIX_WORDS);
        expect(Array.from(new Uint32Array(jsPrefix.buffer))).toEqual(Array.from(wasmPrefix));
        philoxBlocks4(jsKey, jsPrefix, 0, word3 | 0, jsBlocks, 0);
        x.philoxBlocks(kernel.key, kernel.prefix, 4, word3, kernel.arrivals);
        expect(Array.from(u32.subarray(kernel.arrivals >> 2, (kernel.arrivals >> 2) + 16))).toEqual(
          Array.from(new Uint32Array(jsBlocks.buffer)),
        );
        philoxBlock(jsKey, jsPrefix, PREFIX_WORDS, word3 | 0, jsBlock, 0);
        expect(Array.from(jsBlock)).toEqual(Array.from(u32.subarray((kernel.arrivals >> 2) + 4, (kernel.arrivals >> 2) + 8)));
        expect(Array.from(philox4x32([stream, replicate, step, word3], k0, k1))).toEqual(
          Array.from(u32.subarray(kernel.arrivals >> 2, (kernel.arrivals >> 2) + 4)),
        );
      }
    });
  });
});

describe('the kernel’s Poisson draw by table', () => {
  it('gives tableDraw’s count for every threshold, its neighbours, the tail and random words', () => {
    withWasm((kernel) => {
      const next = words(0xbadc0de);
      for (const mean of [1e-4, 0.3, 4.5, 9.999, 10, 37, 80.25, 333.3, 1024]) {
        const mu = Math.fround(mean);
        const table = buildPoissonTable(mu);
        kernel.layout(table.length);
        kernel.u32.set(table, kernel.tables >> 2);
        const L = table[0]!;
        const xs = [0, 1, 0xffffffff, 0xfffffffe];
        for (let j = 0; j < L; j++) {
          const th = table[TABLE_HEADER_WORDS + j]!;
          xs.push(th, Math.max(0, th - 1), Math.min(0xffffffff, th + 1));
        }
        for (let k = 0; k < 5000; k++) xs.push(next());
        let tails = 0;
        for (const x of xs) {
          for (const x1 of x >= table[TABLE_HEADER_WORDS + L - 1]!
            ? [0, 255, 256, 0x80000000, 0xfffffeff, 0xffffffff, next(), next()]
            : [next()]) {
            const draws = { nextU32: () => x1 } as unknown as DrawStream;
            const want = tableDraw(table, 0, mu, x, draws);
            if (want >= table[1]! + L) tails++;
            expect(kernel.exports.tableDraw(kernel.tables, mu, x, x1), `μ = ${mu}, x = ${x}, x1 = ${x1}`).toBe(want);
          }
        }
        expect(tails, `μ = ${mu}: the tail was drawn`).toBeGreaterThan(0);
      }
    });
  });
});

const poisson = (extra: Partial<SimConfig> = {}): SimConfig => ({
  ...PAPER_CONFIG,
  arrivals: 'poisson',
  seed: 0xfedcba9876543210n,
  ...extra,
});
const tests = (count: number, seed: number): FleetSpec[] => Array.from({ length: count }, (_, f) => testFleet(seed, f));
const batchOf = (fleets: readonly FleetSpec[], config: SimConfig, replicates = 1): Batch =>
  makeBatch(packFleets(fleets), crossRuns(fleets.length, POLICIES, replicates), config);
/** Agents with their own bursty processes (gamma, weibull, mmpp) beside Poisson ones. */
const bursty = (count: number, seed: number): FleetSpec[] =>
  tests(count, seed).map((fleet, f) => ({
    ...fleet,
    agents: fleet.agents.map((agent, i) => {
      const kind = (f + i) % 4;
      if (kind === 0) return { ...agent, arrivals: { process: 'gamma', cv: 2 } };
      if (kind === 1) return { ...agent, arrivals: { process: 'weibull', cv: 0.5 } };
      if (kind === 2) return { ...agent, arrivals: { process: 'mmpp', mmpp: { idc: 5, highFraction: 0.2, peakRatio: 3 } } };
      return agent;
    }),
  }));
/** Runs in an order crossRuns never produces: policies interleaved, replicates mixed, groups split. */
function shuffledRuns(fleetCount: number, count: number): PackedRuns {
  const runs: PackedRuns = { count, fleet: new Uint32Array(count), policy: new Uint32Array(count), replicate: new Uint32Array(count) };
  for (let r = 0; r < count; r++) {
    runs.fleet[r] = (r * 7 + 3) % fleetCount;
    runs.policy[r] = (r * 5 + 1) % 3;
    runs.replicate[r] = (r * 11) % 7;
  }
  return runs;
}

/** Batches that between them take every path of the engine, each with and without arrival statistics. */
const CASES: [string, () => Batch][] = [
  ['paper, deterministic', () => batchOf([{ agents: PAPER_AGENTS }], PAPER_CONFIG, 2)],
  ['paper, Poisson, 1,200 steps (two chunks)', () => batchOf([{ agents: PAPER_AGENTS }], poisson({ steps: 1200 }), 3)],
  ['random test fleets (1–64 agents), Poisson', () => batchOf(tests(30, 41), poisson({ steps: 150 }), 2)],
  [
    'random fleets of the CLI family, 16 and 64 agents (chunks of 512 and 128 steps)',
    () =>
      batchOf(
        [
          ...randomFleets(4, 0, 7, { ...DEFAULT_RANDOM_FLEETS, agents: [16, 16] }),
          ...randomFleets(3, 4, 7, { ...DEFAULT_RANDOM_FLEETS, agents: [64, 64] }),
        ],
        poisson({ steps: 600, seed: 9 }),
      ),
  ],
  [
    'schedules, Poisson, observed signal, warm-up',
    () =>
      batchOf(
        tests(20, 43).map((f, i) => withSchedules(f, 43, i, 90)),
        poisson({ steps: 90, signal: 'observed', warmup: 7 }),
      ),
  ],
  ['Poisson, ema signal, Δt = 0.3', () => batchOf(tests(20, 44), poisson({ dt: 0.3, steps: 80, signal: 'ema', emaAlpha: 0.3 }))],
  ['Poisson, exponential work', () => batchOf(tests(20, 45), poisson({ steps: 70, work: 'exponential' }))],
  ['bursty processes beside Poisson, ema signal', () => batchOf(bursty(16, 46), poisson({ steps: 80, signal: 'ema' }))],
  [
    'deterministic with schedules, warm-up, Δt = 0.5',
    () =>
      batchOf(
        tests(20, 47).map((f, i) => withSchedules(f, 47, i, 60)),
        { ...PAPER_CONFIG, dt: 0.5, steps: 60, warmup: 9 },
      ),
  ],
  ['runs in shuffled order', () => makeBatch(packFleets(tests(9, 48)), shuffledRuns(9, 60), poisson({ steps: 40, seed: 3 }))],
  [
    'every registered policy (backlog-reading ones allocated step by step), warm-up, ema signal',
    () => makeBatch(packFleets(tests(12, 49)), crossRuns(12, ALL_POLICIES, 2), poisson({ steps: 300, warmup: 13, signal: 'ema' })),
  ],
];

describe('the engine gives the same bits with the WebAssembly kernel as with the JavaScript loop', () => {
  it.each(CASES.flatMap(([name, batch]) => [[`${name}`, batch, false] as const, [`${name}, arrival statistics`, batch, true] as const]))(
    '%s',
    (_, make, stats) => {
      const base = make();
      const batch = { ...base, config: { ...base.config, arrivalStats: stats } };
      const js = withKernel('js', () => runBatchCpu(batch));
      const wasm = withKernel('wasm', () => runBatchCpu(batch));
      expect(firstDifference(wasm, js)).toBeNull();
    },
  );

  it.each([2, 10])('gives the same bits on ranges added onto given totals (case %i)', (index) => {
    const batch = CASES[index]![1]();
    const [js, wasm] = (['js', 'wasm'] as const).map((k) =>
      withKernel(k, () => {
        const totals = runBatchCpu(batch, 0, 0);
        for (const field of TOTAL_FIELDS) totals[field].forEach((_, j, xs) => (xs[j] = (j % 13) * 0.37 - 1.5));
        for (let r = 0; r < batch.runs.count; r += 7) runBatchCpu(batch, r, Math.min(batch.runs.count, r + 7), totals);
        return totals;
      }),
    );
    expect(firstDifference(wasm!, js!)).toBeNull();
  });
});

describe('the worker pool with the WebAssembly kernel', () => {
  const pools: CpuWorkerPool[] = [];
  afterAll(async () => {
    for (const p of pools) await p.close();
  });

  it('gives the JavaScript loop’s bits on two threads', async () => {
    // The workers start with the first batch and inherit the environment then: wasm, or an error.
    process.env[CPU_KERNEL_ENV] = 'wasm';
    const pool = new CpuWorkerPool(2, { minSharedAgentSteps: 0, minRangeAgentSteps: 1 });
    pools.push(pool);
    for (const index of [1, 3, 7]) {
      const batch = CASES[index]![1]();
      const js = withKernel('js', () => runBatchCpu(batch));
      const pooled = await pool.run(batch);
      expect(pool.workersStarted).toBe(2);
      expect(firstDifference(pooled, js)).toBeNull();
    }
  });
});
