/**
 * The CPU engine's WebAssembly kernel (AssemblyScript, built by `npm run build:wasm` into
 * dist/src/cpu/wasm/kernel.wasm): the exact twin of the JavaScript hot loop of src/cpu/engine.ts for
 * the parts where native 64-bit integer products pay (Philox4x32-10: one i64.mul per 32×32→64-bit
 * product, where JavaScript spends four double-precision operations), and for the serve loop (f64,
 * IEEE-754 like JavaScript's numbers, the same operations in the same order, so the same bits).
 *
 * No allocator and no runtime (`--runtime stub`, nothing allocated): the caller (src/cpu/wasm/kernel.ts)
 * lays its buffers out in linear memory above `heapBase()` and passes their addresses. Word layouts
 * are the JavaScript ones: an expanded Philox key is KEY_WORDS u32 (src/random/philox.ts philoxKey),
 * a prefix PREFIX_WORDS u32 (philoxPrefix), a Poisson table the packed u32 words of
 * src/random/poissonTable.ts.
 */

const M0: u64 = 0xd2511f53;
const M1: u64 = 0xcd9e8d57;
const PREFIX_BYTES: usize = 20; // PREFIX_WORDS u32
const KEY_WORDS: u32 = 20;
/** serve's `signal`: how λ̂ is updated after each step (0: it is not; src/cpu/wasm/kernel.ts SERVE_SIGNAL). */
const SERVE_SIGNAL_OBSERVED: i32 = 1;
const SERVE_SIGNAL_EMA: i32 = 2;
/** serve's `violationMode` (src/cpu/wasm/kernel.ts VIOLATION). */
const VIOLATION_NONE: i32 = 0;
const VIOLATION_BELOW: i32 = 1;
/** u01's scale: 2^-24 (src/random/philox.ts u01). */
const TWO_M24: f32 = 5.9604644775390625e-8;

/** Where the caller's buffers may start: the end of the kernel's static data. */
export function heapBase(): usize {
  return __heap_base;
}

/** philoxPrefix (src/random/philox.ts): rounds 0–2 of Philox for (stream, replicate, step, ·), 5 words at `out`. */
export function philoxPrefix(key: usize, stream: u32, replicate: u32, step: u32, out: usize): void {
  const p0 = <u64>stream * M0;
  const p1 = <u64>step * M1;
  const a0 = (<u32>(p1 >> 32)) ^ replicate ^ load<u32>(key);
  const p0b = <u64>a0 * M0;
  const b2 = (<u32>(p0b >> 32)) ^ (<u32>p0) ^ load<u32>(key, 12);
  const p1c = <u64>b2 * M1;
  store<u32>(out, (<u32>(p0 >> 32)) ^ load<u32>(key, 4));
  store<u32>(out, (<u32>p1) ^ load<u32>(key, 8), 4);
  store<u32>(out, (<u32>(p1c >> 32)) ^ load<u32>(key, 16), 8);
  store<u32>(out, <u32>p1c, 12);
  store<u32>(out, (<u32>p0b) ^ load<u32>(key, 20), 16);
}

/** The prefixes of steps [t0, t1) of (stream, replicate), PREFIX_WORDS each from `out`. */
export function philoxPrefixes(key: usize, stream: u32, replicate: u32, t0: u32, t1: u32, out: usize): void {
  for (let t = t0; t < t1; t++) philoxPrefix(key, stream, replicate, t, out + <usize>(t - t0) * PREFIX_BYTES);
}

