// The workload step for small fleets: one invocation advances one fleet run through steps
// [stepBegin, stepEnd), in the order arrive → allocate → process → record, looping over its agents
// (allocate() sums over them sequentially, in agent order). State stays in `states` between
// dispatches, so a whole run needs no host round trip. Fleets above the per-invocation size run on
// simulateWide.wgsl instead (src/gpu/engine.ts chooses). CPU twin: src/cpu/engine.ts.

override WORKGROUP_SIZE: u32 = 64u;

@compute @workgroup_size(WORKGROUP_SIZE)
fn simulate(@builtin(global_invocation_id) gid: vec3<u32>) {
  // gridWidth counts runs per grid row: here one run per invocation.
  let r = gid.y * params.gridWidth + gid.x;
  if (r >= params.runCount) {
    return;
  }
  let run = runs[r];
  let key = vec2<u32>(params.seedLo, params.seedHi);
  if (params.signalMode == SIGNAL_NOMINAL) {
    // The allocation reads no state (adaptive demand uses λ_i, round-robin only t), so the agents go
    // one after the other, each through all the steps with its state in registers: the same operations
    // per agent-step as the loop below (bit-identical totals), about twice as fast on lavapipe.
    var alloc = allocate(run, params.stepBegin);
    for (var i = 0u; i < run.agentCount; i++) {
      let k = run.agentOffset + i;
      let p = agents[k];
      var s = states[k];
      for (var t = params.stepBegin; t < params.stepEnd; t++) {
        alloc.turn = t % run.agentCount;
        advance(&s, p, run, alloc, key, t, i);
      }
      states[k] = s;
    }
    return;
  }
  for (var t = params.stepBegin; t < params.stepEnd; t++) {
    // The allocator reads λ̂_t, which depends on steps before t only, so allocating before drawing
    // this step's arrivals gives the same shares as the specified arrive → allocate order.
    let alloc = allocate(run, t);
    for (var i = 0u; i < run.agentCount; i++) {
      advanceAgent(run, alloc, key, t, i);
    }
  }
}
