// Arrive: the arrival processes (src/random/arrivals.ts ARRIVAL_PROCESSES, ids ARRIVALS_*). Each
// agent-step has a budget Λ, the f32 mean (λ·Δt)·m(t) of its rate schedule, or κ·C(t)·m(t) on a trace
// (replay.wgsl); the agent's process (AgentParams.process) turns it into a count of requests (and the
// work they bring) from its Philox streams (purposes: philox.wgsl) and its process state.
// Arrivals depend on the run's fleet, replicate and agent only, never on its policy, so the runs of one
// fleet replicate arrive alike: the narrow kernel draws once for all of them and keeps the process
// state (ArrivalState, generated from src/gpu/layout.ts) in `arrivalStates`, every member's copy
// written alike; the wide kernel advances each run's own copy, which evolves alike.
// CPU twin: src/random/arrivals.ts.

// m(t): the multiplier of the agent's last segment with start ≤ t (1 before the first), moving the
// cursor forward, so a schedule costs O(1) per step however long it is. Steps must come in order.
// CPU twin: the `segments` cursor of ArrivalDraws in src/random/arrivals.ts.
fn multiplierAt(p: AgentParams, state: ptr<function, ArrivalState>, t: u32) -> f32 {
  var k = (*state).segment;
  while (k < p.scheduleCount && segments[p.scheduleOffset + k].start <= t) {
    k++;
  }
  (*state).segment = k;
  if (k == 0u) {
    return 1.0;
  }
  return segments[p.scheduleOffset + k - 1u].multiplier;
}

// The step's budget: the f32 mean (λ·Δt)·m(t), or (κ·C(t))·m(t) for a counting process on a trace.
// CPU twin: stepMean in src/random/arrivals.ts.
fn arrivalMean(p: AgentParams, state: ptr<function, ArrivalState>, t: u32) -> f32 {
  if (p.traceLength > 0u && p.process != ARRIVALS_REPLAY) {
    return (p.kappa * f32(traceCount(p, (*state).traceOffset, t))) * multiplierAt(p, state, t);
  }
  return (p.lambda * params.dt) * multiplierAt(p, state, t);
}

fn renewalParamsOf(p: AgentParams) -> RenewalParams {
  return RenewalParams(select(0u, 1u, p.process == ARRIVALS_WEIBULL), p.shape, p.beta, p.scale);
}

// The word of the ServeGen window at step t: window ⌊((o + t) mod S) / j⌋ of the client's S steps
// (SERVEGEN_WINDOW_WORDS words each: family, then the f32 bits of rate, shape, β, η).
// CPU twin: serveGenWindow in src/random/arrivals.ts.
const SERVEGEN_WINDOW_WORDS: u32 = 5u;

fn serveGenWindow(p: AgentParams, offset: u32, t: u32) -> u32 {
  let position = (offset + t % p.traceLength) % p.traceLength;
  return p.traceFirst + (position / p.traceStepsPerBin) * SERVEGEN_WINDOW_WORDS;
}

fn serveGenParams(at: u32) -> RenewalParams {
  return RenewalParams(
    select(0u, 1u, traceCounts[at] == 1u),
    bitcast<f32>(traceCounts[at + 2u]),
    bitcast<f32>(traceCounts[at + 3u]),
    bitcast<f32>(traceCounts[at + 4u]),
  );
}

fn mmppParamsOf(p: AgentParams) -> MmppParams {
  return MmppParams(p.psiHigh, p.psiLow, p.qHighToLow, p.qLowToHigh);
}

// The process state at step 0: the renewal and MMPP stationary starts and the trace offset, from the
// setup stream (step field 0; the trace offsets' own field in replay.wgsl).
fn arrivalStart(p: AgentParams, state: ptr<function, ArrivalState>, run: Run, key: vec2<u32>, i: u32) {
  let renewal = p.process == ARRIVALS_GAMMA || p.process == ARRIVALS_WEIBULL;
  if (!renewal && p.process != ARRIVALS_MMPP && p.traceLength == 0u) {
    return;
  }
  if (p.process == ARRIVALS_SERVEGEN) {
    // The window at step 0's process; its offset is drawn first (replay.wgsl's trace offset).
    let offset = traceOffset(key, run, i, 0u, p.traceSpan);
    (*state).traceOffset = offset;
    var start = rngStart(key, run.stream, run.replicate, purposeStep(PURPOSE_SETUP, 0u), i);
    (*state).residual = renewalStart(serveGenParams(serveGenWindow(p, offset, 0u)), &start);
    return;
  }
  var setup = rngStart(key, run.stream, run.replicate, purposeStep(PURPOSE_SETUP, 0u), i);
  if (renewal) {
    (*state).residual = renewalStart(renewalParamsOf(p), &setup);
  }
  if (p.process == ARRIVALS_MMPP) {
    // Locals: WGSL forbids two pointer arguments into one variable.
    var phase = 0u;
    var hold = 0.0;
    mmppStart(mmppParamsOf(p), &phase, &hold, &setup);
    (*state).phase = phase;
    (*state).hold = hold;
  }
  if (p.traceLength > 0u) {
    (*state).traceOffset = traceOffset(key, run, i, 0u, p.traceSpan);
  }
}

