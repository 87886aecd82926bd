// Workflows (MODEL-PART4 §4.6): agents that feed each other, and exponentialCount work, on both simulate
// kernels. A run whose Run.flow has RUN_FLOW_STEP (a workflow, a fork-join, exponentialCount work, or
// the serverless lifecycle: lifecycle.wgsl admits before the allocation, serveFlow serves by phase) is
// stepped here, every agent per step: arrive (the external draw plus the agent's inbox), allocate,
// process into completions m_i, route them to the successors' inboxes for step t + 1, record. The
// internal arrivals depend on the run's own state, so there is no agent-major fast path. CPU twin:
// src/cpu/workflow.ts (WorkflowStepper.run), whose header gives the step; the f32 operations here
// follow its f64 ones in the same order.
//
// State per agent-run (AgentState): the head request's progress `head`, the inbox by step parity
// (`inbox0`, `inbox1`: requests routed to the agent for an even or odd step, written during the step
// before, so that agents may be served in any order within a step), and the fork-join's `debt` (D_b on
// a branch, Ω of the last step on the fork). The edges are in `traceCounts` (AgentParams.routeOffset,
// ROUTE_WORDS words per edge: the target's index in the fleet, then p's f32 bits). No atomics: the
// narrow kernel's invocation owns its runs and routes as it serves; the wide kernel's invocations leave
// each edge's count in workgroup memory and its invocation 0 adds them into the targets' inboxes in one
// pass, in the narrow kernel's order (flowRouteSerial), so fluid sums round alike on both.
// Needs agentStep.wgsl (signalOf, recordWith, the STEP_* flags), binomial.wgsl and poisson.wgsl.

// The requests routed to the agent for step t (its inbox of t's parity).
fn inboxAt(s: AgentState, t: u32) -> f32 {
  return select(s.inbox0, s.inbox1, (t & 1u) != 0u);
}

// Adds x requests to agent-run k's inbox for step t, in `states` (the field alone: its other fields
// may be in an invocation's registers).
fn addToInbox(k: u32, t: u32, x: f32) {
  if ((t & 1u) != 0u) {
    states[k].inbox1 = states[k].inbox1 + x;
  } else {
    states[k].inbox0 = states[k].inbox0 + x;
  }
}

// Successor e of the agent `p`: its index in the fleet, and the probability of each completion going there.
fn routeTarget(p: AgentParams, e: u32) -> u32 {
  return traceCounts[p.routeOffset + e * ROUTE_WORDS];
}

fn routeProbability(p: AgentParams, e: u32) -> f32 {
  return bitcast<f32>(traceCounts[p.routeOffset + e * ROUTE_WORDS + 1u]);
}

// Which branch of the run's fork-join agent i is (its index among the fork's successors), or NO_AGENT.
fn branchIndex(run: Run, i: u32) -> u32 {
  if (run.fork == NO_AGENT) {
    return NO_AGENT;
  }
  let f = agents[run.agentOffset + run.fork];
  for (var e = 0u; e < f.routeCount; e++) {
    if (routeTarget(f, e) == i) {
      return e;
    }
  }
  return NO_AGENT;
}

// One agent-step of the workflow path: its completions, what it sends to each successor, its flags.
struct FlowOut {
  done: f32,                        // m_i: whole requests completed, or (fluid routing) the work served
  sent: array<f32, MAX_SUCCESSORS>, // requests to successor e, for step t + 1 (0 for a fork and its branches)
  flags: u32,                       // serveShare's STEP_* flags (0 in the warm-up)
}

// Several GPUs without the lifecycle (src/model/placement.ts): every agent eligible, its `rank` its
// index among its GPU's agents, counted into nes[g] (zero on entry): n_e,g = n_g.
fn gpuRanks(run: Run, nes: ptr<function, array<u32, MAX_GPUS>>) {
  for (var i = 0u; i < run.agentCount; i++) {
    let k = run.agentOffset + i;
    let g = agents[k].gpu;
    states[k].rank = (*nes)[g];
    (*nes)[g] += 1u;
  }
}

// The allocations a step makes for `run`: one per GPU by placement (one with one GPU), one for a pool
// of GPUs (src/model/pool.ts: the fleet at capacity G; every agent's AgentParams.gpu is 0).
fn allocationGroups(run: Run) -> u32 {
  return select(max(run.gpus, 1u), 1u, (run.flow & RUN_FLOW_POOL) != 0u);
}

