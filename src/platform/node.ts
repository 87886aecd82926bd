/**
 * The Node seam, the only module that knows about Dawn: `webgpu`'s create() and globals, and reading
 * the WGSL files from shaders/. Everything else in src/ takes a GPUDevice and ShaderSources, so the
 * same engine runs in a browser.
 *
 * @example
 *   const gpu = await openNodeGpu(); if (gpu) { const engine = await GpuEngine.create(gpu.device, gpu.sources); … gpu.close(); }
 */
import { closeSync, existsSync, fstatSync, openSync, readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { create, globals } from 'webgpu';
import { SHADER_FILES, type ShaderSources } from '../gpu/kernels.js';

Object.assign(globalThis, globals);

/** How long Dawn's event pump waits between polls while a GPU operation is pending (ms). */
export const DAWN_POLL_MS = 1;

/**
 * Paces Dawn's event pump. While a promise of Dawn's is pending (a pipeline compiling, a buffer mapping),
 * dawn.node polls its instance by rescheduling a native callback with the global `setImmediate` at
 * once, over and over (its AsyncRunner): hundreds of thousands of calls a second, which keep a whole
 * core busy and allocate a function per poll. On a software adapter that core is one the driver's
 * threads need: measured on lavapipe (2 cores), a Poisson paper sweep of 2.4×10^8 agent-steps spent
 * 7.7 s of CPU and 4.9 s of wall time with it, 5.1 s and 4.3 s with the polls 1 ms apart
 * (bench/NOTES.md). So a callback that is native code (Dawn's; a bound function reads the same and
 * merely waits as long) is run by a timer DAWN_POLL_MS later instead; every other callback gets
 * setImmediate unchanged. The results do not change, only when a finished operation is noticed: at
 * most about a millisecond later.
 * Installed once per process, by openNodeGpu.
 */
export function paceDawnEvents(): void {
  const immediate = globalThis.setImmediate;
  if ((immediate as { paced?: boolean }).paced === true) return;
  const native = (callback: unknown): boolean =>
    typeof callback === 'function' && Function.prototype.toString.call(callback).endsWith('{ [native code] }');
  const paced = ((callback: (...args: unknown[]) => void, ...args: unknown[]) =>
    native(callback) ? setTimeout(callback, DAWN_POLL_MS, ...args) : immediate(callback, ...args)) as typeof setImmediate;
  Object.assign(paced, immediate, { paced: true });
  globalThis.setImmediate = paced;
}

export interface AdapterDescription {
  vendor: string;
  architecture: string;
  device: string;
  description: string;
}

export interface NodeGpu {
  device: GPUDevice;
  adapter: AdapterDescription;
  sources: ShaderSources;
  /** The Dawn instance: Dawn lives only while this is referenced (node-webgpu README, "Lifetime"). */
  gpu: GPU;
  /** Destroys the device so that Node can exit. */
  close(): void;
}

/** The package root: found by walking up from this module (src/ under vitest, dist/src/ when built). */
export function packageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    if (existsSync(join(dir, 'shaders', 'common.wgsl')) && existsSync(join(dir, 'package.json'))) return dir;
    const parent = dirname(dir);
    if (parent === dir) throw new Error('fleetsim: cannot find the package root (shaders/ and package.json)');
    dir = parent;
  }
}

export function shaderDir(): string {
  return join(packageRoot(), 'shaders');
}

/** fleetsim's own version, from its package.json. */
export function packageVersion(): string {
  const pkg = JSON.parse(readFileSync(join(packageRoot(), 'package.json'), 'utf8')) as { version: string };
  return pkg.version;
}

export async function loadShaderSources(dir = shaderDir()): Promise<ShaderSources> {
  const texts = await Promise.all(SHADER_FILES.map((name) => readFile(join(dir, `${name}.wgsl`), 'utf8')));
  return Object.fromEntries(SHADER_FILES.map((name, i) => [name, texts[i]!])) as unknown as ShaderSources;
}

