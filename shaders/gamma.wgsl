// Gamma and Beta variates in f32: the GPU twin of src/random/gamma.ts (same algorithm, draw order and
// f32 operation order). Gamma(a ≥ 1) by Cheng's GB with its squeeze, the test value in the
// cancellation-free form (v·√(2a−1) − ln 4) − a·(e^v − 1 − v); Gamma(a < 1) = Gamma(a + 1)·e^{ln U / a}
// with values below 2^-126 flushed to 0; Beta = G_a/(G_a + G_b), from the logarithms where a shape is
// below 1. At most GAMMA_MAX_TRIES tries, then the mean, with *approx set. Only +, −, ×, ÷, comparisons
// and the portable logf32/expf32 (f32math.wgsl) decide anything.

const GAMMA_MAX_TRIES: u32 = 64u;
const F32_MIN_NORMAL: f32 = 1.1754943508222875e-38;
const GB_LN4: f32 = 1.3862943611198906;
const GB_D: f32 = 2.504077396776274; // 1 + ln 4.5
const SMALL_SHAPE_FLUSH: f32 = -87.0;

// e^v − 1 − v for |v| < ½: Taylor series to v^10, Horner form.
fn expm1mx(v: f32) -> f32 {
  var p = v * 2.755731922398589e-7;
  p = v * (0.0000027557319223985893 + p);
  p = v * (0.0000248015873015873 + p);
  p = v * (0.0001984126984126984 + p);
  p = v * (0.001388888888888889 + p);
  p = v * (0.008333333333333333 + p);
  p = v * (0.041666666666666664 + p);
  p = v * (0.16666666666666666 + p);
  return (v * v) * (0.5 + p);
}

// Gamma(a, 1) for a ≥ 1 by Cheng's GB.
fn gammaLarge(a: f32, rng: ptr<function, Rng>, approx: ptr<function, u32>) -> f32 {
  let l = logf32(2.0 * a - 1.0);
  let s = expf32(0.5 * l);
  let inv = expf32(-0.5 * l);
  for (var tries = 0u; tries < GAMMA_MAX_TRIES; tries++) {
    let u1 = u01(rngNextU32(rng));
    let u2 = u01Open0(rngNextU32(rng));
    if (!(u1 > 0.0)) {
      continue;
    }
    let v = inv * logf32(u1 / (1.0 - u1));
    let ev = expf32(v);
    let x = a * ev;
    var q: f32;
    if (abs(v) < 0.5) {
      q = expm1mx(v);
    } else {
      q = (ev - 1.0) - v;
    }
    let r = ((v * s) - GB_LN4) - a * q;
    let z = (u1 * u1) * u2;
    if ((r + GB_D) - 4.5 * z >= 0.0) {
      return x;
    }
    if (r >= logf32(z)) {
      return x;
    }
  }
  *approx = 1u;
  return a;
}

// ln of a Gamma(a, 1) variate for a < 1, without underflow.
fn logGammaSmall(a: f32, rng: ptr<function, Rng>, approx: ptr<function, u32>) -> f32 {
  let g = gammaLarge(a + 1.0, rng, approx);
  let t = logf32(u01Open0(rngNextU32(rng))) / a;
  return logf32(g) + t;
}

// One Gamma(a, 1) variate, a > 0.
fn gammaDraw(a: f32, rng: ptr<function, Rng>, approx: ptr<function, u32>) -> f32 {
  if (a >= 1.0) {
    return gammaLarge(a, rng, approx);
  }
  let g = gammaLarge(a + 1.0, rng, approx);
  let t = logf32(u01Open0(rngNextU32(rng))) / a;
  if (t < SMALL_SHAPE_FLUSH) {
    return 0.0;
  }
  let h = expf32(0.5 * t);
  let y = (g * h) * h;
  if (y < F32_MIN_NORMAL) {
    return 0.0;
  }
  return y;
}

fn logGammaDraw(a: f32, rng: ptr<function, Rng>, approx: ptr<function, u32>) -> f32 {
  if (a >= 1.0) {
    return logf32(gammaLarge(a, rng, approx));
  }
  return logGammaSmall(a, rng, approx);
}

// One Beta(a, b) variate, a, b > 0: G_a/(G_a + G_b), G_a drawn first.
fn betaDraw(a: f32, b: f32, rng: ptr<function, Rng>, approx: ptr<function, u32>) -> f32 {
  if (a >= 1.0 && b >= 1.0) {
    let ga = gammaLarge(a, rng, approx);
    let gb = gammaLarge(b, rng, approx);
    return ga / (ga + gb);
  }
  let la = logGammaDraw(a, rng, approx);
  let lb = logGammaDraw(b, rng, approx);
  let d = lb - la;
  if (d >= 80.0) {
    return 0.0;
  }
  if (d <= -80.0) {
    return 1.0;
  }
  return 1.0 / (1.0 + expf32(d));
}
