// The workflow step for large fleets (MODEL-PART4 §4.6; the step itself is workflow.wgsl's): one
// workgroup advances one fleet run through steps [stepBegin, stepEnd), every agent per step. Per step
// each invocation draws its agents' external arrivals, the run allocates (allocateWide: the backlogs
// read the inboxes), each invocation serves its agents and leaves their completions and per-edge counts
// in `terms`, and invocation 0 routes them into the inboxes (flowRouteSerial). Its own entry point and
// pipeline, as simulateFlow.wgsl is for the narrow kernel; built with simulateWide.wgsl before it.
// CPU twin: src/cpu/workflow.ts.

// The workflow path's outboxes in `terms` (free between the allocation's last read and the next step):
// edge e of the run's fleet (counted from its agent 0's first edge: a fleet's edges are contiguous, in
// agent order) at [e], below MAX_WORKFLOW_EDGES, and agent i's completions m_i at
// [MAX_WORKFLOW_EDGES + i]; MAX_WORKFLOW_EDGES + MAX_WORKFLOW_AGENTS ≤ MAX_WIDE_AGENTS (checked by
// test/gpu-workflow.test.ts).

// The index in `terms` of agent p's first edge (of `run`'s fleet).
fn flowEdge(run: Run, p: AgentParams) -> u32 {
  return (p.routeOffset - agents[run.agentOffset].routeOffset) / ROUTE_WORDS;
}

// Invocation 0's routing pass of step t: each agent's per-edge counts (forks and branches send none)
// into the targets' inboxes for t + 1, in agent then edge order (the narrow kernel's: fluid sums
// round alike), then the fork-join from the completions. O(N + E), one invocation: no atomics.
fn flowRouteSerial(run: Run, t: u32) {
  for (var i = 0u; i < run.agentCount; i++) {
    let p = agents[run.agentOffset + i];
    let e0 = flowEdge(run, p);
    for (var e = 0u; e < min(p.routeCount, MAX_SUCCESSORS); e++) {
      let x = terms[e0 + e];
      if (x != 0.0) {
        addToInbox(run.agentOffset + routeTarget(p, e), t + 1u, x);
      }
    }
  }
  if (run.fork != NO_AGENT) {
    let f = agents[run.agentOffset + run.fork];
    var done: array<f32, MAX_SUCCESSORS>;
    for (var e = 0u; e < min(f.routeCount, MAX_SUCCESSORS); e++) {
      done[e] = terms[MAX_WORKFLOW_EDGES + routeTarget(f, e)];
    }
    flowForkJoin(run, t, terms[MAX_WORKFLOW_EDGES + run.fork], done);
  }
}

// Invocation 0's admission of step t (lifecycleStep) or, without the lifecycle, the ranks on each GPU
// (gpuRanks); each GPU g's eligible agents n_e,g into terms[g], exact in f32. A function of its own:
// its `counted` starts at zero on every call (a `var` without initializer in the kernel's step loop
// was zeroed once per invocation on lavapipe, not per step: the counts ran on from step to step).
fn flowRanksSerial(run: Run, t: u32) {
  var counted: array<u32, MAX_GPUS>;
  if (params.lifecycle != 0u) {
    lifecycleStep(run, t, run.agentOffset, &counted);
  } else {
    gpuRanks(run, &counted);
  }
  for (var g = 0u; g < max(run.gpus, 1u); g++) {
    terms[g] = f32(counted[g]);
  }
}

