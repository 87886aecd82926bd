// The workload step for small fleets: one invocation advances a group of fleet runs (up to
// MAX_GROUP_RUNS adjacent runs of one fleet replicate, differing in policy only) through steps
// [stepBegin, stepEnd), in the order arrive → allocate → process → record, looping over the fleet's
// agents (allocate() sums over them sequentially, in agent order), and counts the dispatch's busy
// steps of each run into its busySum at the end (busy.wgsl). The members' arrivals are the
// same draws, so each agent-step is drawn once and every member serves it with its own allocation and
// state, as the CPU engine does. State stays in `states` between dispatches, so a whole run needs no
// host round trip. Fleets above the per-invocation size run on simulateWide.wgsl instead
// (src/gpu/engine.ts chooses). CPU twin: src/cpu/engine.ts.

override WORKGROUP_SIZE: u32 = 64u;

// Runs in one group at most: MAX_GROUP_RUNS in src/gpu/engine.ts (pinned by test/layout.test.ts).
// Each member's state is written out below (s0…s3, a0…a3), which keeps it in registers.
const MAX_GROUP_RUNS: u32 = 4u;

// Group g is runs [groups[g], groups[g + 1]) of `runs` (the `groups` binding): groupCount + 1 entries.

// Agent i's arrival process state into every member's copy in `arrivalStates` (the same for all: one
// fleet replicate), and its statistics into every member's slot of `arrivalStats`, so each run's
// statistics read back from its own slot.
fn storeArrivalState(a: ArrivalState, members: u32, r0: Run, r1: Run, r2: Run, r3: Run, i: u32) {
  arrivalStates[r0.agentOffset + i] = a;
  if (members > 1u) {
    arrivalStates[r1.agentOffset + i] = a;
  }
  if (members > 2u) {
    arrivalStates[r2.agentOffset + i] = a;
  }
  if (members > 3u) {
    arrivalStates[r3.agentOffset + i] = a;
  }
  // The statistics, recorded in the first member's slot, likewise.
  if ((params.arrivalFlags & ARRIVAL_FLAG_STATS) != 0u && members > 1u) {
    let stats = arrivalStats[r0.agentOffset + i];
    arrivalStats[r1.agentOffset + i] = stats;
    if (members > 2u) {
      arrivalStats[r2.agentOffset + i] = stats;
    }
    if (members > 3u) {
      arrivalStats[r3.agentOffset + i] = stats;
    }
  }
}

// One member's step t of agent i on its state in `states` (the step-by-step loop order); serve()'s busy flag.
fn serveAt(k: u32, p: AgentParams, alloc: Allocation, arrival: vec2<f32>, t: u32, i: u32, count: u32) -> bool {
  var s = states[k];
  let busy = serve(&s, p, alloc, arrival, t, i, count);
  states[k] = s;
  return busy;
}

// Whether no member's allocation reads state or a changing signal (allocationFixed in src/model/allocate.ts):
// then fixedGroup runs the group, else stepwiseGroup. Members past the group's size alias the last one.
fn groupAllocationFixed(run: Run, r1: Run, r2: Run, r3: Run) -> bool {
  return allocationFixed(run.policy) && allocationFixed(r1.policy) && allocationFixed(r2.policy) && allocationFixed(r3.policy);
}

