// The workload step: one invocation advances one fleet run through steps [stepBegin, stepEnd), in the
// order arrive → allocate → process → record. State stays in `states` between dispatches, so a whole
// run needs no host round trip. CPU twin: src/cpu/engine.ts.

@group(0) @binding(0) var<uniform> params: SimParams;
@group(0) @binding(1) var<storage, read> runs: array<Run>;
@group(0) @binding(2) var<storage, read> agents: array<AgentParams>;
@group(0) @binding(3) var<storage, read_write> states: array<AgentState>;

override WORKGROUP_SIZE: u32 = 64u;

@compute @workgroup_size(WORKGROUP_SIZE)
fn simulate(@builtin(global_invocation_id) gid: vec3<u32>) {
  let r = gid.y * params.gridWidth + gid.x;
  if (r >= params.runCount) {
    return;
  }
  let run = runs[r];
  let key = vec2<u32>(params.seedLo, params.seedHi);
  for (var t = params.stepBegin; t < params.stepEnd; t++) {
    // The policies read nominal rates only, so allocating before drawing this step's arrivals
    // gives the same shares as the specified arrive → allocate order.
    let alloc = allocate(run, t);
    for (var i = 0u; i < run.agentCount; i++) {
      let p = agents[run.agentOffset + i];
      var s = states[run.agentOffset + i];
      // Arrive: λ·Δt requests (paper mode) or a Poisson count with that mean.
      var arrived = p.lambda * params.dt;
      if (params.arrivalMode == ARRIVALS_POISSON) {
        var rng = rngStart(key, run.stream, run.replicate, t, i);
        arrived = f32(poisson(arrived, &rng));
      }
      // Process: fluid service at rate T·g for Δt.
      let g = shareOf(alloc, p, i, run.agentCount);
      let rate = p.T * g;
      let backlog = s.queue + arrived;
      let served = min(backlog, rate * params.dt);
      s.queue = backlog - served;
      // Record: latency is the backlog over the service rate, L_max when the share is 0.
      let latency = select(params.lmax, s.queue / rate, g > 0.0);
      let lat = kahanAdd(vec2<f32>(s.latencySum, s.latencyComp), latency, params.opaqueZero);
      let srv = kahanAdd(vec2<f32>(s.servedSum, s.servedComp), served, params.opaqueZero);
      let que = kahanAdd(vec2<f32>(s.queueSum, s.queueComp), s.queue, params.opaqueZero);
      let shr = kahanAdd(vec2<f32>(s.shareSum, s.shareComp), g, params.opaqueZero);
      let arr = kahanAdd(vec2<f32>(s.arrivedSum, s.arrivedComp), arrived, params.opaqueZero);
      s.latencySum = lat.x;
      s.latencyComp = lat.y;
      s.servedSum = srv.x;
      s.servedComp = srv.y;
      s.queueSum = que.x;
      s.queueComp = que.y;
      s.shareSum = shr.x;
      s.shareComp = shr.y;
      s.arrivedSum = arr.x;
      s.arrivedComp = arr.y;
      states[run.agentOffset + i] = s;
    }
  }
}
