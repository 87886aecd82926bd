/**
 * Counter-based random numbers and the exact Poisson sampler (CPU side; test/gpu-draws.test.ts checks
 * that the GPU produces the same draws).
 */
import chisquareCdf from '@stdlib/stats-base-dists-chisquare-cdf';
import { describe, expect, it } from 'vitest';
import { DrawStream, philox4x32, seedKey, u01, u01Open0, uCentered } from '../src/random/philox.js';
import { expf32, logf32 } from '../src/random/f32math.js';
import { MAX_POISSON_MEAN, STIRLERR_TABLE, logPoissonPmf, poisson } from '../src/random/poisson.js';
import { exponentialWork, MAX_WORK_DRAWS } from '../src/random/work.js';

const hex = (words: ArrayLike<number>): string => Array.from(words, (w) => w.toString(16).padStart(8, '0')).join(' ');

describe('Philox4x32-10', () => {
  // Known-answer vectors from Random123 (kat_vectors: philox4x32 10 rounds).
  it.each([
    [[0, 0, 0, 0], [0, 0], '6627e8d5 e169c58d bc57ac4c 9b00dbd8'],
    [[0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff], [0xffffffff, 0xffffffff], '408f276d 41c83b0e a20bc7c6 6d5451fd'],
    [[0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344], [0xa4093822, 0x299f31d0], 'd16cfe09 94fdcceb 5001e420 24126ea1'],
  ])('matches the Random123 vector for counter %j', (ctr, [k0, k1], expected) => {
    expect(hex(philox4x32(ctr, k0!, k1!))).toBe(expected);
  });

  it('makes every draw a pure function of its coordinates, whatever was drawn before', () => {
    const [k0, k1] = seedKey(123456789012345n);
    const a = new DrawStream();
    a.reset(k0, k1, 5, 2, 17, 3);
    const sequential = Array.from({ length: 10 }, () => a.nextU32());
    const b = new DrawStream();
    b.reset(k0, k1, 99, 0, 0, 0); // unrelated work in between
    b.nextU32();
    b.reset(k0, k1, 5, 2, 17, 3);
    expect(Array.from({ length: 10 }, () => b.nextU32())).toEqual(sequential);
    // draw d is word d & 3 of block d >> 2 of counter (stream, replicate, step, agent << 16 | block)
    expect(sequential[6]).toBe(philox4x32([5, 2, 17, (3 << 16) | 1], k0, k1)[2]);
  });

  it('splits seeds into key words and rejects seeds outside [0, 2^64)', () => {
    expect(seedKey(0x0123456789abcdefn)).toEqual([0x89abcdef, 0x01234567]);
    expect(() => seedKey(-1)).toThrow(/seed/);
    expect(() => seedKey(1n << 64n)).toThrow(/seed/);
  });

  it('maps words to uniforms with the documented ranges', () => {
    expect(u01(0)).toBe(0);
    expect(u01(0xffffffff)).toBe(1 - 2 ** -24);
    expect(u01Open0(0)).toBe(2 ** -24);
    expect(u01Open0(0xffffffff)).toBe(1);
    expect(uCentered(0)).toBe(-0.5 + 2 ** -25);
    expect(uCentered(0xffffffff)).toBe(0.5 - 2 ** -25);
    for (const x of [0, 1, 0x7fffffff, 0x80000000, 0xffffffff]) expect(Math.fround(uCentered(x))).toBe(uCentered(x));
  });
});

/** ln k! for k = 0…n by summing logs (exact enough in f64 for the test's purposes). */
function logFactorials(n: number): Float64Array {
  const out = new Float64Array(n + 1);
  for (let k = 2; k <= n; k++) out[k] = out[k - 1]! + Math.log(k);
  return out;
}

describe('stirlerr table', () => {
  it('equals ln n! − (n + ½) ln n + n − ½ ln 2π to f32 precision', () => {
    const lf = logFactorials(15);
    for (let n = 1; n <= 15; n++) {
      const exact = lf[n]! - (n + 0.5) * Math.log(n) + n - 0.5 * Math.log(2 * Math.PI);
      expect(STIRLERR_TABLE[n]).toBe(Math.fround(exact));
    }
  });
});

