/**
 * The engine extensions of MODEL.md Part 3 on the CPU reference, checked against their definitions
 * step by step (test/gpu-vs-cpu.test.ts then holds the GPU to the CPU): rate schedules, the f32 step
 * mean, warm-up, the signal the adaptive allocator sees, exponential work, requests in the system, the
 * defaults (which must leave every result bit-identical) and the configuration errors.
 */
import { describe, expect, it } from 'vitest';
import { runBatchCpu, runSeriesCpu } from '../src/cpu/engine.js';
import {
  type AgentSpec,
  type Batch,
  crossRuns,
  DEFAULT_EMA_ALPHA,
  type FleetSpec,
  makeBatch,
  MAX_EXPONENTIAL_MEAN,
  MAX_SCHEDULE_SEGMENTS,
  packFleets,
  policySettings,
  type SignalMode,
  type SimConfig,
  type WorkMode,
} from '../src/model/batch.js';
import { ConfigError } from '../src/model/errors.js';
import { inSystem, type RunTotals, summarize, TOTAL_FIELDS } from '../src/model/metrics.js';
import { PAPER_AGENTS, PAPER_CONFIG } from '../src/model/paper.js';
import { allocate, type FleetView, fleetView, newAllocation, shareOf } from '../src/model/allocate.js';
import { POLICY, type PolicyId } from '../src/model/policies.js';
import { MAX_POISSON_MEAN } from '../src/random/poisson.js';

const f = Math.fround;
const POISSON: SimConfig = { ...PAPER_CONFIG, arrivals: 'poisson', seed: 2026 };

function batchOf(
  fleets: readonly FleetSpec[],
  config: SimConfig,
  policies: readonly PolicyId[] = [POLICY.adaptive],
  replicates = 1,
): Batch {
  return makeBatch(packFleets(fleets), crossRuns(fleets.length, policies, replicates), config);
}

/** Agent i's value at step t in a RunSeries column. */
const at = (column: Float64Array, steps: number, i: number, t: number): number => column[i * steps + t]!;

const sameTotals = (a: RunTotals, b: RunTotals): void => {
  for (const field of TOTAL_FIELDS) expect(Array.from(a[field]), field).toEqual(Array.from(b[field]));
};

describe('rate schedules', () => {
  const schedule = [
    { start: 3, multiplier: 10 },
    { start: 5, multiplier: 1 },
    { start: 8, multiplier: 0 },
    { start: 9, multiplier: 2.5 },
  ];
  // m(t) by the definition: the last segment with start ≤ t, 1 before the first
  const expectedM = [1, 1, 1, 10, 10, 1, 1, 1, 0, 2.5, 2.5, 2.5];

  it('multiplies the mean by the last segment with start ≤ t, rounded to f32 as on the GPU', () => {
    const lambda = 13; // with Δt = 0.1: f32(13 × f32(0.1)) = 1.3000001, f32(13 × 0.1) = 1.2999999
    expect(f(f(lambda) * f(0.1))).not.toBe(f(f(lambda) * 0.1));
    const batch = batchOf([{ agents: [{ T: 100, R: 0.5, P: 1, lambda, schedule }] }], { ...PAPER_CONFIG, dt: 0.1, steps: 12 });
    const series = runSeriesCpu(batch, 0);
    expectedM.forEach((m, t) => expect(at(series.arrivals, 12, 0, t), `step ${t}`).toBe(f(f(f(lambda) * f(0.1)) * f(m))));
  });

  it('draws Poisson counts with the scheduled mean: none while ×0, ten times as many in a ×10 spike', () => {
    const spike = [
      { start: 10, multiplier: 10 },
      { start: 12, multiplier: 0 },
      { start: 14, multiplier: 1 },
    ];
    const replicates = 400;
    const batch = batchOf(
      [{ agents: [{ T: 100, R: 1, P: 1, lambda: 5, schedule: spike }] }],
      { ...POISSON, steps: 16 },
      [POLICY.static],
      replicates,
    );
    let before = 0;
    let during = 0;
    for (let r = 0; r < replicates; r++) {
      const series = runSeriesCpu(batch, r);
      for (let t = 0; t < 10; t++) before += at(series.arrivals, 16, 0, t);
      during += at(series.arrivals, 16, 0, 10) + at(series.arrivals, 16, 0, 11);
      expect(at(series.arrivals, 16, 0, 12) + at(series.arrivals, 16, 0, 13)).toBe(0);
    }
    // means 5 per step before (4,000 steps), 50 per step in the spike (800 steps); 4.5 standard errors
    expect(Math.abs(before / 4000 - 5)).toBeLessThan(4.5 * Math.sqrt(5 / 4000));
    expect(Math.abs(during / 800 - 50)).toBeLessThan(4.5 * Math.sqrt(50 / 800));
  });

  it('leaves every result bit-identical under segments of multiplier 1', () => {
    const flat = PAPER_AGENTS.map((a) => ({
      ...a,
      schedule: [
        { start: 0, multiplier: 1 },
        { start: 40, multiplier: 1 },
      ],
    }));
    const policies = [POLICY.static, POLICY.roundRobin, POLICY.adaptive];
    sameTotals(
      runBatchCpu(batchOf([{ agents: flat }], POISSON, policies)),
      runBatchCpu(batchOf([{ agents: PAPER_AGENTS }], POISSON, policies)),
    );
  });
});

