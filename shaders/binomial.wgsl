// Exact binomial sampling for the routing draws (MODEL-PART4 §4.6): the GPU twin of
// src/random/binomial.ts (same algorithm, draw order and f32 operation order; that file's header gives
// the algorithm and its exactness argument). p > ½ draws n − Binomial(n, 1 − p); then inversion below
// n·p = 10, else Hörmann's BTRS (1993) with Loader's log-pmf from poisson.wgsl's stirlerr and bd0.
// Needs philox.wgsl, f32math.wgsl and poisson.wgsl before it. √x is expf32(½·logf32 x), never sqrt().

const BINOMIAL_INVERSION_MAX_MEAN: f32 = 10.0;
const BINOMIAL_INVERSION_MAX_K: u32 = 200u;
const BTRS_MAX_TRIES: u32 = 64u;
const MAX_BINOMIAL_N: u32 = 16777216u;   // n is clamped to 2^24 (callers validate)
const MAX_SUCCESSORS: u32 = 8u;
const BINOMIAL_OFFSET_LIMIT: f32 = 1073741824.0;
const BINOMIAL_HALF_FX: u32 = 8388608u;  // ½ in units of 2^-24: BTRS's shift c = n·p + ½
const BINOMIAL_MIN_P: f32 = 7.888609052210118e-31; // 2^-100: below it p counts as 0

// ln(1 − p) for p in [0, ½], accurate for small p: logf32's series at s = −p/(2 − p).
fn log1mf32(p: f32) -> f32 {
  if (p >= 0.29289322) {
    return logf32(1.0 - p);
  }
  let s = -p / (2.0 - p);
  let z = s * s;
  let q = 1.0 + z * (0.33333333 + z * (0.2 + z * (0.14285714 + z * (0.11111111 + z * 0.09090909))));
  return (2.0 * s) * q;
}

// bd0(x, m): poisson.wgsl's series where |x − m| < 0.1·(x + m); elsewhere x·(ln(x/m) − 1) + m with x used
// once, which leaves a compiler nothing to reassociate (Mesa rewrites (x·L + m) − x as (x·L − x) + m).
fn bd0Binomial(x: f32, m: f32) -> f32 {
  if (abs(x - m) < 0.1 * (x + m)) {
    return bd0(x, m);
  }
  return x * (logf32(x / m) - 1.0) + m;
}

// ln P(K = k), K ~ Binomial(n, p), Loader's form; np = n·p, nq = n − np, lnP = ln p, lnQ = ln(1 − p).
fn logBinomialPmf(k: u32, n: u32, np: f32, nq: f32, lnP: f32, lnQ: f32) -> f32 {
  let nf = f32(n);
  if (k == 0u) {
    return nf * lnQ;
  }
  if (k == n) {
    return nf * lnP;
  }
  let x = f32(k);
  let y = f32(n - k);
  let lc = (((stirlerr(nf) - stirlerr(x)) - stirlerr(y)) - bd0Binomial(x, np)) - bd0Binomial(y, nq);
  return lc - 0.5 * logf32((TWO_PI * x) * (y / nf));
}

// Inversion for n·p < 10, p ≤ ½: the least k with u < P(K ≤ k).
fn binomialInversion(n: u32, p: f32, rng: ptr<function, Rng>) -> u32 {
  let u = u01(rngNextU32(rng));
  let q = 1.0 - p;
  let r = p / q;
  var prob = expf32(f32(n) * log1mf32(p));
  var cdf = prob;
  var k = 0u;
  while (u >= cdf && k < n && k < BINOMIAL_INVERSION_MAX_K) {
    k += 1u;
    prob = ((prob * r) * f32(n - k + 1u)) / f32(k);
    // Compared as bits, so that no compiler rewrites (cdf + prob == cdf) as (prob == 0).
    let next = cdf + prob;
    if (bitcast<u32>(next) == bitcast<u32>(cdf)) {
      break;
    }
    cdf = next;
  }
  return k;
}

