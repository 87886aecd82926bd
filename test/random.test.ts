/**
 * Counter-based random numbers and the exact Poisson sampler (CPU side; test/gpu-vs-cpu.test.ts checks
 * that the GPU produces the same draws).
 */
import chisquareCdf from '@stdlib/stats-base-dists-chisquare-cdf';
import { describe, expect, it } from 'vitest';
import {
  DrawStream,
  philox4x32,
  philoxBlock,
  philoxBlocks4,
  philoxKey,
  philoxPrefix,
  PREFIX_WORDS,
  seedKey,
  u01,
  u01Open0,
  uCentered,
} from '../src/random/philox.js';
import { expf32, logf32 } from '../src/random/f32math.js';
import { MAX_POISSON_MEAN, PoissonSampler, STIRLERR_TABLE, logPoissonPmf, poisson } from '../src/random/poisson.js';
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

  it('computes the same blocks through the prefixed fast path (one block or four at once)', () => {
    let x = 0x9e3779b9;
    const word = (): number => {
      x = (Math.imul(x ^ (x >>> 15), 0x2c1b3c6d) + 0x6d2b79f5) >>> 0; // any spread of 32-bit words
      return x % 5 === 0 ? [0, 0xffffffff, 0x80000000, 0x7fffffff][x % 4]! : x;
    };
    const one = new Int32Array(4);
    const four = new Int32Array(16);
    const prefix = new Int32Array(4 * PREFIX_WORDS);
    const counters = [
      [0, 0, 0, 0, 0, 0],
      [0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff],
      [0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344, 0xa4093822, 0x299f31d0],
      ...Array.from({ length: 4000 }, () => Array.from({ length: 6 }, word)),
    ];
    for (const [c0, c1, c2, c3, k0, k1] of counters as [number, number, number, number, number, number][]) {
      const key = philoxKey(k0, k1);
      const expected = Array.from(philox4x32([c0, c1, c2, c3], k0, k1));
      philoxPrefix(key, c0, c1, c2, prefix, 0);
      philoxBlock(key, prefix, 0, c3, one, 0);
      expect(
        Array.from(one, (w) => w >>> 0),
        `counter ${hex([c0, c1, c2, c3])}`,
      ).toEqual(expected);
      // four consecutive steps of the same (stream, replicate, word 3)
      for (let s = 0; s < 4; s++) philoxPrefix(key, c0, c1, (c2 + s) >>> 0, prefix, s * PREFIX_WORDS);
      philoxBlocks4(key, prefix, 0, c3, four, 0);
      for (let s = 0; s < 4; s++) {
        expect(Array.from(four.subarray(4 * s, 4 * s + 4), (w) => w >>> 0)).toEqual(
          Array.from(philox4x32([c0, c1, (c2 + s) >>> 0, c3], k0, k1)),
        );
      }
    }
  });

  it('resumes a stream from a precomputed first block exactly where reset would start it', () => {
    const [k0, k1] = seedKey(0xfedcba9876543210n);
    const key = philoxKey(k0, k1);
    const prefix = new Int32Array(PREFIX_WORDS);
    const first = new Int32Array(8);
    for (const [stream, replicate, step, agent] of [
      [5, 2, 17, 3],
      [0xffffffff, 7, 0xfffffffe, 63],
      [0, 0, 0, 0],
    ] as const) {
      const a = new DrawStream();
      a.reset(k0, k1, stream, replicate, step, agent);
      philoxPrefix(key, stream, replicate, step, prefix, 0);
      philoxBlock(key, prefix, 0, agent << 16, first, 4);
      const b = new DrawStream();
      b.resume(key, prefix, 0, agent, first, 4);
      expect(Array.from({ length: 23 }, () => b.nextU32())).toEqual(Array.from({ length: 23 }, () => a.nextU32()));
    }
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

  /**
   * The sampler by its plain definition, the oracle: its per-mean constants computed on every call and
   * its acceptance test always taking the logarithms (src/random/poisson.ts caches the first and skips
   * the second where the f64 ratio decides).
   */
  function uncachedPoisson(mean: number, draws: DrawStream): number {
    const f = Math.fround;
    const mu = f(mean);
    if (!(mu > 0)) return 0;
    if (mu < 10) {
      const u = u01(draws.nextU32());
      let p = expf32(f(-mu));
      let cdf = p;
      let k = 0;
      while (u >= cdf && k < 200) {
        k++;
        p = f(f(p * mu) / k);
        const next = f(cdf + p);
        if (next === cdf) break; // the f32 sum saturated: stop here (see poisson.ts)
        cdf = next;
      }
      return k;
    }
    const slam = f(Math.sqrt(mu));
    const b = f(f(0.931) + f(f(2.53) * slam));
    const a = f(f(-0.059) + f(f(0.02483) * b));
    const invAlpha = f(f(1.1239) + f(f(1.1328) / f(b - f(3.4))));
    const vr = f(f(0.9277) - f(f(3.6224) / f(b - 2)));
    const lnInvAlpha = logf32(invAlpha);
    const base = Math.floor(mu);
    const frac = f(mu - base);
    let k = 0;
    for (let tries = 0; tries < 64; tries++) {
      const u = uCentered(draws.nextU32());
      const v = u01Open0(draws.nextU32());
      const us = f(f(0.5) - Math.abs(u));
      const spread = f(f(f(f(2 * a) / us) + b) * u);
      const whole = Math.floor(spread);
      const carry = (Math.trunc(f(spread - whole) * 16777216) + Math.trunc(frac * 16777216) + 7214202) >>> 24;
      k = base + Math.min(Math.max(whole, -1073741824), 1073741824) + carry;
      if (us >= f(0.07) && v <= vr) return k;
      if (k < 0 || (us < f(0.013) && v > us)) continue;
      const lhs = f(f(logf32(v) + lnInvAlpha) - logf32(f(f(a / f(us * us)) + b)));
      if (lhs <= logPoissonPmf(k, mu)) return k;
    }
    return Math.max(k, 0);
  }

  it('returns exactly the counts of the uncached definition, whichever means follow each other', () => {
    const [k0, k1] = seedKey(31337);
    const sampler = new PoissonSampler();
    const a = new DrawStream();
    const b = new DrawStream();
    const means = [1e-6, 0.3, 5, 9.999, 10, 10.5, 25, 45, 80, 1000, 12345.678, 1e6, MAX_POISSON_MEAN];
    let compared = 0;
    const mismatches: string[] = [];
    const compare = (mean: number, s: number): void => {
      a.reset(k0, k1, s, 1, 2, 3);
      b.reset(k0, k1, s, 1, 2, 3);
      const got = sampler.sample(mean, a);
      const want = uncachedPoisson(mean, b);
      compared++;
      if (got !== want && mismatches.length < 5) mismatches.push(`mean ${mean}, stream ${s}: got ${got}, expected ${want}`);
    };
    for (const mean of means) for (let s = 0; s < 20_000; s++) compare(mean, s);
    // alternating means: the cached constants and thresholds must follow the mean
    for (let s = 0; s < 20_000; s++) compare(means[s % means.length]!, s);
    expect(mismatches).toEqual([]);
    expect(compared).toBe(14 * 20_000);
  });

  it('agrees with the definition at the extreme draws, where inversion’s f32 sum saturates', () => {
    let word = 0;
    const constant = { nextU32: (): number => word } as unknown as DrawStream;
    const sampler = new PoissonSampler();
    for (const w of [0, 0xffffffff, 0xffffff00, 0x80000000]) {
      word = w;
      for (const mean of [1e-6, 0.3, 1, 5, 9.5, 9.999, 10, 80, 1e6])
        expect(sampler.sample(mean, constant), `mean ${mean}, word ${w}`).toBe(uncachedPoisson(mean, constant));
    }
  });

  it('decides PTRS’s acceptance test as the f32 definition does right at its threshold', () => {
    // Draw words chosen by hand: try 1 is a candidate that reaches the full acceptance test, with v
    // swept across the test's threshold in steps of 2^-24; try 2 is accepted on the fast path, so the
    // count returned says how try 1 was decided.
    const words = new Uint32Array(4);
    let next = 0;
    const fixed = { nextU32: (): number => words[next++ & 3]! } as unknown as DrawStream;
    words[2] = 0x80000000; // try 2: u ≈ 0, us ≈ 0.5
    words[3] = 0; // v = 2^-24 ≤ v_r
    const sampler = new PoissonSampler();
    const decide = (mean: number, vWord: number): [number, number] => {
      words[1] = vWord << 8;
      next = 0;
      const got = sampler.sample(mean, fixed);
      next = 0;
      return [got, uncachedPoisson(mean, fixed)];
    };
    let compared = 0;
    const mismatches: string[] = [];
    for (const mean of [10, 25, 80, 1000, 1e6]) {
      for (const us of [0.014, 0.03, 0.05, 0.069]) {
        for (const sign of [1, -1]) {
          words[0] = ((Math.round((0.5 - us) * sign * 2 ** 25) + 2 ** 24) << 7) >>> 0; // uCentered ≈ ±(0.5 − us)
          // try 2's count, then try 1 is accepted exactly when another count comes back
          const second = uncachedPoisson(mean, { nextU32: (): number => words[2 + (next++ & 1)]! } as unknown as DrawStream);
          const accepted = (m: number): boolean => decide(mean, m)[1] !== second;
          // the lowest v word (m) at which the definition rejects try 1: v grows with m, and so does lhs
          let lo = 0;
          let hi = 2 ** 24 - 1;
          if (!accepted(lo) || accepted(hi)) continue; // the threshold lies outside (0, 1], or both tries give one count
          while (hi - lo > 1) {
            const mid = (lo + hi) >>> 1;
            if (accepted(mid)) lo = mid;
            else hi = mid;
          }
          for (let m = Math.max(0, hi - 3000); m < Math.min(2 ** 24, hi + 3000); m++) {
            const [got, want] = decide(mean, m);
            compared++;
            if (got !== want && mismatches.length < 5)
              mismatches.push(`mean ${mean}, us ${us}, sign ${sign}, v word ${m}: got ${got}, expected ${want}`);
          }
        }
      }
    }
    expect(mismatches).toEqual([]);
    expect(compared).toBeGreaterThan(20 * 6000);
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
  it('logf32 stays within the error PTRS’s ratio test allows: 1.0e-6 for every v, 1e-5 for x ≥ 1', () => {
    // src/random/poisson.ts decides the acceptance test from an f64 ratio where it lies more than 1e-3
    // (in ln) from the threshold; that is sound while logf32's error stays within these bounds.
    let worstV = 0;
    for (let m = 1; m <= 2 ** 24; m++) {
      const v = m * 2 ** -24; // every value u01Open0 returns
      worstV = Math.max(worstV, Math.abs(logf32(v) - Math.log(v)));
    }
    expect(worstV).toBeLessThan(1.0e-6);
    const f32 = new Float32Array(1);
    const bits = new Uint32Array(f32.buffer);
    let worstX = 0;
    for (let e = 127; e < 255; e++) {
      for (let m = 0; m < 1 << 23; m += 61) {
        bits[0] = (e << 23) | m; // f32 x = 1.m × 2^(e − 127)
        worstX = Math.max(worstX, Math.abs(logf32(f32[0]!) - Math.log(f32[0]!)));
      }
    }
    expect(worstX).toBeLessThan(1e-5);
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
    for (const [count, x] of [
      [above1, 1],
      [above3, 3],
    ] as const) {
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
