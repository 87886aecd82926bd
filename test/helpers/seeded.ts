/**
 * mulberry32: a small seeded uniform generator on [0, 1), for tests that need the same synthetic data
 * on every run (statistics, verdict coverage). Not fleetsim's generator (src/random/philox.ts).
 *
 * @example
 *   const r = rng(7); r(); // 0 ≤ x < 1, the same sequence for seed 7 every time
 */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
}
