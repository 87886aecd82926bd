// One agent's step, shared by the two simulate kernels (simulate.wgsl: an invocation per group of fleet
// runs that share their arrivals; simulateWide.wgsl: a workgroup per fleet run): the bindings both
// kernels use, the rate signal, and serve (process, then record) for one agent
// once the step's allocation is known.
// CPU twin: the Simulator's arrive and advance in src/cpu/engine.ts.

// The bindings (params, runs, agents, states, segments, groups) are declared by src/gpu/wgsl.ts from
// SIMULATE_BINDINGS in src/gpu/layout.ts, the table the engine builds its bind groups from.

// λ̂ of an agent at `step`, the rate in its adaptive demand: λ under SIGNAL_NOMINAL and at step 0,
// else the estimate its previous step left in its state `s`. CPU twin: `rates` in src/cpu/engine.ts.
fn signalOf(p: AgentParams, s: AgentState, step: u32) -> f32 {
  return select(s.rate, p.lambda, params.signalMode == SIGNAL_NOMINAL || step == 0u);
}

// signalOf for agent k (an index into `agents` and `states`), for the allocators.
fn signalRate(k: u32, step: u32) -> f32 {
  return signalOf(agents[k], states[k], step);
}

// B_k = Q_k + a_k for agent k at the step being allocated, for backlog-reading policies.
// TODO(core → gpu helper): a_k, this step's work, is not drawn yet where the kernels allocate; until
// the kernels draw the step's arrivals before allocating such a policy, this is Q_k alone.
fn agentBacklog(k: u32) -> f32 {
  return states[k].queue;
}

// Adds step t to the agent's Kahan-compensated totals, or +0 to each during the warm-up (`on`
// false). The warm-up comes first, so every pair is still (0, 0) then and adding +0 leaves it so: bit
// for bit what skipping would give, without a branch (cheaper on lavapipe: bench/NOTES.md). A select,
// not a weight 0 multiplied in, so that an infinite latency stays out of the totals. queueLateSum
// likewise adds +0 before the recorded steps' second half (`late`: t ≥ params.lateStart).
fn record(s: ptr<function, AgentState>, t: u32, latency: f32, served: f32, g: f32, arrived: f32) {
  let z = params.opaqueZero;
  let on = t >= params.warmup;
  let late = t >= params.lateStart;
  let lat = kahanAdd(vec2<f32>((*s).latencySum, (*s).latencyComp), select(0.0, latency, on), z);
  let srv = kahanAdd(vec2<f32>((*s).servedSum, (*s).servedComp), select(0.0, served, on), z);
  let que = kahanAdd(vec2<f32>((*s).queueSum, (*s).queueComp), select(0.0, (*s).queue, on), z);
  let qlt = kahanAdd(vec2<f32>((*s).queueLateSum, (*s).queueLateComp), select(0.0, (*s).queue, late), z);
  let shr = kahanAdd(vec2<f32>((*s).shareSum, (*s).shareComp), select(0.0, g, on), z);
  let arr = kahanAdd(vec2<f32>((*s).arrivedSum, (*s).arrivedComp), select(0.0, arrived, on), z);
  let inSystem = max(ceil((*s).queue - IN_SYSTEM_SLACK), 0.0);
  let sys = kahanAdd(vec2<f32>((*s).systemSum, (*s).systemComp), select(0.0, inSystem, on), z);
  (*s).latencySum = lat.x;
  (*s).latencyComp = lat.y;
  (*s).servedSum = srv.x;
  (*s).servedComp = srv.y;
  (*s).queueSum = que.x;
  (*s).queueComp = que.y;
  (*s).queueLateSum = qlt.x;
  (*s).queueLateComp = qlt.y;
  (*s).shareSum = shr.x;
  (*s).shareComp = shr.y;
  (*s).arrivedSum = arr.x;
  (*s).arrivedComp = arr.y;
  (*s).systemSum = sys.x;
  (*s).systemComp = sys.y;
}

// The rest of agent i's step t once its arrivals (`arrival`: arrive()'s requests and work) are known:
// its share under `alloc` (the run's allocation, `count` agents), process, record, on its state `s`
// (its parameters `p`). Touches no other agent, so agents may advance in any order or in parallel.
fn serve(s: ptr<function, AgentState>, p: AgentParams, alloc: Allocation, arrival: vec2<f32>, t: u32, i: u32, count: u32) {
  let arrived = arrival.x;
  let signal = signalOf(p, *s, t);
  let g = policyShare(alloc, p, signal, (*s).queue + arrival.y, i, count);
  // The signal for step t + 1, updated after this step's share used λ̂_t.
  if (params.signalMode == SIGNAL_OBSERVED) {
    (*s).rate = arrived / params.dt;
  } else if (params.signalMode == SIGNAL_EMA) {
    (*s).rate = params.emaAlpha * (arrived / params.dt) + (1.0 - params.emaAlpha) * signal;
  }
  serveShare(s, p, g, arrival, t);
}

// Process and record agent i's step t at share g (serve()'s end; for a fixed allocation, where the
// signal stays λ_i, serve() is policyShare() then this).
fn serveShare(s: ptr<function, AgentState>, p: AgentParams, g: f32, arrival: vec2<f32>, t: u32) {
  let arrived = arrival.x;
  // Process: fluid service at rate T·g for Δt.
  let rate = p.T * g;
  let backlog = (*s).queue + arrival.y;
  let served = min(backlog, rate * params.dt);
  (*s).queue = backlog - served;
  // Record (from step `warmup` on): latency is the backlog over the service rate, L_max when the share
  // is 0.
  let latency = select(params.lmax, (*s).queue / rate, g > 0.0);
  record(s, t, latency, served, g, arrived);
}

// One agent-step, arrive → serve (process, record): agent i of `run` through step t under the step's
// allocation `alloc`, on the agent's state `s` and its arrival process state `a` (its parameters `p`).
fn advance(s: ptr<function, AgentState>, a: ptr<function, ArrivalState>, p: AgentParams, run: Run, alloc: Allocation, key: vec2<u32>, t: u32, i: u32) {
  let arrival = arrive(p, a, run, key, t, i);
  serve(s, p, alloc, arrival, t, i, run.agentCount);
}

// advance() on agent i's states in `states` and `arrivalStates`, loaded and stored around the one step.
fn advanceAgent(run: Run, alloc: Allocation, key: vec2<u32>, t: u32, i: u32) {
  let k = run.agentOffset + i;
  var s = states[k];
  var a = arrivalStates[k];
  advance(&s, &a, agents[k], run, alloc, key, t, i);
  states[k] = s;
  arrivalStates[k] = a;
}
