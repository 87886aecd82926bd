/**
 * Philox4x32-10 against Threefry4x32-20 on every engine fleetsim has (bench/NOTES.md, "Threefry or
 * Philox"): ns per 4-word block in JavaScript (src/random/philox.ts, src/random/threefry.ts) and in
 * WebAssembly (bench/rng/kernels.as, compiled here by AssemblyScript), and blocks per second of a WGSL
 * kernel that generates and folds `--fold` blocks per invocation (bench/rng/wgsl.ts) on the WebGPU
 * adapter (lavapipe here). Every variant is checked against the definitions before it is timed. The
 * variants of one engine are timed alternately, round after round, so that a shared machine's drift
 * hits them alike; each figure is the median (and range) over `--repeats` rounds, per block of wall
 * time and of this process's CPU time (user + system, all threads: on lavapipe that is the GPU's work).
 *
 * Last, with --kernel, the GPU engine itself on the paper benchmark (the paper fleet × 3 policies, Poisson arrivals,
 * 1,000 steps, `--kernel-fleets` fleets), once as it is and once with Threefry compiled in Philox's
 * place (philox4x32's body replaced by a call of threefry4x32; nothing else changes, and fleetsim does
 * not ship this): other random numbers, the same work, so the difference is what the generator costs
 * in the real kernel. M agent-steps per second.
 *
 *   npm run bench:rng -- [--repeats=7] [--blocks=1048576] [--fold=64] [--invocations=65536] [--kernel-fleets=3000]
 *     [--no-wasm] [--no-gpu] [--kernel]
 */
import asc from 'assemblyscript/asc';
import { readFile } from 'node:fs/promises';
import { loadavg } from 'node:os';
import v8 from 'node:v8';
import { join } from 'node:path';
import { philox4x32, philoxBlock, philoxBlocks4, philoxKey, philoxPrefix, PREFIX_WORDS } from '../src/random/philox.js';
import { threefry4x32, threefryBlock, threefryBlocks4, threefryKey, threefryPrefix, TF_PREFIX_WORDS } from '../src/random/threefry.js';
import { GpuEngine } from '../src/gpu/engine.js';
import { crossRuns, makeBatch, packFleets } from '../src/model/batch.js';
import { PAPER_AGENTS, PAPER_CONFIG } from '../src/model/paper.js';
import { PAPER_POLICIES, POLICY } from '../src/model/policies.js';
import { type NodeGpu, openNodeGpu, packageRoot } from '../src/platform/node.js';
import { foldKernel, type Generator, generatorSource, wordBuffer, wordKernel } from './rng/wgsl.js';

const args = process.argv.slice(2);
const option = (name: string, fallback: number): number => {
  const raw = args.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3);
  if (raw === undefined) return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 1) {
    console.error(`bench:rng: --${name} must be a positive integer, got ${raw}`);
    process.exit(2);
  }
  return value;
};
const repeats = option('repeats', 7);
const blocks = option('blocks', 1 << 20) & ~3; // a multiple of 4 (the four-block variants)
const foldBlocks = option('fold', 64);
const invocations = option('invocations', 1 << 16);
const kernelFleets = option('kernel-fleets', 3000);

const K0 = 0x2545f491;
const K1 = 0x4f6cdd1d;
const STREAM = 3;
const REPLICATE = 17;
const STEP = 250;
const AGENT_WORD = 5 << 16;

/** A timed variant: `run()` does `blocks` blocks and returns a word that depends on all of them. */
interface Variant {
  name: string;
  blocks: number;
  run: () => number | Promise<number>;
}

interface Figures {
  wall: number[];
  cpu: number[];
}

