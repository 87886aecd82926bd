/**
 * The page's serverless lifecycle (MODEL-PART4 §4.3–4.4) without a browser: the Paper view's switch
 * and settings in the URL with their errors, the batch they give the engines, the figures it draws
 * (the phase timeline, the memory in use, the per-agent lifecycle, the metrics table) checked against
 * the CPU engine's totals and series, and the Sweep view's keep-alive trade-off.
 */
import { describe, expect, it } from 'vitest';
import { runBatchCpu, runSeriesCpu } from '../src/cpu/engine.js';
import { ConfigError } from '../src/model/errors.js';
import { GPU_MEMORY_GB, LIFECYCLE_METRICS, PHASE } from '../src/model/lifecycle.js';
import { emptyTotals, RUN_METRIC_INFO, summarize } from '../src/model/metrics.js';
import { PAPER_AGENTS, PAPER_CONFIG } from '../src/model/paper.js';
import { type SummaryTable, summaryTable } from '../src/results/tables.js';
import { parseStudyText } from '../src/study/cells.js';
import { axisLabels, axisName } from '../src/study/schema.js';
import { type CellSummary, SweepAggregate } from '../src/sweep/aggregate.js';
import { planUnits } from '../src/sweep/plan.js';
import { runSweep } from '../src/sweep/run.js';
import {
  agentLifecycle,
  type LifecycleSeries,
  LIFECYCLE_TABLE_METRICS,
  lifecycleTable,
  memoryData,
  metricDigits,
  timelineRows,
} from '../web/views/paperLifecycle.js';
import {
  changedFields,
  cloneScenario,
  fieldOfConfigError,
  type FieldKey,
  fieldText,
  MEMORY_UNLIMITED,
  PAPER_SCENARIO,
  type PaperScenario,
  parseScenario,
  scenarioBatch,
  scenarioLifecycle,
  scenarioParams,
} from '../web/views/paperScenario.js';
import { seriesGap } from '../web/views/paperFigures.js';
import { keepAliveAxis, keepAliveOrder, tradeoffData, tradeoffMetrics } from '../web/views/sweep/tradeoff.js';

const parse = (hash: string) => parseScenario(new URLSearchParams(hash));

