// The allocation policies: one section each, the WGSL twins of the entries of POLICIES in
// src/model/policies.ts (f32 here, f64 there). A policy `name` defines
//   fn nameShare(a: Allocation, p: AgentParams, rate: f32, backlog: f32, index: u32, count: u32) -> f32
// and, when it has reduction passes (PolicyDef.passes > 0),
//   fn nameTerm(a: Allocation, level: u32, p: AgentParams, rate: f32, backlog: f32, index: u32, count: u32) -> f32
//     (pass `level`'s term of agent `index` of `count`)
//   fn nameFinish(a: Allocation, level: u32, sum: f32) -> Allocation  (the reduction → the scalars it owns)
// `rate` is the agent's λ̂ at this step (signalOf); `backlog` its B_i = Q_i + a_i this step, read only by
// policies that declare readsBacklog (others may be given 0). The settings are `params` (SimParams).
// The fill policies share clampFill (its section below; CPU twin src/model/clampFill.ts). src/gpu/wgsl.ts generates the POLICY_* ids and the
// policyShare / policyTerm / policyFinish / policy* trait switches that call these from the registry,
// so a policy is this section plus its registry entry; allocate.wgsl and simulateWide.wgsl drive
// the passes (in agent order, or as tree sums).

// ---- static: g_i = G / N.
fn staticShare(a: Allocation, p: AgentParams, rate: f32, backlog: f32, index: u32, count: u32) -> f32 {
  return a.capacity / f32(count);
}

// ---- roundRobin: the whole GPU to agent t mod N (a.turn) at step t.
fn roundRobinShare(a: Allocation, p: AgentParams, rate: f32, backlog: f32, index: u32, count: u32) -> f32 {
  return select(0.0, a.capacity, index == a.turn);
}

// ---- adaptive: the paper's Algorithm 1 on λ̂. Pass 0: D = Σ d_i (scalars[0]); pass 1: the raised
// shares' sum, and scale = G / Σ when it exceeds G, else 1 (scalars[1]). Faithful to the paper, the
// scaling may push shares back below their minimum R_i; with D = 0 every share is 0.

// Adaptive demand d_i = λ̂_i·R_i / P_i.
fn adaptiveDemand(p: AgentParams, rate: f32) -> f32 {
  return (rate * p.R) / p.P;
}

// Algorithm 1 on the demand `d` of one agent (adaptive's or adaptiveQueue's), given D = Σd: pass 0's
// term is d itself; the raised share max(R_i, (d_i / D)·G), before normalisation.
fn algorithm1Raised(p: AgentParams, d: f32, demandTotal: f32, capacity: f32) -> f32 {
  return max(p.R, (d / demandTotal) * capacity);
}

fn algorithm1Term(a: Allocation, level: u32, p: AgentParams, d: f32) -> f32 {
  if (level == 0u) {
    return d;
  }
  return select(0.0, algorithm1Raised(p, d, a.scalars[0], a.capacity), a.scalars[0] > 0.0);
}

fn algorithm1Finish(a: Allocation, level: u32, sum: f32) -> Allocation {
  var b = a;
  if (level == 0u) {
    b.scalars[0] = sum;
  } else {
    b.scalars[1] = select(1.0, a.capacity / sum, sum > a.capacity);
  }
  return b;
}

fn algorithm1Share(a: Allocation, p: AgentParams, d: f32) -> f32 {
  if (a.scalars[0] > 0.0) {
    return algorithm1Raised(p, d, a.scalars[0], a.capacity) * a.scalars[1];
  }
  return 0.0;
}

fn adaptiveTerm(a: Allocation, level: u32, p: AgentParams, rate: f32, backlog: f32, index: u32, count: u32) -> f32 {
  return algorithm1Term(a, level, p, adaptiveDemand(p, rate));
}

fn adaptiveFinish(a: Allocation, level: u32, sum: f32) -> Allocation {
  return algorithm1Finish(a, level, sum);
}

fn adaptiveShare(a: Allocation, p: AgentParams, rate: f32, backlog: f32, index: u32, count: u32) -> f32 {
  return algorithm1Share(a, p, adaptiveDemand(p, rate));
}

