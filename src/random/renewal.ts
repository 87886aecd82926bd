/**
 * Renewal arrivals in operational time (MODEL-PART4 §4.1), the CPU twin of shaders/renewal.wgsl: the
 * same algorithm, draw order and f32 operations (Math.fround after every operation, in WGSL's
 * evaluation order), so that both sides count the same arrivals from the same draws.
 *
 * Inter-arrival times (IATs) have mean 1 and coefficient of variation c: Gamma(k = 1/c², scale 1/k), or
 * Weibull(β, η) with β solved on the host so that Γ(1+2/β)/Γ(1+1/β)² = 1 + c² and η = 1/Γ(1+1/β). The
 * state r is the operational time to the next arrival. One step of budget Λ runs the exact event loop
 * for at most E_LOOP events (16 for Gamma, 2^12 for Weibull); budget left over goes to the Gamma
 * bridge, which counts the M = max{j : S_j ≤ τ} further arrivals with O(log M) Gamma and Beta draws
 * (doubling, then bisection with S_mid = S_lo + (S_hi − S_lo)·Beta). Weibull has no bridge of its own:
 * its leftover uses the Gamma bridge of equal mean and CV and sets the approximation flag.
 *
 * @example
 *   const p = renewalParams('gamma', 2); const state = { residual: renewalStart(p, setupDraws) };
 *   const n = renewalArrivals(budget, p, state, stepDraws, flag);
 */
import { expf32, logf32 } from './f32math.js';
import { type ApproxFlag, betaDraw, F32_MIN_NORMAL, gammaDraw } from './gamma.js';
import { type DrawStream, u01Open0 } from './philox.js';

const f = Math.fround;

export type RenewalFamily = 'gamma' | 'weibull';
/** Family ids as the kernels read them (RenewalParams.family). */
export const RENEWAL_FAMILY: Readonly<Record<RenewalFamily, 0 | 1>> = { gamma: 0, weibull: 1 };
/** The CVs renewalParams accepts. */
export const RENEWAL_CV_RANGE: readonly [number, number] = [0.05, 200];
/** Events the exact loop takes per step before the bridge: Gamma, Weibull. */
export const E_LOOP_GAMMA = 16;
export const E_LOOP_WEIBULL = 4096;
/** The bridge doubles hi up to this (so every integer it meets is exact in f32). */
const BRIDGE_MAX_HI = 1 << 23;

/** A renewal process's device parameters (all f32): WGSL struct RenewalParams in shaders/renewal.wgsl. */
export interface RenewalParams {
  family: 0 | 1; // 0 gamma, 1 weibull
  shape: number; // k = 1/c²: the Gamma IAT's shape, and the Weibull leftover bridge's
  beta: number; // Weibull shape β (0 for gamma)
  scale: number; // Weibull scale η = 1/Γ(1+1/β) (0 for gamma)
}

const LANCZOS = [
  0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059, 12.507343278686905,
  -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7,
];

/** ln Γ(x) for x > 0 in f64 (Lanczos, g = 7, n = 9; relative error ~1e-15). */
export function lgamma(x: number): number {
  if (x < 0.5) return Math.log(Math.PI / Math.sin(Math.PI * x)) - lgamma(1 - x);
  const y = x - 1;
  let a = LANCZOS[0]!;
  const t = y + 7.5;
  for (let i = 1; i < 9; i++) a += LANCZOS[i]! / (y + i);
  return 0.5 * Math.log(2 * Math.PI) + (y + 0.5) * Math.log(t) - t + Math.log(a);
}

/** The Weibull shape β whose CV is `cv`: bisection on ln Γ(1+2/β) − 2 ln Γ(1+1/β) = ln(1 + cv²), in ln β. */
export function weibullShape(cv: number): number {
  const target = Math.log1p(cv * cv);
  let lo = Math.log(1e-3); // ratio huge
  let hi = Math.log(1e3); // ratio ≈ 1
  for (let i = 0; i < 200; i++) {
    const mid = 0.5 * (lo + hi);
    const b = Math.exp(mid);
    const g = lgamma(1 + 2 / b) - 2 * lgamma(1 + 1 / b);
    if (g > target) lo = mid;
    else hi = mid;
  }
  return Math.exp(0.5 * (lo + hi));
}

