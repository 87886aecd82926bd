/**
 * The binomial sampler's CPU cost (bench/NOTES.md, "The binomial sampler"): ns per variate of
 * src/random/binomial.ts in both regimes (inversion below n·min(p, 1−p) = 10, BTRS above) and of one
 * routing split, each draw from a fresh stream (reset, as an engine draws per agent-step), next to the
 * cost of the stream alone (reset + one word) and of a Poisson count at the same mean. CPU time (user +
 * system: this process's one thread, so a shared machine's load inflates it less than wall time), median of
 * `--repeats` rounds of `--draws` variates, the cases alternating within a round.
 *
 *   npm run build && node dist/bench/binomial.js [--repeats=7] [--draws=200000]
 */
import { binomial, splitCompletions } from '../src/random/binomial.js';
import { DrawStream, seedKey } from '../src/random/philox.js';
import { PoissonSampler } from '../src/random/poisson.js';

const option = (name: string, fallback: number): number => {
  const raw = process.argv.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3);
  return raw === undefined ? fallback : Number(raw);
};
const REPEATS = option('repeats', 7);
const DRAWS = option('draws', 200_000);

const [k0, k1] = seedKey(20261207);
const draws = new DrawStream();
const out = new Uint32Array(8);
const poisson = new PoissonSampler();
let sink = 0;

type Case = readonly [string, (s: number) => number];
const CASES: readonly Case[] = [
  ['stream alone (reset + 1 word)', () => draws.nextU32() & 1],
  ['inversion  Binomial(20, 0.1)', () => binomial(20, 0.1, draws)],
  ['inversion  Binomial(1000, 0.009)', () => binomial(1000, 0.009, draws)],
  ['inversion  Binomial(2^24, 5e-7)', () => binomial(16777216, 5e-7, draws)],
  ['BTRS       Binomial(20, 0.5)', () => binomial(20, 0.5, draws)],
  ['BTRS       Binomial(100, 0.3)', () => binomial(100, 0.3, draws)],
  ['BTRS       Binomial(10^4, 0.7)', () => binomial(10_000, 0.7, draws)],
  ['BTRS       Binomial(2^24, 0.5)', () => binomial(16777216, 0.5, draws)],
  ['Poisson(30) (PTRS, cached constants)', () => poisson.sample(30, draws)],
  ['split 120 → (0.3, 0.3, 0.3)', () => splitCompletions(120, [0.3, 0.3, 0.3], draws, out)],
  ['split 8 → (0.5, 0.25, 0.125)', () => splitCompletions(8, [0.5, 0.25, 0.125], draws, out)],
];

const times = CASES.map(() => [] as number[]);
for (let round = 0; round < REPEATS + 1; round++) {
  CASES.forEach(([, run], c) => {
    const start = process.cpuUsage();
    for (let s = 0; s < DRAWS; s++) {
      draws.reset(k0, k1, s, round, 0x20000000, c);
      sink += run(s);
    }
    const used = process.cpuUsage(start);
    const ns = ((used.user + used.system) * 1000) / DRAWS;
    if (round > 0) times[c]!.push(ns); // round 0 warms the JIT
  });
}
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[xs.length >> 1]!;
console.log(`node ${process.version}, ${DRAWS} variates × ${REPEATS} rounds, median CPU ns per variate (range):`);
CASES.forEach(([name], c) => {
  const xs = times[c]!;
  console.log(`  ${name.padEnd(40)} ${median(xs).toFixed(0).padStart(5)}  (${Math.min(...xs).toFixed(0)}–${Math.max(...xs).toFixed(0)})`);
});
if (sink === -1) console.log(sink);