describe('the lifecycle switch in the URL', () => {
  it('is off by default; lifecycle=on round-trips with the contract’s defaults and counts as a change', () => {
    expect(PAPER_SCENARIO.lifecycle).toBe('off');
    expect(scenarioLifecycle(PAPER_SCENARIO)).toBeUndefined();
    const { scenario, errors } = parse('lifecycle=on');
    expect(errors.size).toBe(0);
    expect(scenarioLifecycle(scenario)).toEqual({
      keepAlive: 60,
      coldStart: 5,
      loadBandwidth: 2,
      eligible: 'warm',
      initialPhase: 'warm',
    });
    expect(scenarioParams(scenario).lifecycle).toBe('on');
    const link = Object.entries(scenarioParams(scenario)).filter((kv): kv is [string, string] => kv[1] !== undefined);
    expect(link).toEqual([['lifecycle', 'on']]);
    expect(parse(new URLSearchParams(link).toString()).scenario).toEqual(scenario);
    expect(changedFields(scenario)).toEqual(['lifecycle']);
  });

  it('reads its settings only with it on, the eviction rule only with a memory limit', () => {
    // off: K, C0 and the card are not read (not even their errors), and leave the link
    const off = parse('keepAlive=-3&coldStart=7&gpu=T4');
    expect(off.errors.size).toBe(0);
    expect(off.scenario.keepAlive).toBe(PAPER_SCENARIO.keepAlive);
    expect(scenarioParams({ ...cloneScenario(PAPER_SCENARIO), coldStart: 7 }).coldStart).toBeUndefined();
    // on, unlimited memory: evict is not read
    const on = parse(
      'lifecycle=on&keepAlive=never&coldStart=12.5&loadBandwidth=4&eligible=backlogged&initialPhase=cold&evict=largestFirst',
    );
    expect(on.errors.size).toBe(0);
    expect(on.scenario.evict).toBe('lru');
    expect(scenarioLifecycle(on.scenario)).toEqual({
      keepAlive: Infinity,
      coldStart: 12.5,
      loadBandwidth: 4,
      eligible: 'backlogged',
      initialPhase: 'cold',
    });
    expect(fieldText(on.scenario, 'keepAlive')).toBe('never'); // K = ∞ as the URL writes it
    expect(scenarioParams(on.scenario).keepAlive).toBe('never');
    // with a card: its memory in GB (all usable) and the eviction rule
    const card = parse('lifecycle=on&gpu=T4&evict=largestFirst');
    expect(scenarioLifecycle(card.scenario)?.memory).toEqual({ gb: GPU_MEMORY_GB.T4, evict: 'largestFirst' });
    expect(changedFields(card.scenario)).toEqual(['lifecycle', 'GPU memory', 'eviction']);
  });

  it.each([
    [
      'keepAlive=-1',
      'keepAlive',
      'keep-alive K: must be a number ≥ 0 and ≤ 3600, or never (seconds idle before scaling to zero), got "-1"',
    ],
    ['keepAlive=3601', 'keepAlive', 'must be a number ≥ 0 and ≤ 3600, or never'],
    ['keepAlive=forever', 'keepAlive', 'got "forever"'],
    ['coldStart=241', 'coldStart', 'cold start C0: must be a number ≥ 0 and ≤ 240 (seconds of every load before the weights), got "241"'],
    ['loadBandwidth=0.1', 'loadBandwidth', 'load bandwidth: must be a number ≥ 0.2 and ≤ 25 (GB/s the weights load at)'],
    ['eligible=cold', 'eligible', 'who shares the GPU: must be one of all, warm, backlogged, got "cold"'],
    ['gpu=T5', 'gpu', 'GPU memory: must be one of unlimited, T4, L4, A10G'],
    ['gpu=T4&evict=random', 'evict', 'eviction: must be one of lru, lowestPriority, largestFirst, got "random"'],
    ['M2=-5', 'M2', 'vision M: must be a number ≥ 0 and ≤ 1.024e6 (model size, MB), got "-5"'],
  ])('lifecycle=on&%s is refused on its field, naming the range', (hash, key, message) => {
    const { scenario, errors } = parse(`lifecycle=on&${hash}`);
    expect([...errors.keys()]).toEqual([key]);
    expect(errors.get(key as FieldKey)).toContain(message);
    expect(() => scenarioBatch(scenario)).not.toThrow(); // the run falls back to the default
  });

  it('a model larger than the card is the engine’s error, shown on that agent’s M', () => {
    const { scenario, errors } = parse('lifecycle=on&gpu=T4&M3=17000');
    expect(errors.size).toBe(0);
    let error: unknown;
    try {
      scenarioBatch(scenario);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).field).toBe('fleets[0].agents[3].M');
    expect((error as ConfigError).message).toContain("must fit the GPU's usable memory, 16000 MB");
    expect(fieldOfConfigError((error as ConfigError).field)).toBe('M3');
    expect(fieldOfConfigError('lifecycle.keepAlive')).toBe('keepAlive');
    expect(fieldOfConfigError('lifecycle.memory.gb')).toBe('gpu');
    expect(fieldOfConfigError('lifecycle.memory.evict')).toBe('evict');
    // the same model on an 80 GB card fits
    expect(() => scenarioBatch(parse('lifecycle=on&gpu=H100-80GB&M3=17000').scenario)).not.toThrow();
  });
});

describe('pinned agents', () => {
  it('pinned2=yes round-trips, reaches the batch, and a pinned set larger than the card is refused on the card', () => {
    const { scenario, errors } = parse('lifecycle=on&gpu=T4&pinned2=yes');
    expect(errors.size).toBe(0);
    expect(scenario.agents.map((a) => a.pinned)).toEqual([false, false, true, false]);
    expect(fieldText(scenario, 'pinned2')).toBe('yes');
    expect(scenarioParams(scenario).pinned2).toBe('yes');
    expect(scenarioParams(scenario).pinned1).toBeUndefined();
    expect(changedFields(scenario)).toEqual(['vision pinned', 'lifecycle', 'GPU memory']);
    expect(Array.from(scenarioBatch(scenario).fleets.pinned)).toEqual([0, 0, 1, 0]);
    expect(parse('pinned0=maybe').errors.get('pinned0')).toBe('coordinator pinned: must be one of no, yes, got "maybe"');
    // three pinned models of 6 GB do not fit a 16 GB card together
    const { scenario: over } = parse('lifecycle=on&gpu=T4&M0=6000&M1=6000&M2=6000&pinned0=yes&pinned1=yes&pinned2=yes');
    let error: unknown;
    try {
      scenarioBatch(over);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).message).toContain('the pinned agents must fit the GPU');
    expect(fieldOfConfigError((error as ConfigError).field)).toBe('gpu');
  });

  it('a pinned agent is never scaled to zero nor evicted: WARM the whole run, while the others come and go', () => {
    const link =
      'lifecycle=on&keepAlive=10&gpu=T4&arrivals=poisson&steps=800&pinned3=yes&' +
      [0, 1, 2, 3].map((i) => `lambda${i}=0.02&M${i}=5000`).join('&');
    const batch = scenarioBatch(parse(link).scenario);
    const result = summarize(batch, runBatchCpu(batch));
    for (let r = 0; r < 3; r++) {
      const timeline = timelineRows(runSeriesCpu(batch, r));
      expect(timeline.rows[3]!.steps).toEqual({ cold: 0, loading: 0, warm: 800 });
      expect(agentLifecycle(result.totals, r, 3, 1)).toMatchObject({ coldStarts: 0, evictions: 0 });
      expect(timeline.rows.slice(0, 3).some((row) => row.steps.cold > 0)).toBe(true);
    }
  });
});