/** Device parameters of a renewal process of `family` with IAT mean 1 and CV `cv` ∈ RENEWAL_CV_RANGE. */
export function renewalParams(family: RenewalFamily, cv: number): RenewalParams {
  if (!(cv >= RENEWAL_CV_RANGE[0] && cv <= RENEWAL_CV_RANGE[1])) {
    throw new RangeError(`renewal CV must lie in [${RENEWAL_CV_RANGE[0]}, ${RENEWAL_CV_RANGE[1]}]: ${cv}`);
  }
  const shape = f(1 / (cv * cv));
  if (family === 'gamma') return { family: 0, shape, beta: 0, scale: 0 };
  const beta = weibullShape(cv);
  return { family: 1, shape, beta: f(beta), scale: f(Math.exp(-lgamma(1 + 1 / beta))) };
}

/** η·y^{1/β} in f32 (0 for y = 0, and where it falls below 2^-126). */
function weibullPower(y: number, p: RenewalParams): number {
  if (!(y > 0)) return 0;
  const t = f(logf32(y) / p.beta);
  if (t < -87) return 0;
  const h = expf32(f(0.5 * t));
  const x = f(f(p.scale * h) * h);
  return x < F32_MIN_NORMAL ? 0 : x;
}

/** One IAT: Gamma(k)/k, or η·(−ln U)^{1/β}. */
function interArrival(p: RenewalParams, draws: DrawStream, flag: ApproxFlag): number {
  if (p.family === 0) return f(gammaDraw(p.shape, draws, flag) / p.shape);
  return weibullPower(f(-logf32(u01Open0(draws.nextU32()))), p);
}

/**
 * The Gamma bridge over τ: M = max{j : S_j ≤ τ} with S_j ~ Gamma(jk, 1/k), and S_{M+1} − τ (the
 * residual to the next arrival). Writes them to out[0], out[1].
 */
function gammaBridge(tau: number, k: number, draws: DrawStream, flag: ApproxFlag, out: number[]): void {
  let lo = 0;
  let slo = 0;
  let hi = Math.max(1, Math.ceil(f(2 * tau)));
  let shi = f(gammaDraw(f(hi * k), draws, flag) / k);
  for (let d = 0; d < 24 && shi <= tau && hi < BRIDGE_MAX_HI; d++) {
    lo = hi;
    slo = shi;
    hi = 2 * hi;
    shi = f(slo + f(gammaDraw(f((hi - lo) * k), draws, flag) / k));
  }
  if (shi <= tau) {
    // 2^23 IATs within τ ≤ 2^20: never at the budgets allowed (counted, not exact).
    flag.approx = 1;
    out[0] = hi;
    out[1] = 0;
    return;
  }
  for (let b = 0; b < 32 && hi - lo > 1; b++) {
    const mid = lo + ((hi - lo) >>> 1);
    const beta = betaDraw(f((mid - lo) * k), f((hi - mid) * k), draws, flag);
    const smid = f(slo + f(f(shi - slo) * beta));
    if (smid <= tau) {
      lo = mid;
      slo = smid;
    } else {
      hi = mid;
      shi = smid;
    }
  }
  out[0] = lo;
  out[1] = f(shi - tau);
}

const BRIDGE_OUT = [0, 0];

/**
 * Arrivals of one step of budget Λ = `budget` (f32, ≤ 2^20): the count, with `state.residual` advanced
 * to the operational time from the step's end to the next arrival.
 */
export function renewalArrivals(
  budget: number,
  p: RenewalParams,
  state: { residual: number },
  draws: DrawStream,
  flag: ApproxFlag,
): number {
  const lam = f(budget);
  let r = state.residual;
  let n = 0;
  const eLoop = p.family === 0 ? E_LOOP_GAMMA : E_LOOP_WEIBULL;
  while (r < lam && n < eLoop) {
    n += 1;
    r = f(r + interArrival(p, draws, flag));
  }
  if (r < lam) {
    n += 1; // the arrival pending at r
    const tau = f(lam - r);
    if (p.family !== 0) flag.approx = 1;
    gammaBridge(tau, p.shape, draws, flag, BRIDGE_OUT);
    n += BRIDGE_OUT[0]!;
    r = BRIDGE_OUT[1]!;
  } else {
    r = f(r - lam);
  }
  state.residual = r;
  return n;
}

/** The stationary residual r₀ = U·Z, Z a length-biased IAT (draws: the purpose-3 setup stream). */
export function renewalStart(p: RenewalParams, draws: DrawStream): number {
  const flag = { approx: 0 };
  let z: number;
  if (p.family === 0) {
    z = f(gammaDraw(f(p.shape + 1), draws, flag) / p.shape);
  } else {
    z = weibullPower(gammaDraw(f(1 + f(1 / p.beta)), draws, flag), p);
  }
  return f(u01Open0(draws.nextU32()) * z);
}
