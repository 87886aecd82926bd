/**
 * Exact Poisson sampling, the CPU twin of `shaders/poisson.wgsl`: the same algorithm, the same draw
 * order and the same f32 arithmetic (every operation rounded with Math.fround in WGSL's evaluation
 * order), so the GPU and the CPU return the same count for the same draws. They can differ only where
 * a GPU transcendental (exp, log, sqrt) or a fused multiply-add rounds differently and the draw lies
 * within an ulp of a decision threshold; test/gpu-vs-cpu.test.ts counts such cases.
 *
 * - mean < INVERSION_MAX_MEAN: inversion by sequential search (one draw, expected mean + 1 steps),
 *   stopping where the f32 running sum stops growing;
 * - otherwise PTRS, Hörmann's transformed rejection with squeeze ("The transformed rejection method
 *   for generating Poisson random variables", 1993), two draws per try, acceptance from 0.75 at
 *   mean 10 rising to 0.89 for large means (test/random.test.ts measures it), so O(1) expected cost at any mean. Its acceptance test uses log p(k) in Loader's
 *   cancellation-free form (stirlerr + bd0), which keeps f32 accurate to ~1e-6 even at mean 10^6.
 */
import { expf32, logf32 } from './f32math.js';
import { type DrawStream, u01, u01Open0, uCentered } from './philox.js';

const f = Math.fround;

/** Means below this use inversion; at or above, PTRS (valid for means ≥ 10). */
export const INVERSION_MAX_MEAN = 10;
/** Inversion never searches past this count (P(k > 200 | mean < 10) < 1e-150). */
const INVERSION_MAX_K = 200;
/** PTRS gives up after this many rejected tries (probability below 1e-38) and returns the last candidate. */
const PTRS_MAX_TRIES = 64;
/** PTRS candidate offsets are clamped to ±2^30 so that i32 arithmetic on the GPU cannot overflow. */
const OFFSET_LIMIT = 1073741824;
/** Largest mean per draw the sampler accepts: counts stay exact integers in f32 arithmetic. */
export const MAX_POISSON_MEAN = 1e7;

/** stirlerr(n) = ln n! − (n + ½) ln n + n − ½ ln 2π for n = 0…15, rounded to f32 (WGSL: STIRLERR). */
export const STIRLERR_TABLE: readonly number[] = [
  0.0, 0.0810614668, 0.04134069596, 0.02767792568, 0.0207906721, 0.01664469119, 0.01387612882, 0.01189670995, 0.01041126526, 0.009255462183,
  0.008330563433, 0.007573675488, 0.006942840107, 0.006408994188, 0.005951370113, 0.005554733552,
].map(f);

const TWO_PI = f(6.283185307179586);
/** 0.43, PTRS's candidate shift, in units of 2^-24 (added in integers: see poisson()). */
const SHIFT_FX = 7214202;
/**
 * PTRS's full acceptance test is ln v + ln(1/α) − ln x ≤ log p(k) in f32 (x = a/us² + b), with the
 * portable logf32. Its error against the real logarithms is below 2·10^-5: logf32 is within 1.0·10^-6
 * of ln for every v the sampler can draw (test/random.test.ts checks all 2^24 of them) and within
 * 1.6·10^-6 for x (f32 x ≥ 1; ≤ 10^-5 allowing for its exponent term), and the two f32 additions round
 * by at most 2^-24 of ~106. So where v / (x·e^{log p(k) − ln(1/α)}) lies outside [e^-M, e^M] with
 * M ≈ 10^-3, fifty times that error, the f64 ratio alone decides the test as the f32 one would: no
 * logarithm is taken, and the exact f32 test runs only in the thin band between (about 1 in 1,000).
 */
const RATIO_ACCEPT_BELOW = 0.999; // ln 0.999 = −1.0005·10^-3
const RATIO_REJECT_ABOVE = 1.001; // ln 1.001 = 9.995·10^-4

