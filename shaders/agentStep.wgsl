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
  return select(s.rate, p.demand, params.signalMode == SIGNAL_NOMINAL || step == 0u);
}

// signalOf for agent k (an index into `agents` and `states`), for the allocators.
fn signalRate(k: u32, step: u32) -> f32 {
  return signalOf(agents[k], states[k], step);
}

// B_k = Q_k + a_k of agent k at `step`, the step being allocated, work units, for backlog-reading
// policies (policyReadsBacklog): its queue in `states` (not yet advanced past the last step) plus the
// work of this step's draw, which the kernels keep in the fleet replicate's arrival state
// `arrivalStates[d]` (its first run's copy in the narrow kernel, whose group members share it) from the
// draw until the step is served (MODEL-PART4 §4.8: arrive → allocate), plus the requests routed to it
// for this step (workflow.wgsl; 0 without routing, so x + 0 leaves the sum's bits as they were). The
// same f32 sums as serveShare's and serveFlow's.
fn agentBacklog(k: u32, d: u32, step: u32) -> f32 {
  let s = states[k];
  return s.queue + (arrivalStates[d].work + inboxAt(s, step));
}

// λ̂ for the step after one that drew `arrived` requests under λ̂ = `signal` (SIGNAL_OBSERVED: the
// arrivals per second; SIGNAL_EMA: their moving average; SIGNAL_NOMINAL: unchanged, λ).
fn nextSignal(signal: f32, arrived: f32) -> f32 {
  if (params.signalMode == SIGNAL_OBSERVED) {
    return arrived / params.dt;
  } else if (params.signalMode == SIGNAL_EMA) {
    return params.emaAlpha * (arrived / params.dt) + (1.0 - params.emaAlpha) * signal;
  }
  return signal;
}

// Whether share g (GPUs) is below agent p's minimum R·G of a run of capacity G, by more than f32
// rounding (MIN_SHARE_SLACK; violationSum).
fn belowMinimum(p: AgentParams, g: f32, capacity: f32) -> bool {
  return g < p.R * capacity * (1.0 - MIN_SHARE_SLACK);
}

// Adds step t to the agent's Kahan-compensated totals, or +0 to each during the warm-up (`on`
// false). The warm-up comes first, so every pair is still (0, 0) then and adding +0 leaves it so: bit
// for bit what skipping would give, without a branch (cheaper on lavapipe: bench/NOTES.md). A select,
// not a weight 0 multiplied in, so that an infinite latency stays out of the totals. queueLateSum
// likewise adds +0 before the recorded steps' second half (`late`: t ≥ params.lateStart). The counts
// violationSum and busySum are not added here: serveShare returns the step's flags (STEP_*).
fn record(s: ptr<function, AgentState>, t: u32, latency: f32, served: f32, g: f32, arrived: f32) {
  recordWith(s, t, latency, served, g, arrived, max(ceil((*s).queue - IN_SYSTEM_SLACK), 0.0));
}

