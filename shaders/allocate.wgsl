// One step's allocation: the run's policy (policies.wgsl) reduced over the fleet sequentially, in
// agent order (the narrow kernel's order; simulateWide.wgsl sums the same terms in a tree). Reads the
// `agents` binding and signalRate() from agentStep.wgsl. CPU twin: src/model/allocate.ts.

// The scalars an O(N) allocation produces; each agent's share is then a closed form (policyShare).
struct Allocation {
  policy: u32,       // POLICY_* id
  capacity: f32,     // G, GPUs
  turn: u32,         // the step's rotation index t mod N (round-robin's agent)
  scalars: vec4<f32>, // the policy's reduction results, [k] from level k (adaptive: D, scale)
}

// Every policy's allocation before its passes: scalars 0.
fn allocationBase(run: Run, step: u32) -> Allocation {
  return Allocation(run.policy, run.capacity, step % run.agentCount, vec4<f32>());
}

// Whether the run's allocation stays the same through a dispatch, up to `turn`: its policy reads no
// per-run state, and the signal it reads (if any) is λ itself. The kernels take their agent-major fast
// path only then. CPU twin: allocationFixed in src/model/allocate.ts.
fn allocationFixed(policy: u32) -> bool {
  return !policyReadsState(policy) && (params.signalMode == SIGNAL_NOMINAL || !policyReadsSignal(policy));
}

// The allocation of step `step`: each level sums its terms over the fleet in agent order.
fn allocate(run: Run, step: u32) -> Allocation {
  var a = allocationBase(run, step);
  let passes = policyPasses(run.policy);
  for (var level = 0u; level < passes; level++) {
    var sum = 0.0;
    for (var i = 0u; i < run.agentCount; i++) {
      let k = run.agentOffset + i;
      sum += policyTerm(a, level, agents[k], signalRate(k, step));
    }
    a = policyFinish(a, level, sum);
  }
  return a;
}
