/**
 * The Paper view's pure logic (web/views/paperScenario.ts, paperFigures.ts): the scenario read from
 * the URL's hash and written back, each field's range and error, the batch it runs, and the per-step
 * series checked against the engines' totals.
 */
import { describe, expect, it } from 'vitest';
import { runBatchCpu, runSeriesCpu } from '../src/cpu/engine.js';
import { runSummary, summarize } from '../src/model/metrics.js';
import { paperBatch } from '../src/model/paper.js';
import { POLICY, PAPER_POLICIES, POLICY_NAMES } from '../src/model/policies.js';
import {
  agentIdc,
  agentLoads,
  allocationData,
  arrivalData,
  latencyData,
  perAgentData,
  queueData,
  scatterData,
  seriesGap,
} from '../web/views/paperFigures.js';
import {
  changedFields,
  cloneScenario,
  defaultAgent,
  MAX_PAGE_AGENTS,
  newAgent,
  PAGE_MAX_AGENT_STEPS,
  FIELDS,
  fieldOfConfigError,
  PAGE_MAX_STEPS,
  PAGE_TRACE,
  PAPER_SCENARIO,
  type PaperScenario,
  parsePolicies,
  parseScenario,
  policiesParam,
  scenarioArrivals,
  scenarioBatch,
  scenarioParams,
} from '../web/views/paperScenario.js';
import { pageTraces } from '../web/views/paperTrace.js';
import { assertNoUncapturedErrors, engine, gpu, gpuSkipReason } from './helpers/gpu.js';

/** The URL's hash as a view writes it (ViewState.set drops undefined keys). */
function hashOf(s: PaperScenario): URLSearchParams {
  const params = new URLSearchParams('view=paper');
  for (const [key, value] of Object.entries(scenarioParams(s))) if (value !== undefined) params.set(key, value);
  return params;
}

/**
 * The series is the CPU engine's f64 run, the GPU keeps queues in f32 (relative rounding 6e-8 per
 * operation, accumulated over the steps of a run): 1e-5 leaves room above the 1.2e-6 seen on the
 * paper's scenario (SwiftShader and lavapipe) and is far below any modelling difference.
 */
const SERIES_GAP_F32 = 1e-5;
/** CPU series against CPU totals: the same f64 arithmetic, summed in the same order. */
const SERIES_GAP_F64 = 1e-12;

