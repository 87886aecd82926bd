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
 * `push.apply` overflows the call stack for ranges like 1e-300..1e300. Counting bins in a Map avoids
 * all three and makes a merge a plain integer addition per bin, hence exactly order-independent.
 * Memory: one entry per occupied bin, ≤ ln(max/min)/ln(γ) ≈ 230 per decade at 0.5 %, whatever n.
 *
 * Bin keys come from `Math.log2`; V8 computes it in software (fdlibm port), so shards run on
 * different machines with the same Node major version agree.
 *
 * @example
 *   const s = new QuantileSketch(0.005); s.add(-2); s.add(0); s.add(3); s.quantile(0.5); // 0
 */
import { DDSketch } from '@datadog/sketches-js';

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

function sortedKeys(m: Map<number, number>): number[] {
  return [...m.keys()].sort((a, b) => a - b);
}

function addCount(m: Map<number, number>, key: number, count: number): void {
  m.set(key, (m.get(key) ?? 0) + count);
}

export class QuantileSketch {
  readonly relativeAccuracy: number;
  readonly #mapping: KeyMapping;
  readonly #pos = new Map<number, number>(); // key of x → count, x > minPossible
  readonly #neg = new Map<number, number>(); // key of −x → count, x < −minPossible
  #zero = 0;
  #negCount = 0;
  #count = 0;

  constructor(relativeAccuracy = DEFAULT_RELATIVE_ACCURACY) {
    if (!(relativeAccuracy > 0 && relativeAccuracy < 1)) {
      throw new RangeError(`relativeAccuracy must be in (0, 1), got ${relativeAccuracy}`);
    }
    this.relativeAccuracy = relativeAccuracy;
    this.#mapping = new DDSketch({ relativeAccuracy }).mapping;
  }

  get count(): number {
    return this.#count;
  }

  /** Adds one finite value (the caller checks finiteness). */
  add(x: number): void {
    const m = this.#mapping;
    if (x > m.minPossible) addCount(this.#pos, m.key(x), 1);
    else if (x < -m.minPossible) {
      addCount(this.#neg, m.key(-x), 1);
      this.#negCount++;
    } else this.#zero++;
    this.#count++;
  }

  merge(o: QuantileSketch): void {
    if (o.relativeAccuracy !== this.relativeAccuracy) {
      throw new Error(`cannot merge sketches of relative accuracy ${o.relativeAccuracy} and ${this.relativeAccuracy}`);
    }
    for (const [k, c] of [...o.#pos]) addCount(this.#pos, k, c);
    for (const [k, c] of [...o.#neg]) addCount(this.#neg, k, c);
    this.#zero += o.#zero;
    this.#negCount += o.#negCount;
    this.#count += o.#count;
  }

  /**
   * The value at quantile q ∈ [0, 1], NaN when empty: the representative of the bin holding the
   * order statistic at rank ⌊q·(n−1)⌋, the same rule as the library's `getValueAtQuantile`.
   */
  quantile(q: number): number {
    if (!(q >= 0 && q <= 1) || this.#count === 0) return NaN;
    const rank = q * (this.#count - 1);
    if (rank < this.#negCount) {
      const need = this.#negCount - rank; // walking |x| upwards: the (negCount − rank)-th largest |x|
      let running = 0;
      for (const k of sortedKeys(this.#neg)) {
        running += this.#neg.get(k)!;
        if (running >= need) return -this.#mapping.value(k);
      }
    } else if (rank < this.#negCount + this.#zero) return 0;
    else {
      const r = rank - this.#negCount - this.#zero;
      let running = 0;
      for (const k of sortedKeys(this.#pos)) {
        running += this.#pos.get(k)!;
        if (running > r) return this.#mapping.value(k);
      }
    }
    throw new Error('QuantileSketch: bin counts disagree with the total count'); // unreachable
  }

  /** Bins in increasing key order: the same multiset of values always gives the same object. */
  toJSON(): SketchJson {
    const store = (m: Map<number, number>): StoreJson => {
      const indexes = sortedKeys(m);
      return { indexes, counts: indexes.map((k) => m.get(k)!) };
    };
    return { zeroCount: this.#zero, positive: store(this.#pos), negative: store(this.#neg) };
  }

  /** Rebuilds a sketch from `toJSON` output; the shape must already be validated (see accumulator.ts). */
  static fromJSON(relativeAccuracy: number, j: SketchJson): QuantileSketch {
    const s = new QuantileSketch(relativeAccuracy);
    const load = (m: Map<number, number>, st: StoreJson): number => {
      let total = 0;
      st.indexes.forEach((k, i) => {
        const c = st.counts[i]!;
        addCount(m, k, c);
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
