/**
 * The verdicts of src/sweep/verdict.ts: the difference's 95 % CI and the Wilson interval cover at
 * their nominal rate (by seeded simulation and by exact enumeration), the sentences for each case,
 * the relative change only away from zero, and the paired differences merge in any order.
 */
import tQuantile from '@stdlib/stats-base-dists-t-quantile';
import { describe, expect, it } from 'vitest';
import { rng } from './helpers/seeded.js';
import { DifferenceAccumulator, type DifferenceSummary, StatAccumulator, StatsFormatError, type StatSummary } from '../src/stats/index.js';
import {
  awayFromZero,
  cellVerdicts,
  cellWarnings,
  formatEstimate,
  formatPercent,
  makeVerdict,
  type VerdictInput,
  wilsonInterval,
  Z95,
} from '../src/sweep/verdict.js';

/** Standard normal by Box–Muller. */
function normal(r: () => number): number {
  return Math.sqrt(-2 * Math.log(1 - r())) * Math.cos(2 * Math.PI * r());
}

const statsOf = (xs: readonly number[]): StatSummary => {
  const acc = new StatAccumulator();
  acc.addMany(xs);
  return acc.summary()!;
};

/** A verdict on latency (or throughput) from paired values. */
function latencyVerdict(
  pairs: readonly (readonly [number, number])[],
  unstable: [number, number] = [0, 0],
  on: { metric: string; better: 'lower' | 'higher'; unit: string } = { metric: 'avgLatency', better: 'lower', unit: 's' },
): ReturnType<typeof makeVerdict> {
  const d = new DifferenceAccumulator(on.better);
  for (const [a, b] of pairs) d.add(a, b);
  const input: VerdictInput = {
    a: 'static',
    b: 'adaptive',
    ...on,
    diff: d.summary(),
    statsA: statsOf(pairs.map((p) => p[0])),
    statsB: statsOf(pairs.map((p) => p[1])),
    unstableA: unstable[0],
    unstableB: unstable[1],
  };
  return makeVerdict(input);
}

describe('the verdict’s 95 % CI of the paired difference', () => {
  /**
   * 2,000 simulated comparisons of n = 30 paired runs each: both policies see the same fleet (a
   * shared, heavy-tailed base latency: common random numbers) plus their own noise; b is slower by
   * a known mean. The CI must hold the true difference in 95 % ± 2 % of them (the simulation's own
   * standard error is 0.5 %).
   */
  it.each([
    { name: 'normal noise', noise: (r: () => number) => normal(r) },
    { name: 'skewed noise (a centred exponential)', noise: (r: () => number) => -Math.log(1 - r()) - 1 },
  ])('covers the true difference in 95 ± 2 % of 2,000 comparisons with $name', ({ noise }) => {
    const r = rng(2026);
    const trueDifference = 0.7;
    const comparisons = 2000;
    let covered = 0;
    let decided = 0;
    for (let k = 0; k < comparisons; k++) {
      const pairs = Array.from({ length: 30 }, () => {
        const base = 20 * -Math.log(1 - r()); // the fleet's latency under either policy
        return [base + noise(r), base + trueDifference + noise(r)] as const;
      });
      const v = latencyVerdict(pairs);
      const [low, high] = v.difference!.ci95 as [number, number];
      if (low <= trueDifference && trueDifference <= high) covered++;
      if (v.winner !== null) decided++;
    }
    expect(Math.abs(covered / comparisons - 0.95)).toBeLessThanOrEqual(0.02);
    expect(decided).toBeGreaterThan(comparisons / 2); // a real difference is found most of the time…
  });

  it('names no winner where there is no difference, at most 5 % ± 2 % of the time', () => {
    const r = rng(7);
    let wrong = 0;
    for (let k = 0; k < 2000; k++) {
      const pairs = Array.from({ length: 30 }, () => {
        const base = 20 * -Math.log(1 - r());
        return [base + normal(r), base + normal(r)] as const;
      });
      if (latencyVerdict(pairs).winner !== null) wrong++;
    }
    expect(wrong / 2000).toBeLessThanOrEqual(0.07);
  });
});