describe('warm-up', () => {
  const config: SimConfig = { ...POISSON, dt: 0.5, steps: 80 };
  const warmup = 30;

  it('records only the steps t ≥ warmup and normalises by the steps recorded', () => {
    const unrecorded = batchOf([{ agents: PAPER_AGENTS }], config);
    const batch = batchOf([{ agents: PAPER_AGENTS }], { ...config, warmup });
    const series = runSeriesCpu(unrecorded, 0);
    const totals = runBatchCpu(batch);
    const S = config.steps;
    PAPER_AGENTS.forEach((_, i) => {
      const sum = (column: Float64Array, map: (x: number) => number = (x) => x): number => {
        let s = 0;
        for (let t = warmup; t < S; t++) s += map(at(column, S, i, t));
        return s;
      };
      expect(totals.latencySum[i]).toBe(sum(series.latency));
      expect(totals.servedSum[i]).toBe(sum(series.served));
      expect(totals.queueSum[i]).toBe(sum(series.queue));
      expect(totals.shareSum[i]).toBe(sum(series.share));
      expect(totals.arrivedSum[i]).toBe(sum(series.arrivals));
      expect(totals.systemSum[i]).toBe(sum(series.queue, inSystem));
      expect(totals.finalQueue[i]).toBe(at(series.queue, S, i, S - 1));
    });
    const result = summarize(batch, totals);
    const recorded = S - warmup;
    let latency = 0;
    let served = 0;
    let share = 0;
    for (let i = 0; i < PAPER_AGENTS.length; i++) {
      latency += totals.latencySum[i]! / recorded;
      served += totals.servedSum[i]!;
      share += totals.shareSum[i]!;
    }
    expect(result.avgLatency[0]).toBeCloseTo(latency / PAPER_AGENTS.length, 12);
    expect(result.throughput[0]).toBeCloseTo(served / (recorded * config.dt), 12);
    expect(result.cost[0]).toBeCloseTo(config.price * ((recorded * config.dt) / 3600) * (share / recorded), 15);
  });

  it('still simulates the warm-up: the final queues are those of the unrecorded run', () => {
    const plain = runBatchCpu(batchOf([{ agents: PAPER_AGENTS }], config));
    const warm = runBatchCpu(batchOf([{ agents: PAPER_AGENTS }], { ...config, warmup }));
    expect(Array.from(warm.finalQueue)).toEqual(Array.from(plain.finalQueue));
    expect(warm.latencySum[0]).toBeLessThan(plain.latencySum[0]!);
  });
});

