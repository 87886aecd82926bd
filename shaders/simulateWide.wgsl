// The workload step for large fleets: one workgroup advances one fleet run through steps
// [stepBegin, stepEnd). Invocation `lid` owns the agents i ≡ lid (mod WORKGROUP_SIZE); each step they
// allocate together (the adaptive policy's two sums as workgroup reductions), then each advances its
// own agents (agentStep.wgsl), which touch no other agent's state; a backlog-reading policy's
// invocations draw their agents' step first. The same semantics as the narrow kernel (simulate.wgsl)
// but for the order of the policies' sums. CPU twin: src/cpu/engine.ts.

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
// terms in workgroup memory, then reduced. The level count comes from the run, so it is uniform. A
// backlog-reading policy's B_k reads the step's draw in arrivalStates[k], where the invocation that
// owns agent k (the only one reading it here) put it.
fn allocateWide(run: Run, t: u32, lid: u32) -> Allocation {
  var a = allocationBase(run, t);
  let n = run.agentCount;
  let passes = policyPasses(run.policy);
  let readsBacklog = policyReadsBacklog(run.policy);
  for (var level = 0u; level < passes; level++) {
    for (var i = lid; i < n; i += WORKGROUP_SIZE) {
      let k = run.agentOffset + i;
      var backlog = 0.0;
      if (readsBacklog) {
        backlog = agentBacklog(k, k, t);
      }
      terms[i] = policyTerm(a, level, agents[k], signalRate(k, t), backlog, i, n);
    }
    let useMax = level < 32u && ((policyMaxPasses(run.policy) >> level) & 1u) != 0u;
    let r = treeSum(n, lid, useMax);
    // A max pass starts from 0, as the narrow kernel's does.
    a = policyFinish(a, level, select(r, max(r, 0.0), useMax));
  }
  return a;
}

// allocateWide() on the workflow path (simulateWideFlow.wgsl) for GPU `gpu` of the run, as
// allocateFlow() for the narrow kernel: with the lifecycle on over the eligible agents (`rank`, from
// lifecycleStep), with several GPUs over GPU `gpu`'s agents (an agent ineligible or on another GPU
// has term 0, which leaves a sum or a max from 0 as it was), N = ne, turn = t mod ne, at the GPU's
// capacity; with neither, the same terms as allocateWide(). One call site, and the plain wide kernel
// never calls it.
fn allocateWideFlow(run: Run, t: u32, lid: u32, ne: u32, gpu: u32) -> Allocation {
  var a = allocationBase(run, t);
  a.turn = t % max(ne, 1u);
  let ranked = params.lifecycle != 0u || run.gpus > 1u;
  let n = run.agentCount;
  let passes = policyPasses(run.policy);
  let readsBacklog = policyReadsBacklog(run.policy);
  for (var level = 0u; level < passes; level++) {
    for (var i = lid; i < n; i += WORKGROUP_SIZE) {
      let k = run.agentOffset + i;
      let rank = select(i, states[k].rank, ranked);
      var term = 0.0;
      if (rank != NO_AGENT && agents[k].gpu == gpu) {
        var backlog = 0.0;
        if (readsBacklog) {
          backlog = agentBacklog(k, k, t);
        }
        term = policyTerm(a, level, agents[k], signalRate(k, t), backlog, rank, ne);
      }
      terms[i] = term;
    }
    let useMax = level < 32u && ((policyMaxPasses(run.policy) >> level) & 1u) != 0u;
    let r = treeSum(n, lid, useMax);
    a = policyFinish(a, level, select(r, max(r, 0.0), useMax));
  }
  return a;
}

