/**
 * Exact binomial sampling for the workflow routing draws (MODEL-PART4 §4.6), the CPU twin of
 * `shaders/binomial.wgsl`: the same algorithm, draw order and f32 arithmetic (every operation rounded
 * with Math.fround in WGSL's evaluation order, only +, −, ×, ÷, comparisons and the portable
 * logf32/expf32 of §4.0, √x as expf32(½·logf32 x)), so the GPU and the CPU return the same integers for
 * the same draws (test/binomial.test.ts compares them one for one on the device). Integer decisions
 * never rest on a float sum a compiler may reassociate: BTRS's candidate adds its fractional parts in
 * 24-bit fixed point as PTRS does, and inversion's saturation test compares bits on the GPU. The two
 * sides could still differ where a GPU rounds ÷ or fuses a multiply-add differently (WGSL permits
 * both) and a draw lies within an ulp of a threshold: on lavapipe no count or draw differs, while ~1 % of
 * the log-pmf's f32 values differ by 1–2 ulp (a KNOWN DIVERGENCE, test/binomial.test.ts's header).
 *
 * Binomial(n, p) for integer 0 ≤ n ≤ MAX_BINOMIAL_N and p ∈ [0, 1]; p > ½ draws n − Binomial(n, 1 − p)
 * (1 − p is exact in f32 there), so below p ≤ ½ and:
 * - n·p < BINOMIAL_INVERSION_MAX_MEAN: inversion by sequential search (one draw), P(0) = e^{n·ln(1−p)}
 *   with ln(1−p) from an atanh series that keeps small p accurate, P(k) = P(k−1)·(p/q)·(n−k+1)/k, stopping
 *   at n, where the f32 running sum stops growing, or at BINOMIAL_INVERSION_MAX_K;
 * - otherwise BTRS, Hörmann's transformed rejection with squeeze ("The generation of binomial random
 *   variates", J. Statist. Comput. Simul. 46, 1993), two draws per try. Its acceptance test compares
 *   ln(v·α/(a/us² + b)) with ln p(k) − ln p(m) (m the mode), each ln p in Loader's cancellation-free form
 *   with the Poisson sampler's stirlerr and bd0 (src/random/poisson.ts), accurate to ~10^-5 in f32 at any n.
 *
 * Tries are capped at BTRS_MAX_TRIES (64): a try is accepted with probability ≥ 0.7 at every (n, p) BTRS
 * meets (0.71 at its smallest case n = 20, p = ½, where candidates above n reject; 0.78 at n = 100, p = 0.3;
 * ~0.88 at large n·p; test/binomial.test.ts measures the draws used), so 64 rejections in a row happen
 * with probability below 0.3^64 < 10^-33; the sampler then returns its last candidate clamped to [0, n].
 */
import { expf32, logf32 } from './f32math.js';
import { type DrawStream, u01, u01Open0, uCentered } from './philox.js';
import { bd0, stirlerr } from './poisson.js';

const f = Math.fround;

/** n·min(p, 1 − p) below this uses inversion; at or above, BTRS (valid from 10 on). */
export const BINOMIAL_INVERSION_MAX_MEAN = 10;
/** Inversion never searches past this count (P(K > 200 | n·p < 10) < 10^-150, the Poisson bound). */
export const BINOMIAL_INVERSION_MAX_K = 200;
/** BTRS gives up after this many rejected tries (probability below 10^-33) and returns its last candidate. */
export const BTRS_MAX_TRIES = 64;
/** Largest n: counts and n − k stay exact integers in f32 (the WGSL clamps n to it; callers validate). */
export const MAX_BINOMIAL_N = 16777216;
/** At most this many successors in a split (MODEL-PART4 §4.6). */
export const MAX_SUCCESSORS = 8;
/** BTRS candidate offsets are clamped to ±2^30 so that i32 arithmetic on the GPU cannot overflow. */
const OFFSET_LIMIT = 1073741824;
/** ½ in units of 2^-24: BTRS's candidate shift c = n·p + ½, added in integers as PTRS adds its 0.43. */
const HALF_FX = 8388608;
/**
 * p below 2^-100 counts as 0 (P(K > 0) < 2^-76 at n = 2^24). Above it, a GPU that flushes subnormals
 * to zero still decides as the CPU does: a subnormal can arise only in log1mf32's series (added to 1)
 * or as an inversion term P(k) (added to a running sum ≥ P(0) ≥ e^-20), and either way it leaves the
 * f32 sum unchanged, as 0 would; BTRS runs only from p ≥ 10/n ≥ 2^-21, where all values are normal.
 */
