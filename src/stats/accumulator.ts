/**
 * Streaming statistics of one metric in bounded memory, mergeable and order-independent: n, mean,
 * sample standard deviation, 95 % Student-t confidence interval of the mean, exact min/max and
 * p50/p90/p99 from a DDSketch (within ±0.5 % relative by default, clamped to [min, max]).
 *
 * Everything is a function of the multiset of values added, never of their order or of how they were
 * split into accumulators that were merged: Σx and Σx² are exact (ExactSum; x² via TwoProduct), and
 * the variance is formed from them exactly too (n·Σx² − (Σx)² as an exact expansion, rounded once),
 * so it keeps full precision even when the coefficient of variation is tiny (no cancellation). The
 * sketch merges by integer addition per bin. So summary() and toJSON() are bit-identical across
 * batching, sharding and resume.
 *
 * Speed: `add` is on the sweep's per-run path (~200 values per paper fleet run), so the sums go through a
 * Superaccumulator (a few integer operations per value, folded into the ExactSum only when a result
 * is read) and the sketch counts in a dense array; both keep the exact same results. A value equal to
 * the one before (a 0/1 flag, a metric that is 0 in every run, a tie's difference 0) only counts:
 * equal values in a row are held as one pending run (value, count) and added in one go
 * (`addRepeated`: the sums add each chunk times the count, the sketch's bin grows by the count), the
 * same state as one add each; every read, merge and build adds the pending run first.
 *
 * Memory: those cost ~2.5 KB per accumulator whatever n, and a sweep holds one per metric × policy,
 * per pair and verdict metric, and per agent of a fixed fleet: ~800 per cell for the paper's fleet and
 * six policies, 2 MB per cell, 2 GB for a grid of 1,000 one-run cells. So the first BUFFERED_VALUES
 * values are kept as they came (8 bytes each), and the sketch and sums are built from them only when
 * one more arrives or a merge brings more; a read (summary, toJSON) of a buffered accumulator builds
 * them for the read alone. One read from JSON (a checkpoint, a shard) keeps its exact sums and its
 * sketch's stores as read (a few hundred bytes) until a value or a merge arrives. Since every result
 * depends only on the multiset of values, neither changes a bit of any result (test/stats.test.ts
 * checks it across the threshold and the JSON round trip).
 *
 * Accepted values: finite with |x| ≤ MAX_MAGNITUDE (1e100), so Σx² over 2^53 values cannot overflow;
 * anything else is a RangeError naming the value (callers decide what to skip). −0 is stored as 0.
 *
 * @example
 *   const a = new StatAccumulator(); a.add(1.5); a.add(2.5);
 *   const b = new StatAccumulator(); b.add(4);
 *   a.merge(b); a.summary(); // { n: 3, mean: 2.666…, std: 1.258…, ci95: [...], min: 1.5, … }
 *   const copy = StatAccumulator.fromJSON(JSON.parse(JSON.stringify(a))); // same summary, same JSON
 */
import tQuantile from '@stdlib/stats-base-dists-t-quantile';
import { z } from 'zod';
import { ExactSum } from './exactSum.js';
import { parseStatsJson } from './json.js';
import { DEFAULT_RELATIVE_ACCURACY, QuantileSketch, type SketchJson, SmallSketch } from './sketch.js';
import { Superaccumulator } from './superaccumulator.js';

/** Largest |x| accepted: keeps n·Σx² (n ≤ 2^53) and the exact products far from overflow. */
export const MAX_MAGNITUDE = 1e100;
export const STAT_FORMAT = 'fleetsim.stat';
export const STAT_VERSION = 1;

/**
 * JSON-safe summary (null where a statistic is undefined). std is the sample standard deviation
 * (n − 1 denominator); for n = 1 std and both ci95 bounds are null (no spread can be estimated). Quantiles are the sketch's, within
 * ±relativeAccuracy of the exact order statistic at rank ⌊q·(n−1)⌋, clamped to [min, max].
 */
export interface StatSummary {
  n: number;
  mean: number;
  std: number | null;
  ci95: [number | null, number | null]; // mean ∓ t(0.975, n−1)·std/√n
  min: number;
  max: number;
  p50: number;
  p90: number;
  p99: number;
}