// Welford's update of a running mean and its Kahan-paired M2 (sum of squared deviations) with the
// n-th value x: no precision lost to the f32 squares of large counts. Returns (mean, M2 sum, M2 comp).
// CPU twin: welford in src/random/arrivals.ts.
fn welford(mean: f32, m2: vec2<f32>, n: u32, x: f32) -> vec3<f32> {
  let delta = x - mean;
  let next = mean + delta / f32(n);
  let pair = kahanAdd(m2, delta * (x - next), params.opaqueZero);
  return vec3<f32>(next, pair.x, pair.y);
}

// Adds a recorded step's arrivals to the arrival statistics of agent-run k (the `arrivals` totals of
// src/model/metrics.ts), in storage: only when they are recorded (a uniform flag), so a run without
// them keeps none of it in registers. CPU twin: ArrivalDraws' record in src/random/arrivals.ts.
fn recordArrivals(k: u32, t: u32, arrived: f32, approx: u32) {
  if ((params.arrivalFlags & ARRIVAL_FLAG_STATS) == 0u || t < params.warmup) {
    return;
  }
  var s = arrivalStats[k];
  let w1 = welford(s.window1Mean, vec2<f32>(s.window1M2Sum, s.window1M2Comp), t - params.warmup + 1u, arrived);
  s.window1Mean = w1.x;
  s.window1M2Sum = w1.y;
  s.window1M2Comp = w1.z;
  let ap = kahanAdd(vec2<f32>(s.approxStepsSum, s.approxStepsComp), f32(approx), params.opaqueZero);
  s.approxStepsSum = ap.x;
  s.approxStepsComp = ap.y;
  s.maxArrivals = max(s.maxArrivals, arrived);
  // Windows of recorded steps, closed by counters rather than (t − warmup) mod w: an integer division
  // per lane is scalar code on a CPU's SIMD units (lavapipe).
  s.window10 += arrived;
  s.windowSteps10 += 1u;
  if (s.windowSteps10 == 10u) {
    s.windowSteps10 = 0u;
    s.windows10 += 1u;
    let w = welford(s.window10Mean, vec2<f32>(s.window10M2Sum, s.window10M2Comp), s.windows10, s.window10);
    s.window10Mean = w.x;
    s.window10M2Sum = w.y;
    s.window10M2Comp = w.z;
    s.window10 = 0.0;
  }
  s.window100 += arrived;
  s.windowSteps100 += 1u;
  if (s.windowSteps100 == 100u) {
    s.windowSteps100 = 0u;
    s.windows100 += 1u;
    let w = welford(s.window100Mean, vec2<f32>(s.window100M2Sum, s.window100M2Comp), s.windows100, s.window100);
    s.window100Mean = w.x;
    s.window100M2Sum = w.y;
    s.window100M2Comp = w.z;
    s.window100 = 0.0;
  }
  arrivalStats[k] = s;
}

// Poisson by table inversion for an agent with a fixed mean (AgentParams.poissonTable, the first word
// of its table in `traceCounts`, after the traces): the count for the stream's first word x is kLo + j,
// j = guide[x >> (32 − b)] moved up while x ≥ th[j]; past the table (x = 2^32 − 1) the tail by
// tableTail from the next word of `rng`. Table words: [L, kLo, b, bits(h0), th[0 … L−1], guide[0 …
// 2^b − 1]]. CPU twin: tableDraw in src/random/poissonTable.ts (x the first word, as here).
const NO_TABLE: u32 = 0xffffffffu;
const TABLE_HEADER_WORDS: u32 = 4u;

// A table's header words (L, kLo, shift = 32 − b), kept for the invocation's last table: the
// agent-by-agent loop draws one agent's steps in a row, so its header is read once, not every step.
struct TableHeader {
  at: u32,
  L: u32,
  kLo: u32,
  shift: u32,
}

var<private> lastTable: TableHeader = TableHeader(NO_TABLE, 0u, 0u, 0u);

fn tableCount(at: u32, mu: f32, x: u32, rng: ptr<function, Rng>) -> u32 {
  if (lastTable.at != at) {
    lastTable = TableHeader(at, traceCounts[at], traceCounts[at + 1u], 32u - traceCounts[at + 2u]);
  }
  let L = lastTable.L;
  let th = at + TABLE_HEADER_WORDS;
  var j = traceCounts[th + L + (x >> lastTable.shift)];
  while (j < L && x >= traceCounts[th + j]) {
    j += 1u;
  }
  let kLo = lastTable.kLo;
  if (j < L) {
    return kLo + j;
  }
  return tableTail(kLo + L, bitcast<f32>(traceCounts[at + 3u]), mu, rngNextU32(rng));
}

