/**
 * The GPU fixture of the tests: one Dawn device per test file. Without an adapter the GPU tests are
 * skipped with one line saying why; under CI=true a missing adapter fails the run instead, so CI always
 * proves GPU = CPU. Every GPU call of a test goes through the engine, which wraps each operation in
 * validation and out-of-memory error scopes (src/gpu/errors.ts) and throws on any GPU error; an
 * uncaptured error handler fails the test for anything that escapes them.
 */
import { GpuEngine, type GpuEngineOptions } from '../../src/gpu/engine.js';
import { openNodeGpu, type NodeGpu } from '../../src/platform/node.js';

export const gpu: NodeGpu | null = await openNodeGpu();

export const gpuSkipReason = gpu
  ? null
  : 'no WebGPU adapter (Dawn found no Vulkan driver; install Mesa lavapipe, see README): GPU tests skipped';

if (!gpu) {
  if (process.env.CI === 'true') throw new Error(`CI=true requires a WebGPU adapter: ${gpuSkipReason}`);
  console.warn(`fleetsim tests: ${gpuSkipReason}`);
}

const uncaptured: string[] = [];
gpu?.device.addEventListener('uncapturederror', (event) => {
  uncaptured.push(event.error.message);
});

/** Throws if any GPU error escaped the error scopes since the last call. */
export function assertNoUncapturedErrors(): void {
  if (uncaptured.length > 0) throw new Error(`uncaptured GPU errors: ${uncaptured.splice(0).join('; ')}`);
}

/** A GpuEngine on the shared device (throws if there is none: guard with describe.skipIf(!gpu)). */
export function engine(options: GpuEngineOptions = {}): Promise<GpuEngine> {
  if (!gpu) throw new Error(gpuSkipReason!);
  return GpuEngine.create(gpu.device, gpu.sources, options);
}