/** Stirling's-series error term for integer n ≥ 0 (n = 0 returns 0). */
export function stirlerr(n: number): number {
  if (n <= 15) return STIRLERR_TABLE[n]!;
  const nn = f(n * n);
  // (1/12 − (1/360 − (1/1260 − (1/1680)/nn)/nn)/nn)/n
  let s = f(f(0.0005952380952380953) / nn);
  s = f(f(0.0007936507936507937) - s);
  s = f(s / nn);
  s = f(f(0.002777777777777778) - s);
  s = f(s / nn);
  s = f(f(0.08333333333333333) - s);
  return f(s / n);
}

/** bd0(x, m) = x ln(x/m) + m − x without cancellation (Loader 2000). */
export function bd0(x: number, m: number): number {
  const diff = f(x - m);
  const total = f(x + m);
  if (Math.abs(diff) < f(f(0.1) * total)) {
    let v = f(diff / total);
    let s = f(diff * v);
    let ej = f(f(2 * x) * v);
    v = f(v * v);
    for (let j = 1; j < 16; j++) {
      ej = f(ej * v);
      const s1 = f(s + f(ej / (2 * j + 1)));
      if (s1 === s) break;
      s = s1;
    }
    return s;
  }
  return f(f(f(x * logf32(f(x / m))) + m) - x);
}

/** ln P(K = k) for K ~ Poisson(mean), k ≥ 0 integer. */
export function logPoissonPmf(k: number, mean: number): number {
  if (k === 0) return f(-mean);
  const x = f(k);
  // ½ ln(2πk) as one log of a product: no constant addend for a GPU compiler to reassociate.
  return f(f(f(-stirlerr(x)) - bd0(x, mean)) - f(f(0.5) * logf32(f(TWO_PI * x))));
}

/**
 * The sampler with its per-mean constants cached: PTRS's (b, a, 1/α, v_r, ln 1/α, ⌊μ⌋, frac μ) and
 * inversion's running sums P(K ≤ k) are computed once per distinct mean, not per draw. A mean rarely
 * changes from one step of an agent to the next (only where a rate schedule switches segment), so the
 * engine keeps one sampler per agent. The constants are the same f32 expressions, in the same order,
 * as computing them per draw (test/random.test.ts's oracle does), so every count is bit-identical.
 *
 * @example
 *   const sampler = new PoissonSampler(); const k = sampler.sample(80, draws);
 */
export class PoissonSampler {
  private mu = Number.NaN; // the f32 mean the constants below belong to
  /** Inversion: the f32 running sums P(K ≤ k) of the search, k = 0 … known − 1, extended as draws need them. */
  private readonly cdf = new Float64Array(INVERSION_MAX_K + 1);
  private known = 0;
  private p = 0; // P(K = known − 1), the last term summed
  private b = 0;
  private a = 0;
  private twoA = 0;
  private vr = 0;
  private lnInvAlpha = 0;
  private base = 0; // ⌊μ⌋
  private fracFx = 0; // frac(μ) in units of 2^-24
  /**
   * e^{log p(k) − ln(1/α)} for k = base − span … base + span − 1, once computed, else NaN: the threshold
   * of the acceptance ratio (RATIO_ACCEPT_BELOW), a pure function of k and μ kept for the next draws.
   */
  private threshold = new Float64Array(0);
  private span = 0;

  private prepare(mu: number): void {
    this.mu = mu;
    if (mu < INVERSION_MAX_MEAN) {
      this.p = expf32(f(-mu));
      this.cdf[0] = this.p;
      this.known = 1;
      return;
    }
    const slam = f(Math.sqrt(mu));
    const b = f(f(0.931) + f(f(2.53) * slam));
    const a = f(f(-0.059) + f(f(0.02483) * b));
    const invAlpha = f(f(1.1239) + f(f(1.1328) / f(b - f(3.4))));
    this.b = b;
    this.a = a;
    this.twoA = f(2 * a);
    this.vr = f(f(0.9277) - f(f(3.6224) / f(b - 2)));
    this.lnInvAlpha = logf32(invAlpha);
    // Candidates are drawn as floor(mean) + an offset so that floor() sees a number of the size of the
    // standard deviation, not of the mean: f32 rounding then rarely decides which integer comes out.
    this.base = Math.floor(mu);
    this.fracFx = Math.trunc(f(mu - this.base) * 16777216);
    // Candidates fall within a few standard deviations of the mean; keep thresholds for ±8σ + 16.
    this.span = Math.min(2048, Math.ceil(8 * slam) + 16);
    if (this.threshold.length < 2 * this.span) this.threshold = new Float64Array(2 * this.span);
    this.threshold.fill(Number.NaN, 0, 2 * this.span);
  }

