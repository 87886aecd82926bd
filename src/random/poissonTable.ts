/**
 * Poisson counts by table inversion, for an agent whose mean is the same at every step (Poisson
 * arrivals without a rate schedule or a trace: poissonTableMean in src/random/arrivals.ts decides).
 * The CDF of Poisson(μ) is tabulated once on the host, in f64, as 32-bit thresholds; a count is then
 * the first word x of the agent-step's stream looked up in the table: a guide entry and a short
 * search, no logarithm, no rejection. Both engines read the same words (the GPU from the chunk's
 * `traceCounts` buffer, after the traces: shaders/arrivals.wgsl tableCount), so they give the same
 * count for the same x; the WebAssembly kernel reads them too.
 *
 * One agent's packed table (u32 words): [L, kLo, b, bits(h0), th[0 … L−1], guide[0 … 2^b − 1]], with
 * F(k) = P(K ≤ k) computed in f64 (μ the f32 mean as a double):
 * - th[j] = min(2^32 − 1, round(2^32·F(kLo + j))); kLo is the least k with round(2^32·F(k)) > 0 (no
 *   x can fall below it), L the least length with 1 − F(kLo + L − 1) < 2^-32;
 * - b: the least ≥ 1 with 2^b ≥ L (the coarse guide), or up to 2^g times finer (a pack's `guideBits` g:
 *   the GPU's, GPU_GUIDE_BITS) while the guide stays within 2^GUIDE_MAX_BITS entries;
 *   guide[g] = the least j with th[j] > g·2^(32−b), else L;
 * - h0 = P(K = kLo + L | K ≥ kLo + L), rounded to f32.
 *
 * The draw: j = guide[x >> (32 − b)], then j += 1 while j < L and x ≥ th[j]; the count is kLo + j.
 * The guide only says where the search starts, so the count does not depend on b: a finer guide is
 * a shorter search (on a GPU, whose lanes in step wait for the longest: the tails' buckets hold 20–45
 * thresholds under the coarse guide), bought with more words.
 * Where j reaches L (x ≥ th[L − 1] = 2^32 − 1, one x in 2^32), the count is drawn from the upper tail's
 * own conditional law by inversion from the next word, in f32 (every operation rounded as written, so
 * WGSL, TypeScript and WebAssembly agree). Exactness: each threshold is 2^32·F rounded to the nearest
 * integer (F's f64 error is ~10^-13 of a unit), so the drawn CDF is within 2^-32 of Poisson(μ)'s at
 * every k, the resolution of a 32-bit uniform, and each count's probability (th[j] − th[j − 1])/2^32
 * within 2^-32 of P(K = k) (the table's last count within 1.5·2^-32: the clamp gives the tail, whose
 * mass is below 2^-32, exactly one word); beyond the table the counts follow the tail's own law.
 * test/poisson-table.test.ts checks every threshold against an independent f64 pmf.
 *
 * @example
 *   const table = buildPoissonTable(mu); const k = tableDraw(table, 0, mu, draws.nextU32(), draws);
 */
import { type DrawStream, u01 } from './philox.js';

const f = Math.fround;

/**
 * Largest mean that gets a table. A table holds L ≈ 12.6·√μ thresholds and a guide of the next power
 * of two (coarse: at most 919 words up to μ = 1024; fine: at most 1,431, 5.6 KiB, TABLE_MAX_WORDS
 * bounds both), and a batch packs one per distinct mean. Above it PTRS costs the same at any mean while a table keeps growing as
 * √μ (more memory per agent, fewer of them in cache), so larger means keep PTRS.
 */
export const TABLE_MAX_MEAN = 1024;
/** The words of the largest table (μ ≤ TABLE_MAX_MEAN); pinned by test/poisson-table.test.ts. */
export const TABLE_MAX_WORDS = 1536;
/**
 * The GPU engine's guide: up to 2^4 times finer than the coarse one (in bench/NOTES.md, +17–22 % on the
 * paper fleet's kernel on lavapipe, the same counts). The CPU engines keep the coarse guide: a scalar
 * search makes ~1 step either way, and their table cache holds more tables.
 */