// ---- clampFill(w, lo, hi, G): the one routine behind every fill policy (MODEL-PART4 §4.7; the
// passes and scalars are listed in src/model/clampFill.ts, the f64 twin, same operations in the same
// order). 1. Σlo ≥ G: g = lo·G/Σlo. 2. Σh̃ ≤ G (h̃ = hi where w > 0, else lo): g = h̃. 3. Bisect θ over
// [0, max hi/w] FILL_BISECTIONS times on S(θ) = Σclamp(θw, lo, hi), classify at the final midpoint,
// θ* = (G − Σ_low lo − Σ_high hi)/Σ_mid w, g = clamp(θ*·w, lo, hi). A fill policy maps its agent to
// FillBounds and calls fillTerm / fillFinish / fillShare.
// FILL_BISECTIONS and FILL_CLASSIFY (the pass that sums Σ_mid w) are generated (src/gpu/wgsl.ts from src/model/clampFill.ts).
// Allocation.scalars slots: Σlo, Σh̃, the bracket's top and bottom, Σ_mid w, Σ_low lo + Σ_high hi, θ*.
const FILL_SUM_LO: u32 = 0u;
const FILL_SUM_HI: u32 = 1u;
const FILL_TOP: u32 = 2u;
const FILL_BOTTOM: u32 = 3u;
const FILL_MID_W: u32 = 4u;
const FILL_FIXED: u32 = 5u;
const FILL_THETA: u32 = 6u;
const FILL_SCALE: u32 = 7u; // the guard's scale (src/model/clampFill.ts SCALE); FILL_GUARD, its pass, is generated

// One agent's fill inputs: weight, lower and upper bound (GPUs).
struct FillBounds {
  w: f32,
  lo: f32,
  hi: f32,
}

// The bounds as clampFill reads them: hi ≥ 0, lo clipped to [0, hi] (the cap wins), w ≥ 0.
fn fillClip(b: FillBounds) -> FillBounds {
  let hi = max(b.hi, 0.0);
  return FillBounds(max(b.w, 0.0), min(max(b.lo, 0.0), hi), hi);
}

fn fillMidpoint(a: Allocation) -> f32 {
  return 0.5 * (a.scalars[FILL_BOTTOM] + a.scalars[FILL_TOP]);
}

// Step 3 decides the shares: Σlo < G < Σh̃ (known after pass 1).
fn fillBisects(a: Allocation) -> bool {
  return a.scalars[FILL_SUM_LO] < a.capacity && a.scalars[FILL_SUM_HI] > a.capacity;
}

fn fillTerm(a: Allocation, level: u32, bounds: FillBounds) -> f32 {
  // Passes 2 … 34 do nothing unless step 3 is taken.
  if (level >= 2u && !fillBisects(a)) {
    return 0.0;
  }
  let b = fillClip(bounds);
  if (level == 0u) {
    return b.lo;
  }
  if (level == 1u) {
    return select(b.lo, b.hi, b.w > 0.0);
  }
  if (level == 2u) {
    return select(0.0, b.hi / b.w, b.w > 0.0);
  }
  if (level == FILL_GUARD) {
    return clamp(a.scalars[FILL_THETA] * b.w, b.lo, b.hi);
  }
  let x = fillMidpoint(a) * b.w;
  if (level < FILL_CLASSIFY) {
    return clamp(x, b.lo, b.hi);
  }
  let low = x <= b.lo;
  let high = !low && x >= b.hi;
  if (level == FILL_CLASSIFY) {
    return select(b.w, 0.0, low || high);
  }
  return select(select(0.0, b.hi, high), b.lo, low);
}

fn fillFinish(a: Allocation, level: u32, sum: f32) -> Allocation {
  var b = a;
  if (level == 0u) {
    b.scalars[FILL_SUM_LO] = sum;
  } else if (level == 1u) {
    b.scalars[FILL_SUM_HI] = sum;
  } else if (!fillBisects(a)) {
    return b;
  } else if (level == 2u) {
    b.scalars[FILL_TOP] = sum;
  } else if (level < FILL_CLASSIFY) {
    // S(θm) > G: the root lies below θm; else at or above it.
    if (sum > a.capacity) {
      b.scalars[FILL_TOP] = fillMidpoint(a);
    } else {
      b.scalars[FILL_BOTTOM] = fillMidpoint(a);
    }
  } else if (level == FILL_CLASSIFY) {
    b.scalars[FILL_MID_W] = sum;
  } else if (level < FILL_GUARD) {
    b.scalars[FILL_FIXED] = sum;
    // No agent mid: θm itself reproduces the classification through the clamp.
    let theta = select(fillMidpoint(a), (a.capacity - sum) / a.scalars[FILL_MID_W], a.scalars[FILL_MID_W] > 0.0);
    // Outside the final bracket the classification was wrong: the bracket's top (S > G there), which
    // the guard scales down to G.
    b.scalars[FILL_THETA] = select(a.scalars[FILL_TOP], theta, theta >= a.scalars[FILL_BOTTOM] && theta <= a.scalars[FILL_TOP]);
  } else {
    // The guard: a wrong classification at θm can make the clamped fill exceed G; scaled back to G.
    b.scalars[FILL_SCALE] = select(1.0, a.capacity / sum, sum > a.capacity);
  }
  return b;
}

