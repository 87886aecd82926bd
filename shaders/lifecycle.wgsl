// The serverless lifecycle and GPU memory (MODEL-PART4 §4.3–4.4) on the workflow kernels: the steps of
// src/model/lifecycle.ts's header that come before the allocation — 0 start (step 0), 1 expire,
// 3 admit (load slots, memory, eviction), 4 count, 5 eligible — for one run, by one invocation (the
// narrow kernel's, or the wide kernel's invocation 0 between barriers, as flowRouteSerial). Steps 6–8
// (allocate over the eligible agents, process by phase, record) are allocateFlow / allocateWideFlow and
// serveFlow's. Every decision is u32 arithmetic on the host's integers (SimParams.keepSteps,
// loadSlots, capacityMB; AgentParams.memoryMB, loadSteps, pinned) plus the tests B > 0, so the phases
// are the CPU's exactly. CPU twin: src/cpu/lifecycle.ts (LifecycleState), operation for operation.
// Only the workflow kernels hold this file (SIMULATE_FLOW_KERNEL, SIMULATE_WIDE_FLOW_KERNEL), and
// each calls lifecycleStep once: the plain kernels never see it.
//
// State per agent-run (AgentState): phase, idle, loadLeft, wait, lastShare, `home` (the GPU holding
// its model: its placed GPU, or in a pool where it was last loaded), and the step's `rank` (its index
// among its GPU's eligible agents, NO_AGENT when ineligible: what the allocation and serveFlow read);
// per GPU, in its first agent's state (agent 0 with one GPU): memoryUsed (MB held; not in a pool); per
// run, in its agent 0's: memoryPeak. Several GPUs (src/model/placement.ts, AgentParams.gpu, Run.gpus):
// everything per GPU as its header's step says; one GPU is the single-GPU step exactly. A pool of GPUs
// (src/model/pool.ts, RUN_FLOW_POOL; every AgentParams.gpu is 0): memory per GPU derived each step from
// the phases and homes, one admission for the whole fleet, each load to poolTarget's GPU.

// A pool's GPU for a load (src/model/pool.ts poolTarget): among GPUs 0 … gpus − 1 (only those with a
// free load slot when `needsSlot`), the one with the least MB used (the most free: the GPUs are alike),
// ties to the lower index; NO_AGENT when none qualifies.
fn poolTarget(used: array<u32, MAX_GPUS>, loading: array<u32, MAX_GPUS>, gpus: u32, needsSlot: bool) -> u32 {
  var best = NO_AGENT;
  for (var k = 0u; k < gpus; k++) {
    if (needsSlot && params.loadSlots != NO_LIMIT && loading[k] >= params.loadSlots) {
      continue;
    }
    if (best == NO_AGENT || used[k] < used[best]) {
      best = k;
    }
  }
  return best;
}

// Step 0: every agent idle = loadLeft = wait = 0, lastShare = (its GPU's capacity)/(agents on that
// GPU) (G/N with one GPU or a pool), phase initialPhase; under a memory limit with initialPhase WARM, on
// each GPU the pinned agents WARM first, then its other agents in index order until one does not fit,
// which and every later one of that GPU start COLD. Each GPU's memoryUsed = Σ m_i of its resident
// agents, held by its first agent (the lowest index on it; agent 0 with one GPU). `home` = its GPU. In a
// pool (src/model/pool.ts "Start") each WARM agent, the pinned first, goes to poolTarget's GPU (home),
// and the first other agent that does not fit there and every later one start COLD (home 0).
fn lifecycleStart(run: Run) {
  let n = run.agentCount;
  let a0 = run.agentOffset;
  let warm = params.initialPhase == PHASE_WARM;
  let pool = (run.flow & RUN_FLOW_POOL) != 0u;
  var used: array<u32, MAX_GPUS>;
  var none: array<u32, MAX_GPUS>; // a pool's start needs no load slot
  var count: array<u32, MAX_GPUS>; // n_k
  for (var i = 0u; i < n; i++) {
    let k = a0 + i;
    let pinned = warm && agents[k].pinned != 0u;
    var g = agents[k].gpu;
    if (pool && pinned) {
      g = poolTarget(used, none, run.gpus, false);
    }
    states[k].home = g;
    states[k].phase = select(PHASE_COLD, PHASE_WARM, pinned);
    used[g] += select(0u, agents[k].memoryMB, pinned);
    count[agents[k].gpu] += 1u;
    states[k].idle = 0u;
    states[k].loadLeft = 0u;
    states[k].wait = 0u;
  }
  // Bit g set once an agent of GPU g did not fit (every GPU's when the agents start COLD, or in a pool).
  var full = select(0xffffffffu, 0u, warm);
  for (var i = 0u; i < n; i++) {
    let k = a0 + i;
    if (agents[k].pinned != 0u || (full & (1u << agents[k].gpu)) != 0u) {
      continue;
    }
    var g = agents[k].gpu;
    if (pool) {
      g = poolTarget(used, none, run.gpus, false);
    }
    let m = agents[k].memoryMB;
    if (params.capacityMB != NO_LIMIT && used[g] + m > params.capacityMB) {
      full |= select(1u << g, 0xffffffffu, pool);
    } else {
      states[k].phase = PHASE_WARM;
      states[k].home = g;
      used[g] += m;
    }
  }
  var held = 0u; // bit g: GPU g's first agent met
  for (var i = 0u; i < n; i++) {
    let k = a0 + i;
    let g = agents[k].gpu;
    states[k].lastShare = run.capacity / f32(count[g]);
    if ((held & (1u << g)) == 0u) {
      held |= 1u << g;
      states[k].memoryUsed = used[g];
    }
  }
  states[a0].memoryPeak = 0.0;
}

