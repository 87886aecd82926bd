/**
 * The registry of `npm run docs:check`: one entry per tag id (`<!-- check: ID -->` in the Markdown),
 * with the command that produces the tagged figures and the function that runs it and returns the
 * expectations, one per number printed in the region, in reading order (scripts/docs/figures.ts says
 * how regions and numbers are read). Commands run in process, through the same library code as the
 * CLI: `fleetsim paper` on the CPU engine, `fleetsim sweep` through loadStudy/runSweep/SweepAggregate
 * on the CPU engine (its figures equal lavapipe's at the precision shown), the queueing runs on the
 * GPU engine where the docs say they were made on it. Benchmark figures are not re-timed: their
 * check reads the file of bench/results/ that the text names (provenance), or bench/NOTES.md.
 *
 * `slow` checks (minutes, or a GPU) run only in `npm run docs:check:slow`; the fast ones run in
 * `npm test` (test/docs.test.ts) and `npm run docs:check`.
 */
import { E_LOOP_GAMMA } from '../../src/random/renewal.js';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DEFAULT_QUEUE_TAU } from '../../src/model/batch.js';
import { EVICTION_RULES, GPU_MEMORY_GB, type GpuPreset } from '../../src/model/lifecycle.js';
import { PAPER_AGENTS, PAPER_CONFIG, PAPER_TABLE_II } from '../../src/model/paper.js';
import { PAPER_POLICIES } from '../../src/model/policies.js';
import { packageRoot } from '../../src/platform/node.js';
import type { PeersBenchFile } from '../../src/results/benchFile.js';
import type { StatSummary } from '../../src/stats/accumulator.js';
import type { AgentMetric, CellSummary, Verdict } from '../../src/sweep/aggregate.js';
import { runSeriesCpu, type RunSeries } from '../../src/cpu/engine.js';
import { randomStudyFleet } from '../../src/study/fleets.js';
import type { RandomFleet } from '../../src/study/schema.js';
import { parseStudyText } from '../../src/study/cells.js';
import { planUnits } from '../../src/sweep/plan.js';
import { buildBatch } from '../../src/sweep/run.js';
import { approx, blankIgnored, type Check, type CheckContext, type Expectation, fig, input, numbersIn } from './figures.js';
import { QUEUEING_CHECKS } from './queueing.js';
import { GPU_POOL_CHECKS } from './gpuPool.js';

const root = packageRoot();
const json = (path: string): unknown => JSON.parse(readFileSync(join(root, path), 'utf8')) as unknown;
const study = (name: string): Record<string, unknown> => json(`sweeps/${name}.json`) as Record<string, unknown>;

// ---- sweep summaries -------------------------------------------------------------------------

type Cells = readonly CellSummary[];
const cellWith = (cells: Cells, values: Record<string, string | number>): CellSummary => {
  const cell = cells.find((c) => Object.entries(values).every(([k, v]) => c.values[k] === v));
  if (!cell) throw new Error(`no cell with ${JSON.stringify(values)}`);
  return cell;
};
const stat = (cell: CellSummary, policy: string, metric = 'avgLatency'): StatSummary => {
  const s = cell.policies.find((p) => p.policy === policy)?.metrics[metric];
  if (!s) throw new Error(`cell ${cell.cell}: no ${policy} ${metric}`);
  return s;
};
const halfCi = (s: StatSummary): number => (s.ci95[1]! - s.ci95[0]!) / 2;
/** The mean and its 95 % half-width, as "m ± h" prints them. */
const meanCi = (s: StatSummary): Expectation[] => [fig(s.mean), fig(halfCi(s))];
/** The fraction of fleet runs where `a` has the lower avgLatency than `b`. */
const wins = (cell: CellSummary, a: string, b: string): number => {
  const pair = cell.pairs.find((p) => (p.a === a && p.b === b) || (p.a === b && p.b === a))!;
  return (pair.a === a ? pair.aWinFraction : pair.bWinFraction)!;
};
const pct = (x: number): number => 100 * x;
/** A policy's fraction of unstable fleet runs (the run metric `unstable`'s mean), in percent. */
const unstablePct = (cell: CellSummary, policy: string): number => pct(stat(cell, policy, 'unstable').mean);
/** A policy's mean maxLoad over the cell's fleet runs. */
const maxLoad = (cell: CellSummary, policy: string): number => stat(cell, policy, 'maxLoad').mean;
/** An agent's statistic under a policy (summary.json's `agents`, fixed fleets only). */
const agentStat = (cell: CellSummary, policy: string, name: string, metric: AgentMetric): StatSummary => {
  const s = cell.agents?.find((p) => p.policy === policy)?.agents.find((a) => a.name === name)?.metrics[metric];
  if (!s) throw new Error(`cell ${cell.cell}: no ${policy} ${name} ${metric}`);
  return s;
};
/** The verdict of a pair of policies on a metric (summary.json's `verdicts`, the pair in either order). */
const verdict = (cell: CellSummary, a: string, b: string, metric = 'avgLatency'): Verdict => {
  const v = cell.verdicts.find((x) => x.metric === metric && ((x.a === a && x.b === b) || (x.a === b && x.b === a)));
  if (!v) throw new Error(`cell ${cell.cell}: no verdict of ${a} and ${b} on ${metric}`);
  return v;
};
/** A policy's warning in a cell (summary.json's `warnings`, which start with the policy's name). */
const warning = (cell: CellSummary, policy: string): string => {
  const w = cell.warnings.find((x) => x.startsWith(`${policy}: `));
  if (w === undefined) throw new Error(`cell ${cell.cell}: no warning for ${policy}`);
  return w;
};
const collapse = (text: string): string => text.replace(/\s+/g, ' ');
/**
 * The figures of a sentence quoted word for word (a verdict's or a warning's `text`): README.md must
 * hold the sentence itself (line breaks aside), and the region its numbers, in order.
 */
const quoted = (text: string): Expectation[] => {
  if (!collapse(readFileSync(join(root, 'README.md'), 'utf8')).includes(collapse(text))) {
    throw new Error(`README.md does not quote, word for word: "${text}"`);
  }
  return numbersIn(blankIgnored(text), 0).map((n) => fig(n.value));
};
/** A statement of the text that has no number of its own: the check fails with `what` when it is false. */
const claim = (holds: boolean, what: string): void => {
  if (!holds) throw new Error(`the text says ${what}, the results do not`);
};

// ---- benchmark files (provenance only) --------------------------------------------------------

interface Measurement {
  workload: string;
  backend: string;
  fleets: number;
  agentStepsPerSecond: number;
}
interface SuiteFile {
  environment: { cores: number; options: { repeats: number; steps: number } };
  coldStart: { total: number };
  measurements: Measurement[];
  scaling: Record<string, Record<string, number>>;
  allocator: { agents: number; cpuMicros: number; gpuMicros: number }[];
}
const SUITE = 'bench/results/2026-11-21-vm.json';
/** The arrival processes' costs against Poisson (`npm run bench -- --workloads 'paper-static*'`). */
const ARRIVALS_SUITE = 'bench/results/2026-12-06-vm-arrivals.json';
const arrivalCosts = (): { workload: string; backend: string; fleets: number; agentStepsPerSecond: number; relativeCost: number }[] =>
  (
    json(ARRIVALS_SUITE) as {
      arrivalCost: { workload: string; backend: string; fleets: number; agentStepsPerSecond: number; relativeCost: number }[];
    }
  ).arrivalCost;
const suite = (): SuiteFile => json(SUITE) as SuiteFile;
/** M agent-steps/s of a workload and backend at a fleet count. */
const rate = (s: SuiteFile, workload: string, backend: string, fleets: number): number => {
  const m = s.measurements.find((x) => x.workload === workload && x.backend === backend && x.fleets === fleets);
  if (!m) throw new Error(`${SUITE}: no ${workload} ${backend} at ${fleets} fleets`);
  return m.agentStepsPerSecond / 1e6;
};
const range = (xs: number[]): Expectation[] => [fig(Math.min(...xs)), fig(Math.max(...xs))];

interface SweepBenchFile {
  study: { steps: number; replicates: number };
  rows: {
    backend: string;
    fleetRunsPerSecond: number;
    overhead: number;
    totalSeconds: number;
    rawEngineSeconds: number;
    peakRssMiB: number;
  }[];
}
const SWEEP_BENCH = 'bench/results/sweep-2026-11-21-vm.json';
interface MemoryBenchFile {
  study: { steps: number; samples: number; fleet: { random: { agents: { min: number; max: number } } } };
  seconds: number;
  peakRssMiB: number;
  trajectory: { rssMiB: number }[];
}
const MEMORY_BENCH = 'bench/results/memory-2026-12-07-vm.json';
/** The same command rerun at the end of issue 14's third session. */
const MEMORY_BENCH_RERUN = 'bench/results/memory-2026-12-07-vm-issue14c.json';
const PEERS_BENCH = 'bench/results/peers-2026-12-07-vm-issue14c.json';
/** The sweep bench after issue 14's engines, its bare engine warmed: the README's sweep table (the 2026-11-21 run is its comparison). */
const SWEEP_BENCH_NOW = 'bench/results/sweep-2026-12-07-vm-issue14c.json';
/** The same at issue 14's workload: `npm run bench:sweep -- 20000 1000`. */
const SWEEP_BENCH_1000 = 'bench/results/sweep-2026-12-07-vm-issue14c-1000steps.json';
/** The README's pairs: each fleetsim path against the Numba peer it must beat (issue 14). */
const PEER_PAIRS = [
  ['cpu-1', 'numba-1'],
  ['cpu-2', 'numba-2'],
  ['gpu', 'numba-2'],
] as const;

/** M agent-steps per second (whole process, median wall) of `path` on workload `w` of the peers file. */
function peerRate(file: PeersBenchFile, w: number, path: string): number {
  const row = file.workloads[w]!.rows.find((r) => r.path === path);
  return row === undefined ? Number.NaN : row.agentStepsPerSecond / 1e6;
}

/**
 * Figures that no file of bench/results/ holds but bench/NOTES.md records (measurements of
 * bench:engine, bench:gpu, bench:wide and earlier runs): each must be printed in NOTES.md too.
 */
function inNotes(...printed: string[]): Expectation[] {
  const notes = readFileSync(join(root, 'bench/NOTES.md'), 'utf8');
  return printed.map((p) => {
    const value = Number(p.replaceAll(',', ''));
    return notes.includes(p) ? fig(value) : { kind: 'figure', value: Number.NaN };
  });
}

// ---- the registry ------------------------------------------------------------------------------

const PAPER_CMD = 'fleetsim paper --json --backend cpu';
/** The paper's latency std-dev row (arXiv 2512.22149, Table II), quoted: no definition reproduces it. */
const PAPER_STD_ROW = [4.2, 0.5, 3.8];