// The run's busy steps of the dispatch: the OR of every invocation's `mask` (its own agents' flags),
// through `terms`, which no allocation reads any more: one slot per step, zeroed, then set to 1 by every
// invocation whose mask has the step's bit. Several invocations may store to one slot between the same
// two barriers, a data race, but a benign one: each stores the same value 1.0 to a slot that holds 0.0
// and no one reads until the barrier, so the slot reads 1.0 whichever store lands last (and not one
// reads a torn value: a 32-bit store is single-copy atomic on every target). Invocation 0, which owns
// agent 0, counts the slots into the run's busySum. Every invocation must call it (barriers).
fn recordBusyWide(run: Run, lid: u32, mask: BusyMask) {
  let steps = params.stepEnd - params.stepBegin;
  // The allocation's last read of `terms` (treeSum's workgroupUniformLoad) is behind a barrier already.
  for (var j = lid; j < steps; j += WORKGROUP_SIZE) {
    terms[j] = 0.0;
  }
  workgroupBarrier();
  for (var w = 0u; w < BUSY_WORDS; w++) {
    var bits = mask[w];
    while (bits != 0u) {
      terms[w * 32u + firstTrailingBit(bits)] = 1.0;
      bits &= bits - 1u;
    }
  }
  workgroupBarrier();
  if (lid == 0u) {
    var busy = 0u;
    for (var j = 0u; j < steps; j++) {
      busy += select(0u, 1u, terms[j] != 0.0);
    }
    recordBusy(run.agentOffset, busy);
  }
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
  // This invocation's agents' busy flags per step (busy.wgsl), ORed over the workgroup at the end.
  var mask: BusyMask;
  if (allocationFixed(run.policy)) {
    // As in simulate.wgsl: the allocation reads no state, so it is reduced once per dispatch, and each
    // invocation runs its agents one after the other through all the steps, with no barrier per step.
    var alloc = allocateWide(run, params.stepBegin, lid);
    for (var i = lid; i < run.agentCount; i += WORKGROUP_SIZE) {
      let k = run.agentOffset + i;
      let p = agents[k];
      var s = states[k];
      var a = arrivalStates[k];
      // 32 steps at a time, the flags in a register word (as in simulate.wgsl).
      for (var t0 = params.stepBegin; t0 < params.stepEnd; t0 += 32u) {
        let t1 = min(t0 + 32u, params.stepEnd);
        var word = 0u;
        for (var t = t0; t < t1; t++) {
          alloc.turn = t % run.agentCount;
          word |= select(0u, 1u << (t - t0), advance(&s, &a, p, run, alloc, key, t, i));
        }
        markBusyWord(&mask, t0, word);
      }
      states[k] = s;
      arrivalStates[k] = a;
    }
  } else {
    // A backlog-reading policy reads this step's arrivals: each invocation draws its own agents' step
    // first and keeps it in their arrival states (`arrived`, `work`), which allocateWide reads
    // (MODEL-PART4 §4.8); any other reads λ̂_t, which depends on steps before t only.
    let drawFirst = policyReadsBacklog(run.policy);
    for (var t = params.stepBegin; t < params.stepEnd; t++) {
      if (drawFirst) {
        for (var i = lid; i < run.agentCount; i += WORKGROUP_SIZE) {
          let k = run.agentOffset + i;
          var a = arrivalStates[k];
          let arrival = arrive(agents[k], &a, run, key, t, i);
          a.arrived = arrival.x;
          a.work = arrival.y;
          arrivalStates[k] = a;
        }
      }
      // Every invocation reads the rates λ̂_t of its own agents before serving overwrites them, and the
      // reductions' barriers order the sums before any share is used.
      let alloc = allocateWide(run, t, lid);
      var busy = false;
      for (var i = lid; i < run.agentCount; i += WORKGROUP_SIZE) {
        if (drawFirst) {
          let k = run.agentOffset + i;
          let drawn = arrivalStates[k];
          var s = states[k];
          busy = serve(&s, agents[k], alloc, vec2<f32>(drawn.arrived, drawn.work), t, i, run.agentCount) || busy;
          states[k] = s;
        } else {
          busy = advanceAgent(run, alloc, key, t, i) || busy;
        }
      }
      markBusy(&mask, t, busy);
    }
  }
  recordBusyWide(run, lid, mask);
}
