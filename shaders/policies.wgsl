// The allocation policies: one section each, the WGSL twins of the entries of POLICIES in
// src/model/policies.ts (f32 here, f64 there). A policy `name` defines
//   fn nameShare(a: Allocation, p: AgentParams, rate: f32, backlog: f32, index: u32, count: u32) -> f32
// and, when it has reduction passes (PolicyDef.passes > 0),
//   fn nameTerm(a: Allocation, level: u32, p: AgentParams, rate: f32, backlog: f32) -> f32  (pass `level`'s term of one agent)
//   fn nameFinish(a: Allocation, level: u32, sum: f32) -> Allocation  (the reduction → the scalars it owns)
// `rate` is the agent's λ̂ at this step (signalOf); `backlog` its B_i = Q_i + a_i this step, read only by
// policies that declare readsBacklog (others may be given 0). The settings are `params` (SimParams). src/gpu/wgsl.ts generates the POLICY_* ids and the
// policyShare / policyTerm / policyFinish / policy* trait switches that call these from the registry,
// so a policy is this section plus its registry entry; allocate.wgsl and simulateWide.wgsl drive
// the passes (in agent order, or as tree sums).

// ---- static: g_i = G / N.
fn staticShare(a: Allocation, p: AgentParams, rate: f32, backlog: f32, index: u32, count: u32) -> f32 {
  return a.capacity / f32(count);
}

// ---- roundRobin: the whole GPU to agent t mod N (a.turn) at step t.
fn roundRobinShare(a: Allocation, p: AgentParams, rate: f32, backlog: f32, index: u32, count: u32) -> f32 {
  return select(0.0, a.capacity, index == a.turn);
}

// ---- adaptive: the paper's Algorithm 1 on λ̂. Pass 0: D = Σ d_i (scalars[0]); pass 1: the raised
// shares' sum, and scale = G / Σ when it exceeds G, else 1 (scalars[1]). Faithful to the paper, the
// scaling may push shares back below their minimum R_i; with D = 0 every share is 0.

// Adaptive demand d_i = λ̂_i·R_i / P_i.
fn adaptiveDemand(p: AgentParams, rate: f32) -> f32 {
  return (rate * p.R) / p.P;
}

// Proportional share raised to the minimum: max(R_i, (d_i / D)·G), before normalisation.
fn adaptiveRaised(p: AgentParams, rate: f32, demandTotal: f32, capacity: f32) -> f32 {
  return max(p.R, (adaptiveDemand(p, rate) / demandTotal) * capacity);
}

fn adaptiveTerm(a: Allocation, level: u32, p: AgentParams, rate: f32, backlog: f32) -> f32 {
  if (level == 0u) {
    return adaptiveDemand(p, rate);
  }
  return select(0.0, adaptiveRaised(p, rate, a.scalars[0], a.capacity), a.scalars[0] > 0.0);
}

fn adaptiveFinish(a: Allocation, level: u32, sum: f32) -> Allocation {
  var b = a;
  if (level == 0u) {
    b.scalars[0] = sum;
  } else {
    b.scalars[1] = select(1.0, a.capacity / sum, sum > a.capacity);
  }
  return b;
}

fn adaptiveShare(a: Allocation, p: AgentParams, rate: f32, backlog: f32, index: u32, count: u32) -> f32 {
  if (a.scalars[0] > 0.0) {
    return adaptiveRaised(p, rate, a.scalars[0], a.capacity) * a.scalars[1];
  }
  return 0.0;
}

// ---- timeSlice: the backlogged agents (B_i > 0) split (1 − η)·G equally. Pass 0 counts them (scalars[0]).
fn timeSliceTerm(a: Allocation, level: u32, p: AgentParams, rate: f32, backlog: f32) -> f32 {
  return select(0.0, 1.0, backlog > 0.0);
}

fn timeSliceFinish(a: Allocation, level: u32, sum: f32) -> Allocation {
  var b = a;
  b.scalars[0] = sum;
  return b;
}

fn timeSliceShare(a: Allocation, p: AgentParams, rate: f32, backlog: f32, index: u32, count: u32) -> f32 {
  return select(0.0, ((1.0 - params.sliceOverhead) * a.capacity) / a.scalars[0], backlog > 0.0);
}