// An eligible agent's share g (policyShare's, over the eligible agents at capacity G) in a pool of
// `gpus` GPUs by the policy's rule (src/model/pool.ts poolShare; policyPoolRule): cap min(g, U_i);
// fill g; turns, n_G agents a whole GPU each (min(U_i, gpuCapacity)) from s = (turn·n_G) mod n_e on.
fn poolShare(rule: u32, g: f32, cap: f32, rank: u32, ne: u32, turn: u32, gpus: u32, gpuCapacity: f32) -> f32 {
  if (rule == POOL_FILL) {
    return g;
  }
  if (rule == POOL_CAP) {
    return min(g, cap);
  }
  let s = (turn * gpus) % ne;
  return select(0.0, min(cap, gpuCapacity), (rank + ne - s) % ne < gpus);
}

// Adds the workflow totals of agent-step t (from `warmup` on): the requests routed to the agent that
// arrived (routedSum) and those it sent on (inFlightSum).
fn recordFlow(s: ptr<function, AgentState>, t: u32, routed: f32, sent: f32) {
  let z = params.opaqueZero;
  let on = t >= params.warmup;
  let rte = kahanAdd(vec2<f32>((*s).routedSum, (*s).routedComp), select(0.0, routed, on), z);
  let fly = kahanAdd(vec2<f32>((*s).inFlightSum, (*s).inFlightComp), select(0.0, sent, on), z);
  (*s).routedSum = rte.x;
  (*s).routedComp = rte.y;
  (*s).inFlightSum = fly.x;
  (*s).inFlightComp = fly.y;
}

