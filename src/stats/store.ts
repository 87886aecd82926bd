/**
 * Integer counts per sketch bin key, for QuantileSketch: a dense window of counts (a Float64Array over
 * consecutive keys, grown geometrically to cover new keys) so that counting a value is one array
 * increment, and a Map for the rare keys that would stretch the window past MAX_WINDOW bins (values
 * spread over more than ~35 decades at 0.5 % accuracy, or very fine accuracies). A key lives in exactly
 * one of the two (see #move). Counts are integers < 2^53, exact in a double, so merges are plain additions and the
 * result depends only on the multiset of keys added.
 *
 * @example
 *   const c = new BinCounts(); c.add(7, 2); c.add(-3, 1); c.sorted(); // { indexes: [-3, 7], counts: [1, 2] }
 */

/** Window size cap: 64 KiB of counts (~35 decades at the default 0.5 % accuracy). */
const MAX_WINDOW = 8192;
/** First window, centred on the first key (a metric's values usually sit within a few decades). */
const FIRST_WINDOW = 64;

export class BinCounts {
  #counts = new Float64Array(0); // #counts[i] counts key #base + i
  #base = 0;
  readonly #far = new Map<number, number>(); // keys outside the window, when it could not grow to them

  /** Adds `count` (a positive integer) to bin `key` (an integer). */
  add(key: number, count: number): void {
    const i = key - this.#base;
    if (i >= 0 && i < this.#counts.length) this.#counts[i]! += count;
    else this.#addOutside(key, count);
  }

  /** The occupied bins in increasing key order (fresh arrays). */
  sorted(): { indexes: number[]; counts: number[] } {
    const indexes: number[] = [];
    const counts: number[] = [];
    const push = (k: number, c: number): void => {
      indexes.push(k);
      counts.push(c);
    };
    const window = this.#counts;
    const base = this.#base;
    const far = [...this.#far.keys()].sort((a, b) => a - b); // Map keys are never −0 (Map stores +0)
    let f = 0;
    for (; f < far.length && far[f]! < base; f++) push(far[f]!, this.#far.get(far[f]!)!);
    for (let i = 0; i < window.length; i++) if (window[i] !== 0) push(base + i, window[i]!); // +0, never −0
    for (; f < far.length; f++) push(far[f]!, this.#far.get(far[f]!)!);
    return { indexes, counts };
  }

  /** Adds every bin of `o` (`o` unchanged; o === this doubles every count). */
  merge(o: BinCounts): void {
    const { indexes, counts } = o.sorted(); // read first: adding may re-home this window
    for (let i = 0; i < indexes.length; i++) this.add(indexes[i]!, counts[i]!);
  }

  #addOutside(key: number, count: number): void {
    const len = this.#counts.length;
    if (len === 0) {
      this.#move(key - FIRST_WINDOW / 2, FIRST_WINDOW);
    } else {
      const below = key < this.#base;
      const need = below ? this.#base + len - key : key + 1 - this.#base; // window span that reaches key
      if (need > MAX_WINDOW) {
        this.#far.set(key, (this.#far.get(key) ?? 0) + count);
        return;
      }
      const size = Math.min(MAX_WINDOW, Math.max(need, 2 * len));
      this.#move(below ? this.#base + len - size : this.#base, size); // grow towards key, keep the other end
    }
    this.add(key, count);
  }

  /**
   * Re-homes the window at [base, base + size) ⊇ the old one. No far key can fall inside: a key went
   * to the Map because it lay more than MAX_WINDOW bins beyond the window's other end, and a window
   * only grows (its ends move outwards) and never spans more than MAX_WINDOW bins.
   */
  #move(base: number, size: number): void {
    const counts = new Float64Array(size);
    if (this.#counts.length > 0) counts.set(this.#counts, this.#base - base);
    this.#counts = counts;
    this.#base = base;
  }
}
