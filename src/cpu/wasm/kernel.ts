/**
 * The CPU engine's WebAssembly kernel, loaded: the AssemblyScript source is src/cpu/wasm/assembly/kernel.ts,
 * built by `npm run build:wasm` (part of `npm run build`) into dist/src/cpu/wasm/kernel.wasm. It is the
 * exact twin of the JavaScript hot loop (Philox blocks, the Poisson draw by table, the serve loop), and
 * the JavaScript loop stays the fallback: src/cpu/engine.ts uses a kernel when acquireKernel gives one.
 *
 * Which runs is set by the environment variable FLEETSIM_CPU_KERNEL: `auto` (the default: WebAssembly
 * when the module loads, else JavaScript), `wasm` (WebAssembly or an error saying why not) or `js`
 * (JavaScript only: the A/B benchmarks and the tests of both paths). Worker threads inherit it.
 *
 * Loading is synchronous (the module is ~2 KB) and browser-safe: the file is read through Node's own
 * `process.getBuiltinModule('node:fs')`, so nothing here imports a Node module; in a browser (no
 * `process`) `auto` runs the JavaScript loop. The file is looked for next to this module (dist/, the
 * CLI and the worker threads) and in dist/ from the source tree (vitest imports src/ directly).
 *
 * @example
 *   const kernel = acquireKernel(0); // null: run the JavaScript loop
 *   if (kernel) { kernel.exports.philoxBlock(kernel.key, kernel.prefix, word3, kernel.block); releaseKernel(kernel); }
 */

import { ConfigError } from '../../model/errors.js';
import { MAX_ARRIVAL_CHUNK_STEPS } from '../../random/arrivals.js';
import { KEY_WORDS, PREFIX_WORDS } from '../../random/philox.js';

/** The environment variable that picks the CPU engine's kernel. */
export const CPU_KERNEL_ENV = 'FLEETSIM_CPU_KERNEL';
export const CPU_KERNELS = ['auto', 'wasm', 'js'] as const;
export type CpuKernelChoice = (typeof CPU_KERNELS)[number];

/** The kernel's exports (addresses are byte offsets into `memory`). */
export interface KernelExports {
  memory: WebAssembly.Memory;
  heapBase(): number;
  philoxPrefix(key: number, stream: number, replicate: number, step: number, out: number): void;
  philoxPrefixes(key: number, stream: number, replicate: number, t0: number, t1: number, out: number): void;
  philoxBlock(key: number, prefix: number, word3: number, out: number): void;
  philoxBlocks(key: number, prefix: number, count: number, word3: number, out: number): void;
  tableDraw(table: number, mu: number, x: number, x1: number): number;
  arriveTable(
    key: number,
    prefix: number,
    count: number,
    word3: number,
    table: number,
    mu: number,
    arrivals: number,
    work: number,
    block: number,
  ): void;
  serve(
    arrivals: number,
    work: number,
    shares: number,
    io: number,
    busy: number,
    row: number,
    t0: number,
    from: number,
    to: number,
    stride: number,
    i: number,
    T: number,
    dt: number,
    lmax: number,
    warmup: number,
    late: number,
    signal: number,
    alpha: number,
    slack: number,
    minShare: number,
    busyMode: number,
    violationMode: number,
  ): void;
}

/** f64 per chunk buffer (arrivals, work, shares): the engine's CHUNK_AGENT_STEPS. */
export const KERNEL_CHUNK_VALUES = 8192;
/** Steps per chunk at most (prefixes and blocks). */
const KERNEL_CHUNK_STEPS = MAX_ARRIVAL_CHUNK_STEPS;
/**
 * The serve state at `io`: queue, rate, then the nine sums (latency, served, queue, queueLate, share,
 * arrived, system, violation, and the run's busySum, kept by its agent 0).
 */
