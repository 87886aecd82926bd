// Diagnostic kernel: evaluates raw Philox blocks and Poisson counts for a list of draw coordinates, so
// the tests can compare the GPU's random numbers with the CPU's one by one.

struct DrawParams {
  seedLo: u32,    // Philox key word 0
  seedHi: u32,    // Philox key word 1
  count: u32,     // queries in this dispatch
  gridWidth: u32, // invocations per row of the (folded) 2-D dispatch grid
}

struct DrawQuery {
  stream: u32,    // counter word 0
  replicate: u32, // counter word 1
  step: u32,      // counter word 2
  agent: u32,     // counter word 3, top 16 bits
  mean: f32,      // Poisson mean, requests per step
  _pad0: u32,
  _pad1: u32,
  _pad2: u32,
}

struct DrawResult {
  block0: vec4<u32>, // the stream's first Philox block (draws 0..3)
  count: u32,        // Poisson(mean) count drawn from the stream
  drawsUsed: u32,    // 32-bit draws the sampler consumed
  _pad0: u32,
  _pad1: u32,
}

@group(0) @binding(0) var<uniform> drawParams: DrawParams;
@group(0) @binding(1) var<storage, read> queries: array<DrawQuery>;
@group(0) @binding(2) var<storage, read_write> results: array<DrawResult>;

override WORKGROUP_SIZE: u32 = 64u;

@compute @workgroup_size(WORKGROUP_SIZE)
fn draws(@builtin(global_invocation_id) gid: vec3<u32>) {
  let i = gid.y * drawParams.gridWidth + gid.x;
  if (i >= drawParams.count) {
    return;
  }
  let q = queries[i];
  let key = vec2<u32>(drawParams.seedLo, drawParams.seedHi);
  var rng = rngStart(key, q.stream, q.replicate, q.step, q.agent);
  let count = poisson(q.mean, &rng);
  let first = rngStart(key, q.stream, q.replicate, q.step, q.agent);
  results[i] = DrawResult(philox4x32(first.counter, key), count, rng.next, 0u, 0u);
}