export function describeAdapter(info: GPUAdapterInfo): AdapterDescription {
  return {
    vendor: info.vendor,
    architecture: info.architecture,
    device: info.device,
    description: info.description || [info.vendor, info.architecture, info.device].filter(Boolean).join(' '),
  };
}

/**
 * Runs `work` with the process's file descriptor 2 pointed at /dev/null, then points it back at what
 * it was: Dawn's native code writes its log ("Warning: maxDynamicUniformBuffersPerPipelineLayout
 * artificially reduced …" on every Vulkan adapter, the Vulkan loader's complaints without a driver)
 * to fd 2 with fprintf, past Node's streams, and dawn.node offers no logging callback for an adapter.
 * Node has no dup(), so the original is kept by reopening /dev/fd/2 (a terminal, a pipe or a file,
 * appended to) and put back as the lowest free descriptor, 2. Where that cannot be done (stderr a
 * socket, as under child_process's default pipes; Windows; a closed stdin or stdout) `work` runs
 * with fd 2 untouched. Only for the moments of adapter discovery, before any worker thread starts.
 */
export async function withNativeStderrSilenced<T>(work: () => Promise<T>): Promise<T> {
  if (process.platform === 'win32') return work();
  let saved: number;
  try {
    fstatSync(0); // both open, so that the lowest free descriptor after closing 2 is 2
    fstatSync(1);
    saved = openSync('/dev/fd/2', 'a');
  } catch {
    return work(); // not reopenable (a socket), or a standard stream closed: the log stays visible
  }
  closeSync(2);
  let held = true; // fd 2 is ours (/dev/null, or closed) until the restore
  try {
    const nul = openSync('/dev/null', 'a');
    if (nul !== 2) {
      closeSync(nul);
      held = false; // another thread opened a file as 2 in between: not ours to close
    }
  } catch {
    // no /dev/null: fd 2 stays closed until the restore
  }
  let back = -1;
  let result: T;
  try {
    result = await work();
  } finally {
    if (held) {
      try {
        closeSync(2);
      } catch {
        // it was left closed (no /dev/null)
      }
    }
    back = openSync(`/dev/fd/${saved}`, 'a');
    closeSync(saved);
  }
  if (back !== 2) throw new Error(`fleetsim: could not restore stderr (reopened as fd ${back})`);
  return result;
}

export interface NodeGpuOptions {
  /** Let Dawn's own log (warnings on adapter discovery) through to stderr; default false (`--verbose`). */
  dawnLog?: boolean;
}

/**
 * Opens a WebGPU device through Dawn, or returns null when no adapter exists (no Vulkan/Metal/D3D
 * driver; on Linux without a GPU, a software Vulkan driver such as Mesa's lavapipe provides one).
 * Requests the adapter's own buffer-size limits so big batches need fewer chunks. Dawn's log of the
 * adapter discovery is kept off stderr unless `dawnLog` (withNativeStderrSilenced).
 */
export async function openNodeGpu(options: NodeGpuOptions = {}): Promise<NodeGpu | null> {
  process.env.XDG_RUNTIME_DIR ??= '/tmp';
  paceDawnEvents();
  const gpu = create([]);
  const request = (): Promise<GPUAdapter | null> => gpu.requestAdapter({ powerPreference: 'high-performance' });
  const adapter = await (options.dawnLog ? request() : withNativeStderrSilenced(request));
  if (!adapter) return null;
  const device = await adapter.requestDevice({
    label: 'fleetsim',
    requiredLimits: {
      maxStorageBufferBindingSize: adapter.limits.maxStorageBufferBindingSize,
      maxBufferSize: adapter.limits.maxBufferSize,
    },
  });
  return {
    device,
    gpu,
    adapter: describeAdapter(adapter.info),
    sources: await loadShaderSources(),
    close: () => device.destroy(),
  };
}