/** philoxBlock (src/random/philox.ts): the block for counter word 3 = `word3` from the prefix at `prefix`; 4 words at `out`. */
export function philoxBlock(key: usize, prefix: usize, word3: u32, out: usize): void {
  const pa = <u64>(load<u32>(prefix) ^ word3) * M1;
  const b0 = (<u32>(pa >> 32)) ^ load<u32>(prefix, 4);
  const pb = <u64>b0 * M0;
  let c0 = load<u32>(prefix, 8) ^ (<u32>pa);
  let c1 = load<u32>(prefix, 12);
  let c2 = (<u32>(pb >> 32)) ^ load<u32>(prefix, 16);
  let c3 = <u32>pb;
  for (let k: u32 = 6; k < KEY_WORDS; k += 2) {
    const q0 = <u64>c0 * M0;
    const q1 = <u64>c2 * M1;
    c0 = (<u32>(q1 >> 32)) ^ c1 ^ load<u32>(key + ((<usize>k) << 2));
    c1 = <u32>q1;
    c2 = (<u32>(q0 >> 32)) ^ c3 ^ load<u32>(key + ((<usize>k) << 2), 4);
    c3 = <u32>q0;
  }
  store<u32>(out, c0);
  store<u32>(out, c1, 4);
  store<u32>(out, c2, 8);
  store<u32>(out, c3, 12);
}

/** Block 0 of agent `word3 >> 16` at each of `count` consecutive prefixes from `prefix`: 4 words each at `out`. */
export function philoxBlocks(key: usize, prefix: usize, count: u32, word3: u32, out: usize): void {
  for (let s: u32 = 0; s < count; s++) philoxBlock(key, prefix + <usize>s * PREFIX_BYTES, word3, out + ((<usize>s) << 4));
}

/**
 * The Poisson count by table for first word x (src/random/poissonTable.ts tableDraw; the contract in
 * its header): a guided search of the thresholds, and in the tail (probability ≤ 2^-32) inversion of
 * the tail's own law from u01(x1), every f32 operation rounded as written (WASM f32 arithmetic is
 * correctly rounded, as Math.fround of the f64 result is).
 */
function tableCount(table: usize, mu: f32, x: u32, x1: u32): u32 {
  const L = load<u32>(table);
  const kLo = load<u32>(table, 4);
  const b = load<u32>(table, 8);
  const th = table + 16;
  let j = load<u32>(th + ((<usize>L) << 2) + ((<usize>(x >>> (32 - b))) << 2));
  while (j < L && x >= load<u32>(th + ((<usize>j) << 2))) j++;
  if (j < L) return kLo + j;
  return tableTail(table, mu, x1);
}

/** The tail beyond the table: k from kLo + L, inverting P(K = k | K ≥ kLo + L) by f32 recurrence (at most 64 steps). */
function tableTail(table: usize, mu: f32, x1: u32): u32 {
  const end = load<u32>(table) + load<u32>(table, 4);
  let k = end;
  const u = <f32>(x1 >>> 8) * TWO_M24;
  let p = reinterpret<f32>(load<u32>(table, 12));
  let c = p;
  while (u >= c && k < end + 64) {
    k++;
    p = (p * mu) / <f32>k;
    c = c + p;
  }
  return k;
}

/** One draw by table for words (x, x1), for the tests against the JavaScript tableDraw. */
export function tableDraw(table: usize, mu: f32, x: u32, x1: u32): u32 {
  return tableCount(table, mu, x, x1);
}

/**
 * Words 0 and 1 of block 0 at four consecutive prefixes (from `prefix`) for the same word 3, to
 * out[0 … 7] as (x, x1) pairs: philoxBlock four times, interleaved so that the four chains of
 * multiplications overlap (one block is bound by its chain's latency, as in philoxBlocks4).
 */