describe('the Wilson score interval', () => {
  it('covers a proportion at 95 % ± 2 % on average over p, computed exactly (n = 30 and 200)', () => {
    for (const n of [30, 200]) {
      const coverage: number[] = [];
      for (let p = 0.05; p < 0.951; p += 0.01) {
        let c = 0;
        let logChoose = 0; // log C(n, k)
        for (let k = 0; k <= n; k++) {
          if (k > 0) logChoose += Math.log((n - k + 1) / k);
          const [low, high] = wilsonInterval(k, n)!;
          if (low <= p && p <= high) c += Math.exp(logChoose + k * Math.log(p) + (n - k) * Math.log(1 - p));
        }
        coverage.push(c);
      }
      const mean = coverage.reduce((s, c) => s + c, 0) / coverage.length;
      expect(Math.abs(mean - 0.95), `n = ${n}`).toBeLessThanOrEqual(0.02);
      expect(Math.min(...coverage), `n = ${n}`).toBeGreaterThan(0.92); // Wilson’s known dips stay shallow (93.0 % and 93.8 % here)
    }
  });

  it('is exactly [., 1] at n of n and [0, .] at 0 of n; null without trials', () => {
    expect(wilsonInterval(30, 30)![1]).toBe(1);
    expect(wilsonInterval(30, 30)![0]).toBeCloseTo(30 / (30 + Z95 ** 2), 12); // n/(n + z²)
    expect(wilsonInterval(0, 30)![0]).toBe(0);
    expect(wilsonInterval(0, 0)).toBeNull();
    expect(wilsonInterval(5, 4)).toBeNull();
  });

  it('uses the normal 0.975 quantile (the t quantile at a huge df)', () => {
    expect(Z95).toBeCloseTo(tQuantile(0.975, 1e9), 8);
  });
});