// A Poisson count of the agent's mean: from its table if it has one, else by the exact sampler.
fn poissonArrivals(p: AgentParams, mean: f32, rng: ptr<function, Rng>) -> u32 {
  if (p.poissonTable != NO_TABLE) {
    let x = rngNextU32(rng);
    return tableCount(p.poissonTable, mean, x, rng);
  }
  return poisson(mean, rng);
}

// Agent i's arrivals at step t when every agent of the chunk is deterministic or Poisson without a
// trace: the paper's processes on their own short path. A pipeline's `arrive` is this or generalArrive
// (generated by src/gpu/wgsl.ts arrivalPathCode, per pipeline): a paper pipeline's code then never
// names the general path, which is most of the kernel's code and, referenced even from a branch the
// compiler folds away, most of its compile time on lavapipe (bench/NOTES.md).
fn paperArrive(p: AgentParams, state: ptr<function, ArrivalState>, run: Run, key: vec2<u32>, t: u32, i: u32) -> vec2<f32> {
  let mean = (p.lambda * params.dt) * multiplierAt(p, state, t);
  var arrived = mean;
  var work = mean;
  if (p.process == ARRIVALS_POISSON) {
    var rng = rngStart(key, run.stream, run.replicate, t, i);
    let n = poissonArrivals(p, mean, &rng);
    arrived = f32(n);
    work = arrived;
    if (params.workMode == WORK_EXPONENTIAL) {
      work = exponentialWork(n, &rng);
    }
  }
  recordArrivals(run.agentOffset + i, t, arrived, 0u);
  return vec2<f32>(arrived, work);
}

// Agent i's arrivals at step t (requests) and the work they bring (units of one request's mean work):
// deterministic, exactly the mean (a fractional number of requests, each of one unit of work); the
// others, a count of requests, each bringing one unit of work or an Exp(1) amount drawn after it.
// Every process (MODEL-PART4 §4.1); a chunk without the general ones takes paperArrive's path.
fn generalArrive(p: AgentParams, state: ptr<function, ArrivalState>, run: Run, key: vec2<u32>, t: u32, i: u32) -> vec2<f32> {
  if ((params.arrivalFlags & ARRIVAL_FLAG_GENERAL) == 0u) {
    return paperArrive(p, state, run, key, t, i);
  }
  if (t == 0u) {
    arrivalStart(p, state, run, key, i);
  }
  var window = 0u;
  var mean: f32;
  if (p.process == ARRIVALS_SERVEGEN) {
    // κ·rate_w·Δt: the window's rate scaled to the agent's, over one step.
    window = serveGenWindow(p, (*state).traceOffset, t);
    mean = ((p.kappa * bitcast<f32>(traceCounts[window + 1u])) * params.dt) * multiplierAt(p, state, t);
  } else {
    mean = arrivalMean(p, state, t);
  }
  var arrived = mean;
  var work = mean;
  var approx = 0u;
  if (p.process != ARRIVALS_DETERMINISTIC) {
    var n = 0u;
    if (p.traceLength > 0u || p.lambda * params.dt > 0.0) {
      var rng = rngStart(key, run.stream, run.replicate, t, i);
      // Each sampler is named once (the renewal processes share renewalArrivals, MMPP and Poisson share
      // poissonArrivals): the compiler inlines a function at every call, and on lavapipe each copy of
      // renewalArrivals cost ~1 s of the general pipeline's compile (bench/NOTES.md).
      switch p.process {
        case ARRIVALS_GAMMA, ARRIVALS_WEIBULL, ARRIVALS_SERVEGEN: {
          var renewal = renewalParamsOf(p);
          if (p.process == ARRIVALS_SERVEGEN) {
            renewal = serveGenParams(window);
          }
          n = renewalArrivals(mean, renewal, &((*state).residual), &rng, &approx);
        }
        case ARRIVALS_REPLAY: {
          n = replayArrivals(p, (*state).traceOffset, run, key, t, i, &rng);
        }
        case ARRIVALS_POISSON, ARRIVALS_MMPP, default: {
          var poissonMean = mean;
          if (p.process == ARRIVALS_MMPP) {
            var switches = rngStart(key, run.stream, run.replicate, purposeStep(PURPOSE_PROCESS, t), i);
            var phase = (*state).phase;
            var hold = (*state).hold;
            let intensity = mmppIntensity(params.dt, mmppParamsOf(p), &phase, &hold, &switches);
            (*state).phase = phase;
            (*state).hold = hold;
            poissonMean = mean * (intensity / params.dt);
          }
          // An MMPP agent has no Poisson table (its mean changes; poissonTableMean in src/random/arrivals.ts): the exact sampler.
          n = poissonArrivals(p, poissonMean, &rng);
        }
      }
      arrived = f32(n);
      work = arrived;
      if (params.workMode == WORK_EXPONENTIAL) {
        work = exponentialWork(n, &rng);
      }
    } else {
      arrived = 0.0; // λ = 0: the mean is 0 at every step
      work = 0.0;
    }
  }
  recordArrivals(run.agentOffset + i, t, arrived, approx);
  return vec2<f32>(arrived, work);
}
