// Renewal arrivals in operational time (MODEL-PART4 §4.1): the GPU twin of src/random/renewal.ts
// (same algorithm, draw order and f32 operation order). IATs have mean 1: Gamma(k, 1/k), or Weibull
// η·(−ln U)^{1/β}. A step of budget Λ runs the exact event loop for at most E_LOOP events, then the
// Gamma bridge (doubling, then Beta bisection) counts the rest; Weibull's leftover uses the Gamma bridge
// of equal mean and CV and sets *approx. Integer counters stay u32; they become f32 only where multiplied.

const RENEWAL_GAMMA: u32 = 0u;
const RENEWAL_WEIBULL: u32 = 1u;
const E_LOOP_GAMMA: u32 = 16u;
const E_LOOP_WEIBULL: u32 = 4096u;
const BRIDGE_MAX_HI: u32 = 8388608u; // 2^23

struct RenewalParams {
  family: u32, // RENEWAL_GAMMA or RENEWAL_WEIBULL
  shape: f32,  // k = 1/c²: the Gamma IAT's shape, and the Weibull leftover bridge's
  beta: f32,   // Weibull shape β
  scale: f32,  // Weibull scale η = 1/Γ(1+1/β)
}

// η·y^{1/β} (0 for y = 0, and where it falls below 2^-126).
fn weibullPower(y: f32, p: RenewalParams) -> f32 {
  if (!(y > 0.0)) {
    return 0.0;
  }
  let t = logf32(y) / p.beta;
  if (t < -87.0) {
    return 0.0;
  }
  let h = expf32(0.5 * t);
  let x = (p.scale * h) * h;
  if (x < F32_MIN_NORMAL) {
    return 0.0;
  }
  return x;
}

fn interArrival(p: RenewalParams, rng: ptr<function, Rng>, approx: ptr<function, u32>) -> f32 {
  if (p.family == RENEWAL_GAMMA) {
    return gammaDraw(p.shape, rng, approx) / p.shape;
  }
  return weibullPower(-logf32(u01Open0(rngNextU32(rng))), p);
}

// The Gamma bridge over tau: (M, S_{M+1} − tau) with M = max{j : S_j ≤ tau}, S_j ~ Gamma(jk, 1/k).
struct BridgeResult {
  count: u32,
  residual: f32,
}

fn gammaBridge(tau: f32, k: f32, rng: ptr<function, Rng>, approx: ptr<function, u32>) -> BridgeResult {
  var lo = 0u;
  var slo = 0.0;
  var hi = max(1u, u32(ceil(2.0 * tau)));
  var shi = gammaDraw(f32(hi) * k, rng, approx) / k;
  for (var d = 0u; d < 24u; d++) {
    if (!(shi <= tau && hi < BRIDGE_MAX_HI)) {
      break;
    }
    lo = hi;
    slo = shi;
    hi = 2u * hi;
    shi = slo + gammaDraw(f32(hi - lo) * k, rng, approx) / k;
  }
  if (shi <= tau) {
    *approx = 1u;
    return BridgeResult(hi, 0.0);
  }
  for (var b = 0u; b < 32u; b++) {
    if (hi - lo <= 1u) {
      break;
    }
    let mid = lo + ((hi - lo) >> 1u);
    let beta = betaDraw(f32(mid - lo) * k, f32(hi - mid) * k, rng, approx);
    let smid = slo + (shi - slo) * beta;
    if (smid <= tau) {
      lo = mid;
      slo = smid;
    } else {
      hi = mid;
      shi = smid;
    }
  }
  return BridgeResult(lo, shi - tau);
}

// Arrivals of one step of budget Λ (≤ 2^20); *residual becomes the operational time from the step's
// end to the next arrival.
fn renewalArrivals(budget: f32, p: RenewalParams, residual: ptr<function, f32>, rng: ptr<function, Rng>, approx: ptr<function, u32>) -> u32 {
  let lam = budget;
  var r = *residual;
  var n = 0u;
  var eLoop = E_LOOP_GAMMA;
  if (p.family != RENEWAL_GAMMA) {
    eLoop = E_LOOP_WEIBULL;
  }
  for (var e = 0u; e < E_LOOP_WEIBULL; e++) {
    if (!(r < lam && n < eLoop)) {
      break;
    }
    n += 1u;
    r = r + interArrival(p, rng, approx);
  }
  if (r < lam) {
    n += 1u;
    let tau = lam - r;
    if (p.family != RENEWAL_GAMMA) {
      *approx = 1u;
    }
    let bridge = gammaBridge(tau, p.shape, rng, approx);
    n += bridge.count;
    r = bridge.residual;
  } else {
    r = r - lam;
  }
  *residual = r;
  return n;
}

// The stationary residual r₀ = U·Z, Z a length-biased IAT (rng: the purpose-3 setup stream).
fn renewalStart(p: RenewalParams, rng: ptr<function, Rng>) -> f32 {
  var approx = 0u;
  var z: f32;
  if (p.family == RENEWAL_GAMMA) {
    z = gammaDraw(p.shape + 1.0, rng, &approx) / p.shape;
  } else {
    z = weibullPower(gammaDraw(1.0 + 1.0 / p.beta, rng, &approx), p);
  }
  return u01Open0(rngNextU32(rng)) * z;
}
