// Exponential work per request: the GPU twin of src/random/work.ts. Each of the n requests of one
// agent-step brings Exp(1) units of work (units of one request's mean work), drawn as −ln u with the
// portable logf32, u on (0, 1], from the agent-step's stream after the Poisson draws, and summed in
// f32 in draw order.

// Draws one agent-step can take for work: the counter addresses 2^18 draws (philox.wgsl) and the
// Poisson sampler takes at most 128 before them (64 PTRS tries of two draws).
const MAX_WORK_DRAWS: u32 = 262016u;

// Total work of `n` requests. Requests past MAX_WORK_DRAWS (never at the means the host allows, see
// MAX_EXPONENTIAL_MEAN in src/model/batch.ts) add their mean, 1, so the stream never wraps.
fn exponentialWork(n: u32, rng: ptr<function, Rng>) -> f32 {
  let drawn = min(n, MAX_WORK_DRAWS);
  var work = 0.0;
  for (var k = 0u; k < drawn; k++) {
    work = work - logf32(u01Open0(rngNextU32(rng)));
  }
  return work + f32(n - drawn);
}
