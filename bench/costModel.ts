/**
 * The narrow kernel's cost model (bench/NOTES.md, "Cost model"): operations per agent-step of the paper
 * workload (the paper's 4-agent fleet × 3 policies sharing each agent-step's draw, Poisson arrivals,
 * nominal signal, 1,000 steps), counted from the WGSL of the hot path, and the memory traffic of a
 * dispatch; from them, agent-steps per second predicted from a device's throughput per operation class.
 *
 * - The operation counts are a table of the hot path's functions, counted by hand from the shader (one
 *   row per function, its file and line found and printed here). Each row carries the fingerprint of
 *   the function's body when it was counted (its operator and call tokens); a body that changed since
 *   is reported STALE (exit 1), so the table cannot drift silently from the shaders.
 * - How often each piece runs is not guessed: the PTRS tries, its slow acceptance path and the Philox
 *   blocks are taken from the real sampler (src/random/poisson.ts, the WGSL's twin, same draws) on the
 *   real streams at the paper's means, for SIMD groups of W lanes (a group runs a try while any lane
 *   needs it, a piece while any lane takes it). The table path (Poisson by table inversion, the
 *   contract in the issue-14 preamble; not yet in shaders/) is costed from its contract: one Philox
 *   block, the guide and a short search whose length is computed from the table built per the contract.
 * - Devices: lane-operations per clock per class from the vendors' documents (cited in NOTES), the clock,
 *   the unit count and the memory bandwidth; time per agent-step is the largest of the per-class times
 *   and the issue time, scaled by the occupancy the workload's invocation count allows.
 *
 *   node dist/bench/costModel.js [--steps 4000] [--fleets 20000]
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { AGENT_PARAMS, AGENT_STATE, ARRIVAL_STATE, RUN } from '../src/gpu/layout.js';
import { PAPER_AGENTS, PAPER_CONFIG } from '../src/model/paper.js';
import { DrawStream } from '../src/random/philox.js';
import { poisson } from '../src/random/poisson.js';
import { packageRoot } from '../src/platform/node.js';

const { values: args } = parseArgs({
  options: {
    steps: { type: 'string', default: '4000' }, // simulated steps per mean and lane width
    fleets: { type: 'string', default: '20000' }, // the workload's fleet replicates (invocations) for occupancy
  },
});
const STEPS = Number(args.steps);
const FLEETS = Number(args.fleets);
if (!Number.isInteger(STEPS) || STEPS < 100) throw new Error('--steps: an integer ≥ 100');
if (!Number.isInteger(FLEETS) || FLEETS < 1) throw new Error('--fleets: a positive integer');

const f = Math.fround;

// ---- the operation counts ----------------------------------------------------------------------------

/** Operation classes: 32-bit integer (add, logic, shift, compare, select), 32-bit integer multiply, f32
 * (add, mul, compare, min/max, abs, floor, select), f32 division, square root, int↔float conversion,
 * and 4-byte loads from private or storage memory (not registers). */
const CLASSES = ['int', 'imul', 'f32', 'div', 'sqrt', 'cvt', 'load'] as const;
type OpClass = (typeof CLASSES)[number];
type Ops = Partial<Record<OpClass, number>>;

interface Piece {
  name: string;
  file: string;
  fn: string; // the WGSL function the counts come from (its line is found and printed)
  ops: Ops; // per execution, by hand from the shader (how: `how`)
  how: string;
  fingerprint: number; // operator + call tokens of the body when counted (see fingerprintOf)
}

