/**
 * The bursty arrival processes of MODEL-PART4 §4.1 on the CPU (src/random/gamma.ts, renewal.ts,
 * mmpp.ts), checked against their laws. The GPU twins are held to these bit for bit by
 * test/bursty-gpu.test.ts, so the laws checked here hold there too.
 *
 * Tolerances, per the spec's validation rule "3 SE and 2 %": every estimate must lie within 3 standard
 * errors AND within 2 % of its true value. Variances are estimated as the mean of (N − E N)² with the
 * true mean E N = λt (so no degree of freedom is lost), and their standard error is the sample standard
 * deviation of (N − E N)² over √n. Sample sizes are chosen so that 3 SE is near 2 %, each estimate from
 * fixed seeds (deterministic), and kept small enough for the file to run in a few seconds.
 */
import chisquareCdf from '@stdlib/stats-base-dists-chisquare-cdf';
import { describe, expect, it } from 'vitest';
import { betaDraw, gammaDraw } from '../src/random/gamma.js';
import { checkMmpp, mmppIntensity, mmppParams, mmppStart, type MmppParams } from '../src/random/mmpp.js';
import { DrawStream, PURPOSE, purposeStep, seedKey } from '../src/random/philox.js';
import { PoissonSampler } from '../src/random/poisson.js';
import { lgamma, renewalArrivals, renewalParams, type RenewalParams, renewalStart, weibullShape } from '../src/random/renewal.js';

const [K0, K1] = seedKey(20260);
const f = Math.fround;

/** Mean and standard error of a sample. */
function meanSe(xs: Float64Array): { mean: number; se: number } {
  let s = 0;
  for (const x of xs) s += x;
  const mean = s / xs.length;
  let v = 0;
  for (const x of xs) v += (x - mean) ** 2;
  return { mean, se: Math.sqrt(v / (xs.length - 1) / xs.length) };
}

/** Expects an estimate within 3 SE and 2 % of `truth`. */
function expectNear(label: string, est: { mean: number; se: number }, truth: number): void {
  const err = Math.abs(est.mean - truth);
  const msg = `${label}: ${est.mean.toFixed(4)} ± ${est.se.toFixed(4)} vs ${truth.toFixed(4)}`;
  expect(err, msg).toBeLessThanOrEqual(3 * est.se);
  expect(err, msg).toBeLessThanOrEqual(0.02 * Math.abs(truth));
}

/** Counts in windows of `w` steps of budget `budget` from the stationary start, one per replicate. */
function renewalWindows(p: RenewalParams, budget: number, w: number, n: number, stream: number): { counts: Float64Array; approx: number } {
  const draws = new DrawStream();
  const counts = new Float64Array(n);
  const flag = { approx: 0 };
  let approx = 0;
  for (let rep = 0; rep < n; rep++) {
    draws.reset(K0, K1, stream, rep, purposeStep(PURPOSE.setup, 0), 0);
    const state = { residual: renewalStart(p, draws) };
    let total = 0;
    for (let t = 0; t < w; t++) {
      draws.reset(K0, K1, stream, rep, purposeStep(PURPOSE.arrivals, t), 0);
      flag.approx = 0;
      total += renewalArrivals(budget, p, state, draws, flag);
      approx += flag.approx;
    }
    counts[rep] = total;
  }
  return { counts, approx };
}

/** (N − μ)² per window: its mean estimates Var N with the true mean μ. */
function squaredDeviations(counts: Float64Array, mu: number): Float64Array {
  return counts.map((x) => (x - mu) ** 2);
}

describe('Gamma and Beta samplers', () => {
  it.each([0.05, 0.3, 1, 2.5, 40, 5e6])('Gamma(%f) has mean a and variance a', (a) => {
    // 20,000 draws: 3 SE of the mean is 3√(a/20000) ≤ 2 % of a for a ≥ 0.06; below, the variance
    // check carries the test (mean of small shapes checked within 3 SE only where 2 % is tighter).
    const draws = new DrawStream();
    const flag = { approx: 0 };
    const n = 20000;
    const xs = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      draws.reset(K0, K1, 7, i, 0, 0);
      xs[i] = gammaDraw(a, draws, flag) / a; // mean 1, variance 1/a
    }
    const m = meanSe(xs);
    expect(Math.abs(m.mean - 1), `Gamma(${a}) mean/a ${m.mean} ± ${m.se}`).toBeLessThanOrEqual(3 * m.se);
    expect(Math.abs(m.mean - 1)).toBeLessThanOrEqual(Math.max(0.02, 3 * m.se));
    const v = meanSe(xs.map((x) => a * (x - 1) ** 2)); // a·E(X − 1)² = 1
    expect(Math.abs(v.mean - 1), `Gamma(${a}) variance·a ${v.mean} ± ${v.se}`).toBeLessThanOrEqual(3 * v.se);
    expect(flag.approx).toBe(0);
  });

  it('Beta(a, b) has mean a/(a + b), small shapes included', () => {
    const draws = new DrawStream();
    const flag = { approx: 0 };
    for (const [a, b] of [
      [2, 3],
      [0.3, 5],
      [1e-4, 3e-4],
      [70, 0.5],
    ] as const) {
      const xs = new Float64Array(20000);
      for (let i = 0; i < xs.length; i++) {
        draws.reset(K0, K1, 8, i, 0, 0);
        xs[i] = betaDraw(a, b, draws, flag);
      }
      // 3 SE only: the mean of Beta(1e-4, 3e-4) is a Bernoulli(1/4) proportion, 2 % is beyond 20,000 draws.
      const m = meanSe(xs);
      expect(Math.abs(m.mean - a / (a + b)), `Beta(${a}, ${b}) mean ${m.mean} ± ${m.se}`).toBeLessThanOrEqual(3 * m.se);
    }
    expect(flag.approx).toBe(0);
  });
});

