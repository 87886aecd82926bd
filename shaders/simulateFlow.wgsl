// The workflow step for small fleets (MODEL-PART4 §4.6; the step itself is workflow.wgsl's): one
// invocation advances a group of fleet runs (up to MAX_GROUP_RUNS adjacent runs of one fleet replicate,
// differing in policy only, as in simulate.wgsl) through steps [stepBegin, stepEnd), every agent per
// step: the members share each step's external draw, and each member then allocates, serves and routes
// on its own states. Its own entry point and pipeline (src/gpu/engine.ts runs the chunks of workflow
// runs on it), so that the simulate kernel, which most sweeps run, keeps its size and compile time (the
// workflow step nearly doubles them on lavapipe). Built with simulate.wgsl (its group helpers) before it.
// CPU twin: src/cpu/workflow.ts.

// One member's step t on the workflow path (workflow.wgsl): with the lifecycle on, its admission
// (lifecycle.wgsl: expire, admit, count, the eligible agents); its allocation (reading its own states,
// the inboxes included; over the eligible agents; each GPU's over its own agents), then every agent served from the step's external draw in
// arrivalStates[draws + i] and routed, as it goes, into the targets' inboxes for t + 1 (this
// invocation owns the run: no other writer), then the fork-join. Returns whether the step is a
// recorded busy one.
fn stepFlow(run: Run, key: vec2<u32>, t: u32, draws: u32) -> bool {
  // The lifecycle's admission first (lifecycle.wgsl): phases, memory, the eligible agents' ranks; with
  // several GPUs (src/model/placement.ts) and no lifecycle, each agent's rank on its GPU. nes[g]: GPU
  // g's eligible agents.
  var nes: array<u32, MAX_GPUS>;
  if (params.lifecycle != 0u) {
    lifecycleStep(run, t, draws, &nes);
  } else if (run.gpus > 1u) {
    gpuRanks(run, &nes);
  } else {
    nes[0] = run.agentCount;
  }
  // Each GPU's allocation over its agents (one call site in a loop), GPU 0 first; a pool's one.
  var allocs: array<Allocation, MAX_GPUS>;
  for (var g = 0u; g < allocationGroups(run); g++) {
    allocs[g] = allocateFlow(run, t, draws, nes[g], g);
  }
  var busy = false;
  var mf = 0.0; // the fork's completions
  var done: array<f32, MAX_SUCCESSORS>; // each branch's, by branch index
  for (var i = 0u; i < run.agentCount; i++) {
    let k = run.agentOffset + i;
    let p = agents[k];
    let drawn = arrivalStates[draws + i];
    let branch = branchIndex(run, i);
    var s = states[k];
    let out = serveFlow(&s, p, allocs[p.gpu], vec2<f32>(drawn.arrived, drawn.work), run, key, t, i, i != run.fork && branch == NO_AGENT, nes[p.gpu]);
    // Stored before routing: an agent may route to itself.
    states[k] = s;
    busy = busy || (out.flags & STEP_BUSY) != 0u;
    if (i == run.fork) {
      mf = out.done;
    }
    if (branch != NO_AGENT) {
      done[branch] = out.done;
    }
    for (var e = 0u; e < min(p.routeCount, MAX_SUCCESSORS); e++) {
      if (out.sent[e] != 0.0) {
        addToInbox(run.agentOffset + routeTarget(p, e), t + 1u, out.sent[e]);
      }
    }
  }
  if (run.fork != NO_AGENT) {
    flowForkJoin(run, t, mf, done);
  }
  return busy;
}

@compute @workgroup_size(WORKGROUP_SIZE)
fn simulateFlow(@builtin(global_invocation_id) gid: vec3<u32>) {
  let g = gid.y * params.gridWidth + gid.x;
  if (g >= params.groupCount) {
    return;
  }
  let first = groups[g];
  let members = groups[g + 1u] - first;
  let run = runs[first];
  let n = run.agentCount;
  let r1 = runs[first + min(1u, members - 1u)];
  let r2 = runs[first + min(2u, members - 1u)];
  let r3 = runs[first + min(3u, members - 1u)];
  let key = vec2<u32>(params.seedLo, params.seedHi);
  var mask0: BusyMask;
  var mask1: BusyMask;
  var mask2: BusyMask;
  var mask3: BusyMask;
  for (var t = params.stepBegin; t < params.stepEnd; t++) {
    // Every agent's external draw of step t first, shared by the members (kept in the first member's
    // arrival states, as simulate.wgsl keeps the backlog readers'), then each member's step.
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
    // One call site in a loop, not one per member: four inlined copies of the step would multiply the
    // compile time.
    var busy = 0u;
    for (var m = 0u; m < members; m++) {
      busy |= select(0u, 1u << m, stepFlow(runs[first + m], key, t, run.agentOffset));
    }
    markBusy(&mask0, t, (busy & 1u) != 0u);
    markBusy(&mask1, t, (busy & 2u) != 0u);
    markBusy(&mask2, t, (busy & 4u) != 0u);
    markBusy(&mask3, t, (busy & 8u) != 0u);
  }
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
