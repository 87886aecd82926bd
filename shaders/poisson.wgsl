// Exact Poisson sampling: the GPU twin of src/random/poisson.ts (same algorithm, draw order and f32
// operation order). Inversion below mean 10; above, Hörmann's PTRS with Loader's cancellation-free
// log-pmf in the acceptance test, so f32 stays accurate at any mean up to MAX_POISSON_MEAN.
// ln and exp come from f32math.wgsl, not the builtins, so that every backend makes the same decisions.

const INVERSION_MAX_MEAN: f32 = 10.0;
const INVERSION_MAX_K: u32 = 200u;
const PTRS_MAX_TRIES: u32 = 64u;
const OFFSET_LIMIT: f32 = 1073741824.0;
const TWO_PI: f32 = 6.283185307179586;
// 0.43 in units of 2^-24: PTRS's candidate shift, added in integers (see poisson()).
const SHIFT_FX: u32 = 7214202u;

// stirlerr(n) for n = 0…15; pinned against the TS table by test/layout.test.ts.
const STIRLERR = array<f32, 16>(
  0.0, 0.0810614668, 0.04134069596, 0.02767792568, 0.0207906721, 0.01664469119, 0.01387612882,
  0.01189670995, 0.01041126526, 0.009255462183, 0.008330563433, 0.007573675488, 0.006942840107,
  0.006408994188, 0.005951370113, 0.005554733552);

fn stirlerr(n: f32) -> f32 {
  if (n <= 15.0) {
    return STIRLERR[u32(n)];
  }
  let nn = n * n;
  var s = 0.0005952380952380953 / nn;
  s = 0.0007936507936507937 - s;
  s = s / nn;
  s = 0.002777777777777778 - s;
  s = s / nn;
  s = 0.08333333333333333 - s;
  return s / n;
}

// bd0(x, m) = x ln(x/m) + m − x without cancellation (Loader 2000).
fn bd0(x: f32, m: f32) -> f32 {
  let diff = x - m;
  let total = x + m;
  if (abs(diff) < 0.1 * total) {
    var v = diff / total;
    var s = diff * v;
    var ej = (2.0 * x) * v;
    v = v * v;
    for (var j = 1u; j < 16u; j++) {
      ej = ej * v;
      let s1 = s + ej / f32(2u * j + 1u);
      if (s1 == s) {
        break;
      }
      s = s1;
    }
    return s;
  }
  return x * logf32(x / m) + m - x;
}

// ln P(K = k) for K ~ Poisson(mean).
fn logPoissonPmf(k: i32, mean: f32) -> f32 {
  if (k == 0) {
    return -mean;
  }
  let x = f32(k);
  // ½ ln(2πk) as one log of a product: no constant addend for a compiler to reassociate.
  return (-stirlerr(x) - bd0(x, mean)) - 0.5 * logf32(TWO_PI * x);
}

// log p(k) for one mean, kept per invocation: PTRS's slow acceptance test reads log p(k) from here
// when its mean is `logPmfMean` and k is in [logPmfLo, logPmfLo + logPmfCount), and computes it
// otherwise. Filled by fillLogPmfTable() (simulate.wgsl, for an agent about to run through a
// dispatch's steps at one mean); empty (count 0) unless filled. The entries are logPoissonPmf of the
// same (k, mean), so reading one gives the same f32 as computing it: bit-identical either way (why it
// pays on lavapipe, where 8 lanes run log p(k) whenever one needs it: bench/NOTES.md).
const LOG_PMF_TABLE_SIZE: u32 = 128u;
var<private> logPmfTable: array<f32, LOG_PMF_TABLE_SIZE>;
var<private> logPmfMean: f32;
var<private> logPmfLo: i32;
var<private> logPmfCount: u32;