// Whether the evictable agent j comes before agent v in the eviction order (EVICTION_RULES): lru largest
// idle, then larger m; lowestPriority largest P, then largest idle; largestFirst larger m, then largest
// idle (ties to the lower index: the caller scans in index order and replaces only on `true`).
fn evictsFirst(j: u32, v: u32) -> bool {
  let idleJ = states[j].idle;
  let idleV = states[v].idle;
  let mJ = agents[j].memoryMB;
  let mV = agents[v].memoryMB;
  if (params.evict == EVICT_LRU) {
    return idleJ > idleV || (idleJ == idleV && mJ > mV);
  }
  if (params.evict == EVICT_LOWEST_PRIORITY) {
    let pJ = agents[j].P;
    let pV = agents[v].P;
    return pJ > pV || (pJ == pV && idleJ > idleV);
  }
  return mJ > mV || (mJ == mV && idleJ > idleV);
}

// Adds x to the Kahan pair `pair` of a total when the step is recorded (`on`), as recordWith does.
fn lifecycleAdd(pair: vec2<f32>, x: f32, on: bool) -> vec2<f32> {
  return kahanAdd(pair, select(0.0, x, on), params.opaqueZero);
}

// Steps 0–5 of `run`'s step t: the step's external draws are in arrivalStates[d + i] (d: the fleet
// replicate's copy, as allocate() reads them), the inboxes for t still in the states. Sets every
// agent's phase and `rank` (its index among its GPU's eligible agents) and each GPU's memory, adds the
// lifecycle totals of the admission (cold starts, evictions, waits, cold hits and their delay; the
// run's memory, resident and memory-bound steps) on recorded steps, and counts each GPU g's eligible
// agents into nes[g] (zero on entry). Several GPUs (src/model/placement.ts): expire and count per agent
// as with one; the admission GPU by GPU, g = 0 … n_G − 1, each over its own agents, memory used_g (held
// between steps by its first agent), load slots and MAX_EVICTIONS_PER_STEP; memoryBound if any GPU's
// stopped for memory; the records Σ_g used_g, the fullest GPU's peak, and the GPUs with a resident agent.
// A pool (src/model/pool.ts; every agent's AgentParams.gpu is 0, so "GPU 0's agents" are the fleet):
// used_k and loading_k derived after the expiry from the phases and homes; one admission, each
// candidate to poolTarget's GPU k* (none: stop), evicting among the agents at home on k*
// (MAX_EVICTIONS_PER_STEP over the fleet); the resident GPUs by home.
fn lifecycleStep(run: Run, t: u32, d: u32, nes: ptr<function, array<u32, MAX_GPUS>>) {
  let n = run.agentCount;
  let a0 = run.agentOffset;
  let gpus = max(run.gpus, 1u);
  let on = t >= params.warmup;
  let capacity = params.capacityMB;
  let pool = (run.flow & RUN_FLOW_POOL) != 0u;
  if (t == 0u) {
    lifecycleStart(run);
  }
  // Each GPU's memory (from its first agent) and loads in flight.
  var used: array<u32, MAX_GPUS>;
  var loading: array<u32, MAX_GPUS>;
  var first: array<u32, MAX_GPUS>;
  var held = 0u; // bit g: GPU g's first agent met
  // 1. Expire (on Q before the step's arrivals) and count the loads in flight.
  for (var i = 0u; i < n; i++) {
    let k = a0 + i;
    let g = agents[k].gpu;
    if ((held & (1u << g)) == 0u) {
      held |= 1u << g;
      first[g] = k;
      used[g] = states[k].memoryUsed;
    }
    let phase = states[k].phase;
    if (phase == PHASE_WARM && states[k].idle >= params.keepSteps && states[k].queue == 0.0 && agents[k].pinned == 0u) {
      states[k].phase = PHASE_COLD;
      if (!pool) {
        used[g] -= agents[k].memoryMB;
      }
      states[k].idle = 0u;
    }
    loading[g] += select(0u, 1u, phase == PHASE_LOADING);
  }
  if (pool) {
    // A pool keeps no per-GPU state: each GPU's MB and loads from the agents at home on it.
    for (var g = 0u; g < MAX_GPUS; g++) {
      used[g] = 0u;
      loading[g] = 0u;
    }
    for (var i = 0u; i < n; i++) {
      let k = a0 + i;
      let phase = states[k].phase;
      let home = states[k].home;
      used[home] += select(agents[k].memoryMB, 0u, phase == PHASE_COLD);
      loading[home] += select(0u, 1u, phase == PHASE_LOADING);
    }
  }
  // 3. Admit, GPU by GPU (a pool: once, over the fleet): the COLD agent with work of lowest P, then
  // longest wait, then lowest index, while a load slot is free (a pool: on some GPU, the one with the
  // most free memory, k*) and (under a memory limit) evicting idle agents of its GPU makes
  // room; head of line.
  var bound = false;
  for (var g = 0u; g < select(gpus, 1u, pool); g++) {
    var evicted = 0u;
    loop {
      var c = NO_AGENT;
      for (var i = 0u; i < n; i++) {
        let k = a0 + i;
        if (agents[k].gpu != g || states[k].phase != PHASE_COLD || !(agentBacklog(k, d + i, t) > 0.0)) {
          continue;
        }
        if (c == NO_AGENT) {
          c = i;
          continue;
        }
        let pI = agents[k].P;
        let pC = agents[a0 + c].P;
        if (pI < pC || (pI == pC && states[k].wait > states[a0 + c].wait)) {
          c = i;
        }
      }
      if (c == NO_AGENT) {
        break;
      }
      let kc = a0 + c;
      let mc = agents[kc].memoryMB;
      let load = agents[kc].loadSteps;
      // Its GPU: g when a load slot is free there (or it needs none); in a pool poolTarget's.
      var onGpu = g;
      if (pool) {
        onGpu = poolTarget(used, loading, gpus, load > 0u);
      } else if (load > 0u && params.loadSlots != NO_LIMIT && loading[g] >= params.loadSlots) {
        onGpu = NO_AGENT;
      }
      if (onGpu == NO_AGENT) {
        break;
      }
      let usedG = used[onGpu];
      if (capacity != NO_LIMIT && usedG + mc > capacity) {
        // The victims in the eviction order (its GPU's: WARM, so `home` is theirs), at most
        // MAX_EVICTIONS_PER_STEP a step, until c fits.
        var taken: array<u32, MAX_EVICTIONS_PER_STEP>;
        var count = 0u;
        var freed = 0u;
        while (usedG - freed + mc > capacity && count < MAX_EVICTIONS_PER_STEP - evicted) {
          var v = NO_AGENT;
          for (var j = 0u; j < n; j++) {
            let kj = a0 + j;
            if (states[kj].home != onGpu || states[kj].phase != PHASE_WARM || agentBacklog(kj, d + j, t) > 0.0 || agents[kj].pinned != 0u) {
              continue;
            }
            var seen = false;
            for (var q = 0u; q < count; q++) {
              seen = seen || taken[q] == j;
            }
            if (!seen && (v == NO_AGENT || evictsFirst(kj, a0 + v))) {
              v = j;
            }
          }
          if (v == NO_AGENT) {
            break;
          }
          taken[count] = v;
          count++;
          freed += agents[a0 + v].memoryMB;
        }
        if (usedG - freed + mc > capacity) {
          bound = true;
          break;
        }
        // Evicted in the order taken (the CPU's pass goes in index order: u32 and per-agent sums, alike).
        for (var q = 0u; q < count; q++) {
          let kj = a0 + taken[q];
          states[kj].phase = PHASE_COLD;
          used[onGpu] -= agents[kj].memoryMB;
          states[kj].idle = 0u;
          let e = lifecycleAdd(vec2<f32>(states[kj].evictionSum, states[kj].evictionComp), 1.0, on);
          states[kj].evictionSum = e.x;
          states[kj].evictionComp = e.y;
        }
        evicted += count;
      }
      used[onGpu] += mc;
      states[kc].home = onGpu;
      let s = lifecycleAdd(vec2<f32>(states[kc].coldStartSum, states[kc].coldStartComp), 1.0, on);
      states[kc].coldStartSum = s.x;
      states[kc].coldStartComp = s.y;
      states[kc].wait = 0u;
      if (load > 0u) {
        states[kc].phase = PHASE_LOADING;
        states[kc].loadLeft = load;
        loading[onGpu] += 1u;
      } else {
        // Admitted WARM at once: its arrivals met it COLD, with no load time left (step 4's L = 0).
        states[kc].phase = PHASE_WARM;
        states[kc].idle = 0u;
        let a = arrivalStates[d + c].arrived + inboxAt(states[kc], t);
        let hit = lifecycleAdd(vec2<f32>(states[kc].coldHitSum, states[kc].coldHitComp), a, on);
        states[kc].coldHitSum = hit.x;
        states[kc].coldHitComp = hit.y;
        let delay = lifecycleAdd(vec2<f32>(states[kc].coldDelaySum, states[kc].coldDelayComp), (a * 0.0) * params.dt, on);
        states[kc].coldDelaySum = delay.x;
        states[kc].coldDelayComp = delay.y;
      }
    }
  }
  // The waits, 4. count (an agent LOADING or COLD now was COLD or LOADING before the admission, or
  // was evicted with nothing arriving: a = 0), 5. the eligible agents' ranks on their GPU.
  var resident = 0u; // bit g: GPU g has a LOADING or WARM agent
  for (var i = 0u; i < n; i++) {
    let k = a0 + i;
    let g = agents[k].gpu;
    let phase = states[k].phase;
    let home = states[k].home;
    let backlog = agentBacklog(k, d + i, t);
    if (phase == PHASE_COLD && backlog > 0.0) {
      states[k].wait += 1u;
      let w = lifecycleAdd(vec2<f32>(states[k].waitStepSum, states[k].waitStepComp), 1.0, on);
      states[k].waitStepSum = w.x;
      states[k].waitStepComp = w.y;
    }
    if (phase != PHASE_WARM) {
      let a = arrivalStates[d + i].arrived + inboxAt(states[k], t);
      let left = select(agents[k].loadSteps, states[k].loadLeft, phase == PHASE_LOADING);
      let hit = lifecycleAdd(vec2<f32>(states[k].coldHitSum, states[k].coldHitComp), a, on);
      states[k].coldHitSum = hit.x;
      states[k].coldHitComp = hit.y;
      let delay = lifecycleAdd(vec2<f32>(states[k].coldDelaySum, states[k].coldDelayComp), (a * f32(left)) * params.dt, on);
      states[k].coldDelaySum = delay.x;
      states[k].coldDelayComp = delay.y;
    }
    resident |= select(0u, 1u << home, phase != PHASE_COLD);
    let eligible = params.eligible == ELIGIBLE_ALL || (phase == PHASE_WARM && (params.eligible == ELIGIBLE_WARM || backlog > 0.0));
    states[k].rank = select(NO_AGENT, (*nes)[g], eligible);
    (*nes)[g] += select(0u, 1u, eligible);
  }
  // Each GPU's memory after the admissions, back in its first agent; the run's records (agent 0): MB on
  // all the GPUs, the fullest one's peak.
  var sum = 0u;
  var most = 0u;
  for (var g = 0u; g < gpus; g++) {
    if (!pool && (held & (1u << g)) != 0u) {
      states[first[g]].memoryUsed = used[g];
    }
    sum += used[g];
    most = max(most, used[g]);
  }
  let mem = lifecycleAdd(vec2<f32>(states[a0].memorySum, states[a0].memoryComp), f32(sum), on);
  states[a0].memorySum = mem.x;
  states[a0].memoryComp = mem.y;
  if (on) {
    states[a0].memoryPeak = max(states[a0].memoryPeak, f32(most));
  }
  let res = lifecycleAdd(vec2<f32>(states[a0].residentRunStepSum, states[a0].residentRunStepComp), f32(countOneBits(resident)), on);
  states[a0].residentRunStepSum = res.x;
  states[a0].residentRunStepComp = res.y;
  let mb = lifecycleAdd(vec2<f32>(states[a0].memoryBoundStepSum, states[a0].memoryBoundStepComp), select(0.0, 1.0, bound), on);
  states[a0].memoryBoundStepSum = mb.x;
  states[a0].memoryBoundStepComp = mb.y;
}
