/**
 * README.md's findings of `sweeps/gpu-pool.json` (placement against one pool, MODEL-PART4 §4.5): its
 * settings read back from the study file, and its figures from the sweep on the CPU engine.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PAPER_AGENTS } from '../../src/model/paper.js';
import { POLICIES } from '../../src/model/policies.js';
import { packageRoot } from '../../src/platform/node.js';
import type { CellSummary } from '../../src/sweep/aggregate.js';
import { type Check, type Expectation, fig, input } from './figures.js';

const COMMAND = 'fleetsim sweep sweeps/gpu-pool.json --backend cpu --out DIR';

interface PoolStudy {
  samples: number;
  steps: number;
  warmup: number;
  dt: number;
  policies: string[];
  axes: {
    name?: string;
    path?: string;
    values?: (number | string)[];
    variants?: { label: string; set: Record<string, unknown> }[];
  }[];
}
const poolStudy = (): PoolStudy => JSON.parse(readFileSync(join(packageRoot(), 'sweeps', 'gpu-pool.json'), 'utf8')) as PoolStudy;
const variant = (axis: string, label: string): Record<string, unknown> => {
  const set = poolStudy()
    .axes.find((a) => a.name === axis)
    ?.variants?.find((v) => v.label === label)?.set;
  if (set === undefined) throw new Error(`sweeps/gpu-pool.json: no ${axis} variant "${label}"`);
  return set;
};
const values = (path: string): (number | string)[] => {
  const v = poolStudy().axes.find((a) => a.path === path)?.values;
  if (v === undefined) throw new Error(`sweeps/gpu-pool.json: no axis ${path}`);
  return v;
};
const minMax = (d: unknown): [number, number] => {
  const x = d as { min?: number; max?: number };
  if (x.min === undefined || x.max === undefined) throw new Error('expected a distribution with min and max');
  return [x.min, x.max];
};
const claim = (holds: boolean, what: string): void => {
  if (!holds) throw new Error(`the text says ${what}, the results do not`);
};

/** The paper preset's Σλ/T: the random fleets' `load`, so that loadScale means the same fleet load. */
const PAPER_LOAD = PAPER_AGENTS.reduce((sum, a) => sum + a.lambda / a.T, 0);
const [LOW, HIGH] = [0.25, 0.5] as const;
const WARM = 'always warm';
const SERVERLESS = 'serverless T4';
const LARGER = 'paper x4 models';
/** The README table's rows (fleet, GPUs, loadScale) and columns. */
const ROWS: readonly [string, number, number][] = [
  ['paper', 2, LOW],
  ['paper', 2, HIGH],
  ['random', 2, LOW],
  ['random', 2, HIGH],
  ['random', 4, LOW],
  ['random', 4, HIGH],
];
const COLUMNS = ['static', 'adaptive', 'adaptiveWaterfill', 'maxMinFair'];

type Cells = readonly CellSummary[];
const mean = (
  cells: Cells,
  fleet: string,
  gpus: number,
  mode: string,
  load: number,
  lifecycle: string,
  policy: string,
  metric: string,
): number => {
  const cell = cells.find(
    (c) =>
      c.values.fleet === fleet &&
      c.values['fleet.gpus'] === gpus &&
      c.values['fleet.gpuMode'] === mode &&
      c.values.loadScale === load &&
      c.values.lifecycle === lifecycle,
  );
  if (cell === undefined) throw new Error(`sweeps/gpu-pool.json: no cell ${fleet}, ${gpus} GPUs, ${mode}, ${load}, ${lifecycle}`);
  const s = cell.policies.find((p) => p.policy === policy)?.metrics[metric];
  if (!s) throw new Error(`cell ${cell.cell}: no ${policy} ${metric}`);
  return s.mean;
};
/** placement / pool of one metric. */
const both = (
  cells: Cells,
  fleet: string,
  gpus: number,
  load: number,
  lifecycle: string,
  policy: string,
  metric: string,
): [number, number] => [
  mean(cells, fleet, gpus, 'placement', load, lifecycle, policy, metric),
  mean(cells, fleet, gpus, 'pool', load, lifecycle, policy, metric),
];
const perGpu = (load: number, gpus: number): Expectation => fig((PAPER_LOAD * load) / gpus);

