// Diagnostic kernel: evaluates raw Philox blocks, Poisson counts and the exponential work of those
// requests for a list of draw coordinates, so the tests can compare the GPU's random numbers with the
// CPU's one by one.

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
  withWork: u32,  // 1: also draw the exponential work of the count (DrawResult.work), 0: leave it 0
  _pad1: u32,
  _pad2: u32,
}

struct DrawResult {
  block0: vec4<u32>, // the stream's first Philox block (draws 0..3)
  count: u32,        // Poisson(mean) count drawn from the stream
  drawsUsed: u32,    // 32-bit draws the sampler consumed
  work: f32,         // exponential work of the `count` requests, drawn after the count (work.wgsl), if asked
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
  let drawsUsed = rng.next;
  var work = 0.0;
  if (q.withWork != 0u) {
    work = exponentialWork(count, &rng);
  }
  let first = rngStart(key, q.stream, q.replicate, q.step, q.agent);
  results[i] = DrawResult(philox4x32(first.counter, key), count, drawsUsed, work, 0u);
}