function philoxFirstWords4(key: usize, prefix: usize, word3: u32, out: usize): void {
  const pa = <u64>(load<u32>(prefix) ^ word3) * M1;
  const pb = <u64>(load<u32>(prefix, 20) ^ word3) * M1;
  const pc = <u64>(load<u32>(prefix, 40) ^ word3) * M1;
  const pd = <u64>(load<u32>(prefix, 60) ^ word3) * M1;
  const qa = <u64>((<u32>(pa >> 32)) ^ load<u32>(prefix, 4)) * M0;
  const qb = <u64>((<u32>(pb >> 32)) ^ load<u32>(prefix, 24)) * M0;
  const qc = <u64>((<u32>(pc >> 32)) ^ load<u32>(prefix, 44)) * M0;
  const qd = <u64>((<u32>(pd >> 32)) ^ load<u32>(prefix, 64)) * M0;
  let a0 = load<u32>(prefix, 8) ^ (<u32>pa);
  let a1 = load<u32>(prefix, 12);
  let a2 = (<u32>(qa >> 32)) ^ load<u32>(prefix, 16);
  let a3 = <u32>qa;
  let b0 = load<u32>(prefix, 28) ^ (<u32>pb);
  let b1 = load<u32>(prefix, 32);
  let b2 = (<u32>(qb >> 32)) ^ load<u32>(prefix, 36);
  let b3 = <u32>qb;
  let c0 = load<u32>(prefix, 48) ^ (<u32>pc);
  let c1 = load<u32>(prefix, 52);
  let c2 = (<u32>(qc >> 32)) ^ load<u32>(prefix, 56);
  let c3 = <u32>qc;
  let d0 = load<u32>(prefix, 68) ^ (<u32>pd);
  let d1 = load<u32>(prefix, 72);
  let d2 = (<u32>(qd >> 32)) ^ load<u32>(prefix, 76);
  let d3 = <u32>qd;
  for (let k: u32 = 6; k < KEY_WORDS; k += 2) {
    const k0 = load<u32>(key + ((<usize>k) << 2));
    const k1 = load<u32>(key + ((<usize>k) << 2), 4);
    const a_0 = <u64>a0 * M0;
    const a_1 = <u64>a2 * M1;
    const b_0 = <u64>b0 * M0;
    const b_1 = <u64>b2 * M1;
    const c_0 = <u64>c0 * M0;
    const c_1 = <u64>c2 * M1;
    const d_0 = <u64>d0 * M0;
    const d_1 = <u64>d2 * M1;
    a0 = (<u32>(a_1 >> 32)) ^ a1 ^ k0;
    a1 = <u32>a_1;
    a2 = (<u32>(a_0 >> 32)) ^ a3 ^ k1;
    a3 = <u32>a_0;
    b0 = (<u32>(b_1 >> 32)) ^ b1 ^ k0;
    b1 = <u32>b_1;
    b2 = (<u32>(b_0 >> 32)) ^ b3 ^ k1;
    b3 = <u32>b_0;
    c0 = (<u32>(c_1 >> 32)) ^ c1 ^ k0;
    c1 = <u32>c_1;
    c2 = (<u32>(c_0 >> 32)) ^ c3 ^ k1;
    c3 = <u32>c_0;
    d0 = (<u32>(d_1 >> 32)) ^ d1 ^ k0;
    d1 = <u32>d_1;
    d2 = (<u32>(d_0 >> 32)) ^ d3 ^ k1;
    d3 = <u32>d_0;
  }
  store<u32>(out, a0);
  store<u32>(out, a1, 4);
  store<u32>(out, b0, 8);
  store<u32>(out, b1, 12);
  store<u32>(out, c0, 16);
  store<u32>(out, c1, 20);
  store<u32>(out, d0, 24);
  store<u32>(out, d1, 28);
}

/**
 * Arrive for an agent whose arrivals are Poisson with a tabulated fixed mean and whose work is one unit
 * per request: for each of `count` steps, block 0 from the step's prefix (from `prefix`, PREFIX_WORDS
 * apart; four steps at a time), its word 0 through the table (word 1 in the tail), the count into the
 * f64 at `arrivals` and `work` (8 bytes apart). `block` is scratch of 8 words.
 */