describe('the batch of a lifecycle scenario', () => {
  it('carries the lifecycle and the agents’ M (the paper’s Table I by default); off, the config has no lifecycle', () => {
    const off = scenarioBatch(PAPER_SCENARIO);
    expect('lifecycle' in off.config).toBe(false);
    expect(Array.from(off.fleets.memoryMB)).toEqual(PAPER_AGENTS.map((a) => a.M));
    const s: PaperScenario = { ...cloneScenario(PAPER_SCENARIO), lifecycle: 'on', gpu: 'L4', keepAlive: 30 };
    const on = scenarioBatch(s);
    expect(on.config.lifecycle).toEqual({
      keepAlive: 30,
      coldStart: 5,
      loadBandwidth: 2,
      eligible: 'warm',
      initialPhase: 'warm',
      memory: { gb: 24, evict: 'lru' },
    });
    // everything but the lifecycle is the same batch
    expect({ ...on.config, lifecycle: undefined }).toEqual({ ...off.config, lifecycle: undefined });
    expect(on.fleets).toEqual(off.fleets);
    expect(MEMORY_UNLIMITED).toBe('unlimited');
  });

  it('with the lifecycle off, the results are the paper’s bit for bit', () => {
    const plain = scenarioBatch({ ...cloneScenario(PAPER_SCENARIO), steps: 200 });
    const a = summarize(plain, runBatchCpu(plain));
    const b = summarize(plain, runBatchCpu(scenarioBatch({ ...cloneScenario(PAPER_SCENARIO), steps: 200, keepAlive: 3 })));
    expect(Array.from(a.avgLatency)).toEqual(Array.from(b.avgLatency));
    for (const m of LIFECYCLE_METRICS) expect(Array.from(a[m]).every(Number.isNaN)).toBe(true);
  });
});

/** A series of `agents` agents whose phases are given per agent as a string of c, l, w (one per step). */
function phaseSeries(rows: readonly string[], memory?: number[]): LifecycleSeries {
  const steps = rows[0]!.length;
  const code = { c: PHASE.cold, l: PHASE.loading, w: PHASE.warm } as const;
  return {
    steps,
    agents: rows.length,
    phase: Float64Array.from(rows.join(''), (ch) => code[ch as keyof typeof code]),
    memory: Float64Array.from(memory ?? Array.from({ length: steps }, () => 0)),
  };
}

