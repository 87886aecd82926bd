/**
 * Threefry4x32-20 (Salmon et al., "Parallel random numbers: as easy as 1, 2, 3", SC 2011), the
 * multiply-free member of the Random123 family: only 32-bit additions, rotations and exclusive ors.
 * It is measured here against the Philox4x32-10 that fleetsim uses (src/random/philox.ts; bench/rng.ts,
 * bench/NOTES.md "Threefry or Philox") and is not wired into either engine. `shaders/threefry.wgsl` is
 * the GPU twin; Random123's known-answer vectors pin both (test/threefry.test.ts).
 *
 * Layout as philox4x32 takes it: 4 counter words and the seed's 2 key words. Threefry4x32's key has
 * 4 words; the seed's words are key words 0 and 1, and words 2 and 3 are zero, as Random123 fills a
 * key given fewer words.
 *
 * @example
 *   threefry4x32([0, 0, 0, 0], 0, 0); // Random123 KAT (20 rounds, zero key): 9c6ca96a e17eae66 …
 */

/** Rotation constants R_32x4 of Random123 (threefry.h): round r rotates by ROTATIONS[r % 8]. */
export const ROTATIONS: readonly (readonly [number, number])[] = [
  [10, 26],
  [11, 21],
  [13, 27],
  [23, 5],
  [6, 20],
  [17, 11],
  [25, 10],
  [18, 20],
];

/** Threefish's key-schedule parity constant (SKEIN_KS_PARITY32): key word 4 = it ^ k0 ^ k1 ^ k2 ^ k3. */
export const KS_PARITY = 0x1bd11bda;

/** Rounds of the Crush-resistant variant Random123 recommends (threefry4x32, its default). */
export const THREEFRY_ROUNDS = 20;

const rotl = (x: number, n: number): number => (x << n) | (x >>> (32 - n));

/**
 * The definition, for any number of rounds and a full 4-word key: key word 4 is the parity word, the
 * key is added to the counter first and then after every 4 rounds (injection s adds key words s … s + 3
 * mod 5, and s to word 3). Even rounds mix (0, 1) and (2, 3), odd rounds (0, 3) and (2, 1).
 */
export function threefry4x32R(
  rounds: number,
  ctr: ArrayLike<number>,
  key: ArrayLike<number>,
  out: Uint32Array = new Uint32Array(4),
): Uint32Array {
  const ks = [key[0]! | 0, key[1]! | 0, key[2]! | 0, key[3]! | 0, 0];
  ks[4] = KS_PARITY ^ ks[0]! ^ ks[1]! ^ ks[2]! ^ ks[3]!;
  const x = [0, 1, 2, 3].map((i) => (ctr[i]! + ks[i]!) | 0);
  for (let r = 0; r < rounds; r++) {
    const [ra, rb] = ROTATIONS[r % 8]!;
    const [p, q] = r % 2 === 0 ? [1, 3] : [3, 1]; // the words mixed into words 0 and 2
    x[0] = (x[0]! + x[p]!) | 0;
    x[p] = rotl(x[p]!, ra) ^ x[0];
    x[2] = (x[2]! + x[q]!) | 0;
    x[q] = rotl(x[q]!, rb) ^ x[2];
    if (r % 4 === 3) {
      const s = (r + 1) / 4;
      for (let i = 0; i < 4; i++) x[i] = (x[i]! + ks[(s + i) % 5]!) | 0;
      x[3] = (x[3]! + s) | 0;
    }
  }
  for (let i = 0; i < 4; i++) out[i] = x[i]!;
  return out;
}

/** One Threefry4x32-20 block for counter `ctr` under the seed key (k0, k1), key words 2 and 3 zero. */
export function threefry4x32(ctr: ArrayLike<number>, k0: number, k1: number, out: Uint32Array = new Uint32Array(4)): Uint32Array {
  return threefry4x32R(THREEFRY_ROUNDS, ctr, [k0, k1, 0, 0], out);
}

/** Words of an expanded key (threefryKey): key word i % 5 at index i, for the injections' windows. */
export const TF_KEY_WORDS = 9;

/** Expands the seed key (k0, k1, 0, 0) into its 5 schedule words, repeated: out[i] = ks[i % 5]. */
export function threefryKey(k0: number, k1: number, out: Int32Array = new Int32Array(TF_KEY_WORDS)): Int32Array {
  const ks = [k0 | 0, k1 | 0, 0, 0, KS_PARITY ^ k0 ^ k1];
  for (let i = 0; i < TF_KEY_WORDS; i++) out[i] = ks[i % 5]!;
  return out;
}