describe('renewal arrivals', () => {
  it.each([
    ['gamma', 0.5, 0.3],
    ['gamma', 2, 5],
    ['gamma', 4, 80],
    ['weibull', 0.5, 5],
    ['weibull', 2, 80],
    ['weibull', 2, 0.3],
  ] as const)('%s, CV %f: E[count per step] = budget %f', (family, cv, budget) => {
    // 4,000 replicates × 10 steps from the stationary start; per-step counts are correlated within a
    // replicate, so the SE is taken over replicate totals.
    const p = renewalParams(family, cv);
    const { counts, approx } = renewalWindows(p, budget, 10, 4000, 1);
    expectNear(`${family} ${cv} mean`, meanSe(counts.map((x) => x / 10)), budget);
    expect(approx).toBe(0);
  });

  it.each([
    [0.5, 25, 2, 40000],
    [2, 10, 5, 30000],
    [4, 50, 1, 40000],
  ])('gamma CV %f: Var N(t) = c²λt + (1 − c⁴)/6 at λt = 50 (budget %f × %i steps)', (cv, budget, w, n) => {
    const p = renewalParams('gamma', cv);
    const { counts } = renewalWindows(p, budget, w, n, 2);
    const truth = cv * cv * 50 + (1 - cv ** 4) / 6;
    expectNear(`gamma ${cv} variance`, meanSe(squaredDeviations(counts, budget * w)), truth);
  });

  it('checks the spec values of the Gamma variance formula', () => {
    expect(4 * 50 + (1 - 16) / 6).toBeCloseTo(197.5, 10);
    expect(0.25 * 50 + (1 - 0.0625) / 6).toBeCloseTo(12.65625, 10);
  });

  it('weibull CV 2: Var N(t) = c²λt + m₂²/2 − m₃/3 at λt = 50, no approximation', () => {
    const cv = 2;
    const beta = weibullShape(cv);
    const eta = Math.exp(-lgamma(1 + 1 / beta));
    const m = (j: number): number => eta ** j * Math.exp(lgamma(1 + j / beta));
    expect(m(1)).toBeCloseTo(1, 10);
    expect(m(2) - 1).toBeCloseTo(cv * cv, 8);
    const truth = cv * cv * 50 + m(2) ** 2 / 2 - m(3) / 3;
    const { counts, approx } = renewalWindows(renewalParams('weibull', cv), 10, 5, 40000, 3);
    expectNear('weibull 2 variance', meanSe(squaredDeviations(counts, 50)), truth);
    expect(approx).toBe(0);
  });

  it('CV 1 gives a Poisson process: per-step counts fit Poisson(budget)', () => {
    // Chi-square goodness of fit of 20,000 per-step counts (the first step of each replicate, so they
    // are independent) at budget 5, cells 0…11 and ≥ 12; p > 0.001.
    const budget = 5;
    const { counts } = renewalWindows(renewalParams('gamma', 1), budget, 1, 20000, 4);
    const cells = 13;
    const observed = new Float64Array(cells);
    for (const x of counts) observed[Math.min(x, cells - 1)]! += 1;
    let chi = 0;
    let pk = Math.exp(-budget);
    let tail = 1;
    for (let k = 0; k < cells; k++) {
      const prob = k === cells - 1 ? tail : pk;
      chi += (observed[k]! - counts.length * prob) ** 2 / (counts.length * prob);
      tail -= pk;
      pk = (pk * budget) / (k + 1);
    }
    expect(1 - chisquareCdf(chi, cells - 1), `chi-square ${chi}`).toBeGreaterThan(0.001);
    // Dispersion 1 over windows of 10 steps (λt = 50): Var = 50.
    const windows = renewalWindows(renewalParams('gamma', 1), budget, 10, 20000, 5);
    expectNear('gamma 1 variance', meanSe(squaredDeviations(windows.counts, 50)), 50);
  });

  it('rejects CVs outside [0.05, 200] and solves the Weibull shape', () => {
    expect(() => renewalParams('gamma', 0.01)).toThrow(/CV/);
    expect(() => renewalParams('weibull', 300)).toThrow(/CV/);
    for (const cv of [0.05, 1, 3, 200]) {
      const b = weibullShape(cv);
      expect(Math.exp(lgamma(1 + 2 / b) - 2 * lgamma(1 + 1 / b)) / (1 + cv * cv)).toBeCloseTo(1, 8);
    }
    expect(weibullShape(1)).toBeCloseTo(1, 8);
  });
});

