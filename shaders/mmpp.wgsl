// The 2-state MMPP of MODEL-PART4 §4.1: the GPU twin of src/random/mmpp.ts (same draws and f32
// operation order). A real-time phase (1 high, 0 low) with relative intensity ψ_s multiplies the
// budget: mmppIntensity returns I = ∫ψ_s dt over the step, and the caller draws
// Poisson(budget·(I/Δt)) from the purpose-0 stream. Holding times Exp(q_s) come from the purpose-1
// stream; a phase never left (q_s = 0) holds MMPP_NEVER seconds, a finite sentinel.

const MMPP_MAX_SWITCHES: u32 = 64u;
const MMPP_NEVER: f32 = 1e30;

struct MmppParams {
  psiHigh: f32,    // ψ_H = κ
  psiLow: f32,     // ψ_L = (1 − κπ_H)/(1 − π_H)
  qHighToLow: f32, // q_HL, per second
  qLowToHigh: f32, // q_LH, per second
}

fn mmppPsi(p: MmppParams, s: u32) -> f32 {
  if (s == 1u) {
    return p.psiHigh;
  }
  return p.psiLow;
}

fn mmppLeaveRate(p: MmppParams, s: u32) -> f32 {
  if (s == 1u) {
    return p.qHighToLow;
  }
  return p.qLowToHigh;
}

fn mmppHoldingTime(q: f32, rng: ptr<function, Rng>) -> f32 {
  if (!(q > 0.0)) {
    return MMPP_NEVER;
  }
  return (-logf32(u01Open0(rngNextU32(rng)))) / q;
}

// The step's intensity I = ∫ψ_s dt over dt seconds, advancing (*phase, *hold); rng: the agent-step's
// purpose-1 stream.
fn mmppIntensity(dt: f32, p: MmppParams, phase: ptr<function, u32>, hold: ptr<function, f32>, rng: ptr<function, Rng>) -> f32 {
  var rem = dt;
  var intensity = 0.0;
  var s = *phase;
  var h = *hold;
  for (var i = 0u; i < MMPP_MAX_SWITCHES; i++) {
    if (!(h <= rem)) {
      break;
    }
    intensity = intensity + mmppPsi(p, s) * h;
    rem = rem - h;
    s = 1u - s;
    h = mmppHoldingTime(mmppLeaveRate(p, s), rng);
  }
  intensity = intensity + mmppPsi(p, s) * rem;
  h = h - rem;
  *phase = s;
  *hold = select(0.0, h, h > 0.0);
  return intensity;
}

// The stationary start: phase ~ π, hold ~ Exp(q_phase) (rng: the purpose-3 setup stream).
fn mmppStart(p: MmppParams, phase: ptr<function, u32>, hold: ptr<function, f32>, rng: ptr<function, Rng>) {
  let total = p.qHighToLow + p.qLowToHigh;
  let u = u01(rngNextU32(rng));
  var s = 0u;
  if (total > 0.0 && u < p.qLowToHigh / total) {
    s = 1u;
  }
  *phase = s;
  *hold = mmppHoldingTime(mmppLeaveRate(p, s), rng);
}