describe('the signal the adaptive allocator sees', () => {
  // Poisson arrivals on a spiky schedule, so that observed rates move far from the nominal ones.
  const agents: AgentSpec[] = PAPER_AGENTS.map((a, i) => ({
    ...a,
    schedule: [
      { start: 5 + i, multiplier: 3 },
      { start: 12 + i, multiplier: 0.2 },
    ],
  }));
  const steps = 25;
  const viewAt = (rate: Float64Array): FleetView => {
    const packed = packFleets([{ agents }]);
    return fleetView(packed, 0, agents.length, 1, rate, new Float64Array(agents.length), policySettings(PAPER_CONFIG));
  };

  /** Shares the adaptive allocator gives with λ̂ from `next` (λ̂_0 = λ), compared with the engine's. */
  function expectShares(config: SimConfig, next: (previous: number, arrived: number) => number): void {
    const batch = batchOf([{ agents }], config);
    const series = runSeriesCpu(batch, 0);
    const nominal = runSeriesCpu(batchOf([{ agents }], { ...config, signal: 'nominal' }), 0);
    const rate = Float64Array.from(batch.fleets.lambda);
    const view = viewAt(rate);
    const alloc = newAllocation();
    let moved = 0;
    for (let t = 0; t < steps; t++) {
      allocate(POLICY.adaptive, view, t, alloc);
      for (let i = 0; i < agents.length; i++) {
        expect(at(series.share, steps, i, t), `step ${t} agent ${i}`).toBe(shareOf(alloc, view, i));
        if (at(series.share, steps, i, t) !== at(nominal.share, steps, i, t)) moved++;
      }
      for (let i = 0; i < agents.length; i++) rate[i] = next(rate[i]!, at(series.arrivals, steps, i, t));
    }
    expect(moved).toBeGreaterThan(steps); // the signal changed the shares
  }

  it('observed: λ̂_t = a_{t−1}/Δt, λ̂_0 = λ', () => {
    expectShares({ ...POISSON, dt: 0.5, steps, signal: 'observed' }, (_, a) => a / 0.5);
  });

  it('ema: λ̂_t = α·a_{t−1}/Δt + (1 − α)·λ̂_{t−1}, λ̂_0 = λ, α defaulting to 0.2', () => {
    expectShares({ ...POISSON, dt: 0.5, steps, signal: 'ema', emaAlpha: 0.35 }, (l, a) => 0.35 * (a / 0.5) + (1 - 0.35) * l);
    expectShares({ ...POISSON, dt: 0.5, steps, signal: 'ema' }, (l, a) => DEFAULT_EMA_ALPHA * (a / 0.5) + (1 - DEFAULT_EMA_ALPHA) * l);
  });

  it('leaves static and round-robin untouched', () => {
    const policies = [POLICY.static, POLICY.roundRobin];
    const nominal = runBatchCpu(batchOf([{ agents }], { ...POISSON, steps }, policies));
    for (const signal of ['observed', 'ema'] as const) {
      sameTotals(runBatchCpu(batchOf([{ agents }], { ...POISSON, steps, signal }, policies)), nominal);
    }
  });
});

describe('exponential work', () => {
  const config: SimConfig = { ...POISSON, steps: 200, work: 'exponential' };
  const agents: AgentSpec[] = [
    { T: 10, R: 0.5, P: 1, lambda: 3 },
    { T: 10, R: 0.5, P: 1, lambda: 0.4 },
  ];

  it('keeps the request counts and adds Exp(1) work per request to the backlog', () => {
    const replicates = 50;
    const batch = batchOf([{ agents }], config, [POLICY.static], replicates);
    const unit = batchOf([{ agents }], { ...config, work: 'deterministic' }, [POLICY.static], replicates);
    expect(Array.from(runBatchCpu(batch).arrivedSum)).toEqual(Array.from(runBatchCpu(unit).arrivedSum));
    let requests = 0;
    let work = 0;
    for (let r = 0; r < replicates; r++) {
      const s = runSeriesCpu(batch, r);
      for (let k = 0; k < s.arrivals.length; k++) {
        requests += s.arrivals[k]!;
        work += s.work[k]!;
        if (s.arrivals[k] === 0) expect(s.work[k]).toBe(0);
        const before = k % s.steps === 0 ? 0 : s.queue[k - 1]!;
        expect(s.queue[k]).toBe(before + s.work[k]! - s.served[k]!);
      }
    }
    // Σ work over n requests: mean n, standard deviation √n (Exp(1)); 4.5 standard errors.
    expect(requests).toBeGreaterThan(30_000);
    expect(Math.abs(work - requests)).toBeLessThan(4.5 * Math.sqrt(requests));
  });
});

describe('requests in the system', () => {
  it('counts ⌈Q⌉, taking work below 2^-10 of a request as none', () => {
    expect([0, 1e-12, 0.5, 1, 1 + 1e-9, 1.002, 3 - 1e-9, 3 + 1e-12, 3.01].map(inSystem)).toEqual([0, 0, 1, 1, 1, 2, 3, 3, 4]);
  });

  it('sums the count over the recorded steps into systemSum and meanInSystem', () => {
    const batch = batchOf([{ agents: [{ T: 1, R: 1, P: 1, lambda: 0.7 }] }], { ...POISSON, dt: 0.1, steps: 3000, warmup: 100 }, [
      POLICY.static,
    ]);
    const series = runSeriesCpu(batch, 0);
    let sum = 0;
    for (let t = 100; t < 3000; t++) sum += inSystem(series.queue[t]!);
    const totals = runBatchCpu(batch);
    expect(totals.systemSum[0]).toBe(sum);
    expect(summarize(batch, totals).meanInSystem[0]).toBe(sum / 2900);
    // Service takes 10 steps of 0.1 units: the queue passes integers, where the f64 rounding of 0.1
    // leaves a trace of work that a plain ⌈Q⌉ would count as a request that has just completed.
    expect(series.queue.filter((q) => Math.ceil(q) !== inSystem(q)).length).toBeGreaterThan(10);
  });
});