export const IO_VALUES = 11;
/** serve's `busyMode` bits: agent 0 starts the chunk's busy flags, agent N − 1 counts them (both for N = 1). */
export const BUSY_FIRST = 1;
export const BUSY_LAST = 2;
/** serve's `signal`: how λ̂ is updated after each step (nominal: not at all). */
export const SERVE_SIGNAL = { nominal: 0, observed: 1, ema: 2 } as const;
/**
 * serve's `violationMode`: how violationSum is counted (Simulator.violationMode picks the cheapest
 * exact one): `each` step by step as defined, `below` the steps whose share is below the minimum (λ̂
 * fixed and positive), `none` not at all (the share is fixed and not below, or the caller counted).
 */
export const VIOLATION = { none: 0, below: 1, each: 2 } as const;
/** u32 words of busy flags, one bit per step of a chunk. */
export const BUSY_WORDS = Math.ceil(KERNEL_CHUNK_STEPS / 32);

/** Where the compiled module is looked for, relative to this file: beside it in dist/, and dist/ from src/. */
const CANDIDATES = ['./kernel.wasm', '../../../dist/src/cpu/wasm/kernel.wasm'];

/** The compiled module, or why there is none; undefined until first asked. */
let compiled: { module: WebAssembly.Module } | { error: string } | undefined;

/** The choice FLEETSIM_CPU_KERNEL makes (`auto` when unset); an unknown value is a ConfigError naming the variable (the CLI: one line, exit 2). */
export function cpuKernelChoice(): CpuKernelChoice {
  const env = (globalThis as { process?: { env?: Record<string, string | undefined> } }).process?.env;
  const value = env?.[CPU_KERNEL_ENV] ?? '';
  if (value === '') return 'auto';
  if ((CPU_KERNELS as readonly string[]).includes(value)) return value as CpuKernelChoice;
  throw new ConfigError(CPU_KERNEL_ENV, `must be one of ${CPU_KERNELS.join(', ')}; got "${value}"`);
}

function compile(): { module: WebAssembly.Module } | { error: string } {
  const proc = (globalThis as { process?: { getBuiltinModule?: (id: string) => unknown } }).process;
  const fs = proc?.getBuiltinModule?.('node:fs') as
    { readFileSync(path: URL): Uint8Array<ArrayBuffer>; existsSync(path: URL): boolean } | undefined;
  if (typeof WebAssembly === 'undefined') return { error: 'this runtime has no WebAssembly' };
  if (!fs) return { error: 'the kernel is read from a file, and this runtime has no node:fs (a browser, or Node before 20.16)' };
  for (const candidate of CANDIDATES) {
    const url = new URL(candidate, import.meta.url);
    if (!fs.existsSync(url)) continue;
    try {
      return { module: new WebAssembly.Module(fs.readFileSync(url)) };
    } catch (error) {
      return { error: `${url.pathname} does not compile: ${error instanceof Error ? error.message : String(error)}` };
    }
  }
  return { error: `no ${CANDIDATES[1]!.split('/').slice(3).join('/')} (run npm run build)` };
}

/** Whether the WebAssembly kernel can be used here, and if not, why. */
export function kernelStatus(): { available: true } | { available: false; reason: string } {
  compiled ??= compile();
  return 'module' in compiled ? { available: true } : { available: false, reason: compiled.error };
}

const PAGE = 65536;

/**
 * One instance of the kernel with its buffers laid out in linear memory (byte addresses, and views of
 * the f64 buffers the engine fills and reads in place). The layout is fixed between layout() calls:
 * growing the memory detaches the views, so it grows only there.
 */