describe('the scenario in the URL', () => {
  it('is the paper’s when the hash has no scenario keys, and then writes none', () => {
    const { scenario, errors } = parseScenario(new URLSearchParams('view=paper'));
    expect(errors.size).toBe(0);
    expect(scenario).toEqual(PAPER_SCENARIO);
    expect(hashOf(scenario).toString()).toBe('view=paper');
    expect(changedFields(scenario)).toEqual([]);
  });

  it('round-trips every field through the hash', () => {
    const s = cloneScenario(PAPER_SCENARIO);
    s.agents[0]!.T = 120.5;
    s.agents[1]!.R = 0.125;
    s.agents[2]!.P = 3;
    s.agents[3]!.lambda = 0;
    Object.assign(s, { lmax: 1000, steps: 250, arrivals: 'poisson', seed: 2 ** 40 + 1 });
    const params = hashOf(s);
    expect(params.get('lmax')).toBe('1000');
    expect(params.has('T1')).toBe(false); // unchanged fields stay out of the link
    const back = parseScenario(new URLSearchParams(params.toString()));
    expect(back.errors.size).toBe(0);
    expect(back.scenario).toEqual(s);
    expect(changedFields(s)).toEqual(['coordinator T', 'nlp R', 'vision P', 'reasoning λ', 'L_max', 'steps', 'arrivals', 'seed']);
  });

  it.each([
    ['lmax', '-5', 'L_max: must be a number > 0 and ≤ 1e9 (seconds, latency of a zero-share step), got "-5"'],
    ['lmax', 'abc', 'L_max: must be a number > 0 and ≤ 1e9'],
    ['lmax', 'Infinity', 'L_max: must be a number > 0'],
    ['steps', '1.5', `steps: must be an integer from 1 to ${PAGE_MAX_STEPS} (steps of 1 s), got "1.5"`],
    ['steps', String(PAGE_MAX_STEPS + 1), `steps: must be an integer from 1 to ${PAGE_MAX_STEPS}`],
    ['steps', '', 'steps: must be an integer from 1 to 100000 (steps of 1 s), got nothing'],
    ['T0', '0', 'coordinator T: must be a number > 0 and ≤ 1e9 (requests/s with the whole GPU)'],
    ['T2', '1e300', 'vision T: must be a number > 0 and ≤ 1e9'],
    ['R1', '1.5', 'nlp R: must be a number ≥ 0 and ≤ 1 (minimum share of the GPU), got "1.5"'],
    ['P3', '-1', 'reasoning P: must be a number > 0 and ≤ 1e6'],
    ['lambda3', '2e7', 'reasoning λ: must be a number ≥ 0 and ≤ 1e7 (requests/s)'],
    ['arrivals', 'bursty', 'arrivals: must be one of deterministic, poisson, gamma, weibull, mmpp, replay, got "bursty"'],
    ['seed', '-1', `seed: must be an integer from 0 to ${Number.MAX_SAFE_INTEGER}`],
  ])('%s = %j is refused, naming the field and its range', (key, raw, message) => {
    const { scenario, errors } = parseScenario(new URLSearchParams({ [key]: raw, lmax: key === 'lmax' ? raw : '1000' }));
    expect(errors.size).toBe(1);
    expect(errors.get(key as never)).toContain(message);
    // the other fields still read, and the bad one keeps the paper's value
    expect(scenario.lmax).toBe(key === 'lmax' ? PAPER_SCENARIO.lmax : 1000);
  });

  it('accepts the ends of every range', () => {
    const edges: Record<string, string> = {
      T0: '1e9',
      R0: '0',
      R1: '1',
      P0: '1e6',
      lambda0: '0',
      lambda1: '1e7',
      steps: '1',
      seed: '0',
      lmax: '1e9',
    };
    expect(parseScenario(new URLSearchParams(edges)).errors).toEqual(new Map());
    expect(() => scenarioBatch(parseScenario(new URLSearchParams(edges)).scenario)).not.toThrow();
  });

  it('has one field per agent parameter and run setting, each key unique', () => {
    const keys = FIELDS.map((f) => f.key);
    expect(new Set(keys).size).toBe(keys.length);
    // the fleet's size, then name, T, R, P, λ, M, pinned per agent, the workflow, the GPUs and their mode, the lifecycle and its 9 settings, the run's 4, the process's 5
    expect(keys).toHaveLength(1 + 4 * 7 + 1 + 2 + 1 + 9 + 4 + 5);
  });

  it('maps the engine’s ConfigError fields to the form’s', () => {
    expect(fieldOfConfigError('fleets[0].agents[2].lambda')).toBe('lambda2');
    expect(fieldOfConfigError('fleets[0].agents[0].T')).toBe('T0');
    expect(fieldOfConfigError('lmax')).toBe('lmax');
    expect(fieldOfConfigError('warmup')).toBeUndefined();
    expect(fieldOfConfigError('fleets[0].agents[1].arrivals.cv', 'gamma')).toBe('cv');
    expect(fieldOfConfigError('fleets[0].agents[1].arrivals.mmpp', 'mmpp')).toBe('peakRatio');
    expect(fieldOfConfigError('fleets[0].agents[1].arrivals.trace', 'poisson')).toBe('trace');
    expect(fieldOfConfigError('fleets[0].agents[1].arrivals.trace', 'replay')).toBe('arrivals');
  });
});

