/**
 * A DDSketch (Masson, Rim, Lee, VLDB 2019) with exact, order-independent merges: the key mapping is
 * `@datadog/sketches-js`'s own (LogarithmicMapping, what `new DDSketch()` uses), the stores are sparse
 * integer counts kept here. Every quantile is within ±relativeAccuracy (0.5 % by default) of the exact
 * order statistic at rank ⌊q·(n−1)⌋; values with |x| ≤ ~1.1e-308 count as zero.
 *
 * Why not the library's stores: in 2.1.1 (node_modules/@datadog/sketches-js/dist/ddsketch/DDSketch.js
 * and store/DenseStore.js) `DDSketch.merge` never merges `negativeStore` (negative values of the merged
 * sketch are lost), `DenseStore._extendRange(key, secondKey)` reads `secondKey || key` so a merged
 * store whose top key is 0 (values ≈ 1) writes past its bins (NaN counts), and growing by
 * `push.apply` overflows the call stack for ranges like 1e-300..1e300. Our BinCounts (store.ts: a
 * dense window of counts, a Map beyond it) avoids all three and makes a merge a plain integer addition
 * per bin, hence exactly order-independent. Memory: ≤ 8 bytes per bin between the smallest and the
 * largest key in the window (≈ 230 bins per decade at 0.5 %, at most 64 KiB), one Map entry per
 * occupied bin beyond it, whatever n.
 *
 * Bin keys come from `Math.log2`; V8 computes it in software (fdlibm port), so shards run on
 * different machines with the same Node major version agree. A value's key is first looked up in a
 * table per binary exponent (KeyTable, by the top SLOT_BITS bits of the significand; built on first
 * use from Math.log2 itself), and computed only where the table cannot vouch for it: the same key,
 * a few times faster on the sweep's per-run path.
 *
 * @example
 *   const s = new QuantileSketch(0.005); s.add(-2); s.add(0); s.add(3); s.quantile(0.5); // 0
 */
import { DDSketch } from '@datadog/sketches-js';
import { doubleView } from './doubleBits.js';
import { BinCounts } from './store.js';

/** A double's bits (doubleBits.ts). */
const { bits: BITS, words: WORDS, hi: HI, lo: LO } = doubleView();

type KeyMapping = DDSketch['mapping'];

/** Occupied bins of one store, keys strictly increasing, counts positive integers. */
export interface StoreJson {
  indexes: number[];
  counts: number[];
}
export interface SketchJson {
  zeroCount: number;
  positive: StoreJson;
  negative: StoreJson;
}

export const DEFAULT_RELATIVE_ACCURACY = 0.005;

/** Values whose keys the constructor compares with the library's mapping (both sides of bucket edges, tiny to huge). */
const KEY_PROBES = [1e-9, 0.001, 0.5, 1, 1.0000001, 2, 3.7, 99.99, 1e6, 1e12];

/** The library's key mapping at one relative accuracy, with the constants add() inlines. */
interface Mapping {
  readonly mapping: KeyMapping;
  readonly minPossible: number;
  /** key(x) = ⌈log2(x)·multiplier⌉ + offset, as LogarithmicMapping computes it. */
  readonly multiplier: number;
  readonly offset: number;
  /** Per biased binary exponent, its slots' keys (keyTable), built once TABLE_AFTER of its values have come. */
  readonly tables: (Int32Array | undefined)[];
  /** Per biased binary exponent without a table yet, how many of its values have come (up to TABLE_AFTER). */
  readonly seen: Uint16Array;
}

/**
 * Key tables: x > 0 is 2^(b − 1023)·(1 + f), and its key ⌈log2(x)·multiplier⌉ + offset is constant
 * over most of each of the 2^SLOT_BITS slots of f's top bits within one exponent b (a bin spans
 * 2^SLOT_BITS / multiplier ≈ 59 slots at 0.5 %). A slot's entry is that key when the slot's smallest
 * and largest doubles give it even with their products moved outwards by KEY_MARGIN (relative):
 * Math.log2 is within an ulp of log2 (fdlibm), which is increasing, so every double between them has
 * a product within a few ulps of [lo, hi] and so the same ceiling. A slot holding a bin edge, or too
 * close to one, is NO_KEY and its values are computed (≈ 1.7 % of slots at 0.5 %). So the key is
 * always Math.ceil(Math.log2(x)·multiplier) + offset (test/stats.test.ts: every slot's edges, values
 * on bins' edges, random values, against the library's mapping). An exponent gets its table (16 KiB)
 * only after TABLE_AFTER of its values: a sweep's differences and spreads touch hundreds of exponents
 * a few times each (up to 32 MiB of tables for every one), its metrics a few dozen often.
 */