// A group whose allocations are fixed, through steps [stepBegin, stepEnd): each member's busy steps into its mask.
fn fixedGroup(
  members: u32, run: Run, r1: Run, r2: Run, r3: Run, mask0: ptr<function, BusyMask>, mask1: ptr<function, BusyMask>,
  mask2: ptr<function, BusyMask>, mask3: ptr<function, BusyMask>,
) {
  let n = run.agentCount;
  let key = vec2<u32>(params.seedLo, params.seedHi);
  // No member's allocation reads state or a changing signal, so the agents go one after the other,
  // each through all the steps with its members' states in registers: the same operations per
  // agent-step as stepwiseGroup (bit-identical totals), and faster (bench/NOTES.md).
  var a0 = allocate(run, params.stepBegin, run.agentOffset);
  var a1 = a0;
  var a2 = a0;
  var a3 = a0;
  if (members > 1u) {
    a1 = allocate(r1, params.stepBegin, run.agentOffset);
  }
  if (members > 2u) {
    a2 = allocate(r2, params.stepBegin, run.agentOffset);
  }
  if (members > 3u) {
    a3 = allocate(r3, params.stepBegin, run.agentOffset);
  }
  // Shares that change with the step do so through the allocation's turn alone (PolicyDef.variesWithStep).
  let v0 = policyVariesWithStep(a0.policy);
  let v1 = policyVariesWithStep(a1.policy);
  let v2 = policyVariesWithStep(a2.policy);
  let v3 = policyVariesWithStep(a3.policy);
  for (var i = 0u; i < n; i++) {
    let p = agents[run.agentOffset + i];
    var s0 = states[run.agentOffset + i];
    var s1 = states[r1.agentOffset + i];
    var s2 = states[r2.agentOffset + i];
    var s3 = states[r3.agentOffset + i];
    // The arrival process state of the fleet replicate's agent: the first member's copy.
    var arrivals = arrivalStates[run.agentOffset + i];
    if (p.process == ARRIVALS_POISSON && p.traceLength == 0u && p.poissonTable == NO_TABLE) {
      // log p(k) for the agent's mean at the first step (all of them without a rate schedule; those
      // with a Poisson table read no log p(k)).
      fillLogPmfTable(arrivalMean(p, &arrivals, params.stepBegin));
    }
    // serve() with its share computed once: a fixed allocation's signal is γ_i (`demand`, λ_i without
    // routing; or unread), its shares read nothing that changes with the step but the turn, and no
    // backlog (readsBacklog implies readsState).
    var g0 = policyShare(a0, p, p.demand, 0.0, i, n);
    var g1 = policyShare(a1, p, p.demand, 0.0, i, n);
    var g2 = policyShare(a2, p, p.demand, 0.0, i, n);
    var g3 = policyShare(a3, p, p.demand, 0.0, i, n);
    var short0 = belowMinimum(p, g0, a0.capacity);
    var short1 = belowMinimum(p, g1, a1.capacity);
    var short2 = belowMinimum(p, g2, a2.capacity);
    var short3 = belowMinimum(p, g3, a3.capacity);
    // λ̂ (violationSum reads whether it is > 0) follows the fleet replicate's arrivals alone, so the
    // members share it: tracked once, as serve() tracks it in each member's state.
    var rate = s0.rate;
    // The turn t mod n, counted up rather than divided for each step (an integer division per lane
    // is scalar code on a CPU's SIMD units).
    var turn = params.stepBegin % n;
    // Each member's violations through the dispatch, added to its state once (serveShare's flags).
    var c0 = 0u;
    var c1 = 0u;
    var c2 = 0u;
    var c3 = 0u;
    // 32 steps at a time, each member's busy flags in a register word (bit t − t0), ORed into its
    // mask once per block: dynamic indexing of a private array is memory on most targets.
    for (var t0 = params.stepBegin; t0 < params.stepEnd; t0 += 32u) {
      let t1 = min(t0 + 32u, params.stepEnd);
      var w0 = 0u;
      var w1 = 0u;
      var w2 = 0u;
      var w3 = 0u;
      for (var t = t0; t < t1; t++) {
        let bit = 1u << (t - t0);
        let arrival = arrive(p, &arrivals, run, key, t, i);
        // signalOf(p, s0, t), then its update, as serve() does.
        let signal = select(rate, p.demand, params.signalMode == SIGNAL_NOMINAL || t == 0u);
        rate = nextSignal(signal, arrival.x);
        let wanting = signal > 0.0;
        if (v0) {
          a0.turn = turn;
          g0 = policyShare(a0, p, p.demand, 0.0, i, n);
          short0 = belowMinimum(p, g0, a0.capacity);
        }
        let f0 = serveShare(&s0, p, g0, arrival, t, short0, wanting);
        w0 |= select(0u, bit, (f0 & STEP_BUSY) != 0u);
        c0 += f0 / STEP_VIOLATED;
        if (members > 1u) {
          if (v1) {
            a1.turn = turn;
            g1 = policyShare(a1, p, p.demand, 0.0, i, n);
            short1 = belowMinimum(p, g1, a1.capacity);
          }
          let f1 = serveShare(&s1, p, g1, arrival, t, short1, wanting);
          w1 |= select(0u, bit, (f1 & STEP_BUSY) != 0u);
          c1 += f1 / STEP_VIOLATED;
        }
        if (members > 2u) {
          if (v2) {
            a2.turn = turn;
            g2 = policyShare(a2, p, p.demand, 0.0, i, n);
            short2 = belowMinimum(p, g2, a2.capacity);
          }
          let f2 = serveShare(&s2, p, g2, arrival, t, short2, wanting);
          w2 |= select(0u, bit, (f2 & STEP_BUSY) != 0u);
          c2 += f2 / STEP_VIOLATED;
        }
        if (members > 3u) {
          if (v3) {
            a3.turn = turn;
            g3 = policyShare(a3, p, p.demand, 0.0, i, n);
            short3 = belowMinimum(p, g3, a3.capacity);
          }
          let f3 = serveShare(&s3, p, g3, arrival, t, short3, wanting);
          w3 |= select(0u, bit, (f3 & STEP_BUSY) != 0u);
          c3 += f3 / STEP_VIOLATED;
        }
        turn = select(turn + 1u, 0u, turn + 1u == n);
      }
      markBusyWord(mask0, t0, w0);
      markBusyWord(mask1, t0, w1);
      markBusyWord(mask2, t0, w2);
      markBusyWord(mask3, t0, w3);
    }
    addViolations(&s0, c0);
    addViolations(&s1, c1);
    addViolations(&s2, c2);
    addViolations(&s3, c3);
    s0.rate = rate;
    s1.rate = rate;
    s2.rate = rate;
    s3.rate = rate;
    // Members past the group's size alias the last one and were not served: store the real ones.
    if (members > 3u) {
      states[r3.agentOffset + i] = s3;
    }
    if (members > 2u) {
      states[r2.agentOffset + i] = s2;
    }
    if (members > 1u) {
      states[r1.agentOffset + i] = s1;
    }
    states[run.agentOffset + i] = s0;
    storeArrivalState(arrivals, members, run, r1, r2, r3, i);
  }
}