describe('any fixed fleet', () => {
  it('adds agents past the paper’s four with defaults, and writes only what differs', () => {
    const s = cloneScenario(PAPER_SCENARIO);
    s.agents.push(newAgent(s.agents), newAgent([...s.agents, defaultAgent(4)]));
    expect(s.agents.map((a) => a.name)).toEqual(['coordinator', 'nlp', 'vision', 'reasoning', 'agent5', 'agent6']);
    s.agents[5]!.name = 'embedder';
    s.agents[5]!.lambda = 200;
    expect(hashOf(s).toString()).toBe('view=paper&agents=6&name5=embedder&lambda5=200');
    const back = parseScenario(hashOf(s));
    expect(back.errors.size).toBe(0);
    expect(back.scenario).toEqual(s);
    expect(changedFields(s)).toEqual(['agents', 'agent 6 name', 'embedder λ']);
    // the batch names the agents and runs them all under each policy
    const b = scenarioBatch(s);
    expect(b.fleets.agentCount[0]).toBe(6);
    const result = summarize(b, runBatchCpu(b));
    expect(
      runSummary(
        b,
        result,
        0,
        s.agents.map((a) => a.name),
      ).perAgent.map((a) => a.name),
    ).toContain('embedder');
  });

  it('removes an agent: the others move up, and the removed keys leave the link', () => {
    const s = cloneScenario(PAPER_SCENARIO);
    s.agents.splice(1, 1); // nlp
    const params = scenarioParams(s);
    expect(params.agents).toBe('3');
    expect(params.name1).toBe('vision');
    expect(params.name3).toBeUndefined();
    expect(params.T3).toBeUndefined(); // so ViewState.set deletes a stale T3
    expect(params.T11).toBeUndefined();
    expect(parseScenario(hashOf(s)).scenario).toEqual(s);
    // a new agent takes a free name
    expect(newAgent([{ name: 'agent2' }])).toEqual({ ...defaultAgent(1), name: 'nlp' });
    expect(newAgent(Array.from({ length: 5 }, (_, i) => ({ name: `agent${i + 2}` }))).name).toBe('agent7');
  });

  it.each([
    ['agents=0', 'agents', 'agents: must be an integer from 1 to 12 (agents in the fleet), got "0"'],
    [`agents=${MAX_PAGE_AGENTS + 1}`, 'agents', `agents: must be an integer from 1 to ${MAX_PAGE_AGENTS}`],
    ['name0=', 'name0', 'agent 1 name: must not be empty'],
    [`name2=${'x'.repeat(65)}`, 'name2', 'agent 3 name: must be at most 64 characters'],
    ['name1=coordinator', 'name1', 'agent 2 name: must differ from the other agents\' names (agent 1 is named "coordinator")'],
    // the study schema's own bound (32-bit floats), past the page's range
    ['T1=1e-20', 'T1', 'nlp T: must be ≥ 1e-15 (the engines hold 32-bit floats), got 1e-20'],
    ['lambda0=1e-30', 'lambda0', 'coordinator λ: must be 0 or ≥ 1e-15 (the engines hold 32-bit floats), got 1e-30'],
    ['name0=a%0Ab&T0=-1', 'T0', '"a\\nb" T: must be a number > 0 and ≤ 1e9'],
    [
      'agents=8&steps=60000',
      'steps',
      `steps: must be at most 50000 with 8 agents (the page keeps every step of every agent: agents × steps ≤ ${PAGE_MAX_AGENT_STEPS}), got "60000"`,
    ],
  ])('%s is refused on its field, in the study’s words where the study checks it', (hash, key, message) => {
    const { scenario, errors } = parseScenario(new URLSearchParams(hash));
    expect([...errors.keys()]).toEqual([key]);
    expect(errors.get(key as never)).toContain(message);
    expect(() => scenarioBatch(scenario)).not.toThrow(); // a refused field keeps a value the engines run
  });

  it('offered load: λ over T times the mean share, ∞ without a GPU, 0 without arrivals; the per-step queue and latency', () => {
    const per = [{ share: 0.5 }, { share: 0 }, { share: 0 }, { share: 0.25 }];
    expect(
      agentLoads(
        [
          { T: 100, lambda: 40 },
          { T: 50, lambda: 1 },
          { T: 50, lambda: 0 },
          { T: 40, lambda: 10 },
        ],
        per,
      ),
    ).toEqual([0.8, Infinity, 0, 1]);
    // the paper's fleet is overloaded under every policy (ρ ≈ 3.2): every agent's load is above 1
    const batch = paperBatch();
    const result = summarize(batch, runBatchCpu(batch));
    for (let r = 0; r < 3; r++) {
      const loads = agentLoads(PAPER_SCENARIO.agents, runSummary(batch, result, r).perAgent);
      for (const load of loads) expect(load).toBeGreaterThan(1);
    }
    const series = runSeriesCpu(batch, POLICY.static);
    const [x, ...queues] = queueData(series, 1);
    expect(x).toHaveLength(100);
    expect(queues).toHaveLength(4);
    queues.forEach((q, i) => expect(q.at(-1)).toBe(runSummary(batch, result, POLICY.static).perAgent[i]!.finalQueue));
    const [, ...latencies] = latencyData(series, 1);
    latencies.forEach((l, i) => {
      const mean = l.reduce((a, b) => a! + b!, 0)! / l.length;
      expect(mean).toBeCloseTo(runSummary(batch, result, POLICY.static).perAgent[i]!.latency, 9);
    });
  });
});

