// The workload step for large fleets: one workgroup advances one fleet run through steps
// [stepBegin, stepEnd). Invocation `lid` owns the agents i ≡ lid (mod WORKGROUP_SIZE); each step they
// allocate together (the adaptive policy's two sums as workgroup reductions), then each advances its
// own agents (agentStep.wgsl), which touch no other agent's state. The same semantics as the narrow
// kernel (simulate.wgsl) but for the order of the adaptive sums. CPU twin: src/cpu/engine.ts.

override WORKGROUP_SIZE: u32 = 64u;

// Largest fleet the reduction holds: MAX_AGENTS_PER_FLEET in src/model/batch.ts (pinned by
// test/layout.test.ts). 4,096 f32 are 16 KiB, WebGPU's default maxComputeWorkgroupStorageSize.
const MAX_WIDE_AGENTS: u32 = 4096u;

// The terms of the sum being reduced, one per agent (index i = agent), then the tree's partial sums.
var<workgroup> terms: array<f32, MAX_WIDE_AGENTS>;

// Two partial results of a reduction: their sum, or (a max pass, PolicyDef.maxPasses) their max.
fn reduceTerms(x: f32, y: f32, useMax: bool) -> f32 {
  return select(x + y, max(x, y), useMax);
}

// Σ terms[0 .. n) (or their max: useMax, uniform) as a binary tree over the agent index: with P the power of two in [n, 2n), level
// h = P/2, P/4, …, 1 adds terms[i + h] into terms[i] for i < h (nothing when i + h ≥ n). The tree
// depends on n alone, not on WORKGROUP_SIZE or the dispatch, and is ⌈log2 n⌉ f32 roundings deep.
// Levels with h ≥ WORKGROUP_SIZE pair slots of the same invocation (i ≡ i + h mod WORKGROUP_SIZE, a
// power of two), so each invocation does them alone; only the last log2(WORKGROUP_SIZE) levels need
// barriers. Every invocation must call it; the caller has written the n terms. Returns the sum to
// all, uniform.
fn treeSum(n: u32, lid: u32, useMax: bool) -> f32 {
  var h = select(0u, 1u << firstLeadingBit(n - 1u), n > 1u);
  for (; h >= WORKGROUP_SIZE; h = h >> 1u) {
    for (var i = lid; i < h; i += WORKGROUP_SIZE) {
      if (i + h < n) {
        terms[i] = reduceTerms(terms[i], terms[i + h], useMax);
      }
    }
  }
  for (; h > 0u; h = h >> 1u) {
    workgroupBarrier();
    if (lid < h && lid + h < n) {
      terms[lid] = reduceTerms(terms[lid], terms[lid + h], useMax);
    }
  }
  // A barrier, the load, a barrier: the next sum may overwrite `terms` right after.
  return workgroupUniformLoad(&terms[0]);
}

// The allocation of step t, as allocate() in allocate.wgsl computes it, with tree sums: each level's
// terms in workgroup memory, then reduced. The level count comes from the run, so it is uniform.
fn allocateWide(run: Run, t: u32, lid: u32) -> Allocation {
  var a = allocationBase(run, t);
  let n = run.agentCount;
  let passes = policyPasses(run.policy);
  for (var level = 0u; level < passes; level++) {
    for (var i = lid; i < n; i += WORKGROUP_SIZE) {
      let k = run.agentOffset + i;
      terms[i] = policyTerm(a, level, agents[k], signalRate(k, t), agentBacklog(k), i, n);
    }
    let useMax = level < 32u && ((policyMaxPasses(run.policy) >> level) & 1u) != 0u;
    let r = treeSum(n, lid, useMax);
    // A max pass starts from 0, as the narrow kernel's does.
    a = policyFinish(a, level, select(r, max(r, 0.0), useMax));
  }
  return a;
}

@compute @workgroup_size(WORKGROUP_SIZE)
fn simulateWide(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  // gridWidth counts runs per grid row: here one run per workgroup. The test is uniform, so a
  // workgroup past the last run returns as a whole.
  let r = wid.y * params.gridWidth + wid.x;
  if (r >= params.runCount) {
    return;
  }
  let run = runs[r];
  let key = vec2<u32>(params.seedLo, params.seedHi);
  if (allocationFixed(run.policy)) {
    // As in simulate.wgsl: the allocation reads no state, so it is reduced once per dispatch, and each
    // invocation runs its agents one after the other through all the steps, with no barrier per step.
    var alloc = allocateWide(run, params.stepBegin, lid);
    for (var i = lid; i < run.agentCount; i += WORKGROUP_SIZE) {
      let k = run.agentOffset + i;
      let p = agents[k];
      var s = states[k];
      var a = arrivalStates[k];
      for (var t = params.stepBegin; t < params.stepEnd; t++) {
        alloc.turn = t % run.agentCount;
        advance(&s, &a, p, run, alloc, key, t, i);
      }
      states[k] = s;
      arrivalStates[k] = a;
    }
    return;
  }
  for (var t = params.stepBegin; t < params.stepEnd; t++) {
    // Every invocation reads the rates λ̂_t of its own agents before advanceAgent overwrites them,
    // and the reductions' barriers order the sums before any share is used.
    let alloc = allocateWide(run, t, lid);
    for (var i = lid; i < run.agentCount; i += WORKGROUP_SIZE) {
      advanceAgent(run, alloc, key, t, i);
    }
  }
}