// Agent i of `run` through step t on the workflow path, on its state `s` (parameters `p`): `ext` is the
// step's external draw (requests, work), to which the agent's inbox for t adds its routed requests
// (one unit of work each); its share under `alloc`; process into completions; split them over its
// successors unless `routes` is false (a fork or a branch: flowForkJoin routes theirs); record. The
// routing stream (stream, replicate, purposeStep(PURPOSE_ROUTING, t), agent i) is common to every
// policy of the fleet replicate: exponentialCount's Poisson count first, then the split.
// With the lifecycle on (src/model/lifecycle.ts steps 6–8; lifecycleStep has set the phase and the
// rank) or several GPUs (gpuRanks): `alloc` and `ne` are the agent's GPU's, and its share is its
// rank's among the `ne` eligible (0 when ineligible; in a pool then poolShare's); a LOADING or
// COLD agent serves nothing (Q ← B, no draw), LOADING counts its load down (WARM at 0, for the next
// step); a WARM one serves as without the lifecycle and keeps idle and lastShare; the record adds the
// lifecycle's per-agent totals, and a non-WARM latency is L·Δt + Q/(T·lastShare).
fn serveFlow(s: ptr<function, AgentState>, p: AgentParams, alloc: Allocation, ext: vec2<f32>, run: Run, key: vec2<u32>, t: u32, i: u32, routes: bool, ne: u32) -> FlowOut {
  let routed = inboxAt(*s, t);
  if ((t & 1u) != 0u) {
    (*s).inbox1 = 0.0;
  } else {
    (*s).inbox0 = 0.0;
  }
  let arrived = ext.x + routed;
  let work = ext.y + routed;
  let lifecycle = params.lifecycle != 0u;
  // Allocate (the signal reads every arrival, routed ones too), then the signal for step t + 1.
  let signal = signalOf(p, *s, t);
  let backlog = (*s).queue + work;
  let rank = select(i, (*s).rank, lifecycle || run.gpus > 1u);
  var g = 0.0;
  if (rank != NO_AGENT) {
    g = policyShare(alloc, p, signal, backlog, rank, ne);
    if ((run.flow & RUN_FLOW_POOL) != 0u) {
      g = poolShare(policyPoolRule(alloc.policy), g, p.cap, rank, ne, alloc.turn, run.gpus, run.gpuCapacity);
    }
  }
  (*s).rate = nextSignal(signal, arrived);
  let phase = select(PHASE_WARM, (*s).phase, lifecycle);
  let warm = phase == PHASE_WARM;
  let fluid = (run.flow & RUN_FLOW_FLUID) != 0u;
  let countWork = params.workMode == WORK_EXPONENTIAL_COUNT;
  let service = p.T * g;
  var out: FlowOut;
  var served = 0.0;
  var rng = rngStart(key, run.stream, run.replicate, purposeStep(PURPOSE_ROUTING, t), i);
  if (!warm) {
    // LOADING or COLD: nothing served, nothing completed (Q ← B below).
    out.done = 0.0;
  } else if (countWork) {
    // Whole requests, each Exp(1) work: the step completes min(Q + a, Poisson(T·g·Δt)) by memorylessness.
    let mean = service * params.dt;
    var c = 0u;
    if (backlog > 0.0 && mean > 0.0) {
      c = poisson(mean, &rng);
    }
    served = min(backlog, f32(c));
    out.done = served;
  } else {
    served = min(backlog, service * params.dt);
    if (fluid) {
      out.done = served;
    } else {
      // FIFO with unit work: the head's progress plus the work served; an emptied queue completes the
      // nearest whole number (f32 rounding of x), else ⌊x⌋ and the rest stays with the head.
      let x = (*s).head + served;
      if (backlog - served == 0.0) {
        out.done = floor(x + 0.5);
        (*s).head = 0.0;
      } else {
        out.done = floor(x);
        (*s).head = x - out.done;
      }
    }
  }
  let queue = backlog - served;
  (*s).queue = queue;
  // Route: each completion to successor e with probability p_e (sequential conditional binomials), or
  // fluidly p_e·served.
  var sent = 0.0;
  if (routes && out.done > 0.0 && p.routeCount > 0u) {
    let edges = min(p.routeCount, MAX_SUCCESSORS);
    if (fluid) {
      for (var e = 0u; e < edges; e++) {
        let k = routeProbability(p, e) * out.done;
        out.sent[e] = k;
        sent += k;
      }
    } else {
      var probs: array<f32, MAX_SUCCESSORS>;
      for (var e = 0u; e < edges; e++) {
        probs[e] = routeProbability(p, e);
      }
      let counts = splitCompletions(u32(out.done), probs, edges, &rng);
      for (var e = 0u; e < edges; e++) {
        out.sent[e] = f32(counts[e]);
        sent += out.sent[e];
      }
    }
  }
  // Record: latency is the backlog over the service rate, L_max when the share is 0; whole requests
  // (exponentialCount) count themselves in the system.
  var latency = select(params.lmax, queue / service, g > 0.0);
  if (lifecycle) {
    latency = serveLifecycle(s, p, phase, backlog, queue, g, latency, t);
  }
  let inSystem = select(max(ceil(queue - IN_SYSTEM_SLACK), 0.0), queue, countWork);
  recordWith(s, t, latency, served, g, arrived, inSystem);
  recordFlow(s, t, routed, sent);
  let busy = backlog > 0.0;
  let short = warm && belowMinimum(p, g, alloc.capacity);
  let flags = select(0u, STEP_BUSY, busy) | select(0u, STEP_VIOLATED, short && (signal > 0.0 || busy));
  out.flags = select(0u, flags, t >= params.warmup);
  addViolations(s, out.flags / STEP_VIOLATED);
  return out;
}

