// Diagnostic kernel: runs a renewal process (renewal.wgsl) or an MMPP (mmpp.wgsl) for S consecutive
// steps from its stationary start, one invocation per query, and writes each step's count, approximation
// flag and process state, so the tests can compare the GPU with the CPU twins step by step
// (src/gpu/burstyProbe.ts is the host side; test/bursty-gpu.test.ts the comparison). Streams as the
// engines use them (MODEL-PART4 §4.0): the start from purpose 3 (step field 0), step t's arrival and
// IAT draws from purpose 0 at step t, the MMPP's holding times from purpose 1 at step t.

struct BurstyProbeParams {
  count: u32,     // queries in this dispatch
  gridWidth: u32, // invocations per row of the (folded) 2-D dispatch grid
  _pad0: u32,
  _pad1: u32,
}

struct BurstyQuery {
  seedLo: u32,
  seedHi: u32,
  stream: u32,
  replicate: u32,
  agent: u32,
  steps: u32,   // S
  offset: u32,  // index of the query's first BurstyStep in results
  process: u32, // 0 renewal, 1 MMPP
  budget: f32,  // Λ per step
  dt: f32,      // step length in seconds (MMPP)
  renewal: RenewalParams,
  mmpp: MmppParams,
  _pad0: u32,
  _pad1: u32,
}

struct BurstyStep {
  count: u32,  // arrivals in the step
  approx: u32, // renewal: 1 where an approximation was used in the step; MMPP: the phase after the step
  state: f32,  // renewal: the residual after the step; MMPP: the step's intensity I
  hold: f32,   // MMPP: the holding time left after the step (renewal: the start residual, on step 0)
}

@group(0) @binding(0) var<uniform> probeParams: BurstyProbeParams;
@group(0) @binding(1) var<storage, read> probeQueries: array<BurstyQuery>;
@group(0) @binding(2) var<storage, read_write> probeSteps: array<BurstyStep>;

override WORKGROUP_SIZE: u32 = 64u;

@compute @workgroup_size(WORKGROUP_SIZE)
fn burstyProbe(@builtin(global_invocation_id) gid: vec3<u32>) {
  let i = gid.y * probeParams.gridWidth + gid.x;
  if (i >= probeParams.count) {
    return;
  }
  let q = probeQueries[i];
  let key = vec2<u32>(q.seedLo, q.seedHi);
  var setup = rngStart(key, q.stream, q.replicate, purposeStep(PURPOSE_SETUP, 0u), q.agent);
  if (q.process == 0u) {
    var residual = renewalStart(q.renewal, &setup);
    let start = residual;
    for (var t = 0u; t < q.steps; t++) {
      var rng = rngStart(key, q.stream, q.replicate, purposeStep(0u, t), q.agent);
      var approx = 0u;
      let n = renewalArrivals(q.budget, q.renewal, &residual, &rng, &approx);
      probeSteps[q.offset + t] = BurstyStep(n, approx, residual, select(0.0, start, t == 0u));
    }
  } else {
    var phase = 0u;
    var hold = 0.0;
    mmppStart(q.mmpp, &phase, &hold, &setup);
    for (var t = 0u; t < q.steps; t++) {
      var switches = rngStart(key, q.stream, q.replicate, purposeStep(PURPOSE_PROCESS, t), q.agent);
      var rng = rngStart(key, q.stream, q.replicate, purposeStep(0u, t), q.agent);
      let intensity = mmppIntensity(q.dt, q.mmpp, &phase, &hold, &switches);
      let n = poisson(q.budget * (intensity / q.dt), &rng);
      probeSteps[q.offset + t] = BurstyStep(n, phase, intensity, hold);
    }
  }
}
