/**
 * Portable f32 ln and exp: the CPU twin of shaders/f32math.wgsl, operation for operation, each
 * rounded to f32 with Math.fround. GPU log/exp builtins differ between drivers; these use only
 * operations that IEEE hardware rounds identically, so both sides get the same bits.
 */

const f = Math.fround;
const F32 = new Float32Array(1);
const U32 = new Uint32Array(F32.buffer);

const LN2 = f(0.6931471805599453);
const LN2_HI = f(0.693145751953125);
const LN2_LO = f(1.428606765330187e-6);
const INV_LN2 = f(1.4426950408889634);
const SQRT2 = f(1.4142135);
const L1 = f(0.33333333);
const L2 = f(0.2);
const L3 = f(0.14285714);
const L4 = f(0.11111111);
const L5 = f(0.09090909);
const E3 = f(0.16666667);
const E4 = f(0.041666668);
const E5 = f(0.008333334);
const E6 = f(0.0013888889);
const E7 = f(0.0001984127);

/** ln x for positive normal f32 x. */
export function logf32(x: number): number {
  F32[0] = x;
  const bits = U32[0]!;
  let e = ((bits >>> 23) & 0xff) - 127;
  U32[0] = (bits & 0x007fffff) | 0x3f800000;
  let m = F32[0];
  if (m > SQRT2) {
    m = f(m * 0.5);
    e = e + 1;
  }
  const s = f(f(m - 1) / f(m + 1));
  const z = f(s * s);
  let p = f(z * L5);
  p = f(z * f(L4 + p));
  p = f(z * f(L3 + p));
  p = f(z * f(L2 + p));
  p = f(z * f(L1 + p));
  p = f(1 + p);
  return f(f(e * LN2) + f(f(2 * s) * p));
}

/** e^x for f32 x in [−80, 80]. */
export function expf32(x: number): number {
  const k = Math.floor(f(f(x * INV_LN2) + 0.5));
  const r = f(f(x - f(k * LN2_HI)) - f(k * LN2_LO));
  let p = f(r * E7);
  p = f(r * f(E6 + p));
  p = f(r * f(E5 + p));
  p = f(r * f(E4 + p));
  p = f(r * f(E3 + p));
  p = f(r * f(0.5 + p));
  p = f(r * f(1 + p));
  p = f(1 + p);
  return f(p * 2 ** k);
}