export const GPU_POOL_CHECKS: Readonly<Record<string, Check>> = {
  'gpu-pool-setup': {
    command: 'sweeps/gpu-pool.json (its settings)',
    expect: () => {
      const s = poolStudy();
      const r = (variant('fleet', 'random').fleet as { random: Record<string, unknown> }).random;
      claim(Math.abs((r.load as number) - PAPER_LOAD) < 0.01, "that the random fleets' load is the paper preset's Σλ/T");
      claim(
        s.policies.length === Object.values(POLICIES).filter((p) => p.pool !== null).length &&
          s.policies.every((p) => POLICIES[p as keyof typeof POLICIES].pool !== null),
        'that the study runs every policy with a pool form',
      );
      const larger = (variant('fleet', LARGER).fleet as { agents: { M: number }[] }).agents;
      const lc = variant('lifecycle', SERVERLESS).lifecycle as {
        keepAlive: number;
        coldStart: number;
        loadBandwidth: number;
        memory: { gpu: string };
      };
      claim(lc.memory.gpu === 'T4', 'that the serverless variant runs on T4 cards');
      const gpus = values('fleet.gpus') as number[];
      const [aMin, aMax] = minMax(r.agents);
      const [tMin, tMax] = minMax(r.T);
      const [mMin, mMax] = minMax(r.M);
      return Promise.resolve([
        ...gpus.map(input),
        input(1), // the default cap U_i
        input(larger.reduce((sum, a) => sum + a.M, 0) / 1000),
        input(s.samples),
        input(aMin),
        input(aMax),
        input(tMin),
        input(tMax),
        input(mMin / 1000),
        input(mMax / 1000),
        ...(values('loadScale') as number[]).map((l) => fig(PAPER_LOAD * l)),
        input(s.samples),
        input(16), // the T4's GB
        input(lc.keepAlive),
        input(lc.coldStart),
        input(lc.loadBandwidth),
        input(s.policies.length),
        input((s.steps - s.warmup) * s.dt),
        input(s.warmup * s.dt),
        input(s.dt),
      ]);
    },
  },
  'gpu-pool-table': {
    command: COMMAND,
    slow: true,
    expect: async (ctx) => {
      const cells = await ctx.study('gpu-pool');
      return ROWS.flatMap(([fleet, gpus, load]) =>
        COLUMNS.flatMap((p) => both(cells, fleet, gpus, load, WARM, p, 'littleLatency').map(fig)),
      );
    },
  },
  'gpu-pool-findings': {
    command: COMMAND,
    slow: true,
    expect: async (ctx) => {
      const cells = await ctx.study('gpu-pool');
      const policies = poolStudy().policies;
      // One agent per GPU: every policy, both loads, both lifecycles, the same figures in both modes.
      for (const load of [LOW, HIGH])
        for (const lifecycle of [WARM, SERVERLESS])
          for (const p of policies)
            for (const metric of ['littleLatency', 'avgLatency', 'throughput']) {
              const [a, b] = both(cells, 'paper', 4, load, lifecycle, p, metric);
              claim(a === b, `that the paper's agents on four GPUs get the same ${metric} in both modes (${p}, ${load}, ${lifecycle})`);
            }
      // The fills: a pool at most placement's latency in every always-warm cell.
      for (const fleet of ['paper', 'random'])
        for (const gpus of [2, 4])
          for (const load of [LOW, HIGH])
            for (const p of ['maxMinFair', 'mps']) {
              const [a, b] = both(cells, fleet, gpus, load, WARM, p, 'littleLatency');
              claim(b <= a, `that ${p}'s latency in a pool is at most placement's (${fleet}, ${gpus} GPUs, ${load})`);
            }
      const [, unstable] = both(cells, 'paper', 2, HIGH, WARM, 'adaptiveWaterfill', 'unstable');
      claim(unstable === 1, "that adaptiveWaterfill's pool runs of the paper's agents on two GPUs are all unstable");
      const coordinator = PAPER_AGENTS[0]!;
      const [mmfPlaced, mmfPool] = both(cells, 'paper', 2, HIGH, WARM, 'maxMinFair', 'littleLatency');
      const [staticPlaced, staticPool] = both(cells, 'random', 4, HIGH, WARM, 'static', 'littleLatency');
      const [adaptivePlaced, adaptivePool] = both(cells, 'random', 4, HIGH, WARM, 'adaptive', 'littleLatency');
      const [wfPlaced, wfPool] = both(cells, 'paper', 2, HIGH, WARM, 'adaptiveWaterfill', 'littleLatency');
      return [
        fig(mmfPool),
        fig(mmfPlaced),
        perGpu(HIGH, 2),
        perGpu(HIGH, 4),
        fig(staticPool),
        fig(staticPlaced),
        fig(adaptivePool),
        fig(adaptivePlaced),
        input(PAPER_AGENTS.reduce((sum, a) => sum + a.R, 0)),
        input(2),
        input(coordinator.R * 2), // its floor R_i·G on two GPUs
        input((coordinator.lambda * HIGH) / coordinator.T), // its load λ/T at loadScale 0.5
        fig(wfPool),
        fig(wfPlaced),
      ];
    },
  },
  'gpu-pool-memory-setup': {
    command: 'sweeps/gpu-pool.json (its settings)',
    expect: () => {
      const larger = (variant('fleet', LARGER).fleet as { agents: { M: number }[] }).agents;
      return Promise.resolve([...larger.map((a) => input(a.M / 1000)), input(16)]);
    },
  },
  'gpu-pool-memory': {
    command: COMMAND,
    slow: true,
    expect: async (ctx) => {
      const cells = await ctx.study('gpu-pool');
      return [LOW, HIGH].flatMap((load) => {
        const wait = both(cells, LARGER, 2, load, SERVERLESS, 'maxMinFair', 'memoryWaitFraction');
        const latency = both(cells, LARGER, 2, load, SERVERLESS, 'maxMinFair', 'littleLatency');
        return [...wait.map((w) => fig(100 * w)), ...latency.map(fig)];
      });
    },
  },
  'gpu-pool-memory-findings': {
    command: COMMAND,
    slow: true,
    expect: async (ctx) => {
      const cells = await ctx.study('gpu-pool');
      const policies = poolStudy().policies;
      const larger = (variant('fleet', LARGER).fleet as { agents: { name: string; M: number }[] }).agents;
      const gb = (name: string): number => larger.find((a) => a.name === name)!.M / 1000;
      // The pool's start (src/model/pool.ts): 2 → GPU 0, 8 → GPU 1, 6 → GPU 0 (8 each), 12 fits neither.
      claim(
        larger.map((a) => a.name).join() === 'coordinator,nlp,vision,reasoning' && gb('coordinator') + gb('vision') === gb('nlp'),
        'that the start leaves 8 GB on each card',
      );
      for (const load of [LOW, HIGH])
        for (const p of policies) {
          const [placedWait, poolWait] = both(cells, LARGER, 2, load, SERVERLESS, p, 'memoryWaitFraction');
          claim(placedWait === 0 && poolWait > 0.2, `that the pool waits for memory where placement does not (${p}, ${load})`);
          const [a, b] = both(cells, LARGER, 4, load, SERVERLESS, p, 'littleLatency');
          claim(a === b, `that both modes agree on four T4s (${p}, ${load})`);
        }
      claim(
        both(cells, LARGER, 2, HIGH, SERVERLESS, 'maxMinFair', 'unstable')[0] === 1,
        'that placement is overloaded at load 0.80 per GPU',
      );
      return [
        input(gb('coordinator')),
        input(gb('vision')),
        input(gb('nlp')),
        input(gb('reasoning')),
        input(16 - gb('nlp')),
        perGpu(HIGH, 2),
      ];
    },
  },
};
