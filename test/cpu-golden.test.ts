/**
 * Golden values of the CPU reference engine: the exact f64 totals (and per-step series) of a table of
 * batches that between them use every feature of the engine (deterministic and Poisson arrivals with
 * means from 0 through both samplers up to 5·10^6, schedules, every signal, exponential work, warm-up,
 * requests in the system, capacity ≠ 1, idle fleets, custom stream ids, seeds above 2^32, runs in any
 * order, partial ranges accumulated onto non-zero totals). Any change to any bit of any result fails
 * here (where the hashes came from: bench/NOTES.md, The CPU engine); `test/golden/cpu-engine.json` holds
 * them per case and per field, so a failure names both.
 *
 * The values change only when the model does, on purpose. Then re-record them with
 *   FLEETSIM_WRITE_GOLDEN=1 npx vitest run test/cpu-golden.test.ts
 * and say in the commit why every changed case had to change.
 */
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { runBatchCpu, runSeriesCpu } from '../src/cpu/engine.js';
import { type Batch, crossRuns, type FleetSpec, makeBatch, packFleets, type PackedRuns, type SimConfig } from '../src/model/batch.js';
import { allocTotals, type RunTotals, TOTAL_FIELDS } from '../src/model/metrics.js';
import { PAPER_AGENTS, PAPER_CONFIG } from '../src/model/paper.js';
import { POLICY } from '../src/model/policies.js';
import { DEFAULT_RANDOM_FLEETS as DEFAULT_RANGES, randomFleets } from '../src/model/randomFleets.js';
import { testFleet, withSchedules } from './helpers/fleets.js';

const FIXTURE = join(dirname(fileURLToPath(import.meta.url)), 'golden', 'cpu-engine.json');
const WRITE = process.env.FLEETSIM_WRITE_GOLDEN === '1';
const POLICIES = [POLICY.static, POLICY.roundRobin, POLICY.adaptive];
const BIG_SEED = 0xfedcba9876543210n; // both key words non-zero, the high one above 2^31

type Digests = Record<string, string>;
const recorded: Record<string, Digests> = WRITE ? {} : (JSON.parse(readFileSync(FIXTURE, 'utf8')) as Record<string, Digests>);

/** SHA-256 of the bytes of an f64 column (little-endian, as every platform Node runs on stores them). */
const digest = (xs: Float64Array): string =>
  createHash('sha256')
    .update(new Uint8Array(xs.buffer, xs.byteOffset, xs.byteLength))
    .digest('hex')
    .slice(0, 32);

const totalsDigests = (totals: RunTotals): Digests => Object.fromEntries(TOTAL_FIELDS.map((field) => [field, digest(totals[field])]));

function batchOf(fleets: readonly FleetSpec[], config: SimConfig, replicates = 1, streams?: ArrayLike<number>): Batch {
  // The arrival statistics recorded too, so their totals are pinned (they never touch the others).
  return makeBatch(packFleets(fleets, streams), crossRuns(fleets.length, POLICIES, replicates), { ...config, arrivalStats: true });
}

const poisson = (extra: Partial<SimConfig> = {}): SimConfig => ({ ...PAPER_CONFIG, arrivals: 'poisson', seed: BIG_SEED, ...extra });
const tests = (count: number, seed: number): FleetSpec[] => Array.from({ length: count }, (_, f) => testFleet(seed, f));
const scheduled = (count: number, seed: number, steps: number, maxMultiplier?: number): FleetSpec[] =>
  tests(count, seed).map((fleet, f) => withSchedules(fleet, seed, f, steps, maxMultiplier));

/** One agent per mean of interest: 0, tiny, both sides of the sampler switch at 10, and large. */
const MEANS = [0, 1e-6, 0.3, 4.5, 9.999, 10, 10.5, 37, 1000, 5e6];
const meanFleet: FleetSpec = {
  agents: MEANS.map((lambda, i) => ({ T: Math.max(1, lambda * (0.5 + (i % 3) * 0.4)), R: 0.05 * (1 + (i % 4)), P: 1 + (i % 3), lambda })),
};

/** Runs in an order crossRuns never produces: replicates up to 6, policies interleaved, fleets mixed. */
function shuffledRuns(fleetCount: number, count: number): PackedRuns {
  const runs: PackedRuns = { count, fleet: new Uint32Array(count), policy: new Uint32Array(count), replicate: new Uint32Array(count) };
  for (let r = 0; r < count; r++) {
    runs.fleet[r] = (r * 7 + 3) % fleetCount;
    runs.policy[r] = (r * 5 + 1) % 3;
    runs.replicate[r] = (r * 11) % 7;
  }
  return runs;
}

interface Case {
  name: string;
  batch: () => Batch;
}