export class WasmKernel {
  readonly exports: KernelExports;
  /** The expanded Philox key (KEY_WORDS u32), the chunk's prefixes (PREFIX_WORDS u32 per step), scratch for blocks (8 u32). */
  readonly key: number;
  readonly prefix: number;
  readonly block: number;
  /** The serve state (IO_VALUES f64). */
  readonly io: number;
  /** The run's busy flags for the chunk's steps, one bit each (BUSY_WORDS u32). */
  readonly busy: number;
  /** The chunk's arrivals, work and one run's shares (KERNEL_CHUNK_VALUES f64 each). */
  readonly arrivals: number;
  readonly work: number;
  readonly shares: number;
  /** The batch's Poisson tables (u32), from here to the end of memory. */
  readonly tables: number;
  ioView!: Float64Array;
  busyView!: Uint32Array;
  arrivalsView!: Float64Array;
  workView!: Float64Array;
  sharesView!: Float64Array;
  u32!: Uint32Array;

  constructor(module: WebAssembly.Module) {
    this.exports = new WebAssembly.Instance(module, {}).exports as unknown as KernelExports;
    let at = (this.exports.heapBase() + 15) & ~15;
    const take = (bytes: number): number => {
      const start = at;
      at = (at + bytes + 15) & ~15;
      return start;
    };
    this.key = take(KEY_WORDS * 4);
    this.prefix = take(KERNEL_CHUNK_STEPS * PREFIX_WORDS * 4);
    this.block = take(32);
    this.io = take(IO_VALUES * 8);
    this.busy = take(BUSY_WORDS * 4);
    this.arrivals = take(KERNEL_CHUNK_VALUES * 8);
    this.work = take(KERNEL_CHUNK_VALUES * 8);
    this.shares = take(KERNEL_CHUNK_VALUES * 8);
    this.tables = at;
    this.layout(0);
  }

  /**
   * Makes room for `tableWords` u32 of tables, growing the memory if needed; returns whether it grew
   * (the views are then new: the old ones are detached).
   */
  layout(tableWords: number): boolean {
    const memory = this.exports.memory;
    const need = this.tables + 4 * tableWords;
    if (need <= memory.buffer.byteLength && this.ioView !== undefined && this.ioView.buffer === memory.buffer) return false;
    if (need > memory.buffer.byteLength) memory.grow(Math.ceil((need - memory.buffer.byteLength) / PAGE));
    const buffer = memory.buffer;
    this.ioView = new Float64Array(buffer, this.io, IO_VALUES);
    this.busyView = new Uint32Array(buffer, this.busy, BUSY_WORDS);
    this.arrivalsView = new Float64Array(buffer, this.arrivals, KERNEL_CHUNK_VALUES);
    this.workView = new Float64Array(buffer, this.work, KERNEL_CHUNK_VALUES);
    this.sharesView = new Float64Array(buffer, this.shares, KERNEL_CHUNK_VALUES);
    this.u32 = new Uint32Array(buffer);
    return true;
  }
}

/** Kernels not in use (one per thread is enough: a Simulator holds one for a whole call). */
const idle: WasmKernel[] = [];

/**
 * A kernel for one engine call with room for `tableWords` u32 of Poisson tables, or null when the
 * JavaScript loop runs (FLEETSIM_CPU_KERNEL=js, or `auto` where the module cannot load). Give it back
 * with releaseKernel.
 */
export function acquireKernel(tableWords: number): WasmKernel | null {
  if (cpuKernel() === 'js') return null;
  const kernel = idle.pop() ?? new WasmKernel((compiled as { module: WebAssembly.Module }).module);
  kernel.layout(tableWords);
  return kernel;
}

export function releaseKernel(kernel: WasmKernel): void {
  idle.push(kernel);
}

/** Which kernel an engine call runs now: 'wasm' or 'js' (FLEETSIM_CPU_KERNEL=wasm where it cannot load: an error saying why). */
export function cpuKernel(): 'wasm' | 'js' {
  const choice = cpuKernelChoice();
  if (choice === 'js') return 'js';
  const status = kernelStatus();
  if (status.available) return 'wasm';
  if (choice === 'wasm')
    throw new ConfigError(CPU_KERNEL_ENV, `wasm, but the WebAssembly kernel cannot load: ${status.reason}; use auto or js`);
  return 'js';
}
