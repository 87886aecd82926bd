/**
 * The Paper view's several GPUs (MODEL-PART4 §4.5) and the lifecycle's memory settings it lacked (the
 * usable fraction, the load slots) without a browser: the fields in the URL with their errors, the
 * batch they give the engines, and the per-GPU figures (utilisation and memory per GPU over time, per
 * GPU over the run) checked against the CPU engine's totals and series; and the Sweep view's
 * fleet.gpuMode and fleet.gpus axes on a study run.
 */
import { describe, expect, it } from 'vitest';
import { runBatchCpu, runSeriesCpu } from '../src/cpu/engine.js';
import { ConfigError } from '../src/model/errors.js';
import { PHASE } from '../src/model/lifecycle.js';
import { summaryTable } from '../src/results/tables.js';
import { parseStudyText } from '../src/study/cells.js';
import { axisLabels, axisName } from '../src/study/schema.js';
import { SweepAggregate } from '../src/sweep/aggregate.js';
import { planUnits } from '../src/sweep/plan.js';
import { runSweep } from '../src/sweep/run.js';
import { axisValueFromText, fixedValue, metricAlong, undefinedEverywhere } from '../web/views/sweep/select.js';
import { pageStudy } from '../web/views/sweep/studyText.js';
import { summarize } from '../src/model/metrics.js';
import {
  agentsByGpu,
  gpuLayout,
  gpuMemoryData,
  gpuPeakMemory,
  gpuUtilizationData,
  poolUtilizationData,
  runGpuUtilizations,
  runPoolUtilization,
} from '../web/views/paperGpus.js';
import {
  changedFields,
  cloneScenario,
  describeRange,
  type FieldKey,
  fieldOfConfigError,
  fieldText,
  GPU_FIELDS,
  PAPER_SCENARIO,
  parseScenario,
  scenarioBatch,
  scenarioLifecycle,
  scenarioParams,
  scenarioPolicyProblem,
} from '../web/views/paperScenario.js';

const parse = (hash: string) => parseScenario(new URLSearchParams(hash));
/** The ConfigError scenarioBatch throws for `hash` (with `policies`), or undefined. */
function batchError(hash: string, policies?: Parameters<typeof scenarioBatch>[2]): ConfigError | undefined {
  try {
    scenarioBatch(parse(hash).scenario, undefined, policies);
  } catch (e) {
    if (e instanceof ConfigError) return e;
    throw e;
  }
  return undefined;
}