describe('exact Poisson sampler', () => {
  const SAMPLES = 200_000;

  function sample(mean: number, seed: number): Int32Array {
    const [k0, k1] = seedKey(seed);
    const draws = new DrawStream();
    const out = new Int32Array(SAMPLES);
    for (let s = 0; s < SAMPLES; s++) {
      draws.reset(k0, k1, s, 0, 0, 0);
      out[s] = poisson(mean, draws);
    }
    return out;
  }

  /** Pearson's χ² statistic over bins merged until each expects ≥ 5 counts; returns [χ², degrees of freedom]. */
  function chiSquare(counts: Int32Array, mean: number): [number, number] {
    const lf = logFactorials(Math.ceil(mean + 50 * Math.sqrt(mean) + 50));
    const observed = new Map<number, number>();
    for (const k of counts) observed.set(k, (observed.get(k) ?? 0) + 1);
    const pmf = (k: number): number => Math.exp(-mean + k * Math.log(mean) - lf[k]!);
    const mode = Math.floor(mean);
    let lo = mode;
    while (lo > 0 && pmf(lo - 1) * SAMPLES >= 5) lo--;
    let hi = mode;
    while (pmf(hi + 1) * SAMPLES >= 5) hi++;
    // bins: (−∞, lo], lo+1 … hi−1, [hi, ∞)
    let chi = 0;
    let bins = 0;
    let cdfLo = 0;
    for (let k = 0; k <= lo; k++) cdfLo += pmf(k);
    let cdfHi = 0;
    for (let k = 0; k < hi; k++) cdfHi += pmf(k);
    const add = (obs: number, p: number): void => {
      const e = p * SAMPLES;
      chi += ((obs - e) * (obs - e)) / e;
      bins++;
    };
    let obsLo = 0;
    let obsHi = 0;
    for (const [k, c] of observed) {
      if (k <= lo) obsLo += c;
      if (k >= hi) obsHi += c;
    }
    add(obsLo, cdfLo);
    for (let k = lo + 1; k < hi; k++) add(observed.get(k) ?? 0, pmf(k));
    if (hi > lo) add(obsHi, 1 - cdfHi);
    return [chi, bins - 1];
  }

  it.each([0.3, 5, 80, 5000])('draws Poisson(%d): mean, variance and χ² goodness of fit', (mean) => {
    const counts = sample(mean, 20261121);
    let sum = 0;
    for (const k of counts) sum += k;
    const m = sum / SAMPLES;
    let ss = 0;
    for (const k of counts) ss += (k - m) ** 2;
    const variance = ss / (SAMPLES - 1);
    // Sample mean: standard error √(μ/n); 4.5 standard errors is a one-in-150,000 false alarm.
    expect(Math.abs(m - mean)).toBeLessThan(4.5 * Math.sqrt(mean / SAMPLES));
    // Sample variance: standard error ≈ μ·√(2/n) (+ the 4th-cumulant term μ/n, small here).
    expect(Math.abs(variance - mean)).toBeLessThan(4.5 * Math.sqrt((2 * mean * mean + mean) / SAMPLES));
    const [chi, df] = chiSquare(counts, mean);
    const p = 1 - chisquareCdf(chi, df);
    expect(p, `χ² = ${chi.toFixed(1)} on ${df} degrees of freedom`).toBeGreaterThan(1e-4);
  });

  it('stops the inversion search where the f32 running sum saturates (the largest uniforms)', () => {
    // A stream whose next word is all ones: u = 1 − 2^-24, above every saturated f32 sum. Before the
    // fix such draws (about 1 in 10^7 at small means) searched on to k = 200: bursts of 200 requests
    // that showed up as 6-sigma arrival totals in the queueing test.
    const top = { nextU32: () => 0xffffffff } as unknown as DrawStream;
    for (const mean of [1e-6, 0.0035, 0.05, 0.7, 3, 9.99]) {
      const k = poisson(mean, top);
      expect(k, `mean ${mean}`).toBeLessThan(mean + 12 * Math.sqrt(mean) + 6);
    }
  });

  it('returns 0 for mean 0 without drawing, and handles means up to MAX_POISSON_MEAN', () => {
    const draws = new DrawStream();
    draws.reset(1, 2, 3, 4, 5, 6);
    expect(poisson(0, draws)).toBe(0);
    for (const mean of [9.999, 10, 10_000, 1e6, MAX_POISSON_MEAN]) {
      let sum = 0;
      const n = 2000;
      for (let s = 0; s < n; s++) {
        draws.reset(7, 8, s, 0, 0, 0);
        sum += poisson(mean, draws);
      }
      expect(Math.abs(sum / n - mean)).toBeLessThan(5 * Math.sqrt(mean / n));
    }
  });

  it('costs O(1) draws per sample at any mean (PTRS acceptance ≥ 0.75 from mean 10 on)', () => {
    const draws = new DrawStream();
    for (const mean of [10, 100, 10_000, 1e6]) {
      let used = 0;
      const n = 5000;
      for (let s = 0; s < n; s++) {
        draws.reset(11, 12, s, 0, 0, 0);
        poisson(mean, draws);
        used += (draws as unknown as { next: number }).next;
      }
      expect(used / n).toBeLessThan(2 / 0.75);
    }
  });

  it('computes ln P(K = k) without cancellation at large means', () => {
    const lf = logFactorials(11_000);
    for (const [k, mean] of [
      [0, 3],
      [7, 3],
      [10_000, 10_000],
      [10_250, 10_000],
      [9_700, 10_000],
    ] as const) {
      const exact = -mean + k * Math.log(mean) - lf[k]!;
      expect(Math.abs(logPoissonPmf(k, mean) - exact)).toBeLessThan(2e-6 * Math.max(1, Math.abs(exact)));
    }
  });
});

