/**
 * Engine throughput in agent-steps per second (one agent of one fleet advanced one step, allocation
 * included): the paper's 4-agent fleet with Poisson arrivals under the three policies, 1,000 steps, on
 * the GPU engine (whatever adapter Dawn finds), the single-thread CPU reference and the CPU worker
 * pool; the same fleets under one policy each (no runs sharing arrivals); then random 16- and 64-agent
 * fleets (the CLI's random-fleet family). Each figure is the median of several timed runs after a
 * warm-up, as wall-clock time and as the process's CPU time (on a shared machine the CPU-time figure
 * is the steadier one for a single thread; for the pool it sums every thread). The pool's scaling is
 * its wall-clock rate over the single thread's, measured alternately, printed beside what the machine
 * lets any program scale at that moment: a plain arithmetic loop on one worker thread against the same
 * loop on N at once (on a machine whose cores others are using, that is well below N). bench/NOTES.md
 * keeps the figures and what each optimisation did to them.
 *
 *   npm run bench -- [fleets, default 3000] [repeats, default 5] [--no-gpu] [--threads=N, default all cores]
 *   npm run bench -- [fleets] --scaling=ROUNDS [--threads=N]
 *
 * --scaling measures only the pool's scaling on the paper fleets, for machines whose cores are free
 * only now and then: ROUNDS rounds of (plain loop: 1 thread, N threads; one batch on 1 thread, one on
 * the pool; the plain loop again), each round printed, then the median scaling of the rounds in which
 * both plain-loop measurements scaled at least 0.95·N (the cores were free throughout).
 */
import { availableParallelism, cpus, loadavg } from 'node:os';
import { Worker } from 'node:worker_threads';
import { runBatchCpu } from '../src/cpu/engine.js';
import { CpuWorkerPool } from '../src/cpu/workers.js';
import { GpuEngine } from '../src/gpu/engine.js';
import { type Batch, crossRuns, type FleetSpec, makeBatch, packFleets } from '../src/model/batch.js';
import { PAPER_AGENTS, PAPER_CONFIG } from '../src/model/paper.js';
import { PAPER_POLICIES, POLICY } from '../src/model/policies.js';
import { DEFAULT_RANDOM_FLEETS, randomFleets } from '../src/model/randomFleets.js';
import { openNodeGpu } from '../src/platform/node.js';

const args = process.argv.slice(2);
const positional = args.filter((a) => !a.startsWith('--'));
const fleets = Number(positional[0] ?? 3000);
const repeats = Number(positional[1] ?? 5);
const withGpu = !args.includes('--no-gpu');
const scalingArg = args.find((a) => a.startsWith('--scaling='));
const threadsArg = args.find((a) => a.startsWith('--threads='));
const threads = threadsArg ? Number(threadsArg.slice('--threads='.length)) : availableParallelism();
const steps = 1000;
const POLICIES = PAPER_POLICIES.map((p) => POLICY[p]);

/** `specs` under the three policies with Poisson arrivals, `steps` steps. */
function benchBatch(specs: readonly FleetSpec[]): Batch {
  return makeBatch(packFleets(specs), crossRuns(specs.length, POLICIES, 1), { ...PAPER_CONFIG, arrivals: 'poisson', steps, seed: 1 });
}

const agentStepsOf = (batch: Batch): number => {
  let agents = 0;
  for (let r = 0; r < batch.runs.count; r++) agents += batch.fleets.agentCount[batch.runs.fleet[r]!]!;
  return agents * batch.config.steps;
};

const cpuSeconds = (): number => {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1e6;
};

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

/** Times `run` (median of `repeats` after a warm-up), prints the rates, returns the median wall-clock seconds. */
async function time(label: string, batch: Batch, run: () => Promise<unknown>): Promise<number> {
  await run(); // warm-up
  const wall: number[] = [];
  const cpu: number[] = [];
  for (let i = 0; i < repeats; i++) {
    const c0 = cpuSeconds();
    const t0 = performance.now();
    await run();
    wall.push((performance.now() - t0) / 1000);
    cpu.push(cpuSeconds() - c0);
  }
  const agentSteps = agentStepsOf(batch);
  const rate = (s: number): string => (agentSteps / s / 1e6).toFixed(1).padStart(6);
  console.log(
    `${label.padEnd(44)} ${rate(median(wall))} M agent-steps/s wall, ${rate(median(cpu))} M per CPU-second  ` +
      `(median of ${repeats}: ${median(wall).toFixed(3)} s; wall min ${Math.min(...wall).toFixed(3)}, max ${Math.max(...wall).toFixed(3)})`,
  );
  return median(wall);
}

/** Wall-clock seconds for `threads` worker threads each running the same ~0.3 s arithmetic loop at once. */
async function burn(threads: number): Promise<number> {
  const code = `const { parentPort } = require('node:worker_threads'); let x = 0; for (let i = 0; i < 1e8; i++) x = (x + i * 7) % 1000003; parentPort.postMessage(x);`;
  const t0 = performance.now();
  await Promise.all(
    Array.from(
      { length: threads },
      () =>
        new Promise<void>((resolve, reject) => {
          const worker = new Worker(code, { eval: true });
          worker.once('message', () => void worker.terminate().then(() => resolve()));
          worker.once('error', reject);
        }),
    ),
  );
  return (performance.now() - t0) / 1000;
}