describe('the arrival process in the URL', () => {
  it('round-trips each process with its parameters, and leaves the others’ out of the link', () => {
    const gamma = { ...cloneScenario(PAPER_SCENARIO), arrivals: 'gamma' as const, cv: 3 };
    expect(hashOf(gamma).toString()).toBe('view=paper&arrivals=gamma&cv=3');
    const mmpp = {
      ...cloneScenario(PAPER_SCENARIO),
      arrivals: 'mmpp' as const,
      idc: 50,
      highFraction: 0.1,
      peakRatio: 5,
      trace: PAGE_TRACE,
    };
    expect(hashOf(mmpp).toString()).toBe(`view=paper&arrivals=mmpp&idc=50&highFraction=0.1&peakRatio=5&trace=${PAGE_TRACE}`);
    for (const s of [gamma, mmpp, { ...cloneScenario(PAPER_SCENARIO), arrivals: 'replay' as const, steps: 500 }]) {
      const back = parseScenario(new URLSearchParams(hashOf(s).toString()));
      expect(back.errors.size).toBe(0);
      expect(back.scenario).toEqual(s);
    }
    expect(changedFields(mmpp)).toEqual(['arrivals', 'MMPP idc', 'MMPP high fraction', 'MMPP peak ratio', 'follow the Azure trace']);
    // cv means nothing to Poisson arrivals: not read, not written, not a change
    const poisson = parseScenario(new URLSearchParams('arrivals=poisson&cv=500'));
    expect(poisson.errors.size).toBe(0);
    expect(poisson.scenario.cv).toBe(PAPER_SCENARIO.cv);
    expect(hashOf({ ...poisson.scenario, cv: 3 }).toString()).toBe('view=paper&arrivals=poisson');
    expect(changedFields({ ...poisson.scenario, cv: 3 })).toEqual(['arrivals']);
  });

  it.each([
    [
      'arrivals=gamma&cv=500',
      'cv',
      'cv: must be a number ≥ 0.05 and ≤ 200 (coefficient of variation of the inter-arrival time), got "500"',
    ],
    ['arrivals=weibull&cv=0.01', 'cv', 'cv: must be a number ≥ 0.05 and ≤ 200'],
    ['arrivals=mmpp&idc=1', 'idc', 'MMPP idc: must be a number > 1 and ≤ 1e6'],
    [
      'arrivals=mmpp&highFraction=1',
      'highFraction',
      'MMPP high fraction: must be a number > 0 and < 1 (fraction of time in the high state), got "1"',
    ],
    ['arrivals=mmpp&peakRatio=0.5', 'peakRatio', 'MMPP peak ratio: must be a number ≥ 1 and ≤ 1000'],
    [
      'arrivals=mmpp&peakRatio=6',
      'peakRatio',
      'MMPP peak ratio: must be ≥ 1 and ≤ 1/high fraction = 5 (peak ratio × high fraction ≤ 1), got "6"',
    ],
    ['arrivals=poisson&trace=other', 'trace', 'follow the Azure trace: must be one of none, azure-llm-2023-conv, got "other"'],
  ])('%s is refused on its field, naming its range', (hash, key, message) => {
    const { errors } = parseScenario(new URLSearchParams(hash));
    expect([...errors.keys()]).toEqual([key]);
    expect(errors.get(key as never)).toContain(message);
  });

  it('gives every agent the process’s spec, and the paper’s batch for plain deterministic and Poisson', () => {
    expect(scenarioArrivals(PAPER_SCENARIO)).toBeUndefined();
    expect(scenarioArrivals({ ...PAPER_SCENARIO, arrivals: 'poisson' })).toBeUndefined();
    expect(scenarioArrivals({ ...PAPER_SCENARIO, arrivals: 'gamma', cv: 3 })).toEqual({ process: 'gamma', cv: 3 });
    expect(scenarioArrivals({ ...PAPER_SCENARIO, arrivals: 'replay' })).toEqual({ process: 'replay', trace: 0 });
    expect(scenarioArrivals({ ...PAPER_SCENARIO, arrivals: 'poisson', trace: PAGE_TRACE })).toEqual({ process: 'poisson', trace: 0 });
    expect(() => scenarioBatch({ ...PAPER_SCENARIO, arrivals: 'replay' })).toThrow(/not loaded/);
  });

  it.each([
    ['poisson', {}],
    ['gamma', { cv: 3 }],
    ['weibull', { cv: 0.5 }],
    ['mmpp', {}],
    ['mmpp', { trace: PAGE_TRACE }],
    ['gamma', { cv: 2, trace: PAGE_TRACE }],
    ['replay', {}],
  ] as const)('runs %s %j: series and totals agree, the agents’ IDC from the series is the engine’s', (arrivals, extra) => {
    const s: PaperScenario = { ...cloneScenario(PAPER_SCENARIO), arrivals, steps: 400, seed: 5, ...extra };
    const b = scenarioBatch(s, pageTraces());
    const totals = runBatchCpu(b);
    const result = summarize(b, totals);
    const series = runSeriesCpu(b, 0);
    expect(seriesGap(series, totals, 0)).toBeLessThanOrEqual(SERIES_GAP_F64);
    const agents = runSummary(b, result, 0).perAgent;
    agents.forEach((a, i) => {
      expect(agentIdc(series, i, 1)).toBeCloseTo(a.idc1, 9);
      expect(Math.max(...arrivalData(series, 1)[i + 1]!.map(Number))).toBe(a.maxArrivals);
    });
    expect(result.realizedRate[0]).toBeGreaterThan(0);
    expect(Number.isFinite(result.idc10[0])).toBe(true);
    expect(Number.isNaN(agentIdc(series, 0, 300))).toBe(true); // one complete window of 300 steps
    if (arrivals === 'gamma' && !('trace' in extra)) expect(result.idc1[0]).toBeGreaterThan(1.5); // burstier than Poisson
  });
});

