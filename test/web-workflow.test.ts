/**
 * The Paper view's workflow (web/views/paperWorkflow.ts, MODEL-PART4 §4.6) without a browser: the
 * switch in the URL and its errors, the routes and external rates it gives the batch, the graph the
 * view draws (read back from the packed batch), and the end-to-end and visit figures against the CPU
 * engine's totals and series.
 */
import { describe, expect, it } from 'vitest';
import { runBatchCpu, runSeriesCpu } from '../src/cpu/engine.js';
import { crossRuns, makeBatch, packFleets } from '../src/model/batch.js';
import { runSummary, summarize } from '../src/model/metrics.js';
import { PAPER_AGENTS, PAPER_CONFIG, PAPER_WORKFLOW } from '../src/model/paper.js';
import { POLICY } from '../src/model/policies.js';
import { seriesGap } from '../web/views/paperFigures.js';
import {
  changedFields,
  cloneScenario,
  fieldOfConfigError,
  FIELDS,
  PAPER_SCENARIO,
  type PaperScenario,
  parseScenario,
  scenarioBatch,
  scenarioParams,
} from '../web/views/paperScenario.js';
import {
  endToEnd,
  PAGE_WORKFLOW_GRAPHS,
  PAGE_WORKFLOWS,
  probabilityText,
  scenarioWorkflow,
  WORKFLOW_TEXTS,
  workflowGraph,
  workflowNames,
} from '../web/views/paperWorkflow.js';

/** The paper's scenario with its workflow switched on and the coordinator's external rate λ. */
function workflowScenario(lambda: number, changes: Partial<PaperScenario> = {}): PaperScenario {
  const s = cloneScenario(PAPER_SCENARIO);
  s.workflow = 'paper';
  s.agents[0]!.lambda = lambda;
  return Object.assign(s, changes);
}

/** f32 rounding of a packed rate or probability (the batch's arrays are Float32). */
const F32 = 1e-6;

describe('the workflow switch in the URL', () => {
  it('is off by default, round-trips as workflow=paper, and counts as a change from the paper', () => {
    expect(PAPER_SCENARIO.workflow).toBe('none');
    const s = workflowScenario(PAPER_AGENTS[0]!.lambda);
    const params = scenarioParams(s);
    expect(params.workflow).toBe('paper');
    const back = parseScenario(new URLSearchParams({ workflow: 'paper' }));
    expect(back.errors.size).toBe(0);
    expect(back.scenario).toEqual(s);
    expect(changedFields(s)).toEqual(['workflow']);
    expect(FIELDS.filter((f) => f.key === 'workflow')).toHaveLength(1);
    // every choice has the form's text
    for (const w of PAGE_WORKFLOWS) expect(WORKFLOW_TEXTS[w].length).toBeGreaterThan(0);
  });

  it.each([
    ['workflow=chain', 'workflow: must be one of none, paper, got "chain"'],
    [
      'workflow=paper&name2=camera',
      'workflow: the paper workflow routes between agents named coordinator, nlp, vision and reasoning; the fleet has no agent named vision',
    ],
    ['workflow=paper&agents=2', 'the fleet has no agent named vision and reasoning'],
  ])('%s is refused on the workflow field, and the run falls back to independent agents', (hash, message) => {
    const { scenario, errors } = parseScenario(new URLSearchParams(hash));
    expect([...errors.keys()]).toEqual(['workflow']);
    expect(errors.get('workflow')).toContain(message);
    expect(scenario.workflow).toBe('none');
    expect(() => scenarioBatch(scenario)).not.toThrow();
  });

  it('finds its agents by name, wherever they sit in the fleet, and leaves the other agents independent', () => {
    const agents = [{ name: 'embedder' }, { name: 'reasoning' }, { name: 'coordinator' }, { name: 'vision' }, { name: 'nlp' }];
    const wf = scenarioWorkflow(agents, 'paper');
    expect(wf.error).toBeUndefined();
    expect(wf.entries).toEqual([2]);
    expect(wf.external).toEqual([true, false, true, false, false]);
    expect(wf.routes[0]).toBeUndefined();
    expect(wf.routes[2]).toEqual([
      { to: 4, p: 0.3 },
      { to: 3, p: 0.3 },
      { to: 1, p: 0.3 },
    ]);
    expect(wf.routes[1]).toEqual([{ to: 2, p: 0.5 }]);
    expect(PAGE_WORKFLOW_GRAPHS.paper).toBe(PAPER_WORKFLOW); // the shipped graph, not a copy
    expect(workflowNames(PAPER_WORKFLOW)).toEqual(['coordinator', 'nlp', 'vision', 'reasoning']);
    // off: no routes, every agent external
    expect(scenarioWorkflow(agents, 'none')).toEqual({
      routes: agents.map(() => undefined),
      external: agents.map(() => true),
      entries: [],
    });
  });

  it('maps the engine’s graph errors to the workflow field', () => {
    expect(fieldOfConfigError('fleets[0].agents[1].routes[0].p')).toBe('workflow');
    expect(fieldOfConfigError('fleets[0].agents[3].routes')).toBe('workflow');
    expect(fieldOfConfigError('fleets[0].forkJoin.fork')).toBe('workflow');
    expect(fieldOfConfigError('fleets[0].agents[1].lambda')).toBe('lambda1'); // not the graph's
    expect(fieldOfConfigError('fleets[0].agents[1].arrivals.cv', 'gamma')).toBe('cv');
  });
});