export const GPU_GUIDE_BITS = 4;
/** A finer guide stops at 2^GUIDE_MAX_BITS entries (the coarse guide of a larger L is kept as it is). */
export const GUIDE_MAX_BITS = 10;
/** An agent without a table (its offset in a batch's packed tables). */
export const NO_TABLE = 0xffffffff;
/** Words before th[0]: L, kLo, b, bits(h0). */
export const TABLE_HEADER_WORDS = 4;
/** The tail's inversion searches at most this many counts past kLo + L (the tail has mass < 2^-32). */
export const TABLE_TAIL_MAX = 64;

const TWO_32 = 4294967296;
const TWO_M32 = 1 / TWO_32;
const LN_SQRT_2PI = 0.5 * Math.log(2 * Math.PI);

/** stirlerr(n) = ln n! − (n + ½) ln n + n − ½ ln 2π in f64, n = 1 … 15, from n! (exact in f64). */
const STIRLERR_SMALL: readonly number[] = (() => {
  const out = [0];
  let factorial = 1;
  for (let n = 1; n <= 15; n++) {
    factorial *= n;
    out.push(Math.log(factorial) - (n + 0.5) * Math.log(n) + n - LN_SQRT_2PI);
  }
  return out;
})();

/** Stirling's-series error term in f64 (n ≥ 1 integer); beyond 15 the series to 1/n^7 (error < 10^-14). */
function stirlerr64(n: number): number {
  if (n <= 15) return STIRLERR_SMALL[n]!;
  const nn = n * n;
  return (0.08333333333333333 - (0.002777777777777778 - (0.0007936507936507937 - 0.0005952380952380953 / nn) / nn) / nn) / n;
}

/** bd0(x, m) = x ln(x/m) + m − x in f64 without cancellation (Loader 2000). */
function bd064(x: number, m: number): number {
  if (Math.abs(x - m) < 0.1 * (x + m)) {
    let v = (x - m) / (x + m);
    let s = (x - m) * v;
    let ej = 2 * x * v;
    v *= v;
    for (let j = 1; j < 1000; j++) {
      ej *= v;
      const s1 = s + ej / (2 * j + 1);
      if (s1 === s) return s1;
      s = s1;
    }
    return s;
  }
  return x * Math.log(x / m) + m - x;
}

/** P(K = k) in f64 for K ~ Poisson(mu), by Loader's saddle-point form (relative error ~10^-15). */
function pmf64(k: number, mu: number): number {
  if (k === 0) return Math.exp(-mu);
  return Math.exp(-stirlerr64(k) - bd064(k, mu)) / Math.sqrt(2 * Math.PI * k);
}

/**
 * The pmf walk's scratch, reused: p(k) at CENTER + k − mode. Below the mode it holds at most mode + 1 ≤
 * TABLE_MAX_MEAN + 1 terms, above it fewer than SCRATCH − CENTER (a term falls by e^-1 per √μ steps
 * at most, and NEGLIGIBLE is e^-46: ~ 14·√1024 + 46 < 600 steps).
 */
const CENTER = TABLE_MAX_MEAN + 2;
const SCRATCH = CENTER + 1024;
const scratchPmf = new Float64Array(SCRATCH);
const scratchTail = new Float64Array(SCRATCH);
/** Terms below this are dropped from the walk: their sum is below 10^-10 of 2^-32. */
const NEGLIGIBLE = 1e-20;
const H0_F32 = new Float32Array(1);
const H0_U32 = new Uint32Array(H0_F32.buffer);

function checkMean(mu: number): void {
  if (!(mu > 0 && mu <= TABLE_MAX_MEAN) || f(mu) !== mu) {
    throw new RangeError(`poisson table: the mean must be an f32 in (0, ${TABLE_MAX_MEAN}], got ${mu}`);
  }
}

/**
 * The words of Poisson(mu)'s packed table (layout above), written at out[at …] when `out` is given
 * (it must hold poissonTableWords(mu) words from `at`), else into a new array. mu must be an f32
 * value in (0, TABLE_MAX_MEAN] (stepMean's), else RangeError.
 */