/*
 * The fast path, shaped as Philox's (philoxPrefix/philoxBlock): counters of one agent-step share words
 * 0–2, and round 0's first mix (words 0 and 1) does not touch word 3, so it is done once per
 * (stream, replicate, step). That saves 1 of the 40 mixes; the rest of a block is 39 mixes (each an
 * add, a rotate and an exclusive or) and 5 key injections (5 adds).
 */

/** Words of one (stream, replicate, step) prefix (threefryPrefix). */
export const TF_PREFIX_WORDS = 3;

/** Round 0's first mix for counter (stream, replicate, step, ·): out[at … at + 2] = words 0, 1, 2. */
export function threefryPrefix(key: Int32Array, stream: number, replicate: number, step: number, out: Int32Array, at: number): void {
  const x0 = (stream + key[0]! + replicate + key[1]!) | 0;
  const x1 = (replicate + key[1]!) | 0;
  out[at] = x0;
  out[at + 1] = ((x1 << 10) | (x1 >>> 22)) ^ x0;
  out[at + 2] = (step + key[2]!) | 0;
}

/**
 * One Threefry4x32-20 block for counter word 3 = `word3` from the prefix at prefix[at …] (the rest of
 * round 0, then rounds 1–19); writes the four words (int32 bit patterns) to out[o … o + 3].
 */
export function threefryBlock(
  key: Int32Array,
  prefix: Int32Array,
  at: number,
  word3: number,
  out: Int32Array | Uint32Array,
  o: number,
): void {
  let x0 = prefix[at]!;
  let x1 = prefix[at + 1]!;
  let x2 = prefix[at + 2]!;
  let x3 = (word3 + key[3]!) | 0;
  x2 = (x2 + x3) | 0;
  x3 = ((x3 << 26) | (x3 >>> 6)) ^ x2;
  // rounds 1–3 (R1–R3), injection 1
  x0 = (x0 + x3) | 0;
  x3 = ((x3 << 11) | (x3 >>> 21)) ^ x0;
  x2 = (x2 + x1) | 0;
  x1 = ((x1 << 21) | (x1 >>> 11)) ^ x2;
  x0 = (x0 + x1) | 0;
  x1 = ((x1 << 13) | (x1 >>> 19)) ^ x0;
  x2 = (x2 + x3) | 0;
  x3 = ((x3 << 27) | (x3 >>> 5)) ^ x2;
  x0 = (x0 + x3) | 0;
  x3 = ((x3 << 23) | (x3 >>> 9)) ^ x0;
  x2 = (x2 + x1) | 0;
  x1 = ((x1 << 5) | (x1 >>> 27)) ^ x2;
  x0 = (x0 + key[1]!) | 0;
  x1 = (x1 + key[2]!) | 0;
  x2 = (x2 + key[3]!) | 0;
  x3 = (x3 + key[4]! + 1) | 0;
  for (let s = 2; s <= 4; s += 2) {
    // rounds R4–R7, injection s
    x0 = (x0 + x1) | 0;
    x1 = ((x1 << 6) | (x1 >>> 26)) ^ x0;
    x2 = (x2 + x3) | 0;
    x3 = ((x3 << 20) | (x3 >>> 12)) ^ x2;
    x0 = (x0 + x3) | 0;
    x3 = ((x3 << 17) | (x3 >>> 15)) ^ x0;
    x2 = (x2 + x1) | 0;
    x1 = ((x1 << 11) | (x1 >>> 21)) ^ x2;
    x0 = (x0 + x1) | 0;
    x1 = ((x1 << 25) | (x1 >>> 7)) ^ x0;
    x2 = (x2 + x3) | 0;
    x3 = ((x3 << 10) | (x3 >>> 22)) ^ x2;
    x0 = (x0 + x3) | 0;
    x3 = ((x3 << 18) | (x3 >>> 14)) ^ x0;
    x2 = (x2 + x1) | 0;
    x1 = ((x1 << 20) | (x1 >>> 12)) ^ x2;
    x0 = (x0 + key[s]!) | 0;
    x1 = (x1 + key[s + 1]!) | 0;
    x2 = (x2 + key[s + 2]!) | 0;
    x3 = (x3 + key[s + 3]! + s) | 0;
    // rounds R0–R3, injection s + 1
    x0 = (x0 + x1) | 0;
    x1 = ((x1 << 10) | (x1 >>> 22)) ^ x0;
    x2 = (x2 + x3) | 0;
    x3 = ((x3 << 26) | (x3 >>> 6)) ^ x2;
    x0 = (x0 + x3) | 0;
    x3 = ((x3 << 11) | (x3 >>> 21)) ^ x0;
    x2 = (x2 + x1) | 0;
    x1 = ((x1 << 21) | (x1 >>> 11)) ^ x2;
    x0 = (x0 + x1) | 0;
    x1 = ((x1 << 13) | (x1 >>> 19)) ^ x0;
    x2 = (x2 + x3) | 0;
    x3 = ((x3 << 27) | (x3 >>> 5)) ^ x2;
    x0 = (x0 + x3) | 0;
    x3 = ((x3 << 23) | (x3 >>> 9)) ^ x0;
    x2 = (x2 + x1) | 0;
    x1 = ((x1 << 5) | (x1 >>> 27)) ^ x2;
    x0 = (x0 + key[s + 1]!) | 0;
    x1 = (x1 + key[s + 2]!) | 0;
    x2 = (x2 + key[s + 3]!) | 0;
    x3 = (x3 + key[s + 4]! + s + 1) | 0;
  }
  out[o] = x0;
  out[o + 1] = x1;
  out[o + 2] = x2;
  out[o + 3] = x3;
}

