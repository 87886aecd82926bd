/**
 * The GPU-against-CPU benchmark suite, run by `npm run bench` (bench/suite.ts) and `fleetsim bench`. Unit: agent-steps per second
 * (one agent of one fleet advanced one step, allocation included) and fleet runs per second.
 *
 * - Workloads: the paper's 4-agent fleet with Poisson arrivals under each policy, 1,000 steps; random
 *   fleets of exactly 16 and 64 agents (all three policies); fleet counts from 100 upward by ×10 until
 *   a backend's run takes longer than the time budget. The arrival workloads (MODEL-PART4 §4.1–4.2:
 *   paper fleet under static with gamma cv 2 and 4, weibull cv 2, MMPP, Azure-trace replay and
 *   trace-modulated Poisson, same mean load) grow only while the next size's run (10× this one) fits
 *   the budget, and each is costed per agent-step against paper-static (Poisson) at the same fleet
 *   count: `arrivalCost` in the file.
 * - Backends, interleaved run by run so that machine drift hits all alike: the GPU engine (whatever
 *   adapter Dawn finds), the CPU reference on one thread, the CPU reference on all cores (when the
 *   worker pool is available), the NumPy peer (bench/peers/numpy_peer.py, the paper-<policy>
 *   workloads), and the Numba peer (bench/peers/numba_peer.py, src/bench/numbaPeer.ts: the three-policy
 *   workloads, on one thread and on all cores, as `numba-1` and `numba-<cores>`; skipped with how to add
 *   it when absent), each peer checked to give the same statistics before it is timed. The peers' own
 *   timers cover their loops (Python's start-up and Numba's cached compile excluded); Numba's compile on
 *   an empty cache is reported apart (`peerCompileSeconds`). `npm run bench:peers` times them as whole
 *   processes against `fleetsim sweep`.
 * - Each figure: a warm-up run, then `repeats` timed runs: median, min, max. Cold start (adapter,
 *   device, pipelines, first result) is reported separately. Peak host memory (process RSS) and the GPU
 *   buffers a run allocates.
 * - Scaling: time against fleets, steps and agents with the fitted log-log exponent.
 * - Results: a table on the terminal and bench/results/<date>-<host>.json with the raw samples.
 *
 *   npm run bench -- [--budget SECONDS] [--repeats N] [--quick] [--out DIR] [--workloads A,B]     (or: fleetsim bench …)
 *
 * @example
 *   const file = await runBenchSuite({ budget: 20, repeats: 3, quick: true }); // prints as it goes; returns the file written
 */