describe('the GPU fields in the URL', () => {
  it('one GPU by default; gpus=4 round-trips, the mode is read only with more than one GPU', () => {
    expect(PAPER_SCENARIO.gpus).toBe(1);
    const { scenario, errors } = parse('gpus=4&gpuMode=pool');
    expect(errors.size).toBe(0);
    expect(scenario.gpus).toBe(4);
    expect(scenario.gpuMode).toBe('pool');
    expect(changedFields(scenario)).toEqual(['GPUs', 'GPU mode']);
    const link = Object.entries(scenarioParams(scenario)).filter((kv): kv is [string, string] => kv[1] !== undefined);
    expect(link).toEqual([
      ['gpus', '4'],
      ['gpuMode', 'pool'],
    ]);
    expect(parse(new URLSearchParams(link).toString()).scenario).toEqual(scenario);
    // one GPU: the mode is not read (not even its error) and leaves the link
    const one = parse('gpuMode=nonsense');
    expect(one.errors.size).toBe(0);
    expect(one.scenario.gpuMode).toBe('placement');
    expect(scenarioParams({ ...cloneScenario(PAPER_SCENARIO), gpuMode: 'pool' }).gpuMode).toBeUndefined();
    // placement is the default mode: not in the link
    expect(scenarioParams(parse('gpus=2&gpuMode=placement').scenario).gpuMode).toBeUndefined();
  });

  it.each([
    ['gpus=9', 'gpus', 'GPUs: must be an integer from 1 to 8 (GPUs of the fleet, each with the card’s memory), got "9"'],
    ['gpus=0', 'gpus', 'GPUs: must be an integer from 1 to 8'],
    ['gpus=1.5', 'gpus', 'got "1.5"'],
    ['gpus=2&gpuMode=mig', 'gpuMode', 'GPU mode: must be one of placement, pool, got "mig"'],
    [
      'lifecycle=on&gpu=T4&usable=0.01',
      'usable',
      'usable memory: must be a number ≥ 0.05 and ≤ 1 (fraction of the card the models may hold), got "0.01"',
    ],
    ['lifecycle=on&gpu=T4&usable=1.5', 'usable', 'got "1.5"'],
    [
      'lifecycle=on&loadSlots=0',
      'loadSlots',
      'load slots: must be an integer from 1 to 256, or unlimited (loads in flight at once per GPU), got "0"',
    ],
    ['lifecycle=on&loadSlots=never', 'loadSlots', 'got "never"'],
  ])('%s is refused on its field, naming the range', (hash, key, message) => {
    const { scenario, errors } = parse(hash);
    expect([...errors.keys()]).toEqual([key]);
    expect(errors.get(key as FieldKey)).toContain(message);
    expect(() => scenarioBatch(scenario)).not.toThrow(); // the run falls back to the default
  });

  it.each([
    ['gpus=1e999', 'gpus'],
    ['gpus=Infinity', 'gpus'],
    ['gpus=2&gpuMode=__proto__', 'gpuMode'],
    ['gpus=2&gpuMode=constructor', 'gpuMode'],
    ['lifecycle=on&loadSlots=Infinity', 'loadSlots'],
    ['lifecycle=on&loadSlots=1e999', 'loadSlots'],
    ['lifecycle=on&gpu=T4&usable=NaN', 'usable'],
  ])('hostile %s is refused on its field, the value quoted; nothing reaches Object.prototype', (hash, key) => {
    const before = Object.getOwnPropertyNames(Object.prototype).sort();
    const { scenario, errors } = parse(hash);
    expect([...errors.keys()]).toEqual([key]);
    expect(errors.get(key as FieldKey)).toMatch(/got "/);
    expect(scenario[key as 'gpus']).toBe(PAPER_SCENARIO[key as 'gpus']);
    expect(Object.getOwnPropertyNames(Object.prototype).sort()).toEqual(before);
  });

  it('the ranges name what is allowed', () => {
    expect(describeRange(GPU_FIELDS[0]!)).toBe('an integer from 1 to 8 (GPUs of the fleet, each with the card’s memory)');
  });
});

describe('the lifecycle’s usable memory and load slots', () => {
  it('are read only with the lifecycle on, the usable fraction only with a memory limit, and reach the lifecycle', () => {
    const off = parse('usable=0.5&loadSlots=3');
    expect(off.errors.size).toBe(0);
    expect(off.scenario.usable).toBe(1);
    expect(off.scenario.loadSlots).toBe(1);
    const unlimited = parse('lifecycle=on&usable=0.01&loadSlots=unlimited');
    expect(unlimited.errors.size).toBe(0); // no card: usable is not read
    expect(unlimited.scenario.loadSlots).toBe(Infinity);
    expect(fieldText(unlimited.scenario, 'loadSlots')).toBe('unlimited');
    expect(scenarioParams(unlimited.scenario).loadSlots).toBe('unlimited');
    expect(scenarioParams(unlimited.scenario).usable).toBeUndefined();
    expect(scenarioLifecycle(unlimited.scenario)).toMatchObject({ loadSlots: Infinity });
    const card = parse('lifecycle=on&gpu=T4&usable=0.9&loadSlots=2');
    expect(card.errors.size).toBe(0);
    expect(scenarioLifecycle(card.scenario)).toMatchObject({ loadSlots: 2, memory: { gb: 16, usable: 0.9, evict: 'lru' } });
    expect(changedFields(card.scenario)).toEqual(['lifecycle', 'load slots', 'GPU memory', 'usable memory']);
    const link = Object.entries(scenarioParams(card.scenario)).filter((kv): kv is [string, string] => kv[1] !== undefined);
    expect(parse(new URLSearchParams(link).toString()).scenario).toEqual(card.scenario);
    // the defaults add nothing to the lifecycle (one slot, all of the card)
    expect(scenarioLifecycle(parse('lifecycle=on&gpu=T4&usable=1&loadSlots=1').scenario)).toEqual({
      keepAlive: 60,
      coldStart: 5,
      loadBandwidth: 2,
      eligible: 'warm',
      initialPhase: 'warm',
      memory: { gb: 16, evict: 'lru' },
    });
  });

  it('a model larger than the usable memory is refused on its M, naming the usable MB', () => {
    const error = batchError('lifecycle=on&gpu=T4&usable=0.5&M1=9000');
    expect(error?.message).toContain("must fit the GPU's usable memory, 8000 MB");
    expect(fieldOfConfigError(error!.field)).toBe('M1');
    expect(batchError('lifecycle=on&gpu=T4&usable=0.6&M1=9000')).toBeUndefined();
    expect(fieldOfConfigError('lifecycle.memory.usable')).toBe('usable');
    expect(fieldOfConfigError('lifecycle.loadSlots')).toBe('loadSlots');
  });
});

describe('the batch of several GPUs', () => {
  it('one GPU is the paper’s fleet bit for bit; n GPUs carry a capacity of n, placed or pooled', () => {
    expect(scenarioBatch(parse('gpuMode=pool').scenario).fleets).toEqual(scenarioBatch(PAPER_SCENARIO).fleets);
    const placed = scenarioBatch(parse('gpus=2').scenario);
    expect(Array.from(placed.fleets.gpuCount)).toEqual([2]);
    expect(Array.from(placed.fleets.capacity)).toEqual([2]);
    expect(Array.from(placed.fleets.gpuPool)).toEqual([0]);
    expect(new Set(placed.fleets.gpu)).toEqual(new Set([0, 1])); // LPT spreads the paper's four
    const pool = scenarioBatch(parse('gpus=3&gpuMode=pool').scenario);
    expect(Array.from(pool.fleets.gpuPool)).toEqual([1]);
    expect(Array.from(pool.fleets.gpu)).toEqual([0, 0, 0, 0]);
    expect(gpuLayout(pool)).toMatchObject({ gpus: 3, pool: true, gpuCapacity: 1 });
  });

  it('a pool refuses a policy without a pool form, on the GPU mode field; placement runs it', () => {
    const error = batchError('gpus=2&gpuMode=pool', ['static', 'fixedShares']);
    expect(error?.field).toBe('runs[1].policy');
    expect(error?.message).toContain('fixedShares has no pool form');
    expect(error?.message).toContain('use gpuMode "placement"');
    expect(fieldOfConfigError(error!.field)).toBe('gpuMode');
    expect(batchError('gpus=2', ['static', 'fixedShares'])).toBeUndefined();
    // the page says so before the engine does, naming each policy refused
    expect(scenarioPolicyProblem(parse('gpus=2&gpuMode=pool').scenario, ['static', 'fixedShares', 'roundRobinSkipIdle'])).toBe(
      'GPU mode: a pool of GPUs cannot run every policy ticked: fixedShares has no pool form (MIG slices belong to one physical GPU); use gpuMode "placement" or another policy; roundRobinSkipIdle has no pool form (its turns skip over one GPU); use gpuMode "placement" or another policy',
    );
    expect(scenarioPolicyProblem(parse('gpus=2').scenario, ['fixedShares'])).toBeUndefined();
    expect(scenarioPolicyProblem(parse('gpuMode=pool').scenario, ['fixedShares'])).toBeUndefined(); // one GPU: no pool
    expect(scenarioPolicyProblem(parse('gpus=2&gpuMode=pool').scenario, ['static', 'roundRobin', 'adaptive'])).toBeUndefined();
    expect(fieldOfConfigError('fleets[0].gpus')).toBe('gpus');
  });
});

describe('placement’s per-GPU figures against the CPU engine', () => {
  // Rare arrivals, K = 20 s, models of 6 GB on 16 GB T4s, three GPUs: agents scale to zero, load and
  // come back, each GPU holding its own agents' models.
  const rare = [0, 1, 2, 3].map((i) => `lambda${i}=0.05&M${i}=6000`).join('&');
  const { scenario, errors } = parse(`gpus=3&lifecycle=on&keepAlive=20&gpu=T4&arrivals=poisson&steps=1200&${rare}`);
  const batch = scenarioBatch(scenario, undefined, ['static', 'roundRobin', 'adaptive', 'adaptiveWaterfill']);
  const result = summarize(batch, runBatchCpu(batch));
  const layout = gpuLayout(batch);
  const T = scenario.agents.map((a) => a.T);
  const M = scenario.agents.map((a) => a.M);

  it('places every agent on one of the three GPUs', () => {
    expect(errors.size).toBe(0);
    expect(layout.gpus).toBe(3);
    expect(layout.pool).toBe(false);
    expect(agentsByGpu(layout).flat().sort()).toEqual([0, 1, 2, 3]);
  });

  it('each GPU’s utilisation per step averages to the totals’ (gpuUtilizations), whose max and min are the run metrics', () => {
    for (let r = 0; r < 4; r++) {
      const series = runSeriesCpu(batch, r);
      const columns = gpuUtilizationData(series, layout, T, 1);
      const fromTotals = runGpuUtilizations(batch, result.totals, r);
      for (let k = 0; k < 3; k++) {
        const column = columns[k + 1] as number[];
        expect(column).toHaveLength(1200);
        for (const u of column) expect(u).toBeLessThanOrEqual(1 + 1e-9); // a GPU is busy at most all of the step
        expect(column.reduce((a, b) => a + b, 0) / 1200).toBeCloseTo(fromTotals[k]!, 9);
      }
      expect(Math.max(...fromTotals)).toBe(result.gpuUtilizationMax[r]);
      expect(Math.min(...fromTotals)).toBe(result.gpuUtilizationMin[r]);
      expect(result.gpuImbalance[r]).toBeCloseTo(Math.max(...fromTotals) / (fromTotals.reduce((a, b) => a + b, 0) / 3), 12);
    }
  });

  it('each GPU’s memory is its placed agents’ models not COLD, sums to the series’ memory, stays within its card, and its highest is the run’s peak', () => {
    let loads = 0;
    for (let r = 0; r < 4; r++) {
      const series = runSeriesCpu(batch, r);
      const memory = gpuMemoryData(series, 1, 16);
      expect(memory).toHaveLength(1 + 3 + 1);
      expect(memory[4]).toEqual(new Array(1200).fill(16));
      for (let t = 0; t < series.steps; t++) {
        let sum = 0;
        for (let k = 0; k < 3; k++) {
          const gb = (memory[k + 1] as number[])[t]!;
          // the models of GPU k's agents that are LOADING or WARM during the step (the phases, independently)
          const resident = agentsByGpu(layout)[k]!.reduce(
            (mb, i) => mb + (series.phase[i * series.steps + t] === PHASE.cold ? 0 : M[i]!),
            0,
          );
          expect(gb * 1000).toBe(resident);
          expect(gb).toBeLessThanOrEqual(16);
          sum += gb;
        }
        expect(sum * 1000).toBeCloseTo(series.memory[t]!, 6);
      }
      const peaks = gpuPeakMemory(memory, 3);
      expect(Math.max(...peaks)).toBe(result.peakMemoryGB[r]);
      loads += Array.from(series.phase).filter((p) => p === PHASE.loading).length;
    }
    expect(loads).toBeGreaterThan(0); // the agents did load
  });
});

describe('a pool’s figures against the CPU engine', () => {
  it('a pool’s utilisation is the busy fraction of all its GPUs', () => {
    const series = { steps: 2, agents: 2, served: [10, 0, 5, 20], gpus: 2, gpuMemory: [0, 0, 0, 0] };
    const pool = { gpus: 2, pool: true, agentGpu: [0, 0], gpuCapacity: 1 };
    // agent 0 (T = 10): 1 GPU then 0; agent 1 (T = 20): 0.25 then 1 — over 2 GPUs
    expect(poolUtilizationData(series, pool, [10, 20], 1)).toEqual([
      [0, 1],
      [0.625, 0.5],
    ]);
  });

  it('four agents on a pool of four GPUs under static each get a whole GPU; the pool’s utilisation is the totals’', () => {
    const batch = scenarioBatch(parse('gpus=4&gpuMode=pool&steps=300&arrivals=poisson').scenario, undefined, ['static']);
    const result = summarize(batch, runBatchCpu(batch));
    const series = runSeriesCpu(batch, 0);
    expect(Array.from(series.share).every((g) => g === 1)).toBe(true); // min(U_i, G/N) = min(1, 4/4)
    const layout = gpuLayout(batch);
    const T = PAPER_SCENARIO.agents.map((a) => a.T);
    const busy = poolUtilizationData(series, layout, T, 1)[1] as number[];
    const fromTotals = T.reduce((u, t, i) => u + result.totals.servedSum[i]! / (t * 300), 0) / 4;
    expect(busy.reduce((a, b) => a + b, 0) / 300).toBeCloseTo(fromTotals, 9);
    expect(runPoolUtilization(batch, result.totals, 0)).toBeCloseTo(fromTotals, 12);
    // the per-GPU compute metrics are undefined in a pool
    expect(result.gpuImbalance[0]).toBeNaN();
  });

  it('loads go to the GPU with the most free memory; each GPU’s memory stays within its card and sums to the series’', () => {
    const rare = [0, 1, 2, 3].map((i) => `lambda${i}=0.05`).join('&');
    const link = `gpus=2&gpuMode=pool&lifecycle=on&keepAlive=20&gpu=T4&usable=0.25&arrivals=poisson&steps=1200&${rare}`;
    const { scenario, errors } = parse(link);
    expect(errors.size).toBe(0);
    const batch = scenarioBatch(scenario, undefined, ['static', 'roundRobin', 'adaptive', 'maxMinFair']);
    const result = summarize(batch, runBatchCpu(batch));
    for (let r = 0; r < 4; r++) {
      const series = runSeriesCpu(batch, r);
      const memory = gpuMemoryData(series, 1, 4);
      // the start, in index order to the most free GPU: 500 → 0, 2000 → 1, 1500 → 0, 3000 → 0 does not
      // fit its 4 GB (2000 + 3000), and the pool's start stops there: it starts COLD
      expect([memory[1]![0], memory[2]![0]]).toEqual([2, 2]);
      for (let t = 0; t < series.steps; t++) {
        const a = (memory[1] as number[])[t]!;
        const b = (memory[2] as number[])[t]!;
        expect(Math.max(a, b)).toBeLessThanOrEqual(4);
        expect((a + b) * 1000).toBeCloseTo(series.memory[t]!, 6);
      }
      expect(Math.max(...gpuPeakMemory(memory, 2))).toBe(result.peakMemoryGB[r]);
    }
  });
});

describe('the Sweep view’s GPU axes', () => {
  it('draws a study’s fleet.gpuMode axis as labels beside fleet.gpus; the per-GPU metrics are undefined in a pool only', async () => {
    const text = JSON.stringify({
      name: 'gpu-modes',
      seed: 5,
      fleet: {
        agents: [
          { name: 'a', T: 40, R: 0.1, P: 1, lambda: 10, M: 4000 },
          { name: 'b', T: 20, R: 0.1, P: 2, lambda: 6, M: 6000 },
          { name: 'c', T: 30, R: 0, P: 2, lambda: 8, M: 2000 },
        ],
      },
      arrivals: 'poisson',
      steps: 300,
      replicates: 3,
      policies: ['static', 'adaptive'],
      lifecycle: { keepAlive: 10, memory: { gb: 16 } },
      axes: [
        { path: 'fleet.gpuMode', values: ['placement', 'pool'] },
        { path: 'fleet.gpus', values: [2, 3] },
      ],
    });
    const { study, cells } = parseStudyText(text, 'gpu-modes.json');
    expect(pageStudy(text).cells).toHaveLength(4); // the page's own study reader takes it too
    const aggregate = new SweepAggregate(study.policies);
    const axes = study.axes.map(axisName);
    await runSweep({ cells, units: planUnits(cells) }, { run: (b) => Promise.resolve(runBatchCpu(b)) }, aggregate);
    const table = summaryTable(
      {
        name: study.name,
        studyHash: '',
        seed: study.seed,
        axes: study.axes.map((a) => ({ name: axisName(a), values: axisLabels(a) })),
        policies: study.policies,
      },
      aggregate.summary(cells, axes),
    );
    expect(table.axes.map((a) => a.name)).toEqual(['fleet.gpuMode', 'fleet.gpus']);
    // the mode is a label axis in its order; the GPUs a number axis
    const line = metricAlong(table, 'avgLatency', 'fleet.gpuMode', { 'fleet.gpus': 3 });
    expect(line.ticks).toEqual(['placement', 'pool']);
    expect(line.x).toEqual([0, 1]);
    for (const s of line.series) for (const m of s.mean) expect(m).toBeGreaterThanOrEqual(0); // defined in both modes
    expect(metricAlong(table, 'avgLatency', 'fleet.gpus', { 'fleet.gpuMode': 'pool' }).x).toEqual([2, 3]);
    // the per-GPU utilisation metrics: a number by placement, undefined (—) in a pool
    const imbalance = metricAlong(table, 'gpuImbalance', 'fleet.gpuMode', { 'fleet.gpus': 2 });
    for (const s of imbalance.series) {
      expect(s.mean[0]).toBeGreaterThanOrEqual(1);
      expect(s.mean[1]).toBeNull();
    }
    expect(undefinedEverywhere(table, 'gpuImbalance')).toBe(false);
    expect(fixedValue(table, 'fleet.gpuMode', 'pool')).toBe('pool');
    expect(axisValueFromText(table, 'fleet.gpuMode', 'pool')).toBe('pool');
    // the peak memory stays within one card in every cell (16 GB per GPU)
    for (const cell of table.cells) for (const p of cell.policies) expect(p.metrics.peakMemoryGB!.max).toBeLessThanOrEqual(16);
  });
});
