/**
 * clampFill(w, lo, hi, G), the one routine behind every fill policy (MODEL-PART4 §4.7), as allocation
 * passes: f64 twin of the `fill*` functions in shaders/clampFill.wgsl (same operations, same order).
 *
 * 1. Σlo ≥ G: g = lo·G/Σlo.
 * 2. Else h̃ = hi where w > 0, else lo; Σh̃ ≤ G: g = h̃ (the rest stays unallocated).
 * 3. Else bisect θ over [0, max_{w>0} hi/w] for FILL_BISECTIONS steps on S(θ) = Σclamp(θw_i, lo_i, hi_i);
 *    at the final midpoint θm classify each agent low (θm·w ≤ lo), high (θm·w ≥ hi) or mid, then
 *    θ* = (G − Σ_low lo − Σ_high hi)/Σ_mid w (θm when no agent is mid) and g = clamp(θ*·w, lo, hi).
 *
 * A policy supplies a FillRule (its w_i, lo_i, hi_i) and takes fillTerm / fillFinish / fillShare. The
 * bounds are read through fillBounds: lo_i is clipped to hi_i (a cap — MPS's thread percentage, a
 * pool's per-agent cap — is physical, a minimum share is a wish, so the cap wins), and w_i ≤ 0 counts as
 * 0. With those, every share lies in [lo_i, hi_i] and Σg = min(G, Σh̃) up to rounding and the
 * bisection's resolution (step 3's classification is exact when no bound θ = lo_i/w_i or hi_i/w_i
 * other than θ*'s own lies within the final bracket, of width max(hi/w)·2^-30).
 *
 * The shares are continuous in (w, lo, hi, G) across the three steps (step 3's fill tends to lo at
 * Σlo = G and to h̃ at Σh̃ = G, and a bound that an agent's θ*·w_i reaches is the same share whichever
 * class it lands in), so where f32 (GPU) and f64 (CPU) take different steps or classify an agent
 * differently at a boundary the shares still differ by rounding only: GPU = CPU needs no tolerance
 * of its own (test/policies.test.ts runs under test/helpers/tolerances.ts as is).
 *
 * Passes (FILL_PASSES = 36, all 8 scalars): 0 Σlo; 1 Σh̃; 2 (a max pass) max hi/w, the bracket's
 * top; 3 … 32 the bisection, each S(θm) at the bracket's midpoint, then the half that holds the root;
 * 33 Σ_mid w; 34 Σ_low lo + Σ_high hi, and θ* (the bracket's top where θ* falls outside the final
 * bracket: the classification was wrong); 35 the guard, Σclamp(θ*·w, lo, hi), and the scale G/Σ
 * that brings it back to G where it exceeds G, else exactly 1. A wrong classification happens when
 * weights decades apart put another bound inside the final bracket: test/gpu-wide.test.ts's
 * deterministic fleet of 129 agents under adaptiveWaterfill allocated 0.8 % above G before the guard,
 * and test/clamp-fill.test.ts's three-agent case allocated nothing. Passes 2 … 35 have terms 0 and change nothing unless
 * step 3 is taken (fillBisects).
 *
 * @example
 *   const rule: FillRule = { w: (f, i) => 1, lo: () => 0, hi: (f, i) => f.cap[f.offset + i]! };
 *   const def = { passes: FILL_PASSES, maxPasses: FILL_MAX_PASSES, term: (a, p, f, i) => fillTerm(rule, a, p, f, i), … };
 */
import type { Allocation, FleetView } from './policies.js';

/** One fill policy's inputs for agent i of fleet f: weight (≥ 0), lower and upper bound (GPUs). */
export interface FillRule {
  readonly w: (f: FleetView, i: number) => number;
  readonly lo: (f: FleetView, i: number) => number;
  readonly hi: (f: FleetView, i: number) => number;
}

/** Bisection steps of step 3 (MODEL-PART4 §4.7). */
export const FILL_BISECTIONS = 30;
/** Σlo, Σh̃, max hi/w, the bisections, two classification sums, the guard's sum. */
export const FILL_PASSES = 3 + FILL_BISECTIONS + 3;
/** Pass 2 (max hi/w) reduces by max (PolicyDef.maxPasses). */
export const FILL_MAX_PASSES = 1 << 2;

// Allocation.scalars slots (shaders/clampFill.wgsl uses the same).
const SUM_LO = 0; // Σlo (pass 0)
const SUM_HI = 1; // Σh̃ (pass 1)
const TOP = 2; // the bracket's top end θ (pass 2: max hi/w; bisection: lowered)
const BOTTOM = 3; // its bottom end (0, then raised by the bisection)
const MID_W = 4; // Σ_mid w at the final midpoint (pass 33)
const FIXED = 5; // Σ_low lo + Σ_high hi there (pass 34)
const THETA = 6; // θ* (pass 34's finish)
const SCALE = 7; // the guard: G/Σclamp(θ*·w) where that sum exceeds G, else 1 (pass 35's finish)
/** The pass that sums Σ_mid w (33); the next sums Σ_low lo + Σ_high hi. */
export const FILL_CLASSIFY = 3 + FILL_BISECTIONS;
/** The guard's pass (35): Σ_i clamp(θ*·w_i, lo_i, hi_i). */
export const FILL_GUARD = FILL_CLASSIFY + 2;
const CLASSIFY = FILL_CLASSIFY;