// Counted from the shaders at commit fcfbc60 (the issue-14 base). Conventions: constants fold (mulhi32's
// a = PHILOX_M0), loops are unrolled, if/else of a few operations become selects, a vec4 indexed by a
// variable costs 3 selects, bitcasts are free, a*b+c counts 2 (no fused multiply-add assumed).
const PIECES: Piece[] = [
  {
    name: 'Philox block (10 rounds)',
    file: 'philox.wgsl',
    fn: 'philox4x32',
    ops: { int: 320, imul: 100 },
    how: 'per round 2 × mulhi32 (13 int, 4 imul with a constant) + 2 low products + 4 xor + 2 key adds',
    fingerprint: 17,
  },
  {
    name: 'mulhi32 (inside the block)',
    file: 'philox.wgsl',
    fn: 'mulhi32',
    ops: {},
    how: 'counted in the block row: bL, bH; 4 products; mid: 1 shift, 2 and, 2 add; 3 shifts, 3 adds',
    fingerprint: 19,
  },
  {
    name: 'rngNextU32 (a word)',
    file: 'philox.wgsl',
    fn: 'rngNextU32',
    ops: { int: 6 },
    how: 'next & 3, == 0, next + 1, block[word] as 3 selects (+4 int for the counter when a block is made: in the block row)',
    fingerprint: 18,
  },
  {
    name: 'logf32',
    file: 'f32math.wgsl',
    fn: 'logf32',
    ops: { int: 7, f32: 20, div: 1, cvt: 1 },
    how: 'exponent and mantissa bits (5 int), m > √2 fix-up (2 selects, 1 mul, 1 int), s = (m−1)/(m+1), z, 10 polynomial ops, f32(e)·ln2 + 2s·p',
    fingerprint: 33,
  },
  {
    name: 'PTRS constants (per draw)',
    file: 'poisson.wgsl',
    fn: 'poisson',
    ops: { f32: 12 + 20, int: 7, div: 2 + 1, sqrt: 1, cvt: 1 },
    how: 'μ > 0, μ < 10, √μ, b, a, 1/α (1 div), v_r (1 div), ln(1/α) (a logf32), ⌊μ⌋, frac',
    fingerprint: 100,
  },
  {
    name: 'PTRS try, fast part',
    file: 'poisson.wgsl',
    fn: 'poisson',
    ops: { int: 28, f32: 17, div: 1, cvt: 6 },
    how: '2 words (12 int), uCentered, u01Open0, us, (2a/us + b)·u, floor, 24-bit carry, clamp, k, the two tests, loop counter',
    fingerprint: 100,
  },
  {
    name: 'PTRS try, slow part',
    file: 'poisson.wgsl',
    fn: 'poisson',
    ops: { int: 5 + 14, f32: 7 + 40, div: 1 + 2, cvt: 2, load: 1 },
    how: 'ln v + ln(1/α) − ln(a/us² + b) (2 logf32), the log p(k) table slot and its read, the comparison',
    fingerprint: 100,
  },
  {
    name: 'log p(k) table entry (fill)',
    file: 'poisson.wgsl',
    fn: 'logPoissonPmf',
    ops: { int: 2, f32: 10 + 20, div: 1, cvt: 2 },
    how: 'k == 0, f32(k), stirlerr (table below 16, else 5 f32 + 4 div: added per entry below), ln 2πk (a logf32), the sums; bd0 added per entry below',
    fingerprint: 13,
  },
  {
    name: 'bd0 series, per iteration (fill)',
    file: 'poisson.wgsl',
    fn: 'bd0',
    ops: { int: 3, f32: 3, div: 1, cvt: 1 },
    how: 'ej·v, 2j + 1, f32(), ej/(2j+1), s + …, s1 == s; entry: diff, total, |diff| < 0.1·total, v, s, ej, v² (8 f32, 1 div)',
    fingerprint: 28,
  },
  {
    name: 'arrive (paper path, per draw)',
    file: 'arrivals.wgsl',
    fn: 'paperArrive',
    ops: { int: 8, f32: 2, cvt: 1 },
    how: 'general-flag test, multiplierAt without segments, (λ·Δt)·1, process test, rngStart, f32(n), work-mode test, recordArrivals flag test',
    fingerprint: 17,
  },
  {
    name: 'serveShare + record (per run)',
    file: 'agentStep.wgsl',
    fn: 'serveShare',
    ops: { int: 9, f32: 45, div: 1 },
    how: 'T·g, backlog, min(backlog, rate·Δt), queue, select(L_max, queue/rate, g > 0); record: 2 step tests, 7 Kahan sums (4 f32 + 1 xor each), 7 selects, ⌈queue − slack⌉⁺',
    fingerprint: 12,
  },
  {
    name: 'record (inside serveShare)',
    file: 'agentStep.wgsl',
    fn: 'record',
    ops: {},
    how: 'counted in the serveShare row',
    fingerprint: 64,
  },
  {
    name: 'step loop (per group-step)',
    file: 'simulate.wgsl',
    fn: 'simulate',
    ops: { int: 16, f32: 1 },
    how: 't < stepEnd, t + 1, v0…v2 and members tests, round-robin turn into its allocation and policyShare (index == turn, select), the turn counted up',
    fingerprint: 147,
  },
];