/** Counts of an MMPP over `w` steps, one window per replicate, from the stationary start. */
function mmppWindows(p: MmppParams, budget: number, dt: number, w: number, n: number): Float64Array {
  const draws = new DrawStream();
  const switches = new DrawStream();
  const sampler = new PoissonSampler();
  const counts = new Float64Array(n);
  for (let rep = 0; rep < n; rep++) {
    draws.reset(K0, K1, 6, rep, purposeStep(PURPOSE.setup, 0), 0);
    const state = mmppStart(p, draws);
    let total = 0;
    for (let t = 0; t < w; t++) {
      switches.reset(K0, K1, 6, rep, purposeStep(PURPOSE.process, t), 0);
      draws.reset(K0, K1, 6, rep, purposeStep(PURPOSE.arrivals, t), 0);
      const intensity = mmppIntensity(dt, p, state, switches);
      total += sampler.sample(f(budget * f(intensity / f(dt))), draws);
    }
    counts[rep] = total;
  }
  return counts;
}

describe('2-state MMPP', () => {
  it('Var N(t) = λ̄t + 2π_Hπ_L(λ_H − λ_L)²[t/ν − (1 − e^{−νt})/ν²] and E N(t) = λ̄t', () => {
    // λ̄ = 10/s, J = 5, π_H = 0.2, κ = 3: ψ_L = 0.5, ν = 5/s; windows of t = 5 s (λ̄t = 50) in steps of
    // Δt = 0.5 s (budget 5), so phases switch within and across steps.
    const [lambda, J, piH, kappa, dt, w] = [10, 5, 0.2, 3, 0.5, 10];
    const p = mmppParams(lambda, J, piH, kappa);
    const psiL = (1 - kappa * piH) / (1 - piH);
    const nu = (2 * piH * (1 - piH) * lambda * (kappa - psiL) ** 2) / (J - 1);
    const t = dt * w;
    const truth = lambda * t + 2 * piH * (1 - piH) * (lambda * (kappa - psiL)) ** 2 * (t / nu - (1 - Math.exp(-nu * t)) / nu ** 2);
    const counts = mmppWindows(p, lambda * dt, dt, w, 30000);
    expectNear('mmpp mean', meanSe(counts), lambda * t);
    expectNear('mmpp variance', meanSe(squaredDeviations(counts, lambda * t)), truth);
  });

  it('ψ_H = ψ_L = 1 reproduces the Poisson sampler bit for bit', () => {
    const p = mmppParams(3, 2, 0.5, 1);
    expect([p.psiHigh, p.psiLow, p.qHighToLow, p.qLowToHigh]).toEqual([1, 1, 0, 0]);
    const draws = new DrawStream();
    const switches = new DrawStream();
    const plain = new DrawStream();
    const a = new PoissonSampler();
    const b = new PoissonSampler();
    for (const [budget, dt] of [
      [0.37, 0.1],
      [3.3, 1],
      [27.1, 0.01],
    ] as const) {
      for (let rep = 0; rep < 50; rep++) {
        draws.reset(K0, K1, 9, rep, purposeStep(PURPOSE.setup, 0), 3);
        const state = mmppStart(p, draws);
        for (let t = 0; t < 40; t++) {
          switches.reset(K0, K1, 9, rep, purposeStep(PURPOSE.process, t), 3);
          draws.reset(K0, K1, 9, rep, purposeStep(PURPOSE.arrivals, t), 3);
          plain.reset(K0, K1, 9, rep, t, 3);
          const intensity = mmppIntensity(dt, p, state, switches);
          expect(f(intensity / f(dt))).toBe(1);
          expect(a.sample(f(budget * f(intensity / f(dt))), draws)).toBe(b.sample(f(budget), plain));
        }
      }
    }
  });

  it('checkMmpp names the invalid field', () => {
    expect(checkMmpp(1, 5, 0.2, 3)).toBeNull();
    expect(checkMmpp(1, 5, 0.5, 3)).toMatch(/κ·π_H/);
    expect(checkMmpp(1, 1, 0.2, 3)).toMatch(/J/);
    expect(checkMmpp(1, 5, 1, 3)).toMatch(/π_H/);
    expect(checkMmpp(1, 5, 0.2, 0.5)).toMatch(/κ/);
    expect(() => mmppParams(1, 0.5, 0.2, 3)).toThrow(/J/);
  });
});