describe('the scenario’s batch', () => {
  it('is the paper’s batch for the paper’s scenario', () => {
    const mine = scenarioBatch(PAPER_SCENARIO);
    const paper = paperBatch();
    // The page records the arrival statistics for its arrivals table; they touch no other total.
    expect(mine.config).toEqual({ ...paper.config, arrivalStats: true });
    expect(mine.fleets).toEqual(paper.fleets);
    expect(mine.runs).toEqual(paper.runs);
  });

  it('gives round-robin 756.8 with L_max = 1000 (MODEL.md)', () => {
    const batch = scenarioBatch({ ...cloneScenario(PAPER_SCENARIO), lmax: 1000 });
    expect(summarize(batch, runBatchCpu(batch)).avgLatency[POLICY.roundRobin]!.toFixed(1)).toBe('756.8');
  });
});

describe('the four panels and the series check', () => {
  const batch = paperBatch();
  const result = summarize(batch, runBatchCpu(batch));
  const perPolicy = PAPER_POLICIES.map((_, r) => runSummary(batch, result, r).perAgent);

  it('(a) and (b): one column per policy, one point per agent', () => {
    const [x, ...latency] = perAgentData(perPolicy, 'latency');
    expect(x).toEqual([0, 1, 2, 3]);
    expect(latency[POLICY.static]!.map((v) => v!.toFixed(3))).toEqual(['111.100', '111.100', '101.000', '117.833']);
    const [, ...throughput] = perAgentData(perPolicy, 'throughput');
    expect(throughput[POLICY.static]).toEqual([25, 12.5, 15, 7.5]);
  });

  it('(c): round-robin gives the whole GPU to agent t mod N at step t', () => {
    const [x, ...shares] = allocationData(runSeriesCpu(batch, POLICY.roundRobin), batch.config.dt);
    expect(x).toHaveLength(100);
    expect(x[99]).toBe(99);
    for (let t = 0; t < 100; t++) shares.forEach((column, i) => expect(column[t]).toBe(i === t % 4 ? 1 : 0));
  });

  it('(d): points sorted by throughput, each row belonging to exactly one policy', () => {
    const [x, ...ys] = scatterData(perPolicy);
    expect(x).toHaveLength(12);
    expect([...x].sort((a, b) => a - b)).toEqual(x);
    for (let k = 0; k < x.length; k++) expect(ys.filter((y) => y[k] !== null)).toHaveLength(1);
  });

  it.each([
    ['deterministic', batch],
    ['poisson', scenarioBatch({ ...cloneScenario(PAPER_SCENARIO), arrivals: 'poisson', seed: 9, steps: 300 })],
  ] as const)('the CPU series sums to the CPU totals (%s arrivals)', (_, b) => {
    const totals = runBatchCpu(b);
    for (let r = 0; r < 3; r++) expect(seriesGap(runSeriesCpu(b, r), totals, r)).toBeLessThanOrEqual(SERIES_GAP_F64);
  });

  it('notices a series that is not the run’s', () => {
    const totals = runBatchCpu(batch);
    expect(seriesGap(runSeriesCpu(batch, POLICY.static), totals, POLICY.adaptive)).toBeGreaterThan(0.01);
  });

  describe.skipIf(!gpu)(gpuSkipReason ?? 'on the GPU', () => {
    it('the CPU series sums to the GPU engine’s totals', async () => {
      const b = scenarioBatch({ ...cloneScenario(PAPER_SCENARIO), lmax: 1000 });
      const totals = await (await engine()).run(b);
      assertNoUncapturedErrors();
      for (let r = 0; r < 3; r++) expect(seriesGap(runSeriesCpu(b, r), totals, r)).toBeLessThanOrEqual(SERIES_GAP_F32);
    });
  });
});