// record() with the requests in the system given: ⌈Q − slack⌉ there, Q itself for whole requests
// (exponentialCount work, workflow.wgsl).
fn recordWith(s: ptr<function, AgentState>, t: u32, latency: f32, served: f32, g: f32, arrived: f32, inSystem: f32) {
  let z = params.opaqueZero;
  let on = t >= params.warmup;
  let late = t >= params.lateStart;
  let lat = kahanAdd(vec2<f32>((*s).latencySum, (*s).latencyComp), select(0.0, latency, on), z);
  let srv = kahanAdd(vec2<f32>((*s).servedSum, (*s).servedComp), select(0.0, served, on), z);
  let que = kahanAdd(vec2<f32>((*s).queueSum, (*s).queueComp), select(0.0, (*s).queue, on), z);
  let qlt = kahanAdd(vec2<f32>((*s).queueLateSum, (*s).queueLateComp), select(0.0, (*s).queue, late), z);
  let shr = kahanAdd(vec2<f32>((*s).shareSum, (*s).shareComp), select(0.0, g, on), z);
  let arr = kahanAdd(vec2<f32>((*s).arrivedSum, (*s).arrivedComp), select(0.0, arrived, on), z);
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

// serveShare's flags of a recorded step (t ≥ warmup): the agent's B_t > 0 (busySum ORs it over the
// run's agents), and the step violates its minimum share (violationSum counts it).
const STEP_BUSY: u32 = 1u;
const STEP_VIOLATED: u32 = 2u;

// Adds `steps` to the agent's violationSum: 0 or 1 per step in serve(), a dispatch's count at once on
// the fixed paths (an integer, so its Kahan pair holds it exactly, however it is split).
fn addViolations(s: ptr<function, AgentState>, steps: u32) {
  let v = kahanAdd(vec2<f32>((*s).violationSum, (*s).violationComp), f32(steps), params.opaqueZero);
  (*s).violationSum = v.x;
  (*s).violationComp = v.y;
}

// The rest of agent i's step t once its arrivals (`arrival`: arrive()'s requests and work) are known:
// its share under `alloc` (the run's allocation, `count` agents), process, record, on its state `s`
// (its parameters `p`). Touches no other agent, so agents may advance in any order or in parallel.
// Counts a violation into its state; returns whether the step is a recorded busy one (STEP_BUSY).
fn serve(s: ptr<function, AgentState>, p: AgentParams, alloc: Allocation, arrival: vec2<f32>, t: u32, i: u32, count: u32) -> bool {
  let signal = signalOf(p, *s, t);
  let g = policyShare(alloc, p, signal, (*s).queue + arrival.y, i, count);
  // The signal for step t + 1, updated after this step's share used λ̂_t.
  (*s).rate = nextSignal(signal, arrival.x);
  let flags = serveShare(s, p, g, arrival, t, belowMinimum(p, g, alloc.capacity), signal > 0.0);
  addViolations(s, flags / STEP_VIOLATED);
  return (flags & STEP_BUSY) != 0u;
}

// Process and record agent i's step t at share g (serve()'s end; for a fixed allocation, whose share
// the caller computes once, serve() is policyShare() then this). `short`: g is below the minimum
// (belowMinimum); `wanting`: λ̂_t > 0. The step violates the minimum when short while the agent has
// demand, λ̂_t > 0 or B_t > 0. Returns the step's flags (STEP_BUSY, STEP_VIOLATED; 0 in the warm-up),
// which the caller counts: per step (serve) or in registers through a dispatch (the fixed paths).
fn serveShare(s: ptr<function, AgentState>, p: AgentParams, g: f32, arrival: vec2<f32>, t: u32, short: bool, wanting: bool) -> u32 {
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
  let busy = backlog > 0.0;
  let flags = select(0u, STEP_BUSY, busy) | select(0u, STEP_VIOLATED, short && (wanting || busy));
  return select(0u, flags, t >= params.warmup);
}

// One agent-step, arrive → serve (process, record): agent i of `run` through step t under the step's
// allocation `alloc`, on the agent's state `s` and its arrival process state `a` (its parameters `p`).
// Returns serve()'s busy flag.
fn advance(s: ptr<function, AgentState>, a: ptr<function, ArrivalState>, p: AgentParams, run: Run, alloc: Allocation, key: vec2<u32>, t: u32, i: u32) -> bool {
  let arrival = arrive(p, a, run, key, t, i);
  return serve(s, p, alloc, arrival, t, i, run.agentCount);
}

// advance() on agent i's states in `states` and `arrivalStates`, loaded and stored around the one step.
fn advanceAgent(run: Run, alloc: Allocation, key: vec2<u32>, t: u32, i: u32) -> bool {
  let k = run.agentOffset + i;
  var s = states[k];
  var a = arrivalStates[k];
  let busy = advance(&s, &a, agents[k], run, alloc, key, t, i);
  states[k] = s;
  arrivalStates[k] = a;
  return busy;
}