async function tableII(ctx: CheckContext, model: boolean): Promise<Expectation[]> {
  const r = await ctx.paper();
  const each = (f: (p: (typeof PAPER_POLICIES)[number]) => Expectation[]): Expectation[] => PAPER_POLICIES.flatMap(f);
  const shares = r.adaptive.perAgent.map((a) => fig(a.share));
  const servedCapacity = each((p) => [fig(r[p].throughput), fig(r[p].capacityThroughput)]);
  if (!model) {
    return [
      ...each((p) => [input(PAPER_TABLE_II[p].avgLatency)]),
      ...each((p) => [fig(r[p].avgLatency)]),
      ...servedCapacity,
      ...each((p) => [fig(r[p].cost)]),
      ...shares,
    ];
  }
  return [
    ...each((p) => [input(PAPER_TABLE_II[p].avgLatency)]),
    ...each((p) => [fig(r[p].avgLatency)]),
    ...each((p) => r[p].perAgent.map((a) => fig(a.latency))),
    ...each((p) => [input(PAPER_TABLE_II[p].throughput)]),
    ...servedCapacity,
    ...each((p) => [fig(r[p].cost)]), // "paper = model": the paper's $0.020 is PAPER_TABLE_II's cost too
    ...shares,
    ...PAPER_STD_ROW.map(input),
    ...each((p) => [fig(r[p].crossAgentStd)]),
  ];
}

// ---- sweeps/bursty-workloads.json ------------------------------------------------------------------

const BURSTY_PROCESSES = ['poisson', 'gamma cv 2', 'gamma cv 4', 'mmpp fit azure', 'azure replay'];
const SIGNALS_SEEN = ['nominal', 'observed', 'ema'];
interface BurstyStudy {
  seed: number;
  samples: number;
  steps: number;
  warmup: number;
  fleet: { random: RandomFleet };
}
/** The mean over the study's fleet samples of the nominal Σ λ_i (the rate every process is meant to keep). */
function burstyNominalRate(): number {
  const s = study('bursty-workloads') as unknown as BurstyStudy;
  let total = 0;
  for (let k = 0; k < s.samples; k++) total += randomStudyFleet(s.seed, k, s.fleet.random).reduce((sum, a) => sum + a.lambda, 0);
  return total / s.samples;
}

/** The longer runs of the stability paragraphs: my-fleet-example, paper-robustness and load-curve with these "steps". */
const LONG_FLEET_STEPS = 2100;
const LONG_ROBUSTNESS_STEPS = 4000;
const LONG_LOAD_CURVE_STEPS = 1050;

const ROBUSTNESS_SCENARIOS = ['baseline', 'demand x3', 'coordinator spike x10, 40-60 s', 'coordinator carries 90 % of the traffic'];

// ---- docs/MODEL.md's worked example of the signals ----------------------------------------------

/**
 * Per step t: the coordinator's arrivals a_t, then for observed and for ema the coordinator's λ̂_t
 * (λ at step 0, then the docs' update from the engine's arrivals) and the engine's four shares g_t.
 */
function signalsWorkedExample(): Expectation[] {
  const path = 'docs/examples/signals.json';
  const { study, cells } = parseStudyText(readFileSync(join(root, path), 'utf8'), path);
  const series = (signal: string): RunSeries => {
    const cell = cells.find((c) => c.values[0] === signal);
    if (!cell) throw new Error(`${path}: no cell with allocator.sees = ${signal}`);
    return runSeriesCpu(buildBatch(planUnits([cell]), new Map([[cell.index, cell]])).batch, 0);
  };
  const observed = series('observed');
  const ema = series('ema');
  const lambda = PAPER_AGENTS[0]!.lambda;
  const alpha = study.allocator.emaAlpha;
  const out: Expectation[] = [];
  let rateObserved = lambda;
  let rateEma = lambda;
  for (let t = 0; t < observed.steps; t++) {
    const arrived = observed.arrivals[t]!; // agent 0, the coordinator
    const shares = (s: RunSeries): Expectation[] => Array.from({ length: s.agents }, (_, i) => fig(s.share[i * s.steps + t]!));
    out.push(fig(arrived), fig(rateObserved), ...shares(observed), fig(rateEma), ...shares(ema));
    rateObserved = arrived / study.dt;
    rateEma = alpha * (arrived / study.dt) + (1 - alpha) * rateEma;
  }
  return out;
}

// ---- the policy atlas (sweeps/policy-atlas.json) ----------------------------------------------

interface AtlasStudy {
  samples: number;
  steps: number;
  warmup: number;
  dt: number;
  policies: string[];
  allocator?: { queueTau?: number };
  fleet: {
    random: {
      agents: { min: number; max: number };
      T: { min: number; max: number };
      R: { min: number; max: number };
      P: { values: number[] };
    };
  };
}
/** The atlas's loads and arrival variants, in the README's row order, and its workflow variants (independent agents first). */
const ATLAS_LOADS = [0.2, 0.6, 1, 2, 3];
const ATLAS_ARRIVALS = ['poisson', 'gamma cv 4'] as const;
const atlasCell = (cells: Cells, load: number, arrivals: string, workflow = 'independent'): CellSummary =>
  cellWith(cells, { 'fleet.random.load': load, arrivals, workflow });
/** The atlas's hub workflow (its workflow axis's second variant). */
interface AtlasHub {
  template: 'hub';
  out: number;
  back: number;
}
const atlasHub = (): AtlasHub => {
  const axes = (
    study('policy-atlas') as unknown as { axes: { name?: string; variants?: { label: string; set: { workflow?: AtlasHub } }[] }[] }
  ).axes;
  const hub = axes.find((a) => a.name === 'workflow')?.variants?.find((v) => v.label === 'hub')?.set.workflow;
  if (hub === undefined) throw new Error('sweeps/policy-atlas.json: no workflow axis with a hub variant');
  return hub;
};

/**
 * MODEL-PART4 §4.4's LRU closed form (docs/serverless.md): three equal agents, room for two, K = ∞,
 * C = 0, Δt → 0: P(cold | i) = 1 − λ_i/(λ_i+λ_j) − λ_i/(λ_i+λ_l) + λ_i/(λ_i+λ_j+λ_l).
 */
const lruColdFractions = (rates: readonly number[]): number[] =>
  rates.map((li, i) => {
    const [lj, ll] = rates.filter((_, k) => k !== i) as [number, number];
    return 1 - li / (li + lj) - li / (li + ll) + li / (li + lj + ll);
  });

// ---- the serverless studies (sweeps/keep-alive.json, sweeps/memory-pressure.json) -----------------

/** The keep-alive study's keep-alives, in the README's row order ("never" last), and its policy for the lifecycle tables. */
const KEEP_ALIVES: readonly (number | string)[] = [0, 10, 30, 60, 300, 1200, 'never'];
const COLD_STARTS = [1, 5, 20, 60];
const SERVERLESS_POLICY = 'maxMinFair';
/** The keep-alive study's loadScale values: fleet loads 3.18 × loadScale (the paper preset's Σλ/T, the random fleets' `load`). */
const KA_LOADS = { low: 0.002, mid: 0.02, high: 0.2 } as const;
const kaCell = (cells: Cells, fleet: string, loadScale: number, coldStart: number, keepAlive: number | string): CellSummary =>
  cellWith(cells, { fleet, loadScale, 'lifecycle.coldStart': coldStart, 'lifecycle.keepAlive': keepAlive });
interface ServerlessStudy {
  samples: number;
  steps: number;
  warmup: number;
  dt: number;
  policies: string[];
  lifecycle: { loadBandwidth: number; keepAlive: number; coldStart: number };
  axes: {
    name?: string;
    path?: string;
    values?: (number | string)[];
    variants?: { label: string; set: { fleet?: { random?: Record<string, unknown> } } }[];
  }[];
}
const serverlessStudy = (name: string): ServerlessStudy => study(name) as unknown as ServerlessStudy;
/** A serverless study's random-fleet variant. */
const serverlessRandom = (name: string): Record<string, unknown> => {
  const r = serverlessStudy(name)
    .axes.find((a) => a.name === 'fleet')
    ?.variants?.find((v) => v.label === 'random')?.set.fleet?.random;
  if (r === undefined) throw new Error(`sweeps/${name}.json: no fleet axis with a random variant`);
  return r;
};
const axisValues = (name: string, path: string): (number | string)[] => {
  const values = serverlessStudy(name).axes.find((a) => a.path === path)?.values;
  if (values === undefined) throw new Error(`sweeps/${name}.json: no axis ${path}`);
  return values;
};
const minMax = (d: unknown): [number, number] => {
  const x = d as { min?: number; max?: number };
  if (x.min === undefined || x.max === undefined) throw new Error('expected a distribution with min and max');
  return [x.min, x.max];
};
/** The memory study's fleets (its fleet axis, the paper's agents aside), loads, cards, in the README's row order. */
const MP_FLEETS = ['paper x4 models', 'random'];
const MP_LOADS = [0.005, 0.05] as const;
const MP_CARDS = ['T4', 'L4', 'H100-80GB'];
const mpCell = (cells: Cells, fleet: string, loadScale: number, card: string, evict: string): CellSummary =>
  cellWith(cells, { fleet, loadScale, 'lifecycle.memory.gpu': card, 'lifecycle.memory.evict': evict });
/** The memory study's paper agents with larger models (its `paper x4 models` variant). */
const MP_LARGER = (): { M: number }[] => {
  const axis = serverlessStudy('memory-pressure').axes.find((a) => a.name === 'fleet');
  const set = axis?.variants?.find((v) => v.label === 'paper x4 models')?.set as { fleet?: { agents?: { M: number }[] } } | undefined;
  const agents = set?.fleet?.agents;
  if (agents === undefined) throw new Error('sweeps/memory-pressure.json: no "paper x4 models" variant');
  return agents;
};
/** The memory study's larger models on one, two (LPT, given) and four GPUs, in the README's column order; its cards there. */
const MP_GPUS = ['paper x4 models', 'paper x4 models, 2 GPUs', 'paper x4 models, 2 GPUs given', 'paper x4 models, 4 GPUs'];
const MP_GPU_CARDS = ['T4', 'L4'];
/** The paper preset's Σλ/T, which the studies' random fleets take as their `load` so that loadScale means the same load. */
const PAPER_LOAD = PAPER_AGENTS.reduce((sum, a) => sum + a.lambda / a.T, 0);