/** Draw pieces of the table path (the contract; not in shaders/ yet): counted from the contract's draw. */
const TABLE_DRAW: { fixed: Ops; perIteration: Ops; how: string } = {
  fixed: { int: 6 + 4 + 2 + 3, load: 4 + 1 + 1 },
  perIteration: { int: 4, load: 1 },
  how: 'one word (rngNextU32), the header (L, kLo, b: 4 loads), x >> (32 − b), guide read, the exit test (j < L, th[j], x ≥ th[j]), kLo + j; per search step: j < L, th[j] read, x ≥ th[j], &&, j + 1',
};

/** Operator and call tokens of a function's body: a fingerprint that changes when its arithmetic does. */
function fingerprintOf(source: string, fn: string): { line: number; fingerprint: number } {
  const start = source.search(new RegExp(`\\bfn ${fn}\\(`));
  if (start < 0) throw new Error(`costModel: no fn ${fn} in the shader (the table needs recounting)`);
  const line = source.slice(0, start).split('\n').length;
  let depth = 0;
  let i = source.indexOf('{', start);
  const open = i;
  for (; i < source.length; i++) {
    if (source[i] === '{') depth++;
    else if (source[i] === '}' && --depth === 0) break;
  }
  const body = source
    .slice(open, i)
    .replace(/\/\/[^\n]*/g, '')
    .replace(/->/g, ' ');
  const operators = body.match(/<<|>>|<=|>=|==|!=|&&|\|\||[-+*/%&|^<>!](?!=)/g) ?? [];
  const calls = body.match(/\b[a-zA-Z_][a-zA-Z0-9_]*\s*\(/g) ?? [];
  return { line, fingerprint: operators.length + calls.length };
}

// ---- how often: the real sampler on the real streams ------------------------------------------------

/** A DrawStream that keeps the words drawn since the last reset. */
class RecordingStream extends DrawStream {
  words: number[] = [];
  override nextU32(): number {
    const x = super.nextU32();
    this.words.push(x);
    return x;
  }
}

const uCentered = (x: number): number => f(((x >>> 7) | 1) - 16777216) * 2.98023223876953125e-8;
const u01Open0 = (x: number): number => ((x >>> 8) + 1) * 5.9604644775390625e-8;

/** PTRS's per-mean constants as the WGSL computes them (poisson.wgsl), for classifying tries. */
function ptrsConstants(mu: number): { a: number; b: number; vr: number } {
  const b = f(f(0.931) + f(f(2.53) * f(Math.sqrt(mu))));
  const a = f(f(-0.059) + f(f(0.02483) * b));
  const vr = f(f(0.9277) - f(f(3.6224) / f(b - 2)));
  return { a, b, vr };
}

/** A try is fast (accepted by the squeeze), early (rejected before the logs) or slow (the full test). */
function tryClass(uWord: number, vWord: number, mu: number, c: { a: number; b: number; vr: number }): 'fast' | 'early' | 'slow' {
  const u = uCentered(uWord);
  const v = u01Open0(vWord);
  const us = f(f(0.5) - Math.abs(u));
  if (us >= f(0.07) && v <= c.vr) return 'fast';
  const k = Math.floor(mu) + Math.floor(f(f(f(f(2 * c.a) / us) + c.b) * u)); // the carry does not matter here
  if (k < 0 || (us < f(0.013) && v > us)) return 'early';
  return 'slow';
}

/** The contract's table for mean μ: thresholds th and guide (for counting search steps only). */
function contractTable(mu: number, extraBits = 0): { L: number; b: number; th: number[]; guide: number[] } {
  const two32 = 2 ** 32;
  // F(k) in f64 by summing the pmf from 0 (μ ≤ a few hundred here: no underflow trouble).
  const F: number[] = [];
  let p = Math.exp(-mu);
  let cdf = p;
  for (let k = 0; k < 10 * mu + 100; k++) {
    F.push(cdf);
    p = (p * mu) / (k + 1);
    cdf += p;
  }
  let kLo = 0;
  while (Math.round(two32 * F[kLo]!) === 0) kLo++;
  let L = 1;
  while (1 - F[kLo + L - 1]! >= 2 ** -32) L++;
  const th = Array.from({ length: L }, (_, j) => Math.min(two32 - 1, Math.round(two32 * F[kLo + j]!)));
  let b = 1;
  while (2 ** b < L) b++;
  b += extraBits; // 0 in the contract; more, to see what a finer guide would change
  const guide = Array.from({ length: 2 ** b }, (_, g) => {
    const j = th.findIndex((t) => t > g * 2 ** (32 - b));
    return j < 0 ? L : j;
  });
  return { L, b, th, guide };
}

/** Search steps of the table draw for word x (the loop's `j += 1` count). */
function tableSteps(t: { L: number; b: number; th: number[]; guide: number[] }, x: number): number {
  let j = t.guide[x >>> (32 - t.b)]!;
  let steps = 0;
  while (j < t.L && x >= t.th[j]!) {
    j++;
    steps++;
  }
  return steps;
}

/** Entries of the per-invocation log p(k) table at mean μ (fillLogPmfTable) and bd0's series iterations over them. */
function fillCost(mu: number): { entries: number; bd0Iterations: number; seriesEntries: number; bigK: number } {
  const b = f(f(0.931) + f(f(2.53) * f(Math.sqrt(mu))));
  const a = f(f(-0.059) + f(f(0.02483) * b));
  const half = Math.min(Math.ceil(f(f(f(f(2 * a) / f(0.013)) + b) * 0.5)) + 2, 64);
  const base = Math.floor(mu);
  const lo = Math.max(base - half, 0);
  const count = base + half - lo;
  let iterations = 0;
  let series = 0;
  let bigK = 0;
  for (let j = 0; j < count; j++) {
    const x = lo + j;
    if (x > 15) bigK++;
    const diff = f(x - mu);
    const total = f(x + mu);
    if (Math.abs(diff) < f(f(0.1) * total)) {
      series++;
      let v = f(diff / total);
      let s = f(diff * v);
      let ej = f(f(2 * x) * v);
      v = f(v * v);
      for (let i = 1; i < 16; i++) {
        iterations++;
        ej = f(ej * v);
        const s1 = f(s + f(ej / (2 * i + 1)));
        if (s1 === s) break;
        s = s1;
      }
    }
  }
  return { entries: count, bd0Iterations: iterations, seriesEntries: series, bigK };
}

interface Frequencies {
  lanes: number;
  tries: number; // PTRS try iterations per group-step (the slowest lane's tries)
  slow: number; // of which any lane took the slow part
  blocks: number; // Philox blocks per group-step (PTRS)
  laneTries: number; // mean tries of one lane
  tableSteps: number; // table path: search steps per group-step (the slowest lane's)
  tableSteps4: number; // the same with a guide 2^4 times finer than the contract's
}

function frequencies(lanes: number): Frequencies {
  const stream = new RecordingStream();
  const means = PAPER_AGENTS.map((a) => f(a.lambda * PAPER_CONFIG.dt));
  const tables = means.map((mu) => contractTable(mu));
  const tables4 = means.map((mu) => contractTable(mu, 4));
  let tries = 0;
  let slow = 0;
  let blocks = 0;
  let laneTries = 0;
  let steps = 0;
  let steps4 = 0;
  let groups = 0;
  for (let m = 0; m < means.length; m++) {
    const mu = means[m]!;
    const c = ptrsConstants(mu);
    for (let t = 0; t < STEPS; t++) {
      const perLane: string[][] = [];
      let most = 0;
      let mostSteps = 0;
      let mostSteps4 = 0;
      for (let lane = 0; lane < lanes; lane++) {
        stream.reset(1, 0, 0, lane, t, m); // seed 1; lanes are replicates of the fleet, as in one SIMD group
        stream.words = [];
        poisson(mu, stream);
        const w = stream.words;
        const classes: string[] = [];
        for (let j = 0; j + 1 < w.length; j += 2) classes.push(tryClass(w[j]!, w[j + 1]!, mu, c));
        perLane.push(classes);
        most = Math.max(most, classes.length);
        laneTries += classes.length;
        mostSteps = Math.max(mostSteps, tableSteps(tables[m]!, w[0]!));
        mostSteps4 = Math.max(mostSteps4, tableSteps(tables4[m]!, w[0]!));
      }
      tries += most;
      blocks += Math.ceil(most / 2);
      for (let j = 0; j < most; j++) if (perLane.some((cl) => cl[j] === 'slow')) slow++;
      steps += mostSteps;
      steps4 += mostSteps4;
      groups++;
    }
  }
  return {
    lanes,
    tries: tries / groups,
    slow: slow / groups,
    blocks: blocks / groups,
    laneTries: laneTries / (groups * lanes),
    tableSteps: steps / groups,
    tableSteps4: steps4 / groups,
  };
}

// ---- per agent-step ------------------------------------------------------------------------------------

type Path = 'ptrs' | 'table' | 'deterministic';
const PATHS: readonly Path[] = ['ptrs', 'table', 'deterministic'];
const PATH_LABEL: Record<Path, string> = { ptrs: 'PTRS (today)', table: 'table (contract)', deterministic: 'deterministic arrivals' };
const RUNS = 3; // the paper's policies: the members of a group, sharing each agent-step's draw
const STEPS_PER_DISPATCH = 256;

function add(into: Required<Ops>, ops: Ops, times: number): void {
  for (const c of CLASSES) into[c] += (ops[c] ?? 0) * times;
}
const zero = (): Required<Ops> => ({ int: 0, imul: 0, f32: 0, div: 0, sqrt: 0, cvt: 0, load: 0 });
const piece = (name: string): Piece => PIECES.find((p) => p.name === name)!;

/** Lane-operations of one group-step (one agent of 3 runs advanced one step), by path. */
function groupStep(fr: Frequencies, path: Path): { draw: Required<Ops>; serve: Required<Ops> } {
  const draw = zero();
  add(draw, piece('arrive (paper path, per draw)').ops, 1);
  if (path === 'ptrs') {
    add(draw, piece('PTRS constants (per draw)').ops, 1);
    add(draw, piece('PTRS try, fast part').ops, fr.tries);
    add(draw, piece('PTRS try, slow part').ops, fr.slow);
    add(draw, piece('Philox block (10 rounds)').ops, fr.blocks);
    add(draw, { int: 4 }, fr.blocks); // the counter word of each block (rngNextU32)
    // The log p(k) table, filled once per agent and dispatch, spread over the dispatch's steps.
    const fills = PAPER_AGENTS.map((a) => fillCost(f(a.lambda * PAPER_CONFIG.dt)));
    const perAgent = (g: (x: ReturnType<typeof fillCost>) => number): number =>
      fills.reduce((s, x) => s + g(x), 0) / fills.length / STEPS_PER_DISPATCH;
    add(
      draw,
      piece('log p(k) table entry (fill)').ops,
      perAgent((x) => x.entries),
    );
    add(
      draw,
      { f32: 5, div: 4 },
      perAgent((x) => x.bigK),
    ); // stirlerr's series above 15
    add(
      draw,
      { f32: 8, div: 1 },
      perAgent((x) => x.seriesEntries),
    ); // bd0's series entry
    add(
      draw,
      piece('bd0 series, per iteration (fill)').ops,
      perAgent((x) => x.bd0Iterations),
    );
    add(
      draw,
      { f32: 3 + 20, int: 7, div: 2, cvt: 1 },
      perAgent((x) => x.entries - x.seriesEntries),
    ); // bd0's log branch
  } else if (path === 'table') {
    add(draw, TABLE_DRAW.fixed, 1);
    add(draw, TABLE_DRAW.perIteration, fr.tableSteps);
    add(draw, piece('Philox block (10 rounds)').ops, 1);
    add(draw, { int: 4 }, 1);
  }
  const serve = zero();
  add(serve, piece('serveShare + record (per run)').ops, RUNS);
  add(serve, piece('step loop (per group-step)').ops, 1);
  return { draw, serve };
}

/** Bytes to and from device memory per agent-step: a dispatch loads and stores each member's state once. */
function bytesPerAgentStep(path: Path): { perDispatch: number; perAgentStep: number; detail: string } {
  const agentsInFleet = PAPER_AGENTS.length;
  const load = AGENT_PARAMS.bytes + RUNS * AGENT_STATE.bytes + ARRIVAL_STATE.bytes + (4 * RUN.bytes + 8) / agentsInFleet;
  const store = RUNS * AGENT_STATE.bytes + RUNS * ARRIVAL_STATE.bytes;
  // The table path's tables are per fleet agent, shared by every replicate: cached after the first reads.
  const perDispatch = load + store;
  return {
    perDispatch,
    perAgentStep: perDispatch / (RUNS * STEPS_PER_DISPATCH),
    detail: `load ${load.toFixed(0)} B (parameters ${AGENT_PARAMS.bytes}, ${RUNS} states × ${AGENT_STATE.bytes}, arrival state ${ARRIVAL_STATE.bytes}, runs and groups ${((4 * RUN.bytes + 8) / agentsInFleet).toFixed(0)}), store ${store} B (${RUNS} states, ${RUNS} arrival states)${path === 'table' ? ', tables: per fleet agent, cached' : ''}`,
  };
}

// ---- devices -------------------------------------------------------------------------------------------

interface Device {
  name: string;
  units: number; // SMs, EUs, GPU cores, CPU cores
  clockHz: number;
  lanes: number; // SIMD width the kernel's invocations run in
  perClock: Record<OpClass | 'issue', number>; // lane-operations per clock per unit
  bandwidth: number; // bytes/s
  /** Invocations that fill the device (below it, throughput falls in proportion). */
  fill: number;
  source: string;
}

const DEVICES: Device[] = [
  {
    name: 'lavapipe here, 1 core (per CPU-second)',
    units: 1,
    clockHz: 2.6e9,
    lanes: 8,
    // Zen 4, 256-bit vectors (llvmpipe's "256-bits"): 4 vector pipes (2 FMA/MUL + 2 ADD for f32; 4 integer
    // ALUs), vpmulld on 2, vdivps ymm 1 per 5 clocks, vsqrtps 1 per ~6, conversions 2 per clock.
    perClock: { int: 32, imul: 16, f32: 32, div: 1.6, sqrt: 1.3, cvt: 16, load: 16, issue: 32 },
    bandwidth: 20e9,
    fill: 8,
    source: "/proc/cpuinfo (AMD family 25 model 17, 2596 MHz, AVX2/AVX-512), Agner Fog's instruction tables (Zen 4)",
  },
  {
    name: 'NVIDIA H200 (SXM)',
    units: 132,
    clockHz: 1.98e9,
    lanes: 32,
    // Per SM per clock, compute capability 9.0: FP32 128, 32-bit integer add/logic/shift/compare 64,
    // 32-bit integer multiply 64, conversions 16, MUFU (rcp, rsqrt) 16; 4 schedulers × 32 lanes issue.
    perClock: { int: 64, imul: 64, f32: 128, div: 16, sqrt: 16, cvt: 16, load: 32, issue: 128 },
    bandwidth: 4.8e12,
    fill: 132 * 16 * 32, // ≥ 16 warps per SM hide the ALU latency
    source:
      'CUDA C++ Programming Guide, "Arithmetic Instructions" (cc 9.0); NVIDIA H200 datasheet (4.8 TB/s); KINDS.md (132 SMs, 1980 MHz, ~4.3 TB/s copy)',
  },
  {
    name: 'NVIDIA H100 (SXM)',
    units: 132,
    clockHz: 1.98e9,
    lanes: 32,
    perClock: { int: 64, imul: 64, f32: 128, div: 16, sqrt: 16, cvt: 16, load: 32, issue: 128 },
    bandwidth: 3.35e12,
    fill: 132 * 16 * 32,
    source: 'as the H200 (same SM); H100 SXM datasheet (3.35 TB/s); KINDS.md (132 SMs, ~3.0 TB/s copy)',
  },
  {
    name: 'Intel Iris Xe, 96 EU (laptop)',
    units: 96,
    clockHz: 1.3e9,
    lanes: 16,
    // Per EU per clock: 8 FP32/INT32 lanes, 2 extended-math lanes (div, sqrt, log); 32-bit integer
    // multiply at a quarter rate (32×16 multipliers).
    perClock: { int: 8, imul: 2, f32: 8, div: 2, sqrt: 2, cvt: 8, load: 4, issue: 10 },
    bandwidth: 68e9,
    fill: 96 * 7 * 16, // 7 threads per EU, SIMD16
    source: 'Intel Xe-LP (Gen12) architecture disclosures: 96 EUs, 8 ALU lanes + 2 EM per EU, up to 1.35 GHz; LPDDR4X-4266 × 128 bit',
  },
  {
    name: 'Apple M2, 10-core GPU (laptop)',
    units: 10,
    clockHz: 1.398e9,
    lanes: 32,
    // Per core per clock: 128 FP32 / INT32 lanes; 32-bit integer multiply at a quarter rate; reciprocal and
    // square root about 1/8.
    perClock: { int: 128, imul: 32, f32: 128, div: 16, sqrt: 16, cvt: 64, load: 32, issue: 128 },
    bandwidth: 100e9,
    fill: 10 * 1024,
    source: 'philipturner/metal-benchmarks (M1/M2 GPU: 128 ALUs per core, GIPS = FP32 rate, IMUL32 4 cycles); Apple M2 (100 GB/s)',
  },
];

interface Prediction {
  perAgentStep: number; // seconds
  bound: string;
  occupancy: number;
}

function predict(d: Device, ops: Required<Ops>, bytes: number, invocations: number): Prediction {
  // Unit-clocks per group-step: each class on its own pipe, and all of them through the issue port.
  const clocks: [string, number][] = CLASSES.map((c) => [c, ops[c] / d.perClock[c]]);
  clocks.push(['issue', CLASSES.reduce((s, c) => s + ops[c], 0) / d.perClock.issue]);
  const [bound, perLaneClocks] = clocks.reduce((a, b) => (b[1] > a[1] ? b : a));
  // A group-step is RUNS agent-steps of one lane; the device runs units × perClock lanes per clock.
  const computeSeconds = perLaneClocks / (d.units * d.clockHz) / RUNS;
  const memorySeconds = bytes / d.bandwidth;
  const occupancy = Math.min(1, invocations / d.fill);
  const perAgentStep = Math.max(computeSeconds, memorySeconds) / occupancy;
  return { perAgentStep, bound: memorySeconds > computeSeconds ? 'memory' : bound, occupancy };
}

// ---- report --------------------------------------------------------------------------------------------

const root = packageRoot();
let stale = 0;
console.log('Operation counts of the hot path (bench/costModel.ts PIECES; lane-operations per execution):');
for (const p of PIECES) {
  const source = readFileSync(join(root, 'shaders', p.file), 'utf8');
  const { line, fingerprint } = fingerprintOf(source, p.fn);
  const ok = fingerprint === p.fingerprint;
  if (!ok) stale++;
  const ops = CLASSES.filter((c) => p.ops[c]).map((c) => `${c} ${p.ops[c]!.toFixed(0)}`);
  console.log(
    `  ${p.name.padEnd(34)} shaders/${p.file}:${line} ${p.fn}${ok ? '' : ` STALE (fingerprint ${fingerprint}, counted at ${p.fingerprint})`}`,
  );
  console.log(`      ${ops.length > 0 ? ops.join(', ') : '—'}: ${p.how}`);
}
console.log(`  table path draw (contract): ${TABLE_DRAW.how}`);

const laneWidths = [...new Set([1, ...DEVICES.map((d) => d.lanes)])].sort((a, b) => a - b);
const freq = new Map<number, Frequencies>();
console.log(`\nHow often, per group-step (the real sampler on the paper's streams, ${STEPS} steps × 4 means per lane width):`);
console.log('  lanes  PTRS tries  slow tries  Philox blocks  (one lane: tries)  table search steps  (guide 16× finer)');
for (const w of laneWidths) {
  const fr = frequencies(w);
  freq.set(w, fr);
  console.log(
    `  ${String(w).padStart(5)}${fr.tries.toFixed(2).padStart(12)}${fr.slow.toFixed(2).padStart(12)}${fr.blocks.toFixed(2).padStart(15)}${fr.laneTries.toFixed(2).padStart(19)}${fr.tableSteps.toFixed(2).padStart(20)}${fr.tableSteps4.toFixed(2).padStart(19)}`,
  );
}
const fills = PAPER_AGENTS.map((a) => ({ mu: a.lambda * PAPER_CONFIG.dt, ...fillCost(f(a.lambda * PAPER_CONFIG.dt)) }));
console.log(
  `  log p(k) table per agent and dispatch: ${fills.map((x) => `μ ${x.mu}: ${x.entries} entries, ${x.bd0Iterations} bd0 iterations`).join('; ')}`,
);
const tableSizes = PAPER_AGENTS.map((a) => contractTable(a.lambda * PAPER_CONFIG.dt));
console.log(`  contract tables: ${tableSizes.map((t, i) => `μ ${PAPER_AGENTS[i]!.lambda}: L ${t.L}, b ${t.b}`).join('; ')}`);

console.log('\nPer agent-step (a group-step over 3 runs), lane-operations:');
for (const w of laneWidths) {
  for (const path of PATHS) {
    const { draw, serve } = groupStep(freq.get(w)!, path);
    const per = (o: Required<Ops>): string =>
      CLASSES.map((c) => `${c} ${(o[c] / RUNS).toFixed(c === 'int' || c === 'f32' ? 0 : 1)}`).join(', ');
    const sum = (o: Required<Ops>): number => CLASSES.reduce((s, c) => s + o[c], 0) / RUNS;
    console.log(
      `  ${String(w).padStart(2)} lanes, ${PATH_LABEL[path].padEnd(22)}: draw ${sum(draw).toFixed(0)} (${per(draw)}); serve ${sum(serve).toFixed(0)}; total ${(sum(draw) + sum(serve)).toFixed(0)}`,
    );
  }
}

const traffic = bytesPerAgentStep('ptrs');
console.log(
  `\nMemory per dispatch and agent of a group (${STEPS_PER_DISPATCH} steps): ${traffic.detail}; ${traffic.perAgentStep.toFixed(2)} B per agent-step`,
);

console.log(`\nPredicted agent-steps per second (paper workload; occupancy at ${FLEETS} fleet replicates = invocations):`);
for (const d of DEVICES) {
  const fr = freq.get(d.lanes)!;
  const parts = PATHS.map((path) => {
    const { draw, serve } = groupStep(fr, path);
    const ops = zero();
    add(ops, draw, 1);
    add(ops, serve, 1);
    const p = predict(d, ops, traffic.perAgentStep, FLEETS);
    const full = predict(d, ops, traffic.perAgentStep, Infinity);
    return `${PATH_LABEL[path]} ${(1 / p.perAgentStep / 1e6).toFixed(0)} M/s (${p.bound}-bound${p.occupancy < 1 ? `, occupancy ${p.occupancy.toFixed(2)}; full ${(1 / full.perAgentStep / 1e6).toFixed(0)}` : ''})`;
  });
  console.log(`  ${d.name}:\n      ${parts.join('\n      ')}`);
  console.log(`      ${d.source}`);
}
if (stale > 0) {
  console.log(`\n${stale} row(s) STALE: the shader changed since the row was counted; recount it and update its fingerprint.`);
  process.exitCode = 1;
}
