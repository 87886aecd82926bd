/**
 * The GPU engine alone on the paper benchmark, for kernel work: the paper's 4-agent fleet × 3 policies
 * with Poisson arrivals (or --arrivals=deterministic), 1,000 steps, `fleets` fleets (default 10,000), then the same agent-steps in
 * random 16- and 64-agent fleets. Each figure is the median of `repeats` timed runs after a warm-up,
 * per second of wall time and per second of this process's CPU time (user + system, all threads: on
 * lavapipe that is the GPU's work, and it moves far less than wall time when others share the cores).
 *
 * With --base=DIR a second engine is built from the WGSL files in DIR (say, a copy of shaders/ from an
 * earlier commit) and the two are timed alternately, run by run, so that drift on a shared machine hits
 * both alike; every batch's totals are compared bit for bit between the two first. The SHA-256 of the
 * totals printed per workload compares engines at different commits (run the command at each).
 *
 *   npm run bench:gpu -- [fleets=10000] [repeats=5] [--base=DIR] [--paper-only] [--signal=ema] [--arrivals=deterministic]
 *     [--workgroup=64] [--steps-per-dispatch=256]
 */
import { GpuEngine } from '../src/gpu/engine.js';
import { type ArrivalMode, type Batch, crossRuns, type FleetSpec, makeBatch, packFleets, type SignalMode } from '../src/model/batch.js';
import { type RunTotals, TOTAL_FIELDS } from '../src/model/metrics.js';
import { PAPER_AGENTS, PAPER_CONFIG } from '../src/model/paper.js';
import { POLICY, PAPER_POLICIES } from '../src/model/policies.js';
import { DEFAULT_RANDOM_FLEETS, randomFleets } from '../src/model/randomFleets.js';
import { loadShaderSources, openNodeGpu } from '../src/platform/node.js';
import { createHash } from 'node:crypto';
import { loadavg } from 'node:os';

const args = process.argv.slice(2);
const positional = args.filter((a) => !a.startsWith('--'));
const option = (name: string): string | undefined => args.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3);
const fleets = Number(positional[0] ?? 10_000);
const repeats = Number(positional[1] ?? 5);
const baseDir = option('base');
// Engine options for the timed engine(s), to compare settings: --workgroup=64 --steps-per-dispatch=256.
const engineOptions = {
  ...(option('workgroup') ? { workgroupSize: Number(option('workgroup')) } : {}),
  ...(option('steps-per-dispatch') ? { stepsPerDispatch: Number(option('steps-per-dispatch')) } : {}),
};
const signal = (option('signal') ?? 'nominal') as SignalMode;
const arrivals = (option('arrivals') ?? 'poisson') as ArrivalMode;
const steps = 1000;
const POLICIES = PAPER_POLICIES.map((p) => POLICY[p]);

function benchBatch(specs: readonly FleetSpec[]): Batch {
  return makeBatch(packFleets(specs), crossRuns(specs.length, POLICIES, 1), {
    ...PAPER_CONFIG,
    arrivals,
    steps,
    seed: 1,
    signal,
  });
}

const agentStepsOf = (batch: Batch): number => {
  let agents = 0;
  for (let r = 0; r < batch.runs.count; r++) agents += batch.fleets.agentCount[batch.runs.fleet[r]!]!;
  return agents * batch.config.steps;
};

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

function sameTotals(a: RunTotals, b: RunTotals): boolean {
  for (const key of TOTAL_FIELDS) {
    const x = a[key];
    const y = b[key];
    for (let i = 0; i < x.length; i++) if (!Object.is(x[i], y[i])) return false;
  }
  return true;
}

/** SHA-256 of every total, to compare engines built at different commits (prefix of 16 hex digits). */
function digest(t: RunTotals): string {
  const hash = createHash('sha256');
  for (const key of TOTAL_FIELDS) {
    hash.update(new Uint8Array(t[key].buffer, t[key].byteOffset, t[key].byteLength));
  }
  return hash.digest('hex').slice(0, 16);
}

const gpu = await openNodeGpu();
if (!gpu) throw new Error('bench:gpu: no WebGPU adapter');
console.log(
  `${new Date().toISOString()}, ${gpu.adapter.description}, load average ${loadavg()
    .map((x) => x.toFixed(1))
    .join(' ')}`,
);
const engines: [string, GpuEngine][] = [['now', await GpuEngine.create(gpu.device, gpu.sources, engineOptions)]];
if (baseDir) engines.unshift(['base', await GpuEngine.create(gpu.device, await loadShaderSources(baseDir), engineOptions)]);

const workloads: [string, Batch][] = [
  [`paper fleet × 3 policies, ${fleets} fleets`, benchBatch(Array.from({ length: fleets }, () => ({ agents: PAPER_AGENTS })))],
];
if (!args.includes('--paper-only')) {
  for (const n of [16, 64]) {
    const count = Math.max(1, Math.round((fleets * PAPER_AGENTS.length) / n));
    workloads.push([
      `random ${n}-agent fleets × 3 policies`,
      benchBatch(randomFleets(1, 0, count, { ...DEFAULT_RANDOM_FLEETS, agents: [n, n] })),
    ]);
  }
}

for (const [label, batch] of workloads) {
  const results = [];
  for (const [, engine] of engines) results.push(await engine.run(batch)); // warm-up
  const same = results.length < 2 || sameTotals(results[0]!, results[1]!);
  const wall = engines.map(() => [] as number[]);
  const cpu = engines.map(() => [] as number[]);
  for (let i = 0; i < repeats; i++) {
    for (let e = 0; e < engines.length; e++) {
      const c0 = process.cpuUsage();
      const t0 = performance.now();
      await engines[e]![1].run(batch);
      wall[e]!.push((performance.now() - t0) / 1000);
      const c = process.cpuUsage(c0);
      cpu[e]!.push((c.user + c.system) / 1e6);
    }
  }
  const agentSteps = agentStepsOf(batch);
  console.log(
    `${label}, ${steps} steps, signal ${signal}, ${arrivals} arrivals; totals sha256 ${digest(results.at(-1))}${engines.length > 1 ? `; totals ${same ? 'bit-identical' : 'DIFFER'}` : ''}`,
  );
  engines.forEach(([name], e) => {
    const rate = (s: number): string => (agentSteps / s / 1e6).toFixed(1).padStart(6);
    console.log(
      `  ${name.padEnd(5)} ${rate(median(wall[e]!))} M agent-steps/s wall, ${rate(median(cpu[e]!))} per CPU-second ` +
        `(CPU-s of the ${repeats} runs: ${cpu[e]!.map((s) => s.toFixed(2)).join(' ')})`,
    );
  });
}
gpu.close();
