/**
 * Exact floating-point summation (Shewchuk, "Adaptive precision floating-point arithmetic and fast
 * robust geometric predicates", 1997; the "partials" algorithm of Python's `math.fsum`). The state is a
 * list of non-overlapping doubles whose exact sum is the exact sum of everything added, so the result
 * cannot depend on the order of `add` calls or on how values were split into sums that were merged:
 * batching, sharding and resume give bit-identical results.
 *
 * `value()` is the exact sum correctly rounded (nearest, ties to even). `toJSON()` writes a canonical
 * expansion (see `components`), so two sums of the same multiset serialise to the same string.
 * Zero is always +0 (JSON cannot carry −0).
 *
 * @example
 *   const s = new ExactSum(); s.add(1e100); s.add(1); s.add(-1e100); s.value(); // 1
 *   const t = ExactSum.fromJSON(JSON.parse(JSON.stringify(s))); // same value, same JSON
 */

/** Below this magnitude, an addition cannot overflow (partials sum to less than twice the top one). */
const NO_OVERFLOW = 2 ** 1000;
/** Veltkamp splitter 2^27 + 1: splits a double into two 26-bit halves whose products are exact. */
const SPLITTER = 134217729;
/** Above this magnitude, SPLITTER · x overflows and `addProduct` could not split it. */
const MAX_SPLIT = 2 ** 996;

/**
 * Adds x into `p` in place (Shewchuk's GROW-EXPANSION with zero elimination). Returns false when an
 * intermediate sum overflowed; `p` is then garbage and the caller must discard it.
 */
function grow(p: number[], x: number): boolean {
  let i = 0;
  for (let j = 0; j < p.length; j++) {
    let y = p[j]!;
    if (Math.abs(x) < Math.abs(y)) [x, y] = [y, x];
    const hi = x + y;
    const lo = y - (hi - x); // exact: hi + lo === x + y (Fast2Sum, |x| ≥ |y|)
    if (lo !== 0) p[i++] = lo;
    x = hi;
  }
  p.length = i;
  if (x !== 0) p.push(x);
  return Number.isFinite(x);
}

/**
 * The error a·b − p of the product p = a·b (Dekker's TwoProduct with Veltkamp splits): exact when
 * |a|, |b| < 2^996 and |a·b| ≥ 2^-969, else a deterministic function of (a, b). Shared by every exact
 * sum of products, so they all add the same terms.
 */
export function twoProductError(a: number, b: number, p: number): number {
  let c = SPLITTER * a;
  const ah = c - (c - a);
  const al = a - ah;
  c = SPLITTER * b;
  const bh = c - (c - b);
  const bl = b - bh;
  return ah * bh - p + ah * bl + al * bh + al * bl;
}

export class ExactSum {
  /** Non-overlapping partials, increasing magnitude, no zeros; their exact sum is the state. */
  #p: number[] = [];

  /** Adds x exactly. Throws RangeError for ±Infinity/NaN, or when the running sum would overflow. */
  add(x: number): void {
    if (!Number.isFinite(x)) throw new RangeError(`ExactSum: cannot add ${x} (only finite numbers)`);
    const top = this.#p.length > 0 ? this.#p[this.#p.length - 1]! : 0;
    if (Math.abs(x) < NO_OVERFLOW && Math.abs(top) < NO_OVERFLOW) {
      grow(this.#p, x);
      return;
    }
    const copy = this.#p.slice(); // near overflow: keep the state intact if this addition fails
    if (!grow(copy, x)) throw new RangeError(`ExactSum: adding ${x} overflows the double range`);
    this.#p = copy;
  }

  /**
   * Adds the exact product a·b (Dekker's TwoProduct: a·b = p + e with both doubles). Exact when
   * |a|, |b| < 2^996 and |a·b| ≥ 2^-969; a smaller product loses the bits below 2^-1074 of its error
   * term — still a deterministic function of (a, b), so order independence is kept.
   */
  addProduct(a: number, b: number): void {
    if (!(Math.abs(a) < MAX_SPLIT && Math.abs(b) < MAX_SPLIT)) {
      throw new RangeError(`ExactSum: product ${a} · ${b} is outside the supported range ±2^996`);
    }
    const p = a * b;
    const e = twoProductError(a, b, p);
    this.add(p);
    if (e !== 0) this.add(e);
  }

  /** Adds the other sum's exact value (its partials); `o` is unchanged. */
  merge(o: ExactSum): void {
    for (const x of o.#p.slice()) this.add(x);
  }

  /** The exact sum correctly rounded to a double (Python's fsum final rounding, half-way case included). */
  value(): number {
    const p = this.#p;
    let n = p.length;
    if (n === 0) return 0;
    let hi = p[--n]!;
    let lo = 0;
    while (n > 0) {
      const x = hi;
      const y = p[--n]!;
      hi = x + y;
      lo = y - (hi - x);
      if (lo !== 0) break;
    }
    // hi + lo is exact; if lo is exactly half an ulp of hi and the rest has lo's sign, round away.
    if (n > 0 && ((lo < 0 && p[n - 1]! < 0) || (lo > 0 && p[n - 1]! > 0))) {
      const y = lo * 2;
      const x = hi + y;
      if (y === x - hi) hi = x;
    }
    return hi;
  }

  /**
   * The canonical expansion of the exact sum, increasing magnitude: the last element is `value()`,
   * the one before is the rounded remainder, and so on until the remainder is 0. It depends only on
   * the exact value (not on the partials that happen to hold it). At most ~40 elements.
   */
  components(): number[] {
    const rest = this.clone();
    const out: number[] = [];
    while (rest.#p.length > 0) {
      const v = rest.value();
      out.push(v);
      rest.add(-v);
    }
    return out.reverse();
  }

  clone(): ExactSum {
    const s = new ExactSum();
    s.#p = this.#p.slice();
    return s;
  }

  /** Canonical and JSON-safe: the same exact sum always gives the same array. */
  toJSON(): number[] {
    return this.components();
  }

  /** The sum of the given finite numbers (any list; `toJSON` output round-trips bit for bit). */
  static fromJSON(p: number[]): ExactSum {
    const s = new ExactSum();
    for (const x of p) s.add(x);
    return s;
  }
}
