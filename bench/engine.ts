/**
 * A first GPU-against-CPU measurement: the paper's 4-agent fleet with Poisson arrivals under the three
 * policies, 1,000 steps, on the GPU engine (whatever adapter Dawn finds) and the single-thread CPU
 * reference. Prints agent-steps per second (one agent of one fleet advanced one step, allocation
 * included) as the median of several timed runs after a warm-up. The full suite is issue #4.
 *
 *   npm run bench -- [fleets] [repeats]
 */
import { runBatchCpu } from '../src/cpu/engine.js';
import { GpuEngine } from '../src/gpu/engine.js';
import { type Batch, crossRuns, makeBatch, packFleets } from '../src/model/batch.js';
import { PAPER_AGENTS, PAPER_CONFIG } from '../src/model/paper.js';
import { POLICY_NAMES, POLICY } from '../src/model/policies.js';
import { openNodeGpu } from '../src/platform/node.js';

const fleets = Number(process.argv[2] ?? 3000);
const repeats = Number(process.argv[3] ?? 3);
const steps = 1000;

const batch: Batch = makeBatch(
  packFleets(Array.from({ length: fleets }, () => ({ agents: PAPER_AGENTS }))),
  crossRuns(fleets, POLICY_NAMES.map((p) => POLICY[p]), 1),
  { ...PAPER_CONFIG, arrivals: 'poisson', steps, seed: 1 },
);
const agentSteps = batch.runs.count * PAPER_AGENTS.length * steps;

async function time(label: string, run: () => Promise<unknown>): Promise<void> {
  await run(); // warm-up
  const seconds: number[] = [];
  for (let i = 0; i < repeats; i++) {
    const t0 = performance.now();
    await run();
    seconds.push((performance.now() - t0) / 1000);
  }
  seconds.sort((a, b) => a - b);
  const median = seconds[Math.floor(seconds.length / 2)]!;
  console.log(
    `${label.padEnd(44)} ${(agentSteps / median / 1e6).toFixed(1).padStart(8)} M agent-steps/s  ` +
      `${(batch.runs.count / median).toFixed(0).padStart(8)} fleet runs/s  (median of ${repeats}: ${median.toFixed(3)} s; min ${seconds[0]!.toFixed(3)}, max ${seconds.at(-1)!.toFixed(3)})`,
  );
}

console.log(`paper fleet × 3 policies, Poisson arrivals, ${steps} steps, ${fleets} fleets (${batch.runs.count} runs)`);
const gpu = await openNodeGpu();
if (gpu) {
  const engine = await GpuEngine.create(gpu.device, gpu.sources);
  await time(`gpu (${gpu.adapter.description.slice(0, 36)})`, () => engine.run(batch));
} else {
  console.log('gpu: no WebGPU adapter, skipped');
}
await time('cpu reference, 1 thread', () => Promise.resolve(runBatchCpu(batch)));
gpu?.close();