const MIN_P = 7.888609052210118e-31;
const TWO_PI = f(6.283185307179586);
const SQRT2_MINUS_1 = f(0.29289322); // 1 − 1/√2: below it, 1 − p lies in logf32's reduced range

/** ln(1 − p) for p ∈ [0, ½], accurate for small p (no rounding of 1 − p): 2·atanh(−p/(2 − p)). */
export function log1mf32(p: number): number {
  if (p >= SQRT2_MINUS_1) return logf32(f(1 - p));
  // The series of logf32 (shaders/f32math.wgsl) with s = (m − 1)/(m + 1) for m = 1 − p.
  const s = f(f(-p) / f(2 - p));
  const z = f(s * s);
  let q = f(z * f(0.09090909));
  q = f(z * f(f(0.11111111) + q));
  q = f(z * f(f(0.14285714) + q));
  q = f(z * f(f(0.2) + q));
  q = f(z * f(f(0.33333333) + q));
  q = f(1 + q);
  return f(f(2 * s) * q);
}

/**
 * bd0(x, m) = x ln(x/m) + m − x: the Poisson sampler's (Loader's series, shared) where |x − m| < 0.1·(x + m);
 * elsewhere as x·(ln(x/m) − 1) + m, x used once. Mesa rewrote poisson.ts's (x·ln(x/m) + m) − x as
 * (x·ln(x/m) − x) + m on lavapipe (the probe's f32 bits showed it), which moves the last ulps.
 */
export function bd0Binomial(x: number, m: number): number {
  if (Math.abs(f(x - m)) < f(f(0.1) * f(x + m))) return bd0(x, m);
  return f(f(x * f(logf32(f(x / m)) - 1)) + m);
}

/**
 * ln P(K = k) for K ~ Binomial(n, p), 0 ≤ k ≤ n, in Loader's form: stirlerr(n) − stirlerr(k) −
 * stirlerr(n−k) − bd0(k, np) − bd0(n−k, nq) − ½ ln(2πk(n−k)/n). `np` and `nq` are the f32 n·p and
 * n − n·p, `lnP` and `lnQ` the f32 ln p and ln(1 − p) (for k = n and k = 0).
 */
export function logBinomialPmf(k: number, n: number, np: number, nq: number, lnP: number, lnQ: number): number {
  if (k === 0) return f(n * lnQ);
  if (k === n) return f(n * lnP);
  const x = f(k);
  const y = f(n - k);
  const lc = f(f(f(f(stirlerr(n) - stirlerr(x)) - stirlerr(y)) - bd0Binomial(x, np)) - bd0Binomial(y, nq));
  return f(lc - f(f(0.5) * logf32(f(f(TWO_PI * x) * f(y / n)))));
}

/** Inversion for n·p < 10, p ≤ ½: the least k with u < P(K ≤ k). */
function inversion(n: number, p: number, draws: DrawStream): number {
  const u = u01(draws.nextU32());
  const q = f(1 - p);
  const r = f(p / q);
  let prob = expf32(f(n * log1mf32(p)));
  let cdf = prob;
  let k = 0;
  while (u >= cdf && k < n && k < BINOMIAL_INVERSION_MAX_K) {
    k++;
    prob = f(f(f(prob * r) * f(n - k + 1)) / k);
    const next = f(cdf + prob);
    // Once a term no longer moves the f32 sum, the mass left is below f32 resolution: stop here.
    if (next === cdf) break;
    cdf = next;
  }
  return k;
}