fn fillShare(a: Allocation, bounds: FillBounds) -> f32 {
  let b = fillClip(bounds);
  let sumLo = a.scalars[FILL_SUM_LO];
  if (sumLo >= a.capacity) {
    return select(0.0, (b.lo * a.capacity) / sumLo, sumLo > 0.0);
  }
  if (a.scalars[FILL_SUM_HI] <= a.capacity) {
    return select(b.lo, b.hi, b.w > 0.0);
  }
  return clamp(a.scalars[FILL_THETA] * b.w, b.lo, b.hi) * a.scalars[FILL_SCALE];
}

// ---- adaptiveWaterfill: clampFill with w = d_i (adaptive's demand), lo = R_i·G, hi = U_i.
fn adaptiveWaterfillBounds(p: AgentParams, rate: f32, capacity: f32) -> FillBounds {
  return FillBounds(adaptiveDemand(p, rate), p.R * capacity, p.cap);
}

fn adaptiveWaterfillTerm(a: Allocation, level: u32, p: AgentParams, rate: f32, backlog: f32, index: u32, count: u32) -> f32 {
  return fillTerm(a, level, adaptiveWaterfillBounds(p, rate, a.capacity));
}

fn adaptiveWaterfillFinish(a: Allocation, level: u32, sum: f32) -> Allocation {
  return fillFinish(a, level, sum);
}

fn adaptiveWaterfillShare(a: Allocation, p: AgentParams, rate: f32, backlog: f32, index: u32, count: u32) -> f32 {
  return fillShare(a, adaptiveWaterfillBounds(p, rate, a.capacity));
}

// ---- maxMinFair: clampFill with w = weight_i, lo = 0 (or min(R_i·G, need_i): params.maxMinFloor),
// hi = min(U_i, need_i). need_i = B_i/(T_i·Δt)·NEED_SLACK: the share that clears the backlog this step,
// raised by NEED_SLACK (generated: 1 + 2^-18) so that the service T·g·Δt reaches B_i despite f32
// rounding (src/model/policies.ts `need`).

fn maxMinNeed(p: AgentParams, backlog: f32) -> f32 {
  return (backlog / (p.T * params.dt)) * NEED_SLACK;
}

fn maxMinLower(p: AgentParams, backlog: f32, capacity: f32) -> f32 {
  return select(0.0, min(p.R * capacity, maxMinNeed(p, backlog)), params.maxMinFloor != 0u);
}

fn maxMinUpper(p: AgentParams, backlog: f32) -> f32 {
  return min(p.cap, maxMinNeed(p, backlog));
}

fn maxMinFairBounds(p: AgentParams, backlog: f32, capacity: f32) -> FillBounds {
  return FillBounds(p.weight, maxMinLower(p, backlog, capacity), maxMinUpper(p, backlog));
}

fn maxMinFairTerm(a: Allocation, level: u32, p: AgentParams, rate: f32, backlog: f32, index: u32, count: u32) -> f32 {
  return fillTerm(a, level, maxMinFairBounds(p, backlog, a.capacity));
}

fn maxMinFairFinish(a: Allocation, level: u32, sum: f32) -> Allocation {
  return fillFinish(a, level, sum);
}

fn maxMinFairShare(a: Allocation, p: AgentParams, rate: f32, backlog: f32, index: u32, count: u32) -> f32 {
  return fillShare(a, maxMinFairBounds(p, backlog, a.capacity));
}

