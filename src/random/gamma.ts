/**
 * Gamma and Beta variates in f32, the CPU twin of shaders/gamma.wgsl: the same algorithm, the same draw
 * order and the same f32 operations in WGSL's evaluation order (Math.fround after every operation), so
 * both sides return the same bits for the same draws. Only +, −, ×, ÷, comparisons and the portable
 * logf32/expf32 (src/random/f32math.ts) decide anything; √x is expf32(½·logf32(x)).
 *
 * - Gamma(a ≥ 1, 1): Cheng's GB algorithm ("The generation of gamma variables with non-integral shape
 *   parameter", Appl. Stat. 26, 1977) with its squeeze. The test value r = b + c·v − x is evaluated in
 *   the cancellation-free form (v·√(2a−1) − ln 4) − a·(e^v − 1 − v), e^v − 1 − v by its Taylor series
 *   for |v| < ½, so that f32 stays accurate at the large shapes of the renewal bridge (a up to ~10^9).
 * - Gamma(a < 1, 1): Gamma(a + 1)·U^{1/a} = Gamma(a + 1)·e^{ln U / a}, values below 2^-126 flushed to 0.
 * - Beta(a, b) = G_a/(G_a + G_b); where a shape is below 1 (G may flush to 0) the ratio is formed from
 *   the logarithms, 1/(1 + e^{ln G_b − ln G_a}), which is the same number without the underflow.
 * - At most GAMMA_MAX_TRIES rejection tries; then the mean a is returned and `flag.approx` set.
 *
 * @example
 *   const flag = { approx: 0 }; const g = gammaDraw(2.5, draws, flag); const b = betaDraw(2, 3, draws, flag);
 */
import { expf32, logf32 } from './f32math.js';
import { type DrawStream, u01, u01Open0 } from './philox.js';

const f = Math.fround;

/** Set to 1 by a sampler that fell back to an approximation (never cleared by the callee). */
export interface ApproxFlag {
  approx: number;
}

/** Rejection tries before a Gamma draw gives up and returns its mean (acceptance ≥ 0.74 per try). */
export const GAMMA_MAX_TRIES = 64;
/** The smallest normal f32, 2^-126: smaller Gamma values flush to 0. */
export const F32_MIN_NORMAL = f(1.1754943508222875e-38);
const LN4 = f(1.3862943611198906);
/** 1 + ln 4.5, Cheng's squeeze constant d. */
const GB_D = f(2.504077396776274);
/** Below this, logf32(U)/a leaves nothing above 2^-126 (e^-87 ≈ 1.6·10^-38). */
const SMALL_SHAPE_FLUSH = f(-87);

/** e^v − 1 − v for |v| < ½: its Taylor series to v^10 (relative error below 10^-9), in Horner form. */
function expm1mx(v: number): number {
  let p = f(v * f(1 / 3628800));
  p = f(v * f(f(1 / 362880) + p));
  p = f(v * f(f(1 / 40320) + p));
  p = f(v * f(f(1 / 5040) + p));
  p = f(v * f(f(1 / 720) + p));
  p = f(v * f(f(1 / 120) + p));
  p = f(v * f(f(1 / 24) + p));
  p = f(v * f(f(1 / 6) + p));
  return f(f(v * v) * f(0.5 + p));
}

/** Gamma(a, 1) for a ≥ 1 by Cheng's GB. */
function gammaLarge(a: number, draws: DrawStream, flag: ApproxFlag): number {
  const l = logf32(f(f(2 * a) - 1));
  const s = expf32(f(0.5 * l)); // √(2a − 1)
  const inv = expf32(f(-0.5 * l)); // 1/√(2a − 1)
  for (let tries = 0; tries < GAMMA_MAX_TRIES; tries++) {
    const u1 = u01(draws.nextU32());
    const u2 = u01Open0(draws.nextU32());
    if (!(u1 > 0)) continue;
    const v = f(inv * logf32(f(u1 / f(1 - u1))));
    const ev = expf32(v);
    const x = f(a * ev);
    const q = Math.abs(v) < 0.5 ? expm1mx(v) : f(f(ev - 1) - v);
    const r = f(f(f(v * s) - LN4) - f(a * q));
    const z = f(f(u1 * u1) * u2);
    if (f(f(r + GB_D) - f(4.5 * z)) >= 0) return x;
    if (r >= logf32(z)) return x;
  }
  flag.approx = 1;
  return f(a);
}

/** ln of a Gamma(a, 1) variate for a < 1 (no underflow): ln Gamma(a + 1) + ln U / a. */
function logGammaSmall(a: number, draws: DrawStream, flag: ApproxFlag): number {
  const g = gammaLarge(f(a + 1), draws, flag);
  const t = f(logf32(u01Open0(draws.nextU32())) / a);
  return f(logf32(g) + t);
}

/** One Gamma(a, 1) variate, a > 0 (f32). */
export function gammaDraw(a: number, draws: DrawStream, flag: ApproxFlag): number {
  const shape = f(a);
  if (shape >= 1) return gammaLarge(shape, draws, flag);
  const g = gammaLarge(f(shape + 1), draws, flag);
  const t = f(logf32(u01Open0(draws.nextU32())) / shape);
  if (t < SMALL_SHAPE_FLUSH) return 0;
  const h = expf32(f(0.5 * t)); // e^t as h·h: e^{t/2} stays normal down to t = −87
  const y = f(f(g * h) * h);
  return y < F32_MIN_NORMAL ? 0 : y;
}

/** ln Gamma(a, 1) for the Beta ratio: the log of a draw for a ≥ 1, logGammaSmall below. */
function logGammaDraw(a: number, draws: DrawStream, flag: ApproxFlag): number {
  return a >= 1 ? logf32(gammaLarge(a, draws, flag)) : logGammaSmall(a, draws, flag);
}

/** One Beta(a, b) variate, a, b > 0 (f32): G_a/(G_a + G_b), G_a drawn first. */
export function betaDraw(a: number, b: number, draws: DrawStream, flag: ApproxFlag): number {
  const sa = f(a);
  const sb = f(b);
  if (sa >= 1 && sb >= 1) {
    const ga = gammaLarge(sa, draws, flag);
    const gb = gammaLarge(sb, draws, flag);
    return f(ga / f(ga + gb));
  }
  const la = logGammaDraw(sa, draws, flag);
  const lb = logGammaDraw(sb, draws, flag);
  const d = f(lb - la);
  if (d >= 80) return 0;
  if (d <= -80) return 1;
  return f(1 / f(1 + expf32(d)));
}