/** BTRS for n·p ≥ 10, p ≤ ½ (Hörmann 1993, with Loader's log-pmf in step 3). */
function btrs(n: number, p: number, np: number, draws: DrawStream): number {
  const q = f(1 - p);
  const spq = expf32(f(f(0.5) * logf32(f(np * q))));
  const b = f(f(1.15) + f(f(2.53) * spq));
  const a = f(f(f(-0.0873) + f(f(0.0248) * b)) + f(f(0.01) * p));
  const twoA = f(2 * a);
  const vr = f(f(0.92) - f(f(4.2) / b));
  // The slow test's constants, computed when a try first reaches it (Hörmann's step 2): most draws
  // never do (the squeeze accepts ~80 % of tries), and these are most of the setup's cost.
  let slow = false;
  let lnAlpha = 0;
  let nq = 0;
  let lnP = 0;
  let lnQ = 0;
  let logPmfMode = 0;
  // Candidates are floor(np) + an offset, as in PTRS: floor() sees numbers the size of the deviation.
  const base = Math.floor(np);
  const fracFx = Math.trunc(f(np - base) * 16777216);
  let k = 0;
  for (let tries = 0; tries < BTRS_MAX_TRIES; tries++) {
    const u = uCentered(draws.nextU32());
    const v = u01Open0(draws.nextU32());
    const us = f(f(0.5) - Math.abs(u));
    const spread = f(f(f(twoA / us) + b) * u);
    // floor(spread + frac(np) + ½) in 24-bit fixed point (GPU compilers may reassociate float sums).
    const whole = Math.floor(spread);
    const carry = (Math.trunc(f(spread - whole) * 16777216) + fracFx + HALF_FX) >>> 24;
    k = base + Math.min(Math.max(whole, -OFFSET_LIMIT), OFFSET_LIMIT) + carry;
    if (k < 0 || k > n) continue;
    if (us >= f(0.07) && v <= vr) return k;
    if (!slow) {
      slow = true;
      lnAlpha = logf32(f(f(f(2.83) + f(f(5.1) / b)) * spq));
      nq = f(n - np);
      lnP = logf32(p);
      lnQ = log1mf32(p);
      logPmfMode = logBinomialPmf(Math.floor(f(f(n + 1) * p)), n, np, nq, lnP, lnQ);
    }
    const x = f(f(a / f(us * us)) + b);
    const lhs = f(f(logf32(v) + lnAlpha) - logf32(x));
    if (lhs <= f(logBinomialPmf(k, n, np, nq, lnP, lnQ) - logPmfMode)) return k;
  }
  return Math.min(Math.max(k, 0), n);
}

/**
 * One Binomial(n, p) count from `draws`: n an integer in [0, MAX_BINOMIAL_N], p in [0, 1] (taken as
 * f32). n = 0, p ≤ 0 (or below 2^-100, or NaN) and p ≥ 1 draw nothing.
 *
 * @example
 *   const routed = binomial(120, 0.3, draws); // 0 … 120, mean 36
 */
export function binomial(n: number, p: number, draws: DrawStream): number {
  if (!Number.isInteger(n) || n < 0 || n > MAX_BINOMIAL_N)
    throw new RangeError(`binomial: n = ${n} is not an integer in [0, ${MAX_BINOMIAL_N}]`);
  const pf = f(p);
  if (n === 0 || !(pf >= MIN_P)) return 0;
  if (pf >= 1) return n;
  // p > ½: count the failures instead (1 − p is exact there, Sterbenz).
  const flip = pf > 0.5;
  const pp = flip ? f(1 - pf) : pf;
  if (!(pp >= MIN_P)) return flip ? n : 0;
  const np = f(n * pp);
  const k = np < BINOMIAL_INVERSION_MAX_MEAN ? inversion(n, pp, draws) : btrs(n, pp, np, draws);
  return flip ? n - k : k;
}

/**
 * The sequential conditional split of `m` completions among up to 8 successors with probabilities
 * `probs` (each ≥ 0, Σ ≤ 1; the rest exits), MODEL-PART4 §4.6: successor j receives
 * Binomial(m − Σ_{i<j} counts_i, p_j/(1 − Σ_{i<j} p_i)), the remainder 1 − Σ_{i<j} p_i kept as an f32
 * running difference and the quotient in f32 (≥ 1 takes every completion left), so the counts have the
 * multinomial law of (m; p_1 … p_k, exit). Successors after the completions run out draw nothing.
 * Probabilities meant to sum to 1 route everything only where their f32 running remainder reaches the
 * last one exactly (dyadic ones do); otherwise up to a few f32 ulps of the completions may exit.
 * Writes counts into `out[0 … k−1]` and returns the completions that exit.
 *
 * @example
 *   const out = new Uint32Array(8); const exits = splitCompletions(50, [0.3, 0.3, 0.3], draws, out);
 */
export function splitCompletions(m: number, probs: ArrayLike<number>, draws: DrawStream, out: Uint32Array | number[]): number {
  const k = probs.length;
  if (k > MAX_SUCCESSORS) throw new RangeError(`splitCompletions: ${k} successors, at most ${MAX_SUCCESSORS}`);
  if (!Number.isInteger(m) || m < 0 || m > MAX_BINOMIAL_N)
    throw new RangeError(`splitCompletions: m = ${m} is not an integer in [0, ${MAX_BINOMIAL_N}]`);
  let left = m;
  let rest = f(1);
  for (let j = 0; j < k; j++) {
    const pj = f(probs[j]!);
    let share = 0;
    if (left > 0 && pj > 0) {
      const c = f(pj / rest);
      share = c >= 1 || !(rest > 0) ? left : binomial(left, c, draws);
    }
    out[j] = share;
    left -= share;
    rest = f(rest - pj);
  }
  return left;
}
