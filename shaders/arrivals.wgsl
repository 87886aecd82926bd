// Arrive: the arrival processes (src/model/modes.ts ARRIVAL_PROCESSES, ids ARRIVALS_*). Each agent-step
// has a budget, the f32 mean Λ = (λ·Δt)·m(t) of its rate schedule; a process turns it into a count of
// requests (and the work they bring) from the agent's Philox stream and its process state.
// Arrivals depend on the run's fleet, replicate and agent only, never on its policy, so the runs of one
// fleet replicate arrive alike: the narrow kernel draws once for all of them and keeps the process
// state in its first member's AgentState; the wide kernel advances each run's own copy, which evolves
// alike. CPU twin: src/random/arrivals.ts.

// The per-(fleet, replicate, agent) state of the arrival process: today the rate schedule's cursor.
struct ArrivalState {
  segment: u32, // the agent's schedule segments with start ≤ the last step arrived (a cursor into `segments`)
}

fn arrivalStateOf(s: AgentState) -> ArrivalState {
  return ArrivalState(s.segment);
}

fn setArrivalState(s: ptr<function, AgentState>, state: ArrivalState) {
  (*s).segment = state.segment;
}

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

// The step's budget: the f32 mean (λ·Δt)·m(t). CPU twin: stepMean in src/model/schedule.ts.
fn arrivalMean(p: AgentParams, state: ptr<function, ArrivalState>, t: u32) -> f32 {
  return (p.lambda * params.dt) * multiplierAt(p, state, t);
}

// ---- deterministic: exactly the mean, a fractional number of requests, each of one unit of work.
fn deterministicArrivals(mean: f32) -> vec2<f32> {
  return vec2<f32>(mean, mean);
}

// ---- poisson: an exact Poisson count with the mean, each request bringing one unit of work or an
// Exp(1) amount drawn after the count.
fn poissonArrivals(mean: f32, rng: ptr<function, Rng>) -> vec2<f32> {
  let n = poisson(mean, rng);
  var work = f32(n);
  if (params.workMode == WORK_EXPONENTIAL) {
    work = exponentialWork(n, rng);
  }
  return vec2<f32>(f32(n), work);
}

// Agent i's arrivals at step t (requests) and the work they bring (units of one request's mean work).
fn arrive(p: AgentParams, state: ptr<function, ArrivalState>, run: Run, key: vec2<u32>, t: u32, i: u32) -> vec2<f32> {
  let mean = arrivalMean(p, state, t);
  switch params.arrivalMode {
    case ARRIVALS_POISSON: {
      var rng = rngStart(key, run.stream, run.replicate, t, i);
      return poissonArrivals(mean, &rng);
    }
    case ARRIVALS_DETERMINISTIC, default: {
      return deterministicArrivals(mean);
    }
  }
}