describe('defaults', () => {
  it('leave every result bit-identical when given explicitly', () => {
    const policies = [POLICY.static, POLICY.roundRobin, POLICY.adaptive];
    const implicit = runBatchCpu(batchOf([{ agents: PAPER_AGENTS }], POISSON, policies));
    const explicit = batchOf(
      [{ agents: PAPER_AGENTS }],
      { ...POISSON, warmup: 0, work: 'deterministic', signal: 'nominal', emaAlpha: 0.2 },
      policies,
    );
    sameTotals(runBatchCpu(explicit), implicit);
    // emaAlpha is read by the ema signal only
    sameTotals(runBatchCpu(batchOf([{ agents: PAPER_AGENTS }], { ...POISSON, emaAlpha: 0.9 }, policies)), implicit);
  });
});

describe('configuration errors name the field', () => {
  const agent: AgentSpec = { T: 10, R: 0.5, P: 1, lambda: 5 };
  const fleetWith = (extra: Partial<AgentSpec>): FleetSpec[] => [{ agents: [agent, { ...agent, ...extra }] }];
  const field = (fleets: FleetSpec[], config: Partial<SimConfig> = {}): string => {
    try {
      batchOf(fleets, { ...POISSON, steps: 100, ...config });
    } catch (error) {
      if (error instanceof ConfigError) return `${error.field}: ${error.problem}`;
      throw error;
    }
    return 'no error';
  };
  const ok = fleetWith({});
  const segments = (n: number): { start: number; multiplier: number }[] =>
    Array.from({ length: n }, (_, k) => ({ start: k, multiplier: 1 }));

  it.each<[string, FleetSpec[], Partial<SimConfig>, RegExp]>([
    ['warm-up as long as the run', ok, { warmup: 100 }, /^warmup: .*0 to steps − 1 = 99/],
    ['a negative warm-up', ok, { warmup: -1 }, /^warmup: /],
    ['a fractional warm-up', ok, { warmup: 2.5 }, /^warmup: /],
    [
      'an unknown work mode',
      ok,
      { work: 'pareto' as WorkMode },
      /^work: must be deterministic, exponential or exponentialCount, got pareto/,
    ],
    [
      'exponential work on deterministic arrivals',
      ok,
      { work: 'exponential', arrivals: 'deterministic' },
      /^work: exponential work needs arrivals that count requests/,
    ],
    [
      'exponentialCount work on deterministic arrivals',
      ok,
      { work: 'exponentialCount', arrivals: 'deterministic' },
      /^work: exponentialCount work needs arrivals that count requests/,
    ],
    [
      'a route to an agent the fleet lacks',
      fleetWith({ routes: [{ to: 2, p: 0.5 }] }),
      {},
      /^fleets\[0\]\.agents\[1\]\.routes\[0\]\.to: must be an agent of the fleet \(0 to 1\), got 2/,
    ],
    [
      'routing probabilities summing above 1',
      fleetWith({
        routes: [
          { to: 0, p: 0.7 },
          { to: 1, p: 0.4 },
        ],
      }),
      {},
      /^fleets\[0\]\.agents\[1\]\.routes: the probabilities must sum to at most 1/,
    ],
    [
      'a cycle without exit',
      [
        {
          agents: [
            { ...agent, routes: [{ to: 1, p: 1 }] },
            { ...agent, routes: [{ to: 0, p: 1 }] },
          ],
        },
      ],
      {},
      /^fleets\[0\]\.agents\[0\]\.routes: requests that reach agent 0 can never leave the workflow/,
    ],
    [
      'exponential work in a workflow',
      fleetWith({ routes: [{ to: 0, p: 0.5 }] }),
      { work: 'exponential' },
      /^work: a workflow routes whole requests: use "exponentialCount"/,
    ],
    [
      'a fork-join branch fed by another agent',
      [
        {
          agents: [
            {
              ...agent,
              routes: [
                { to: 1, p: 1 },
                { to: 2, p: 1 },
              ],
            },
            { ...agent, routes: [{ to: 3, p: 1 }] },
            { ...agent, routes: [{ to: 3, p: 1 }] },
            { ...agent, routes: [{ to: 1, p: 0.5 }] },
          ],
          forkJoin: { fork: 0, join: 3 },
        },
      ],
      {},
      /^fleets\[0\]\.agents\[3\]\.routes\[0\]\.to: agent 1 is a branch of the fork-join, which only the fork \(agent 0\) may feed/,
    ],
    [
      'more whole completions per step than f32 counts exactly',
      [{ agents: [agent], capacity: 1e6 }],
      { work: 'exponentialCount', dt: 1 },
      /^fleets\[0\]\.agents\[0\]\.T: must keep T·capacity·dt ≤ 8388608 \(whole requests completed in one step, exponentialCount work\), got 10000000/,
    ],
    ['an unknown signal', ok, { signal: 'toString' as SignalMode }, /^signal: must be nominal, observed or ema/],
    ['emaAlpha 0', ok, { emaAlpha: 0 }, /^emaAlpha: must be a number in \(0, 1\]/],
    ['emaAlpha above 1', ok, { emaAlpha: 1.5 }, /^emaAlpha: /],
    [
      'a negative start',
      fleetWith({ schedule: [{ start: -1, multiplier: 2 }] }),
      {},
      /^fleets\[0\]\.agents\[1\]\.schedule\[0\]\.start: must be an integer/,
    ],
    [
      'a fractional start',
      fleetWith({ schedule: [{ start: 1.5, multiplier: 2 }] }),
      {},
      /^fleets\[0\]\.agents\[1\]\.schedule\[0\]\.start: /,
    ],
    [
      'starts not strictly increasing',
      fleetWith({
        schedule: [
          { start: 4, multiplier: 2 },
          { start: 9, multiplier: 1 },
          { start: 9, multiplier: 3 },
        ],
      }),
      {},
      /^fleets\[0\]\.agents\[1\]\.schedule\[2\]\.start: must be an integer step from 10 /,
    ],
    [
      'a negative multiplier',
      fleetWith({ schedule: [{ start: 0, multiplier: -0.5 }] }),
      {},
      /^fleets\[0\]\.agents\[1\]\.schedule\[0\]\.multiplier: must be a finite number ≥ 0/,
    ],
    [
      'a NaN multiplier',
      fleetWith({ schedule: [{ start: 0, multiplier: NaN }] }),
      {},
      /^fleets\[0\]\.agents\[1\]\.schedule\[0\]\.multiplier: /,
    ],
    [
      'a multiplier beyond f32',
      fleetWith({ schedule: [{ start: 0, multiplier: 1e39 }] }),
      {},
      /^fleets\[0\]\.agents\[1\]\.schedule\[0\]\.multiplier: /,
    ],
    [
      'too many segments',
      fleetWith({ schedule: segments(MAX_SCHEDULE_SEGMENTS + 1) }),
      {},
      /^fleets\[0\]\.agents\[1\]\.schedule: must hold at most 16 segments, got 17/,
    ],
    [
      'a spike past the Poisson sampler’s range',
      fleetWith({
        lambda: 1e6,
        schedule: [
          { start: 0, multiplier: 2 },
          { start: 5, multiplier: 11 },
        ],
      }),
      {},
      new RegExp(`^fleets\\[0\\]\\.agents\\[1\\]\\.schedule\\[1\\]\\.multiplier: must keep lambda·dt·multiplier ≤ ${MAX_POISSON_MEAN}`),
    ],
    [
      'exponential work at a mean past MAX_EXPONENTIAL_MEAN',
      fleetWith({ lambda: 20_000 }),
      { work: 'exponential' },
      new RegExp(
        `^fleets\\[0\\]\\.agents\\[1\\]\\.lambda: must be a number ≥ 0 with lambda·dt ≤ ${MAX_EXPONENTIAL_MEAN} \\(exponential work\\)`,
      ),
    ],
    [
      'exponential work on a spike past MAX_EXPONENTIAL_MEAN',
      fleetWith({ lambda: 2000, schedule: [{ start: 3, multiplier: 6 }] }),
      { work: 'exponential' },
      /^fleets\[0\]\.agents\[1\]\.schedule\[0\]\.multiplier: must keep lambda·dt·multiplier ≤ 10000 \(exponential work\)/,
    ],
  ])('rejects %s', (_, fleets, config, expected) => {
    expect(field(fleets, config)).toMatch(expected);
  });

  it('accepts the limits themselves', () => {
    expect(field(fleetWith({ schedule: segments(MAX_SCHEDULE_SEGMENTS) }), { warmup: 99, emaAlpha: 1, signal: 'ema' })).toBe('no error');
    expect(field(fleetWith({ lambda: 2000, schedule: [{ start: 3, multiplier: 5 }] }), { work: 'exponential' })).toBe('no error');
  });
});