export function arriveTable(
  key: usize,
  prefix: usize,
  count: u32,
  word3: u32,
  table: usize,
  mu: f32,
  arrivals: usize,
  work: usize,
  block: usize,
): void {
  let s: u32 = 0;
  for (; s + 4 <= count; s += 4) {
    philoxFirstWords4(key, prefix + <usize>s * PREFIX_BYTES, word3, block);
    for (let q: u32 = 0; q < 4; q++) {
      const n = <f64>tableCount(table, mu, load<u32>(block + ((<usize>q) << 3)), load<u32>(block + ((<usize>q) << 3), 4));
      store<f64>(arrivals + ((<usize>(s + q)) << 3), n);
      store<f64>(work + ((<usize>(s + q)) << 3), n);
    }
  }
  for (; s < count; s++) {
    philoxBlock(key, prefix + <usize>s * PREFIX_BYTES, word3, block);
    const n = <f64>tableCount(table, mu, load<u32>(block), load<u32>(block, 4));
    store<f64>(arrivals + ((<usize>s) << 3), n);
    store<f64>(work + ((<usize>s) << 3), n);
  }
}

/**
 * Serve (Simulator.serve in src/cpu/engine.ts: process, then record) for one agent through steps
 * [from, to) of the chunk that starts at t0: arrivals and work at arrivals[row + t], work[row + t]
 * (f64), shares at shares[(t − t0)·stride + i]. The state comes from and returns to the eleven f64 at
 * `io`: queue, rate, then the sums latency, served, queue, queueLate, share, arrived, system,
 * violation, and the run's busySum (agent 0's total, read and written only when `busyMode` has
 * BUSY_LAST).
 *
 * violationSum: a recorded step counts when its share is below `minShare` = R·G·(1 − MIN_SHARE_SLACK)
 * while the agent has demand (λ̂_t, the rate before this step's update, or B_t positive). The caller
 * picks how (`violationMode`, VIOLATION in src/cpu/wasm/kernel.ts): EACH checks every step as
 * defined; BELOW counts the steps whose share is below (λ̂ is fixed and positive); NONE adds nothing
 * (the share is fixed and not below, or the caller counted the steps itself). Each mode is its own
 * loop (an instance of serveSteps), so the fixed paths carry no per-step check. The counts of both
 * totals are integers added once per call, exact in f64 (below 2^53) whatever the split.
 *
 * The run's busy steps: `busy` holds one u32 per 32 steps of the chunk (word (t − t0) >> 5), the OR
 * of 1[B_t > 0] over the agents served so far; the bits shift into a register, one per recorded step
 * (the word's last step lowest: every agent shifts the same steps, so a step has the same bit in
 * each), and touch memory once per word. BUSY_FIRST (agent 0): the words are stored, not OR-ed; BUSY_LAST
 * (agent N − 1): they are counted into busySum instead of stored. Every agent of a run is served over
 * the same steps [from, to) before the next range (Simulator.allocate), so a word holds no bit from
 * outside the range when it is counted. Recorded steps (t ≥ warmup) only, like every sum.
 */
export function serve(
  arrivals: usize,
  work: usize,
  shares: usize,
  io: usize,
  busy: usize,
  row: i32,
  t0: i32,
  from: i32,
  to: i32,
  stride: i32,
  i: i32,
  T: f64,
  dt: f64,
  lmax: f64,
  warmup: i32,
  late: i32,
  signal: i32,
  alpha: f64,
  slack: f64,
  minShare: f64,
  busyMode: i32,
  violationMode: i32,
): void {
  if (violationMode == VIOLATION_NONE)
    serveSteps<CountNone>(
      arrivals,
      work,
      shares,
      io,
      busy,
      row,
      t0,
      from,
      to,
      stride,
      i,
      T,
      dt,
      lmax,
      warmup,
      late,
      signal,
      alpha,
      slack,
      minShare,
      busyMode,
    );
  else if (violationMode == VIOLATION_BELOW)
    serveSteps<CountBelow>(
      arrivals,
      work,
      shares,
      io,
      busy,
      row,
      t0,
      from,
      to,
      stride,
      i,
      T,
      dt,
      lmax,
      warmup,
      late,
      signal,
      alpha,
      slack,
      minShare,
      busyMode,
    );
  else
    serveSteps<CountEach>(
      arrivals,
      work,
      shares,
      io,
      busy,
      row,
      t0,
      from,
      to,
      stride,
      i,
      T,
      dt,
      lmax,
      warmup,
      late,
      signal,
      alpha,
      slack,
      minShare,
      busyMode,
    );
}