// BTRS for n·p ≥ 10, p ≤ ½.
fn binomialBtrs(n: u32, p: f32, np: f32, rng: ptr<function, Rng>) -> u32 {
  let q = 1.0 - p;
  let spq = expf32(0.5 * logf32(np * q));
  let b = 1.15 + 2.53 * spq;
  let a = (-0.0873 + 0.0248 * b) + 0.01 * p;
  let twoA = 2.0 * a;
  let vr = 0.92 - 4.2 / b;
  // The slow test's constants, computed when a try first reaches it (Hörmann's step 2).
  var slow = false;
  var lnAlpha = 0.0;
  var nq = 0.0;
  var lnP = 0.0;
  var lnQ = 0.0;
  var logPmfMode = 0.0;
  let base = floor(np);
  let fracFx = u32((np - base) * 16777216.0);
  var k = 0i;
  for (var tries = 0u; tries < BTRS_MAX_TRIES; tries++) {
    let u = uCentered(rngNextU32(rng));
    let v = u01Open0(rngNextU32(rng));
    let us = 0.5 - abs(u);
    let spread = (twoA / us + b) * u;
    // floor(spread + frac(np) + ½) in 24-bit fixed point: compilers may reassociate float sums.
    let whole = floor(spread);
    let carry = (u32((spread - whole) * 16777216.0) + fracFx + BINOMIAL_HALF_FX) >> 24u;
    k = i32(base) + i32(clamp(whole, -BINOMIAL_OFFSET_LIMIT, BINOMIAL_OFFSET_LIMIT)) + i32(carry);
    if (k < 0 || k > i32(n)) {
      continue;
    }
    if (us >= 0.07 && v <= vr) {
      return u32(k);
    }
    if (!slow) {
      slow = true;
      lnAlpha = logf32((2.83 + 5.1 / b) * spq);
      nq = f32(n) - np;
      lnP = logf32(p);
      lnQ = log1mf32(p);
      logPmfMode = logBinomialPmf(u32(floor((f32(n) + 1.0) * p)), n, np, nq, lnP, lnQ);
    }
    let lhs = (logf32(v) + lnAlpha) - logf32(a / (us * us) + b);
    if (lhs <= logBinomialPmf(u32(k), n, np, nq, lnP, lnQ) - logPmfMode) {
      return u32(k);
    }
  }
  return u32(clamp(k, 0i, i32(n)));
}

// One Binomial(n, p) count; n = 0, p < 2^-100 (or NaN) and p ≥ 1 draw nothing.
fn binomial(count: u32, p: f32, rng: ptr<function, Rng>) -> u32 {
  let n = min(count, MAX_BINOMIAL_N);
  if (n == 0u || !(p >= BINOMIAL_MIN_P)) {
    return 0u;
  }
  if (p >= 1.0) {
    return n;
  }
  let flip = p > 0.5;
  let pp = select(p, 1.0 - p, flip);
  if (!(pp >= BINOMIAL_MIN_P)) {
    return select(0u, n, flip);
  }
  let np = f32(n) * pp;
  var k: u32;
  if (np < BINOMIAL_INVERSION_MAX_MEAN) {
    k = binomialInversion(n, pp, rng);
  } else {
    k = binomialBtrs(n, pp, np, rng);
  }
  return select(k, n - k, flip);
}

// The sequential conditional split of m completions among `successors` (≤ 8) with probabilities
// probs[0 … successors−1] (Σ ≤ 1): successor j gets Binomial(left, p_j/rest), rest = 1 − Σ_{i<j} p_i
// as an f32 running difference (a quotient ≥ 1 takes all that is left). counts[j] for j ≥ successors
// are 0; m − Σ counts exits.
fn splitCompletions(m: u32, probs: array<f32, MAX_SUCCESSORS>, successors: u32, rng: ptr<function, Rng>) -> array<u32, MAX_SUCCESSORS> {
  var counts: array<u32, MAX_SUCCESSORS>;
  var left = m;
  var rest = 1.0;
  for (var j = 0u; j < MAX_SUCCESSORS; j++) {
    if (j >= successors) {
      break;
    }
    let pj = probs[j];
    var share = 0u;
    if (left > 0u && pj > 0.0) {
      let c = pj / rest;
      if (c >= 1.0 || !(rest > 0.0)) {
        share = left;
      } else {
        share = binomial(left, c, rng);
      }
    }
    counts[j] = share;
    left -= share;
    rest = rest - pj;
  }
  return counts;
}