export function buildPoissonTable(mu: number, out?: Uint32Array, at = 0, guideBits = 0): Uint32Array {
  checkMean(mu);
  const plan = planTable(mu, guideBits);
  const words = TABLE_HEADER_WORDS + plan.L + (1 << plan.b);
  const table = out ?? new Uint32Array(words);
  if (table.length - at < words) throw new RangeError(`poisson table: ${words} words needed at ${at}, the array holds ${table.length}`);
  writeTable(plan, table, at);
  return table;
}

/** The words of Poisson(mu)'s packed table, without building it (a cheap pmf walk). */
export function poissonTableWords(mu: number, guideBits = 0): number {
  checkMean(mu);
  const plan = planTable(mu, guideBits);
  return TABLE_HEADER_WORDS + plan.L + (1 << plan.b);
}

interface TablePlan {
  lo: number; // the scratch index of the walk's lowest term
  k0: number; // the k at scratch index 0 (mode − CENTER)
  kLo: number;
  L: number;
  b: number;
}

/**
 * Walks the pmf out from the mode into scratchPmf until the terms are negligible, and the upper
 * tails Q(k) = P(K > k) into scratchTail (summed from the top, no cancellation); finds kLo, L and b.
 */
function planTable(mu: number, guideBits: number): TablePlan {
  const pmf = scratchPmf;
  const tail = scratchTail;
  const mode = Math.floor(mu);
  // Below the mode: p(k − 1) = p(k)·k/μ; above: p(k + 1) = p(k)·μ/(k + 1).
  let p = pmf64(mode, mu);
  pmf[CENTER] = p;
  let lo = CENTER;
  for (let k = mode; k > 0 && p > NEGLIGIBLE; k--) {
    p = (p * k) / mu;
    pmf[--lo] = p;
  }
  p = pmf[CENTER]!;
  let hi = CENTER;
  for (let k = mode + 1; p > NEGLIGIBLE; k++) {
    p = (p * mu) / k;
    pmf[++hi] = p;
  }
  // Q at scratch index i: Σ of the terms above i, summed from the top.
  let q = 0;
  for (let i = hi; i > lo; i--) {
    tail[i] = q;
    q += pmf[i]!;
  }
  tail[lo] = q;
  // kLo: the least k with round(2^32·F(k)) > 0, F summed from the bottom.
  let i = lo;
  let cdf = pmf[lo]!;
  while (Math.round(TWO_32 * cdf) === 0) cdf += pmf[++i]!;
  // L: the least length with Q(kLo + L − 1) < 2^-32.
  let last = i;
  while (!(tail[last]! < TWO_M32)) last++;
  const L = last - i + 1;
  let b = 1;
  while (1 << b < L) b++;
  b += Math.min(guideBits, Math.max(0, GUIDE_MAX_BITS - b));
  return { lo, k0: mode - CENTER, kLo: mode - CENTER + i, L, b };
}

/** Writes the plan's table (the pmf still in scratch) at out[at …]. */
function writeTable(plan: TablePlan, out: Uint32Array, at: number): void {
  const { lo, k0, kLo, L, b } = plan;
  const pmf = scratchPmf;
  out[at] = L;
  out[at + 1] = kLo;
  out[at + 2] = b;
  const th = at + TABLE_HEADER_WORDS;
  const first = kLo - k0;
  let cdf = 0;
  for (let i = lo; i < first; i++) cdf += pmf[i]!;
  for (let j = 0; j < L; j++) {
    cdf += pmf[first + j]!;
    const t = Math.round(TWO_32 * cdf);
    out[th + j] = t < TWO_32 ? t : TWO_32 - 1;
  }
  // h0 = p(kLo + L) / Q(kLo + L − 1).
  const end = first + L;
  H0_F32[0] = pmf[end]! / scratchTail[end - 1]!;
  out[at + 3] = H0_U32[0]!;
  // guide[g]: the least j with th[j] > g·2^(32−b), thresholds walked once in order.
  const guide = th + L;
  const step = TWO_32 / (1 << b);
  let j = 0;
  for (let g = 0; g < 1 << b; g++) {
    const floor = g * step;
    while (j < L && out[th + j]! <= floor) j++;
    out[guide + g] = j;
  }
}

const F32_BITS = new Uint32Array(1);
const F32_VALUE = new Float32Array(F32_BITS.buffer);