/**
 * The violation modes as types, so that each is its own instance of serveSteps with the mode a
 * compile-time constant (sizeof<Mode>()) and its loop free of the other modes' code. (A decorator
 * such as @inline would do the same, but is no syntax that the formatter reads.)
 */
type CountNone = u8;
type CountBelow = u16;
type CountEach = u32;

function serveSteps<Mode>(
  arrivals: usize,
  work: usize,
  shares: usize,
  io: usize,
  busy: usize,
  row: i32,
  t0: i32,
  from: i32,
  to: i32,
  stride: i32,
  i: i32,
  T: f64,
  dt: f64,
  lmax: f64,
  warmup: i32,
  late: i32,
  signal: i32,
  alpha: f64,
  slack: f64,
  minShare: f64,
  busyMode: i32,
): void {
  const each = sizeof<Mode>() == sizeof<CountEach>();
  const below = sizeof<Mode>() == sizeof<CountBelow>();
  let queue = load<f64>(io);
  let rate = load<f64>(io, 8);
  let latencySum = load<f64>(io, 16);
  let servedSum = load<f64>(io, 24);
  let queueSum = load<f64>(io, 32);
  let queueLateSum = load<f64>(io, 40);
  let shareSum = load<f64>(io, 48);
  let arrivedSum = load<f64>(io, 56);
  let systemSum = load<f64>(io, 64);
  let busyCount: i32 = 0;
  let violations: i32 = 0;
  // Pointers stepped through the chunk rather than indices recomputed: fewer integers live in the loop.
  let pArrived = arrivals + ((<usize>(row + from)) << 3);
  let pWork = work + ((<usize>(row + from)) << 3);
  let pShare = shares + ((<usize>((from - t0) * stride + i)) << 3);
  const shareStep = (<usize>stride) << 3;
  let t = from;
  while (t < to) {
    const w = (t - t0) >> 5;
    const end = min<i32>(to, t0 + ((w + 1) << 5));
    let bits: u32 = 0;
    for (; t < end; t++) {
      const arrived = load<f64>(pArrived);
      const g = load<f64>(pShare);
      const demand = rate;
      if (signal == SERVE_SIGNAL_OBSERVED) rate = arrived / dt;
      else if (signal == SERVE_SIGNAL_EMA) rate = alpha * (arrived / dt) + (1 - alpha) * rate;
      const service = T * g;
      const backlog = queue + load<f64>(pWork);
      const served = min<f64>(backlog, service * dt);
      queue = backlog - served;
      const latency = g > 0 ? queue / service : lmax;
      if (t >= warmup) {
        latencySum += latency;
        servedSum += served;
        queueSum += queue;
        if (t >= late) queueLateSum += queue;
        shareSum += g;
        arrivedSum += arrived;
        systemSum += max<f64>(0, ceil<f64>(queue - slack));
        if (each) violations += <i32>(g < minShare && (demand > 0 || backlog > 0));
        else if (below) violations += <i32>(g < minShare);
        bits = (bits << 1) | (<u32>(backlog > 0));
      }
      pArrived += 8;
      pWork += 8;
      pShare += shareStep;
    }
    const at = busy + ((<usize>w) << 2);
    if ((busyMode & 1) == 0) bits |= load<u32>(at);
    if ((busyMode & 2) == 0) store<u32>(at, bits);
    else busyCount += <i32>popcnt<u32>(bits);
  }
  store<f64>(io, queue);
  store<f64>(io, rate, 8);
  store<f64>(io, latencySum, 16);
  store<f64>(io, servedSum, 24);
  store<f64>(io, queueSum, 32);
  store<f64>(io, queueLateSum, 40);
  store<f64>(io, shareSum, 48);
  store<f64>(io, arrivedSum, 56);
  store<f64>(io, systemSum, 64);
  if (violations != 0) store<f64>(io, load<f64>(io, 72) + <f64>violations, 72);
  if (busyCount != 0) store<f64>(io, load<f64>(io, 80) + <f64>busyCount, 80);
}