describe('the batch of a workflow', () => {
  it('routes as the paper’s graph: external arrivals at the coordinator only, γ_coordinator = Λ/0.55', () => {
    const s = workflowScenario(15);
    s.agents[1]!.lambda = 99; // a specialist's own λ is not used in the workflow
    const { fleets } = scenarioBatch(s);
    expect(Array.from(fleets.lambda)).toEqual([15, 0, 0, 0]);
    expect(Array.from(fleets.routeCount)).toEqual([3, 1, 1, 1]);
    expect(Array.from(fleets.routeTo)).toEqual([1, 2, 3, 0, 0, 0]);
    expect(Array.from(fleets.routeP).map((p) => Number(p.toFixed(6)))).toEqual([0.3, 0.3, 0.3, 0.5, 0.5, 0.5]);
    expect(fleets.demand[0]).toBeCloseTo(15 / 0.55, 4);
    for (let i = 1; i < 4; i++) expect(Math.abs(fleets.demand[i]! - (0.3 * 15) / 0.55)).toBeLessThan(F32 * 10);
    // switched off: λ as given, no routes, γ = λ bit for bit
    const off = scenarioBatch({ ...s, workflow: 'none' }).fleets;
    expect(Array.from(off.lambda)).toEqual([15, 99, 45, 25]);
    expect(Array.from(off.demand)).toEqual(Array.from(off.lambda));
    expect(off.routeTo).toHaveLength(0);
  });
});

describe('the graph the view draws', () => {
  it('is read back from the packed batch: nodes, edges labelled with p, the entry, what leaves, two columns', () => {
    const s = workflowScenario(15);
    s.agents.push({ name: 'embedder', T: 50, R: 0, P: 2, lambda: 5, M: 1000, pinned: false });
    const b = scenarioBatch(s);
    const graph = workflowGraph(
      b.fleets,
      0,
      s.agents.map((a) => a.name),
    )!;
    expect(graph.nodes.map((n) => [n.name, n.entry, n.layer, n.row, probabilityText(n.exit)])).toEqual([
      ['coordinator', true, 0, 0, '0.1'],
      ['nlp', false, 1, 0, '0.5'],
      ['vision', false, 1, 1, '0.5'],
      ['reasoning', false, 1, 2, '0.5'],
    ]);
    expect(graph.edges.map((e) => `${e.from}→${e.to} ${e.label}`)).toEqual([
      '0→1 0.3',
      '0→2 0.3',
      '0→3 0.3',
      '1→0 0.5',
      '2→0 0.5',
      '3→0 0.5',
    ]);
    expect(graph.layers).toBe(2);
    expect(graph.rows).toBe(3);
    expect(graph.outside).toEqual(['embedder']); // an independent agent: not in the graph
    expect(graph.nodes[0]!.visitRate).toBe(b.fleets.demand[0]);
    expect(workflowGraph(scenarioBatch(PAPER_SCENARIO).fleets, 0, [])).toBeNull();
  });

  it('labels a fork-join’s edges fork and join, lays a chain out in columns and keeps a self-loop', () => {
    // entry 0 → fork 1 → branches 2, 3 → join 4 (leaves); 4 loops back on itself with p = 0.2
    const agents = [
      { T: 10, R: 0, P: 1, lambda: 1, routes: [{ to: 1, p: 1 }] },
      {
        T: 10,
        R: 0,
        P: 1,
        lambda: 0,
        routes: [
          { to: 2, p: 1 },
          { to: 3, p: 1 },
        ],
      },
      { T: 10, R: 0, P: 1, lambda: 0, routes: [{ to: 4, p: 1 }] },
      { T: 10, R: 0, P: 1, lambda: 0, routes: [{ to: 4, p: 1 }] },
      { T: 10, R: 0, P: 1, lambda: 0, routes: [{ to: 4, p: 0.2 }] },
    ];
    const fleets = packFleets([{ agents, forkJoin: { fork: 1, join: 4 } }]);
    const graph = workflowGraph(fleets, 0, ['a', 'fork', 'b1', 'b2', 'join'])!;
    expect(graph.edges.map((e) => `${e.from}→${e.to} ${e.label}`)).toEqual([
      '0→1 1',
      '1→2 fork',
      '1→3 fork',
      '2→4 join',
      '3→4 join',
      '4→4 0.2',
    ]);
    expect(graph.nodes.map((n) => n.layer)).toEqual([0, 1, 2, 2, 3]);
    expect(graph.nodes.map((n) => [n.fork, n.join, probabilityText(n.exit)])).toEqual([
      [false, false, '0'],
      [true, false, '0'],
      [false, false, '0'],
      [false, false, '0'],
      [false, true, '0.8'],
    ]);
  });
});