import { spawnSync } from 'node:child_process';
import { median as medianOf } from 'simple-statistics';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { availableParallelism, cpus, hostname, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { runBatchCpu } from '../cpu/engine.js';
import { GpuEngine } from '../gpu/engine.js';
import { AGENT_PARAMS, AGENT_STATE, FLOW_STATE, RUN } from '../gpu/layout.js';
import type { Batch, FleetSpec } from '../model/batch.js';
import { summarize } from '../model/metrics.js';
import { PAPER_POLICIES, type PolicyName } from '../model/policies.js';
import { cpuEngine } from '../platform/nodeEngine.js';
import { openNodeGpu, packageRoot, packageVersion } from '../platform/node.js';
import type { ArrivalCost, BenchFile } from '../results/benchFile.js';
import { TraceLibrary } from '../traces/library.js';
import { loadTrace } from '../traces/load.js';
import { benchAllocator } from './allocator.js';
import { batchStats, comparePeerStats, numbaUnavailable, runNumbaPeer, writePeerFleets } from './numbaPeer.js';
import { agentStepsOf, BENCH_TRACE, makeWorkloadBatch, randomOf, type Workload, WORKLOADS } from './workloads.js';

export interface BenchSuiteOptions {
  /** Seconds: a backend stops growing a workload once one run takes longer (default 20). */
  budget?: number;
  /** Timed runs per figure, after a warm-up (default 3). */
  repeats?: number;
  /** Small sizes and 200 steps: a smoke test of the suite. */
  quick?: boolean;
  /** Directory of the results file (default bench/results). */
  out?: string | undefined;
  /** Only these workloads (names; a trailing * matches a prefix), and no scaling or allocator runs. */
  workloads?: readonly string[] | undefined;
}

/** The options' defaults, for the scripts' and the CLI's help. */
export const BENCH_DEFAULTS = { budget: 20, repeats: 3 } as const;
const PYTHON = process.env.FLEETSIM_PYTHON ?? (existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3');

interface Backend {
  name: string;
  run(batch: Batch): Promise<unknown>;
  bytes?(batch: Batch): number;
}

interface Measurement {
  workload: string;
  arrivals?: string;
  backend: string;
  fleets: number;
  steps: number;
  agentSteps: number;
  fleetRuns: number;
  seconds: number[]; // the timed runs
  median: number;
  agentStepsPerSecond: number; // at the median
  fleetRunsPerSecond: number;
  peakRssMiB: number;
  deviceBufferMiB?: number;
}

// ---- backends ----------------------------------------------------------------------------------------

const STATE_BYTES = Math.max(AGENT_STATE.bytes, FLOW_STATE.bytes); // the larger of a chunk's two AgentStates
const PARAMS_BYTES = AGENT_PARAMS.bytes;
const RUN_BYTES = RUN.bytes;

async function coldStartGpu(): Promise<{
  gpu: Awaited<ReturnType<typeof openNodeGpu>>;
  engine: GpuEngine | null;
  phases: Record<string, number>;
}> {
  const t0 = performance.now();
  const gpu = await openNodeGpu();
  const t1 = performance.now();
  if (!gpu) return { gpu, engine: null, phases: { adapterAndDevice: (t1 - t0) / 1000 } };
  const engine = await GpuEngine.create(gpu.device, gpu.sources);
  const t2 = performance.now();
  const small = makeWorkloadBatch(WORKLOADS[2]!, 100, 100);
  summarize(small, await engine.run(small));
  const t3 = performance.now();
  return {
    gpu,
    engine,
    phases: { adapterAndDevice: (t1 - t0) / 1000, pipelines: (t2 - t1) / 1000, firstResult: (t3 - t2) / 1000, total: (t3 - t0) / 1000 },
  };
}

/** The NumPy peer as a backend: one subprocess per run; its own timer excludes Python's start-up. */
function numpyRun(
  policy: PolicyName,
  fleets: number,
  steps: number,
): { seconds: number; stats: Record<string, { mean: number; sem: number }> } | null {
  const child = spawnSync(PYTHON, [join(packageRoot(), 'bench', 'peers', 'numpy_peer.py'), String(fleets), String(steps), policy], {
    encoding: 'utf8',
    maxBuffer: 1 << 24,
  });
  if (child.status !== 0) return null;
  return JSON.parse(child.stdout) as { seconds: number; stats: Record<string, { mean: number; sem: number }> };
}

/**
 * The peer's statistics against fleetsim's on the same workload (different random streams, so the
 * comparison is statistical): |mean difference| ≤ 4 combined standard errors for each metric.
 */
function checkPeer(policy: PolicyName, fleets: number, steps: number): string {
  const peer = numpyRun(policy, fleets, steps);
  if (peer === null) return 'unavailable (python3 with numpy not found)';
  const batch = makeWorkloadBatch(
    WORKLOADS.find((w) => w.numpy === policy)!,
    fleets,
    steps,
  );
  const result = summarize(batch, runBatchCpu(batch));
  const problems: string[] = [];
  for (const metric of ['avgLatency', 'throughput', 'utilization'] as const) {
    const xs = [...result[metric]];
    const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
    const sem = Math.sqrt(xs.reduce((a, b) => a + (b - mean) ** 2, 0) / (xs.length - 1) / xs.length);
    const p = peer.stats[metric]!;
    // fleetsim packs R, P and λ as f32, so fully deterministic metrics differ by ~1e-7 relative.
    const bound = 4 * Math.hypot(sem, p.sem) + 1e-6 * Math.abs(mean);
    if (Math.abs(mean - p.mean) > bound) problems.push(`${metric} ${p.mean} vs fleetsim ${mean} (bound ${bound.toPrecision(3)})`);
  }
  return problems.length === 0 ? 'same statistics (within 4 standard errors)' : `DIFFERENT: ${problems.join('; ')}`;
}

/** A workload's fleets as the Numba peer reads them: one fleet when every fleet is the same (the paper's). */
function numbaFleets(w: Workload, fleets: number): FleetSpec[] {
  const first = w.fleet(0);
  if (w.fleet(1) === first) return [first];
  return Array.from({ length: fleets }, (_, i) => w.fleet(i));
}

/** The Numba peer on `threads` threads against fleetsim's CPU engine on the same small workload (statistical). */
function checkNumba(w: Workload, threads: number, fleets: number, steps: number, dir: string): string {
  const batch = makeWorkloadBatch(w, fleets, steps);
  const file = join(dir, `check-${w.name}.json`);
  writePeerFleets(file, numbaFleets(w, fleets));
  const peer = runNumbaPeer({ replicates: fleets, steps, threads, fleets: file });
  const problems = comparePeerStats(batchStats(batch, runBatchCpu(batch)), peer.stats);
  return problems.length === 0 ? 'same statistics (within 4 standard errors)' : `DIFFERENT: ${problems.join('; ')}`;
}

// ---- measuring ---------------------------------------------------------------------------------------

function record(
  w: Workload,
  backend: string,
  batch: Batch | { fleets: number; steps: number; agentSteps: number; runs: number },
  seconds: number[],
  deviceBytes?: number,
): Measurement {
  const median = medianOf(seconds); // the true median: the mean of the middle two for an even count
  const isBatch = 'config' in batch;
  const agentSteps = isBatch ? agentStepsOf(batch) : batch.agentSteps;
  const fleetRuns = isBatch ? batch.runs.count : batch.runs;
  return {
    workload: w.name,
    ...(w.label === undefined ? {} : { arrivals: w.label }),
    backend,
    fleets: isBatch ? batch.fleets.count : batch.fleets,
    steps: isBatch ? batch.config.steps : batch.steps,
    agentSteps,
    fleetRuns,
    seconds,
    median,
    agentStepsPerSecond: agentSteps / median,
    fleetRunsPerSecond: fleetRuns / median,
    peakRssMiB: process.resourceUsage().maxRSS / 1024,
    ...(deviceBytes === undefined ? {} : { deviceBufferMiB: deviceBytes / 2 ** 20 }),
  };
}

function gpuBytes(batch: Batch, engine: GpuEngine): number {
  // The buffers of the largest chunk: runs, agent parameters, agent state, its readback copy.
  let most = 0;
  for (const c of engine.planChunks(batch)) most = Math.max(most, c.runs.length * RUN_BYTES + c.agents * (PARAMS_BYTES + 2 * STATE_BYTES));
  return most;
}

function line(m: Measurement): string {
  const min = Math.min(...m.seconds);
  const max = Math.max(...m.seconds);
  return `${m.workload.padEnd(26)}${m.backend.padEnd(10)}${String(m.fleets).padStart(8)}${(m.agentStepsPerSecond / 1e6).toFixed(1).padStart(10)}${m.fleetRunsPerSecond.toFixed(0).padStart(12)}   ${m.median.toFixed(3)} s [${min.toFixed(3)}, ${max.toFixed(3)}]`;
}

/** Fits log(y) = a + b·log(x) by least squares; returns b. */
function exponent(points: [number, number][]): number {
  const lx = points.map(([x]) => Math.log(x));
  const ly = points.map(([, y]) => Math.log(y));
  const mx = lx.reduce((a, b) => a + b, 0) / lx.length;
  const my = ly.reduce((a, b) => a + b, 0) / ly.length;
  let num = 0;
  let den = 0;
  lx.forEach((x, i) => {
    num += (x - mx) * (ly[i]! - my);
    den += (x - mx) ** 2;
  });
  return num / den;
}

/** Runs the suite, printing the table as it goes; returns the path of the results file it wrote. */
export async function runBenchSuite(options: BenchSuiteOptions = {}): Promise<string> {
  const BUDGET = options.budget ?? BENCH_DEFAULTS.budget;
  const REPEATS = options.repeats ?? BENCH_DEFAULTS.repeats;
  const QUICK = options.quick ?? false;
  const STEPS = QUICK ? 200 : 1000;
  const only = options.workloads;
  const selected = (name: string): boolean =>
    only === undefined || only.some((p) => (p.endsWith('*') ? name.startsWith(p.slice(0, -1)) : name === p));
  const workloads = WORKLOADS.filter((w) => selected(w.name));
  if (workloads.length === 0)
    throw new Error(`no workload matches ${only?.join(', ')}; the workloads: ${WORKLOADS.map((w) => w.name).join(', ')}`);
  const traces = new TraceLibrary(
    new Map(workloads.some((w) => w.trace !== undefined) ? [[BENCH_TRACE, loadTrace(BENCH_TRACE, 'trace')]] : []),
  );
  const started = new Date();
  const cold = await coldStartGpu();
  const backends: Backend[] = [];
  if (cold.engine) {
    const engine = cold.engine;
    backends.push({ name: 'gpu', run: (b) => engine.run(b), bytes: (b) => gpuBytes(b, engine) });
  }
  const cpu1: Backend = { name: 'cpu-1', run: (b) => Promise.resolve(runBatchCpu(b)) };
  backends.push(cpu1);
  const threads = availableParallelism();
  const pool = threads > 1 ? cpuEngine(threads) : null;
  if (pool) backends.push({ name: `cpu-${threads}`, run: (b) => pool.run(b) });

  const adapter = cold.gpu?.adapter ?? null;
  console.log(
    `fleetsim bench ${packageVersion()} — ${started.toISOString()} — ${cpus()[0]?.model ?? 'cpu'} × ${cpus().length}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}`,
  );
  console.log(`adapter: ${adapter ? `${adapter.vendor} ${adapter.architecture} ${adapter.description}` : 'none'}`);
  console.log(
    `cold start (GPU): ${Object.entries(cold.phases)
      .map(([k, v]) => `${k} ${v.toFixed(3)} s`)
      .join(', ')}`,
  );

  const peerChecks: Record<string, string> = {};
  for (const p of PAPER_POLICIES) peerChecks[p] = checkPeer(p, 2000, 200);
  console.log(`NumPy peer check (2,000 paper fleets, 200 steps): ${PAPER_POLICIES.map((p) => `${p}: ${peerChecks[p]}`).join('; ')}`);

  // The Numba peer: its compile on an empty cache (apart), then its statistics on each of its workloads.
  const numbaWhy = numbaUnavailable();
  const numbaThreads = numbaWhy === null ? [...new Set([1, threads])] : [];
  const peerCompileSeconds: Record<string, number> = {};
  const peerDir = mkdtempSync(join(tmpdir(), 'fleetsim-bench-numba-'));
  if (numbaWhy !== null) console.log(`Numba peer: skipped: ${numbaWhy}`);
  for (const t of numbaThreads) {
    const cacheDir = mkdtempSync(join(peerDir, 'cache-'));
    peerCompileSeconds[`numba-${t}`] = runNumbaPeer({ replicates: 2, steps: 2, threads: t, cacheDir }).compileSeconds;
  }
  for (const w of workloads.filter((x) => x.numba))
    for (const t of numbaThreads) {
      const fleets = Math.max(100, Math.round(8000 / w.fleet(0).agents.length)); // 2,000 paper fleets, 500 of 16 agents
      peerChecks[`numba-${t} ${w.name}`] = checkNumba(w, t, fleets, 200, peerDir);
      console.log(
        `Numba peer check, ${t} thread${t > 1 ? 's' : ''}, ${w.name} (${fleets} fleets, 200 steps): ${peerChecks[`numba-${t} ${w.name}`]}`,
      );
    }
  if (numbaThreads.length > 0)
    console.log(
      `Numba peer compile on an empty cache (excluded from its times): ${Object.entries(peerCompileSeconds)
        .map(([k, v]) => `${k} ${v.toFixed(2)} s`)
        .join(', ')}`,
    );

  console.log(
    `\n${'workload'.padEnd(26)}${'backend'.padEnd(10)}${'fleets'.padStart(8)}${'M a-s/s'.padStart(10)}${'runs/s'.padStart(12)}   median [min, max] of ${REPEATS}`,
  );
  const measurements: Measurement[] = [];
  for (const w of workloads) {
    const active = new Set(backends.map((b) => b.name));
    let numpyActive = w.numpy !== undefined && !peerChecks[w.numpy]!.startsWith('unavailable');
    const numbaActive = new Set(w.numba ? numbaThreads.filter((t) => peerChecks[`numba-${t} ${w.name}`]?.startsWith('same')) : []);
    // The arrival workloads cost up to ~100× Poisson per agent-step (the CPU's f32 Gamma draws):
    // they stop before a run would pass the budget, and the quick mode runs them once, small.
    const costly = w.baseline !== undefined;
    for (let fleets = 100; active.size > 0 || numpyActive || numbaActive.size > 0; fleets *= 10) {
      if (fleets > (QUICK ? (w.numpy ? 10_000 : costly ? 100 : 1000) : 1_000_000)) break;
      const batch = makeWorkloadBatch(w, fleets, STEPS, traces);
      const running = backends.filter((b) => active.has(b.name));
      const samples = new Map<string, number[]>(running.map((b) => [b.name, []]));
      const numpySamples: number[] = [];
      const numbaSamples = new Map<number, number[]>([...numbaActive].map((t) => [t, []]));
      const numbaFile = join(peerDir, 'fleets.json');
      if (numbaActive.size > 0) writePeerFleets(numbaFile, numbaFleets(w, fleets));
      for (const b of running) await b.run(batch); // warm-up
      for (let rep = 0; rep < REPEATS; rep++) {
        for (const b of running) {
          const t0 = performance.now();
          await b.run(batch);
          samples.get(b.name)!.push((performance.now() - t0) / 1000);
        }
        if (numpyActive) {
          const peer = numpyRun(w.numpy!, fleets, STEPS);
          if (peer) numpySamples.push(peer.seconds);
        }
        for (const t of numbaActive) {
          const peer = runNumbaPeer({ replicates: fleets, steps: STEPS, threads: t, fleets: numbaFile });
          if (peer.agentSteps !== agentStepsOf(batch))
            throw new Error(`the Numba peer ran ${peer.agentSteps} agent-steps, fleetsim ${agentStepsOf(batch)}`);
          numbaSamples.get(t)!.push(peer.seconds);
        }
      }
      for (const b of running) {
        const m = record(w, b.name, batch, samples.get(b.name)!, b.bytes?.(batch));
        measurements.push(m);
        console.log(line(m));
        if (m.median * (costly ? 10 : 1) > BUDGET) active.delete(b.name);
      }
      if (numpyActive && numpySamples.length > 0) {
        const m = record(w, 'numpy', { fleets, steps: STEPS, agentSteps: agentStepsOf(batch), runs: batch.runs.count }, numpySamples);
        measurements.push(m);
        console.log(line(m));
        if (m.median > BUDGET) numpyActive = false;
      }
      for (const [t, seconds] of numbaSamples) {
        const m = record(w, `numba-${t}`, { fleets, steps: STEPS, agentSteps: agentStepsOf(batch), runs: batch.runs.count }, seconds);
        measurements.push(m);
        console.log(line(m));
        if (m.median > BUDGET) numbaActive.delete(t);
      }
    }
  }

  // Each arrival or policy workload's cost per agent-step against its baseline (Poisson arrivals under
  // static, same fleets), per backend, at the largest fleet count both were measured at.
  const arrivalCost: ArrivalCost[] = [];
  for (const w of workloads) {
    if (w.baseline === undefined) continue;
    for (const b of backends) {
      const mine = measurements.filter((m) => m.workload === w.name && m.backend === b.name);
      const base = (f: number): Measurement | undefined =>
        measurements.find((m) => m.workload === w.baseline && m.backend === b.name && m.fleets === f && m.steps === STEPS);
      const at = mine.filter((m) => base(m.fleets) !== undefined).at(-1);
      if (!at) continue;
      const poisson = base(at.fleets)!;
      arrivalCost.push({
        workload: w.name,
        arrivals: w.label ?? w.name,
        baseline: w.baseline,
        backend: b.name,
        fleets: at.fleets,
        agentStepsPerSecond: at.agentStepsPerSecond,
        baselineAgentStepsPerSecond: poisson.agentStepsPerSecond,
        relativeCost: poisson.agentStepsPerSecond / at.agentStepsPerSecond,
      });
    }
  }
  if (arrivalCost.length > 0) {
    console.log('\ncost per agent-step against its baseline (same fleets, same mean load; Poisson under static):');
    for (const c of arrivalCost)
      console.log(
        `  ${c.workload.padEnd(26)}${c.backend.padEnd(8)}${String(c.fleets).padStart(8)}${(c.agentStepsPerSecond / 1e6).toFixed(3).padStart(10)} M a-s/s${c.relativeCost.toFixed(1).padStart(8)}× (${c.arrivals})`,
      );
  }

  // Scaling: fleets (from the sweep above), steps and agents, per backend.
  const scaling: Record<string, Record<string, number>> = {};
  for (const b of only === undefined ? [...backends.map((x) => x.name), 'numpy'] : []) {
    const byFleets = measurements.filter((m) => m.workload === 'paper-static' && m.backend === b && m.fleets >= 1000);
    if (byFleets.length >= 2) (scaling[b] ??= {}).fleets = exponent(byFleets.map((m) => [m.fleets, m.median]));
  }
  const stepsFleets = QUICK ? 1000 : 10_000;
  for (const b of only === undefined ? backends : []) {
    const bySteps: [number, number][] = [];
    for (const steps of [250, 500, 1000, 2000]) {
      const batch = makeWorkloadBatch(WORKLOADS[0]!, stepsFleets, QUICK ? steps / 5 : steps);
      const t0 = performance.now();
      await b.run(batch);
      bySteps.push([batch.config.steps, (performance.now() - t0) / 1000]);
    }
    const byAgents: [number, number][] = [];
    for (const n of [4, 16, 64]) {
      const w: Workload = { name: `random${n}`, policies: ['static'], fleet: randomOf(n) };
      const batch = makeWorkloadBatch(w, stepsFleets, QUICK ? 200 : 500);
      await b.run(batch);
      const t0 = performance.now();
      await b.run(batch);
      byAgents.push([n, (performance.now() - t0) / 1000]);
    }
    scaling[b.name] = { ...scaling[b.name], steps: exponent(bySteps), agents: exponent(byAgents) };
  }
  console.log('\nscaling exponents (time ∝ x^b; 1 = linear):');
  for (const [b, s] of Object.entries(scaling))
    console.log(
      `  ${b.padEnd(8)} ${Object.entries(s)
        .map(([k, v]) => `${k} ${v.toFixed(2)}`)
        .join(', ')}`,
    );

  // The allocator alone.
  const allocator = only === undefined ? await benchAllocator(cold.gpu?.device ?? null, QUICK) : [];
  console.log('\none allocation (adaptive) over N agents, median µs: N, cpu, gpu (dispatch + readback)');
  for (const a of allocator)
    console.log(
      `  ${String(a.agents).padStart(8)} ${a.cpuMicros.toFixed(2).padStart(12)} ${a.gpuMicros === null ? '–' : a.gpuMicros.toFixed(1).padStart(12)}`,
    );

  // Headline ratios at the largest common paper-fleet size.
  const ratios: Record<string, number> = {};
  for (const p of PAPER_POLICIES) {
    const at = (b: string): Measurement | undefined => measurements.filter((m) => m.workload === `paper-${p}` && m.backend === b).at(-1);
    const gpu = at('gpu');
    const cpu = measurements.find((m) => m.workload === `paper-${p}` && m.backend === 'cpu-1' && m.fleets === gpu?.fleets);
    if (gpu && cpu) ratios[`paper-${p} gpu/cpu-1 at ${gpu.fleets} fleets`] = gpu.agentStepsPerSecond / cpu.agentStepsPerSecond;
  }
  // fleetsim against the Numba peer at the largest fleet count both were measured at.
  for (const w of workloads.filter((x) => x.numba))
    for (const [mine, peer] of [
      ['cpu-1', 'numba-1'],
      [`cpu-${threads}`, `numba-${threads}`],
      ['gpu', `numba-${threads}`],
    ] as const) {
      const theirs = measurements.filter((m) => m.workload === w.name && m.backend === peer);
      const at = measurements
        .filter((m) => m.workload === w.name && m.backend === mine && theirs.some((x) => x.fleets === m.fleets))
        .at(-1);
      const other = theirs.find((x) => x.fleets === at?.fleets);
      if (at && other) ratios[`${w.name} ${mine}/${peer} at ${at.fleets} fleets`] = at.agentStepsPerSecond / other.agentStepsPerSecond;
    }
  console.log(
    '\n' +
      Object.entries(ratios)
        .map(([k, v]) => `${k}: ${v.toFixed(1)}×`)
        .join('\n'),
  );

  const date = started.toISOString().slice(0, 10);
  const dir = options.out ?? join(packageRoot(), 'bench', 'results');
  await mkdir(dir, { recursive: true });
  const file = join(dir, `${date}-${hostname()}${QUICK ? '-quick' : ''}.json`);
  const environment = {
    date: started.toISOString(),
    host: hostname(),
    cpu: cpus()[0]?.model,
    cores: cpus().length,
    memoryGiB: totalmem() / 2 ** 30,
    node: process.version,
    fleetsim: packageVersion(),
    adapter,
    options: { budget: BUDGET, repeats: REPEATS, quick: QUICK, steps: STEPS, ...(only === undefined ? {} : { workloads: only.join(',') }) },
  };
  const output: BenchFile = {
    environment,
    coldStart: cold.phases,
    peerChecks,
    ...(numbaThreads.length > 0 ? { peerCompileSeconds } : {}),
    measurements,
    scaling,
    allocator,
    ratios,
    arrivalCost,
  };
  await writeFile(file, `${JSON.stringify(output, null, 2)}\n`);
  console.log(`\nwrote ${file}`);
  pool?.close();
  cold.gpu?.close();
  rmSync(peerDir, { recursive: true, force: true });
  return file;
}
