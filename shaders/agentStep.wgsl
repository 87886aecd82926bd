// One agent's step, shared by the two simulate kernels (simulate.wgsl: an invocation per fleet run;
// simulateWide.wgsl: a workgroup per fleet run): the bindings both kernels use, the rate signal, the
// schedule lookup, and arrive → process → record for one agent once the step's allocation is known.
// CPU twin: simulateRun in src/cpu/engine.ts.

@group(0) @binding(0) var<uniform> params: SimParams;
@group(0) @binding(1) var<storage, read> runs: array<Run>;
@group(0) @binding(2) var<storage, read> agents: array<AgentParams>;
@group(0) @binding(3) var<storage, read_write> states: array<AgentState>;
@group(0) @binding(4) var<storage, read> segments: array<Segment>;

// λ̂ of agent k at `step`, the rate in its adaptive demand: λ_k under SIGNAL_NOMINAL and at step 0,
// else the estimate its previous step left in its state. CPU twin: `rates` in src/cpu/engine.ts.
fn signalRate(k: u32, step: u32) -> f32 {
  if (params.signalMode == SIGNAL_NOMINAL || step == 0u) {
    return agents[k].lambda;
  }
  return states[k].rate;
}

// m(t): the multiplier of the agent's last segment with start ≤ t; 1 before the first.
// CPU twin: multiplierAt in src/model/schedule.ts.
fn multiplierAt(p: AgentParams, t: u32) -> f32 {
  var m = 1.0;
  for (var k = 0u; k < p.scheduleCount; k++) {
    let segment = segments[p.scheduleOffset + k];
    if (segment.start > t) {
      break;
    }
    m = segment.multiplier;
  }
  return m;
}

// Adds one recorded step to the agent's Kahan-compensated totals.
fn record(s: ptr<function, AgentState>, latency: f32, served: f32, g: f32, arrived: f32) {
  let z = params.opaqueZero;
  let lat = kahanAdd(vec2<f32>((*s).latencySum, (*s).latencyComp), latency, z);
  let srv = kahanAdd(vec2<f32>((*s).servedSum, (*s).servedComp), served, z);
  let que = kahanAdd(vec2<f32>((*s).queueSum, (*s).queueComp), (*s).queue, z);
  let shr = kahanAdd(vec2<f32>((*s).shareSum, (*s).shareComp), g, z);
  let arr = kahanAdd(vec2<f32>((*s).arrivedSum, (*s).arrivedComp), arrived, z);
  let inSystem = max(ceil((*s).queue - IN_SYSTEM_SLACK), 0.0);
  let sys = kahanAdd(vec2<f32>((*s).systemSum, (*s).systemComp), inSystem, z);
  (*s).latencySum = lat.x;
  (*s).latencyComp = lat.y;
  (*s).servedSum = srv.x;
  (*s).servedComp = srv.y;
  (*s).queueSum = que.x;
  (*s).queueComp = que.y;
  (*s).shareSum = shr.x;
  (*s).shareComp = shr.y;
  (*s).arrivedSum = arr.x;
  (*s).arrivedComp = arr.y;
  (*s).systemSum = sys.x;
  (*s).systemComp = sys.y;
}

// Advances agent i of `run` through step t under the step's allocation `alloc`. Reads and writes
// only agent i's state, so the agents of a run may advance in any order or in parallel.
fn advanceAgent(run: Run, alloc: Allocation, key: vec2<u32>, t: u32, i: u32) {
  let k = run.agentOffset + i;
  let p = agents[k];
  var s = states[k];
  // Arrive: the f32 mean (λ·Δt)·m(t) (deterministic), or a Poisson count with that mean, each request
  // bringing one unit of work or an Exp(1) amount drawn after the count.
  let mean = (p.lambda * params.dt) * multiplierAt(p, t);
  var arrived = mean;
  var work = mean;
  if (params.arrivalMode == ARRIVALS_POISSON) {
    var rng = rngStart(key, run.stream, run.replicate, t, i);
    let n = poisson(mean, &rng);
    arrived = f32(n);
    work = arrived;
    if (params.workMode == WORK_EXPONENTIAL) {
      work = exponentialWork(n, &rng);
    }
  }
  let g = shareOf(alloc, p, signalRate(k, t), i, run.agentCount);
  // The signal for step t + 1, updated after this step's share used λ̂_t.
  if (params.signalMode == SIGNAL_OBSERVED) {
    s.rate = arrived / params.dt;
  } else if (params.signalMode == SIGNAL_EMA) {
    s.rate = params.emaAlpha * (arrived / params.dt) + (1.0 - params.emaAlpha) * signalRate(k, t);
  }
  // Process: fluid service at rate T·g for Δt.
  let rate = p.T * g;
  let backlog = s.queue + work;
  let served = min(backlog, rate * params.dt);
  s.queue = backlog - served;
  // Record (from step `warmup` on): latency is the backlog over the service rate, L_max when the share
  // is 0.
  if (t >= params.warmup) {
    record(&s, select(params.lmax, s.queue / rate, g > 0.0), served, g, arrived);
  }
  states[k] = s;
}
