/**
 * What one agent-step of the CPU engine is made of, in ns of CPU time: a Philox4x32-10 block (the plain
 * definition, the prefixed fast path one block at a time, four at a time), a Poisson draw at the paper
 * fleet's means (the sampler with its cached constants, block 0 precomputed as in the engine, further
 * blocks included), the portable logf32, and the WebAssembly kernel's parts (src/cpu/wasm: Philox
 * blocks, arrive by Poisson table, the serve loop per run-step). Medians of several runs after a warm-up; CPU time, so that other work on the machine counts
 * less. bench/NOTES.md explains how these bound the engine's rate.
 *
 *   npm run bench:components -- [repeats, default 7]
 */
import { logf32 } from '../src/random/f32math.js';
import {
  DrawStream,
  philox4x32,
  philoxBlock,
  philoxBlocks4,
  philoxKey,
  philoxPrefix,
  PREFIX_WORDS,
  seedKey,
} from '../src/random/philox.js';
import { PoissonSampler } from '../src/random/poisson.js';
import { buildPoissonTable } from '../src/random/poissonTable.js';
import { acquireKernel, kernelStatus, releaseKernel } from '../src/cpu/wasm/kernel.js';

const repeats = Number(process.argv[2] ?? 7);
const N = 2_000_000;

const cpuNs = (): number => {
  const { user, system } = process.cpuUsage();
  return (user + system) * 1000;
};

/** Median ns of CPU time per item of `run(n)`, which handles n items. */
function perItem(label: string, run: (n: number) => number): void {
  let sink = run(N / 10); // warm-up
  const ns: number[] = [];
  for (let i = 0; i < repeats; i++) {
    const t0 = cpuNs();
    sink += run(N);
    ns.push((cpuNs() - t0) / N);
  }
  ns.sort((a, b) => a - b);
  console.log(
    `${label.padEnd(58)} ${ns[Math.floor(ns.length / 2)]!.toFixed(1).padStart(6)} ns  (min ${ns[0]!.toFixed(1)}, max ${ns.at(-1).toFixed(1)})${sink === 0.5 ? ' ' : ''}`,
  );
}

const [k0, k1] = seedKey(1);
const key = philoxKey(k0, k1);
const STEPS = 1024;
const prefix = new Int32Array(STEPS * PREFIX_WORDS);
for (let t = 0; t < STEPS; t++) philoxPrefix(key, 7, 0, t, prefix, t * PREFIX_WORDS);
const out = new Int32Array(STEPS * 4);

console.log(`${new Date().toISOString().slice(0, 10)}, node ${process.version}; median of ${repeats}, CPU time per item`);
perItem('philox4x32 (the plain definition), per block', (n) => {
  const ctr = new Uint32Array(4);
  const block = new Uint32Array(4);
  let x = 0;
  for (let i = 0; i < n; i++) {
    ctr[2] = i;
    philox4x32(ctr, k0, k1, block);
    x ^= block[0]!;
  }
  return x;
});
perItem('philoxPrefix, per (stream, replicate, step)', (n) => {
  let x = 0;
  for (let i = 0; i < n; i++) {
    philoxPrefix(key, 7, 0, i, out, 0);
    x ^= out[0]!;
  }
  return x;
});
perItem('philoxBlock from a prefix, per block', (n) => {
  let x = 0;
  for (let i = 0; i < n; i++) {
    philoxBlock(key, prefix, (i & (STEPS - 1)) * PREFIX_WORDS, 3 << 16, out, 0);
    x ^= out[0]!;
  }
  return x;
});
perItem('philoxBlocks4 from prefixes, per block', (n) => {
  let x = 0;
  for (let i = 0; i < n; i += 4) {
    philoxBlocks4(key, prefix, (i & (STEPS - 4)) * PREFIX_WORDS, 3 << 16, out, 0);
    x ^= out[0]!;
  }
  return x;
});
// As in the engine: block 0 of every step precomputed (philoxBlocks4), further blocks drawn on demand.
const first = new Int32Array(STEPS * 4);
for (let t = 0; t < STEPS; t += 4) philoxBlocks4(key, prefix, t * PREFIX_WORDS, 3 << 16, first, t * 4);
for (const mean of [25, 45, 80, 4.5]) {
  perItem(`PoissonSampler.sample(${mean}) from a resumed stream, per draw`, (n) => {
    const sampler = new PoissonSampler();
    const draws = new DrawStream();
    let x = 0;
    for (let i = 0; i < n; i++) {
      const t = i & (STEPS - 1);
      draws.resume(key, prefix, t * PREFIX_WORDS, 3, first, t * 4);
      x += sampler.sample(mean, draws);
    }
    return x;
  });
}
perItem('DrawStream.reset + first draw (prefix + one block)', (n) => {
  const draws = new DrawStream();
  let x = 0;
  for (let i = 0; i < n; i++) {
    draws.reset(k0, k1, 7, 0, i, 3);
    x ^= draws.nextU32();
  }
  return x;
});
perItem('logf32, per call', (n) => {
  let x = 0;
  for (let i = 0; i < n; i++) x += logf32(((i & 0xffff) + 1) * 1.52587890625e-5);
  return x;
});

// The WebAssembly kernel's parts, over chunks of STEPS steps as the engine calls them.
const status = kernelStatus();
const kernel = status.available ? acquireKernel(4096) : null;
if (kernel === null) console.log(`WebAssembly kernel: skipped (${status.available ? 'FLEETSIM_CPU_KERNEL=js' : status.reason})`);
else {
  const wasm = kernel.exports;
  kernel.u32.set(new Uint32Array(key.buffer), kernel.key >> 2);
  wasm.philoxPrefixes(kernel.key, 7, 0, 0, STEPS, kernel.prefix);
  const mu = Math.fround(45);
  kernel.u32.set(buildPoissonTable(mu), kernel.tables >> 2);
  perItem('WASM philoxBlocks from prefixes (one at a time), per block', (n) => {
    for (let i = 0; i < n; i += STEPS) wasm.philoxBlocks(kernel.key, kernel.prefix, STEPS, 3 << 16, kernel.arrivals);
    return kernel.u32[kernel.arrivals >> 2]!;
  });
  perItem('WASM arriveTable(45): block 0 four at a time + table draw, per step', (n) => {
    for (let i = 0; i < n; i += STEPS)
      wasm.arriveTable(kernel.key, kernel.prefix, STEPS, 3 << 16, kernel.tables, mu, kernel.arrivals, kernel.work, kernel.block);
    return kernel.arrivalsView[7]!;
  });
  kernel.sharesView.fill(0.3);
  perItem('WASM serve (nominal signal, fixed share), per run-step', (n) => {
    kernel.ioView.fill(0);
    for (let i = 0; i < n; i += STEPS)
      wasm.serve(
        kernel.arrivals,
        kernel.work,
        kernel.shares,
        kernel.io,
        kernel.busy,
        0,
        0,
        0,
        STEPS,
        0,
        0,
        100,
        1,
        30,
        0,
        STEPS / 2,
        0,
        0.5,
        2 ** -10,
        0.25, // minShare R·G·(1 − 2^-12) below the share: no violations, as under static
        0, // a middle agent: ORs the busy flags
        0, // VIOLATION.none: the share is fixed and not below
      );
    return kernel.ioView[2]!;
  });
  releaseKernel(kernel);
}