// allocateWide() on the workflow path (simulateWideFlow.wgsl) for GPU `gpu` of the run, as
// allocateFlow() for the narrow kernel: with the lifecycle on over the eligible agents (`rank`, from
// lifecycleStep), with several GPUs over GPU `gpu`'s agents (an agent ineligible or on another GPU
// has term 0, which leaves a sum or a max from 0 as it was), N = ne, turn = t mod ne, at the GPU's
// capacity; with neither, the same terms as allocateWide(). One call site, and the plain wide kernel
// never calls it.
fn allocateWideFlow(run: Run, t: u32, lid: u32, ne: u32, gpu: u32) -> Allocation {
  var a = allocationBase(run, t);
  a.turn = t % max(ne, 1u);
  let ranked = params.lifecycle != 0u || run.gpus > 1u;
  let n = run.agentCount;
  let passes = policyPasses(run.policy);
  let readsBacklog = policyReadsBacklog(run.policy);
  for (var level = 0u; level < passes; level++) {
    for (var i = lid; i < n; i += WORKGROUP_SIZE) {
      let k = run.agentOffset + i;
      let rank = select(i, states[k].rank, ranked);
      var term = 0.0;
      if (rank != NO_AGENT && agents[k].gpu == gpu) {
        var backlog = 0.0;
        if (readsBacklog) {
          backlog = agentBacklog(k, k, t);
        }
        term = policyTerm(a, level, agents[k], signalRate(k, t), backlog, rank, ne);
      }
      terms[i] = term;
    }
    let useMax = level < 32u && ((policyMaxPasses(run.policy) >> level) & 1u) != 0u;
    let r = treeSum(n, lid, useMax);
    a = policyFinish(a, level, select(r, max(r, 0.0), useMax));
  }
  return a;
}

@compute @workgroup_size(WORKGROUP_SIZE)
fn simulateWideFlow(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let r = wid.y * params.gridWidth + wid.x;
  if (r >= params.runCount) {
    return;
  }
  let run = runs[r];
  let key = vec2<u32>(params.seedLo, params.seedHi);
  var mask: BusyMask;
  let routes = (run.flow & RUN_FLOW_ROUTES) != 0u;
  for (var t = params.stepBegin; t < params.stepEnd; t++) {
    for (var i = lid; i < run.agentCount; i += WORKGROUP_SIZE) {
      let k = run.agentOffset + i;
      var a = arrivalStates[k];
      let arrival = arrive(agents[k], &a, run, key, t, i);
      a.arrived = arrival.x;
      a.work = arrival.y;
      arrivalStates[k] = a;
    }
    // The lifecycle's admission (lifecycle.wgsl) by invocation 0 between barriers, as flowRouteSerial:
    // every invocation's draws and its agents' last step in storage before, the phases and ranks after;
    // with several GPUs (src/model/placement.ts) and no lifecycle, the ranks on each GPU (gpuRanks).
    let gpus = max(run.gpus, 1u);
    var nes: array<u32, MAX_GPUS>;
    nes[0] = run.agentCount;
    if (params.lifecycle != 0u || gpus > 1u) {
      storageBarrier();
      workgroupBarrier();
      // Each GPU's n_e through terms[g] (free here; workgroup memory has no room for another variable).
      if (lid == 0u) {
        flowRanksSerial(run, t);
      }
      storageBarrier();
      for (var g = 0u; g < gpus; g++) {
        nes[g] = u32(workgroupUniformLoad(&terms[g]));
      }
    }
    // Each GPU's allocation over its agents, GPU 0 first (uniform: every invocation, every GPU); a pool's one.
    var allocs: array<Allocation, MAX_GPUS>;
    for (var g = 0u; g < allocationGroups(run); g++) {
      allocs[g] = allocateWideFlow(run, t, lid, nes[g], g);
    }
    var busy = false;
    for (var i = lid; i < run.agentCount; i += WORKGROUP_SIZE) {
      let k = run.agentOffset + i;
      let p = agents[k];
      let drawn = arrivalStates[k];
      let branch = branchIndex(run, i);
      var s = states[k];
      let out = serveFlow(&s, p, allocs[p.gpu], vec2<f32>(drawn.arrived, drawn.work), run, key, t, i, i != run.fork && branch == NO_AGENT, nes[p.gpu]);
      states[k] = s;
      busy = busy || (out.flags & STEP_BUSY) != 0u;
      if (routes) {
        terms[MAX_WORKFLOW_EDGES + i] = out.done;
        let e0 = flowEdge(run, p);
        for (var e = 0u; e < min(p.routeCount, MAX_SUCCESSORS); e++) {
          terms[e0 + e] = out.sent[e];
        }
      }
    }
    markBusy(&mask, t, busy);
    if (routes) {
      // Every agent's state and outbox written before invocation 0 routes; its inbox writes before
      // the next step's allocation reads them (and `terms` is free again).
      storageBarrier();
      workgroupBarrier();
      if (lid == 0u) {
        flowRouteSerial(run, t);
      }
      storageBarrier();
      workgroupBarrier();
    }
  }
  recordBusyWide(run, lid, mask);
}
