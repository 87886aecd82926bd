/**
 * The two simulate kernels by fleet size: agent-steps per second of the narrow kernel (an invocation
 * per fleet run) and the wide one (a workgroup per fleet run, at several workgroup sizes), on batches
 * of equal fleets of N agents × 3 policies with Poisson arrivals. Each batch holds about the same
 * agent-runs (`agentRuns`, default 3 × 8,192), so the figures compare like with like; each figure is
 * the median of `repeats` timed runs after a warm-up run (which also compiles the pipeline). Two
 * figures per cell: per second of wall time, and per second of this process's CPU time (user + system,
 * all threads), which on a software driver such as lavapipe is the GPU's work and, unlike wall time,
 * barely moves when other processes share the cores.
 *
 *   npm run bench:wide -- [sizes=16,64,128,1024,4096] [agentRuns=24576] [steps=200] [repeats=3] [wideSizes=8,32,64,256]
 */
import { GpuEngine, type GpuEngineOptions } from '../src/gpu/engine.js';
import { type Batch, crossRuns, type FleetSpec, makeBatch, packFleets } from '../src/model/batch.js';
import { POLICY, PAPER_POLICIES } from '../src/model/policies.js';
import { openNodeGpu } from '../src/platform/node.js';

const list = (arg: string | undefined, fallback: string): number[] => (arg ?? fallback).split(',').map(Number);
const sizes = list(process.argv[2], '16,64,128,1024,4096');
const agentRuns = Number(process.argv[3] ?? 3 * 8192);
const steps = Number(process.argv[4] ?? 200);
const repeats = Number(process.argv[5] ?? 3);
const wideSizes = list(process.argv[6], '8,32,64,256');

/** N agents with varied T, R, P and a load of about 0.9 of the GPU (ΣR ≈ 1). */
function fleet(n: number): FleetSpec {
  const agents = Array.from({ length: n }, (_, i) => {
    const T = 20 + ((i * 37) % 181);
    return { T, R: (0.5 + ((i * 13) % 10) / 10) / n, P: 1 + (i % 3), lambda: (0.9 * T * (0.5 + ((i * 7) % 10) / 10)) / n };
  });
  return { agents };
}

function batchOf(n: number): Batch {
  const fleets = Math.max(1, Math.round(agentRuns / (3 * n)));
  const policies = PAPER_POLICIES.map((p) => POLICY[p]);
  return makeBatch(packFleets(Array.from({ length: fleets }, () => fleet(n))), crossRuns(fleets, policies, 1), {
    dt: 1,
    steps,
    lmax: 999,
    price: 0.72,
    arrivals: 'poisson',
    seed: 1,
  });
}

const middle = (xs: number[]): number => xs.sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

/** Median wall and CPU seconds of `repeats` runs after one warm-up run. */
async function median(engine: GpuEngine, batch: Batch): Promise<{ wall: number; cpu: number }> {
  await engine.run(batch);
  const wall: number[] = [];
  const cpu: number[] = [];
  for (let i = 0; i < repeats; i++) {
    const t0 = performance.now();
    const c0 = process.cpuUsage();
    await engine.run(batch);
    const c = process.cpuUsage(c0);
    wall.push((performance.now() - t0) / 1000);
    cpu.push((c.user + c.system) / 1e6);
  }
  return { wall: middle(wall), cpu: middle(cpu) };
}

const gpu = await openNodeGpu();
if (!gpu) {
  console.log('no WebGPU adapter: nothing to measure');
} else {
  console.log(
    `${gpu.adapter.description}; ${steps} steps, Poisson arrivals, 3 policies, ~${agentRuns} agent-runs per batch, median of ${repeats}`,
  );
  const variants: [string, GpuEngineOptions][] = [
    ['narrow', { wideAbove: Infinity }],
    ...wideSizes.map((w): [string, GpuEngineOptions] => [`wide ${w}`, { wideAbove: 0, wideWorkgroupSize: w }]),
  ];
  console.log(['agents', 'runs', ...variants.map(([name]) => name)].map((h) => h.padStart(14)).join(''));
  console.log(' '.repeat(28) + variants.map(() => 'wall / cpu'.padStart(14)).join(''), '  (M agent-steps per second)');
  const engines = await Promise.all(variants.map(([, options]) => GpuEngine.create(gpu.device, gpu.sources, options)));
  for (const n of sizes) {
    const batch = batchOf(n);
    const agentSteps = batch.runs.count * n * steps;
    const cells: string[] = [];
    for (const engine of engines) {
      const { wall, cpu } = await median(engine, batch);
      cells.push(`${(agentSteps / wall / 1e6).toFixed(2)} / ${(agentSteps / cpu / 1e6).toFixed(2)}`);
    }
    console.log([n, batch.runs.count, ...cells].map((c) => String(c).padStart(14)).join(''));
  }
  gpu.close();
}
