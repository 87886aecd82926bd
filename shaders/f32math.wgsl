// Portable f32 logarithm and exponential built from +, −, ×, ÷ and bit operations only: GPU log/exp
// builtins are approximations that differ between drivers (lavapipe's differ from correctly rounded
// results on ~20 % / ~90 % of inputs), which would make the Poisson sampler's decisions
// backend-dependent. The CPU twin, src/random/f32math.ts, performs the same operations in the same order.

const LN2: f32 = 0.6931471805599453;
const LN2_HI: f32 = 0.693145751953125;     // ln 2 rounded to 12 bits: k·LN2_HI is exact for |k| < 2^12
const LN2_LO: f32 = 1.428606765330187e-6;  // ln 2 − LN2_HI
const INV_LN2: f32 = 1.4426950408889634;

// ln x for positive normal x; error within a few ulp.
fn logf32(x: f32) -> f32 {
  let bits = bitcast<u32>(x);
  var e = i32((bits >> 23u) & 0xffu) - 127;
  var m = bitcast<f32>((bits & 0x007fffffu) | 0x3f800000u); // mantissa in [1, 2)
  if (m > 1.4142135) {
    m = m * 0.5;
    e = e + 1;
  }
  // ln m = 2·atanh(s) = 2s·(1 + z/3 + z²/5 + …), s = (m − 1)/(m + 1), |s| ≤ 0.172, z = s²
  let s = (m - 1.0) / (m + 1.0);
  let z = s * s;
  let p = 1.0 + z * (0.33333333 + z * (0.2 + z * (0.14285714 + z * (0.11111111 + z * 0.09090909))));
  return f32(e) * LN2 + (2.0 * s) * p;
}

// e^x for x in [−80, 80]; error within a few ulp.
fn expf32(x: f32) -> f32 {
  let k = floor(x * INV_LN2 + 0.5);
  let r = (x - k * LN2_HI) - k * LN2_LO; // |r| ≤ 0.35
  let p = 1.0 + r * (1.0 + r * (0.5 + r * (0.16666667 + r * (0.041666668 + r * (0.008333334 + r * (0.0013888889 + r * 0.0001984127))))));
  return ldexp(p, i32(k));
}