describe('portable f32 ln and exp', () => {
  const ulp = (x: number): number => {
    const e = Math.floor(Math.log2(Math.abs(x)));
    return 2 ** (e - 23);
  };
  it('logf32 is within 4 ulp of ln over the sampler’s inputs', () => {
    for (let i = 0; i < 20_000; i++) {
      const x = Math.fround(2 ** (-24 + 60 * ((i * 0.61803398875) % 1)));
      const exact = Math.log(x);
      if (Math.abs(exact) < 1e-3) continue; // relative ulp loses meaning at ln x ≈ 0; absolute check below
      expect(Math.abs(logf32(x) - exact)).toBeLessThanOrEqual(4 * ulp(exact));
    }
    for (const x of [1, Math.fround(1 + 2 ** -23), Math.fround(1 - 2 ** -24), 0.999, 1.001]) {
      expect(Math.abs(logf32(Math.fround(x)) - Math.log(Math.fround(x)))).toBeLessThan(2e-7);
    }
  });
  it('expf32 is within 4 ulp of exp on [−80, 80]', () => {
    for (let i = 0; i < 20_000; i++) {
      const x = Math.fround(-80 + 160 * ((i * 0.61803398875) % 1));
      const exact = Math.exp(x);
      expect(Math.abs(expf32(x) - exact)).toBeLessThanOrEqual(4 * ulp(exact));
    }
  });
});

describe('exponential work per request', () => {
  it('draws Exp(1) work per request: mean, variance and tail probabilities', () => {
    const [k0, k1] = seedKey(777);
    const draws = new DrawStream();
    const n = 200_000;
    let sum = 0;
    let squares = 0;
    let above1 = 0;
    let above3 = 0;
    for (let s = 0; s < n; s++) {
      draws.reset(k0, k1, s, 0, 0, 0);
      const w = exponentialWork(1, draws);
      sum += w;
      squares += w * w;
      if (w > 1) above1++;
      if (w > 3) above3++;
    }
    const mean = sum / n;
    const variance = squares / n - mean * mean;
    // Exp(1): mean 1 (standard error 1/√n), variance 1 (standard error √(8/n): 4th central moment 9),
    // P(w > x) = e^−x (binomial standard error); 4.5 standard errors each.
    expect(Math.abs(mean - 1)).toBeLessThan(4.5 / Math.sqrt(n));
    expect(Math.abs(variance - 1)).toBeLessThan(4.5 * Math.sqrt(8 / n));
    for (const [count, x] of [[above1, 1], [above3, 3]] as const) {
      const p = Math.exp(-x);
      expect(Math.abs(count / n - p), `P(w > ${x})`).toBeLessThan(4.5 * Math.sqrt((p * (1 - p)) / n));
    }
  });

  it('sums the requests in draw order in f32, taking one draw each, and none for no request', () => {
    const [k0, k1] = seedKey(99);
    const draws = new DrawStream();
    draws.reset(k0, k1, 1, 2, 3, 4);
    expect(exponentialWork(0, draws)).toBe(0);
    const firstDraws = Array.from({ length: 5 }, () => draws.nextU32()); // no draw was taken above
    let expected = 0;
    for (const x of firstDraws) expected = Math.fround(expected - logf32(u01Open0(x)));
    draws.reset(k0, k1, 1, 2, 3, 4);
    expect(exponentialWork(5, draws)).toBe(expected);
    expect(draws.nextU32()).toBe(philox4x32([1, 2, 3, (4 << 16) | 1], k0, k1)[1]); // draw 5 comes next
  });

  it('stops drawing at MAX_WORK_DRAWS, past which each request adds its mean', () => {
    const [k0, k1] = seedKey(5);
    const draws = new DrawStream();
    draws.reset(k0, k1, 0, 0, 0, 0);
    const capped = exponentialWork(MAX_WORK_DRAWS, draws);
    draws.reset(k0, k1, 0, 0, 0, 0);
    expect(exponentialWork(MAX_WORK_DRAWS + 1000, draws)).toBe(Math.fround(capped + 1000));
  });
});
