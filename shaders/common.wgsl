// Structs shared by the kernels and the TypeScript host (src/gpu/layout.ts mirrors each one; the layout
// test fails when either side changes alone). Prepended to every kernel by src/gpu/kernels.ts.

// The enumerations' constants (ARRIVALS_*, WORK_*, SIGNAL_*, POLICY_*) are generated from the host's
// tables (src/model/modes.ts, src/model/policies.ts) by src/gpu/wgsl.ts and prepended to every kernel.
// Work below this counts as no request when counting requests in the system (IN_SYSTEM_SLACK in
// src/model/metrics.ts says why): 2^-10.
const IN_SYSTEM_SLACK: f32 = 0.0009765625;
// A share below R·G·(1 − MIN_SHARE_SLACK) counts as below the minimum (violationSum; MIN_SHARE_SLACK in
// src/model/metrics.ts says why): 2^-12.
const MIN_SHARE_SLACK: f32 = 0.000244140625;

// Per-dispatch values of the simulate kernels (one 256-byte-aligned slot per dispatch).
struct SimParams {
  stepBegin: u32,   // first step this dispatch advances (inclusive)
  stepEnd: u32,     // one past the last step this dispatch advances
  runCount: u32,    // fleet runs in this chunk
  gridWidth: u32,   // per row of the (folded) 2-D grid: groups of runs (simulate), runs (wide)
  seedLo: u32,      // Philox key word 0: seed bits 0..31
  seedHi: u32,      // Philox key word 1: seed bits 32..63
  arrivalFlags: u32, // ARRIVAL_FLAG_*: the chunk's arrivals need the general path; record their statistics
  opaqueZero: u32,  // always 0, but unknown to the compiler: see kahanAdd
  dt: f32,          // step length Δt, seconds
  lmax: f32,        // latency recorded for an agent whose share is 0, seconds
  warmup: u32,      // steps t < warmup are simulated but not recorded in the totals
  workMode: u32,    // WORK_DETERMINISTIC or WORK_EXPONENTIAL
  signalMode: u32,  // SIGNAL_NOMINAL, SIGNAL_OBSERVED or SIGNAL_EMA
  emaAlpha: f32,    // weight of the newest step in SIGNAL_EMA, in (0, 1]
  groupCount: u32,  // groups of runs sharing their arrivals in this chunk (simulate.wgsl)
  lateStart: u32,   // first step of the recorded steps' second half, warmup + ⌊(steps − warmup)/2⌋ (queueLateSum)
  queueTau: f32,    // τ of adaptiveQueue's demand, seconds (+∞: Algorithm 1)
  sliceOverhead: f32, // η of timeSlice, fraction of the GPU lost to switching
  maxMinFloor: u32, // 1: maxMinFair's and mps's lower bound is min(R·G, need), else 0
  // The lifecycle (src/model/lifecycle.ts LifecycleParams; shaders/lifecycle.wgsl), workflow path only.
  lifecycle: u32,   // 1: on (SimConfig.lifecycle), else 0 and the fields below are unread
  keepSteps: u32,   // k = ⌈K/Δt⌉, or NO_LIMIT (K = ∞)
  initialPhase: u32, // PHASE_* of every agent at step 0
  eligible: u32,    // ELIGIBLE_*: who shares the GPU
  loadSlots: u32,   // loads in flight at once, or NO_LIMIT
  capacityMB: u32,  // ⌊u·M_GPU·1000⌋ MB, or NO_LIMIT (no memory model)
  evict: u32,       // EVICT_*: the eviction order
  _pad0: u32,
  _pad1: u32,
}

// One fleet run: a fleet under one policy and one replicate.
struct Run {
  agentOffset: u32, // index of this run's first agent in `agents` and `states`
  agentCount: u32,  // agents in the fleet, N ≥ 1
  policy: u32,      // POLICY_* id (src/model/policies.ts uses the same numbers)
  stream: u32,      // the fleet's random stream id (its global fleet index)
  replicate: u32,   // replicate index: second word of the Philox counter
  capacity: f32,    // the allocator's capacity, in GPUs: G shared by the fleet (1.0 = one whole GPU), G/n_G per GPU by placement, G in a pool
  flow: u32,        // RUN_FLOW_* bits: stepped on the workflow path (workflow.wgsl), routing fluidly
  fork: u32,        // workflows: its fork-join's fork agent (index in the fleet), or NO_AGENT
  join: u32,        // and its join agent, or NO_AGENT
  gpus: u32,        // n_G, the fleet's GPUs (src/model/placement.ts): > 1 only on the workflow path
  gpuCapacity: f32, // one GPU's capacity f32(G/n_G) from the host (G with one GPU): a pool's roundRobin turn (src/model/pool.ts)
}

// struct AgentParams (an agent's parameters) is generated from AGENT_PARAM_FIELDS in src/gpu/layout.ts.

// One piece of a piecewise-constant rate schedule: from step `start` on (until the agent's next
// segment) the mean arrivals are λ·Δt·multiplier.
struct Segment {
  start: u32,      // first step of the segment
  multiplier: f32, // factor on λ, ≥ 0
}

// struct AgentState (an agent's state and its Kahan-compensated totals) is generated from the host's
// tables by src/gpu/layout.ts (agentStateWgsl) and prepended with the enumerations.

// Kahan step: adds x to the pair (sum, comp); returns the new pair. `opaqueZero` is 0 at run time;
// passing the new sum through it stops compilers that treat float math as associative (Mesa's NIR
// does, lacking SPIR-V's NoContraction from Tint) from simplifying (t − sum) − y to 0.
fn kahanAdd(pair: vec2<f32>, x: f32, opaqueZero: u32) -> vec2<f32> {
  let y = x - pair.y;
  let t = bitcast<f32>(bitcast<u32>(pair.x + y) ^ opaqueZero);
  return vec2<f32>(t, (t - pair.x) - y);
}