const storeSchema = z.strictObject({ indexes: z.array(z.int()), counts: z.array(z.int().positive()) });

/** Shape and internal consistency of `StatAccumulator.toJSON()` output. */
export const statJsonSchema = z
  .strictObject({
    format: z.literal(STAT_FORMAT),
    version: z.literal(STAT_VERSION),
    relativeAccuracy: z.number().gt(0).lt(1),
    n: z.int().nonnegative(),
    sum: z.array(z.number()),
    sumSq: z.array(z.number()),
    min: z.number().min(-MAX_MAGNITUDE).max(MAX_MAGNITUDE).nullable(),
    max: z.number().min(-MAX_MAGNITUDE).max(MAX_MAGNITUDE).nullable(),
    sketch: z.strictObject({ zeroCount: z.int().nonnegative(), positive: storeSchema, negative: storeSchema }),
  })
  .superRefine((j, ctx) => {
    const issue = (path: (string | number)[], message: string): void => ctx.addIssue({ code: 'custom', path, message });
    let binned = j.sketch.zeroCount;
    for (const side of ['positive', 'negative'] as const) {
      const { indexes, counts } = j.sketch[side];
      if (indexes.length !== counts.length) issue(['sketch', side], 'indexes and counts differ in length');
      if (indexes.some((k, i) => i > 0 && k <= indexes[i - 1]!)) issue(['sketch', side, 'indexes'], 'not strictly increasing');
      binned += counts.reduce((s, c) => s + c, 0);
    }
    if (binned !== j.n) issue(['n'], `is ${j.n} but the sketch holds ${binned} values`);
    if ((j.n === 0) !== (j.min === null) || (j.n === 0) !== (j.max === null)) {
      issue(['min'], 'min and max must be null exactly when n is 0');
    } else if (j.min !== null && j.max !== null) {
      if (j.min > j.max) issue(['min'], `min ${j.min} exceeds max ${j.max}`);
      // Σx/n must lie in [min, max] (up to the two roundings of value()/n): catches a damaged sum.
      const mean = sumOf(j.sum) / j.n;
      const slack = 4 * Number.EPSILON * Math.max(Math.abs(j.min), Math.abs(j.max));
      if (!(mean >= j.min - slack && mean <= j.max + slack)) issue(['sum'], `mean ${mean} lies outside [min, max]`);
    }
    if (!(sumOf(j.sumSq) >= 0)) issue(['sumSq'], 'is negative or overflows');
  });

/** The exact sum of a JSON partials list, NaN when it overflows (a corrupt file, not a throw). */
function sumOf(p: number[]): number {
  try {
    return ExactSum.fromJSON(p).value();
  } catch {
    return NaN;
  }
}

export type StatJson = z.output<typeof statJsonSchema>;

/** Values a StatAccumulator holds as they came before it builds its sketch and sums (see the header). */
export const BUFFERED_VALUES = 32;

/** The sketch and the two exact sums: what the values make once there are more than BUFFERED_VALUES. */
interface Built {
  readonly sketch: QuantileSketch;
  readonly sum: Superaccumulator; // Σx
  readonly sumSq: Superaccumulator; // Σx², exact (each x² as TwoProduct)
}

/** An accumulator read from JSON: its exact sums and its sketch's stores (canonical: what toJSON wrote). */
interface Read {
  readonly sum: ExactSum;
  readonly sumSq: ExactSum;
  readonly sketch: SketchJson;
}

/** The sketch and the exact sums to read results from (a Built's or a Read's, or made from the buffered values). */
interface Readout {
  readonly sketch: QuantileSketch | SmallSketch;
  readonly sum: ExactSum;
  readonly sumSq: ExactSum;
}

export class StatAccumulator {
  readonly #relativeAccuracy: number;
  /** The values added so far while there are at most BUFFERED_VALUES of them and nothing is built or read (−0 stored as 0). */
  #buffer: number[] | null = null;
  /**
   * Read from JSON (a checkpoint, a shard) and not added to since: the exact sums and the sketch's
   * stores as read, a few hundred bytes, where built ones take kilobytes. The first add or merge
   * into it builds (#build).
   */
  #read: Read | null = null;
  #built: Built | null = null;
  #n = 0; // every value, the pending run's included
  /** The pending run: the last value added (NaN before any) and how many of it in a row are not yet in the buffer or the built state. */
  #run = NaN;
  #runCount = 0;
  #min = Infinity;
  #max = -Infinity;