describe('end-to-end latency and visit rates of a run', () => {
  it('take the engine’s metrics: N̄ = W_e2e·Λ̂, Λ̂ the external arrivals, γ̂ → γ where the workflow keeps up', () => {
    const s = workflowScenario(15, { steps: 2000, arrivals: 'poisson' });
    const b = scenarioBatch(s);
    const result = summarize(b, runBatchCpu(b));
    const horizon = s.steps * PAPER_CONFIG.dt;
    const perPolicy = [0, 1, 2].map((r) => runSummary(b, result, r).perAgent);
    for (let r = 0; r < 3; r++) {
      const e = endToEnd(result, r, perPolicy[r]!);
      expect(e.e2eLatency).toBe(result.e2eLatency[r]);
      expect(e.inWorkflow).toBeCloseTo(e.e2eLatency * e.externalRate, 9);
      expect(e.inFlight).toBe(result.inFlight[r]);
      expect(e.forkParents).toBeNaN(); // no fork-join
      // the external arrivals are the coordinator's, the same under every policy (common random numbers)
      const j = result.totals.agentOffset[r]!;
      expect(e.externalRate).toBe((result.totals.arrivedSum[j]! - result.totals.routedSum[j]!) / horizon);
      expect(e.externalRate).toBe(endToEnd(result, 0, perPolicy[0]!).externalRate);
      expect(Math.abs(e.externalRate - 15)).toBeLessThan(0.5); // Poisson, 2,000 steps: σ ≈ 0.09
      for (let i = 1; i < 4; i++) expect(perPolicy[r]![i]!.externalRate).toBe(0); // the specialists take routed requests only
      expect(seriesGap(runSeriesCpu(b, r), result.totals, r)).toBeLessThan(1e-12);
    }
    // adaptive keeps up with γ (static's R-shares starve the specialists): γ̂ within 2 % of the traffic equations
    const adaptive = 2;
    for (let i = 0; i < 4; i++) expect(Math.abs(perPolicy[adaptive]![i]!.realizedRate / b.fleets.demand[i]! - 1)).toBeLessThan(0.02);
    expect(result.e2eLatency[adaptive]).toBeLessThan(result.e2eLatency[0]!);
  });

  it('equals littleLatency without routing, and the series still matches the totals', () => {
    const b = makeBatch(packFleets([{ agents: PAPER_AGENTS }]), crossRuns(1, [POLICY.static, POLICY.adaptive], 1), PAPER_CONFIG);
    const result = summarize(b, runBatchCpu(b));
    for (let r = 0; r < 2; r++) {
      const e = endToEnd(result, r, runSummary(b, result, r).perAgent);
      expect(e.e2eLatency).toBeCloseTo(e.littleLatency, 12);
      expect(e.inFlight).toBe(0);
      expect(e.externalRate).toBeCloseTo(190, 9);
      expect(seriesGap(runSeriesCpu(b, r), result.totals, r)).toBeLessThan(1e-12);
    }
  });
});