/**
 * The table's index j for first word x (a u32): the least j < L with x < th[j], or L for the tail.
 * The count is kLo + j when j < L (tableDraw does the rest).
 */
export function tableSearch(table: Uint32Array, at: number, x: number): number {
  const L = table[at]!;
  const th = at + TABLE_HEADER_WORDS;
  let j = table[th + L + (x >>> (32 - table[at + 2]!))]!;
  while (j < L && x >= table[th + j]!) j++;
  return j;
}

/**
 * The count for first word x (a u32) from the table at table[at …] of the f32 mean mu; `draws`
 * supplies the next word only in the tail (probability ≤ 2^-32). WGSL twin: tableCount in
 * shaders/arrivals.wgsl.
 */
export function tableDraw(table: Uint32Array, at: number, mu: number, x: number, draws: DrawStream): number {
  const j = tableSearch(table, at, x);
  const L = table[at]!;
  if (j < L) return table[at + 1]! + j;
  return tableTail(table[at + 1]! + L, tableH0(table, at), f(mu), draws.nextU32());
}

/** The table's h0 (its word 3 as an f32). */
export function tableH0(table: Uint32Array, at: number): number {
  F32_BITS[0] = table[at + 3]!;
  return F32_VALUE[0]!;
}

/**
 * The upper tail beyond the table by inversion of its conditional law: k = k0, c = p = h0; while
 * u ≥ c (and at most TABLE_TAIL_MAX steps): k += 1, p = f32(f32(p·μ)/k), c = f32(c + p).
 */
export function tableTail(k0: number, h0: number, mu: number, word: number): number {
  const u = u01(word);
  let k = k0;
  let p = h0;
  let c = h0;
  while (u >= c && k < k0 + TABLE_TAIL_MAX) {
    k++;
    p = f(f(p * mu) / k);
    c = f(c + p);
  }
  return k;
}

/**
 * A batch's tables packed into one array, one table per distinct mean (agents with the same mean
 * share it), each agent with its table's word offset or NO_TABLE. The buffer is reused across
 * packs (clear()), so packing a chunk after another allocates nothing once it has grown.
 *
 * @example
 *   const pack = new PoissonTablePack(); const at = pack.add(mu); const words = pack.words();
 */
export class PoissonTablePack {
  private buffer = new Uint32Array(1024);
  private used = 0;
  private readonly offsets = new Map<number, number>();

  /** `guideBits`: how much finer than the coarse guide its tables' guides are (0, or GPU_GUIDE_BITS). */
  constructor(private readonly guideBits = 0) {}

  /** Forgets every table (the buffer is kept). */
  clear(): void {
    this.used = 0;
    this.offsets.clear();
  }

  /** The offset of mu's table (built on first use); mu as buildPoissonTable takes it. */
  add(mu: number): number {
    const known = this.offsets.get(mu);
    if (known !== undefined) return known;
    checkMean(mu);
    const plan = planTable(mu, this.guideBits);
    const words = TABLE_HEADER_WORDS + plan.L + (1 << plan.b);
    if (this.used + words > this.buffer.length) {
      const grown = new Uint32Array(Math.max(2 * this.buffer.length, this.used + words));
      grown.set(this.buffer.subarray(0, this.used));
      this.buffer = grown;
    }
    const at = this.used;
    writeTable(plan, this.buffer, at);
    this.used += words;
    this.offsets.set(mu, at);
    return at;
  }

  /** Distinct tables packed so far. */
  get tables(): number {
    return this.offsets.size;
  }

  /** The packed words so far (a view: valid until the next add or clear). */
  words(): Uint32Array {
    return this.buffer.subarray(0, this.used);
  }
}

/**
 * Packs the tables of agents whose `means[a]` is > 0 (0: no table, as poissonTableMean gives):
 * returns the words and each agent's offset into them (NO_TABLE for none).
 */
export function packPoissonTables(means: ArrayLike<number>, pack = new PoissonTablePack()): { words: Uint32Array; offset: Uint32Array } {
  pack.clear();
  const offset = new Uint32Array(means.length).fill(NO_TABLE);
  for (let a = 0; a < means.length; a++) if (means[a]! > 0) offset[a] = pack.add(means[a]!);
  return { words: pack.words().slice(), offset };
}