// Fills the table for `mean` (empties it below PTRS's range, where it is not read), over the k the
// slow test can meet: candidates are ⌊μ⌋ + ⌊(2a/us + b)·u + frac μ + 0.43⌋ with |u| < ½, and reach the
// slow test only with us ≥ 0.013 or v ≤ us < 0.013 (rare), so |k − ⌊μ⌋| ≤ (2a/0.013 + b)/2 + 2 covers
// the common ones (the range only decides which k are read, not any value).
fn fillLogPmfTable(mean: f32) {
  logPmfCount = 0u;
  logPmfMean = mean;
  if (!(mean >= INVERSION_MAX_MEAN)) {
    return;
  }
  let b = 0.931 + 2.53 * sqrt(mean);
  let a = -0.059 + 0.02483 * b;
  let half = min(i32(ceil(((2.0 * a) / 0.013 + b) * 0.5)) + 2, i32(LOG_PMF_TABLE_SIZE / 2u));
  let base = i32(floor(mean));
  let lo = max(base - half, 0);
  let count = u32(base + half - lo);
  for (var j = 0u; j < count; j++) {
    logPmfTable[j] = logPoissonPmf(lo + i32(j), mean);
  }
  logPmfLo = lo;
  logPmfCount = count;
}

fn poisson(mean: f32, rng: ptr<function, Rng>) -> u32 {
  let mu = mean;
  if (!(mu > 0.0)) {
    return 0u;
  }
  if (mu < INVERSION_MAX_MEAN) {
    let u = u01(rngNextU32(rng));
    var p = expf32(-mu);
    var cdf = p;
    var k = 0u;
    while (u >= cdf && k < INVERSION_MAX_K) {
      k += 1u;
      p = (p * mu) / f32(k);
      // Once a term no longer moves the f32 sum, the mass left is below f32 resolution: stop here.
      // Compared as bits, so that no compiler rewrites (cdf + p == cdf) as (p == 0).
      let next = cdf + p;
      if (bitcast<u32>(next) == bitcast<u32>(cdf)) {
        break;
      }
      cdf = next;
    }
    return k;
  }
  let slam = sqrt(mu);
  let b = 0.931 + 2.53 * slam;
  let a = -0.059 + 0.02483 * b;
  let invAlpha = 1.1239 + 1.1328 / (b - 3.4);
  let vr = 0.9277 - 3.6224 / (b - 2.0);
  let lnInvAlpha = logf32(invAlpha);
  // floor(mean) + offset keeps floor() working on numbers the size of the standard deviation.
  let base = floor(mu);
  let frac = mu - base;
  var k = 0i;
  for (var tries = 0u; tries < PTRS_MAX_TRIES; tries++) {
    let u = uCentered(rngNextU32(rng));
    let v = u01Open0(rngNextU32(rng));
    let us = 0.5 - abs(u);
    let spread = ((2.0 * a) / us + b) * u;
    // floor(spread + frac + 0.43) with the fractional parts added as 24-bit fixed-point integers:
    // compilers may reassociate float sums (Mesa does), which would move draws across the floor.
    let whole = floor(spread);
    let carry = (u32((spread - whole) * 16777216.0) + u32(frac * 16777216.0) + SHIFT_FX) >> 24u;
    k = i32(base) + i32(clamp(whole, -OFFSET_LIMIT, OFFSET_LIMIT)) + i32(carry);
    if (us >= 0.07 && v <= vr) {
      return u32(k);
    }
    if (k < 0 || (us < 0.013 && v > us)) {
      continue;
    }
    let lhs = (logf32(v) + lnInvAlpha) - logf32(a / (us * us) + b);
    // log p(k) from the table where it holds this mean and k (k ≥ 0 here), else computed.
    let slot = u32(k - logPmfLo);
    var logPmf: f32;
    if (mu == logPmfMean && k >= logPmfLo && slot < logPmfCount) {
      logPmf = logPmfTable[slot];
    } else {
      logPmf = logPoissonPmf(k, mu);
    }
    if (lhs <= logPmf) {
      return u32(k);
    }
  }
  return u32(max(k, 0i));
}

// The upper tail beyond a Poisson table (src/random/poissonTable.ts tableTail): from k0 = kLo + L,
// inversion of the tail's conditional law, c = p = h0 = P(K = k0 | K ≥ k0), then p_k = p_{k−1}·μ/k
// and c += p_k while u ≥ c, at most TABLE_TAIL_MAX steps. Reached by one first word in 2^32.
const TABLE_TAIL_MAX: u32 = 64u;

fn tableTail(k0: u32, h0: f32, mu: f32, word: u32) -> u32 {
  let u = u01(word);
  var k = k0;
  var p = h0;
  var c = h0;
  while (u >= c && k < k0 + TABLE_TAIL_MAX) {
    k += 1u;
    p = (p * mu) / f32(k);
    c = c + p;
  }
  return k;
}