const median = (xs: readonly number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const fmt = (x: number): string => (x >= 100 ? x.toFixed(0) : x >= 10 ? x.toFixed(1) : x.toFixed(2));
let sink = 0;

/** Times `variants` alternately: one warm-up run each, then `repeats` rounds; seconds per block. */
async function timeAlternately(variants: readonly Variant[]): Promise<Figures[]> {
  for (const v of variants) sink = (sink + (await v.run())) | 0;
  const figures = variants.map((): Figures => ({ wall: [], cpu: [] }));
  for (let round = 0; round < repeats; round++) {
    for (let i = 0; i < variants.length; i++) {
      const v = variants[(i + round) % variants.length]!; // rotate the order too
      const f = figures[(i + round) % variants.length]!;
      const c0 = process.cpuUsage();
      const t0 = performance.now();
      sink = (sink + (await v.run())) | 0;
      const wall = (performance.now() - t0) / 1000;
      const cpu = process.cpuUsage(c0);
      f.wall.push(wall / v.blocks);
      f.cpu.push((cpu.user + cpu.system) / 1e6 / v.blocks);
    }
  }
  return figures;
}

function table(
  title: string,
  unit: 'ns' | 'M blocks/s' | 'M agent-steps/s',
  variants: readonly Variant[],
  figures: readonly Figures[],
): void {
  console.log(`\n${title}`);
  console.log(`| variant | ${unit}, wall (median; range) | ${unit}, CPU (median; range) |`);
  console.log('|---|---|---|');
  const show = (xs: number[]): string => {
    const v = unit === 'ns' ? xs.map((x) => x * 1e9) : xs.map((x) => 1e-6 / x);
    return `${fmt(median(v))} (${fmt(Math.min(...v))}–${fmt(Math.max(...v))})`;
  };
  variants.forEach((v, i) => console.log(`| ${v.name} | ${show(figures[i]!.wall)} | ${show(figures[i]!.cpu)} |`));
}

/** The exclusive or of the words of blocks (STREAM…, agentWord | j), j < n, by the definitions. */
function referenceFold(generator: Generator, n: number, k0: number, k1: number, c: readonly number[], agentWord: number): number {
  const out = new Uint32Array(4);
  let acc = 0;
  for (let j = 0; j < n; j++) {
    const ctr = [c[0]!, c[1]!, c[2]!, (agentWord | j) >>> 0];
    if (generator === 'philox') philox4x32(ctr, k0, k1, out);
    else threefry4x32(ctr, k0, k1, out);
    acc ^= out[0]! ^ out[1]! ^ out[2]! ^ out[3]!;
  }
  return acc >>> 0;
}

function expectEqual(label: string, got: number, want: number): void {
  if (got >>> 0 !== want >>> 0) throw new Error(`bench:rng: ${label} gives ${got >>> 0} where the definition gives ${want >>> 0}`);
}

// ---- JavaScript ----

function jsVariants(): Variant[] {
  const pKey = philoxKey(K0, K1);
  const tKey = threefryKey(K0, K1);
  const pPrefix = new Int32Array(4 * PREFIX_WORDS);
  for (let r = 0; r < 4; r++) philoxPrefix(pKey, STREAM, REPLICATE + r, STEP, pPrefix, r * PREFIX_WORDS);
  const tPrefix = new Int32Array(4 * TF_PREFIX_WORDS);
  for (let r = 0; r < 4; r++) threefryPrefix(tKey, STREAM, REPLICATE + r, STEP, tPrefix, r * TF_PREFIX_WORDS);
  const scratch = new Int32Array(PREFIX_WORDS); // the unshared variants' own prefix
  const one = new Int32Array(4);
  const four = new Int32Array(16);
  const plain = new Uint32Array(4);
  const ctr = [STREAM, REPLICATE, STEP, 0];
  const fold4 = (w: Int32Array | Uint32Array): number => w[0]! ^ w[1]! ^ w[2]! ^ w[3]!;
  const small = Math.max(4, blocks >>> 4); // the definitional philox4x32 is slow: fewer blocks
  return [
    {
      name: 'Philox philox4x32 (the definition)',
      blocks: small,
      run: () => {
        let acc = 0;
        for (let j = 0; j < small; j++) {
          ctr[3] = AGENT_WORD | j;
          acc ^= fold4(philox4x32(ctr, K0, K1, plain));
        }
        return acc;
      },
    },
    {
      name: 'Philox philoxPrefix + philoxBlock (no sharing)',
      blocks,
      run: () => {
        let acc = 0;
        for (let j = 0; j < blocks; j++) {
          philoxPrefix(pKey, STREAM, REPLICATE, STEP + j, scratch, 0);
          philoxBlock(pKey, scratch, 0, AGENT_WORD, one, 0);
          acc ^= fold4(one);
        }
        return acc;
      },
    },
    {
      name: 'Philox philoxBlock (shared prefix)',
      blocks,
      run: () => {
        let acc = 0;
        for (let j = 0; j < blocks; j++) {
          philoxBlock(pKey, pPrefix, 0, AGENT_WORD | (j & 0xffff), one, 0);
          acc ^= fold4(one);
        }
        return acc;
      },
    },
    {
      name: 'Philox philoxBlocks4 (shared prefixes, the engine)',
      blocks,
      run: () => {
        let acc = 0;
        for (let j = 0; j < blocks; j += 4) {
          philoxBlocks4(pKey, pPrefix, 0, AGENT_WORD | (j & 0xffff), four, 0);
          acc ^= fold4(four) ^ four[4]! ^ four[5]! ^ four[6]! ^ four[7]! ^ four[8]! ^ four[9]! ^ four[10]! ^ four[11]!;
          acc ^= four[12]! ^ four[13]! ^ four[14]! ^ four[15]!;
        }
        return acc;
      },
    },
    {
      name: 'Threefry threefryPrefix + threefryBlock (no sharing)',
      blocks,
      run: () => {
        let acc = 0;
        for (let j = 0; j < blocks; j++) {
          threefryPrefix(tKey, STREAM, REPLICATE, STEP + j, scratch, 0);
          threefryBlock(tKey, scratch, 0, AGENT_WORD, one, 0);
          acc ^= fold4(one);
        }
        return acc;
      },
    },
    {
      name: 'Threefry threefryBlock (shared prefix)',
      blocks,
      run: () => {
        let acc = 0;
        for (let j = 0; j < blocks; j++) {
          threefryBlock(tKey, tPrefix, 0, AGENT_WORD | (j & 0xffff), one, 0);
          acc ^= fold4(one);
        }
        return acc;
      },
    },
    {
      name: 'Threefry threefryBlocks4 (shared prefixes, as the engine would)',
      blocks,
      run: () => {
        let acc = 0;
        for (let j = 0; j < blocks; j += 4) {
          threefryBlocks4(tKey, tPrefix, 0, AGENT_WORD | (j & 0xffff), four, 0);
          acc ^= fold4(four) ^ four[4]! ^ four[5]! ^ four[6]! ^ four[7]! ^ four[8]! ^ four[9]! ^ four[10]! ^ four[11]!;
          acc ^= four[12]! ^ four[13]! ^ four[14]! ^ four[15]!;
        }
        return acc;
      },
    },
  ];
}

// ---- WebAssembly ----

type Fold = (n: number, k0: number, k1: number, stream: number, replicate: number, step: number, agentWord: number) => number;
const WASM_FOLDS: readonly (readonly [string, string, Generator])[] = [
  ['philoxFold', 'Philox (the definition, i64 multiplies)', 'philox'],
  ['philoxPrefixFold', 'Philox from a shared prefix (16 products)', 'philox'],
  ['threefryFold', 'Threefry (i32.rotl)', 'threefry'],
  ['philoxPrefixFold4', 'Philox from a shared prefix, 4 blocks in SIMD lanes', 'philox'],
  ['threefryFold4', 'Threefry, 4 blocks in SIMD lanes', 'threefry'],
];

async function wasmVariants(): Promise<Variant[]> {
  const source = await readFile(join(packageRoot(), 'bench', 'rng', 'kernels.as'), 'utf8');
  const compiled = await asc.compileString(
    { 'kernels.ts': source },
    { optimizeLevel: 3, runtime: 'stub', noAssert: true, enable: ['simd'] },
  );
  if (compiled.error || !compiled.binary) {
    const diagnostics = (compiled.stderr as asc.MemoryStream).toString();
    throw new Error(`bench:rng: AssemblyScript could not compile bench/rng/kernels.as: ${compiled.error?.message}\n${diagnostics}`);
  }
  // V8 runs WebAssembly first in its baseline compiler (Liftoff) and swaps in the optimized code
  // (TurboFan) between calls, never inside one: a long call can stay on the baseline tier (here
  // threefryFold stayed there for whole runs, 100× slower). Compile straight to TurboFan.
  v8.setFlagsFromString('--no-liftoff');
  const instance = new WebAssembly.Instance(new WebAssembly.Module(compiled.binary as Uint8Array<ArrayBuffer>));
  const exports = instance.exports as Record<string, Fold>;
  const checks: readonly [number, number, readonly number[], number][] = [
    [K0, K1, [STREAM, REPLICATE, STEP], AGENT_WORD],
    [0, 0, [0, 0, 0], 0],
    [0xffffffff, 0xffffffff, [0xffffffff, 0xffffffff, 0xfffffff], 0xffff0000],
    [0xa4093822, 0x299f31d0, [0x243f6a88, 0x85a308d3, 0x13198a2e], 0x03700000],
  ];
  for (const [name, , generator] of WASM_FOLDS) {
    for (const [k0, k1, c, agentWord] of checks) {
      expectEqual(
        `wasm ${name}`,
        exports[name]!(64, k0, k1, c[0]!, c[1]!, c[2]!, agentWord),
        referenceFold(generator, 64, k0, k1, c, agentWord),
      );
    }
  }
  return WASM_FOLDS.map(([name, label]) => ({
    name: `${label} \`${name}\``,
    blocks,
    run: () => exports[name]!(blocks, K0, K1, STREAM, REPLICATE, STEP, AGENT_WORD),
  }));
}

// ---- WGSL ----

async function gpuVariants(gpu: NodeGpu): Promise<Variant[]> {
  const { device } = gpu;
  const variants: Variant[] = [];
  const params = wordBuffer(device, 'rng.fold.params', new Uint32Array([foldBlocks, REPLICATE, K0, K1]), GPUBufferUsage.UNIFORM);
  const output = wordBuffer(device, 'rng.fold.output', new Uint32Array(invocations), GPUBufferUsage.STORAGE);
  for (const generator of ['philox', 'threefry'] as const) {
    const kernel = await wordKernel(device, `rng.fold.${generator}`, foldKernel(await generatorSource(generator), generator, 64));
    const words = await kernel.run([params, output], invocations, output);
    for (const i of [0, 1, 2, 63, 64, 1000, invocations - 1]) {
      if (i >= invocations) continue;
      let want = 0;
      for (let j = 0; j < foldBlocks; j++) {
        const out =
          generator === 'philox'
            ? philox4x32([i, REPLICATE, j, AGENT_WORD | j], K0, K1)
            : threefry4x32([i, REPLICATE, j, AGENT_WORD | j], K0, K1);
        want ^= out[0]! ^ out[1]! ^ out[2]! ^ out[3]!;
      }
      expectEqual(`WGSL ${generator} fold, invocation ${i}`, words[i]!, want);
    }
    variants.push({
      name: `${generator === 'philox' ? 'Philox `philox4x32`' : 'Threefry `threefry4x32`'}, ${foldBlocks} blocks per invocation`,
      blocks: invocations * foldBlocks,
      run: async () => (await kernel.run([params, output], invocations, output))[0]!,
    });
  }
  return variants;
}

/** philox.wgsl with philox4x32 answering Threefry4x32-20's blocks (threefry.wgsl prepended). */
function philoxAsThreefry(philox: string, threefry: string): string {
  const start = philox.indexOf('fn philox4x32(');
  const end = philox.indexOf('\n}\n', start) + 3;
  if (start < 0 || end < 3) throw new Error('bench:rng: fn philox4x32 not found in shaders/philox.wgsl');
  const call = 'fn philox4x32(counter: vec4<u32>, key: vec2<u32>) -> vec4<u32> {\n  return threefry4x32(counter, key);\n}\n';
  return `${threefry}\n${philox.slice(0, start)}${call}${philox.slice(end)}`;
}

/** The GPU engine on the paper benchmark, with Philox and with Threefry in its place. */
async function kernelVariants(gpu: NodeGpu): Promise<Variant[]> {
  const policies = PAPER_POLICIES.map((p) => POLICY[p]);
  const specs = Array.from({ length: kernelFleets }, () => ({ agents: PAPER_AGENTS }));
  const batch = makeBatch(packFleets(specs), crossRuns(specs.length, policies, 1), {
    ...PAPER_CONFIG,
    arrivals: 'poisson',
    steps: 1000,
    seed: 1,
  });
  const agentSteps = kernelFleets * policies.length * PAPER_AGENTS.length * batch.config.steps;
  const swapped = { ...gpu.sources, philox: philoxAsThreefry(gpu.sources.philox, await generatorSource('threefry')) };
  const engines: [string, GpuEngine][] = [
    ['Philox (as shipped)', await GpuEngine.create(gpu.device, gpu.sources)],
    ["Threefry in Philox's place", await GpuEngine.create(gpu.device, swapped)],
  ];
  return engines.map(([name, engine]) => ({
    name,
    blocks: agentSteps, // per agent-step here
    run: async () => (await engine.run(batch)).servedSum[0]!,
  }));
}

console.log(`bench:rng ${new Date().toISOString()}, node ${process.version}, load average ${loadavg()[0]!.toFixed(2)}, ${repeats} rounds`);
const js = jsVariants();
for (const generator of ['philox', 'threefry'] as const) {
  // the fast paths against the definitions, on the counters the timed runs use
  const key = generator === 'philox' ? philoxKey(K0, K1) : threefryKey(K0, K1);
  const prefix = new Int32Array(PREFIX_WORDS);
  const got = new Uint32Array(4);
  for (const j of [0, 1, 0xffff]) {
    if (generator === 'philox') {
      philoxPrefix(key, STREAM, REPLICATE, STEP, prefix, 0);
      philoxBlock(key, prefix, 0, AGENT_WORD | j, got, 0);
    } else {
      threefryPrefix(key, STREAM, REPLICATE, STEP, prefix, 0);
      threefryBlock(key, prefix, 0, AGENT_WORD | j, got, 0);
    }
    const ctr = [STREAM, REPLICATE, STEP, AGENT_WORD | j];
    const want = generator === 'philox' ? philox4x32(ctr, K0, K1) : threefry4x32(ctr, K0, K1);
    for (let w = 0; w < 4; w++) expectEqual(`JS ${generator} fast path, word ${w}`, got[w]!, want[w]!);
  }
}
table(`JavaScript (V8), ns per block (${blocks} blocks per run)`, 'ns', js, await timeAlternately(js));

if (args.includes('--no-wasm')) console.log('\nWebAssembly: skipped (--no-wasm)');
else {
  const wasm = await wasmVariants();
  table(`WebAssembly (AssemblyScript -O3, V8), ns per block (${blocks} blocks per run)`, 'ns', wasm, await timeAlternately(wasm));
}

const gpu = args.includes('--no-gpu') ? null : await openNodeGpu();
if (args.includes('--no-gpu')) console.log('\nWGSL: skipped (--no-gpu)');
else if (!gpu) console.log('\nWGSL: skipped (no WebGPU adapter; install Mesa lavapipe, see README)');
else {
  const fold = await gpuVariants(gpu);
  const title = `WGSL on ${gpu.adapter.description}, M blocks per second (${invocations} invocations × ${foldBlocks} blocks per dispatch, readback included)`;
  table(title, 'M blocks/s', fold, await timeAlternately(fold));
  if (!args.includes('--kernel')) console.log("\nThe GPU engine with Threefry in Philox's place: not run (add --kernel)");
  else {
    const kernel = await kernelVariants(gpu);
    const title = `The GPU engine (narrow kernel), paper fleet × 3 policies, Poisson, 1,000 steps, ${kernelFleets} fleets`;
    table(title, 'M agent-steps/s', kernel, await timeAlternately(kernel));
  }
  gpu.close();
}
console.log(`\n(sum of the runs' folds: ${sink >>> 0})`);
