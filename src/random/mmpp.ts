/**
 * The 2-state Markov-modulated Poisson process of MODEL-PART4 §4.1, the CPU twin of shaders/mmpp.wgsl
 * (same draws, same f32 operations in WGSL's order, Math.fround after each). A real-time phase s
 * (1 = high, 0 = low) with relative intensity ψ_s multiplies the step's budget: mmppIntensity returns
 * I = ∫ψ_s(t)dt over the step, and the caller draws Poisson(f32(Λ·f32(I/Δt))) from the purpose-0
 * stream. Holding times are Exp(q_s) from the purpose-1 stream; with ψ_H = ψ_L = 1 (no switching) the
 * holding time is a finite sentinel, I = Δt exactly and the counts are Poisson mode's, bit for bit.
 *
 * @example
 *   const p = mmppParams(2, 10, 0.2, 3); const state = mmppStart(p, setupDraws);
 *   const mean = Math.fround(budget * Math.fround(mmppIntensity(dt, p, state, switchDraws) / dt));
 */
import { logf32 } from './f32math.js';
import { type DrawStream, u01, u01Open0 } from './philox.js';

const f = Math.fround;

/** Device parameters (f32; rates per second): WGSL struct MmppParams in shaders/mmpp.wgsl. */
export interface MmppParams {
  psiHigh: number; // ψ_H = κ
  psiLow: number; // ψ_L = (1 − κπ_H)/(1 − π_H)
  qHighToLow: number; // q_HL = ν(1 − π_H)
  qLowToHigh: number; // q_LH = νπ_H
}

/** Phase state per (fleet, replicate, agent): phase 1 high, 0 low; hold = seconds left in it. */
export interface MmppState {
  phase: number;
  hold: number;
}

/** Phase switches one step takes at most. */
export const MMPP_MAX_SWITCHES = 64;
/** The holding time of a phase that is never left (q_s = 0): finite, so WGSL needs no infinity. */
export const MMPP_NEVER = f(1e30);

/** What is wrong with MMPP settings (mean rate λ̄ > 0, J, π_H, κ), or null when they are valid. */
export function checkMmpp(meanRate: number, J: number, piHigh: number, kappa: number): string | null {
  if (!(meanRate > 0) || !Number.isFinite(meanRate)) return `MMPP mean rate must be positive and finite: ${meanRate}`;
  if (!(piHigh > 0 && piHigh < 1)) return `MMPP high-state fraction π_H must lie in (0, 1): ${piHigh}`;
  if (!(kappa >= 1) || !Number.isFinite(kappa)) return `MMPP peak ratio κ must be ≥ 1: ${kappa}`;
  if (!(kappa * piHigh <= 1)) return `MMPP needs κ·π_H ≤ 1 (the low state's intensity would be negative): κ = ${kappa}, π_H = ${piHigh}`;
  if (!(J > 1) || !Number.isFinite(J)) return `MMPP dispersion index J must be > 1: ${J}`;
  return null;
}

/** Device parameters from (λ̄, J, π_H, κ); throws with checkMmpp's message when they are invalid. */
export function mmppParams(meanRate: number, J: number, piHigh: number, kappa: number): MmppParams {
  const problem = checkMmpp(meanRate, J, piHigh, kappa);
  if (problem !== null) throw new RangeError(problem);
  const psiHigh = kappa;
  const psiLow = (1 - kappa * piHigh) / (1 - piHigh);
  const nu = (2 * piHigh * (1 - piHigh) * meanRate * (psiHigh - psiLow) ** 2) / (J - 1);
  return { psiHigh: f(psiHigh), psiLow: f(psiLow), qHighToLow: f(nu * (1 - piHigh)), qLowToHigh: f(nu * piHigh) };
}

/** A holding time Exp(q) (one draw), or MMPP_NEVER when q = 0 (no draw). */
function holdingTime(q: number, draws: DrawStream): number {
  if (!(q > 0)) return MMPP_NEVER;
  return f(f(-logf32(u01Open0(draws.nextU32()))) / q);
}

/**
 * The step's intensity I = ∫ψ_s(t)dt over Δt = `dt` seconds (f32), advancing `state`; holding times
 * come from `switches` (the agent-step's purpose-1 stream).
 */
export function mmppIntensity(dt: number, p: MmppParams, state: MmppState, switches: DrawStream): number {
  let rem = f(dt);
  let intensity = 0;
  let s = state.phase;
  let h = state.hold;
  for (let i = 0; i < MMPP_MAX_SWITCHES && h <= rem; i++) {
    intensity = f(intensity + f((s === 1 ? p.psiHigh : p.psiLow) * h));
    rem = f(rem - h);
    s = 1 - s;
    h = holdingTime(s === 1 ? p.qHighToLow : p.qLowToHigh, switches);
  }
  intensity = f(intensity + f((s === 1 ? p.psiHigh : p.psiLow) * rem));
  h = f(h - rem);
  state.phase = s;
  state.hold = h > 0 ? h : 0; // after MMPP_MAX_SWITCHES switches the next one is due at once
  return intensity;
}

/** The stationary start: s₀ ~ π (π_H = q_LH/(q_HL + q_LH)), h₀ ~ Exp(q_{s₀}) (draws: purpose-3 stream). */
export function mmppStart(p: MmppParams, draws: DrawStream): MmppState {
  const total = f(p.qHighToLow + p.qLowToHigh);
  const u = u01(draws.nextU32());
  const phase = total > 0 && u < f(p.qLowToHigh / total) ? 1 : 0;
  return { phase, hold: holdingTime(phase === 1 ? p.qHighToLow : p.qLowToHigh, draws) };
}