export const CHECKS: Readonly<Record<string, Check>> = {
  'paper-table-ii': { command: PAPER_CMD, expect: (ctx) => tableII(ctx, false) },
  'model-table-ii': { command: PAPER_CMD, expect: (ctx) => tableII(ctx, true) },
  'signals-worked-example': {
    command: 'fleetsim sweep docs/examples/signals.json --backend cpu (its per-step series: runSeriesCpu)',
    expect: () => Promise.resolve(signalsWorkedExample()),
  },
  'serverless-lru': {
    command: "MODEL-PART4 §4.4's LRU closed form at λ = 1, 0.5, 0.25 (test/lifecycle-cpu.test.ts checks it by simulation)",
    expect: () => Promise.resolve(lruColdFractions([1, 0.5, 0.25]).map(fig)),
  },
  'keep-alive-setup': {
    command: 'sweeps/keep-alive.json (its settings)',
    expect: () => {
      const s = serverlessStudy('keep-alive');
      const r = serverlessRandom('keep-alive');
      claim(Math.abs((r.load as number) - PAPER_LOAD) < 0.01, "that the random fleets' load is the paper preset's Σλ/T");
      const keepAlives = axisValues('keep-alive', 'lifecycle.keepAlive').filter((k): k is number => typeof k === 'number');
      const [aMin, aMax] = minMax(r.agents);
      const [tMin, tMax] = minMax(r.T);
      const [mMin, mMax] = minMax(r.M);
      return Promise.resolve([
        input(s.samples),
        input(aMin),
        input(aMax),
        input(tMin),
        input(tMax),
        input(mMin / 1000),
        input(mMax / 1000),
        ...Object.values(KA_LOADS).map((l) => fig(PAPER_LOAD * l)),
        ...keepAlives.map(input),
        ...(axisValues('keep-alive', 'lifecycle.coldStart') as number[]).map(input),
        input(s.lifecycle.loadBandwidth),
        input((s.steps - s.warmup) * s.dt),
        input(s.warmup * s.dt),
        input(s.dt),
      ]);
    },
  },
  'keep-alive-table-intro': {
    command: 'sweeps/keep-alive.json (its settings)',
    expect: () => Promise.resolve([fig(PAPER_LOAD * KA_LOADS.low), input(5), input(PAPER_CONFIG.price)]),
  },
  'keep-alive-table': {
    command: 'fleetsim sweep sweeps/keep-alive.json --backend cpu --out DIR',
    slow: true,
    expect: async (ctx) => {
      const cells = await ctx.study('keep-alive');
      return KEEP_ALIVES.flatMap((k) =>
        ['paper', 'random'].flatMap((fleet) => {
          const cell = kaCell(cells, fleet, KA_LOADS.low, 5, k);
          const m = (metric: string): number => stat(cell, SERVERLESS_POLICY, metric).mean;
          return [fig(pct(m('residentFraction'))), fig(m('costResident')), fig(pct(m('coldHitFraction'))), fig(m('littleLatency'))];
        }),
      );
    },
  },
  'keep-alive-coldstart-intro': {
    command: 'sweeps/keep-alive.json (its settings)',
    expect: () => Promise.resolve([fig(PAPER_LOAD * KA_LOADS.mid)]),
  },
  'keep-alive-coldstart': {
    command: 'fleetsim sweep sweeps/keep-alive.json --backend cpu --out DIR',
    slow: true,
    expect: async (ctx) => {
      const cells = await ctx.study('keep-alive');
      const m = (coldStart: number, k: number | string, metric: string): number =>
        stat(kaCell(cells, 'random', KA_LOADS.mid, coldStart, k), SERVERLESS_POLICY, metric).mean;
      return KEEP_ALIVES.flatMap((k) => [
        ...COLD_STARTS.map((c) => fig(m(c, k, 'littleLatency'))),
        fig(pct(m(1, k, 'coldHitFraction'))),
        fig(pct(m(60, k, 'coldHitFraction'))),
      ]);
    },
  },
  'keep-alive-policies-intro': {
    command: 'sweeps/keep-alive.json (its settings)',
    expect: () => Promise.resolve([fig(PAPER_LOAD * KA_LOADS.high), input(20)]),
  },
  'keep-alive-policies': {
    command: 'fleetsim sweep sweeps/keep-alive.json --backend cpu --out DIR',
    slow: true,
    expect: async (ctx) => {
      const cells = await ctx.study('keep-alive');
      const policies = serverlessStudy('keep-alive').policies;
      return KEEP_ALIVES.flatMap((k) => {
        const cell = kaCell(cells, 'random', KA_LOADS.high, 20, k);
        return [...policies.map((p) => fig(stat(cell, p, 'littleLatency').mean)), ...policies.map((p) => fig(unstablePct(cell, p)))];
      });
    },
  },
  'keep-alive-findings': {
    command: 'fleetsim sweep sweeps/keep-alive.json --backend cpu --out DIR',
    slow: true,
    expect: async (ctx) => {
      const cells = await ctx.study('keep-alive');
      const policies = serverlessStudy('keep-alive').policies;
      const m = (fleet: string, load: number, c0: number, k: number | string, metric: string, policy = SERVERLESS_POLICY): number =>
        stat(kaCell(cells, fleet, load, c0, k), policy, metric).mean;
      const low = (fleet: string, k: number | string, metric: string): number => m(fleet, KA_LOADS.low, 5, k, metric);
      const mid = (c0: number, k: number | string, metric = 'littleLatency'): number => m('random', KA_LOADS.mid, c0, k, metric);
      const high = (k: number | string, policy: string, metric = 'littleLatency'): number =>
        m('random', KA_LOADS.high, 20, k, metric, policy);
      const rates = PAPER_AGENTS.map((a) => a.lambda * KA_LOADS.low);
      claim(mid(1, 10) >= 1 && mid(1, 30) < 1, 'that with C0 = 1 s the latency falls below 1 s from K = 30 s');
      claim(mid(60, 60) >= 1 && mid(60, 300) < 1, 'that with C0 = 60 s the latency falls below 1 s only from K = 300 s');
      const stable = KEEP_ALIVES.filter((k) => k !== 0);
      claim(
        stable.every((k) => high(k, 'maxMinFair', 'unstable') === 0 && high(k, 'adaptiveQueue', 'unstable') === 0),
        "that maxMinFair's and adaptiveQueue's queues never grow for K ≥ 10 s at load 0.64",
      );
      claim(
        stable.every((k) => policies.every((p) => p === 'maxMinFair' || high(k, p) > high(k, 'maxMinFair'))),
        'that maxMinFair has the lowest latency at every K ≥ 10 s at load 0.64',
      );
      claim(
        COLD_STARTS.every((c0) => m('paper', KA_LOADS.mid, c0, 0, 'loadFraction') > 0.2499),
        "that the paper fleet's agents keep the load slot busy in all but a handful of steps at K = 0, load 0.064, with every C0",
      );
      const atZero = policies.map((p) => pct(high(0, p, 'unstable')));
      const queue = stable.map((k) => high(k, 'adaptiveQueue'));
      return [
        // The knee.
        input(0),
        fig(1 / Math.max(...rates)),
        fig(1 / Math.min(...rates)),
        input(30),
        fig(pct(low('paper', 30, 'residentFraction'))),
        fig(pct(low('paper', 30, 'coldHitFraction'))),
        input(60),
        fig(pct(low('paper', 60, 'residentFraction'))),
        fig(pct(low('paper', 60, 'coldHitFraction'))),
        input(300),
        fig(pct(low('random', 300, 'coldHitFraction'))),
        fig(pct(low('random', 300, 'residentFraction'))),
        input(1200),
        fig(pct(low('random', 1200, 'coldHitFraction'))),
        // Billing the GPU.
        fig(low('paper', 0, 'costResident')),
        input(0),
        fig(low('paper', 'never', 'costResident')),
        fig(low('random', 0, 'costResident')),
        input(0),
        fig(low('random', 60, 'costResident')),
        input(60),
        fig(pct(low('paper', 0, 'residentFraction'))),
        input(0),
        // The cold start.
        fig(PAPER_LOAD * KA_LOADS.mid),
        input(60),
        fig(mid(1, 60)),
        input(1),
        fig(mid(60, 60)),
        input(60),
        input(1),
        input(30),
        input(1),
        input(300),
        input(60),
        input(10),
        fig(pct(mid(1, 10, 'coldHitFraction'))),
        input(1),
        fig(pct(mid(60, 10, 'coldHitFraction'))),
        input(60),
        // K = 0.
        input(0),
        fig(PAPER_LOAD * KA_LOADS.mid),
        input(5),
        fig(pct(mid(5, 0, 'memoryWaitFraction'))),
        fig(mid(5, 0)),
        fig(mid(5, 60)),
        input(60),
        fig(pct(m('paper', KA_LOADS.mid, 5, 0, 'loadFraction'))),
        fig(PAPER_LOAD * KA_LOADS.high),
        input(20),
        fig(Math.min(...atZero)),
        fig(Math.max(...atZero)),
        // The policies.
        fig(PAPER_LOAD * KA_LOADS.high),
        input(20),
        input(10),
        fig(high(30, 'maxMinFair')),
        input(30),
        fig(high('never', 'maxMinFair')),
        fig(Math.min(...queue)),
        fig(Math.max(...queue)),
        fig(pct(high('never', 'static', 'unstable'))),
        fig(pct(high('never', 'adaptive', 'unstable'))),
      ];
    },
  },
  'memory-pressure-setup': {
    command: 'sweeps/memory-pressure.json (its settings)',
    expect: () => {
      const s = serverlessStudy('memory-pressure');
      const r = serverlessRandom('memory-pressure');
      claim(Math.abs((r.load as number) - PAPER_LOAD) < 0.01, "that the random fleets' load is the paper preset's Σλ/T");
      const cards = axisValues('memory-pressure', 'lifecycle.memory.gpu') as GpuPreset[];
      const larger = MP_LARGER().map((a) => a.M / 1000);
      const [aMin, aMax] = minMax(r.agents);
      const [tMin, tMax] = minMax(r.T);
      const [mMin, mMax] = minMax(r.M);
      return Promise.resolve([
        input(s.lifecycle.keepAlive),
        input(s.lifecycle.coldStart),
        input(s.lifecycle.loadBandwidth),
        ...cards.map((g) => input(GPU_MEMORY_GB[g])),
        input(PAPER_AGENTS.reduce((sum, a) => sum + (a.M ?? 0), 0) / 1000),
        ...larger.map(input),
        input(larger.reduce((a, b) => a + b, 0)),
        input(s.samples),
        input(aMin),
        input(aMax),
        input(tMin),
        input(tMax),
        input(mMin / 1000),
        input(mMax / 1000),
        ...(axisValues('memory-pressure', 'loadScale') as number[]).map((l) => fig(PAPER_LOAD * l)),
        input(s.samples),
        input((s.steps - s.warmup) * s.dt),
        input(s.warmup * s.dt),
        input(s.dt),
      ]);
    },
  },
  'memory-pressure-table': {
    command: 'fleetsim sweep sweeps/memory-pressure.json --backend cpu --out DIR',
    slow: true,
    expect: async (ctx) => {
      const cells = await ctx.study('memory-pressure');
      return MP_FLEETS.flatMap((fleet) =>
        MP_LOADS.flatMap((load) =>
          MP_CARDS.flatMap((card) =>
            EVICTION_RULES.flatMap((evict) => {
              const m = (metric: string): number => stat(mpCell(cells, fleet, load, card, evict), SERVERLESS_POLICY, metric).mean;
              return [fig(m('evictionsPerHour')), fig(pct(m('memoryWaitFraction'))), fig(m('littleLatency'))];
            }),
          ),
        ),
      );
    },
  },
  'memory-pressure-gpus-setup': {
    command: 'sweeps/memory-pressure.json (its settings)',
    expect: () => {
      const axis = serverlessStudy('memory-pressure').axes.find((a) => a.name === 'fleet');
      const given = axis?.variants?.find((v) => v.label === MP_GPUS[2])?.set as
        { fleet?: { agents?: { name: string; M: number; gpu: number }[]; gpus?: number } } | undefined;
      const agents = given?.fleet?.agents;
      if (agents === undefined) throw new Error(`sweeps/memory-pressure.json: no "${MP_GPUS[2]}" variant`);
      const on = (k: number): string[] => agents.filter((a) => a.gpu === k).map((a) => a.name);
      const gb = (k: number): number => agents.filter((a) => a.gpu === k).reduce((sum, a) => sum + a.M, 0) / 1000;
      claim(on(0).join() === 'nlp,reasoning' && on(1).join() === 'coordinator,vision', 'the given placement as written');
      return Promise.resolve([input(MP_LARGER().reduce((sum, a) => sum + a.M, 0) / 1000), input(gb(0)), input(gb(1))]);
    },
  },
  'memory-pressure-gpus': {
    command: 'fleetsim sweep sweeps/memory-pressure.json --backend cpu --out DIR',
    slow: true,
    expect: async (ctx) => {
      const cells = await ctx.study('memory-pressure');
      const policies = serverlessStudy('memory-pressure').policies;
      // LPT never overcommits: its placements evict nothing and wait for no memory, on every card, under every rule and policy.
      claim(
        cells
          .filter((c) => c.values.fleet === MP_GPUS[1] || c.values.fleet === MP_GPUS[3])
          .every((c) => policies.every((p) => stat(c, p, 'evictionsPerHour').mean === 0 && stat(c, p, 'memoryBoundFraction').mean === 0)),
        'that the LPT placements never evict nor wait for memory',
      );
      const m = (fleet: string, load: number, card: string, metric: string): number =>
        stat(mpCell(cells, fleet, load, card, 'lru'), SERVERLESS_POLICY, metric).mean;
      return [
        ...MP_LOADS.flatMap((load) =>
          MP_GPU_CARDS.flatMap((card) => [
            ...MP_GPUS.flatMap((fleet) => [
              fig(m(fleet, load, card, 'evictionsPerHour')),
              fig(pct(m(fleet, load, card, 'memoryWaitFraction'))),
              fig(m(fleet, load, card, 'littleLatency')),
            ]),
          ]),
        ),
      ];
    },
  },
  'memory-pressure-gpus-findings': {
    command: 'fleetsim sweep sweeps/memory-pressure.json --backend cpu --out DIR',
    slow: true,
    expect: async (ctx) => {
      const cells = await ctx.study('memory-pressure');
      const [low] = MP_LOADS;
      const m = (fleet: string, card: string, metric: string, load: number = low): number =>
        stat(mpCell(cells, fleet, load, card, 'lru'), SERVERLESS_POLICY, metric).mean;
      const [one, two, given] = MP_GPUS as [string, string, string, string];
      claim(m(two, 'T4', 'evictionsPerHour') === 0 && m(two, 'T4', 'memoryWaitFraction') === 0, 'that two T4s evict nothing');
      claim(m(given, 'L4', 'evictionsPerHour') === 0, 'that the given placement fits two L4s');
      claim(
        m(two, 'T4', 'costResident') > 0.999 * 2 * m(one, 'T4', 'costResident'),
        'that each of the two GPUs holds a resident model almost all the time (twice the one GPU’s resident cost)',
      );
      return [
        input(28),
        fig(m(one, 'T4', 'evictionsPerHour')),
        fig(m(two, 'T4', 'costResident')),
        fig(m(one, 'T4', 'costResident')),
        input(20),
        fig(m(given, 'T4', 'evictionsPerHour')),
        fig(m(given, 'T4', 'littleLatency')),
        fig(PAPER_LOAD * low),
        input(16),
        fig(m(two, 'T4', 'gpuImbalance')),
        fig(PAPER_LOAD * low),
        fig(m(two, 'L4', 'gpuImbalance')),
      ];
    },
  },
  'memory-pressure-findings': {
    command: 'fleetsim sweep sweeps/memory-pressure.json --backend cpu --out DIR',
    slow: true,
    expect: async (ctx) => {
      const cells = await ctx.study('memory-pressure');
      const policies = serverlessStudy('memory-pressure').policies;
      const [low, high] = MP_LOADS;
      const m = (fleet: string, load: number, card: string, evict: string, metric: string, policy = SERVERLESS_POLICY): number =>
        stat(mpCell(cells, fleet, load, card, evict), policy, metric).mean;
      // The paper's agents: the same statistics on every card and under every rule, nothing evicted, nothing waiting.
      for (const load of MP_LOADS) {
        const paper = cells.filter((c) => c.values.fleet === 'paper' && c.values.loadScale === load);
        const text = (c: CellSummary): string => JSON.stringify(c.policies);
        claim(
          paper.length === 9 && paper.every((c) => text(c) === text(paper[0]!)),
          "that every card and rule gives the paper's agents the same results",
        );
        claim(
          paper.every((c) =>
            policies.every((p) => stat(c, p, 'evictionsPerHour').mean === 0 && stat(c, p, 'memoryWaitFraction').mean === 0),
          ),
          "that the paper's agents are never evicted nor wait for memory",
        );
      }
      const x4 = 'paper x4 models';
      const rules = (fleet: string, load: number, card: string, metric: string, policy?: string): number[] =>
        EVICTION_RULES.map((r) => m(fleet, load, card, r, metric, policy));
      claim(
        ['T4', 'L4'].every((card) => {
          const l = rules(x4, high, card, 'littleLatency');
          return Math.max(...l) / Math.min(...l) < 1.02;
        }),
        "that the eviction rule no longer matters for the paper's larger models at load 0.16",
      );
      claim(
        MP_FLEETS.every((fleet) =>
          MP_LOADS.every((load) =>
            MP_CARDS.every((card) =>
              policies.every((p) => {
                const [lru, lowest, largest] = rules(fleet, load, card, 'evictionsPerHour', p) as [number, number, number];
                return largest <= lru && largest <= lowest;
              }),
            ),
          ),
        ),
        'that largestFirst makes the fewest evictions in every cell under every policy',
      );
      return [
        input(PAPER_AGENTS.reduce((sum, a) => sum + (a.M ?? 0), 0) / 1000),
        input(MP_LARGER().reduce((sum, a) => sum + a.M, 0) / 1000),
        fig(PAPER_LOAD * low),
        fig(m(x4, low, 'T4', 'lru', 'evictionsPerHour')),
        fig(pct(m(x4, low, 'T4', 'lru', 'memoryWaitFraction'))),
        fig(m(x4, low, 'T4', 'lru', 'littleLatency')),
        fig(m(x4, low, 'L4', 'lru', 'littleLatency')),
        fig(m(x4, low, 'H100-80GB', 'lru', 'littleLatency')),
        fig(PAPER_LOAD * high),
        fig(pct(m(x4, high, 'T4', 'lru', 'memoryWaitFraction'))),
        fig(PAPER_LOAD * low),
        fig(m(x4, low, 'T4', 'largestFirst', 'evictionsPerHour')),
        fig(m(x4, low, 'T4', 'largestFirst', 'littleLatency')),
        fig(m(x4, low, 'T4', 'lru', 'evictionsPerHour')),
        fig(m(x4, low, 'T4', 'lru', 'littleLatency')),
        fig(PAPER_LOAD * high),
        fig(m('random', high, 'T4', 'largestFirst', 'littleLatency')),
        fig(m('random', high, 'T4', 'lru', 'littleLatency')),
        fig(PAPER_LOAD * high),
        fig(m('random', high, 'T4', 'lru', 'littleLatency')),
        fig(m('random', high, 'L4', 'lru', 'littleLatency')),
        fig(m('random', high, 'H100-80GB', 'lru', 'littleLatency')),
      ];
    },
  },
  'paper-agents': {
    command: 'fleetsim paper (its fleet: PAPER_AGENTS in src/model/paper.ts)',
    expect: () => Promise.resolve(PAPER_AGENTS.flatMap((a) => [a.M ?? NaN, a.T, a.R, a.P, a.lambda].map(input))),
  },
  'studies-intro': {
    command: 'fleetsim sweep sweeps/<study>.json --out DIR (the 95 % interval of summary.json)',
    expect: () => Promise.resolve([input(95)]),
  },
  'my-fleet-setup': {
    command: 'sweeps/my-fleet-example.json (its settings)',
    expect: () => {
      const s = study('my-fleet-example') as {
        dt: number;
        steps: number;
        warmup: number;
        replicates: number;
        axes: { values: number[] }[];
      };
      return Promise.resolve([...s.axes[0]!.values, s.steps, s.dt, s.warmup, s.replicates].map(input));
    },
  },
  'my-fleet-table': {
    command: 'fleetsim sweep sweeps/my-fleet-example.json --backend cpu --out DIR',
    expect: async (ctx) => {
      const cells = await ctx.study('my-fleet-example');
      return cells.flatMap((cell) => [
        ...meanCi(stat(cell, 'static')),
        fig(stat(cell, 'roundRobin').mean),
        ...meanCi(stat(cell, 'adaptive')),
        ...['static', 'adaptive'].map((p) => fig(stat(cell, p, 'throughput').mean)),
        ...['static', 'adaptive'].map((p) => fig(maxLoad(cell, p))),
        ...PAPER_POLICIES.map((p) => fig(unstablePct(cell, p))),
      ]);
    },
  },
  'my-fleet-findings': {
    command: `fleetsim sweep sweeps/my-fleet-example.json --backend cpu --out DIR (and a copy with "steps": ${LONG_FLEET_STEPS})`,
    expect: async (ctx) => {
      const cells = await ctx.study('my-fleet-example');
      const long = await ctx.study('my-fleet-example', { steps: LONG_FLEET_STEPS });
      const s = study('my-fleet-example') as { steps: number; warmup: number };
      const at = (loadScale: number): CellSummary => cellWith(cells, { loadScale });
      const longAt = (loadScale: number): CellSummary => cellWith(long, { loadScale });
      const load = (scale: number, policy: string, agent: string): Expectation => fig(agentStat(at(scale), policy, agent, 'load').mean);
      const [stable, flagged] = [
        cells.filter((c) => (c.values.loadScale as number) <= 1),
        cells.filter((c) => (c.values.loadScale as number) > 1),
      ];
      claim(
        stable.every((c) => PAPER_POLICIES.every((p) => unstablePct(c, p) === 0)),
        'that no run is flagged at the measured load and below',
      );
      claim(
        stable.every((c) => verdict(c, 'static', 'adaptive', 'throughput').winner === null),
        "that static's and adaptive's throughputs do not differ there",
      );
      claim(
        flagged.every((c) => PAPER_POLICIES.every((p) => unstablePct(c, p) === 100)),
        'that every run of every policy is flagged at 1.5 and 2 times the load',
      );
      claim(
        cells.every((c) => verdict(c, 'static', 'adaptive').winner === 'static'),
        'that static has the lower latency at every load',
      );
      return [
        input(1),
        ...quoted(verdict(at(1), 'static', 'adaptive').text),
        input(1.5),
        input(2),
        load(1.5, 'static', 'router'),
        input(1.5),
        load(1.5, 'static', 'retriever'),
        load(1.5, 'adaptive', 'planner'),
        load(1.5, 'adaptive', 'critic'),
        ...quoted(warning(at(1.5), 'static')),
        input(2),
        ...quoted(verdict(at(2), 'static', 'adaptive', 'throughput').text),
        // The same study 4 times longer: the flagged cells' latencies grow, the others' and the throughputs stay.
        input(LONG_FLEET_STEPS - s.warmup),
        input(s.steps - s.warmup),
        input(1),
        ...meanCi(stat(longAt(1), 'static')),
        ...meanCi(stat(at(1), 'static')),
        input(s.steps),
        input(2),
        fig(stat(at(2), 'static').mean),
        fig(stat(longAt(2), 'static').mean),
        fig(stat(at(2), 'adaptive').mean),
        fig(stat(longAt(2), 'adaptive').mean),
        fig(stat(longAt(2), 'static', 'throughput').mean),
        fig(stat(longAt(2), 'adaptive', 'throughput').mean),
        fig(stat(at(1), 'roundRobin').mean),
        input(0.5),
        input(1),
        input(5), // L_max·5/6: six agents, one served per step
        input(6),
      ];
    },
  },
  'robustness-setup': {
    command: 'sweeps/paper-robustness.json (its settings)',
    expect: () => {
      const s = study('paper-robustness') as { dt: number; steps: number; replicates: number };
      // Δt, the horizon, the replicates, α and the step (0) at which every signal starts from λ.
      return Promise.resolve([input(s.dt), input(s.dt * s.steps), input(s.replicates), input(0.2), input(0)]);
    },
  },
  'robustness-table': {
    command: 'fleetsim sweep sweeps/paper-robustness.json --backend cpu --out DIR',
    expect: async (ctx) => {
      const cells = await ctx.study('paper-robustness');
      return ROBUSTNESS_SCENARIOS.flatMap((scenario) => {
        const at = (sees: string): CellSummary => cellWith(cells, { scenario, 'allocator.sees': sees });
        return [
          ...meanCi(stat(at('nominal'), 'static')),
          fig(stat(at('nominal'), 'roundRobin').mean),
          ...meanCi(stat(at('nominal'), 'adaptive')),
          ...meanCi(stat(at('observed'), 'adaptive')),
          ...meanCi(stat(at('ema'), 'adaptive')),
        ];
      });
    },
  },
  'robustness-stability': {
    command: 'fleetsim sweep sweeps/paper-robustness.json --backend cpu --out DIR',
    expect: async (ctx) => {
      const cells = await ctx.study('paper-robustness');
      const s = study('paper-robustness') as { dt: number; steps: number };
      const at = (scenario: string): CellSummary => cellWith(cells, { scenario, 'allocator.sees': 'nominal' });
      const flagged = Math.min(...cells.flatMap((c) => PAPER_POLICIES.map((p) => unstablePct(c, p))));
      return [
        fig(flagged),
        input(cells.length),
        fig(maxLoad(at('baseline'), 'static')),
        fig(maxLoad(at('baseline'), 'adaptive')),
        fig(maxLoad(at('demand x3'), 'static')),
        fig(maxLoad(at('demand x3'), 'adaptive')),
        input(3),
        input(s.dt * s.steps),
        ...quoted(verdict(at('baseline'), 'static', 'adaptive').text),
      ];
    },
  },
  'robustness-findings': {
    command: 'fleetsim sweep sweeps/paper-robustness.json --backend cpu --out DIR',
    expect: async (ctx) => {
      const cells = await ctx.study('paper-robustness');
      const adaptive = (scenario: string, sees = 'nominal', metric = 'avgLatency'): number =>
        stat(cellWith(cells, { scenario, 'allocator.sees': sees }), 'adaptive', metric).mean;
      const base = adaptive('baseline');
      const load = PAPER_AGENTS.reduce((s, a) => s + a.lambda / a.T, 0);
      const skew = ROBUSTNESS_SCENARIOS[3]!;
      const s = study('paper-robustness') as { dt: number; steps: number };
      const skewLoad = (sees: string): number => maxLoad(cellWith(cells, { scenario: skew, 'allocator.sees': sees }), 'adaptive');
      return [
        input(3),
        fig(pct(adaptive('demand x3') / base - 1)),
        input(s.dt * s.steps),
        input(24), // the paper's claim
        fig(load),
        fig(pct(adaptive(ROBUSTNESS_SCENARIOS[2]!) / base - 1)),
        input(90),
        fig(adaptive(skew)),
        fig(adaptive(skew, 'observed')),
        fig(adaptive(skew, 'nominal', 'throughput')),
        fig(adaptive(skew, 'observed', 'throughput')),
        fig(skewLoad('nominal')),
        fig(skewLoad('observed')),
        input(s.dt * s.steps),
      ];
    },
  },
  'robustness-horizon': {
    command: `fleetsim sweep sweeps/paper-robustness.json --backend cpu --out DIR, and a copy with "steps": ${LONG_ROBUSTNESS_STEPS}`,
    slow: true,
    expect: async (ctx) => {
      const cells = await ctx.study('paper-robustness');
      const long = await ctx.study('paper-robustness', { steps: LONG_ROBUSTNESS_STEPS });
      const s = study('paper-robustness') as { dt: number; steps: number };
      const at = (list: CellSummary[], scenario: string, sees = 'nominal'): CellSummary =>
        cellWith(list, { scenario, 'allocator.sees': sees });
      const x3 = 'demand x3';
      const skew = ROBUSTNESS_SCENARIOS[3]!;
      claim(
        stat(at(cells, x3), 'static').mean < stat(at(cells, x3), 'roundRobin').mean &&
          stat(at(long, x3), 'static').mean > stat(at(long, x3), 'roundRobin').mean,
        'that static beats round-robin at demand x3 in 100 s and loses to it in 400 s',
      );
      const adaptiveLong = (scenario: string): number => stat(at(long, scenario), 'adaptive').mean;
      return [
        input(LONG_ROBUSTNESS_STEPS / s.steps),
        input(s.dt * LONG_ROBUSTNESS_STEPS),
        fig(stat(at(cells, 'baseline'), 'static').mean),
        fig(stat(at(long, 'baseline'), 'static').mean),
        input(3),
        fig(stat(at(long, x3), 'static').mean),
        fig(stat(at(long, x3), 'roundRobin').mean),
        input(3), // L_max·3/4: four agents, one served per step
        input(4),
        input(3),
        fig(pct(adaptiveLong(x3) / adaptiveLong('baseline') - 1)),
        fig(adaptiveLong('baseline')),
        fig(adaptiveLong(x3)),
        fig(stat(at(long, skew, 'observed'), 'adaptive', 'throughput').mean),
        fig(stat(at(cells, skew, 'observed'), 'adaptive', 'throughput').mean),
        input(s.dt * s.steps),
      ];
    },
  },
  'random-fleets-findings': {
    command: 'fleetsim sweep sweeps/random-fleets.json --backend cpu --out DIR',
    slow: true,
    expect: async (ctx) => {
      const cells = await ctx.study('random-fleets');
      const s = study('random-fleets') as {
        samples: number;
        replicates: number;
        steps: number;
        fleet: { random: { agents: { min: number; max: number } } };
      };
      const at999 = cellWith(cells, { lmax: 999 });
      const change = at999.pairs.find((p) => p.a === 'static' && p.b === 'adaptive')!.latencyChange!;
      const adaptive = stat(at999, 'adaptive');
      const lmaxes = [100, 999, 10000];
      claim(
        verdict(at999, 'roundRobin', 'adaptive').winner === null,
        'that the mean difference of round-robin and adaptive at L_max = 999 s holds 0',
      );
      return [
        input(s.samples),
        input(s.fleet.random.agents.min),
        input(s.fleet.random.agents.max),
        input(s.replicates),
        input(s.steps),
        ...lmaxes.map(input),
        ...PAPER_POLICIES.map((p) => fig(unstablePct(at999, p))),
        fig(maxLoad(at999, 'static')),
        fig(maxLoad(at999, 'adaptive')),
        input(s.steps),
        ...meanCi(stat(at999, 'static')),
        ...quoted(verdict(at999, 'static', 'adaptive').text),
        fig(pct(wins(at999, 'adaptive', 'static'))),
        fig(pct(change.p50)),
        fig(adaptive.mean),
        fig(adaptive.ci95[0]!),
        fig(adaptive.ci95[1]!),
        fig(adaptive.p50),
        fig(adaptive.p99),
        ...lmaxes.flatMap((lmax) => [fig(pct(wins(cellWith(cells, { lmax }), 'adaptive', 'roundRobin'))), input(lmax)]),
        input(999),
        ...quoted(verdict(at999, 'roundRobin', 'adaptive').text),
      ];
    },
  },
  'bursty-setup': {
    command: 'sweeps/bursty-workloads.json (its settings)',
    expect: () => {
      const s = study('bursty-workloads') as unknown as BurstyStudy & {
        fleet: { random: { agents: { min: number; max: number }; T: number; load: { min: number; max: number } } };
      };
      const r = s.fleet.random;
      const recorded = s.steps - s.warmup;
      // The settings, then the windows idc100 gets and the two Gamma CVs of the axis.
      return Promise.resolve(
        [s.samples, r.agents.min, r.agents.max, r.T, r.load.min, r.load.max, s.steps, 1, s.warmup, recorded, recorded / 100, 2, 4].map(
          input,
        ),
      );
    },
  },
  'bursty-table': {
    command: 'fleetsim sweep sweeps/bursty-workloads.json --backend cpu --out DIR',
    slow: true,
    expect: async (ctx) => {
      const cells = await ctx.study('bursty-workloads');
      const nominal = burstyNominalRate();
      return BURSTY_PROCESSES.flatMap((arrivals) => {
        const at = (sees: string): CellSummary => cellWith(cells, { arrivals, 'allocator.sees': sees });
        const base = at('nominal');
        return [
          fig(stat(base, 'static', 'realizedRate').mean / nominal),
          fig(stat(base, 'static', 'idc1').mean),
          fig(stat(base, 'static', 'idc100').mean),
          ...meanCi(stat(base, 'static')),
          fig(stat(base, 'roundRobin').mean),
          ...SIGNALS_SEEN.flatMap((sees) => meanCi(stat(at(sees), 'adaptive'))),
        ];
      });
    },
  },
  'bursty-stability': {
    command: 'fleetsim sweep sweeps/bursty-workloads.json --backend cpu --out DIR',
    slow: true,
    expect: async (ctx) => {
      const cells = await ctx.study('bursty-workloads');
      claim(
        cells.every((c) => unstablePct(c, 'roundRobin') === unstablePct(c, 'static')),
        "that round-robin's fractions of unstable runs equal static's",
      );
      return BURSTY_PROCESSES.flatMap((arrivals) => {
        const at = (sees: string): CellSummary => cellWith(cells, { arrivals, 'allocator.sees': sees });
        const flags = (cell: CellSummary, policy: string): Expectation[] => [fig(unstablePct(cell, policy)), fig(maxLoad(cell, policy))];
        return [...flags(at('nominal'), 'static'), ...SIGNALS_SEEN.flatMap((sees) => flags(at(sees), 'adaptive'))];
      });
    },
  },
  'bursty-wins': {
    command: 'fleetsim sweep sweeps/bursty-workloads.json --backend cpu --out DIR',
    slow: true,
    expect: async (ctx) => {
      const cells = await ctx.study('bursty-workloads');
      return BURSTY_PROCESSES.flatMap((arrivals) => {
        const at = (sees: string): CellSummary => cellWith(cells, { arrivals, 'allocator.sees': sees });
        return [
          ...SIGNALS_SEEN.map((sees) => fig(pct(wins(at(sees), 'adaptive', 'static')))),
          ...SIGNALS_SEEN.map((sees) => fig(pct(wins(at(sees), 'adaptive', 'roundRobin')))),
          fig(pct(wins(at('nominal'), 'static', 'roundRobin'))),
        ];
      });
    },
  },
  'bursty-findings': {
    command: 'fleetsim sweep sweeps/bursty-workloads.json --backend cpu --out DIR (and a copy with "steps": 600)',
    slow: true,
    expect: async (ctx) => {
      const cells = await ctx.study('bursty-workloads');
      const short = await ctx.study('bursty-workloads', { steps: 600 }); // the run-length comparison
      const at = (arrivals: string, sees = 'nominal'): CellSummary => cellWith(cells, { arrivals, 'allocator.sees': sees });
      const mean = (arrivals: string, policy: string, metric = 'avgLatency', sees = 'nominal'): number =>
        stat(at(arrivals, sees), policy, metric).mean;
      const nominal = burstyNominalRate();
      const rateGap = (arrivals: string): number => pct(Math.abs(mean(arrivals, 'static', 'realizedRate') / nominal - 1));
      const adaptiveWins = BURSTY_PROCESSES.flatMap((a) => SIGNALS_SEEN.map((sees) => wins(at(a, sees), 'adaptive', 'static')));
      const backlog = (policy: string): number[] => BURSTY_PROCESSES.map((a) => mean(a, policy, 'finalQueue'));
      const [poisson, , cv4, mmpp, replay] = BURSTY_PROCESSES as [string, string, string, string, string];
      const staticFlags = BURSTY_PROCESSES.map((a) => unstablePct(at(a), 'static'));
      const adaptiveFlags = BURSTY_PROCESSES.map((a) => unstablePct(at(a), 'adaptive'));
      claim(unstablePct(at(mmpp), 'static') === Math.max(...staticFlags), "that static's runs are flagged most under the MMPP");
      return [
        // The ranking; what burstiness does to static; adaptive's backlog.
        fig(mean(cv4, 'static') / mean(poisson, 'static')),
        input(4),
        fig(pct(Math.max(...adaptiveWins))),
        fig(mean(poisson, 'adaptive', 'finalQueue')),
        fig(mean(poisson, 'static', 'finalQueue')),
        ...quoted(verdict(at(poisson), 'static', 'adaptive').text),
        // The signals.
        input(2),
        input(4),
        fig(mean(cv4, 'adaptive', 'avgLatency', 'observed')),
        fig(mean(cv4, 'adaptive')),
        fig(pct(wins(at(cv4, 'observed'), 'adaptive', 'static'))),
        fig(unstablePct(at(cv4, 'observed'), 'adaptive')),
        fig(unstablePct(at(cv4), 'adaptive')),
        input(4),
        fig(mean(cv4, 'adaptive', 'avgLatency', 'ema')),
        // Equal mean load: the processes but the replay, then the replay.
        fig(Math.max(...BURSTY_PROCESSES.filter((a) => a !== replay).map(rateGap))),
        fig(rateGap(replay)),
        // Run length and L_max.
        fig(Math.max(...backlog('static'))),
        fig(Math.max(...staticFlags)),
        fig(unstablePct(at(poisson), 'static')),
        fig(Math.min(...adaptiveFlags)),
        fig(Math.max(...adaptiveFlags)),
        fig(Math.min(...backlog('adaptive'))),
        fig(Math.max(...backlog('adaptive'))),
        input(1100),
        input(500),
        fig(stat(cellWith(short, { arrivals: poisson, 'allocator.sees': 'nominal' }), 'adaptive').mean),
        fig(mean(poisson, 'adaptive')),
        fig(stat(cellWith(short, { arrivals: poisson, 'allocator.sees': 'nominal' }), 'static').mean),
        fig(mean(poisson, 'static')),
        input(600),
        fig(mean(poisson, 'roundRobin')),
        input(0.05),
      ];
    },
  },
  'atlas-setup': {
    command: 'sweeps/policy-atlas.json (its settings)',
    expect: () => {
      const s = study('policy-atlas') as unknown as AtlasStudy;
      const r = s.fleet.random;
      return Promise.resolve(
        [
          s.samples,
          r.agents.min,
          r.agents.max,
          r.T.min,
          r.T.max,
          r.R.min,
          r.R.max,
          r.P.values[0]!,
          r.P.values.at(-1),
          ...ATLAS_LOADS,
          4, // the Gamma arrivals' CV (the axis's second variant)
          s.steps,
          s.dt,
          s.warmup,
          100 * atlasHub().out,
          100 * atlasHub().back,
        ].map(input),
      );
    },
  },
  'atlas-latency': {
    command: 'fleetsim sweep sweeps/policy-atlas.json --backend cpu --out DIR',
    slow: true,
    expect: async (ctx) => {
      const cells = await ctx.study('policy-atlas');
      const policies = (study('policy-atlas') as unknown as AtlasStudy).policies;
      return ATLAS_ARRIVALS.flatMap((arrivals) =>
        ATLAS_LOADS.flatMap((load) => policies.map((p) => fig(stat(atlasCell(cells, load, arrivals), p, 'littleLatency').mean))),
      );
    },
  },
  'atlas-throughput': {
    command: 'fleetsim sweep sweeps/policy-atlas.json --backend cpu --out DIR',
    slow: true,
    expect: async (ctx) => {
      const cells = await ctx.study('policy-atlas');
      const shown = ['static', 'adaptive', 'maxMinFair', 'adaptiveQueue'];
      return ATLAS_ARRIVALS.flatMap((arrivals) =>
        ATLAS_LOADS.flatMap((load) => {
          const cell = atlasCell(cells, load, arrivals);
          return [
            ...shown.map((p) => fig(stat(cell, p, 'throughput').mean)),
            ...shown.map((p) => fig(unstablePct(cell, p))),
            fig(pct(stat(cell, 'adaptive', 'minViolationFraction').mean)),
          ];
        }),
      );
    },
  },
  'paper-workflow-table': {
    command: 'fleetsim sweep sweeps/paper-workflow.json --backend cpu --out DIR',
    slow: true,
    expect: async (ctx) => {
      const cells = await ctx.study('paper-workflow');
      // docs/workflows.md's loads Σγ/T = 3.18 × loadScale: 0.32, 0.64 and 0.95.
      const at = (loadScale: number): CellSummary => cellWith(cells, { loadScale });
      const [low, mid, high] = [at(0.1), at(0.2), at(0.3)];
      const policies = (study('paper-workflow') as { policies: string[] }).policies;
      const e2e = (cell: CellSummary, policy: string): number => stat(cell, policy, 'e2eLatency').mean;
      // The findings under the table.
      for (const cell of [low, mid, high])
        claim(
          policies.every((p) => p === 'maxMinFair' || e2e(cell, p) > e2e(cell, 'maxMinFair')),
          'that maxMinFair has the lowest end-to-end latency at every load',
        );
      const avg = policies.map((p) => stat(mid, p, 'avgLatency').mean).sort((a, b) => b - a);
      claim(avg[1] === stat(mid, 'maxMinFair').mean, "that maxMinFair's avgLatency is the highest but round-robin's");
      claim(
        Math.abs(agentStat(mid, 'adaptiveWaterfill', 'coordinator', 'share').mean - 0.1) < 1e-6,
        'that adaptiveWaterfill holds the coordinator at its minimum share',
      );
      claim(
        unstablePct(high, 'maxMinFair') === 0 && unstablePct(high, 'adaptiveQueue') === 0 && unstablePct(high, 'adaptive') > 0,
        'that no maxMinFair or adaptiveQueue run is flagged at load 0.95, and some adaptive runs are',
      );
      claim(
        Math.abs(e2e(high, 'adaptiveQueue') / e2e(high, 'adaptive') - 0.5) < 0.05,
        "that adaptiveQueue's end-to-end latency is half adaptive's at load 0.95",
      );
      return policies.flatMap((p) => [
        fig(e2e(low, p)),
        fig(e2e(mid, p)),
        fig(e2e(high, p)),
        fig(stat(mid, p).mean),
        fig(agentStat(mid, p, 'coordinator', 'share').mean),
        fig(unstablePct(high, p)),
      ]);
    },
  },
  'atlas-workflow-hops': {
    command: 'sweeps/policy-atlas.json (its hub workflow)',
    expect: () => {
      const s = study('policy-atlas') as unknown as AtlasStudy;
      const { out, back } = atlasHub();
      const first = 1 / (1 - out * back); // visits to the first agent per outside request
      const hops = first + out * first - 1; // every visit but the first is a hop
      return Promise.resolve([input(s.dt), fig(hops), input(1), input(1), input(out), input(back), fig(first), input(out), fig(hops)]);
    },
  },
  'atlas-workflow': {
    command: 'fleetsim sweep sweeps/policy-atlas.json --backend cpu --out DIR',
    slow: true,
    expect: async (ctx) => {
      const cells = await ctx.study('policy-atlas');
      const policies = (study('policy-atlas') as unknown as AtlasStudy).policies;
      return ATLAS_ARRIVALS.flatMap((arrivals) =>
        ATLAS_LOADS.flatMap((load) => policies.map((p) => fig(stat(atlasCell(cells, load, arrivals, 'hub'), p, 'e2eLatency').mean))),
      );
    },
  },
  'atlas-workflow-findings': {
    command: 'fleetsim sweep sweeps/policy-atlas.json --backend cpu --out DIR',
    slow: true,
    expect: async (ctx) => {
      const cells = await ctx.study('policy-atlas');
      const s = study('policy-atlas') as unknown as AtlasStudy;
      const [poisson] = ATLAS_ARRIVALS;
      const hub = (load: number): CellSummary => atlasCell(cells, load, poisson, 'hub');
      const e2e = (load: number, policy: string): number => stat(hub(load), policy, 'e2eLatency').mean;
      const policies = (study('policy-atlas') as unknown as AtlasStudy).policies;
      const best = (load: number): string => policies.reduce((b, p) => (e2e(load, p) < e2e(load, b) ? p : b));
      claim(
        ATLAS_LOADS.every((l) => ['maxMinFair', 'mps'].includes(best(l))),
        'that maxMinFair or mps has the lowest end-to-end latency at every load of the hub workflow',
      );
      return [
        input(2),
        fig(e2e(2, 'maxMinFair')),
        fig(e2e(2, 'adaptive')),
        fig(stat(atlasCell(cells, 2, poisson), 'maxMinFair', 'littleLatency').mean),
        fig(stat(atlasCell(cells, 2, poisson), 'adaptive', 'littleLatency').mean),
        input(1),
        fig(e2e(1, 'maxMinFair')),
        fig(e2e(1, 'adaptive')),
        fig(e2e(1, 'static')),
        input(0.2),
        fig(e2e(0.2, 'maxMinFair')),
        input(s.steps - s.warmup),
        input(1),
      ];
    },
  },
  'atlas-findings': {
    command: 'fleetsim sweep sweeps/policy-atlas.json --backend cpu --out DIR',
    slow: true,
    expect: async (ctx) => {
      const cells = await ctx.study('policy-atlas');
      const s = study('policy-atlas') as unknown as AtlasStudy;
      const [poisson, gamma] = ATLAS_ARRIVALS;
      const at = (load: number, arrivals: string = poisson): CellSummary => atlasCell(cells, load, arrivals);
      const late = (load: number, policy: string, arrivals: string = poisson): number =>
        stat(at(load, arrivals), policy, 'littleLatency').mean;
      const all = ATLAS_ARRIVALS.flatMap((a) => ATLAS_LOADS.map((l) => at(l, a)));
      claim(
        all.every((c) => Math.abs(stat(c, 'mps', 'littleLatency').mean - stat(c, 'maxMinFair', 'littleLatency').mean) < 1),
        'that mps stays within a fraction of a second of maxMinFair in every cell',
      );
      claim(
        [2, 3].every((l) =>
          ATLAS_ARRIVALS.every((a) => unstablePct(at(l, a), 'maxMinFair') === 100 && unstablePct(at(l, a), 'static') === 100),
        ),
        "that every policy's queues grow in overload",
      );
      claim(
        all.every((c) => stat(c, 'adaptiveWaterfill', 'minViolationFraction').mean === 0),
        'that water-filling never leaves an agent below its minimum share',
      );
      const starved = all.map((c) => pct(stat(c, 'adaptive', 'minViolationFraction').mean));
      claim(Math.max(...starved) - Math.min(...starved) < 0.05, "that the paper's allocator starves as often in every cell");
      const above = Math.max(
        ...all.map((c) => stat(c, 'adaptiveWaterfill', 'littleLatency').mean - stat(c, 'adaptive', 'littleLatency').mean),
      );
      return [
        // Below overload.
        input(1),
        fig(late(1, 'maxMinFair')),
        fig(late(1, 'static')),
        fig(late(1, 'adaptive')),
        fig(unstablePct(at(1), 'maxMinFair')),
        fig(unstablePct(at(1), 'adaptive')),
        fig(stat(at(1), 'maxMinFair', 'throughput').mean),
        fig(stat(at(1), 'static', 'throughput').mean),
        fig(stat(at(1), 'adaptive', 'throughput').mean),
        ...quoted(verdict(at(1), 'maxMinFair', 'adaptive', 'littleLatency').text),
        // Overload.
        input(2),
        input(3),
        fig(late(2, 'adaptive')),
        input(2),
        fig(late(2, 'maxMinFair')),
        fig(stat(at(2), 'adaptive', 'throughput').mean),
        fig(stat(at(2), 'maxMinFair', 'throughput').mean),
        input(s.steps - s.warmup),
        // The paper's allocator starves; water-filling and the queue feedback.
        fig(starved[0]!),
        fig(above),
        input(s.allocator?.queueTau ?? DEFAULT_QUEUE_TAU),
        input(1),
        fig(late(1, 'adaptive')),
        fig(late(1, 'adaptiveQueue')),
        // Bursty arrivals.
        input(1),
        fig(late(1, 'maxMinFair')),
        fig(late(1, 'maxMinFair', gamma)),
        input(4),
        fig(unstablePct(at(1, gamma), 'maxMinFair')),
        // Why not avgLatency: share 0 scored L_max, and the policies that give an idle agent share 0.
        input(0),
        input(999),
        input(0),
        input(0.2),
        fig(stat(at(0.2), 'maxMinFair', 'avgLatency').mean),
        fig(late(0.2, 'maxMinFair')),
      ];
    },
  },
  'montecarlo-setup': {
    command: 'sweeps/montecarlo.json (its settings)',
    expect: () => {
      const s = study('montecarlo') as { samples: number; steps: number; fleet: { random: { agents: { min: number; max: number } } } };
      return Promise.resolve([s.samples, s.fleet.random.agents.min, s.fleet.random.agents.max, s.steps].map(input));
    },
  },
  'montecarlo-table': {
    command: 'fleetsim montecarlo --backend cpu (= fleetsim sweep sweeps/montecarlo.json)',
    expect: async (ctx) => {
      const cell = (await ctx.study('montecarlo'))[0]!;
      return PAPER_POLICIES.flatMap((p) => [
        ...meanCi(stat(cell, p)),
        fig(stat(cell, p, 'throughput').mean),
        fig(stat(cell, p, 'utilization').mean),
      ]);
    },
  },
  'montecarlo-stability': {
    command: 'fleetsim sweep sweeps/montecarlo.json --backend cpu --out DIR (its unstable and maxLoad)',
    expect: async (ctx) => {
      const cell = (await ctx.study('montecarlo'))[0]!;
      const s = study('montecarlo') as { steps: number };
      return [...PAPER_POLICIES.map((p) => fig(unstablePct(cell, p))), ...PAPER_POLICIES.map((p) => fig(maxLoad(cell, p))), input(s.steps)];
    },
  },
  'montecarlo-findings': {
    command: 'fleetsim montecarlo --backend cpu (its verdicts: fleetsim sweep sweeps/montecarlo.json --out DIR)',
    expect: async (ctx) => {
      const cell = (await ctx.study('montecarlo'))[0]!;
      const mean = (p: string, m = 'avgLatency'): number => stat(cell, p, m).mean;
      return [
        fig(pct(wins(cell, 'adaptive', 'static'))),
        fig(pct(wins(cell, 'adaptive', 'roundRobin'))),
        fig(mean('adaptive') / mean('static')),
        ...quoted(verdict(cell, 'static', 'adaptive').text),
        fig(mean('adaptive', 'throughput')),
        fig(mean('static', 'throughput')),
        ...quoted(verdict(cell, 'static', 'adaptive', 'throughput').text),
      ];
    },
  },
  'load-curve-setup': {
    command: 'sweeps/load-curve.json (its settings)',
    expect: () => {
      const s = study('load-curve') as {
        samples: number;
        steps: number;
        warmup: number;
        axes: { values: number[] }[];
        fleet: { random: { agents: number } };
      };
      const loads = s.axes[0]!.values;
      return Promise.resolve([s.samples, s.fleet.random.agents, loads[0]!, loads[loads.length - 1]!, s.steps, s.warmup].map(input));
    },
  },
  'load-curve-table': {
    command: 'fleetsim sweep sweeps/load-curve.json --backend cpu --out DIR',
    expect: async (ctx) => {
      const cells = await ctx.study('load-curve');
      return [0.2, 0.6, 1, 2, 3].flatMap((load) => {
        const cell = cellWith(cells, { 'fleet.random.load': load });
        const both = (m: string): Expectation[] => ['static', 'adaptive'].map((p) => fig(stat(cell, p, m).mean));
        return [
          ...both('avgLatency'),
          ...both('throughput'),
          ...both('utilization'),
          fig(pct(wins(cell, 'adaptive', 'static'))),
          ...both('maxLoad'),
          ...['static', 'adaptive'].map((p) => fig(unstablePct(cell, p))),
        ];
      });
    },
  },
  'load-curve-findings': {
    command: 'fleetsim sweep sweeps/load-curve.json --backend cpu --out DIR',
    expect: async (ctx) => {
      const cells = await ctx.study('load-curve');
      const last = cells[cells.length - 1]!;
      const lmax = (study('load-curve').lmax as number | undefined) ?? 999;
      const gain = Math.max(...cells.map((c) => stat(c, 'adaptive', 'throughput').mean / stat(c, 'static', 'throughput').mean - 1));
      const s = study('load-curve') as { steps: number; warmup: number; fleet: { random: { agents: number } } };
      const at = (load: number): CellSummary => cellWith(cells, { 'fleet.random.load': load });
      const rho = (c: CellSummary): number => c.values['fleet.random.load'] as number;
      // The first load factor from which every run of static and adaptive is flagged.
      const allFlagged = cells.filter((c, k) =>
        cells.slice(k).every((d) => unstablePct(d, 'static') === 100 && unstablePct(d, 'adaptive') === 100),
      );
      claim(
        cells.every((c) => stat(c, 'static').mean < stat(c, 'adaptive').mean),
        'that static has the lower mean latency at every load factor',
      );
      claim(
        cells.every((c) => unstablePct(c, 'roundRobin') === unstablePct(c, 'static')),
        "that round-robin's fractions of unstable runs equal static's",
      );
      return [
        input(s.fleet.random.agents), // an agent's load under static: N·λ_i/T_i
        fig(unstablePct(at(0.4), 'static')),
        input(0.4),
        fig(unstablePct(at(0.6), 'static')),
        input(0.6),
        fig(rho(allFlagged[0]!)),
        input(s.steps - s.warmup),
        input(0.2),
        ...quoted(verdict(at(0.2), 'static', 'adaptive').text),
        input(0.6), // where the table's latency gap opens: a reading of the table
        fig(stat(last, 'adaptive', 'utilization').mean),
        fig(stat(last, 'static', 'utilization').mean),
        input(rho(last)),
        fig(pct(gain)),
        input(1),
        ...quoted(verdict(at(1), 'static', 'adaptive', 'throughput').text),
        input(3),
        input(4),
        approx((lmax * 3) / 4, 5), // "≈ 750 s": the round-robin means run 749–772 s (the table's cells)
      ];
    },
  },

  'load-curve-horizon': {
    command: `fleetsim sweep sweeps/load-curve.json --backend cpu --out DIR, and a copy with "steps": ${LONG_LOAD_CURVE_STEPS}`,
    slow: true,
    expect: async (ctx) => {
      const cells = await ctx.study('load-curve');
      const long = await ctx.study('load-curve', { steps: LONG_LOAD_CURVE_STEPS });
      const s = study('load-curve') as { steps: number; warmup: number };
      const at = (list: CellSummary[], load: number): CellSummary => cellWith(list, { 'fleet.random.load': load });
      const mean = (list: CellSummary[], load: number, policy: string, metric = 'avgLatency'): number =>
        stat(at(list, load), policy, metric).mean;
      const growth = [1, 3].flatMap((load) => ['static', 'adaptive'].map((p) => mean(long, load, p) / mean(cells, load, p)));
      claim(
        growth.every((g) => g > 2.5 && g < 3.5),
        'that the flagged latencies grow about threefold',
      );
      claim(
        mean(cells, 3, 'static') < mean(cells, 3, 'roundRobin') && mean(long, 3, 'static') > mean(long, 3, 'roundRobin'),
        'that static beats round-robin at load factor 3 in 250 recorded steps and loses to it in 1,000',
      );
      return [
        input((LONG_LOAD_CURVE_STEPS - s.warmup) / (s.steps - s.warmup)),
        input(LONG_LOAD_CURVE_STEPS - s.warmup),
        input(1),
        fig(mean(long, 1, 'static')),
        fig(mean(long, 1, 'adaptive')),
        fig(mean(cells, 1, 'static')),
        fig(mean(cells, 1, 'adaptive')),
        input(s.steps - s.warmup),
        fig(mean(long, 1, 'static', 'throughput')),
        fig(mean(long, 1, 'adaptive', 'throughput')),
        fig(mean(cells, 1, 'static', 'throughput')),
        fig(mean(cells, 1, 'adaptive', 'throughput')),
        input(3),
        fig(mean(long, 3, 'static')),
        fig(mean(long, 3, 'roundRobin')),
      ];
    },
  },

  // ---- Performance (README): provenance in bench/results/ and bench/NOTES.md ----
  'bench-commands': {
    command: `the options of npm run bench, bench:sweep and bench:memory (${SUITE}, ${SWEEP_BENCH_NOW}, ${MEMORY_BENCH})`,
    expect: () => {
      const s = suite();
      const memory = json(MEMORY_BENCH) as MemoryBenchFile;
      const sweep = json(SWEEP_BENCH_NOW) as SweepBenchFile; // run with bench:sweep's defaults
      const maxAgents = Math.max(...s.allocator.map((a) => a.agents));
      return Promise.resolve([
        input(16),
        input(64),
        input(s.environment.options.steps),
        input(10),
        input(100),
        input(maxAgents),
        input(sweep.study.replicates),
        input(sweep.study.steps),
        input(memory.study.samples),
      ]);
    },
  },
  'bench-arrivals-setup': {
    command: `npm run bench -- --workloads 'paper-static*' --budget 3 --repeats 3 (provenance: ${ARRIVALS_SUITE})`,
    expect: () => {
      const s = json(ARRIVALS_SUITE) as SuiteFile;
      const costs = arrivalCosts();
      const fleets = [...new Set(costs.map((c) => c.fleets))].sort((a, b) => a - b);
      const at = (w: string): number => costs.find((c) => c.workload === `paper-static-${w}`)!.fleets;
      return Promise.resolve([
        input(s.environment.cores),
        ...fleets.map(input),
        input(at('gamma2')),
        input(at('mmpp')),
        ...fleets.map(input), // the GPU at 100 fleets is launch-bound; NOTES.md's run at 1,000
        input(E_LOOP_GAMMA), // the renewal event loop (src/random/renewal.ts)
      ]);
    },
  },
  'bench-arrivals-table': {
    command: `npm run bench -- --workloads 'paper-static*' --budget 3 --repeats 3 (provenance: ${ARRIVALS_SUITE})`,
    expect: () => {
      const costs = arrivalCosts();
      const rows = ['gamma2', 'gamma4', 'weibull2', 'mmpp', 'replay', 'tracepoisson'].flatMap((w) =>
        ['gpu', 'cpu-1', 'cpu-2'].flatMap((backend) => {
          const c = costs.find((x) => x.workload === `paper-static-${w}` && x.backend === backend);
          if (c === undefined) throw new Error(`${ARRIVALS_SUITE}: no arrivalCost for paper-static-${w} on ${backend}`);
          return [fig(c.agentStepsPerSecond / 1e6), fig(c.relativeCost)];
        }),
      );
      return Promise.resolve(rows);
    },
  },
  'bench-suite-setup': {
    command: SUITE,
    expect: () => {
      const s = suite();
      return Promise.resolve([input(s.environment.cores), input(s.environment.options.repeats)]);
    },
  },
  'bench-suite-table': {
    command: `npm run bench -- --budget 10 --repeats 2 (provenance: ${SUITE})`,
    expect: () => {
      const s = suite();
      const paper = ['paper-static', 'paper-roundRobin', 'paper-adaptive'].flatMap((w) => {
        const [g, c1, c2, n] = ['gpu', 'cpu-1', 'cpu-2', 'numpy'].map((b) => rate(s, w, b, 1e5)) as [number, number, number, number];
        return [g, c1, c2, n, g / c1, g / n].map(fig);
      });
      const random = ['random16', 'random64'].flatMap((w) => {
        const [g, c1, c2] = ['gpu', 'cpu-1', 'cpu-2'].map((b) => rate(s, w, b, 1e4)) as [number, number, number];
        return [g, c1, c2, g / c1].map(fig);
      });
      return Promise.resolve([...paper, ...random]);
    },
  },
  'bench-against-targets': {
    command: `npm run bench (provenance: ${SUITE}; bench:engine in bench/NOTES.md)`,
    expect: () => {
      const s = suite();
      const policies = ['paper-static', 'paper-roundRobin', 'paper-adaptive'];
      const at = (w: string, b: string): number => rate(s, w, b, 1e5);
      return Promise.resolve([
        ...range(policies.map((w) => at(w, 'gpu') / at(w, 'cpu-1'))),
        input(1e5),
        input(10), // the performance issue's target
        ...range(policies.map((w) => at(w, 'gpu') / at(w, 'numpy'))),
        input(8), // AVX2: 8 f32 lanes per core
        ...range(policies.map((w) => at(w, 'cpu-1'))),
        ...inNotes('25', '28'),
        input(s.environment.cores),
        fig(policies.reduce((sum, w) => sum + at(w, 'cpu-2') / at(w, 'cpu-1'), 0) / policies.length),
        ...inNotes('1.8', '1.95'),
      ]);
    },
  },
  'bench-notes-figures': {
    command: 'npm run bench:gpu -- 10000 5 --paper-only (provenance: bench/NOTES.md)',
    expect: () => Promise.resolve([input(3), ...inNotes('52.6', '52.8', '7.2', '7.8', '80', '82')]),
  },
  'bench-cold-scaling': {
    command: `npm run bench (provenance: ${SUITE})`,
    expect: () => {
      const s = suite();
      const exps = (k: string): Expectation[] => range(Object.values(s.scaling).flatMap((b) => (b[k] === undefined ? [] : [b[k]])));
      return Promise.resolve([fig(s.coldStart.total), ...exps('fleets'), ...exps('steps'), ...exps('agents')]);
    },
  },
  'bench-allocator': {
    command: `npm run bench (provenance: ${SUITE}, its allocator rows)`,
    expect: () => {
      const a = suite().allocator;
      const row = (n: number): (typeof a)[number] => a.find((x) => x.agents === n)!;
      const under1ms = Math.max(...a.filter((x) => x.cpuMicros < 1000).map((x) => x.agents));
      return Promise.resolve([
        fig(row(4).cpuMicros),
        input(4),
        fig(row(1e6).cpuMicros / 1000),
        input(1e6),
        fig(Math.max(...a.filter((x) => x.agents <= 4096).map((x) => x.gpuMicros)) / 1000),
        input(4096),
        fig(row(1e6).gpuMicros / 1000),
        input(1e6),
        input(1),
        fig(under1ms),
        fig(row(4096).gpuMicros / 1000),
      ]);
    },
  },
  'bench-wide': {
    command: 'npm run bench:wide (provenance: bench/NOTES.md)',
    expect: () => Promise.resolve([input(1024), input(4096), ...inNotes('8', '23')]),
  },
  'bench-sweep-setup': {
    command: `${SWEEP_BENCH_NOW}, ${SWEEP_BENCH_1000}`,
    expect: () => {
      const b = json(SWEEP_BENCH_NOW) as SweepBenchFile;
      const c = json(SWEEP_BENCH_1000) as SweepBenchFile;
      return Promise.resolve([
        input(b.study.replicates),
        input(b.study.steps),
        input(3),
        input(14),
        input(c.study.replicates),
        input(c.study.steps),
      ]);
    },
  },
  'bench-sweep-table': {
    command: `npm run bench:sweep and npm run bench:sweep -- 20000 1000 (provenance: ${SWEEP_BENCH_NOW}, ${SWEEP_BENCH_1000})`,
    expect: () =>
      Promise.resolve(
        [SWEEP_BENCH_NOW, SWEEP_BENCH_1000].flatMap((file) => {
          const b = json(file) as SweepBenchFile;
          return ['gpu', 'cpu'].flatMap((backend) => {
            const r = b.rows.find((x) => x.backend === backend)!;
            return [
              input(b.study.steps),
              fig(r.fleetRunsPerSecond),
              fig(pct(r.overhead)),
              fig(r.totalSeconds - r.rawEngineSeconds),
              fig(r.peakRssMiB),
            ];
          });
        }),
      ),
  },
  'bench-sweep-findings': {
    command: `npm run bench:sweep (provenance: ${SWEEP_BENCH_NOW}; the earlier run: ${SWEEP_BENCH})`,
    expect: () => {
      const before = json(SWEEP_BENCH) as SweepBenchFile;
      const overhead = (backend: string): Expectation => fig(pct(before.rows.find((x) => x.backend === backend)!.overhead));
      return Promise.resolve([
        input(150),
        input(6),
        input(100),
        input(14),
        input(10),
        input(100),
        input(1000),
        input(20000),
        input(2),
        input(4),
        overhead('gpu'),
        overhead('cpu'),
      ]);
    },
  },
  'bench-memory': {
    command: `npm run bench:memory (provenance: ${MEMORY_BENCH}, ${MEMORY_BENCH_RERUN})`,
    expect: () => {
      const m = json(MEMORY_BENCH) as MemoryBenchFile;
      const again = json(MEMORY_BENCH_RERUN) as MemoryBenchFile;
      const rss = m.trajectory.map((t) => t.rssMiB);
      return Promise.resolve([
        input(m.study.samples),
        input(m.study.fleet.random.agents.min),
        input(m.study.fleet.random.agents.max),
        input(3),
        fig(m.seconds),
        fig(m.peakRssMiB),
        ...range(rss),
        input(14),
        fig(again.seconds),
        fig(again.peakRssMiB),
        ...range(again.trajectory.map((t) => t.rssMiB)),
        input(14),
        input(512),
      ]);
    },
  },
  'bench-peers-table': {
    command: `npm run bench:peers (provenance: ${PEERS_BENCH})`,
    expect: () => {
      const b = json(PEERS_BENCH) as PeersBenchFile;
      return Promise.resolve(
        [0, 1].flatMap((w) =>
          PEER_PAIRS.flatMap(([mine, peer]) => {
            const a = peerRate(b, w, mine);
            const p = peerRate(b, w, peer);
            return [fig(a), fig(p), fig(a / p)];
          }),
        ),
      );
    },
  },
  'bench-peers-findings': {
    command: `npm run bench:peers and npm run bench:sweep (provenance: ${PEERS_BENCH}, ${SWEEP_BENCH_NOW}, ${SWEEP_BENCH_1000})`,
    expect: () => {
      const b = json(PEERS_BENCH) as PeersBenchFile;
      const ratio = (w: number, [mine, peer]: readonly [string, string]): Expectation => fig(peerRate(b, w, mine) / peerRate(b, w, peer));
      const overheadIn =
        (file: string) =>
        (backend: string): Expectation =>
          fig(pct((json(file) as SweepBenchFile).rows.find((x) => x.backend === backend)!.overhead));
      const overhead = overheadIn(SWEEP_BENCH_NOW);
      const overhead1000 = overheadIn(SWEEP_BENCH_1000);
      return Promise.resolve([
        ratio(0, PEER_PAIRS[0]),
        ratio(1, PEER_PAIRS[0]),
        ratio(0, PEER_PAIRS[1]),
        ratio(1, PEER_PAIRS[1]),
        ratio(0, PEER_PAIRS[2]),
        ratio(1, PEER_PAIRS[2]),
        ...inNotes('126', '134', '1.2', '1.6'),
        input(2.4),
        input(1e8),
        input(2),
        input(100),
        input(100),
        overhead('gpu'),
        overhead('cpu'),
        input(2),
        input(20000),
        input(1000),
        overhead1000('gpu'),
        overhead1000('cpu'),
      ]);
    },
  },
  ...QUEUEING_CHECKS,
  ...GPU_POOL_CHECKS,
};