// A group with a member whose allocation is not fixed, step by step: each member's busy steps into its mask.
fn stepwiseGroup(
  members: u32, run: Run, r1: Run, r2: Run, r3: Run, mask0: ptr<function, BusyMask>, mask1: ptr<function, BusyMask>,
  mask2: ptr<function, BusyMask>, mask3: ptr<function, BusyMask>,
) {
  let n = run.agentCount;
  let key = vec2<u32>(params.seedLo, params.seedHi);
  // A backlog-reading member's allocation reads this step's arrivals (B = Q + a, MODEL-PART4 §4.8):
  // then every agent's step is drawn first, kept in the fleet replicate's arrival state (the first
  // member's copy: `work`, `arrived`), and served from there after the allocations. Otherwise the
  // allocators read λ̂_t, which depends on steps before t only, so allocating before drawing gives
  // the same shares as the specified arrive → allocate order, and each agent is drawn as it is served.
  let drawFirst = policyReadsBacklog(run.policy) || policyReadsBacklog(r1.policy) || policyReadsBacklog(r2.policy) ||
    policyReadsBacklog(r3.policy);
  for (var t = params.stepBegin; t < params.stepEnd; t++) {
    if (drawFirst) {
      for (var i = 0u; i < n; i++) {
        var arrivals = arrivalStates[run.agentOffset + i];
        let arrival = arrive(agents[run.agentOffset + i], &arrivals, run, key, t, i);
        arrivals.arrived = arrival.x;
        arrivals.work = arrival.y;
        if (t + 1u == params.stepEnd) {
          storeArrivalState(arrivals, members, run, r1, r2, r3, i);
        } else {
          arrivalStates[run.agentOffset + i] = arrivals;
        }
      }
    }
    // Each member's allocation reads its own states only, which no member has advanced to t + 1 yet.
    let a0 = allocate(run, t, run.agentOffset);
    var a1 = a0;
    var a2 = a0;
    var a3 = a0;
    if (members > 1u) {
      a1 = allocate(r1, t, run.agentOffset);
    }
    if (members > 2u) {
      a2 = allocate(r2, t, run.agentOffset);
    }
    if (members > 3u) {
      a3 = allocate(r3, t, run.agentOffset);
    }
    var b0 = false;
    var b1 = false;
    var b2 = false;
    var b3 = false;
    for (var i = 0u; i < n; i++) {
      let p = agents[run.agentOffset + i];
      var arrival: vec2<f32>;
      if (drawFirst) {
        let drawn = arrivalStates[run.agentOffset + i];
        arrival = vec2<f32>(drawn.arrived, drawn.work);
      } else {
        // The arrival process state: the first member's copy, every member's after the dispatch's last step.
        var arrivals = arrivalStates[run.agentOffset + i];
        arrival = arrive(p, &arrivals, run, key, t, i);
        if (t + 1u == params.stepEnd) {
          storeArrivalState(arrivals, members, run, r1, r2, r3, i);
        } else {
          arrivalStates[run.agentOffset + i] = arrivals;
        }
      }
      b0 = serveAt(run.agentOffset + i, p, a0, arrival, t, i, n) || b0;
      if (members > 1u) {
        b1 = serveAt(r1.agentOffset + i, p, a1, arrival, t, i, n) || b1;
      }
      if (members > 2u) {
        b2 = serveAt(r2.agentOffset + i, p, a2, arrival, t, i, n) || b2;
      }
      if (members > 3u) {
        b3 = serveAt(r3.agentOffset + i, p, a3, arrival, t, i, n) || b3;
      }
    }
    markBusy(mask0, t, b0);
    markBusy(mask1, t, b1);
    markBusy(mask2, t, b2);
    markBusy(mask3, t, b3);
  }
}

