/**
 * Threefry4x32 (src/random/threefry.ts and its GPU twin shaders/threefry.wgsl), the generator measured
 * against Philox in bench/rng.ts: Random123's known-answer vectors on both sides, the prefixed fast path
 * against the definition, GPU = CPU on arbitrary counters and keys, and a statistical smoke test.
 * Its quality is Random123's: Threefry4x32-20 passes TestU01's BigCrush (Salmon et al., SC 2011, Table 2);
 * the smoke test only guards this implementation against gross mistakes.
 */
import chisquareCdf from '@stdlib/stats-base-dists-chisquare-cdf';
import { describe, expect, it } from 'vitest';
import { blocksOnGpu } from '../bench/rng/wgsl.js';
import {
  threefry4x32,
  threefry4x32R,
  threefryBlock,
  threefryBlocks4,
  threefryKey,
  threefryPrefix,
  TF_PREFIX_WORDS,
} from '../src/random/threefry.js';
import { assertNoUncapturedErrors, gpu, gpuSkipReason } from './helpers/gpu.js';
import { rng } from './helpers/seeded.js';

const hex = (words: ArrayLike<number>): string => Array.from(words, (w) => (w >>> 0).toString(16).padStart(8, '0')).join(' ');

const ZERO = [0, 0, 0, 0];
const ONES = [0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff];
const PI_CTR = [0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344];
const PI_KEY = [0xa4093822, 0x299f31d0, 0x082efa98, 0xec4e6c89];

// Random123's known-answer vectors (tests/kat_vectors of github.com/DEShawResearch/random123, lines
// `threefry4x32 R counter key expected`): rounds, counter, key, expected block.
const KAT: readonly (readonly [number, number[], number[], string])[] = [
  [13, ZERO, ZERO, '531c7e4f 39491ee5 2c855a92 3d6abf9a'],
  [13, ONES, ONES, 'c4189358 1c9cc83a d5881c67 6a0a89e0'],
  [13, PI_CTR, PI_KEY, '4aa71d8f 734738c2 431fc6a8 ae6debf1'],
  [20, ZERO, ZERO, '9c6ca96a e17eae66 fc10ecd4 5256a7d8'],
  [20, ONES, ONES, '2a881696 57012287 f6c7446e a16a6732'],
  [20, PI_CTR, PI_KEY, '59cd1dbb b8879579 86b5d00c ac8b6d84'],
  [72, ZERO, ZERO, '93171da6 9220326d b392b7b1 ff58a002'],
  [72, ONES, ONES, '60743f3d 9961e684 aab21c34 8c65fb7d'],
  [72, PI_CTR, PI_KEY, '09930adf 7f27bd55 9ed68ce1 97f803f6'],
];

/** Words that reach the edges of 32-bit arithmetic often, and anything else otherwise. */
function edgyWords(seed: number): () => number {
  const r = rng(seed);
  return () => {
    const u = r();
    if (u < 0.2) return [0, 0xffffffff, 0x80000000, 0x7fffffff, 1][Math.floor(u * 25)]!;
    return Math.floor(r() * 2 ** 32) >>> 0;
  };
}