const SLOT_BITS = 12;
const SLOTS = 1 << SLOT_BITS;
/** Far beyond the few ulps Math.log2 and the product can be off (2^-44 ≈ 5.7e-14 relative). */
const KEY_MARGIN = 2 ** -44;
/** Values of one binary exponent computed before it gets a table. */
const TABLE_AFTER = 256;
/** Not a key (keys stay within ±2^30: a mapping finer than that leaves the slot to be computed). */
const NO_KEY = -0x80000000;

/** Exponent b's key table (subnormals, b = 0, and b = 2047 have no table: every entry NO_KEY). */
function keyTable(m: Mapping, b: number): Int32Array {
  const table = new Int32Array(SLOTS).fill(NO_KEY);
  if (b > 0 && b < 2047) {
    const exact = (hi: number, lo: number): number => {
      WORDS[HI] = hi;
      WORDS[LO] = lo;
      return Math.log2(BITS[0]!) * m.multiplier;
    };
    const shift = 20 - SLOT_BITS;
    for (let s = 0; s < SLOTS; s++) {
      const top = (b << 20) | (s << shift);
      const low = exact(top, 0); // the slot's smallest double
      const high = exact(top | ((1 << shift) - 1), 0xffffffff); // and its largest
      const margin = KEY_MARGIN * Math.max(Math.abs(low), Math.abs(high));
      const key = Math.ceil(low - margin);
      if (key === Math.ceil(high + margin) && Math.abs(key + m.offset) < 2 ** 30) table[s] = key + m.offset;
    }
  }
  m.tables[b] = table;
  return table;
}

/** The key of x > 0 (x finite): Math.ceil(Math.log2(x)·multiplier) + offset, from the table where it can. */
function keyOf(m: Mapping, x: number): number {
  BITS[0] = x;
  const hi = WORDS[HI]!;
  const b = hi >>> 20; // x > 0: no sign bit
  const table = m.tables[b] ?? (++m.seen[b]! >= TABLE_AFTER ? keyTable(m, b) : null);
  const key = table === null ? NO_KEY : table[(hi >>> (20 - SLOT_BITS)) & (SLOTS - 1)]!;
  return key !== NO_KEY ? key : Math.ceil(Math.log2(x) * m.multiplier) + m.offset;
}

/**
 * The mapping per relative accuracy, built and probed once (a sweep makes a sketch per metric, cell and
 * policy, and a buffered StatAccumulator a short-lived one each time it is read).
 */
const MAPPINGS = new Map<number, Mapping>();
function mappingFor(relativeAccuracy: number): Mapping {
  const known = MAPPINGS.get(relativeAccuracy);
  if (known !== undefined) return known;
  if (!(relativeAccuracy > 0 && relativeAccuracy < 1)) {
    throw new RangeError(`relativeAccuracy must be in (0, 1), got ${relativeAccuracy}`);
  }
  const mapping = new DDSketch({ relativeAccuracy }).mapping;
  const internals = mapping as unknown as { _multiplier?: unknown; _offset?: unknown };
  if (typeof internals._multiplier !== 'number' || typeof internals._offset !== 'number') {
    throw new Error('QuantileSketch: @datadog/sketches-js LogarithmicMapping no longer has _multiplier and _offset');
  }
  const multiplier = internals._multiplier;
  const offset = internals._offset;
  // The inline key (add) must be the library's: probe it here, by behaviour rather than by class name
  // (a minified browser bundle renames classes).
  for (const x of KEY_PROBES) {
    if (mapping.key(x) !== Math.ceil(Math.log2(x) * multiplier) + offset) {
      throw new Error('QuantileSketch: @datadog/sketches-js no longer maps values to keys as Math.ceil(log2(x)·multiplier) + offset');
    }
  }
  const entry: Mapping = {
    mapping,
    minPossible: mapping.minPossible,
    multiplier,
    offset,
    tables: new Array<Int32Array | undefined>(2048),
    seen: new Uint16Array(2048),
  };
  MAPPINGS.set(relativeAccuracy, entry);
  return entry;
}