describe('the phase timeline and the memory chart', () => {
  it('draws each run of a phase as one segment, with the exact steps per phase', () => {
    const t = timelineRows(phaseSeries(['ccllwwwwcc', 'wwwwwwwwww']));
    expect(t.bin).toBe(1);
    expect(t.rows[0]!.segments).toEqual([
      { start: 0, end: 2, phase: 'cold' },
      { start: 2, end: 4, phase: 'loading' },
      { start: 4, end: 8, phase: 'warm' },
      { start: 8, end: 10, phase: 'cold' },
    ]);
    expect(t.rows[0]!.steps).toEqual({ cold: 4, loading: 2, warm: 4 });
    expect(t.rows[1]!.segments).toEqual([{ start: 0, end: 10, phase: 'warm' }]);
  });

  it('bins a row with too many changes to draw, each bin in its majority phase (ties: the colder), counts still exact', () => {
    // 12 steps, 4 bins of 3: "cwc" → cold, "wwl" → warm, "llw" → loading, "lwc" → a three-way tie → cold
    const t = timelineRows(phaseSeries(['cwcwwlllwlwc']), 3, 4);
    expect(t.bin).toBe(3);
    expect(t.rows[0]!.segments).toEqual([
      { start: 0, end: 3, phase: 'cold' },
      { start: 3, end: 6, phase: 'warm' },
      { start: 6, end: 9, phase: 'loading' },
      { start: 9, end: 12, phase: 'cold' },
    ]);
    expect(t.rows[0]!.steps).toEqual({ cold: 3, loading: 4, warm: 5 });
    // the segments tile the run
    const segments = t.rows[0]!.segments;
    for (let k = 1; k < segments.length; k++) expect(segments[k]!.start).toBe(segments[k - 1]!.end);
  });

  it('memory in GB per step, with the card’s usable memory as a line', () => {
    const data = memoryData(phaseSeries(['cww'], [0, 1500, 3000]), 0.5, 16);
    expect(data).toEqual([
      [0, 0.5, 1],
      [0, 1.5, 3],
      [16, 16, 16],
    ]);
    expect(memoryData(phaseSeries(['c'], [7]), 1)).toHaveLength(2);
  });
});

describe('the lifecycle’s tables', () => {
  it('per agent: counts and seconds from the totals', () => {
    const totals = emptyTotals([2, 2]);
    const j = totals.agentOffset[1]! + 1; // run 1, agent 1
    totals.arrivedSum[j] = 40;
    totals.coldStartSum[j] = 3;
    totals.coldHitSum[j] = 10;
    totals.coldDelaySum[j] = 25;
    totals.loadStepSum[j] = 6;
    totals.residentStepSum[j] = 50;
    totals.idleWarmStepSum[j] = 20;
    totals.evictionSum[j] = 2;
    totals.waitStepSum[j] = 4;
    expect(agentLifecycle(totals, 1, 1, 0.5)).toEqual({
      coldStarts: 3,
      coldHitFraction: 0.25,
      coldDelay: 25 / 40,
      loadSeconds: 3,
      residentSeconds: 25,
      idleWarmSeconds: 10,
      evictions: 2,
      waitSeconds: 2,
    });
    const none = agentLifecycle(totals, 0, 0, 1);
    expect(none.coldHitFraction).toBeNaN(); // no arrivals
    expect(none.coldStarts).toBe(0);
  });

  it('per policy: allocated cost first, then every lifecycle metric with its label and unit', () => {
    const batch = scenarioBatch({ ...cloneScenario(PAPER_SCENARIO), steps: 50, lifecycle: 'on' });
    const result = summarize(batch, runBatchCpu(batch));
    const rows = lifecycleTable(result, 3);
    expect(rows.map((r) => r.metric)).toEqual(['cost', ...LIFECYCLE_METRICS]);
    expect(LIFECYCLE_TABLE_METRICS).toEqual(['cost', ...LIFECYCLE_METRICS]);
    expect(rows[0]!.label).toBe('cost allocated ($)');
    expect(rows[1]!.label).toBe(`${RUN_METRIC_INFO.coldStartsPerHour.label} (loads/h)`);
    for (const row of rows) expect(row.values).toEqual([0, 1, 2].map((r) => result[row.metric][r]));
    expect(metricDigits('costResident')).toBe(4);
    expect(metricDigits('coldHitFraction')).toBe(3);
    expect(metricDigits('peakMemoryGB')).toBe(2);
    // without a memory limit, the memory-bound fraction is undefined
    expect(rows.find((r) => r.metric === 'memoryBoundFraction')!.values.every(Number.isNaN)).toBe(true);
    expect(runSeriesCpu(batch, 0).steps).toBe(50);
  });
});

/** A summary statistic with mean m (the trade-off reads means only). */
const stat = (mean: number) => ({
  n: 10,
  mean,
  std: 1,
  ci95: [mean - 1, mean + 1] as [number, number],
  min: 0,
  max: 0,
  p50: 0,
  p90: 0,
  p99: 0,
});

