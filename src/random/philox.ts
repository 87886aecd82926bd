/**
 * Philox4x32-10 (Salmon et al., "Parallel random numbers: as easy as 1, 2, 3", SC 2011), the
 * counter-based generator fleetsim uses on both sides. `shaders/philox.wgsl` is the GPU twin; the
 * known-answer vectors of Random123 pin this one (test/random.test.ts), and test/gpu-vs-cpu.test.ts
 * checks that the GPU draws the same words.
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
/**
 * Purposes of a draw stream (MODEL-PART4 §4.0): counter word 2 is (purpose << 28) | step, so each
 * purpose has its own streams per step (steps < 2^28). 0 is today's arrival and work draws (bits
 * unchanged), 1 arrival-process state, 2 routing, 3 per-run setup (step field 0).
 */
export const PURPOSE = { arrivals: 0, process: 1, routing: 2, setup: 3 } as const;

/** Counter word 2 of `purpose`'s stream at `step` (< 2^28): (purpose << 28) | step, as a u32. */
export function purposeStep(purpose: number, step: number): number {
  return ((purpose << 28) | step) >>> 0;
}

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
export function philox4x32(ctr: ArrayLike<number>, k0: number, k1: number, out: Uint32Array = new Uint32Array(4)): Uint32Array {
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

/** Words of an expanded key (philoxKey): the 10 round keys, (k0, k1) per round. */
export const KEY_WORDS = 20;

/** Expands key (k0, k1) into its round keys: round r uses (k0 + r·W0, k1 + r·W1) mod 2^32. */
export function philoxKey(k0: number, k1: number, out: Int32Array = new Int32Array(KEY_WORDS)): Int32Array {
  let key0 = k0 >>> 0;
  let key1 = k1 >>> 0;
  for (let r = 0; r < 10; r++) {
    out[2 * r] = key0;
    out[2 * r + 1] = key1;
    key0 = (key0 + W0) >>> 0;
    key1 = (key1 + W1) >>> 0;
  }
  return out;
}

/*
 * The fast path. Every counter of one agent-step shares (stream, replicate, step) and differs only in
 * word 3 (agent << 16 | block), and rounds 0–2 mix word 3 into only half of the state: round 0's two
 * products, round 1's product of word 0 and round 2's product of word 2 do not depend on word 3. So
 * they are computed once per (stream, replicate, step) into a prefix of PREFIX_WORDS words, and each
 * block then costs 16 of the 20 products. The high half of a 32×32-bit product is exact in doubles:
 * M·c rounds by at most 2^10, and subtracting the exact low half (Math.imul) leaves hi·2^32 within
 * 2^11 of a multiple of 2^32, which the scaling by 2^-32 and round-to-nearest recover exactly.
 * philox4x32 above stays the plain definition; test/random.test.ts holds these to it.
 */

/** Words of one (stream, replicate, step) prefix (philoxPrefix). */
export const PREFIX_WORDS = 5;
const TWO_M32 = 2.3283064365386963e-10;

/**
 * Rounds 0–2 of Philox for counter (stream, replicate, step, ·) under the expanded key: writes
 * out[at … at + 4] = (h0 ^ k1₀, l1 ^ k0₁, h1'' ^ k0₂, l1'', l0' ^ k1₂), where round 0 gives
 * (h0, l0) = M0·stream and (h1, l1) = M1·step, round 1 (h0', l0') = M0·(h1 ^ replicate ^ k0₀), and
 * round 2 (h1'', l1'') = M1·(h0' ^ l0 ^ k1₁); see philoxBlock for how word 3 enters.
 */
export function philoxPrefix(key: Int32Array, stream: number, replicate: number, step: number, out: Int32Array, at: number): void {
  const l0 = Math.imul(M0, stream);
  const h0 = ((M0 * (stream >>> 0) - (l0 >>> 0)) * TWO_M32 + 0.5) | 0;
  const l1 = Math.imul(M1, step);
  const h1 = ((M1 * (step >>> 0) - (l1 >>> 0)) * TWO_M32 + 0.5) | 0;
  const a0 = h1 ^ replicate ^ key[0]!;
  const l0b = Math.imul(M0, a0);
  const h0b = ((M0 * (a0 >>> 0) - (l0b >>> 0)) * TWO_M32 + 0.5) | 0;
  const b2 = h0b ^ l0 ^ key[3]!;
  const l1c = Math.imul(M1, b2);
  const h1c = ((M1 * (b2 >>> 0) - (l1c >>> 0)) * TWO_M32 + 0.5) | 0;
  out[at] = h0 ^ key[1]!;
  out[at + 1] = l1 ^ key[2]!;
  out[at + 2] = h1c ^ key[4]!;
  out[at + 3] = l1c;
  out[at + 4] = l0b ^ key[5]!;
}

/**
 * One Philox4x32-10 block for counter word 3 = `word3` (agent << 16 | block) from the prefix at
 * prefix[at …]: the agent-dependent halves of rounds 1 and 2, then rounds 3–9. Writes the four words
 * (as int32 bit patterns) to out[o … o + 3].
 */
export function philoxBlock(
  key: Int32Array,
  prefix: Int32Array,
  at: number,
  word3: number,
  out: Int32Array | Uint32Array,
  o: number,
): void {
  const a2 = prefix[at]! ^ word3;
  const l1 = Math.imul(M1, a2);
  const b0 = (((M1 * (a2 >>> 0) - (l1 >>> 0)) * TWO_M32 + 0.5) | 0) ^ prefix[at + 1]!;
  const l0 = Math.imul(M0, b0);
  let c0 = prefix[at + 2]! ^ l1;
  let c1 = prefix[at + 3]!;
  let c2 = (((M0 * (b0 >>> 0) - (l0 >>> 0)) * TWO_M32 + 0.5) | 0) ^ prefix[at + 4]!;
  let c3 = l0;
  for (let k = 6; k < KEY_WORDS; k += 2) {
    const lo0 = Math.imul(M0, c0);
    const lo1 = Math.imul(M1, c2);
    const hi0 = ((M0 * (c0 >>> 0) - (lo0 >>> 0)) * TWO_M32 + 0.5) | 0;
    const hi1 = ((M1 * (c2 >>> 0) - (lo1 >>> 0)) * TWO_M32 + 0.5) | 0;
    c0 = hi1 ^ c1 ^ key[k]!;
    c1 = lo1;
    c2 = hi0 ^ c3 ^ key[k + 1]!;
    c3 = lo0;
  }
  out[o] = c0;
  out[o + 1] = c1;
  out[o + 2] = c2;
  out[o + 3] = c3;
}

/**
 * Four blocks at once, for the same word 3 and the four consecutive prefixes at prefix[at …],
 * prefix[at + 5 …], …: philoxBlock four times, interleaved so that the four independent chains of
 * multiplications overlap (a single block is bound by the latency of its chain). Writes them to
 * out[o … o + 15].
 */
export function philoxBlocks4(key: Int32Array, prefix: Int32Array, at: number, word3: number, out: Int32Array, o: number): void {
  const a2 = prefix[at]! ^ word3;
  const b2 = prefix[at + 5]! ^ word3;
  const c2_ = prefix[at + 10]! ^ word3;
  const d2_ = prefix[at + 15]! ^ word3;
  const al1 = Math.imul(M1, a2);
  const bl1 = Math.imul(M1, b2);
  const cl1 = Math.imul(M1, c2_);
  const dl1 = Math.imul(M1, d2_);
  const ab0 = (((M1 * (a2 >>> 0) - (al1 >>> 0)) * TWO_M32 + 0.5) | 0) ^ prefix[at + 1]!;
  const bb0 = (((M1 * (b2 >>> 0) - (bl1 >>> 0)) * TWO_M32 + 0.5) | 0) ^ prefix[at + 6]!;
  const cb0 = (((M1 * (c2_ >>> 0) - (cl1 >>> 0)) * TWO_M32 + 0.5) | 0) ^ prefix[at + 11]!;
  const db0 = (((M1 * (d2_ >>> 0) - (dl1 >>> 0)) * TWO_M32 + 0.5) | 0) ^ prefix[at + 16]!;
  const al0 = Math.imul(M0, ab0);
  const bl0 = Math.imul(M0, bb0);
  const cl0 = Math.imul(M0, cb0);
  const dl0 = Math.imul(M0, db0);
  let a0 = prefix[at + 2]! ^ al1;
  let a1 = prefix[at + 3]!;
  let a2w = (((M0 * (ab0 >>> 0) - (al0 >>> 0)) * TWO_M32 + 0.5) | 0) ^ prefix[at + 4]!;
  let a3 = al0;
  let b0 = prefix[at + 7]! ^ bl1;
  let b1 = prefix[at + 8]!;
  let b2w = (((M0 * (bb0 >>> 0) - (bl0 >>> 0)) * TWO_M32 + 0.5) | 0) ^ prefix[at + 9]!;
  let b3 = bl0;
  let c0 = prefix[at + 12]! ^ cl1;
  let c1 = prefix[at + 13]!;
  let c2 = (((M0 * (cb0 >>> 0) - (cl0 >>> 0)) * TWO_M32 + 0.5) | 0) ^ prefix[at + 14]!;
  let c3 = cl0;
  let d0 = prefix[at + 17]! ^ dl1;
  let d1 = prefix[at + 18]!;
  let d2 = (((M0 * (db0 >>> 0) - (dl0 >>> 0)) * TWO_M32 + 0.5) | 0) ^ prefix[at + 19]!;
  let d3 = dl0;
  for (let k = 6; k < KEY_WORDS; k += 2) {
    const k0 = key[k]!;
    const k1 = key[k + 1]!;
    const alo0 = Math.imul(M0, a0);
    const alo1 = Math.imul(M1, a2w);
    const blo0 = Math.imul(M0, b0);
    const blo1 = Math.imul(M1, b2w);
    const clo0 = Math.imul(M0, c0);
    const clo1 = Math.imul(M1, c2);
    const dlo0 = Math.imul(M0, d0);
    const dlo1 = Math.imul(M1, d2);
    const ahi0 = ((M0 * (a0 >>> 0) - (alo0 >>> 0)) * TWO_M32 + 0.5) | 0;
    const ahi1 = ((M1 * (a2w >>> 0) - (alo1 >>> 0)) * TWO_M32 + 0.5) | 0;
    const bhi0 = ((M0 * (b0 >>> 0) - (blo0 >>> 0)) * TWO_M32 + 0.5) | 0;
    const bhi1 = ((M1 * (b2w >>> 0) - (blo1 >>> 0)) * TWO_M32 + 0.5) | 0;
    const chi0 = ((M0 * (c0 >>> 0) - (clo0 >>> 0)) * TWO_M32 + 0.5) | 0;
    const chi1 = ((M1 * (c2 >>> 0) - (clo1 >>> 0)) * TWO_M32 + 0.5) | 0;
    const dhi0 = ((M0 * (d0 >>> 0) - (dlo0 >>> 0)) * TWO_M32 + 0.5) | 0;
    const dhi1 = ((M1 * (d2 >>> 0) - (dlo1 >>> 0)) * TWO_M32 + 0.5) | 0;
    a0 = ahi1 ^ a1 ^ k0;
    a1 = alo1;
    a2w = ahi0 ^ a3 ^ k1;
    a3 = alo0;
    b0 = bhi1 ^ b1 ^ k0;
    b1 = blo1;
    b2w = bhi0 ^ b3 ^ k1;
    b3 = blo0;
    c0 = chi1 ^ c1 ^ k0;
    c1 = clo1;
    c2 = chi0 ^ c3 ^ k1;
    c3 = clo0;
    d0 = dhi1 ^ d1 ^ k0;
    d1 = dlo1;
    d2 = dhi0 ^ d3 ^ k1;
    d3 = dlo0;
  }
  out[o] = a0;
  out[o + 1] = a1;
  out[o + 2] = a2w;
  out[o + 3] = a3;
  out[o + 4] = b0;
  out[o + 5] = b1;
  out[o + 6] = b2w;
  out[o + 7] = b3;
  out[o + 8] = c0;
  out[o + 9] = c1;
  out[o + 10] = c2;
  out[o + 11] = c3;
  out[o + 12] = d0;
  out[o + 13] = d1;
  out[o + 14] = d2;
  out[o + 15] = d3;
}

/**
 * The sequential draw stream of one (stream, replicate, step, agent): draw d is word d & 3 of block
 * d >> 2 (the block index taking the counter's low 16 bits). The WGSL `Rng` struct mirrors this
 * exactly. Blocks are computed when first drawn from; the CPU engine hands over block 0 precomputed
 * (resume), so a stream allocates nothing after construction.
 */
export class DrawStream {
  private readonly ownKey = new Int32Array(KEY_WORDS);
  private readonly ownPrefix = new Int32Array(PREFIX_WORDS);
  private readonly block = new Uint32Array(4);
  private key: Int32Array = this.ownKey;
  private prefix: Int32Array = this.ownPrefix;
  private prefixAt = 0;
  private k0 = 0;
  private k1 = 0;
  private agentWord = 0; // agent << 16
  private loaded = -1; // index of the block in `block`, −1 for none
  private next = 0;

  constructor() {
    philoxKey(0, 0, this.ownKey);
  }

  /** Re-targets the stream at draw 0 of (stream, replicate, step, agent) under key (k0, k1). */
  reset(k0: number, k1: number, stream: number, replicate: number, step: number, agent: number): void {
    if (k0 >>> 0 !== this.k0 || k1 >>> 0 !== this.k1) {
      this.k0 = k0 >>> 0;
      this.k1 = k1 >>> 0;
      philoxKey(k0, k1, this.ownKey);
    }
    this.key = this.ownKey;
    this.prefix = this.ownPrefix;
    this.prefixAt = 0;
    philoxPrefix(this.ownKey, stream, replicate, step, this.ownPrefix, 0);
    this.agentWord = agent << 16;
    this.loaded = -1;
    this.next = 0;
  }

  /**
   * Re-targets the stream at draw 0 of the agent-step whose expanded key is `key` and whose prefix is
   * at prefix[at …], with its block 0 already computed at first[o … o + 3]. The arrays are the
   * caller's and are read, not copied (`first` only now): keep them unchanged while drawing.
   */
  resume(key: Int32Array, prefix: Int32Array, at: number, agent: number, first: Int32Array, o: number): void {
    this.key = key;
    this.prefix = prefix;
    this.prefixAt = at;
    this.agentWord = agent << 16;
    this.block[0] = first[o]!;
    this.block[1] = first[o + 1]!;
    this.block[2] = first[o + 2]!;
    this.block[3] = first[o + 3]!;
    this.loaded = 0;
    this.next = 0;
  }

  /** The next raw 32-bit draw. */
  nextU32(): number {
    const index = this.next >>> 2;
    if (index !== this.loaded) {
      philoxBlock(this.key, this.prefix, this.prefixAt, this.agentWord | (index & 0xffff), this.block, 0);
      this.loaded = index;
    }
    return this.block[this.next++ & 3]!;
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