// ---- timeSlice: the backlogged agents (B_i > 0) split (1 − η)·G equally. Pass 0 counts them (scalars[0]).
fn timeSliceTerm(a: Allocation, level: u32, p: AgentParams, rate: f32, backlog: f32, index: u32, count: u32) -> f32 {
  return select(0.0, 1.0, backlog > 0.0);
}

fn timeSliceFinish(a: Allocation, level: u32, sum: f32) -> Allocation {
  var b = a;
  b.scalars[0] = sum;
  return b;
}

fn timeSliceShare(a: Allocation, p: AgentParams, rate: f32, backlog: f32, index: u32, count: u32) -> f32 {
  return select(0.0, ((1.0 - params.sliceOverhead) * a.capacity) / a.scalars[0], backlog > 0.0);
}

// ---- fixedShares (MIG): g_i = k_i·G/7, constant; unused slices are not shared.
// MIG_SLICES (7) is generated (src/gpu/wgsl.ts from src/model/batch.ts).

fn fixedSharesShare(a: Allocation, p: AgentParams, rate: f32, backlog: f32, index: u32, count: u32) -> f32 {
  return (p.slices * a.capacity) / MIG_SLICES;
}

// ---- mps: max–min fair with equal weights, capped at U_i (the MPS active-thread cap) and the need.
fn mpsBounds(p: AgentParams, backlog: f32, capacity: f32) -> FillBounds {
  return FillBounds(1.0, maxMinLower(p, backlog, capacity), maxMinUpper(p, backlog));
}

fn mpsTerm(a: Allocation, level: u32, p: AgentParams, rate: f32, backlog: f32, index: u32, count: u32) -> f32 {
  return fillTerm(a, level, mpsBounds(p, backlog, a.capacity));
}

fn mpsFinish(a: Allocation, level: u32, sum: f32) -> Allocation {
  return fillFinish(a, level, sum);
}

fn mpsShare(a: Allocation, p: AgentParams, rate: f32, backlog: f32, index: u32, count: u32) -> f32 {
  return fillShare(a, mpsBounds(p, backlog, a.capacity));
}

// ---- roundRobinSkipIdle: the whole G to the first backlogged agent at or after agent t mod N,
// cyclically. Pass 0 (a max pass) finds the largest key N − ((i − turn) mod N) of a backlogged agent
// (0 for the others; exact in f32 for N ≤ 2^24) into scalars[0]; 0: nobody backlogged, all shares 0.
fn skipIdleKey(a: Allocation, backlog: f32, index: u32, count: u32) -> f32 {
  return select(0.0, f32(count - (index + count - a.turn) % count), backlog > 0.0);
}

fn roundRobinSkipIdleTerm(a: Allocation, level: u32, p: AgentParams, rate: f32, backlog: f32, index: u32, count: u32) -> f32 {
  return skipIdleKey(a, backlog, index, count);
}

fn roundRobinSkipIdleFinish(a: Allocation, level: u32, sum: f32) -> Allocation {
  var b = a;
  b.scalars[0] = sum;
  return b;
}

fn roundRobinSkipIdleShare(a: Allocation, p: AgentParams, rate: f32, backlog: f32, index: u32, count: u32) -> f32 {
  return select(0.0, a.capacity, a.scalars[0] > 0.0 && skipIdleKey(a, backlog, index, count) == a.scalars[0]);
}

// ---- adaptiveQueue: Algorithm 1 on d_i = (λ̂_i + B_i/τ)·R_i/P_i, τ = params.queueTau (+∞: adaptive).
fn adaptiveQueueDemand(p: AgentParams, rate: f32, backlog: f32) -> f32 {
  return ((rate + backlog / params.queueTau) * p.R) / p.P;
}

fn adaptiveQueueTerm(a: Allocation, level: u32, p: AgentParams, rate: f32, backlog: f32, index: u32, count: u32) -> f32 {
  return algorithm1Term(a, level, p, adaptiveQueueDemand(p, rate, backlog));
}

fn adaptiveQueueFinish(a: Allocation, level: u32, sum: f32) -> Allocation {
  return algorithm1Finish(a, level, sum);
}

fn adaptiveQueueShare(a: Allocation, p: AgentParams, rate: f32, backlog: f32, index: u32, count: u32) -> f32 {
  return algorithm1Share(a, p, adaptiveQueueDemand(p, rate, backlog));
}