/** A study's table over keep-alive × load: cost and latency per policy from `f`, some cells missing. */
function keepAliveTable(
  values: (number | string)[],
  f: (k: number, load: number, policy: string) => [number, number] | null,
): SummaryTable {
  const policies = ['static', 'adaptive'];
  const cells: CellSummary[] = [];
  let index = 0;
  for (const load of [0.5, 1]) {
    values.forEach((value, k) => {
      cells.push({
        cell: index++,
        values: { 'lifecycle.keepAlive': value, 'fleet.random.load': load },
        fleetRuns: 10,
        policies: policies.map((policy) => {
          const got = f(k, load, policy);
          return {
            policy,
            metrics: got
              ? { cost: stat(got[0] / 2), costResident: stat(got[0]), avgLatency: stat(got[1]) }
              : { cost: null, costResident: null, avgLatency: null },
          };
        }),
        pairs: [],
        verdicts: [],
        warnings: [],
      });
    });
  }
  return {
    format: 'fleetsim-summary/1',
    study: 'keep-alive',
    studyHash: '0',
    seed: 1,
    axes: [
      { name: 'lifecycle.keepAlive', values },
      { name: 'fleet.random.load', values: [0.5, 1] },
    ],
    policies,
    metrics: ['avgLatency', 'cost', 'costResident'],
    quantiles: '',
    cells,
  };
}

describe('the Sweep view’s keep-alive trade-off', () => {
  it('orders K ascending with never last, and finds the axis by name', () => {
    expect(keepAliveOrder([600, 'never', 0, 60, '30'])).toEqual([0, '30', 60, 600, 'never']);
    expect(keepAliveOrder(['Infinity', 5])).toEqual([5, 'Infinity']);
    const table = keepAliveTable([60, 0], () => [1, 1]);
    expect(keepAliveAxis(table)).toBe('lifecycle.keepAlive');
    expect(keepAliveAxis({ ...table, axes: [{ name: 'lmax', values: [1] }] })).toBeUndefined();
  });

  it('gives each policy’s mean resident cost and latency per K, in K order, at the other axes’ fixed values', () => {
    const values = [600, 'never', 0, 60];
    // cost grows with K, latency falls; adaptive's latency is half static's; load 1 doubles the cost
    const table = keepAliveTable(values, (k, load, policy) => {
      const K = [600, 1e4, 0, 60][k]!;
      return [load * (1 + K / 100), (policy === 'adaptive' ? 0.5 : 1) * (10 / (1 + K / 60))];
    });
    const data = tradeoffData(table, { 'lifecycle.keepAlive': 0, 'fleet.random.load': 1 })!;
    expect(data.axis).toBe('lifecycle.keepAlive');
    expect(data.costMetric).toBe('costResident');
    expect(data.latencyMetric).toBe('avgLatency');
    const adaptive = data.series.find((s) => s.policy === 'adaptive')!;
    expect(adaptive.points.map((p) => p.keepAlive)).toEqual([0, 60, 600, 'never']);
    expect(adaptive.points.map((p) => p.cost)).toEqual([1, 1.6, 7, 101]);
    expect(adaptive.points[0]!.latency).toBe(5);
    expect(adaptive.points.map((p) => table.cells[p.cell]!.values['fleet.random.load'])).toEqual([1, 1, 1, 1]);
    // a cell without the means is left out
    const gappy = keepAliveTable(values, (k) => (k === 1 ? null : [1, 1]));
    expect(tradeoffData(gappy, { 'fleet.random.load': 0.5 })!.series[0]!.points.map((p) => p.keepAlive)).toEqual([0, 60, 600]);
  });

  it('falls back to the allocated cost where costResident is undefined everywhere, and is null without a keep-alive axis', () => {
    const table = keepAliveTable([0, 60], () => [1, 1]);
    for (const cell of table.cells) for (const p of cell.policies) p.metrics.costResident = null;
    expect(tradeoffMetrics(table)).toEqual({ cost: 'cost', latency: 'avgLatency' });
    expect(tradeoffData({ ...table, axes: table.axes.slice(1) }, {})).toBeNull();
  });
});

