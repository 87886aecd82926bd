/**
 * Philox4x32-10 (Salmon et al., "Parallel random numbers: as easy as 1, 2, 3", SC 2011), the
 * counter-based generator fleetsim uses on both sides. `shaders/philox.wgsl` is the GPU twin; the
 * known-answer vectors of Random123 pin both (test/random.test.ts, test/gpu-draws.test.ts).
 *
 * Every draw is a pure function of (seed, stream, replicate, step, agent, draw index):
 *   key     = (seed low 32 bits, seed high 32 bits)
 *   counter = (stream, replicate, step, agent << 16 | draw >> 2), word = draw & 3
 * so results cannot depend on batch size, chunking, dispatch order or backend.
 *
 * @example
 *   const words = philox4x32(new Uint32Array([0, 0, 0, 0]), 0, 0); // Random123 KAT: 6627e8d5 …
 */

const M0 = 0xd2511f53;
const M1 = 0xcd9e8d57;
const W0 = 0x9e3779b9;
const W1 = 0xbb67ae85;

/** Step index reserved for drawing a random fleet's parameters (never a simulated step). */
export const FLEET_DRAW_STEP = 0xffffffff;
/** Agents per fleet the counter layout can address (agent index takes the counter's top 16 bits). */
export const MAX_COUNTER_AGENTS = 1 << 16;

/** High 32 bits of the 64-bit product a·b, exact in doubles: both partial products stay below 2^53. */
function mulhi(a: number, b: number): number {
  const t = (a & 0xffff) * b;
  const u = (a >>> 16) * b + Math.floor(t / 65536);
  return Math.floor(u / 65536) >>> 0;
}

/**
 * One Philox4x32-10 block: four 32-bit words for counter `ctr` (4 words) under key (k0, k1).
 * Writes into `out` when given (no allocation on the hot path).
 */
export function philox4x32(
  ctr: ArrayLike<number>,
  k0: number,
  k1: number,
  out: Uint32Array = new Uint32Array(4),
): Uint32Array {
  let c0 = ctr[0]! >>> 0;
  let c1 = ctr[1]! >>> 0;
  let c2 = ctr[2]! >>> 0;
  let c3 = ctr[3]! >>> 0;
  let key0 = k0 >>> 0;
  let key1 = k1 >>> 0;
  for (let round = 0; round < 10; round++) {
    const hi0 = mulhi(M0, c0);
    const lo0 = Math.imul(M0, c0) >>> 0;
    const hi1 = mulhi(M1, c2);
    const lo1 = Math.imul(M1, c2) >>> 0;
    c0 = (hi1 ^ c1 ^ key0) >>> 0;
    c1 = lo1;
    c2 = (hi0 ^ c3 ^ key1) >>> 0;
    c3 = lo0;
    key0 = (key0 + W0) >>> 0;
    key1 = (key1 + W1) >>> 0;
  }
  out[0] = c0;
  out[1] = c1;
  out[2] = c2;
  out[3] = c3;
  return out;
}

/** Splits a seed (a non-negative integer below 2^64) into the Philox key words. */
export function seedKey(seed: bigint | number): [number, number] {
  const s = BigInt(seed);
  if (s < 0n || s >= 1n << 64n) throw new RangeError(`seed must be an integer in [0, 2^64): ${seed}`);
  return [Number(s & 0xffffffffn), Number(s >> 32n)];
}

/**
 * The sequential draw stream of one (stream, replicate, step, agent): draw d is word d & 3 of block d >> 2.
 * The WGSL `Rng` struct mirrors this exactly.
 */
export class DrawStream {
  private readonly ctr = new Uint32Array(4);
  private readonly block = new Uint32Array(4);
  private k0 = 0;
  private k1 = 0;
  private next = 0;

  /** Re-targets the stream at draw 0 of (stream, replicate, step, agent) under key (k0, k1). */
  reset(k0: number, k1: number, stream: number, replicate: number, step: number, agent: number): void {
    this.k0 = k0;
    this.k1 = k1;
    this.ctr[0] = stream;
    this.ctr[1] = replicate;
    this.ctr[2] = step;
    this.ctr[3] = agent << 16;
    this.next = 0;
  }

  /** The next raw 32-bit draw. */
  nextU32(): number {
    const word = this.next & 3;
    if (word === 0) {
      this.ctr[3] = (this.ctr[3]! & 0xffff0000) | ((this.next >>> 2) & 0xffff);
      philox4x32(this.ctr, this.k0, this.k1, this.block);
    }
    this.next++;
    return this.block[word]!;
  }
}

/** Uniform on the 24-bit grid {0, 1, …, 2^24 − 1}/2^24 ⊂ [0, 1): exact in f32, identical on GPU. */
export function u01(x: number): number {
  return (x >>> 8) * 5.9604644775390625e-8;
}

/** Uniform on {1, …, 2^24}/2^24 ⊂ (0, 1]: safe under log(). */
export function u01Open0(x: number): number {
  return ((x >>> 8) + 1) * 5.9604644775390625e-8;
}

/** Symmetric uniform on the odd multiples of 2^-25 in (−0.5, 0.5): never 0 and never ±0.5. */
export function uCentered(x: number): number {
  return (((x >>> 7) | 1) - 16777216) * 2.98023223876953125e-8;
}
