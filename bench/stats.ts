/**
 * The cost of the sweep's streaming statistics per value: StatAccumulator.add and PairAccumulator.add
 * on 10^6 values (several distributions), and the sweep's pattern of 30 accumulators fed in turn.
 * Prints µs per value as the median of several timed runs, each into fresh accumulators, after a
 * warm-up. Target (issue: sweep host overhead < 10 % of engine time): add ≤ ~0.09 µs/value.
 *
 *   npx tsc -p tsconfig.build.json && node dist/bench/stats.js [values, default 1e6] [repeats, default 7]
 */
import { cpus } from 'node:os';
import { PairAccumulator, StatAccumulator } from '../src/stats/index.js';

const count = Number(process.argv[2] ?? 1e6);
const repeats = Number(process.argv[3] ?? 7);

/** mulberry32, so every run sees the same data. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
const normal = (r: () => number): number => Math.sqrt(-2 * Math.log(1 - r())) * Math.cos(2 * Math.PI * r());

function column(draw: (r: () => number) => number, seed = 1): Float64Array {
  const r = rng(seed);
  return Float64Array.from({ length: count }, () => draw(r));
}

const columns: [string, Float64Array][] = [
  ['latency-like (lognormal, 1–1000 s)', column((r) => 30 * Math.exp(1.2 * normal(r)))],
  ['utilisation-like (uniform 0..1)', column((r) => r())],
  ['mixed (10 % zeros, negatives, e^±9)', column((r) => (r() < 0.1 ? 0 : (r() < 0.3 ? -1 : 1) * Math.exp(3 * normal(r))))],
  ['wide (1e-300..1e100, both signs)', column((r) => (r() < 0.5 ? -1 : 1) * 10 ** (400 * r() - 300))],
];

/** Median µs per value over `repeats` timed runs of `run` (after one warm-up run). */
function time(run: () => void, values: number): { median: number; min: number; max: number } {
  run();
  const us: number[] = [];
  for (let i = 0; i < repeats; i++) {
    const t0 = performance.now();
    run();
    us.push(((performance.now() - t0) * 1000) / values);
  }
  us.sort((a, b) => a - b);
  return { median: us[Math.floor(us.length / 2)]!, min: us[0]!, max: us.at(-1) };
}

function report(label: string, t: { median: number; min: number; max: number }, unit = 'µs/value'): void {
  console.log(`${label.padEnd(60)} ${t.median.toFixed(4).padStart(9)} ${unit}  (min ${t.min.toFixed(4)}, max ${t.max.toFixed(4)})`);
}

const date = new Date().toISOString().slice(0, 10);
console.log(`${date}, node ${process.version}, ${cpus()[0]?.model ?? 'unknown CPU'}; ${count} values, median of ${repeats}`);
let sink = 0; // keeps results alive so nothing is optimised away
for (const [name, xs] of columns) {
  report(
    `StatAccumulator.add, ${name}`,
    time(() => {
      const a = new StatAccumulator();
      for (let i = 0; i < xs.length; i++) a.add(xs[i]!);
      sink += a.count;
    }, xs.length),
  );
}

// The sweep's pattern: one value for each of 30 accumulators per fleet run, in turn.
const lat = columns[0]![1];
report(
  'StatAccumulator.add, 30 accumulators in turn (latency-like)',
  time(() => {
    const accs = Array.from({ length: 30 }, () => new StatAccumulator());
    for (let i = 0; i < lat.length; i++) accs[i % 30]!.add(lat[i]!);
    sink += accs[0]!.count;
  }, lat.length),
);

const other = column((r) => (r() < 0.05 ? 0 : 30 * Math.exp(1.2 * normal(r))), 2);
report(
  'PairAccumulator.add (latency pairs, 5 % zeros)',
  time(() => {
    const p = new PairAccumulator();
    for (let i = 0; i < lat.length; i++) p.add(lat[i]!, other[i]!);
    sink += p.count;
  }, lat.length),
);

// What a checkpoint costs: toJSON + summary of a filled accumulator (per call, not per value).
const full = new StatAccumulator();
full.addMany(columns[2]![1]);
report(
  'StatAccumulator toJSON + summary (mixed, 10^6 values)',
  time(() => {
    sink += JSON.stringify(full).length + full.summary()!.n;
  }, 1),
  'µs/call',
);
if (sink === 0) console.log('(no values)');