/**
 * Four blocks at once, for the same word 3 and the four consecutive prefixes at prefix[at …],
 * prefix[at + 3 …], …: threefryBlock four times, interleaved as philoxBlocks4 is, for a fair comparison
 * (bench/rng.ts). Writes them to out[o … o + 15].
 */
export function threefryBlocks4(key: Int32Array, prefix: Int32Array, at: number, word3: number, out: Int32Array, o: number): void {
  let a0 = prefix[at]!;
  let a1 = prefix[at + 1]!;
  let a2 = prefix[at + 2]!;
  let a3 = (word3 + key[3]!) | 0;
  let b0 = prefix[at + 3]!;
  let b1 = prefix[at + 4]!;
  let b2 = prefix[at + 5]!;
  let b3 = (word3 + key[3]!) | 0;
  let c0 = prefix[at + 6]!;
  let c1 = prefix[at + 7]!;
  let c2 = prefix[at + 8]!;
  let c3 = (word3 + key[3]!) | 0;
  let d0 = prefix[at + 9]!;
  let d1 = prefix[at + 10]!;
  let d2 = prefix[at + 11]!;
  let d3 = (word3 + key[3]!) | 0;
  // the rest of round 0, rounds 1–3 (R0–R3), injection 1
  a2 = (a2 + a3) | 0;
  b2 = (b2 + b3) | 0;
  c2 = (c2 + c3) | 0;
  d2 = (d2 + d3) | 0;
  a3 = ((a3 << 26) | (a3 >>> 6)) ^ a2;
  b3 = ((b3 << 26) | (b3 >>> 6)) ^ b2;
  c3 = ((c3 << 26) | (c3 >>> 6)) ^ c2;
  d3 = ((d3 << 26) | (d3 >>> 6)) ^ d2;
  a0 = (a0 + a3) | 0;
  b0 = (b0 + b3) | 0;
  c0 = (c0 + c3) | 0;
  d0 = (d0 + d3) | 0;
  a3 = ((a3 << 11) | (a3 >>> 21)) ^ a0;
  b3 = ((b3 << 11) | (b3 >>> 21)) ^ b0;
  c3 = ((c3 << 11) | (c3 >>> 21)) ^ c0;
  d3 = ((d3 << 11) | (d3 >>> 21)) ^ d0;
  a2 = (a2 + a1) | 0;
  b2 = (b2 + b1) | 0;
  c2 = (c2 + c1) | 0;
  d2 = (d2 + d1) | 0;
  a1 = ((a1 << 21) | (a1 >>> 11)) ^ a2;
  b1 = ((b1 << 21) | (b1 >>> 11)) ^ b2;
  c1 = ((c1 << 21) | (c1 >>> 11)) ^ c2;
  d1 = ((d1 << 21) | (d1 >>> 11)) ^ d2;
  a0 = (a0 + a1) | 0;
  b0 = (b0 + b1) | 0;
  c0 = (c0 + c1) | 0;
  d0 = (d0 + d1) | 0;
  a1 = ((a1 << 13) | (a1 >>> 19)) ^ a0;
  b1 = ((b1 << 13) | (b1 >>> 19)) ^ b0;
  c1 = ((c1 << 13) | (c1 >>> 19)) ^ c0;
  d1 = ((d1 << 13) | (d1 >>> 19)) ^ d0;
  a2 = (a2 + a3) | 0;
  b2 = (b2 + b3) | 0;
  c2 = (c2 + c3) | 0;
  d2 = (d2 + d3) | 0;
  a3 = ((a3 << 27) | (a3 >>> 5)) ^ a2;
  b3 = ((b3 << 27) | (b3 >>> 5)) ^ b2;
  c3 = ((c3 << 27) | (c3 >>> 5)) ^ c2;
  d3 = ((d3 << 27) | (d3 >>> 5)) ^ d2;
  a0 = (a0 + a3) | 0;
  b0 = (b0 + b3) | 0;
  c0 = (c0 + c3) | 0;
  d0 = (d0 + d3) | 0;
  a3 = ((a3 << 23) | (a3 >>> 9)) ^ a0;
  b3 = ((b3 << 23) | (b3 >>> 9)) ^ b0;
  c3 = ((c3 << 23) | (c3 >>> 9)) ^ c0;
  d3 = ((d3 << 23) | (d3 >>> 9)) ^ d0;
  a2 = (a2 + a1) | 0;
  b2 = (b2 + b1) | 0;
  c2 = (c2 + c1) | 0;
  d2 = (d2 + d1) | 0;
  a1 = ((a1 << 5) | (a1 >>> 27)) ^ a2;
  b1 = ((b1 << 5) | (b1 >>> 27)) ^ b2;
  c1 = ((c1 << 5) | (c1 >>> 27)) ^ c2;
  d1 = ((d1 << 5) | (d1 >>> 27)) ^ d2;
  a0 = (a0 + key[1]!) | 0;
  b0 = (b0 + key[1]!) | 0;
  c0 = (c0 + key[1]!) | 0;
  d0 = (d0 + key[1]!) | 0;
  a1 = (a1 + key[2]!) | 0;
  b1 = (b1 + key[2]!) | 0;
  c1 = (c1 + key[2]!) | 0;
  d1 = (d1 + key[2]!) | 0;
  a2 = (a2 + key[3]!) | 0;
  b2 = (b2 + key[3]!) | 0;
  c2 = (c2 + key[3]!) | 0;
  d2 = (d2 + key[3]!) | 0;
  a3 = (a3 + key[4]! + 1) | 0;
  b3 = (b3 + key[4]! + 1) | 0;
  c3 = (c3 + key[4]! + 1) | 0;
  d3 = (d3 + key[4]! + 1) | 0;
  for (let s = 2; s <= 4; s += 2) {
    // rounds R4–R7, injection s
    a0 = (a0 + a1) | 0;
    b0 = (b0 + b1) | 0;
    c0 = (c0 + c1) | 0;
    d0 = (d0 + d1) | 0;
    a1 = ((a1 << 6) | (a1 >>> 26)) ^ a0;
    b1 = ((b1 << 6) | (b1 >>> 26)) ^ b0;
    c1 = ((c1 << 6) | (c1 >>> 26)) ^ c0;
    d1 = ((d1 << 6) | (d1 >>> 26)) ^ d0;
    a2 = (a2 + a3) | 0;
    b2 = (b2 + b3) | 0;
    c2 = (c2 + c3) | 0;
    d2 = (d2 + d3) | 0;
    a3 = ((a3 << 20) | (a3 >>> 12)) ^ a2;
    b3 = ((b3 << 20) | (b3 >>> 12)) ^ b2;
    c3 = ((c3 << 20) | (c3 >>> 12)) ^ c2;
    d3 = ((d3 << 20) | (d3 >>> 12)) ^ d2;
    a0 = (a0 + a3) | 0;
    b0 = (b0 + b3) | 0;
    c0 = (c0 + c3) | 0;
    d0 = (d0 + d3) | 0;
    a3 = ((a3 << 17) | (a3 >>> 15)) ^ a0;
    b3 = ((b3 << 17) | (b3 >>> 15)) ^ b0;
    c3 = ((c3 << 17) | (c3 >>> 15)) ^ c0;
    d3 = ((d3 << 17) | (d3 >>> 15)) ^ d0;
    a2 = (a2 + a1) | 0;
    b2 = (b2 + b1) | 0;
    c2 = (c2 + c1) | 0;
    d2 = (d2 + d1) | 0;
    a1 = ((a1 << 11) | (a1 >>> 21)) ^ a2;
    b1 = ((b1 << 11) | (b1 >>> 21)) ^ b2;
    c1 = ((c1 << 11) | (c1 >>> 21)) ^ c2;
    d1 = ((d1 << 11) | (d1 >>> 21)) ^ d2;
    a0 = (a0 + a1) | 0;
    b0 = (b0 + b1) | 0;
    c0 = (c0 + c1) | 0;
    d0 = (d0 + d1) | 0;
    a1 = ((a1 << 25) | (a1 >>> 7)) ^ a0;
    b1 = ((b1 << 25) | (b1 >>> 7)) ^ b0;
    c1 = ((c1 << 25) | (c1 >>> 7)) ^ c0;
    d1 = ((d1 << 25) | (d1 >>> 7)) ^ d0;
    a2 = (a2 + a3) | 0;
    b2 = (b2 + b3) | 0;
    c2 = (c2 + c3) | 0;
    d2 = (d2 + d3) | 0;
    a3 = ((a3 << 10) | (a3 >>> 22)) ^ a2;
    b3 = ((b3 << 10) | (b3 >>> 22)) ^ b2;
    c3 = ((c3 << 10) | (c3 >>> 22)) ^ c2;
    d3 = ((d3 << 10) | (d3 >>> 22)) ^ d2;
    a0 = (a0 + a3) | 0;
    b0 = (b0 + b3) | 0;
    c0 = (c0 + c3) | 0;
    d0 = (d0 + d3) | 0;
    a3 = ((a3 << 18) | (a3 >>> 14)) ^ a0;
    b3 = ((b3 << 18) | (b3 >>> 14)) ^ b0;
    c3 = ((c3 << 18) | (c3 >>> 14)) ^ c0;
    d3 = ((d3 << 18) | (d3 >>> 14)) ^ d0;
    a2 = (a2 + a1) | 0;
    b2 = (b2 + b1) | 0;
    c2 = (c2 + c1) | 0;
    d2 = (d2 + d1) | 0;
    a1 = ((a1 << 20) | (a1 >>> 12)) ^ a2;
    b1 = ((b1 << 20) | (b1 >>> 12)) ^ b2;
    c1 = ((c1 << 20) | (c1 >>> 12)) ^ c2;
    d1 = ((d1 << 20) | (d1 >>> 12)) ^ d2;
    a0 = (a0 + key[s]!) | 0;
    b0 = (b0 + key[s]!) | 0;
    c0 = (c0 + key[s]!) | 0;
    d0 = (d0 + key[s]!) | 0;
    a1 = (a1 + key[s + 1]!) | 0;
    b1 = (b1 + key[s + 1]!) | 0;
    c1 = (c1 + key[s + 1]!) | 0;
    d1 = (d1 + key[s + 1]!) | 0;
    a2 = (a2 + key[s + 2]!) | 0;
    b2 = (b2 + key[s + 2]!) | 0;
    c2 = (c2 + key[s + 2]!) | 0;
    d2 = (d2 + key[s + 2]!) | 0;
    a3 = (a3 + key[s + 3]! + s) | 0;
    b3 = (b3 + key[s + 3]! + s) | 0;
    c3 = (c3 + key[s + 3]! + s) | 0;
    d3 = (d3 + key[s + 3]! + s) | 0;
    // rounds R0–R3, injection s + 1
    a0 = (a0 + a1) | 0;
    b0 = (b0 + b1) | 0;
    c0 = (c0 + c1) | 0;
    d0 = (d0 + d1) | 0;
    a1 = ((a1 << 10) | (a1 >>> 22)) ^ a0;
    b1 = ((b1 << 10) | (b1 >>> 22)) ^ b0;
    c1 = ((c1 << 10) | (c1 >>> 22)) ^ c0;
    d1 = ((d1 << 10) | (d1 >>> 22)) ^ d0;
    a2 = (a2 + a3) | 0;
    b2 = (b2 + b3) | 0;
    c2 = (c2 + c3) | 0;
    d2 = (d2 + d3) | 0;
    a3 = ((a3 << 26) | (a3 >>> 6)) ^ a2;
    b3 = ((b3 << 26) | (b3 >>> 6)) ^ b2;
    c3 = ((c3 << 26) | (c3 >>> 6)) ^ c2;
    d3 = ((d3 << 26) | (d3 >>> 6)) ^ d2;
    a0 = (a0 + a3) | 0;
    b0 = (b0 + b3) | 0;
    c0 = (c0 + c3) | 0;
    d0 = (d0 + d3) | 0;
    a3 = ((a3 << 11) | (a3 >>> 21)) ^ a0;
    b3 = ((b3 << 11) | (b3 >>> 21)) ^ b0;
    c3 = ((c3 << 11) | (c3 >>> 21)) ^ c0;
    d3 = ((d3 << 11) | (d3 >>> 21)) ^ d0;
    a2 = (a2 + a1) | 0;
    b2 = (b2 + b1) | 0;
    c2 = (c2 + c1) | 0;
    d2 = (d2 + d1) | 0;
    a1 = ((a1 << 21) | (a1 >>> 11)) ^ a2;
    b1 = ((b1 << 21) | (b1 >>> 11)) ^ b2;
    c1 = ((c1 << 21) | (c1 >>> 11)) ^ c2;
    d1 = ((d1 << 21) | (d1 >>> 11)) ^ d2;
    a0 = (a0 + a1) | 0;
    b0 = (b0 + b1) | 0;
    c0 = (c0 + c1) | 0;
    d0 = (d0 + d1) | 0;
    a1 = ((a1 << 13) | (a1 >>> 19)) ^ a0;
    b1 = ((b1 << 13) | (b1 >>> 19)) ^ b0;
    c1 = ((c1 << 13) | (c1 >>> 19)) ^ c0;
    d1 = ((d1 << 13) | (d1 >>> 19)) ^ d0;
    a2 = (a2 + a3) | 0;
    b2 = (b2 + b3) | 0;
    c2 = (c2 + c3) | 0;
    d2 = (d2 + d3) | 0;
    a3 = ((a3 << 27) | (a3 >>> 5)) ^ a2;
    b3 = ((b3 << 27) | (b3 >>> 5)) ^ b2;
    c3 = ((c3 << 27) | (c3 >>> 5)) ^ c2;
    d3 = ((d3 << 27) | (d3 >>> 5)) ^ d2;
    a0 = (a0 + a3) | 0;
    b0 = (b0 + b3) | 0;
    c0 = (c0 + c3) | 0;
    d0 = (d0 + d3) | 0;
    a3 = ((a3 << 23) | (a3 >>> 9)) ^ a0;
    b3 = ((b3 << 23) | (b3 >>> 9)) ^ b0;
    c3 = ((c3 << 23) | (c3 >>> 9)) ^ c0;
    d3 = ((d3 << 23) | (d3 >>> 9)) ^ d0;
    a2 = (a2 + a1) | 0;
    b2 = (b2 + b1) | 0;
    c2 = (c2 + c1) | 0;
    d2 = (d2 + d1) | 0;
    a1 = ((a1 << 5) | (a1 >>> 27)) ^ a2;
    b1 = ((b1 << 5) | (b1 >>> 27)) ^ b2;
    c1 = ((c1 << 5) | (c1 >>> 27)) ^ c2;
    d1 = ((d1 << 5) | (d1 >>> 27)) ^ d2;
    a0 = (a0 + key[s + 1]!) | 0;
    b0 = (b0 + key[s + 1]!) | 0;
    c0 = (c0 + key[s + 1]!) | 0;
    d0 = (d0 + key[s + 1]!) | 0;
    a1 = (a1 + key[s + 2]!) | 0;
    b1 = (b1 + key[s + 2]!) | 0;
    c1 = (c1 + key[s + 2]!) | 0;
    d1 = (d1 + key[s + 2]!) | 0;
    a2 = (a2 + key[s + 3]!) | 0;
    b2 = (b2 + key[s + 3]!) | 0;
    c2 = (c2 + key[s + 3]!) | 0;
    d2 = (d2 + key[s + 3]!) | 0;
    a3 = (a3 + key[s + 4]! + s + 1) | 0;
    b3 = (b3 + key[s + 4]! + s + 1) | 0;
    c3 = (c3 + key[s + 4]! + s + 1) | 0;
    d3 = (d3 + key[s + 4]! + s + 1) | 0;
  }
  out[o] = a0;
  out[o + 1] = a1;
  out[o + 2] = a2;
  out[o + 3] = a3;
  out[o + 4] = b0;
  out[o + 5] = b1;
  out[o + 6] = b2;
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
