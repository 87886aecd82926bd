// One step's allocation: the run's policy (policies.wgsl) reduced over the fleet sequentially, in
// agent order (the narrow kernel's order; simulateWide.wgsl sums the same terms in a tree). Reads the
// `agents` binding and signalRate() from agentStep.wgsl. CPU twin: src/model/allocate.ts.

// The scalars an O(N) allocation produces; each agent's share is then a closed form (policyShare).
struct Allocation {
  policy: u32,       // POLICY_* id
  capacity: f32,     // G, GPUs
  turn: u32,         // the step's rotation index t mod N (round-robin's agent)
  scalars: array<f32, 8>, // the policy's working scalars, MAX_POLICY_SCALARS (adaptive: D in [0], scale in [1])
}

// Every policy's allocation before its passes: scalars 0.
fn allocationBase(run: Run, step: u32) -> Allocation {
  return Allocation(run.policy, run.capacity, step % run.agentCount, array<f32, 8>());
}

// Pass `level`'s reduction of `term` into `acc`: a sum, or (policyMaxPasses) the max from 0.
fn policyReduce(policy: u32, level: u32, acc: f32, term: f32) -> f32 {
  if (level < 32u && ((policyMaxPasses(policy) >> level) & 1u) != 0u) {
    return max(acc, term);
  }
  return acc + term;
}

// Whether the run's allocation stays the same through a dispatch, up to `turn`: its policy reads no
// per-run state, and the signal it reads (if any) is λ itself. The kernels take their agent-major fast
// path only then. CPU twin: allocationFixed in src/model/allocate.ts.
fn allocationFixed(policy: u32) -> bool {
  return !policyReadsState(policy) && (params.signalMode == SIGNAL_NOMINAL || !policyReadsSignal(policy));
}

// The allocation of step `step`: each level reduces its terms over the fleet in agent order. A
// backlog-reading policy's B_i is agentBacklog(): the step's draw of agent i is in arrivalStates[draws
// + i], where the caller drew it first; every other policy is passed B = 0, which it does not read
// (PolicyDef.readsBacklog), and allocates before the draw as well as after it.
fn allocate(run: Run, step: u32, draws: u32) -> Allocation {
  var a = allocationBase(run, step);
  let passes = policyPasses(run.policy);
  let readsBacklog = policyReadsBacklog(run.policy);
  for (var level = 0u; level < passes; level++) {
    var sum = 0.0;
    for (var i = 0u; i < run.agentCount; i++) {
      let k = run.agentOffset + i;
      var backlog = 0.0;
      if (readsBacklog) {
        backlog = agentBacklog(k, draws + i, step);
      }
      sum = policyReduce(run.policy, level, sum, policyTerm(a, level, agents[k], signalRate(k, step), backlog, i, run.agentCount));
    }
    a = policyFinish(a, level, sum);
  }
  return a;
}

// allocate() on the workflow path (simulateFlow.wgsl) for GPU `gpu` of the run: with the lifecycle on
// (src/model/lifecycle.ts step 6) over the eligible agents only, as if they were the fleet — agent k's
// index its `rank` among them (lifecycleStep wrote it, NO_AGENT when ineligible: no term), N = ne,
// turn = step mod ne; with several GPUs (src/model/placement.ts) over GPU `gpu`'s agents alone (their
// ranks among its eligible, gpuRanks' without the lifecycle), at the GPU's capacity (Run.capacity); with
// neither ne = N and every rank its index, allocate()'s sums bit for bit. serveFlow reads the shares
// with the same rank and ne. One call site (stepFlow), and the plain kernels never call it.
fn allocateFlow(run: Run, step: u32, draws: u32, ne: u32, gpu: u32) -> Allocation {
  var a = allocationBase(run, step);
  a.turn = step % max(ne, 1u);
  let ranked = params.lifecycle != 0u || run.gpus > 1u;
  let passes = policyPasses(run.policy);
  let readsBacklog = policyReadsBacklog(run.policy);
  for (var level = 0u; level < passes; level++) {
    var sum = 0.0;
    for (var i = 0u; i < run.agentCount; i++) {
      let k = run.agentOffset + i;
      let rank = select(i, states[k].rank, ranked);
      if (rank == NO_AGENT || agents[k].gpu != gpu) {
        continue;
      }
      var backlog = 0.0;
      if (readsBacklog) {
        backlog = agentBacklog(k, draws + i, step);
      }
      sum = policyReduce(run.policy, level, sum, policyTerm(a, level, agents[k], signalRate(k, step), backlog, rank, ne));
    }
    a = policyFinish(a, level, sum);
  }
  return a;
}