@compute @workgroup_size(WORKGROUP_SIZE)
fn simulate(@builtin(global_invocation_id) gid: vec3<u32>) {
  // gridWidth counts groups per grid row: here one group per invocation.
  let g = gid.y * params.gridWidth + gid.x;
  if (g >= params.groupCount) {
    return;
  }
  let first = groups[g];
  let members = groups[g + 1u] - first;
  // The fleet, stream and replicate every member shares; members differ in policy and state offset.
  let run = runs[first];
  let r1 = runs[first + min(1u, members - 1u)];
  let r2 = runs[first + min(2u, members - 1u)];
  let r3 = runs[first + min(3u, members - 1u)];
  // Each member's busy steps of this dispatch (busy.wgsl), counted into its busySum at the end.
  var mask0: BusyMask;
  var mask1: BusyMask;
  var mask2: BusyMask;
  var mask3: BusyMask;
  // simulateGroup is this pipeline's (src/gpu/wgsl.ts groupPathCode): fixedGroup, or stepwiseGroup when not every
  // member's allocation is fixed. A pipeline without the stepwise path never names stepwiseGroup, so its
  // compile leaves that loop out (bench/NOTES.md); the host picks it only for chunks of fixed allocations.
  simulateGroup(members, run, r1, r2, r3, &mask0, &mask1, &mask2, &mask3);
  // Each real member's busy steps into its agent 0's busySum.
  recordBusy(run.agentOffset, busySteps(mask0));
  if (members > 1u) {
    recordBusy(r1.agentOffset, busySteps(mask1));
  }
  if (members > 2u) {
    recordBusy(r2.agentOffset, busySteps(mask2));
  }
  if (members > 3u) {
    recordBusy(r3.agentOffset, busySteps(mask3));
  }
}