export class QuantileSketch {
  readonly relativeAccuracy: number;
  readonly #mapping: KeyMapping;
  readonly #minPossible: number;
  /** The mapping's constants and key tables: keyOf(m, x) is its key(x) (the same operations, so the same keys). */
  readonly #m: Mapping;
  readonly #pos = new BinCounts(); // key of x → count, x > minPossible
  readonly #neg = new BinCounts(); // key of −x → count, x < −minPossible
  #zero = 0;
  #negCount = 0;
  #count = 0;

  constructor(relativeAccuracy = DEFAULT_RELATIVE_ACCURACY) {
    const m = mappingFor(relativeAccuracy); // throws RangeError outside (0, 1)
    this.relativeAccuracy = relativeAccuracy;
    this.#mapping = m.mapping;
    this.#minPossible = m.minPossible;
    this.#m = m;
  }

  /** Throws what the constructor throws for this accuracy (a RangeError outside (0, 1)), without a sketch. */
  static check(relativeAccuracy: number): void {
    mappingFor(relativeAccuracy);
  }

  get count(): number {
    return this.#count;
  }

  /** Adds one finite value (the caller checks finiteness). */
  add(x: number): void {
    this.addRepeated(x, 1);
  }

  /** Adds `count` copies of a finite value (count a positive safe integer): one bin's count grows by `count`. */
  addRepeated(x: number, count: number): void {
    // key(x) as LogarithmicMapping computes it (Math.ceil(Math.log2(x) * multiplier) + offset), mostly
    // from a table: the sweep adds ~200 values per fleet run (test/stats.test.ts checks it).
    if (x > this.#minPossible) this.#pos.add(keyOf(this.#m, x), count);
    else if (x < -this.#minPossible) {
      this.#neg.add(keyOf(this.#m, -x), count);
      this.#negCount += count;
    } else this.#zero += count;
    this.#count += count;
  }

  merge(o: QuantileSketch): void {
    if (o.relativeAccuracy !== this.relativeAccuracy) {
      throw new Error(`cannot merge sketches of relative accuracy ${o.relativeAccuracy} and ${this.relativeAccuracy}`);
    }
    this.#pos.merge(o.#pos);
    this.#neg.merge(o.#neg);
    this.#zero += o.#zero;
    this.#negCount += o.#negCount;
    this.#count += o.#count;
  }

  /**
   * The value at quantile q ∈ [0, 1], NaN when empty: the representative of the bin holding the
   * order statistic at rank ⌊q·(n−1)⌋, the same rule as the library's `getValueAtQuantile`.
   */
  quantile(q: number): number {
    return quantileOf(
      this.#mapping,
      this.#count,
      this.#negCount,
      this.#zero,
      () => this.#neg.sorted(),
      () => this.#pos.sorted(),
      q,
    );
  }

  /** Bins in increasing key order: the same multiset of values always gives the same object. */
  toJSON(): SketchJson {
    return { zeroCount: this.#zero, positive: this.#pos.sorted(), negative: this.#neg.sorted() };
  }

  /** The bin key of x > 0 as add() computes it (for the test that it is the library mapping's key). */
  keyOf(x: number): number {
    return keyOf(this.#m, x);
  }

  /** The library mapping's key of x > 0. */
  mappingKey(x: number): number {
    return this.#mapping.key(x);
  }

  /** Rebuilds a sketch from `toJSON` output; the shape must already be validated (see accumulator.ts). */
  static fromJSON(relativeAccuracy: number, j: SketchJson): QuantileSketch {
    const s = new QuantileSketch(relativeAccuracy);
    const load = (m: BinCounts, st: StoreJson): number => {
      let total = 0;
      st.indexes.forEach((k, i) => {
        const c = st.counts[i]!;
        m.add(k, c);
        total += c;
      });
      return total;
    };
    s.#zero = j.zeroCount;
    s.#negCount = load(s.#neg, j.negative);
    s.#count = s.#zero + s.#negCount + load(s.#pos, j.positive);
    return s;
  }
}

/**
 * QuantileSketch.quantile over a sketch's counts: `neg` and `pos` give the stores in increasing key
 * order (read only on the side the rank falls in). The one place of the rule, for a sketch and for
 * SmallSketch alike, so both give the same bits.
 */
function quantileOf(
  mapping: KeyMapping,
  count: number,
  negCount: number,
  zero: number,
  neg: () => StoreJson,
  pos: () => StoreJson,
  q: number,
): number {
  if (!(q >= 0 && q <= 1) || count === 0) return NaN;
  const rank = q * (count - 1);
  if (rank < negCount) {
    const need = negCount - rank; // walking |x| upwards: the (negCount − rank)-th largest |x|
    const { indexes, counts } = neg();
    let running = 0;
    for (let i = 0; i < indexes.length; i++) {
      running += counts[i]!;
      if (running >= need) return -mapping.value(indexes[i]!);
    }
  } else if (rank < negCount + zero) return 0;
  else {
    const r = rank - negCount - zero;
    const { indexes, counts } = pos();
    let running = 0;
    for (let i = 0; i < indexes.length; i++) {
      running += counts[i]!;
      if (running > r) return mapping.value(indexes[i]!);
    }
  }
  throw new Error('QuantileSketch: bin counts disagree with the total count'); // unreachable
}

/**
 * The sketch of a short list of values, read once: the same toJSON() and quantile() as a
 * QuantileSketch those values were added to (the same key expression, the same quantile rule), but
 * its stores are the sorted keys themselves, not a dense window of counts (a Float64Array of 64
 * bins and more per sketch). For reads of a buffered StatAccumulator, which make one per read, and
 * for one read from a checkpoint, which keeps its stores as they were read.
 *
 * @example
 *   const s = SmallSketch.of(0.005, [3, -2, 0]); s.quantile(0.5); // 0, as QuantileSketch gives
 */
export class SmallSketch {
  readonly #mapping: KeyMapping;
  readonly #json: SketchJson;
  readonly #count: number;
  readonly #negCount: number;

  /** A sketch of these stores (validated, as `toJSON` gives them; kept, not copied). */
  constructor(relativeAccuracy: number, json: SketchJson) {
    this.#mapping = mappingFor(relativeAccuracy).mapping;
    this.#json = json;
    const total = (st: StoreJson): number => st.counts.reduce((a, c) => a + c, 0);
    this.#negCount = total(json.negative);
    this.#count = json.zeroCount + this.#negCount + total(json.positive);
  }

  /** The sketch of `values`: finite, −0 already 0 (what StatAccumulator buffers). */
  static of(relativeAccuracy: number, values: readonly number[]): SmallSketch {
    const m = mappingFor(relativeAccuracy);
    const pos: number[] = [];
    const neg: number[] = [];
    let zero = 0;
    for (const x of values) {
      // QuantileSketch.add's keys, the same operations
      if (x > m.minPossible) pos.push(keyOf(m, x));
      else if (x < -m.minPossible) neg.push(keyOf(m, -x));
      else zero++;
    }
    return new SmallSketch(relativeAccuracy, { zeroCount: zero, positive: runs(pos), negative: runs(neg) });
  }

  quantile(q: number): number {
    const j = this.#json;
    return quantileOf(
      this.#mapping,
      this.#count,
      this.#negCount,
      j.zeroCount,
      () => j.negative,
      () => j.positive,
      q,
    );
  }

  /** As QuantileSketch.toJSON (fresh arrays). */
  toJSON(): SketchJson {
    const { zeroCount, positive, negative } = this.#json;
    return {
      zeroCount,
      positive: { indexes: positive.indexes.slice(), counts: positive.counts.slice() },
      negative: { indexes: negative.indexes.slice(), counts: negative.counts.slice() },
    };
  }
}

/** Keys (integers) as a store: sorted, equal keys counted; a key −0 listed as 0, as BinCounts lists it. */
function runs(keys: number[]): StoreJson {
  keys.sort((a, b) => a - b);
  const indexes: number[] = [];
  const counts: number[] = [];
  for (const k of keys) {
    if (indexes.length > 0 && indexes[indexes.length - 1] === k) counts[counts.length - 1]!++;
    else {
      indexes.push(k + 0);
      counts.push(1);
    }
  }
  return { indexes, counts };
}