describe('Threefry4x32', () => {
  it.each(KAT)('matches the Random123 vector: %i rounds, counter %j', (rounds, ctr, key, expected) => {
    expect(hex(threefry4x32R(rounds, ctr, key))).toBe(expected);
  });

  it('takes the seed key as key words 0 and 1, words 2 and 3 zero', () => {
    expect(hex(threefry4x32(ZERO, 0, 0))).toBe('9c6ca96a e17eae66 fc10ecd4 5256a7d8');
    expect(hex(threefry4x32(PI_CTR, PI_KEY[0]!, PI_KEY[1]!))).toBe(hex(threefry4x32R(20, PI_CTR, [PI_KEY[0]!, PI_KEY[1]!, 0, 0])));
    expect(hex(threefry4x32(PI_CTR, PI_KEY[0]!, PI_KEY[1]!))).not.toBe('59cd1dbb b8879579 86b5d00c ac8b6d84');
  });

  it('computes the same blocks through the prefixed fast path', () => {
    const word = edgyWords(11);
    const prefix = new Int32Array(TF_PREFIX_WORDS + 2);
    const got = new Uint32Array(4);
    for (let n = 0; n < 2000; n++) {
      const [k0, k1, stream, replicate, step, w3] = [word(), word(), word(), word(), word(), word()];
      const key = threefryKey(k0, k1);
      threefryPrefix(key, stream, replicate, step, prefix, 2);
      threefryBlock(key, prefix, 2, w3, got, 0);
      const want = threefry4x32([stream, replicate, step, w3], k0, k1);
      if (hex(got) !== hex(want)) expect(hex(got), `counter ${hex([stream, replicate, step, w3])} key ${hex([k0, k1])}`).toBe(hex(want));
    }
  });

  it('computes the same blocks four at a time (threefryBlocks4)', () => {
    const word = edgyWords(17);
    const prefix = new Int32Array(4 * TF_PREFIX_WORDS + 1);
    const four = new Int32Array(17);
    for (let n = 0; n < 500; n++) {
      const [k0, k1, stream, step, w3] = [word(), word(), word(), word(), word()];
      const replicates = [word(), word(), word(), word()];
      const key = threefryKey(k0, k1);
      replicates.forEach((replicate, r) => threefryPrefix(key, stream, replicate, step, prefix, 1 + r * TF_PREFIX_WORDS));
      threefryBlocks4(key, prefix, 1, w3, four, 1);
      replicates.forEach((replicate, r) => {
        const want = hex(threefry4x32([stream, replicate, step, w3], k0, k1));
        const got = hex(four.subarray(1 + 4 * r, 5 + 4 * r));
        if (got !== want) expect(got, `block ${r}, counter ${hex([stream, replicate, step, w3])}`).toBe(want);
      });
    }
  });

  it('passes a statistical smoke test: bit balance and bytes uniform (χ²) over 4 million words', () => {
    const key = threefryKey(0x2545f491, 0x4f6cdd1d);
    const prefix = new Int32Array(TF_PREFIX_WORDS);
    const block = new Int32Array(4);
    const ones = new Float64Array(32);
    const bytes = new Float64Array(256);
    const words = 1 << 22;
    for (let b = 0; b < words / 4; b++) {
      if ((b & 0xffff) === 0) threefryPrefix(key, 7, b >>> 16, 3, prefix, 0);
      threefryBlock(key, prefix, 0, b & 0xffff, block, 0);
      for (let i = 0; i < 4; i++) {
        const w = block[i]!;
        for (let bit = 0; bit < 32; bit++) ones[bit]! += (w >>> bit) & 1;
        bytes[w & 0xff]! += 1;
        bytes[(w >>> 8) & 0xff]! += 1;
        bytes[(w >>> 16) & 0xff]! += 1;
        bytes[w >>> 24]! += 1;
      }
    }
    // each bit: binomial(words, 1/2), sd = 2^10; 5.5 sd over 32 bits fails a good generator with p < 1e-6
    for (let bit = 0; bit < 32; bit++) expect(Math.abs(ones[bit]! - words / 2) / Math.sqrt(words / 4), `bit ${bit}`).toBeLessThan(5.5);
    const expected = (4 * words) / 256;
    let chi2 = 0;
    for (const count of bytes) chi2 += (count - expected) ** 2 / expected;
    const p = chisquareCdf(chi2, 255);
    expect(p, `χ² = ${chi2.toFixed(1)} on 255 degrees of freedom`).toBeGreaterThan(1e-6);
    expect(p).toBeLessThan(1 - 1e-6);
  });

  it('fails the same byte χ² on weak words (Threefry cut to 1 round): the smoke test can fail', () => {
    const bytes = new Float64Array(256);
    const n = 1 << 16;
    for (let c = 0; c < n; c++) {
      const w = threefry4x32R(1, [c, 0, 0, 0], ZERO);
      for (let i = 0; i < 4; i++) bytes[w[i]! & 0xff]! += 1;
    }
    let chi2 = 0;
    for (const count of bytes) chi2 += (count - (4 * n) / 256) ** 2 / ((4 * n) / 256);
    expect(chisquareCdf(chi2, 255)).toBeGreaterThan(1 - 1e-6);
  });
});

describe.skipIf(!gpu)(gpuSkipReason ?? 'Threefry4x32 on the GPU', () => {
  it("matches Random123's 20-round vectors and the CPU on arbitrary counters and keys", async () => {
    const word = edgyWords(23);
    const pairs: number[][] = [
      [...ZERO, ...ZERO],
      [...ONES, ...ONES],
      [...PI_CTR, ...PI_KEY],
    ];
    for (let n = 0; n < 509; n++) pairs.push([word(), word(), word(), word(), word(), word(), 0, 0]);
    const got = await blocksOnGpu(gpu!.device, 'threefry', new Uint32Array(pairs.flat()));
    const [zero, ones, pi] = [0, 1, 2].map((i) => hex(got.subarray(4 * i, 4 * i + 4)));
    expect([zero, ones, pi]).toEqual(KAT.filter(([rounds]) => rounds === 20).map(([, , , expected]) => expected));
    for (let i = 3; i < pairs.length; i++) {
      const [c0, c1, c2, c3, k0, k1] = pairs[i]!;
      const want = hex(threefry4x32([c0!, c1!, c2!, c3!], k0!, k1!));
      if (hex(got.subarray(4 * i, 4 * i + 4)) !== want) expect(hex(got.subarray(4 * i, 4 * i + 4)), `pair ${i}`).toBe(want);
    }
    assertNoUncapturedErrors();
  });
});