/** min(max(x, lo), hi): WGSL's clamp for lo ≤ hi. */
function clamp(x: number, lo: number, hi: number): number {
  return Math.min(Math.max(x, lo), hi);
}

/** The bracket's midpoint (0.5·(bottom + top): the WGSL twin's operations). */
function midpoint(s: Float64Array): number {
  return 0.5 * (s[BOTTOM]! + s[TOP]!);
}

/** Whether step 3 (the bisection) decides the shares: Σlo < G < Σh̃, known after pass 1. */
export function fillBisects(a: Allocation): boolean {
  return a.scalars[SUM_LO]! < a.capacity && a.scalars[SUM_HI]! > a.capacity;
}

/** Agent i's upper bound hi_i (GPUs), floored at 0. */
function upper(rule: FillRule, f: FleetView, i: number): number {
  return Math.max(rule.hi(f, i), 0);
}

/** Agent i's lower bound: lo_i clipped to [0, hi_i] (the cap wins). */
function lower(rule: FillRule, f: FleetView, i: number, hi: number): number {
  return Math.min(Math.max(rule.lo(f, i), 0), hi);
}

/** Agent i's weight, negative weights as 0. */
function weight(rule: FillRule, f: FleetView, i: number): number {
  return Math.max(rule.w(f, i), 0);
}

/** Pass `pass`'s term of agent i (the passes are listed in the module's header). */
export function fillTerm(rule: FillRule, a: Allocation, pass: number, f: FleetView, i: number): number {
  // Passes 2 … 34 do nothing unless step 3 is taken: decided before the bounds are read.
  if (pass >= 2 && !fillBisects(a)) return 0;
  const hi = upper(rule, f, i);
  const lo = lower(rule, f, i, hi);
  if (pass === 0) return lo;
  const w = weight(rule, f, i);
  if (pass === 1) return w > 0 ? hi : lo;
  if (pass === 2) return w > 0 ? hi / w : 0;
  if (pass === FILL_GUARD) return clamp(a.scalars[THETA]! * w, lo, hi);
  const x = midpoint(a.scalars) * w;
  if (pass < CLASSIFY) return clamp(x, lo, hi);
  const low = x <= lo;
  const high = !low && x >= hi;
  if (pass === CLASSIFY) return low || high ? 0 : w;
  return low ? lo : high ? hi : 0;
}

/** Pass `pass`'s reduction → the scalars it owns. */
export function fillFinish(a: Allocation, pass: number, sum: number): void {
  const s = a.scalars;
  if (pass === 0) s[SUM_LO] = sum;
  else if (pass === 1) s[SUM_HI] = sum;
  else if (!fillBisects(a)) return;
  else if (pass === 2) s[TOP] = sum;
  else if (pass < CLASSIFY) {
    // S(θm) > G: the root lies below θm; else at or above it.
    if (sum > a.capacity) s[TOP] = midpoint(s);
    else s[BOTTOM] = midpoint(s);
  } else if (pass === CLASSIFY) s[MID_W] = sum;
  else if (pass === CLASSIFY + 1) {
    s[FIXED] = sum;
    // No agent mid: θm itself reproduces the classification through the clamp.
    const theta = s[MID_W]! > 0 ? (a.capacity - sum) / s[MID_W]! : midpoint(s);
    // A right classification puts θ* inside the final bracket. Outside it, a bound lay inside the
    // bracket and the classification is wrong: take the bracket's top, where S(θ) > G always holds
    // (the bisection's invariant), and let the guard scale that fill down to G.
    s[THETA] = theta >= s[BOTTOM]! && theta <= s[TOP]! ? theta : s[TOP]!;
  } else {
    // The guard: where the classification at θm was wrong (a bound inside the final bracket), the
    // clamped fill can exceed G; it is then scaled to G. Exactly 1 otherwise, so the shares keep their bits.
    s[SCALE] = sum > a.capacity ? a.capacity / sum : 1;
  }
}

/** Share g_i of agent i, GPUs. */
export function fillShare(rule: FillRule, a: Allocation, f: FleetView, i: number): number {
  const s = a.scalars;
  const hi = upper(rule, f, i);
  const lo = lower(rule, f, i, hi);
  if (s[SUM_LO]! >= a.capacity) return s[SUM_LO]! > 0 ? (lo * a.capacity) / s[SUM_LO]! : 0;
  const w = weight(rule, f, i);
  if (s[SUM_HI]! <= a.capacity) return w > 0 ? hi : lo;
  return clamp(s[THETA]! * w, lo, hi) * s[SCALE]!;
}