describe('the page’s figures against the CPU engine’s run', () => {
  // Rare Poisson arrivals (λ = 0.05/s), K = 20 s, models of 6 GB on a 16 GB T4: agents scale to zero,
  // load for C = 5 + 3 = 8 s, and two fit at once, so a third evicts an idle one or waits.
  const link =
    'lifecycle=on&keepAlive=20&gpu=T4&arrivals=poisson&steps=1500&' + [0, 1, 2, 3].map((i) => `lambda${i}=0.05&M${i}=6000`).join('&');
  const { scenario, errors } = parse(link);
  const batch = scenarioBatch(scenario);
  const result = summarize(batch, runBatchCpu(batch));

  it('the series sums to the totals, phases, resident steps and memory included', () => {
    expect(errors.size).toBe(0);
    for (let r = 0; r < 3; r++) expect(seriesGap(runSeriesCpu(batch, r), result.totals, r, 0, true)).toBeLessThan(1e-12);
  });

  it('the timeline’s steps per phase are the engine’s, memory stays within the card, and the run has every phase', () => {
    for (let r = 0; r < 3; r++) {
      const series = runSeriesCpu(batch, r);
      const timeline = timelineRows(series);
      let cold = 0;
      let loading = 0;
      for (let i = 0; i < 4; i++) {
        const j = result.totals.agentOffset[r]! + i;
        const steps = timeline.rows[i]!.steps;
        expect(steps.cold + steps.loading + steps.warm).toBe(series.steps);
        expect(steps.loading).toBe(result.totals.loadStepSum[j]);
        expect(steps.loading + steps.warm).toBe(result.totals.residentStepSum[j]);
        expect(agentLifecycle(result.totals, r, i, 1).loadSeconds).toBe(steps.loading);
        cold += steps.cold;
        loading += steps.loading;
      }
      expect(cold).toBeGreaterThan(0);
      expect(loading).toBeGreaterThan(0);
      const gb = memoryData(series, 1, 16)[1] as number[];
      expect(Math.max(...gb)).toBeLessThanOrEqual(16);
      expect(Math.max(...gb)).toBe(result.peakMemoryGB[r]);
    }
    // two models of 6 GB fit a 16 GB card, the third evicts or waits
    expect(Math.max(...result.peakMemoryGB)).toBe(12);
    expect(Math.max(...Array.from(result.evictionsPerHour)) + Math.max(...Array.from(result.memoryWaitFraction))).toBeGreaterThan(0);
    // the agents scale to zero: each is resident for part of the run only
    for (let r = 0; r < 3; r++) expect(result.residentFraction[r]).toBeLessThan(1);
  });
});

describe('the keep-alive trade-off of a study run', () => {
  it('reads a study’s lifecycle.keepAlive axis: resident cost grows and cold starts fall as K grows to never', async () => {
    // Rare arrivals (0.015/s for the fleet), so that even K = 60 s leaves the GPU empty at times.
    const text = JSON.stringify({
      name: 'keep-alive',
      seed: 3,
      fleet: {
        agents: [
          { name: 'a', T: 20, R: 0.1, P: 1, lambda: 0.01, M: 2000 },
          { name: 'b', T: 20, R: 0.1, P: 2, lambda: 0.005, M: 4000 },
        ],
      },
      arrivals: 'poisson',
      steps: 2000,
      replicates: 3,
      policies: ['static', 'adaptive'],
      lifecycle: { coldStart: 4 },
      axes: [{ path: 'lifecycle.keepAlive', values: [60, 'never', 0, 10] }],
    });
    const { study, cells } = parseStudyText(text, 'keep-alive.json');
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
    expect(keepAliveAxis(table)).toBe('lifecycle.keepAlive');
    const data = tradeoffData(table, {})!;
    expect(data.costMetric).toBe('costResident');
    expect(data.latencyMetric).toBe('avgLatency');
    for (const series of data.series) {
      expect(series.points.map((p) => p.keepAlive)).toEqual([0, 10, 60, 'never']);
      const cost = series.points.map((p) => p.cost);
      for (let k = 1; k < cost.length; k++) expect(cost[k]).toBeGreaterThan(cost[k - 1]!);
      // never scaled to zero: resident the whole run, so its resident cost is the whole run's price
      expect(cost[3]).toBeCloseTo(PAPER_CONFIG.price * (2000 / 3600), 9);
      // each point is its cell's mean
      for (const p of series.points)
        expect(p.latency).toBe(table.cells[p.cell]!.policies.find((x) => x.policy === series.policy)!.metrics.avgLatency!.mean);
    }
    const starts = (k: number | string) =>
      table.cells.find((c) => c.values['lifecycle.keepAlive'] === k)!.policies[0]!.metrics.coldStartsPerHour!.mean;
    expect(starts(0)).toBeGreaterThan(starts(60));
    expect(starts('never')).toBe(0);
  });
});
