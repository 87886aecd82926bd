/**
 * A view of a double's bits through a buffer of its own, without allocating per value: write
 * bits[0] = x, then read words[hi] (sign, exponent and the significand's top 20 bits) and words[lo]
 * (its low 32); which half is high depends on the platform's endianness. For the exact sums' chunks
 * (superaccumulator.ts) and the sketch's key tables (sketch.ts), both on the sweep's per-value path:
 * each takes its view into module constants of its own (an imported binding is read through the
 * module's cell on every access, measurably slower there).
 *
 * @example
 *   const { bits, words, hi } = doubleView(); bits[0] = 1.5; (words[hi]! >>> 20) & 0x7ff; // 1023
 */
export function doubleView(): { bits: Float64Array; words: Uint32Array; hi: number; lo: number } {
  const bits = new Float64Array(1);
  const hi = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1 ? 1 : 0;
  return { bits, words: new Uint32Array(bits.buffer), hi, lo: 1 - hi };
}
