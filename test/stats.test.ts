/**
 * src/stats: exact sums against a BigInt reference, summaries against simple-statistics, quantiles
 * within the sketch's relative accuracy, and bit-identical results whatever the order, split, merge
 * and JSON round trips (what batching, sharding and resume do to a sweep).
 */
import { DDSketch } from '@datadog/sketches-js';
import tQuantile from '@stdlib/stats-base-dists-t-quantile';
import { mean as ssMean, quantileSorted, sampleStandardDeviation } from 'simple-statistics';
import { describe, expect, it } from 'vitest';
import { rng } from './helpers/seeded.js';
import { ExactSum, PairAccumulator, StatAccumulator, StatsFormatError, TIE_RELATIVE, type StatJson } from '../src/stats/index.js';
import { BUFFERED_VALUES } from '../src/stats/accumulator.js';
import { QuantileSketch, SmallSketch } from '../src/stats/sketch.js';
import { BinCounts } from '../src/stats/store.js';
import { Superaccumulator } from '../src/stats/superaccumulator.js';

function shuffled<T>(xs: readonly T[], seed: number): T[] {
  const r = rng(seed);
  const out = xs.slice();
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(r() * (i + 1));
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

/** Standard normal by Box–Muller. */
function normal(r: () => number): number {
  return Math.sqrt(-2 * Math.log(1 - r())) * Math.cos(2 * Math.PI * r());
}

/** Doubles spread over 2^-60..2^60 with both signs and exact cancellations: many partials. */
function hardDoubles(count: number, seed: number): number[] {
  const r = rng(seed);
  const xs: number[] = [];
  while (xs.length < count) {
    const x = (r() < 0.5 ? -1 : 1) * (1 + r()) * 2 ** Math.floor(r() * 121 - 60);
    xs.push(x);
    if (r() < 0.1) xs.push(-x);
  }
  return xs.slice(0, count);
}

/** x · 2^1074 as a BigInt: exact for every finite double. */
function scaled(x: number): bigint {
  const dv = new DataView(new ArrayBuffer(8));
  dv.setFloat64(0, x);
  const hi = dv.getUint32(0);
  const exp = (hi >>> 20) & 0x7ff;
  const mant = (BigInt(hi & 0xfffff) << 32n) | BigInt(dv.getUint32(4));
  const mag = exp === 0 ? mant : (mant | (1n << 52n)) << BigInt(exp - 1);
  return hi >>> 31 ? -mag : mag;
}

/** N · 2^-1074 correctly rounded (nearest, ties to even): the reference for ExactSum.value(). */
function roundScaled(N: bigint): number {
  const neg = N < 0n;
  let m = neg ? -N : N;
  const bits = m.toString(2).length;
  let shift = 0;
  if (bits > 53) {
    shift = bits - 53;
    const rest = m & ((1n << BigInt(shift)) - 1n);
    m >>= BigInt(shift);
    const half = 1n << BigInt(shift - 1);
    if (rest > half || (rest === half && (m & 1n) === 1n)) m += 1n;
  }
  // m ≤ 2^53 is exact as a double, and so is each power-of-two scaling (two steps avoid 2^-1074 · 2^k).
  const v = Number(m) * 2 ** (shift - 537) * 2 ** -537;
  return neg ? -v : v;
}

const exactSumOf = (xs: readonly number[]): bigint => xs.reduce((s, x) => s + scaled(x), 0n);

function hexFloat(s: string): number {
  const m = /^(-?)0x1\.([0-9a-f]{13})p([+-]\d+)$/.exec(s)!;
  const v = (1 + Number.parseInt(m[2]!, 16) / 2 ** 52) * 2 ** Number(m[3]);
  return m[1] === '-' ? -v : v;
}

function sumOf(xs: readonly number[]): ExactSum {
  const s = new ExactSum();
  for (const x of xs) s.add(x);
  return s;
}

describe('ExactSum', () => {
  it.each([
    ['[1e100, 1, -1e100]', [1e100, 1, -1e100], 1],
    ['[1, 1e100, 1, -1e100]', [1, 1e100, 1, -1e100], 2],
    ['[1e16, 1, 1e-16]', [1e16, 1, 1e-16], 10000000000000002],
    ['cancelling pairs', [1e16 - 2, 1 - 2 ** -53, -(1e16 - 2), -(1 - 2 ** -53)], 0],
    ['half-way, rounded down by the tail', [2 ** 53, -0.5, -(2 ** -54)], 2 ** 53 - 1],
    ['half-way, rounded up by the tail', [2 ** 53, 1, 2 ** -100], 2 ** 53 + 2],
    ['half-way, ties to even upwards', [2 ** 53 + 10, 1, 2 ** -100], 2 ** 53 + 12],
    ['half-way below 2^53', [2 ** 53 - 4, 0.5, 2 ** -54], 2 ** 53 - 3],
    ['harmonic 1..1000', Array.from({ length: 1000 }, (_, i) => 1 / (i + 1)), hexFloat('0x1.df11f45f4e61ap+2')],
    ['alternating harmonic', Array.from({ length: 1000 }, (_, i) => (i % 2 === 0 ? -1 : 1) / (i + 1)), hexFloat('-0x1.62a2af1bd3624p-1')],
    ['subnormals', [5e-324, 5e-324, -1e-310, 1e-310], 1e-323],
  ])('sums %s exactly (Python fsum cases)', (_, xs, expected) => {
    expect(sumOf(xs).value()).toBe(expected);
    expect(sumOf(xs.slice().reverse()).value()).toBe(expected);
  });

  it('equals the correctly rounded BigInt sum of random doubles, and its components sum to it exactly', () => {
    for (let seed = 1; seed <= 20; seed++) {
      const xs = hardDoubles(2000, seed);
      const s = sumOf(xs);
      const exact = exactSumOf(xs);
      expect(s.value()).toBe(roundScaled(exact));
      const parts = s.toJSON();
      expect(exactSumOf(parts)).toBe(exact);
      expect(parts.at(-1)).toBe(s.value());
    }
  });

  it('gives the same value and JSON in any order and any split-and-merge', () => {
    const xs = hardDoubles(20_000, 7);
    const ref = sumOf(xs);
    const refJson = JSON.stringify(ref);
    expect(ref.toJSON().length).toBeGreaterThan(1); // a case where the canonical form matters
    for (let seed = 1; seed <= 4; seed++) {
      const order = shuffled(xs, seed);
      expect(JSON.stringify(sumOf(order))).toBe(refJson);
      const parts = [0, 1, 2, 3, 4].map(() => new ExactSum());
      order.forEach((x, i) => parts[(i * seed) % 5]!.add(x));
      const merged = new ExactSum();
      for (const p of shuffled(parts, seed)) merged.merge(ExactSum.fromJSON(JSON.parse(JSON.stringify(p)) as number[]));
      expect(Object.is(merged.value(), ref.value())).toBe(true);
      expect(JSON.stringify(merged)).toBe(refJson);
    }
  });

  it('adds exact products', () => {
    const s = new ExactSum();
    s.addProduct(0.1, 0.1); // 0.1² is not a double: the error term must be kept
    s.add(-(0.1 * 0.1));
    // 0.1 = m·2^-56, so 0.1² · 2^1074 is an integer and the residual a double: expect it exactly
    expect(scaled(s.value())).toBe(scaled(0.1) ** 2n / (1n << 1074n) - scaled(0.1 * 0.1));
    expect(s.value()).not.toBe(0);
  });

  it('rejects non-finite values and overflow, naming the value and keeping its state', () => {
    const s = sumOf([1e308]);
    expect(() => s.add(NaN)).toThrow(new RangeError('ExactSum: cannot add NaN (only finite numbers)'));
    expect(() => s.add(-Infinity)).toThrow(/-Infinity/);
    expect(() => s.add(1e308)).toThrow(/1e\+308 overflows/);
    expect(s.value()).toBe(1e308);
    s.add(-1e308);
    expect(s.value()).toBe(0);
  });
});

/** A double with all 53 significand bits set, times 2^e: every chunk of it is as large as it gets. */
const allOnes = (e: number): number => (2 ** 53 - 1) * 2 ** e;

describe('Superaccumulator', () => {
  const exactOf = (xs: readonly number[], split = 1): bigint => {
    const parts = Array.from({ length: split }, () => new Superaccumulator());
    xs.forEach((x, i) => parts[i % split]!.add(x));
    for (let i = 1; i < split; i++) parts[0]!.merge(parts[i]!);
    return exactSumOf(parts[0]!.exact().toJSON());
  };

  it('sums exactly: random doubles, subnormals, the extremes of the double range, ±0', () => {
    for (let seed = 1; seed <= 5; seed++) {
      const xs = hardDoubles(3000, seed);
      expect(exactOf(xs)).toBe(exactSumOf(xs));
      expect(exactOf(xs, 3)).toBe(exactSumOf(xs));
    }
    const edge = [5e-324, -5e-324, 2 ** -1022, 2 ** -1022 - 5e-324, -(2 ** -1023), Number.MAX_VALUE / 4, -(2 ** 960)];
    edge.push(0, -0, 1, allOnes(-1074), allOnes(-1022));
    expect(exactOf(edge)).toBe(exactSumOf(edge));
    for (const x of edge) expect(exactOf([x])).toBe(scaled(x)); // each one alone: chunk boundaries per exponent
  });

  it('stays exact across the fold at 2^21 additions of maximal chunks (each bin reaches 2^53 − 2^21)', () => {
    // (2^53 − 1)·2^-7 sits at bit offset 1067 ≡ 11 (mod 32): its middle chunk is 2^32 − 1, so one
    // addition more before folding would leave a bin above 2^53, odd, and rounded.
    for (const x of [allOnes(-7), -allOnes(-7), allOnes(-1074 + 31)]) {
      const count = 2 ** 21 + 2;
      const s = new Superaccumulator();
      for (let i = 0; i < count; i++) s.add(x);
      expect(exactSumOf(s.exact().toJSON())).toBe(scaled(x) * BigInt(count));
    }
  });

  it('merges without changing the other sum, itself included', () => {
    const a = new Superaccumulator();
    const b = new Superaccumulator();
    for (const x of hardDoubles(1000, 3)) a.add(x);
    for (const x of hardDoubles(1000, 4)) b.add(x);
    const bJson = JSON.stringify(b.exact());
    b.add(0.1); // pending in b's bins while merged
    a.merge(b);
    a.merge(a);
    const expected = 2n * (exactSumOf(hardDoubles(1000, 3)) + exactSumOf(hardDoubles(1000, 4)) + scaled(0.1));
    expect(exactSumOf(a.exact().toJSON())).toBe(expected);
    b.add(-0.1);
    expect(JSON.stringify(b.exact())).toBe(bJson);
  });

  it('adds the same product terms as ExactSum.addProduct, inexact tiny products included', () => {
    const xs = [0.1, -3.7e-200, 1e-170, 5e-324, 2 ** -500 * 1.1, 1e100, allOnes(-60)];
    const ref = new ExactSum();
    const s = new Superaccumulator();
    for (const x of xs)
      for (const y of xs) {
        ref.addProduct(x, y);
        s.addProduct(x, y);
      }
    expect(JSON.stringify(s.exact())).toBe(JSON.stringify(ref));
  });
});

describe('BinCounts', () => {
  it('keeps keys in a growing window and far keys in a map, listing all in key order', () => {
    const c = new BinCounts();
    const added = new Map<number, number>();
    const add = (k: number, n: number): void => {
      c.add(k, n);
      added.set(k, (added.get(k) ?? 0) + n);
    };
    const r = rng(17);
    for (const k of [0, -1, 40, -33, 200, 5000, -9000, 20_000, -3000, 8000, 1e12, -1e12, 7]) add(k, 1 + Math.floor(r() * 3));
    for (let i = 0; i < 2000; i++) add(Math.floor((r() - 0.5) * 40_000), 1);
    const keys = [...added.keys()].sort((a, b) => a - b);
    const expected = { indexes: keys, counts: keys.map((k) => added.get(k)!) };
    expect(c.sorted()).toEqual(expected); // toEqual tells −0 from 0: keys come out as +0
    c.merge(c);
    expect(c.sorted()).toEqual({ indexes: keys, counts: expected.counts.map((n) => 2 * n) });
  });
});

/** Values with negatives, zeros and a wide magnitude range (what relative changes look like). */
function mixed(count: number, seed: number): number[] {
  const r = rng(seed);
  return Array.from({ length: count }, () => {
    const u = r();
    if (u < 0.1) return 0;
    if (u < 0.4) return -Math.exp(normal(r) * 2);
    return Math.exp(normal(r) * 3) * 10;
  });
}

function accOf(xs: readonly number[], relativeAccuracy?: number): StatAccumulator {
  const a = new StatAccumulator(relativeAccuracy);
  a.addMany(xs);
  return a;
}

const roundTrip = (a: StatAccumulator): StatAccumulator => StatAccumulator.fromJSON(JSON.parse(JSON.stringify(a)));

describe('QuantileSketch keys', () => {
  it('adds each value to the bin the library mapping gives it (the key is inlined in add)', () => {
    const next = rng(14);
    for (const accuracy of [0.005, 0.01, 0.2]) {
      const sketch = new QuantileSketch(accuracy);
      const reference = new DDSketch({ relativeAccuracy: accuracy }).mapping;
      for (let k = 0; k < 20_000; k++) {
        // Magnitudes from 1e-300 to 1e300, and values on the bins' edges (powers of γ) where a rounding would show.
        const x =
          k % 2 === 0 ? 10 ** (600 * next() - 300) : reference.value(Math.floor(2000 * next()) - 1000) * (1 + (next() - 0.5) * 1e-15);
        expect(sketch.keyOf(x)).toBe(reference.key(x));
        expect(sketch.mappingKey(x)).toBe(reference.key(x));
      }
    }
  });

  it("gives the mapping's key from its tables at every slot's edges and on every bin edge of many exponents", () => {
    // keyOf reads a table per binary exponent by the significand's top 12 bits; a slot's entry must be
    // the key of every double in it. Its first and last doubles, and the doubles next to them, over
    // whole exponents from tiny to huge, and the doubles around each bin edge (mapping.value of a key
    // is not itself an edge: the edges are where the reference's key changes, found by bisection).
    const view = new Float64Array(1);
    const words = new Uint32Array(view.buffer);
    const hiWord = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1 ? 1 : 0;
    const double = (hi: number, lo: number): number => {
      words[hiWord] = hi;
      words[1 - hiWord] = lo;
      return view[0]!;
    };
    let checked = 0;
    for (const accuracy of [0.005, 0.02]) {
      const sketch = new QuantileSketch(accuracy);
      const reference = new DDSketch({ relativeAccuracy: accuracy }).mapping;
      for (const b of [1, 2, 500, 1000, 1022, 1023, 1024, 1030, 1100, 2000, 2046]) {
        // Twice: an exponent's first values are computed, before its table is built (TABLE_AFTER).
        for (let pass = 0; pass < 2; pass++) {
          for (let s = 0; s < 4096; s++) {
            const top = (b << 20) | (s << 8);
            for (const x of [double(top, 0), double(top, 1), double(top | 0xff, 0xffffffff), double(top | 0xff, 0xfffffffe)]) {
              expect(sketch.keyOf(x)).toBe(reference.key(x));
              checked++;
            }
          }
        }
      }
      for (let k = -3000; k <= 3000; k += 7) {
        // the largest double with key k − 1 … lowest with key k, by bisection on the reference
        let lo = reference.value(k - 1);
        let hi = reference.value(k + 1);
        for (let i = 0; i < 200 && lo < hi; i++) {
          const mid = lo + (hi - lo) / 2;
          if (mid === lo || mid === hi) break;
          if (reference.key(mid) < k) lo = mid;
          else hi = mid;
        }
        for (const x of [lo, hi, lo * (1 - 2 ** -52), hi * (1 + 2 ** -52)]) {
          expect(sketch.keyOf(x)).toBe(reference.key(x));
          checked++;
        }
      }
    }
    expect(checked).toBeGreaterThan(700_000);
  });
});

describe('StatAccumulator', () => {
  it('matches simple-statistics on mean, sample std and the t interval', () => {
    const r = rng(3);
    const xs = Array.from({ length: 30 }, () => 50 + 10 * normal(r));
    const s = accOf(xs).summary()!;
    expect(s.n).toBe(30);
    expect(s.mean).toBeCloseTo(ssMean(xs), 12);
    expect(Math.abs(s.std! / sampleStandardDeviation(xs) - 1)).toBeLessThan(1e-13);
    const t29 = 2.045229642132703; // t(0.975, 29), tabled
    expect(s.ci95[0]).toBeCloseTo(s.mean - (t29 * s.std!) / Math.sqrt(30), 10);
    expect(s.ci95[1]).toBeCloseTo(s.mean + (t29 * s.std!) / Math.sqrt(30), 10);
    expect(s.min).toBe(Math.min(...xs));
    expect(s.max).toBe(Math.max(...xs));
    const big = accOf(mixed(10_000, 4)).summary()!;
    const ys = mixed(10_000, 4);
    expect(Math.abs(big.mean / ssMean(ys) - 1)).toBeLessThan(1e-12);
    expect(Math.abs(big.std! / sampleStandardDeviation(ys) - 1)).toBeLessThan(1e-12);
    expect(big.ci95[1]! - big.mean).toBeCloseTo((tQuantile(0.975, 9999) * big.std!) / 100, 12);
  });

  it('keeps the standard deviation exact at a coefficient of variation of 1e-12', () => {
    const r = rng(5);
    const k = Array.from({ length: 5000 }, () => Math.floor(r() * 2001) - 1000);
    const xs = k.map((ki) => 1e9 + ki * 2 ** -20); // exact doubles; spread ~1e-3 on 1e9
    const s = accOf(xs).summary()!;
    const m = ssMean(k);
    const varK = k.reduce((acc, ki) => acc + (ki - m) ** 2, 0) / (k.length - 1);
    expect(Math.abs(s.std! / (Math.sqrt(varK) * 2 ** -20) - 1)).toBeLessThan(1e-13);
    expect(Math.abs(s.mean - (1e9 + m * 2 ** -20))).toBeLessThan(2 ** -22);
  });

  it('handles n = 0, n = 1 and identical values exactly', () => {
    expect(new StatAccumulator().summary()).toBeNull();
    expect(accOf([-0.37]).summary()).toEqual({
      n: 1,
      mean: -0.37,
      std: null,
      ci95: [null, null],
      min: -0.37,
      max: -0.37,
      p50: -0.37,
      p90: -0.37,
      p99: -0.37,
    });
    const three = accOf([0.1, 0.1, 0.1]).summary()!; // naive Σx/n gives 0.10000000000000002
    expect([three.mean, three.std, ...three.ci95, three.p50]).toEqual([0.1, 0, 0.1, 0.1, 0.1]);
    expect(Object.is(accOf([-0]).summary()!.min, 0)).toBe(true);
  });

  it.each([
    ['uniform 1..100', (r: () => number) => 1 + 99 * r(), 0.005],
    ['lognormal', (r: () => number) => Math.exp(2 * normal(r)), 0.005],
    ['normal around 0, a quarter zeros', (r: () => number) => (r() < 0.25 ? 0 : normal(r) - 0.3), 0.005],
    ['negative exponential', (r: () => number) => Math.log(1 - r()), 0.02],
  ])('gives quantiles within the relative accuracy: %s', (_, draw, alpha) => {
    const r = rng(11);
    const n = 100_001; // (n − 1)·q is an integer, so simple-statistics' type-7 quantile is an order statistic
    const xs = Array.from({ length: n }, () => draw(r));
    const s = accOf(xs, alpha).summary()!;
    const sorted = xs.slice().sort((a, b) => a - b);
    for (const [q, got] of [
      [0.5, s.p50],
      [0.9, s.p90],
      [0.99, s.p99],
    ] as const) {
      const exact = quantileSorted(sorted, q);
      expect(exact).toBe(sorted[Math.floor(q * (n - 1))]);
      expect(Math.abs(got - exact)).toBeLessThanOrEqual(alpha * Math.abs(exact) * (1 + 1e-9));
    }
  });

  it('gives bit-identical summary and JSON for 10^5 values in any order and any split-and-merge', () => {
    const xs = mixed(100_000, 21);
    const ref = accOf(xs);
    const refJson = JSON.stringify(ref);
    const refSummary = ref.summary()!;
    const variants: [string, StatAccumulator][] = [
      ['reversed', accOf(xs.slice().reverse())],
      ['shuffled', accOf(shuffled(xs, 1))],
      ['sorted', accOf(xs.slice().sort((a, b) => a - b))],
    ];
    // batches of random sizes merged left to right
    const r = rng(2);
    const batches = new StatAccumulator();
    for (let i = 0; i < xs.length;) {
      const size = 1 + Math.floor(r() * 9000);
      batches.merge(accOf(xs.slice(i, i + size)));
      i += size;
    }
    variants.push(['batches', batches]);
    // 128 chunks of a shuffled order merged as a balanced tree
    let level = Array.from({ length: 128 }, (_, c) => accOf(shuffled(xs, 3).filter((_, i) => i % 128 === c)));
    while (level.length > 1) {
      level = Array.from({ length: level.length / 2 }, (_, i) => {
        level[2 * i]!.merge(level[2 * i + 1]!);
        return level[2 * i]!;
      });
    }
    variants.push(['tree', level[0]!]);
    // three shards (round-robin), written to JSON and merged in another order
    const shards = [0, 1, 2].map((k) => roundTrip(accOf(xs.filter((_, i) => i % 3 === k))));
    const sharded = new StatAccumulator();
    for (const k of [2, 0, 1]) sharded.merge(shards[k]!);
    variants.push(['shards', sharded]);
    // resume: checkpoint after every batch, reload, keep adding
    let resumed = new StatAccumulator();
    for (let i = 0; i < xs.length; i += 30_000) {
      resumed.addMany(xs.slice(i, i + 30_000));
      resumed = roundTrip(resumed);
    }
    variants.push(['resumed', resumed]);
    // bounded memory: one bin per occupied γ-interval of |x|, γ = (1 + α)/(1 − α), whatever n
    const bins = (side: number[]): number => {
      const m = side.map(Math.abs);
      return Math.ceil(Math.log(Math.max(...m) / Math.min(...m)) / Math.log(1.005 / 0.995)) + 1;
    };
    const j = ref.toJSON();
    expect(j.sketch.positive.indexes.length).toBeLessThanOrEqual(bins(xs.filter((x) => x > 0)));
    expect(j.sketch.negative.indexes.length).toBeLessThanOrEqual(bins(xs.filter((x) => x < 0)));
    expect(j.sketch.zeroCount).toBe(xs.filter((x) => x === 0).length);
    for (const [name, acc] of variants) {
      expect(acc.summary(), name).toEqual(refSummary);
      expect(JSON.stringify(acc.summary()), name).toBe(JSON.stringify(refSummary));
      expect(JSON.stringify(acc), name).toBe(refJson);
    }
  });

  it('round-trips through JSON with nothing lost', () => {
    const a = accOf(mixed(5000, 8), 0.01);
    const b = roundTrip(a);
    expect(b.summary()).toEqual(a.summary());
    expect(b.relativeAccuracy).toBe(0.01);
    expect(JSON.stringify(b)).toBe(JSON.stringify(a));
    const more = mixed(100, 9);
    a.addMany(more);
    b.addMany(more);
    expect(JSON.stringify(b)).toBe(JSON.stringify(a));
    expect(roundTrip(new StatAccumulator()).summary()).toBeNull();
    expect(JSON.stringify(roundTrip(new StatAccumulator()))).toBe(JSON.stringify(new StatAccumulator()));
  });

  it('rejects a corrupt file with an error naming the problem', () => {
    const good = accOf([-3, 0, 0.5, 2, 7]).toJSON();
    const bad = (edit: (j: StatJson) => void): unknown => {
      const j = JSON.parse(JSON.stringify(good)) as StatJson;
      edit(j);
      return j;
    };
    const cases: [unknown, RegExp][] = [
      [null, /corrupt fleetsim\.stat v1 JSON: \(root\)/],
      [42, /\(root\)/],
      [bad((j) => (j.version = 2 as 1)), /unsupported version 2 \(this build reads 1\)/],
      [bad((j) => (j.format = 'other' as 'fleetsim.stat')), /format/],
      [bad((j) => delete (j as Partial<StatJson>).sketch), /sketch/],
      [bad((j) => (j.sketch.positive.counts[0] = -1)), /sketch\.positive\.counts\.0/],
      [bad((j) => j.sketch.negative.indexes.push(5)), /sketch\.negative: indexes and counts differ/],
      [bad((j) => (j.n = 6)), /n: is 6 but the sketch holds 5 values/],
      [bad((j) => (j.sum = [1e6])), /sum: mean 200000 lies outside \[min, max\]/],
      [bad((j) => (j.sumSq = [-1])), /sumSq: is negative/],
      [bad((j) => (j.min = null)), /min: min and max must be null exactly when n is 0/],
      [bad((j) => (j.relativeAccuracy = 0)), /relativeAccuracy/],
      [bad((j) => ((j as unknown as Record<string, unknown>).extra = 1)), /extra/],
    ];
    for (const [j, message] of cases) {
      expect(() => StatAccumulator.fromJSON(j)).toThrow(StatsFormatError);
      expect(() => StatAccumulator.fromJSON(j)).toThrow(message);
    }
    expect(() => StatAccumulator.fromJSON(good)).not.toThrow();
  });

  it('rejects non-finite and out-of-range values and mismatched accuracies', () => {
    const a = accOf([1, 2]);
    for (const x of [NaN, Infinity, -Infinity, 1e101]) expect(() => a.add(x)).toThrow(`cannot add ${x}`);
    expect(a.count).toBe(2);
    expect(() => a.merge(new StatAccumulator(0.01))).toThrow(/relative accuracy/);
    expect(a.summary()!.n).toBe(2);
  });
});

/**
 * StatAccumulator.toJSON by its plain definition, the oracle (no Superaccumulator, no BinCounts): every
 * value into ExactSum (x² by addProduct), the sketch's bins counted in Maps with the library's key mapping.
 */
function referenceJson(xs: readonly number[], relativeAccuracy = 0.005): StatJson {
  const mapping = new DDSketch({ relativeAccuracy }).mapping;
  const sum = new ExactSum();
  const sumSq = new ExactSum();
  const pos = new Map<number, number>();
  const neg = new Map<number, number>();
  let zeroCount = 0;
  let min = Infinity;
  let max = -Infinity;
  for (const x of xs) {
    const v = x === 0 ? 0 : x;
    sum.add(v);
    sumSq.addProduct(v, v);
    if (v > mapping.minPossible) pos.set(mapping.key(v), (pos.get(mapping.key(v)) ?? 0) + 1);
    else if (v < -mapping.minPossible) neg.set(mapping.key(-v), (neg.get(mapping.key(-v)) ?? 0) + 1);
    else zeroCount++;
    min = Math.min(min, v);
    max = Math.max(max, v);
  }
  const store = (m: Map<number, number>): { indexes: number[]; counts: number[] } => {
    const indexes = [...m.keys()].sort((a, b) => a - b);
    return { indexes, counts: indexes.map((k) => m.get(k)!) };
  };
  const n = xs.length;
  return {
    format: 'fleetsim.stat',
    version: 1,
    relativeAccuracy,
    n,
    sum: sum.toJSON(),
    sumSq: sumSq.toJSON(),
    min: n === 0 ? null : min,
    max: n === 0 ? null : max,
    sketch: { zeroCount, positive: store(pos), negative: store(neg) },
  };
}

const sign = (r: () => number): number => (r() < 0.5 ? -1 : 1);

/** Value distributions that stress the bit tricks: exponents, subnormals, full significands, extremes. */
const DISTRIBUTIONS: [string, (r: () => number) => number][] = [
  ['wide exponents 1e-300..1e100, both signs', (r) => sign(r) * 10 ** (400 * r() - 300)],
  [
    'subnormals, tiny squares, ±0 and values just around 1',
    (r) => {
      const u = r();
      if (u < 0.25) return sign(r) * Math.floor(r() * 2 ** 52) * 5e-324;
      if (u < 0.4) return sign(r) * 2 ** -1022 * (1 + r());
      if (u < 0.5) return sign(r) * 0;
      if (u < 0.75) return sign(r) * 1e-160 * r(); // x² underflows: TwoProduct's error term is inexact
      return 0.99 + 0.02 * r(); // sketch keys −1, 0 (from ceil of a negative fraction: −0), 1
    },
  ],
  [
    'full significands near multiples of 2^53',
    (r) => {
      const m = r() < 0.5 ? 2 ** 53 - 1 - Math.floor(r() * 16) : 2 ** 52 + Math.floor(r() * 16);
      return sign(r) * m * 2 ** (Math.floor(r() * 300) - 200);
    },
  ],
  ['close to ±1e100, the largest accepted', (r) => sign(r) * 1e100 * (1 - r() * 1e-6)],
  ['integers that cancel', (r) => Math.floor(r() * 2001) - 1000],
  ['latency-like lognormal', (r) => 30 * Math.exp(1.2 * normal(r))],
];

describe('StatAccumulator against the per-value reference (ExactSum per value, Map sketch)', () => {
  it.each(DISTRIBUTIONS)('gives the reference JSON and summary, whole and split-and-merged: %s', (_, draw) => {
    const r = rng(41);
    const xs = Array.from({ length: 20_000 }, () => draw(r));
    for (const alpha of [0.005, 1e-4]) {
      const ref = referenceJson(xs, alpha);
      const refJson = JSON.stringify(ref);
      const refSummary = StatAccumulator.fromJSON(ref).summary(); // sums folded straight from ExactSum
      const whole = accOf(xs, alpha);
      expect(whole.toJSON()).toEqual(ref);
      expect(JSON.stringify(whole)).toBe(refJson);
      expect(whole.summary()).toEqual(refSummary);
      const merged = new StatAccumulator(alpha);
      for (let i = 0; i < xs.length;) {
        const size = 1 + Math.floor(r() * 5000);
        merged.merge(i % 2 === 0 ? accOf(xs.slice(i, i + size), alpha) : roundTrip(accOf(xs.slice(i, i + size), alpha)));
        i += size;
      }
      expect(JSON.stringify(merged)).toBe(refJson);
      expect(merged.summary()).toEqual(refSummary);
    }
  });

  it('gives the reference JSON after more than 2^21 values (the bins fold, and carries stay exact)', () => {
    const r = rng(43);
    // First 2^21 + 1 maximal chunks of one sign (Σx's middle bin would pass 2^53 without the fold at
    // 2^21), then a mix of magnitudes and signs across the next folds of Σx² (2 additions per value).
    const xs = Array.from({ length: 2 ** 21 + 1 }, () => allOnes(-7));
    for (let i = 0; i < 200_000; i++) {
      const u = r();
      if (u < 0.3) xs.push(sign(r) * allOnes(-7 - Math.floor(r() * 3) * 32));
      else if (u < 0.8) xs.push(30 * Math.exp(1.2 * normal(r)));
      else xs.push(sign(r) * 10 ** (400 * r() - 300));
    }
    const acc = accOf(xs);
    const ref = referenceJson(xs);
    expect(JSON.stringify(acc)).toBe(JSON.stringify(ref));
    expect(acc.summary()).toEqual(StatAccumulator.fromJSON(ref).summary());
  });
});

describe('StatAccumulator below and across BUFFERED_VALUES (values buffered, then the sketch and sums built)', () => {
  const SIZES = [0, 1, 2, BUFFERED_VALUES - 1, BUFFERED_VALUES, BUFFERED_VALUES + 1, 2 * BUFFERED_VALUES + 3, 150];

  it.each(DISTRIBUTIONS)('gives the reference JSON and summary at every size, read before and after building: %s', (_, draw) => {
    const r = rng(47);
    for (const n of SIZES) {
      const xs = Array.from({ length: n }, () => draw(r));
      const ref = referenceJson(xs);
      const refSummary = StatAccumulator.fromJSON(ref).summary(); // built from the start (fromJSON)
      const acc = accOf(xs);
      // Read twice: a buffered accumulator's read builds a sketch for the read alone and keeps its buffer.
      for (let read = 0; read < 2; read++) {
        expect(JSON.stringify(acc), `n = ${n}, read ${read}`).toBe(JSON.stringify(ref));
        expect(acc.summary(), `n = ${n}`).toEqual(refSummary);
      }
      // One more value after the reads: the same as adding every value at once.
      const x = draw(r);
      acc.add(x);
      expect(JSON.stringify(acc), `n = ${n} + 1`).toBe(JSON.stringify(referenceJson([...xs, x])));
      // Read from JSON (kept as read until an add or a merge into it): reads, an add, merges into it.
      const read = roundTrip(accOf(xs));
      expect(JSON.stringify(read), `n = ${n}, read from JSON`).toBe(JSON.stringify(ref));
      expect(read.summary()).toEqual(refSummary);
      read.add(x);
      expect(JSON.stringify(read), `n = ${n} + 1, read from JSON`).toBe(JSON.stringify(referenceJson([...xs, x])));
      const twice = JSON.stringify(referenceJson([...xs, ...xs]));
      const self = roundTrip(accOf(xs));
      self.merge(self);
      expect(JSON.stringify(self), `n = ${n}, read from JSON, merged with itself`).toBe(twice);
      const pair = roundTrip(accOf(xs));
      const other = roundTrip(accOf(xs));
      pair.merge(other);
      expect(JSON.stringify(pair), `n = ${n}, two read from JSON`).toBe(twice);
      expect(JSON.stringify(other)).toBe(JSON.stringify(ref)); // unchanged
    }
  });

  it.each(DISTRIBUTIONS)('merges buffered and built accumulators in any mix, itself included: %s', (_, draw) => {
    const r = rng(53);
    for (let trial = 0; trial < 40; trial++) {
      const xs = Array.from({ length: Math.floor(r() * 3 * BUFFERED_VALUES) }, () => draw(r));
      // Pieces of 0 to ~1.5 buffers, each buffered, or built (a JSON round trip builds whatever n).
      const merged = new StatAccumulator();
      merged.merge(new StatAccumulator()); // empty into empty
      for (let i = 0; i < xs.length;) {
        const size = Math.floor(r() * 1.5 * BUFFERED_VALUES); // 0 too: an empty piece
        const piece = accOf(xs.slice(i, i + size));
        const pieceJson = JSON.stringify(piece);
        merged.merge(r() < 0.3 ? roundTrip(piece) : piece);
        expect(JSON.stringify(piece)).toBe(pieceJson); // the piece is unchanged
        i += size;
      }
      expect(JSON.stringify(merged), `trial ${trial}`).toBe(JSON.stringify(referenceJson(xs)));
      merged.merge(merged); // every value twice, from either state
      expect(JSON.stringify(merged), `trial ${trial}, merged with itself`).toBe(JSON.stringify(referenceJson([...xs, ...xs])));
      expect(merged.summary()).toEqual(StatAccumulator.fromJSON(referenceJson([...xs, ...xs])).summary());
    }
  });

  it.each(DISTRIBUTIONS)('reads a few values as a QuantileSketch of them would, at any quantile (SmallSketch): %s', (_, draw) => {
    const r = rng(59);
    for (let n = 0; n <= BUFFERED_VALUES; n++) {
      const xs = Array.from({ length: n }, () => draw(r) + 0);
      const small = SmallSketch.of(0.005, xs);
      const sketch = new QuantileSketch(0.005);
      for (const x of xs) sketch.add(x);
      expect(JSON.stringify(small.toJSON())).toBe(JSON.stringify(sketch.toJSON()));
      for (let k = 0; k <= 200; k++) expect(small.quantile(k / 200), `n = ${n}, q = ${k / 200}`).toBe(sketch.quantile(k / 200));
      for (const q of [0.5, 0.9, 0.99, -0.1, 1.1, NaN]) expect(small.quantile(q)).toBe(sketch.quantile(q));
    }
  });

  it('refuses a bad value or accuracy before changing anything, buffered or built', () => {
    for (const n of [3, BUFFERED_VALUES + 3]) {
      const acc = accOf(Array.from({ length: n }, (_, i) => i + 0.5));
      const before = JSON.stringify(acc);
      expect(() => acc.add(NaN)).toThrow(RangeError);
      expect(() => acc.merge(accOf([1], 0.01))).toThrow(/relative accuracy/);
      expect(JSON.stringify(acc)).toBe(before);
    }
    expect(() => new StatAccumulator(1)).toThrow(RangeError); // at construction, not at the first build
  });
});

describe('PairAccumulator', () => {
  it('counts wins, ties and undefined changes on a hand-made table', () => {
    const p = new PairAccumulator();
    const table: [number, number, 'a' | 'b' | 'tie', number | 'undefined'][] = [
      [10, 8, 'b', -0.2],
      [8, 10, 'a', 0.25],
      [5, 5, 'tie', 0],
      [100, 100 * (1 + TIE_RELATIVE / 2), 'tie', TIE_RELATIVE / 2],
      [100, 100 * (1 + 2 * TIE_RELATIVE), 'a', 2 * TIE_RELATIVE],
      [0, 0, 'tie', 0],
      [0, 3, 'a', 'undefined'],
      [123.456, 123.456 * (1 + 4 * 2 ** -23), 'tie', 4 * 2 ** -23], // 4 f32 ulps of GPU rounding noise
      [3, 0, 'b', -1],
    ];
    for (const [a, b] of table) p.add(a, b);
    const s = p.summary();
    const changes = table.map((row) => row[3]).filter((c): c is number => c !== 'undefined');
    expect({ ...s, change: null }).toEqual({
      n: 9,
      aWins: 3,
      bWins: 2,
      ties: 4,
      aWinFraction: 3 / 9,
      bWinFraction: 2 / 9,
      change: null,
      undefinedChange: 1,
    });
    expect(s.change!.n).toBe(8);
    expect(s.change!.mean).toBeCloseTo(ssMean(changes), 14);
    expect([s.change!.min, s.change!.max]).toEqual([-1, 0.25]);
    expect(new PairAccumulator().summary()).toMatchObject({ n: 0, aWinFraction: null, change: null });
  });

  it('rejects negative or non-finite latencies without counting them', () => {
    const p = new PairAccumulator();
    p.add(1, 2);
    for (const [a, b] of [
      [-1, 2],
      [1, NaN],
      [Infinity, 1],
    ] as const) {
      expect(() => p.add(a, b)).toThrow(RangeError);
    }
    expect(p.summary()).toMatchObject({ n: 1, aWins: 1, change: { n: 1 } });
  });

  it('merges and round-trips independently of order and split', () => {
    const r = rng(31);
    const pairs = Array.from({ length: 20_000 }, () => {
      const a = r() < 0.05 ? 0 : Math.exp(normal(r));
      const u = r();
      const b = u < 0.1 ? a : u < 0.15 ? 0 : (a > 0 ? a : 1) * Math.exp(0.3 * normal(r));
      return [a, b] as const;
    });
    const ref = new PairAccumulator();
    for (const [a, b] of pairs) ref.add(a, b);
    const refJson = JSON.stringify(ref);
    const shards = [0, 1, 2, 3].map(() => new PairAccumulator());
    shuffled(pairs, 4).forEach(([a, b], i) => shards[i % 4]!.add(a, b));
    const merged = new PairAccumulator();
    for (const k of [3, 1, 0, 2]) merged.merge(PairAccumulator.fromJSON(JSON.parse(JSON.stringify(shards[k]))));
    expect(merged.summary()).toEqual(ref.summary());
    expect(JSON.stringify(merged)).toBe(refJson);
    const s = ref.summary();
    expect(s.aWins + s.bWins + s.ties).toBe(20_000);
    expect(s.ties).toBeGreaterThan(1000);
    expect(s.undefinedChange).toBeGreaterThan(0);
    const corrupt = JSON.parse(refJson) as { ties: number };
    corrupt.ties += 1;
    expect(() => PairAccumulator.fromJSON(corrupt)).toThrow(/change\.n: change\.n \d+ \+ undefinedChange \d+ ≠ 20001 pairs/);
    expect(() => PairAccumulator.fromJSON({ ...corrupt, version: 9 })).toThrow(/fleetsim\.pair: unsupported version 9/);
  });
});

describe('addRepeated and runs of equal values (the same state as one add per copy)', () => {
  it('Superaccumulator.addRepeated sums exactly across folds and pieces of 2^21 copies', () => {
    // Maximal chunks (middle chunk 2^32 − 1): more than 2^21 copies in one bin addition would round.
    const cases: [number, number][] = [
      [allOnes(-7), 2 ** 21 + 2],
      [-allOnes(-7), 3 * 2 ** 21 + 5],
      [allOnes(-1074 + 31), 7],
      [5e-324, 2 ** 22],
      [0, 9],
      [1e100, 2 ** 30],
    ];
    for (const [x, count] of cases) {
      const s = new Superaccumulator();
      s.add(0.1); // something in the bins already
      s.addRepeated(x, count);
      expect(exactSumOf(s.exact().toJSON()), `${x} × ${count}`).toBe(scaled(0.1) + scaled(x) * BigInt(count));
    }
    const product = new Superaccumulator();
    const ref = new ExactSum();
    for (const x of [0.1, -3.7e-200, 1e-170, 5e-324, 1e100]) {
      product.addProductRepeated(x, x, 5);
      for (let i = 0; i < 5; i++) ref.addProduct(x, x); // inexact tiny products: the same terms
    }
    expect(JSON.stringify(product.exact())).toBe(JSON.stringify(ref));
  });

  it('QuantileSketch.addRepeated gives the bins of one add per copy', () => {
    const a = new QuantileSketch();
    const b = new QuantileSketch();
    for (const [x, count] of [
      [3.7, 5],
      [-2, 3],
      [0, 4],
      [1e-320, 2],
      [3.7, 1],
    ] as const) {
      a.addRepeated(x, count);
      for (let i = 0; i < count; i++) b.add(x);
    }
    expect(a.toJSON()).toEqual(b.toJSON());
    expect(a.count).toBe(b.count);
  });

  // (value, copies) runs: across BUFFERED_VALUES, ±0, extremes, runs broken and resumed, long runs.
  const RUNS: [string, [number, number][]][] = [
    [
      '0/1 flags',
      [
        [0, 5],
        [1, 3],
        [0, 40],
        [1, 1],
        [0, 2],
      ],
    ],
    [
      'a run that crosses BUFFERED_VALUES',
      [
        [2.5, BUFFERED_VALUES - 1],
        [2.5, 1],
        [2.5, 1],
        [-1, 1],
      ],
    ],
    ['one value only, more than a buffer', [[7.25, BUFFERED_VALUES + 1]]],
    [
      '−0 and 0 in one run',
      [
        [-0, 3],
        [0, 2],
        [-0, 1],
      ],
    ],
    [
      'extremes and subnormals',
      [
        [1e100, 33],
        [-1e100, 1],
        [5e-324, 4],
        [1e-160, 6],
        [-(2 ** -1022), 2],
      ],
    ],
    [
      'a long run across the fold',
      [
        [allOnes(-7), 2 ** 21 + 3],
        [0.5, 2],
      ],
    ],
  ];

  it.each(RUNS)('add, addRepeated and the reference agree, whole, split, merged and through JSON: %s', (_, runs) => {
    const r = rng(61);
    const xs = runs.flatMap(([x, count]) => Array.from({ length: count }, () => x));
    const refJson = JSON.stringify(referenceJson(xs));
    const refSummary = StatAccumulator.fromJSON(referenceJson(xs)).summary();
    const repeated = new StatAccumulator();
    for (const [x, count] of runs) repeated.addRepeated(x, count);
    const shuffledAdds = accOf(xs.length < 100_000 ? shuffled(xs, 5) : xs); // few runs of equal values
    for (const acc of [repeated, accOf(xs), shuffledAdds, roundTrip(repeated)]) {
      expect(acc.count).toBe(xs.length);
      expect(JSON.stringify(acc)).toBe(refJson);
      expect(acc.summary()).toEqual(refSummary);
    }
    // Runs split at random points into pieces (each by add or addRepeated), merged in a random order.
    const pieces: StatAccumulator[] = [];
    for (const [x, count] of runs) {
      let left = count;
      while (left > 0) {
        const take = Math.min(left, 1 + Math.floor(r() * 40));
        const piece = new StatAccumulator();
        if (r() < 0.5) piece.addRepeated(x, take);
        else for (let i = 0; i < take; i++) piece.add(x);
        pieces.push(piece);
        left -= take;
        if (pieces.length > 200) break; // the long run: its first pieces only, the rest in one
      }
      if (left > 0) {
        const rest = new StatAccumulator();
        rest.addRepeated(x, left);
        pieces.push(rest);
      }
    }
    const merged = new StatAccumulator();
    for (const piece of shuffled(pieces, 7)) merged.merge(r() < 0.3 ? roundTrip(piece) : piece);
    expect(JSON.stringify(merged)).toBe(refJson);
    // A pending run read, then continued; and merged into itself.
    const [x0, c0] = runs[0]!;
    const continued = new StatAccumulator();
    continued.addRepeated(x0, 2);
    continued.summary();
    continued.addRepeated(x0, c0);
    continued.add(x0);
    expect(JSON.stringify(continued)).toBe(JSON.stringify(referenceJson(Array.from({ length: c0 + 3 }, () => x0))));
    const twice = new StatAccumulator();
    for (const [x, count] of runs) twice.addRepeated(x, count);
    twice.merge(twice);
    expect(JSON.stringify(twice)).toBe(JSON.stringify(referenceJson([...xs, ...xs])));
  });

  const LEAVE_OUT: ['none' | 'nan' | 'nonFinite', (x: number) => boolean][] = [
    ['none', () => false],
    ['nan', (x) => Number.isNaN(x)],
    ['nonFinite', (x) => !Number.isFinite(x)],
  ];
  it.each(LEAVE_OUT)('addStrided gives the state of add() per value it does not leave out (%s)', (leaveOut, skipped) => {
    const r = rng(67);
    const pool = [0, 1, 1, 2.5, -0, 3e-310, 1e100, 0.1, NaN, Infinity, -Infinity];
    for (let trial = 0; trial < 30; trial++) {
      const xs = Array.from({ length: 1 + Math.floor(r() * 200) }, () => pool[Math.floor(r() * (leaveOut === 'none' ? 8 : pool.length))]!);
      const stride = 1 + Math.floor(r() * 3);
      const start = Math.floor(r() * stride);
      const count = Math.floor((xs.length - start + stride - 1) / stride);
      const picked = Array.from({ length: count }, (_, i) => xs[start + i * stride]!);
      const bad = picked.findIndex((x) => !skipped(x) && !(Math.abs(x) <= 1e100));
      const expected = new StatAccumulator();
      expected.add(1); // a pending run before
      for (const x of bad < 0 ? picked : picked.slice(0, bad)) if (!skipped(x)) expected.add(x);
      const acc = new StatAccumulator();
      acc.add(1);
      if (bad < 0) acc.addStrided(xs, start, count, stride, leaveOut);
      else expect(() => acc.addStrided(xs, start, count, stride, leaveOut)).toThrow(RangeError); // the values before it added
      expect(JSON.stringify(acc), `trial ${trial}`).toBe(JSON.stringify(expected));
      expect(acc.count).toBe(expected.count);
    }
  });

  it('refuses a bad value or count before changing anything', () => {
    for (const n of [3, BUFFERED_VALUES + 3]) {
      const acc = accOf(Array.from({ length: n }, (_, i) => i + 0.5));
      acc.add(1); // a pending run
      const before = JSON.stringify(acc);
      expect(() => acc.addRepeated(NaN, 2)).toThrow(RangeError);
      expect(() => acc.addRepeated(1e101, 2)).toThrow(RangeError);
      for (const count of [0, -1, 1.5, NaN, Infinity, 2 ** 53]) expect(() => acc.addRepeated(1, count)).toThrow(RangeError);
      expect(JSON.stringify(acc)).toBe(before);
    }
  });
});
