/**
 * The adaptive allocator alone: one allocation over N agents, N from 4 to 1,000,000, on the CPU
 * (src/model/policies.ts: the two O(N) passes, then every share) and on the GPU
 * (shaders/allocateAlone.wgsl: parallel tree sums, then every share; timed from submit to the shares
 * read back on the host, which is what a serving system would wait for). The paper claims its
 * allocator runs in under 1 ms; this shows where each path stands. The GPU's shares are checked
 * against the CPU's (f32 against f64: 1e-4 relative) before timing.
 *
 * @example
 *   const rows = await benchAllocator(device, false); // [{ agents, cpuMicros, gpuMicros }]
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { allocate, type FleetView, fleetView, newAllocation, shareOf } from '../model/allocate.js';
import { POLICY } from '../model/policies.js';
import { packageRoot } from '../platform/node.js';

export interface AllocatorRow {
  agents: number;
  cpuMicros: number; // median µs per allocation (all shares computed)
  gpuMicros: number | null; // median µs from submit to shares on the host
  gpuMaxRelativeError: number | null; // GPU shares against the CPU's
}

const WG = 256;
const GROUPS = 64;

function fleetOf(n: number): FleetView {
  const R = new Float64Array(n);
  const P = new Float64Array(n);
  const lambda = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    // Deterministic, varied parameters: minimum shares summing to ~0.5, priorities 1–3.
    R[i] = Math.fround((0.5 / n) * (0.5 + ((i * 7919) % 1000) / 1000));
    P[i] = 1 + (i % 3);
    lambda[i] = Math.fround(1 + ((i * 104729) % 997));
  }
  const ones = new Float64Array(n).fill(1);
  const settings = { dt: 1, queueTau: 10, sliceOverhead: 0, maxMinFloor: false };
  return fleetView({ R, P, T: ones, cap: ones, weight: ones, slices: ones }, 0, n, 1, lambda, new Float64Array(n), settings);
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

function cpuAllocation(f: FleetView, shares: Float64Array): void {
  const a = allocate(POLICY.adaptive, f, 0, newAllocation());
  for (let i = 0; i < f.count; i++) shares[i] = shareOf(a, f, i);
}

function timeCpu(f: FleetView): { micros: number; shares: Float64Array } {
  const shares = new Float64Array(f.count);
  cpuAllocation(f, shares); // warm-up
  const samples: number[] = [];
  for (let k = 0; k < 7; k++) {
    let reps = 0;
    const t0 = performance.now();
    do {
      cpuAllocation(f, shares);
      reps++;
    } while (performance.now() - t0 < 5);
    samples.push(((performance.now() - t0) * 1000) / reps);
  }
  return { micros: median(samples), shares };
}

async function gpuAllocator(device: GPUDevice): Promise<(f: FleetView) => Promise<{ micros: number; shares: Float32Array }>> {
  const code = await readFile(join(packageRoot(), 'shaders', 'allocateAlone.wgsl'), 'utf8');
  const module = device.createShaderModule({ label: 'allocateAlone', code });
  const layout = device.createBindGroupLayout({
    entries: [
      { binding: 0, visibility: GPUShaderStage.COMPUTE, buffer: { type: 'uniform' } },
      { binding: 1, visibility: GPUShaderStage.COMPUTE, buffer: { type: 'read-only-storage' } },
      ...[2, 3, 4].map((binding) => ({ binding, visibility: GPUShaderStage.COMPUTE, buffer: { type: 'storage' as const } })),
    ],
  });
  const pipelineLayout = device.createPipelineLayout({ bindGroupLayouts: [layout] });
  const entries = ['demandPartials', 'demandTotal', 'raisedPartials', 'raisedTotal', 'writeShares'] as const;
  const pipelines = await Promise.all(
    entries.map((entryPoint) =>
      device.createComputePipelineAsync({ label: `allocateAlone.${entryPoint}`, layout: pipelineLayout, compute: { module, entryPoint } }),
    ),
  );
  return async (f) => {
    const n = f.count;
    const params = device.createBuffer({
      label: 'allocateAlone.params',
      size: 16,
      usage: GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST,
    });
    device.queue.writeBuffer(params, 0, new Uint32Array([n, 0, 0, 0]));
    device.queue.writeBuffer(params, 4, new Float32Array([f.capacity]));
    const agents = new Float32Array(n * 4);
    for (let i = 0; i < n; i++) agents.set([f.R[i]!, f.P[i]!, f.rate[i]!, 0], i * 4);
    const agentBuffer = device.createBuffer({
      label: 'allocateAlone.agents',
      size: agents.byteLength,
      usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST,
    });
    device.queue.writeBuffer(agentBuffer, 0, agents);
    const partials = device.createBuffer({ label: 'allocateAlone.partials', size: GROUPS * 4, usage: GPUBufferUsage.STORAGE });
    const scalars = device.createBuffer({ label: 'allocateAlone.scalars', size: 8, usage: GPUBufferUsage.STORAGE });
    const shares = device.createBuffer({
      label: 'allocateAlone.shares',
      size: n * 4,
      usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC,
    });
    const readback = device.createBuffer({
      label: 'allocateAlone.readback',
      size: n * 4,
      usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST,
    });
    const bindGroup = device.createBindGroup({
      layout,
      entries: [params, agentBuffer, partials, scalars, shares].map((buffer, binding) => ({ binding, resource: { buffer } })),
    });
    const groups = Math.ceil(n / WG);
    const width = Math.min(groups, 65535);
    const once = async (): Promise<Float32Array> => {
      const encoder = device.createCommandEncoder();
      const pass = encoder.beginComputePass();
      pass.setBindGroup(0, bindGroup);
      const sizes: [number, number][] = [
        [GROUPS, 1],
        [1, 1],
        [GROUPS, 1],
        [1, 1],
        [width, Math.ceil(groups / width)],
      ];
      pipelines.forEach((p, k) => {
        pass.setPipeline(p);
        pass.dispatchWorkgroups(sizes[k]![0], sizes[k]![1]);
      });
      pass.end();
      encoder.copyBufferToBuffer(shares, 0, readback, 0, n * 4);
      device.queue.submit([encoder.finish()]);
      await readback.mapAsync(GPUMapMode.READ);
      const out = new Float32Array(readback.getMappedRange().slice(0));
      readback.unmap();
      return out;
    };
    const first = await once();
    const samples: number[] = [];
    for (let k = 0; k < 7; k++) {
      const t0 = performance.now();
      await once();
      samples.push((performance.now() - t0) * 1000);
    }
    for (const b of [params, agentBuffer, partials, scalars, shares, readback]) b.destroy();
    return { micros: median(samples), shares: first };
  };
}

export async function benchAllocator(device: GPUDevice | null, quick: boolean): Promise<AllocatorRow[]> {
  const sizes = quick ? [4, 64, 4096, 65_536] : [4, 16, 64, 256, 1024, 4096, 16_384, 65_536, 262_144, 1_000_000];
  const gpu = device ? await gpuAllocator(device) : null;
  const rows: AllocatorRow[] = [];
  for (const n of sizes) {
    const f = fleetOf(n);
    const cpu = timeCpu(f);
    let gpuMicros: number | null = null;
    let error: number | null = null;
    if (gpu) {
      const g = await gpu(f);
      gpuMicros = g.micros;
      error = 0;
      for (let i = 0; i < n; i++) error = Math.max(error, Math.abs(g.shares[i]! - cpu.shares[i]!) / Math.max(cpu.shares[i]!, 1e-30));
      if (error > 1e-4) throw new Error(`allocateAlone: GPU shares differ from the CPU's by ${error} relative at N = ${n}`);
    }
    rows.push({ agents: n, cpuMicros: cpu.micros, gpuMicros, gpuMaxRelativeError: error });
  }
  return rows;
}
