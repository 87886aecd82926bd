// Trace-driven arrivals (MODEL-PART4 §4.2). A trace is one count per step, c[0 … L), in `traceCounts`
// at the agent's traceFirst; the agent reads copy c of it from its own offset, drawn once per (fleet,
// replicate, agent) from the setup stream, so C(t) = c[(o + t) mod L]. replay thins C(t) to the
// agent's rate (κ < 1) or sums ⌈κ⌉ copies at independent offsets, each thinned by κ/⌈κ⌉; the other
// counting processes use κ·C(t) as their budget (arrivals.wgsl). CPU twin: src/random/replay.ts.

const MAX_REPLAY_COPIES: u32 = 16u;      // src/random/replay.ts MAX_REPLAY_COPIES
const MAX_REPLAY_STEP_COUNT: u32 = 4096u; // src/random/replay.ts MAX_REPLAY_STEP_COUNT (validated)
const TRACE_OFFSET_STEP: u32 = 1u;        // the setup stream's step field for trace offsets

// Copy `copy`'s offset in [0, span): draw `copy` of the setup stream, by a 32×32-bit high product.
fn traceOffset(key: vec2<u32>, run: Run, i: u32, copy: u32, span: u32) -> u32 {
  var rng = rngStart(key, run.stream, run.replicate, purposeStep(PURPOSE_SETUP, TRACE_OFFSET_STEP), i);
  var x = 0u;
  for (var c = 0u; c <= min(copy, MAX_REPLAY_COPIES); c++) {
    x = rngNextU32(&rng);
  }
  return mulhi32(x, span);
}

// C(t) of the agent's trace read from `offset`.
fn traceCount(p: AgentParams, offset: u32, t: u32) -> u32 {
  return traceCounts[p.traceFirst + (offset + t % p.traceLength) % p.traceLength];
}

// Replayed arrivals at step t: copy 0 from `offset0`, the others from their offsets drawn again.
fn replayArrivals(p: AgentParams, offset0: u32, run: Run, key: vec2<u32>, t: u32, i: u32, rng: ptr<function, Rng>) -> u32 {
  let copies = min(max(1u, u32(ceil(p.kappa))), MAX_REPLAY_COPIES);
  let keep = p.kappa / f32(copies);
  var n = 0u;
  for (var c = 0u; c < copies; c++) {
    var offset = offset0;
    if (c > 0u) {
      offset = traceOffset(key, run, i, c, p.traceSpan);
    }
    let count = min(traceCount(p, offset, t), MAX_REPLAY_STEP_COUNT);
    if (keep >= 1.0) {
      n += count;
      continue;
    }
    for (var k = 0u; k < count; k++) {
      if (u01(rngNextU32(rng)) < keep) {
        n += 1u;
      }
    }
  }
  return n;
}