const CASES: Case[] = [
  { name: 'paper, deterministic (Table II)', batch: () => batchOf([{ agents: PAPER_AGENTS }], PAPER_CONFIG) },
  { name: 'paper, Poisson, 3 replicates, 300 steps', batch: () => batchOf([{ agents: PAPER_AGENTS }], poisson({ steps: 300 }), 3) },
  { name: 'random test fleets (1–64 agents), Poisson', batch: () => batchOf(tests(40, 11), poisson({ steps: 60 }), 2) },
  {
    name: 'random fleets of the CLI family, 16 and 64 agents',
    batch: () =>
      batchOf(
        [
          ...randomFleets(5, 0, 3, { ...DEFAULT_RANGES, agents: [16, 16] }),
          ...randomFleets(5, 3, 2, { ...DEFAULT_RANGES, agents: [64, 64] }),
        ],
        poisson({ steps: 50, seed: 5 }),
      ),
  },
  { name: 'means 0 … 5e6, Poisson, Δt = 1', batch: () => batchOf([meanFleet], poisson({ steps: 40 }), 2) },
  {
    name: 'schedules, deterministic, warm-up, Δt = 0.5',
    batch: () => batchOf(scheduled(30, 12, 80), { ...PAPER_CONFIG, dt: 0.5, steps: 80, warmup: 10 }),
  },
  { name: 'schedules, Poisson, observed signal', batch: () => batchOf(scheduled(30, 13, 70), poisson({ steps: 70, signal: 'observed' })) },
  {
    name: 'Poisson, ema signal with the default α, Δt = 0.3',
    batch: () => batchOf(tests(30, 14), poisson({ dt: 0.3, steps: 60, signal: 'ema' })),
  },
  { name: 'Poisson, exponential work, nominal signal', batch: () => batchOf(tests(30, 15), poisson({ steps: 60, work: 'exponential' })) },
  {
    name: 'every extension: schedules, ema α = 0.7, exponential work, warm-up, Δt = 0.1',
    batch: () =>
      batchOf(scheduled(30, 16, 90), poisson({ dt: 0.1, steps: 90, warmup: 23, work: 'exponential', signal: 'ema', emaAlpha: 0.7 }), 2),
  },
  {
    name: 'stream ids near 2^32, runs in shuffled order',
    batch: () =>
      makeBatch(
        packFleets(
          tests(9, 17),
          Array.from({ length: 9 }, (_, f) => 0xffffffff - 3 * f),
        ),
        shuffledRuns(9, 60),
        poisson({ steps: 30, seed: 1 }),
      ),
  },
  { name: 'one step', batch: () => batchOf(tests(10, 18), poisson({ steps: 1 })) },
  {
    name: 'warm-up of all steps but the last',
    batch: () => batchOf(tests(10, 19), poisson({ steps: 25, warmup: 24, signal: 'observed' })),
  },
  {
    name: '64 agents, observed signal, exponential work',
    batch: () =>
      batchOf(
        [{ agents: Array.from({ length: 64 }, (_, i) => ({ T: 10 + i, R: 0.02, P: 1 + (i % 3), lambda: 0.3 * (10 + i) })) }],
        poisson({ steps: 50, signal: 'observed', work: 'exponential' }),
        2,
      ),
  },
];

const observed: Record<string, Digests> = {};

function check(name: string, got: Digests): void {
  if (WRITE) {
    observed[name] = got;
    return;
  }
  const want = recorded[name];
  expect(want, `no golden values recorded for "${name}"`).toBeDefined();
  for (const [field, hash] of Object.entries(got)) expect(hash, `${name}: ${field}`).toBe(want![field]);
  expect(Object.keys(got).sort()).toEqual(Object.keys(want!).sort());
}

describe('the CPU engine reproduces its recorded results bit for bit', () => {
  it.each(CASES.map((c) => [c.name, c] as const))('%s', (name, c) => {
    const batch = c.batch();
    check(name, totalsDigests(runBatchCpu(batch)));
  });

  it('accumulates a range of runs onto the totals it is given', () => {
    const batch = CASES[9]!.batch();
    const totals = allocTotals(batch);
    for (const field of TOTAL_FIELDS) totals[field].forEach((_, j, xs) => (xs[j] = (j % 13) * 0.37 - 1.5));
    runBatchCpu(batch, 7, 41, totals);
    check('range [7, 41) onto non-zero totals', totalsDigests(totals));
  });

  it('gives each run the same bits alone as in a group of runs sharing its arrivals (groups split past 16)', () => {
    // 40 runs of fleet 0 replicate 1 (every policy, repeated), then runs of one fleet alternating replicates
    const count = 40 + 30;
    const runs: PackedRuns = { count, fleet: new Uint32Array(count), policy: new Uint32Array(count), replicate: new Uint32Array(count) };
    for (let r = 0; r < count; r++) {
      runs.fleet[r] = r < 40 ? 0 : 1 + ((r >> 3) % 3);
      runs.policy[r] = (r * 7) % 3;
      runs.replicate[r] = r < 40 ? 1 : (r >> 1) % 2; // pairs of one replicate after pairs of the other
    }
    for (const config of [
      poisson({ steps: 300, work: 'exponential', signal: 'ema', emaAlpha: 0.4, warmup: 5 }),
      { ...PAPER_CONFIG, steps: 40 },
    ]) {
      const batch = makeBatch(packFleets(scheduled(4, 21, 300)), runs, config);
      const together = runBatchCpu(batch);
      const alone = allocTotals(batch);
      for (let r = 0; r < count; r++) runBatchCpu(batch, r, r + 1, alone);
      for (const field of TOTAL_FIELDS) expect(digest(together[field]), field).toBe(digest(alone[field]));
    }
  });

  it('reproduces per-step series of runs under every policy', () => {
    const series: Digests = {};
    for (const [c, runs] of [
      [2, [0, 1, 2, 40, 41, 42]],
      [9, [3, 4, 5]],
      [4, [0, 1, 2]],
    ] as const) {
      const batch = CASES[c]!.batch();
      for (const r of runs) {
        const s = runSeriesCpu(batch, r);
        for (const column of ['arrivals', 'work', 'share', 'served', 'queue', 'latency'] as const)
          series[`case ${c} run ${r} ${column}`] = digest(s[column]);
      }
    }
    check('series', series);
  });
});

afterAll(() => {
  if (WRITE) writeFileSync(FIXTURE, `${JSON.stringify(observed, null, 2)}\n`);
});
