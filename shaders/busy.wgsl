// busySum's bookkeeping, shared by the simulate kernels: a run's step is busy when some agent of the
// run has backlog B_t = Q_{t−1} + a_t > 0 after the step's arrivals (src/model/metrics.ts TOTALS). The
// kernels' fixed-allocation paths advance one agent through all of a dispatch's steps before the next,
// so no step's flag is complete until every agent has run: each run ORs its agents' flags into a
// private mask, one bit per step of the dispatch (MAX_DISPATCH_STEPS, bounded by the engine), and
// counts it once at the dispatch's end into its agent 0's busySum. Exact: bits, then an integer count.
// CPU twin: the chunk's busy flags in src/cpu/engine.ts.

// Words of the mask: bit j of word j / 32 is step stepBegin + j (j mod 32 within its word).
const BUSY_WORDS: u32 = MAX_DISPATCH_STEPS / 32u;
alias BusyMask = array<u32, BUSY_WORDS>;

// Sets step t's bit when `busy`.
fn markBusy(mask: ptr<function, BusyMask>, t: u32, busy: bool) {
  let j = t - params.stepBegin;
  (*mask)[j >> 5u] |= select(0u, 1u << (j & 31u), busy);
}

// ORs `bits`, the flags of steps t0 … t0 + 31 (bit t − t0), into the mask; t0 − stepBegin is a
// multiple of 32. The fixed paths build each word in a register and store it once per 32 steps.
fn markBusyWord(mask: ptr<function, BusyMask>, t0: u32, bits: u32) {
  (*mask)[(t0 - params.stepBegin) >> 5u] |= bits;
}

// The steps whose bit is set.
fn busySteps(mask: BusyMask) -> u32 {
  var steps = 0u;
  for (var w = 0u; w < BUSY_WORDS; w++) {
    steps += countOneBits(mask[w]);
  }
  return steps;
}

// Adds `steps` busy steps to the busySum of the run whose agent 0 is states[k] (a Kahan pair like the
// other totals, so the count stays exact past 2^24 steps).
fn recordBusy(k: u32, steps: u32) {
  if (steps > 0u) {
    let b = kahanAdd(vec2<f32>(states[k].busySum, states[k].busyComp), f32(steps), params.opaqueZero);
    states[k].busySum = b.x;
    states[k].busyComp = b.y;
  }
}