/** The machine's scaling now: N threads of a plain loop against one, medians of `repeats` alternate runs. */
async function machineScaling(threads: number): Promise<number> {
  const one: number[] = [];
  const many: number[] = [];
  for (let i = 0; i < repeats; i++) {
    one.push(await burn(1));
    many.push(await burn(threads));
  }
  return (threads * median(one)) / median(many);
}

/** --scaling: the pool against one thread in rounds bracketed by the plain-loop calibration. */
async function scalingRounds(rounds: number): Promise<void> {
  const pool = new CpuWorkerPool(threads);
  await pool.run(paper); // starts the workers
  runBatchCpu(paper);
  const free: number[] = [];
  for (let k = 0; k < rounds; k++) {
    const before = (threads * (await burn(1))) / (await burn(threads));
    let t0 = performance.now();
    runBatchCpu(paper);
    const one = performance.now() - t0;
    t0 = performance.now();
    await pool.run(paper);
    const many = performance.now() - t0;
    const after = (threads * (await burn(1))) / (await burn(threads));
    const ok = Math.min(before, after) >= 0.95 * threads;
    if (ok) free.push(one / many);
    console.log(
      `round ${k + 1}: plain loop ${before.toFixed(2)}× / ${after.toFixed(2)}×; 1 thread ${(agentStepsOf(paper) / one / 1e3).toFixed(1)} M/s, ` +
        `pool ${(agentStepsOf(paper) / many / 1e3).toFixed(1)} M/s: ${(one / many).toFixed(2)}×${ok ? '' : ' (cores busy, not counted)'}`,
    );
  }
  await pool.close();
  console.log(
    free.length > 0
      ? `pool scaling, median of ${free.length} rounds on free cores: ${median(free).toFixed(2)}×`
      : 'no round found the cores free',
  );
}

console.log(
  `${new Date().toISOString().slice(0, 10)}, node ${process.version}, ${cpus().length} × ${cpus()[0]?.model ?? 'unknown CPU'}, ` +
    `load average ${loadavg()
      .map((x) => x.toFixed(1))
      .join(' ')}; pool of ${threads} threads`,
);
const paper = benchBatch(Array.from({ length: fleets }, () => ({ agents: PAPER_AGENTS })));
console.log(`paper fleet × 3 policies, Poisson arrivals, ${steps} steps, ${fleets} fleets (${paper.runs.count} runs)`);
if (scalingArg) {
  await scalingRounds(Number(scalingArg.slice('--scaling='.length)));
  process.exit(0);
}
const gpu = withGpu ? await openNodeGpu() : null;
if (gpu) {
  const engine = await GpuEngine.create(gpu.device, gpu.sources);
  await time(`gpu (${gpu.adapter.description.slice(0, 36)})`, paper, () => engine.run(paper));
} else {
  console.log(withGpu ? 'gpu: no WebGPU adapter, skipped' : 'gpu: skipped (--no-gpu)');
}
const pool = new CpuWorkerPool(threads);
const single = await time('cpu reference, 1 thread', paper, () => Promise.resolve(runBatchCpu(paper)));
const shared = await time(`cpu worker pool, ${threads} threads`, paper, () => pool.run(paper));
const single2 = await time('cpu reference, 1 thread (again)', paper, () => Promise.resolve(runBatchCpu(paper)));
const available = await machineScaling(threads);
console.log(
  `worker pool scaling: ${(Math.min(single, single2) / shared).toFixed(2)}× over the faster single-thread median ` +
    `(${(Math.max(single, single2) / shared).toFixed(2)}× over the slower); a plain loop on ${threads} threads scales ${available.toFixed(2)}× here now`,
);
gpu?.close();

// One policy per fleet: no two runs share arrivals, so every run draws its own (the engine's worst case).
const alone = makeBatch(paper.fleets, crossRuns(fleets, [POLICY.adaptive], 1), paper.config);
await time('cpu reference, 1 thread, adaptive only', alone, () => Promise.resolve(runBatchCpu(alone)));

// The same number of agent-steps in random fleets of 16 and of 64 agents (loads 0.3–1.5, the CLI's family).
for (const n of [16, 64]) {
  const batch = benchBatch(
    randomFleets(1, 0, Math.max(1, Math.round((fleets * PAPER_AGENTS.length) / n)), { ...DEFAULT_RANDOM_FLEETS, agents: [n, n] }),
  );
  await time(`cpu reference, 1 thread, random ${n}-agent fleets`, batch, () => Promise.resolve(runBatchCpu(batch)));
  await time(`cpu worker pool, random ${n}-agent fleets`, batch, () => pool.run(batch));
}
await pool.close();