// The lifecycle's step 7 and 8 for an agent served at share g in `phase` (its phase after the
// admission), its backlog B and queue Q after processing: LOADING counts down (WARM at 0), a WARM agent
// keeps idle (0 with backlog, else + 1) and lastShare (g when g > 0); adds the per-agent totals
// (latencyStepSum, residentStepSum, loadStepSum, idleWarmStepSum) on recorded steps; returns the
// step's latency — WARM's `warmLatency`, L·Δt + Q/(T·lastShare) when LOADING (L = loadLeft left) or
// COLD with Q > 0 (L = c_i), 0 (and no latency step) when COLD with Q = 0.
fn serveLifecycle(s: ptr<function, AgentState>, p: AgentParams, phase: u32, backlog: f32, queue: f32, g: f32, warmLatency: f32, t: u32) -> f32 {
  var latency = warmLatency;
  var steps = 1.0;
  if (phase == PHASE_WARM) {
    (*s).idle = select((*s).idle + 1u, 0u, backlog > 0.0);
    if (g > 0.0) {
      (*s).lastShare = g;
    }
  } else {
    var left = p.loadSteps;
    if (phase == PHASE_LOADING) {
      left = (*s).loadLeft - 1u;
      (*s).loadLeft = left;
      (*s).idle = 0u;
      if (left == 0u) {
        (*s).phase = PHASE_WARM;
      }
    }
    latency = f32(left) * params.dt + queue / (p.T * (*s).lastShare);
    if (phase == PHASE_COLD && !(queue > 0.0)) {
      latency = 0.0;
      steps = 0.0;
    }
  }
  let on = t >= params.warmup;
  let z = params.opaqueZero;
  let lat = kahanAdd(vec2<f32>((*s).latencyStepSum, (*s).latencyStepComp), select(0.0, steps, on), z);
  let res = kahanAdd(vec2<f32>((*s).residentStepSum, (*s).residentStepComp), select(0.0, select(1.0, 0.0, phase == PHASE_COLD), on), z);
  let lod = kahanAdd(vec2<f32>((*s).loadStepSum, (*s).loadStepComp), select(0.0, select(0.0, 1.0, phase == PHASE_LOADING), on), z);
  let idl = kahanAdd(
    vec2<f32>((*s).idleWarmStepSum, (*s).idleWarmStepComp),
    select(0.0, select(0.0, 1.0, phase == PHASE_WARM && !(backlog > 0.0)), on),
    z,
  );
  (*s).latencyStepSum = lat.x;
  (*s).latencyStepComp = lat.y;
  (*s).residentStepSum = res.x;
  (*s).residentStepComp = res.y;
  (*s).loadStepSum = lod.x;
  (*s).loadStepComp = lod.y;
  (*s).idleWarmStepSum = idl.x;
  (*s).idleWarmStepComp = idl.y;
  return latency;
}

// The fork-join of `run` after every agent's step t: the fork's m_f completions send a child to every
// branch (for t + 1), D_b ← D_b + m_f − m_b (m_b = done[b], the branches' completions, by branch
// index), Ω = max_b D_b, and J = m_f + Ω_prev − Ω parents go to the join for t + 1. The fork records J
// as its inFlightSum and Ω as its forkSum. CPU twin: the fork-join block of WorkflowStepper.run.
fn flowForkJoin(run: Run, t: u32, mf: f32, done: array<f32, MAX_SUCCESSORS>) {
  let fk = run.agentOffset + run.fork;
  let f = agents[fk];
  var omega = 0.0;
  for (var e = 0u; e < min(f.routeCount, MAX_SUCCESSORS); e++) {
    let b = run.agentOffset + routeTarget(f, e);
    addToInbox(b, t + 1u, mf);
    let debt = (states[b].debt + mf) - done[e];
    states[b].debt = debt;
    omega = max(omega, debt);
  }
  var s = states[fk];
  let released = (mf + s.debt) - omega;
  s.debt = omega;
  let on = t >= params.warmup;
  let fly = kahanAdd(vec2<f32>(s.inFlightSum, s.inFlightComp), select(0.0, released, on), params.opaqueZero);
  let frk = kahanAdd(vec2<f32>(s.forkSum, s.forkComp), select(0.0, omega, on), params.opaqueZero);
  s.inFlightSum = fly.x;
  s.inFlightComp = fly.y;
  s.forkSum = frk.x;
  s.forkComp = frk.y;
  states[fk] = s;
  addToInbox(run.agentOffset + run.join, t + 1u, released);
}

// allocate() on the workflow path (simulateFlow.wgsl) for GPU `gpu` of the run: with the lifecycle on
// (src/model/lifecycle.ts step 6) over the eligible agents only, as if they were the fleet — agent k's
// index its `rank` among them (lifecycleStep wrote it, NO_AGENT when ineligible: no term), N = ne,
// turn = step mod ne; with several GPUs (src/model/placement.ts) over GPU `gpu`'s agents alone (their
// ranks among its eligible, gpuRanks' without the lifecycle), at the GPU's capacity (Run.capacity); a
// pool (allocationGroups: one, gpu 0) over all its eligible agents at G (Run.capacity); with neither
// ne = N and every rank its index, allocate()'s sums bit for bit. serveFlow reads the shares with the
// same rank and ne. One call site (stepFlow), and the plain kernels never call it.
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