describe('the policy picker’s link (URL key policies)', () => {
  it('defaults to the paper’s three; takes any registered policies in registry order; names an unknown one', () => {
    expect(parsePolicies(undefined)).toEqual({ policies: [...PAPER_POLICIES] });
    const all = parsePolicies([...POLICY_NAMES].reverse().join(','));
    expect(all).toEqual({ policies: [...POLICY_NAMES] });
    expect(policiesParam(PAPER_POLICIES)).toBeUndefined();
    expect(policiesParam(['adaptive', 'static'])).toBe('static,adaptive');
    expect(parsePolicies(policiesParam(['adaptive', 'static']))).toEqual({ policies: ['static', 'adaptive'] });
    const bad = parsePolicies('static,greedy');
    expect(bad.policies).toEqual([...PAPER_POLICIES]);
    expect(bad.error).toBe(`policies: must be one or more of ${POLICY_NAMES.join(', ')}, got "greedy"`);
    expect(parsePolicies(' , ').error).toMatch(/, got none$/);
  });

  it('scenarioBatch runs the chosen policies in that order', () => {
    const names = [...POLICY_NAMES].reverse();
    const batch = scenarioBatch(PAPER_SCENARIO, undefined, names);
    expect(Array.from(batch.runs.policy)).toEqual(names.map((n) => POLICY[n]));
    expect(Array.from(scenarioBatch(PAPER_SCENARIO).runs.policy)).toEqual(PAPER_POLICIES.map((n) => POLICY[n]));
  });
});
