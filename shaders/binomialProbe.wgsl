// Diagnostic kernel: one binomial draw or one sequential split (binomial.wgsl) per query, from the
// Philox stream of the query's coordinates, writing the counts and the draws consumed, so that
// test/binomial.test.ts can compare the GPU with src/random/binomial.ts one integer for one
// (src/gpu/binomialProbe.ts is the host side).

struct BinomialProbeParams {
  count: u32,     // queries in this dispatch
  gridWidth: u32, // invocations per row of the (folded) 2-D dispatch grid
  _pad0: u32,
  _pad1: u32,
}

struct BinomialQuery {
  seedLo: u32,     // Philox key word 0
  seedHi: u32,     // Philox key word 1
  stream: u32,     // counter word 0
  replicate: u32,  // counter word 1
  step: u32,       // counter word 2, (purpose << 28) | step
  agent: u32,      // counter word 3, top 16 bits
  n: u32,          // trials (binomial) or completions m (split)
  successors: u32, // 0: one Binomial(n, probs[0]); 1 … 8: splitCompletions over probs[0 … successors−1];
                   // PROBE_VALUES: the f32 bits of binomial.wgsl's functions at p = probs[0], k = probs[1 … 3]
  probs: array<f32, 8>, // probabilities, dimensionless
}

struct BinomialResult {
  counts: array<u32, 8>, // the binomial in counts[0], or the split's count per successor
  drawsUsed: u32,        // 32-bit draws consumed
  _pad0: u32,
  _pad1: u32,
  _pad2: u32,
}

@group(0) @binding(0) var<uniform> binomialParams: BinomialProbeParams;
@group(0) @binding(1) var<storage, read> binomialQueries: array<BinomialQuery>;
@group(0) @binding(2) var<storage, read_write> binomialResults: array<BinomialResult>;

override WORKGROUP_SIZE: u32 = 64u;
const PROBE_VALUES: u32 = 9u;

// The f32 functions behind the sampler's decisions, as bits (p ≤ ½, ks ≤ n): a reordered operation
// shows here even where no count moves. [ln(1 − p), ln P(k_1 … k_3), P(0) = e^{n·ln(1−p)}, 0, 0, 0, 0].
fn probeValues(n: u32, probs: array<f32, 8>) -> array<u32, 8> {
  let p = probs[0];
  let np = f32(n) * p;
  let lnQ = log1mf32(p);
  var out: array<u32, 8>;
  out[0] = bitcast<u32>(lnQ);
  for (var j = 1u; j < 4u; j++) {
    out[j] = bitcast<u32>(logBinomialPmf(u32(probs[j]), n, np, f32(n) - np, logf32(p), lnQ));
  }
  out[4] = bitcast<u32>(expf32(f32(n) * lnQ));
  return out;
}

@compute @workgroup_size(WORKGROUP_SIZE)
fn binomialProbe(@builtin(global_invocation_id) gid: vec3<u32>) {
  let i = gid.y * binomialParams.gridWidth + gid.x;
  if (i >= binomialParams.count) {
    return;
  }
  let q = binomialQueries[i];
  var rng = rngStart(vec2<u32>(q.seedLo, q.seedHi), q.stream, q.replicate, q.step, q.agent);
  var counts: array<u32, 8>;
  if (q.successors == 0u) {
    counts[0] = binomial(q.n, q.probs[0], &rng);
  } else if (q.successors == PROBE_VALUES) {
    counts = probeValues(q.n, q.probs);
  } else {
    counts = splitCompletions(q.n, q.probs, q.successors, &rng);
  }
  binomialResults[i] = BinomialResult(counts, rng.next, 0u, 0u, 0u);
}