  /** One Poisson(mean) count from `draws`; mean must be finite and ≥ 0 (f32-representable). */
  sample(mean: number, draws: DrawStream): number {
    const mu = f(mean);
    if (!(mu > 0)) return 0;
    if (mu !== this.mu) this.prepare(mu);
    if (mu < INVERSION_MAX_MEAN) {
      // Sequential search: the least k with u < P(K ≤ k), the sums in f32 in the order of the WGSL
      // loop (p_k = p_{k−1}·μ/k, cdf_k = cdf_{k−1} + p_k), each computed once per mean.
      const u = u01(draws.nextU32());
      const cdf = this.cdf;
      let k = 0;
      for (;;) {
        if (k === this.known) {
          this.p = f(f(this.p * mu) / k);
          const next = f(cdf[k - 1]! + this.p);
          // Once a term no longer moves the f32 sum, the mass left is below f32 resolution: the search
          // stops at this k whatever u is (Infinity). Before, a draw above the saturated sum, ~1e-7 of
          // draws at small means, searched on to k = 200.
          cdf[k] = next === cdf[k - 1]! ? Infinity : next;
          this.known++;
        }
        if (!(u >= cdf[k]! && k < INVERSION_MAX_K)) return k;
        k++;
      }
    }
    const { b, twoA, vr, base, fracFx } = this;
    let k = 0;
    for (let tries = 0; tries < PTRS_MAX_TRIES; tries++) {
      const u = uCentered(draws.nextU32());
      const v = u01Open0(draws.nextU32());
      const us = f(f(0.5) - Math.abs(u));
      const spread = f(f(f(twoA / us) + b) * u);
      // floor(spread + frac + 0.43) with the fractional parts added as 24-bit fixed-point integers:
      // GPU compilers may reassociate float sums (Mesa does), which would move draws across the floor.
      const whole = Math.floor(spread);
      const carry = (Math.trunc(f(spread - whole) * 16777216) + fracFx + SHIFT_FX) >>> 24;
      // Far-tail candidates (us near 0) are clamped so that i32 arithmetic on the GPU cannot overflow.
      k = base + Math.min(Math.max(whole, -OFFSET_LIMIT), OFFSET_LIMIT) + carry;
      if (us >= f(0.07) && v <= vr) return k;
      if (k < 0 || (us < f(0.013) && v > us)) continue;
      if (this.accepts(k, us, v)) return k;
    }
    return Math.max(k, 0);
  }

  /** PTRS's full acceptance test of candidate k ≥ 0 (a method of its own, returning no double to box). */
  private accepts(k: number, us: number, v: number): boolean {
    const x = f(f(this.a / f(us * us)) + this.b);
    const slot = k - this.base + this.span;
    const inTable = slot >= 0 && slot < 2 * this.span;
    let threshold = inTable ? this.threshold[slot]! : Number.NaN;
    if (Number.isNaN(threshold)) {
      threshold = Math.exp(logPoissonPmf(k, this.mu) - this.lnInvAlpha);
      if (inTable) this.threshold[slot] = threshold;
    }
    const ratio = v / (x * threshold);
    if (ratio < RATIO_ACCEPT_BELOW) return true;
    if (ratio > RATIO_REJECT_ABOVE) return false;
    const lhs = f(f(logf32(v) + this.lnInvAlpha) - logf32(x));
    return lhs <= logPoissonPmf(k, this.mu);
  }
}

const SHARED_SAMPLER = new PoissonSampler();

/** One Poisson(mean) count from `draws`; mean must be finite and ≥ 0 (f32-representable). */
export function poisson(mean: number, draws: DrawStream): number {
  return SHARED_SAMPLER.sample(mean, draws);
}