  constructor(relativeAccuracy = DEFAULT_RELATIVE_ACCURACY) {
    QuantileSketch.check(relativeAccuracy); // a bad accuracy throws here, not at the 33rd value
    this.#relativeAccuracy = relativeAccuracy;
  }

  get count(): number {
    return this.#n;
  }

  get relativeAccuracy(): number {
    return this.#relativeAccuracy;
  }

  add(x: number): void {
    if (!(Math.abs(x) <= MAX_MAGNITUDE)) {
      throw new RangeError(`StatAccumulator: cannot add ${x} (finite values with |x| ≤ ${MAX_MAGNITUDE} only)`);
    }
    const v = x + 0; // −0 → +0 (and x otherwise): JSON cannot carry −0, and min/max must not see it
    this.#n++;
    if (v === this.#run) {
      this.#runCount++;
      return;
    }
    if (this.#runCount > 0) this.#place(this.#run, this.#runCount);
    this.#run = v;
    this.#runCount = 1;
    if (v < this.#min) this.#min = v;
    if (v > this.#max) this.#max = v;
  }

  /** Adds `count` copies of x (count a positive integer): the same state as `count` calls of add(x). */
  addRepeated(x: number, count: number): void {
    if (!(Math.abs(x) <= MAX_MAGNITUDE)) {
      throw new RangeError(`StatAccumulator: cannot add ${x} (finite values with |x| ≤ ${MAX_MAGNITUDE} only)`);
    }
    if (!(Number.isSafeInteger(count) && count > 0))
      throw new RangeError(`StatAccumulator: cannot add ${count} copies (a positive integer)`);
    if (!Number.isSafeInteger(this.#n + count)) throw new RangeError('StatAccumulator: count exceeds 2^53');
    const v = x + 0;
    this.#n += count;
    if (v === this.#run) {
      this.#runCount += count;
      return;
    }
    if (this.#runCount > 0) this.#place(this.#run, this.#runCount);
    this.#run = v;
    this.#runCount = count;
    if (v < this.#min) this.#min = v;
    if (v > this.#max) this.#max = v;
  }

  /**
   * Adds xs[start + i·stride] for i < count, each as add() would (a sweep's column: one metric of one
   * policy over a block of fleet runs); `leaveOut` 'nan' skips a NaN (an undefined value), 'nonFinite'
   * any non-finite value, 'none' nothing (a value add() refuses throws, after the values before it).
   * The same state as add() per value, with the pending run, n, min and max kept in locals.
   */
  addStrided(xs: ArrayLike<number>, start: number, count: number, stride: number, leaveOut: 'none' | 'nan' | 'nonFinite'): void {
    let run = this.#run;
    let runCount = this.#runCount;
    let n = this.#n;
    let min = this.#min;
    let max = this.#max;
    let bad: number | null = null;
    for (let i = 0, at = start; i < count; i++, at += stride) {
      const x = xs[at]!;
      if (!(Math.abs(x) <= MAX_MAGNITUDE)) {
        if (leaveOut === 'nonFinite' ? !Number.isFinite(x) : leaveOut === 'nan' && x !== x) continue;
        bad = x;
        break;
      }
      const v = x + 0; // as add()
      n++;
      if (v === run) {
        runCount++;
        continue;
      }
      if (runCount > 0) this.#place(run, runCount);
      run = v;
      runCount = 1;
      if (v < min) min = v;
      if (v > max) max = v;
    }
    this.#run = run;
    this.#runCount = runCount;
    this.#n = n;
    this.#min = min;
    this.#max = max;
    if (bad !== null) this.add(bad); // throws add()'s RangeError
  }

  /** Puts `count` copies of a checked value v into the buffer while they fit there, else into the built state. */
  #place(v: number, count: number): void {
    const built = this.#built;
    if (built !== null) addTo(built, v, count);
    else if (this.#read === null && (this.#buffer?.length ?? 0) + count <= BUFFERED_VALUES) {
      const buffer = (this.#buffer ??= []);
      for (let i = 0; i < count; i++) buffer.push(v);
    } else addTo(this.#build(), v, count);
  }

  /** Adds the pending run to the buffer or the built state (the run's value stays, to continue it). */
  #flush(): void {
    if (this.#runCount === 0) return;
    this.#place(this.#run, this.#runCount);
    this.#runCount = 0;
  }

  /** Adds every value of a batch (e.g. a Float64Array column read back from the engine). */
  addMany(xs: ArrayLike<number>): void {
    for (let i = 0; i < xs.length; i++) this.add(xs[i]!);
  }

  /** Adds the other accumulator's values; `o` is unchanged. Relative accuracies must match. */
  merge(o: StatAccumulator): void {
    if (!Number.isSafeInteger(this.#n + o.#n)) throw new RangeError('StatAccumulator: count exceeds 2^53');
    if (o.#relativeAccuracy !== this.#relativeAccuracy) {
      // before anything changes (the sketches' own message)
      throw new Error(`cannot merge sketches of relative accuracy ${o.#relativeAccuracy} and ${this.#relativeAccuracy}`);
    }
    if (o.#n === 0) return; // nothing to add: keep this as it is (buffered or read, not built for nothing)
    this.#flush();
    o.#flush(); // o's values as one state (its results unchanged)
    // o's state, read first: o may be this, and building this changes it.
    const theirs = o.#built === null && o.#read === null ? (o.#buffer ?? []).slice() : null;
    const otherBuilt = o.#built;
    const otherRead = o.#read;
    if (this.#built === null && this.#read === null && theirs !== null && (this.#buffer?.length ?? 0) + theirs.length <= BUFFERED_VALUES) {
      if (theirs.length > 0) (this.#buffer ??= []).push(...theirs);
    } else {
      const built = this.#built ?? this.#build();
      if (theirs !== null) for (const v of theirs) addTo(built, v, 1);
      else if (otherBuilt !== null) {
        built.sketch.merge(otherBuilt.sketch);
        built.sum.merge(otherBuilt.sum);
        built.sumSq.merge(otherBuilt.sumSq);
      } else if (otherRead !== null) {
        built.sketch.merge(QuantileSketch.fromJSON(this.#relativeAccuracy, otherRead.sketch));
        built.sum.merge(new Superaccumulator(otherRead.sum)); // merge only reads the other sum: it stays as it is
        built.sumSq.merge(new Superaccumulator(otherRead.sumSq));
      }
    }
    this.#n += o.#n;
    this.#min = Math.min(this.#min, o.#min);
    this.#max = Math.max(this.#max, o.#max);
  }

  /** Builds the sketch and sums from the buffered or read state, for good (that state goes). */
  #build(): Built {
    const read = this.#read;
    const built: Built =
      read === null
        ? { sketch: new QuantileSketch(this.#relativeAccuracy), sum: new Superaccumulator(), sumSq: new Superaccumulator() }
        : {
            sketch: QuantileSketch.fromJSON(this.#relativeAccuracy, read.sketch),
            sum: new Superaccumulator(read.sum.clone()),
            sumSq: new Superaccumulator(read.sumSq.clone()),
          };
    for (const v of this.#buffer ?? []) addTo(built, v, 1);
    this.#buffer = null;
    this.#read = null;
    this.#built = built;
    return built;
  }

  /**
   * The sketch and exact sums of the values so far. While they are buffered, made afresh from the
   * buffer (a SmallSketch: no dense window) and dropped after the read: every result is a function of the multiset of values (the
   * sums are exact, the sketch counts per bin), so it is the same bits as from a built accumulator.
   */
  #readout(): Readout {
    this.#flush();
    const built = this.#built;
    if (built !== null) return { sketch: built.sketch, sum: built.sum.exact(), sumSq: built.sumSq.exact() };
    const read = this.#read;
    if (read !== null) return { sketch: new SmallSketch(this.#relativeAccuracy, read.sketch), sum: read.sum, sumSq: read.sumSq };
    const values = this.#buffer ?? [];
    const r: Readout = { sketch: SmallSketch.of(this.#relativeAccuracy, values), sum: new ExactSum(), sumSq: new ExactSum() };
    for (const v of values) {
      r.sum.add(v);
      r.sumSq.addProduct(v, v); // the same p + e as Superaccumulator.addProduct (e = 0 adds nothing)
    }
    return r;
  }

  /** null for n = 0; see StatSummary for the definitions. */
  summary(): StatSummary | null {
    const n = this.#n;
    if (n === 0) return null;
    const { sketch, sum, sumSq } = this.#readout();
    const mean = this.#mean(sum);
    const clamp = (q: number): number => Math.min(this.#max, Math.max(this.#min, sketch.quantile(q)));
    let std: number | null = null;
    let ci95: [number | null, number | null] = [null, null];
    if (n >= 2) {
      // n·M2 = n·Σx² − (Σx)² exactly, from the canonical expansions (so the products see the same
      // inputs whatever the history); ≥ 0 mathematically, clamped against underflowed x² terms.
      const d = new ExactSum();
      for (const c of sumSq.components()) d.addProduct(n, c);
      const s = sum.components();
      for (const a of s) for (const b of s) d.addProduct(-a, b);
      std = Math.sqrt(Math.max(0, d.value()) / (n * (n - 1))); // n·(n−1) exact below n ≈ 9.5e7
      const half = (tQuantile(0.975, n - 1) * std) / Math.sqrt(n);
      ci95 = [mean - half, mean + half];
    }
    return { n, mean, std, ci95, min: this.#min, max: this.#max, p50: clamp(0.5), p90: clamp(0.9), p99: clamp(0.99) };
  }

  /**
   * Σx/n to within a hair of correct rounding: m0 = round(Σx)/n, then one correction by the exact
   * residual Σx − n·m0 (so n equal values give exactly that value). Clamped to [min, max], where the
   * exact mean lies.
   */
  #mean(sum: ExactSum): number {
    const n = this.#n;
    const m0 = sum.value() / n;
    const r = sum.clone();
    r.addProduct(-n, m0);
    return Math.min(this.#max, Math.max(this.#min, m0 + r.value() / n));
  }

  /** Deterministic: the same multiset of values gives the same object (and JSON string). */
  toJSON(): StatJson {
    const empty = this.#n === 0;
    const { sketch, sum, sumSq } = this.#readout();
    return {
      format: STAT_FORMAT,
      version: STAT_VERSION,
      relativeAccuracy: this.#relativeAccuracy,
      n: this.#n,
      sum: sum.toJSON(),
      sumSq: sumSq.toJSON(),
      min: empty ? null : this.#min,
      max: empty ? null : this.#max,
      sketch: sketch.toJSON(),
    };
  }

  /** Validates and rebuilds; throws StatsFormatError naming the bad field for anything corrupt. */
  static fromJSON(j: unknown): StatAccumulator {
    return StatAccumulator.fromParsed(parseStatsJson(statJsonSchema, j, STAT_FORMAT, STAT_VERSION));
  }

  /** Rebuilds from data already validated by `statJsonSchema` (e.g. nested in another format). */
  static fromParsed(j: StatJson): StatAccumulator {
    const a = new StatAccumulator(j.relativeAccuracy);
    // Kept as read until the first add or merge into it (the values themselves are gone). The stores
    // are canonical once validated (keys strictly increasing, counts positive); the sums are made so.
    a.#read = { sum: ExactSum.fromJSON(j.sum), sumSq: ExactSum.fromJSON(j.sumSq), sketch: j.sketch };
    a.#n = j.n;
    a.#min = j.min ?? Infinity;
    a.#max = j.max ?? -Infinity;
    return a;
  }
}

/** Adds `count` copies of a checked value (−0 already 0) to the sketch and both sums (0 adds nothing to a sum). */
function addTo(built: Built, v: number, count: number): void {
  if (count === 1) {
    if (v !== 0) {
      built.sum.add(v);
      built.sumSq.addProduct(v, v); // |v| ≤ 1e100 < 2^996, as TwoProduct needs
    }
    built.sketch.add(v);
    return;
  }
  if (v !== 0) {
    built.sum.addRepeated(v, count);
    built.sumSq.addProductRepeated(v, v, count);
  }
  built.sketch.addRepeated(v, count);
}
