/**
 * A fast exact sum of doubles (a Kulisch-style superaccumulator) in front of an ExactSum: `add` costs a
 * few integer operations and three array additions whatever the values, where ExactSum.add walks its
 * partials list. The bins are folded into the ExactSum only when a result is read (`exact()`), when
 * they could stop being exact, and on merge; since ExactSum's results (value, components, toJSON)
 * depend only on the exact sum, they are bit-identical to adding every value to the ExactSum directly.
 *
 * How a double is held exactly: every finite double is ±m·2^(b − 1074) with an integer significand
 * m < 2^53 and a bit offset b = max(biased exponent, 1) − 1 ∈ [0, 2045] (subnormals and zero: b = 0,
 * no hidden bit). m·2^(b mod 32) < 2^84 is split into three 32-bit chunks, added (with x's sign) to
 * bins k, k+1, k+2 for k = ⌊b / 32⌋, where bin j weighs 2^(32j − 1074). A chunk is < 2^32, so a bin
 * stays an integer of magnitude < 2^53 — exact in a double — for up to 2^21 additions; the bins are
 * folded before more. `addRepeated(x, m)` adds each chunk times m and counts as m additions, so m
 * copies cost one addition's work and the bins stay exact.
 *
 * Range: a bin times its weight is at most Σ|x| over the values it holds, so folding stays finite
 * while Σ|x| is within the double range, as ExactSum needs anyway; StatAccumulator's values (|x| ≤
 * 1e100 < 2^333, x² < 2^665, n ≤ 2^53) are far below. Past it, folding throws ExactSum's RangeError.
 *
 * @example
 *   const s = new Superaccumulator(); s.add(1e100); s.add(1); s.add(-1e100); s.exact().value(); // 1
 */
import { doubleView } from './doubleBits.js';
import { ExactSum, twoProductError } from './exactSum.js';

/** A double's bits (doubleBits.ts). */
const { bits: BITS, words: WORDS, hi: HI, lo: LO } = doubleView();

/** Bins for bit offsets 0..2045 plus the two above the top chunk: ⌊2045 / 32⌋ + 3. */
const BINS = 66;
/** Additions the bins hold before they are folded: each adds < 2^32 to a bin, and 2^21 · (2^32 − 1) < 2^53. */
const FOLD_EVERY = 2 ** 21;
/** WEIGHT[j] = 2^(32j − 1074): from Number.MIN_VALUE = 2^-1074 by exact multiplications by 2^32. */
const WEIGHT = new Float64Array(BINS);
for (let j = 0, w = Number.MIN_VALUE; j < BINS; j++, w *= 2 ** 32) WEIGHT[j] = w;

export class Superaccumulator {
  /**
   * bins[j]: an integer, |bins[j]| < 2^53, weighing 2^(32j − 1074); allocated at the first add (a sweep
   * holds thousands of sums per cell, and those of a metric a cell never defines stay empty).
   */
  #bins: Float64Array | null = null;
  #adds = 0; // additions since the last fold, at most FOLD_EVERY
  /** Everything folded so far. */
  readonly #folded: ExactSum;

  /** Starts from `start`'s value; `start` becomes this sum's own (it is added into, not copied). */
  constructor(start = new ExactSum()) {
    this.#folded = start;
  }

  /** Adds a finite x exactly (the caller checks finiteness: ±Infinity/NaN would add garbage chunks). */
  add(x: number): void {
    this.#put(x, 1);
  }

  /**
   * Adds `count` copies of a finite x (count a positive safe integer): the same exact sum as `count`
   * calls of add(x), at the cost of one per FOLD_EVERY copies.
   */
  addRepeated(x: number, count: number): void {
    for (let left = count; left > 0; left -= FOLD_EVERY) this.#put(x, Math.min(left, FOLD_EVERY));
  }

  /** Adds `copies` ≤ FOLD_EVERY copies of x: each of its chunks times `copies`, counted as that many additions towards the fold. */
  #put(x: number, copies: number): void {
    if (this.#adds + copies > FOLD_EVERY) this.#fold();
    BITS[0] = x;
    const hi = WORDS[HI]!;
    const lo = WORDS[LO]!; // significand bits 0..31
    const biased = (hi >>> 20) & 0x7ff;
    const top = (hi & 0xfffff) | (biased === 0 ? 0 : 0x100000); // significand bits 32..52, hidden bit included
    const b = biased === 0 ? 0 : biased - 1;
    const s = b & 31;
    const k = b >>> 5;
    // m·2^s in 32-bit chunks. (v >>> 1) >>> (31 − s) is v >>> (32 − s) for s ≥ 1, and 0 for s = 0,
    // where JS would read v >>> 32 as v >>> 0. `top << s` keeps its low 32 bits; the rest is c2.
    const c0 = (lo << s) >>> 0;
    const c1 = ((top << s) | ((lo >>> 1) >>> (31 - s))) >>> 0;
    const c2 = (top >>> 1) >>> (31 - s);
    // ±copies: a chunk (< 2^32) times copies (≤ 2^21) is an integer < 2^53, exact, and so is each bin
    // sum while at most FOLD_EVERY additions are in the bins (< 2^21 · 2^32).
    const times = copies * (1 - 2 * (hi >>> 31));
    const bins = (this.#bins ??= new Float64Array(BINS));
    bins[k]! += times * c0;
    bins[k + 1]! += times * c1;
    bins[k + 2]! += times * c2;
    this.#adds += copies;
  }

  /**
   * Adds a·b exactly as p + e (TwoProduct, the same operations as ExactSum.addProduct, so a product
   * too small for an exact error term still adds the same e). Needs |a|, |b| < 2^996.
   */
  addProduct(a: number, b: number): void {
    const p = a * b;
    this.add(p);
    const e = twoProductError(a, b, p);
    if (e !== 0) this.add(e); // adding 0 leaves the sum as it is
  }

  /** Adds `count` copies of a·b as addProduct adds one (count a positive safe integer). */
  addProductRepeated(a: number, b: number, count: number): void {
    const p = a * b;
    this.addRepeated(p, count);
    const e = twoProductError(a, b, p);
    if (e !== 0) this.addRepeated(e, count);
  }

  /** Adds the other sum's exact value; `o`'s value is unchanged (its bins are read, not folded). */
  merge(o: Superaccumulator): void {
    this.#fold(); // first: with o === this, the bins are then zero and the folded sum merges once
    this.#folded.merge(o.#folded);
    if (o.#bins !== null) addBins(this.#folded, o.#bins);
  }

  /**
   * The exact sum so far, as the ExactSum everything is folded into: read it (value, components,
   * toJSON) or clone it, but do not change it.
   */
  exact(): ExactSum {
    this.#fold();
    return this.#folded;
  }

  #fold(): void {
    if (this.#adds === 0 || this.#bins === null) return;
    addBins(this.#folded, this.#bins);
    this.#bins.fill(0);
    this.#adds = 0;
  }
}

/** Adds Σ bins[j]·2^(32j − 1074) into `s`: each product is exact (an integer < 2^53 times a power of two). */
function addBins(s: ExactSum, bins: Float64Array): void {
  for (let j = 0; j < BINS; j++) {
    const c = bins[j]!;
    if (c !== 0) s.add(c * WEIGHT[j]!);
  }
}