describe('the sentence', () => {
  it('names the winner, the difference ± its half-width, the relative change and the win fraction with its CI', () => {
    const r = rng(1);
    const pairs = Array.from({ length: 100 }, () => {
      const base = 30 + 5 * r();
      return [base, base + 12.3 + 0.4 * normal(r)] as const;
    });
    const v = latencyVerdict(pairs);
    expect(v.winner).toBe('static');
    expect(v.winnerWins).toBe(100);
    expect(v.winFraction).toBe(1);
    expect(v.text).toMatch(
      /^static is better than adaptive on avgLatency by 12\.\d{1,2} ± 0\.\d{1,2} s \(\d\d % lower\) in 100 % of paired runs \(95 % CI 96\.3–100 %\)$/,
    );
    const meanB = pairs.reduce((s, p) => s + p[1], 0) / pairs.length;
    expect(v.relativeChange!).toBeCloseTo(-v.difference!.mean / meanB, 10); // (static − adaptive)/adaptive
  });

  it('says there is no clear difference when the CI holds 0', () => {
    const r = rng(2);
    const pairs = Array.from({ length: 40 }, () => {
      const base = 10 + r();
      return [base, base + normal(r)] as const;
    });
    const v = latencyVerdict(pairs);
    expect(v.winner).toBeNull();
    expect([v.winnerWins, v.winFraction, v.winFractionCi95]).toEqual([null, null, null]);
    expect(v.text).toMatch(
      /^no clear difference between static and adaptive on avgLatency: adaptive − static = [+-]0\.\d+ ± 0\.\d+ s \(95 % CI holds 0\)$/,
    );
  });

  it('appends the run-length caveat when either policy has growing queues', () => {
    const v = latencyVerdict(
      [
        [10, 30],
        [11, 32],
        [9, 29],
      ],
      [0, 1],
    );
    expect(v.unstable).toBe(true);
    expect(v.text).toMatch(
      /; caution: this depends on run length \(queues grow through the run in 100 % of adaptive's fleet runs; docs\/STABILITY\.md\)$/,
    );
    expect(latencyVerdict([[1, 2]]).text).toBe('static and adaptive on avgLatency: 1 paired run, too few for a confidence interval');
    expect(
      latencyVerdict([
        [1, 1],
        [2, 2],
      ]).text,
    ).toBe('no difference between static and adaptive on avgLatency: equal in every paired run');
  });

  it('formats with the half-width’s precision and units', () => {
    expect(formatEstimate(12.345, 0.4123, 's')).toBe('12.3 ± 0.4 s');
    expect(formatEstimate(12.345, 0.1523, 's')).toBe('12.35 ± 0.15 s');
    expect(formatEstimate(1544.4, 2.1, 's')).toBe('1,544 ± 2 s');
    expect(formatEstimate(-0.31, 0.52, 'requests/s', true)).toBe('-0.3 ± 0.5 requests/s');
    expect(formatEstimate(0.31, 0.52, 'requests/s', true)).toBe('+0.3 ± 0.5 requests/s');
    expect(formatEstimate(0.1234, 0.004, '$')).toBe('$0.123 ± $0.004');
    expect(formatEstimate(2.5, 0, 's')).toBe('2.500 ± 0.000 s'); // no spread: four significant digits
    expect([formatPercent(1), formatPercent(0.99962), formatPercent(0.0004), formatPercent(0.6254)]).toEqual([
      '100',
      '99.9',
      '0.1',
      '62.5',
    ]);
  });
});

describe('the relative change', () => {
  const summary = (mean: number, half: number): StatSummary => ({
    n: 30,
    mean,
    std: 1,
    ci95: [mean - half, mean + half],
    min: mean,
    max: mean,
    p50: mean,
    p90: mean,
    p99: mean,
  });

  it('only where the baseline is away from zero', () => {
    expect(awayFromZero(summary(10, 1), summary(20, 1))).toBe(true);
    expect(awayFromZero(summary(10, 3), summary(20, 1))).toBe(false); // ±30 %: the ratio is unsure
    expect(awayFromZero(summary(0.005, 0.0001), summary(20, 1))).toBe(false); // 0.025 % of the other: tiny
    expect(awayFromZero(summary(0, 0), summary(20, 1))).toBe(false);
    expect(awayFromZero({ ...summary(5, 0), ci95: [null, null] }, summary(20, 1))).toBe(false);
  });

  it('is suppressed in a verdict near zero (the 32,046 % of issue 16 is not printed)', () => {
    const r = rng(3);
    // throughput: the loser (static) serves almost nothing, the winner 600 requests/s
    const pairs = Array.from({ length: 50 }, () => [0.002 * r(), 600 + r()] as const);
    const v = latencyVerdict(pairs, [0, 0], { metric: 'throughput', better: 'higher', unit: 'requests/s' });
    expect(v.winner).toBe('adaptive');
    expect(v.relativeChange).toBeNull();
    expect(v.text).toMatch(/^adaptive is better than static on throughput by 600\.\d+ ± 0\.\d+ requests\/s in 100 % of paired runs/);
    // the same loser well away from zero: the change is given
    const far = latencyVerdict(
      pairs.map(([a, b]) => [a + 300, b]),
      [0, 0],
      { metric: 'throughput', better: 'higher', unit: 'requests/s' },
    );
    expect(far.relativeChange).toBeCloseTo(1, 1);
    expect(far.text).toMatch(/ \(1\d\d % higher\) in 100 % of paired runs/);
  });
});

describe('DifferenceAccumulator', () => {
  it('counts wins by the better side and ties as zero differences', () => {
    const lower = new DifferenceAccumulator('lower');
    const higher = new DifferenceAccumulator('higher');
    for (const [a, b] of [
      [10, 8],
      [8, 10],
      [5, 5 * (1 + 1e-7)],
      [3, 1],
    ] as const) {
      lower.add(a, b);
      higher.add(a, b);
    }
    const l: DifferenceSummary = lower.summary();
    expect([l.aWins, l.bWins, l.ties]).toEqual([1, 2, 1]);
    expect(l.difference!.mean).toBe((-2 + 2 + 0 - 2) / 4);
    const h = higher.summary();
    expect([h.aWins, h.bWins, h.ties]).toEqual([2, 1, 1]);
    // an undefined value (NaN: e.g. jainIndex without arrivals) leaves the pair out; an infinite one is refused
    lower.add(NaN, 1);
    lower.add(2, NaN);
    expect(lower.summary().n).toBe(4);
    expect(() => lower.add(Infinity, 1)).toThrow(RangeError);
    expect(() => lower.add(1, -Infinity)).toThrow(RangeError);
    expect(lower.summary()).toEqual(l);
    expect(() => lower.merge(higher)).toThrow(/cannot merge higher-is-better counts/);
  });

  it('merges and round-trips independently of order and split', () => {
    const r = rng(31);
    const pairs = Array.from({ length: 5000 }, () => {
      const a = Math.exp(normal(r));
      return [a, r() < 0.1 ? a : a * Math.exp(0.3 * normal(r))] as const;
    });
    const ref = new DifferenceAccumulator('higher');
    for (const [a, b] of pairs) ref.add(a, b);
    const shards = [0, 1, 2].map(() => new DifferenceAccumulator('higher'));
    [...pairs].reverse().forEach(([a, b], i) => shards[(i * 7) % 3]!.add(a, b));
    const merged = new DifferenceAccumulator('higher');
    for (const k of [2, 0, 1]) merged.merge(DifferenceAccumulator.fromJSON(JSON.parse(JSON.stringify(shards[k]))));
    expect(merged.summary()).toEqual(ref.summary());
    expect(JSON.stringify(merged)).toBe(JSON.stringify(ref));
    const corrupt = { ...ref.toJSON(), ties: ref.summary().ties + 1 };
    expect(() => DifferenceAccumulator.fromJSON(corrupt)).toThrow(StatsFormatError);
    expect(() => DifferenceAccumulator.fromJSON({ ...corrupt, version: 9 })).toThrow(/fleetsim\.difference: unsupported version 9/);
  });
});

describe("a cell's verdicts and warnings", () => {
  const policy = (name: string, unstable: number[] | null, maxLoad: number | null) => {
    const metrics: Record<string, StatSummary | null> = { avgLatency: statsOf([10, 11, 12]) };
    if (unstable !== null) metrics.unstable = statsOf(unstable);
    if (maxLoad !== null) metrics.maxLoad = statsOf([1.1, maxLoad]);
    return { policy: name, metrics };
  };

  it('one verdict per pair and metric, pair-major; a warning per policy with growing queues', () => {
    const diff = new DifferenceAccumulator('lower');
    diff.add(1, 2);
    diff.add(1, 3);
    const policies = [policy('static', [0, 0], 0.8), policy('adaptive', [1, 1], 3.24), policy('roundRobin', [0, 1], null)];
    const pairs = [
      ['static', 'adaptive'],
      ['static', 'roundRobin'],
      ['adaptive', 'roundRobin'],
    ] as const;
    const verdicts = cellVerdicts(pairs, policies, () => diff.summary());
    expect(verdicts.map((v) => `${v.a}|${v.b}|${v.metric}`)).toEqual(
      pairs.flatMap(([a, b]) =>
        [
          'avgLatency',
          'throughput',
          'cost',
          'backlogGpuSeconds',
          'minViolationFraction',
          'workConservationGap',
          'jainIndex',
          'worstAgentLatency',
          'littleLatency',
          'e2eLatency',
        ].map((m) => `${a}|${b}|${m}`),
      ),
    );
    expect(verdicts.map((v) => v.unstable)).toEqual(verdicts.map(() => true));
    // a subset of the metrics (a cells.csv of an older version has the first three only)
    const some = cellVerdicts(pairs, policies, () => diff.summary(), new Set(['avgLatency', 'jainIndex']));
    expect(some.map((v) => `${v.a}|${v.b}|${v.metric}`)).toEqual(
      pairs.flatMap(([a, b]) => [`${a}|${b}|avgLatency`, `${a}|${b}|jainIndex`]),
    );
    expect(cellWarnings(policies)).toEqual([
      "adaptive: in 100 % of fleet runs an agent's queue grows through the run (offered load up to 3.2× its share): its latencies depend on run length (docs/STABILITY.md)",
      "roundRobin: in 50 % of fleet runs an agent's queue grows through the run: its latencies depend on run length (docs/STABILITY.md)",
    ]);
    expect(cellWarnings([policy('static', null, null)])).toEqual([]);
  });
});
