// The allocation policies, selected by the same integer ids as src/model/policies.ts.
// allocate() reads the `agents` binding and calls signalRate(), both from agentStep.wgsl.
// An allocation is O(N): at most two passes over the fleet to get two scalars, after which each
// agent's share is a closed form (shareOf), so no per-agent scratch memory is needed.

const POLICY_STATIC: u32 = 0u;
const POLICY_ROUND_ROBIN: u32 = 1u;
const POLICY_ADAPTIVE: u32 = 2u;

struct Allocation {
  policy: u32,      // POLICY_* id
  capacity: f32,    // G, GPUs
  turn: u32,        // round-robin: the agent holding the whole GPU this step
  demandTotal: f32, // adaptive: D = Σ d_i, requests/s
  scale: f32,       // adaptive: G / Σ g_i when the raised shares exceed G, else 1
}

// Adaptive demand d_i = λ̂_i·R_i / P_i: the paper's Algorithm 1 with λ̂_i = λ_i (SIGNAL_NOMINAL), or
// the rate estimate of the other signal modes.
fn adaptiveDemand(p: AgentParams, rate: f32) -> f32 {
  return (rate * p.R) / p.P;
}

// Proportional share raised to the minimum: max(R_i, (d_i / D)·G), before normalisation.
fn adaptiveRaised(p: AgentParams, rate: f32, demandTotal: f32, capacity: f32) -> f32 {
  return max(p.R, (adaptiveDemand(p, rate) / demandTotal) * capacity);
}

// Every policy's scalars but the adaptive sums: D = 0 and scale 1 until allocate() or the wide kernel's
// reductions fill them in.
fn allocationBase(run: Run, step: u32) -> Allocation {
  return Allocation(run.policy, run.capacity, step % run.agentCount, 0.0, 1.0);
}

// Adaptive step 3, faithful to the paper: when the raised shares sum above G, every share is scaled
// by G / Σ g_i, which may push shares back below their minimum R_i.
fn adaptiveScale(raisedTotal: f32, capacity: f32) -> f32 {
  return select(1.0, capacity / raisedTotal, raisedTotal > capacity);
}

// The allocation of step `step`, summing over the fleet sequentially in agent order (the narrow
// kernel's order; simulateWide.wgsl sums the same terms in a tree).
fn allocate(run: Run, step: u32) -> Allocation {
  var a = allocationBase(run, step);
  if (run.policy == POLICY_ADAPTIVE) {
    var total = 0.0;
    for (var i = 0u; i < run.agentCount; i++) {
      total += adaptiveDemand(agents[run.agentOffset + i], signalRate(run.agentOffset + i, step));
    }
    a.demandTotal = total;
    if (total > 0.0) {
      var raised = 0.0;
      for (var i = 0u; i < run.agentCount; i++) {
        let k = run.agentOffset + i;
        raised += adaptiveRaised(agents[k], signalRate(k, step), total, run.capacity);
      }
      a.scale = adaptiveScale(raised, run.capacity);
    }
  }
  return a;
}

// Share g_i of agent `index` (of `count`) under allocation `a`; `rate` is its λ̂ at this step.
fn shareOf(a: Allocation, p: AgentParams, rate: f32, index: u32, count: u32) -> f32 {
  switch a.policy {
    case POLICY_STATIC: {
      return a.capacity / f32(count);
    }
    case POLICY_ROUND_ROBIN: {
      return select(0.0, a.capacity, index == a.turn);
    }
    case POLICY_ADAPTIVE: {
      if (a.demandTotal > 0.0) {
        return adaptiveRaised(p, rate, a.demandTotal, a.capacity) * a.scale;
      }
      return 0.0;
    }
    default: {
      return 0.0;
    }
  }
}
