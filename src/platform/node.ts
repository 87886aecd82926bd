/**
 * The Node seam, the only module that knows about Dawn: `webgpu`'s create() and globals, and reading
 * the WGSL files from shaders/. Everything else in src/ takes a GPUDevice and ShaderSources, so the
 * same engine runs in a browser.
 *
 * @example
 *   const gpu = await openNodeGpu(); if (gpu) { const engine = await GpuEngine.create(gpu.device, gpu.sources); … gpu.close(); }
 */
import { existsSync, readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { create, globals } from 'webgpu';
import { SHADER_FILES, type ShaderSources } from '../gpu/kernels.js';

Object.assign(globalThis, globals);

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
 * Opens a WebGPU device through Dawn, or returns null when no adapter exists (no Vulkan/Metal/D3D
 * driver; on Linux without a GPU, a software Vulkan driver such as Mesa's lavapipe provides one).
 * Requests the adapter's own buffer-size limits so big batches need fewer chunks.
 */
export async function openNodeGpu(): Promise<NodeGpu | null> {
  process.env.XDG_RUNTIME_DIR ??= '/tmp';
  const gpu = create([]);
  const adapter = await gpu.requestAdapter({ powerPreference: 'high-performance' });
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
