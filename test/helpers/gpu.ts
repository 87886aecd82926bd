/**
 * The GPU fixture of the tests: one Dawn device per test file. Without an adapter the GPU tests are
 * skipped with one line saying why; under CI=true a missing adapter fails the run instead, so CI always
 * proves GPU = CPU. Every GPU call of a test goes through the engine, which wraps each operation in
 * validation and out-of-memory error scopes (src/gpu/errors.ts) and throws on any GPU error; an
 * uncaptured error handler fails the test for anything that escapes them.
 */
import { expect } from 'vitest';
import { runBatchCpu } from '../../src/cpu/engine.js';
import { GpuEngine, type GpuEngineOptions } from '../../src/gpu/engine.js';
import type { Batch } from '../../src/model/batch.js';
import { summarize } from '../../src/model/metrics.js';
import { compareRunMetrics } from './compare.js';
import { RUN_TOLERANCES } from './tolerances.js';
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

/** One engine per simulate kernel: the narrow one for fleets up to WIDE_ABOVE agents, and every fleet on the wide one. */
export async function bothKernels(options: GpuEngineOptions = {}): Promise<readonly (readonly ['narrow' | 'wide', GpuEngine])[]> {
  return [
    ['narrow', await engine(options)],
    ['wide', await engine({ ...options, wideAbove: 0 })],
  ];
}

/**
 * Runs `batch` on the CPU engine and on each kernel of `kernels`, and expects every run's metrics to
 * agree within RUN_TOLERANCES (arrival counts exactly when `exactArrivals`), runs where `skip` holds
 * left out; a mismatch names `label(kernel, r)`.
 */
export async function expectKernelsMatchCpu(
  batch: Batch,
  kernels: readonly (readonly ['narrow' | 'wide', GpuEngine])[],
  label: (kernel: string, r: number) => string,
  exactArrivals = true,
  skip: (r: number) => boolean = () => false,
): Promise<void> {
  const cpu = summarize(batch, runBatchCpu(batch));
  for (const [kernel, gpuEngine] of kernels) {
    const got = summarize(batch, await gpuEngine.run(batch));
    const { reports } = compareRunMetrics(got, cpu, RUN_TOLERANCES, exactArrivals, (r) => label(kernel, r), skip);
    expect(reports, reports.join('\n')).toEqual([]);
  }
  assertNoUncapturedErrors();
}
