/**
 * A study's workflow (docs/workflows.md, MODEL-PART4 §4.6): every bad graph gets one line naming the
 * field to fix (a table: each check of src/study/workflow.ts has its row); the graph resolves to the
 * packer's routes by index; the external rates follow the documented rule (fleet.agents as written,
 * the preset and random fleets keep their load Σγ/T); templates give the documented graphs; the
 * shipped study writes PAPER_WORKFLOW; the sweep packs routes and fork-joins; the per-agent result
 * rows carry the visit and external rates.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { starterStudy, starterText } from '../src/cli/init.js';
import { sweepSummary } from '../src/cli/summary.js';
import { agentLoads, validateCommand } from '../src/cli/validate.js';
import { tableToIPC } from 'apache-arrow';
import { runBatchCpu } from '../src/cpu/engine.js';
import { summarize } from '../src/model/metrics.js';
import { agentRowsFromBatch, agentRowsTable, parseAgentArrow } from '../src/results/agentRows.js';
import { LATE_AGENT_ROW_METRICS } from '../src/results/columns.js';
import { parseSummaryJson, summaryTable } from '../src/results/tables.js';
import { LATE_AGENT_METRICS, SweepAggregate } from '../src/sweep/aggregate.js';
import { PAPER_AGENTS, PAPER_WORKFLOW } from '../src/model/paper.js';
import { MAX_SUCCESSORS, NO_AGENT } from '../src/model/workflow.js';
import { expandStudy, parseStudyText, StudyError } from '../src/study/cells.js';
import { cellFleet, loadFactor } from '../src/study/fleets.js';
import type { StudyInput } from '../src/study/schema.js';
import { fleetWorkflow, HUB_MAX_AGENTS, paperWorkflow, visitRates, workflowRates } from '../src/study/workflow.js';
import { planUnits } from '../src/sweep/plan.js';
import { buildBatch, sweepInMemory } from '../src/sweep/run.js';

const ROOT = join(import.meta.dirname, '..');
const graph = { routes: PAPER_WORKFLOW.routes };
const plain: StudyInput = { name: 'wf', fleet: { preset: 'paper' }, steps: 20, arrivals: 'poisson' };
const base: StudyInput = { ...plain, workflow: graph };
const agents = (lambdas: number[], names = ['a', 'b', 'c']): NonNullable<StudyInput['fleet']> => ({
  agents: lambdas.map((lambda, i) => ({ name: names[i], T: 10, R: 0.1, P: 1, lambda })),
});

function problems(json: unknown): string[] {
  try {
    expandStudy(json);
  } catch (error) {
    if (error instanceof StudyError) return [...error.problems];
    throw error;
  }
  return [];
}

describe('workflow validation: one line naming the field', () => {
  const cases: [string, unknown, string[]][] = [
    [
      'a routing row summing above 1',
      { ...base, workflow: { routes: { coordinator: { nlp: 0.5, vision: 0.4, reasoning: 0.3 } } } },
      ['workflow.routes.coordinator: the probabilities sum to 1.2; they must sum to at most 1 (the rest leaves the workflow)'],
    ],
    [
      'an unknown successor',
      { ...base, workflow: { routes: { coordinator: { nlp: 0.3, planner: 0.3 } } } },
      ['workflow.routes.coordinator.planner: no agent is named "planner" (agents: coordinator, nlp, vision, reasoning)'],
    ],
    [
      'an unknown sender',
      { ...base, workflow: { routes: { planner: { nlp: 0.3 } } } },
      ['workflow.routes.planner: no agent is named "planner" (agents: coordinator, nlp, vision, reasoning)'],
    ],
    [
      'a cycle without exit',
      { ...base, workflow: { routes: { coordinator: { nlp: 0.5 }, nlp: { vision: 1 }, vision: { nlp: 1 } } } },
      ['workflow.routes.nlp: requests that reach "nlp" can never leave the workflow (a cycle without exit)'],
    ],
    [
      'an unknown entry',
      { ...base, workflow: { ...graph, entry: ['coordinator', 'planner'] } },
      ['workflow.entry[1]: no agent is named "planner" (agents: coordinator, nlp, vision, reasoning)'],
    ],
    [
      'a probability outside [0, 1]',
      { ...base, workflow: { routes: { coordinator: { nlp: 1.5 } } } },
      ['workflow.routes.coordinator.nlp: must be in [0, 1] (a probability), got 1.5'],
    ],
    [
      'too many successors',
      {
        ...base,
        fleet: { agents: Array.from({ length: 10 }, (_, i) => ({ name: `a${i}`, T: 10, R: 0.05, P: 1, lambda: i === 0 ? 1 : 0 })) },
        workflow: { routes: { a0: Object.fromEntries(Array.from({ length: 9 }, (_, i) => [`a${i + 1}`, 0.1])) } },
      },
      [`workflow.routes.a0: at most ${MAX_SUCCESSORS} successors, got 9`],
    ],
    [
      'exponential work (not whole requests)',
      { ...base, work: 'exponential' },
      ['work: a workflow routes whole requests: use "exponentialCount" (the same law, counted in whole requests), not "exponential"'],
    ],
    [
      'exponentialCount without counted arrivals',
      { ...base, work: 'exponentialCount', arrivals: 'deterministic' },
      ['work: exponentialCount work needs arrivals that count requests (not deterministic)'],
    ],
    [
      'a rate on an agent that is not an entry (fleet.agents)',
      { ...base, fleet: agents([5, 2, 0]), workflow: { routes: { a: { b: 0.5 } } } },
      [
        'fleet.agents[1].lambda: "b" is not an entry of the workflow: its requests come from its predecessors, so its lambda must be 0 (or list it in workflow.entry), got 2',
      ],
    ],
    [
      'an arrival process on an agent that is not an entry',
      {
        ...base,
        fleet: {
          agents: [
            { name: 'a', T: 10, R: 0.1, P: 1, lambda: 5 },
            { name: 'b', T: 10, R: 0.1, P: 1, lambda: 0, arrivals: 'poisson' },
          ],
        },
        workflow: { routes: { a: { b: 0.5 } } },
      },
      ['fleet.agents[1].arrivals: "b" is not an entry of the workflow: it has no external arrivals to give a process'],
    ],
    [
      'two agents with one name',
      { ...base, fleet: agents([5, 0, 0], ['a', 'b', 'b']), workflow: { routes: { a: { b: 0.5 } } } },
      ['fleet.agents[2].name: a workflow routes between agents by name: "b" names two agents; give each its own name'],
    ],
    [
      'a named graph on a random fleet',
      { ...base, fleet: { random: { agents: 3, T: 10, R: 0.1, P: 1, load: 0.5 } } },
      ['workflow.routes: a random fleet’s agents have no names: use a template ({"template": "hub", …} or {"template": "chain", …})'],
    ],
    [
      'a hub on fleets larger than 9 agents',
      {
        ...base,
        fleet: { random: { agents: { min: 2, max: 12 }, T: 10, R: 0.01, P: 1, load: 0.5 } },
        workflow: { template: 'hub', out: 0.9, back: 0.5 },
      },
      [
        `workflow.template: the hub template routes from agent 0 to every other agent, at most ${MAX_SUCCESSORS} successors: at most ${HUB_MAX_AGENTS} agents, the fleet can have 12`,
      ],
    ],
    [
      'a hub that nothing leaves',
      { ...base, workflow: { template: 'hub', out: 1, back: 1 } },
      ['workflow.back: with out = 1 and back = 1 no request ever leaves the workflow (a cycle without exit): make one of them < 1'],
    ],
    [
      'a fork whose routes are not p = 1',
      {
        ...base,
        workflow: {
          routes: { coordinator: { nlp: 1, vision: 0.5 }, nlp: { reasoning: 1 }, vision: { reasoning: 1 } },
          forkJoin: { fork: 'coordinator', join: 'reasoning' },
        },
      },
      ['workflow.routes.coordinator.vision: the fork sends one child of every request to each branch: p must be 1, got 0.5'],
    ],
    [
      'a fork-join branch that does not route everything to the join',
      {
        ...base,
        workflow: {
          routes: { coordinator: { nlp: 1, vision: 1 }, nlp: { reasoning: 1 }, vision: { reasoning: 0.5 } },
          forkJoin: { fork: 'coordinator', join: 'reasoning' },
        },
      },
      ['workflow.routes.vision: a fork-join branch must route everything to the join (one route, to "reasoning", p = 1)'],
    ],
    [
      'an unknown fork',
      { ...base, workflow: { ...graph, forkJoin: { fork: 'planner', join: 'nlp' } } },
      ['workflow.forkJoin.fork: no agent is named "planner" (agents: coordinator, nlp, vision, reasoning)'],
    ],
    ['an unknown template', { ...base, workflow: { template: 'star', out: 0.5 } }, ['workflow.template: must be one of "hub", "chain"']],
  ];
  it.each(cases)('%s', (_, json, expected) => expect(problems(json)).toEqual(expected));

  it('a hostile agent name in the graph is quoted and cut: one line, no control characters', () => {
    const hostile = `a\n\u001b[31m${'x'.repeat(10_000)}`;
    const lines = problems({ ...base, workflow: { routes: { coordinator: { [hostile]: 0.5 } } } });
    expect(lines).toHaveLength(1);
    expect(lines[0]!.length).toBeLessThan(400);
    expect([...lines[0]!].some((c) => c.charCodeAt(0) < 0x20 || c.charCodeAt(0) === 0x7f)).toBe(false);
    expect(lines[0]).toMatch(
      /^workflow\.routes\.coordinator\["a\\n\\u001b\[31mx+"… \(10007 characters\)\]: as a key: must be at most 64 characters$/,
    );
    const short = problems({ ...base, workflow: { routes: { coordinator: { 'a\n\u001b[31m': 0.5 } } } });
    expect(short).toEqual([
      'workflow.routes.coordinator["a\\n\\u001b[31m"]: no agent is named "a\\n\\u001b[31m" (agents: coordinator, nlp, vision, reasoning)',
    ]);
  });

  it("the arrivals bound reads the workflow's external rates (the preset's entry scaled to keep the load), as the packer will", () => {
    // reasoning gets Λ = 3.18/(1/30 + 0.1/50) ≈ 90 req/s, above the preset's largest λ (80): at loadScale 1.2e5 only Λ breaks 10^7 per step.
    const json = { ...base, loadScale: 1.2e5, workflow: { entry: 'reasoning', routes: { reasoning: { nlp: 0.1 } } } };
    expect(problems(json)).toEqual([
      expect.stringMatching(/^loadScale: arrivals per agent-step can reach 1\.0\de\+7 \(λ 9\d\.\d+ × loadScale 120000/),
    ]);
    expect(problems({ ...json, workflow: undefined })).toEqual([]);
    // A random fleet with rates, not a load: its entry can get the whole fleet's, up to N·λ_max·T_max/T_min.
    const random = { agents: 4, T: { kind: 'uniform', min: 10, max: 100 }, R: 0.1, P: 1, lambda: { kind: 'uniform', min: 1, max: 5e6 } };
    const hub = { ...base, fleet: { random }, workflow: { template: 'hub', out: 0.9, back: 0.5 } };
    expect(problems(hub)).toEqual([expect.stringMatching(/^fleet\.random\.lambda: arrivals per agent-step can reach 2\.00e\+8 /)]);
    expect(problems({ ...hub, workflow: undefined })).toEqual([]);
  });

  it('an axis value that breaks the graph is reported at the axis value', () => {
    const json = { ...base, axes: [{ path: 'workflow.routes.coordinator.nlp', values: [0.3, 0.8] }] };
    expect(problems(json)).toEqual([
      'axes[0].values[1]: workflow.routes.coordinator: the probabilities sum to 1.4; they must sum to at most 1 (the rest leaves the workflow)',
    ]);
    expect(problems({ ...base, axes: [{ path: 'workflow.routes.__proto__', values: [1] }] })).toEqual([
      'axes[0].path: workflow.routes.__proto__ is not a study field',
    ]);
  });
});

describe('a workflow on a fleet', () => {
  it('the shipped study writes PAPER_WORKFLOW, and the paper graph resolves to the §4.6 example', () => {
    const text = readFileSync(join(ROOT, 'sweeps', 'paper-workflow.json'), 'utf8');
    const { study } = parseStudyText(text, 'paper-workflow.json');
    expect(study.workflow).toEqual({ entry: [...PAPER_WORKFLOW.entry], routes: PAPER_WORKFLOW.routes });
    const wf = paperWorkflow();
    expect([...wf.entry]).toEqual([1, 0, 0, 0]);
    expect(wf.routes).toEqual([
      [
        { to: 1, p: 0.3 },
        { to: 2, p: 0.3 },
        { to: 3, p: 0.3 },
      ],
      [{ to: 0, p: 0.5 }],
      [{ to: 0, p: 0.5 }],
      [{ to: 0, p: 0.5 }],
    ]);
    // γ₀ = Λ/0.55, γ_k = 0.3·γ₀ (MODEL-PART4 §4.6).
    const gamma = visitRates(wf, [1, 0, 0, 0]);
    expect(gamma[0]).toBeCloseTo(1 / 0.55, 6);
    for (const k of [1, 2, 3]) expect(gamma[k]).toBeCloseTo(0.3 / 0.55, 6);
  });

  it('the paper preset keeps its load, counted by visits: Σγ/T = Σλ/T × loadScale, requests enter at the coordinator only', () => {
    const { study } = expandStudy({ ...base, loadScale: 0.2 });
    const fleet = cellFleet(study, 0);
    const target = 0.2 * loadFactor({ agents: PAPER_AGENTS });
    expect(fleet.agents.map((a) => a.lambda > 0)).toEqual([true, false, false, false]);
    const gamma = visitRates(
      paperWorkflow(),
      Float32Array.from(fleet.agents, (a) => a.lambda),
    );
    expect(fleet.agents.reduce((rho, a, i) => rho + gamma[i]! / a.T, 0)).toBeCloseTo(target, 5);
    expect(fleet.agents.map((a) => a.routes ?? [])).toEqual(paperWorkflow().routes);
    // The load table reads the visit rates (PackedFleets.demand), the rates the policies read.
    const loads = agentLoads(study);
    loads.forEach((a, i) => expect(a.lambda).toBeCloseTo(gamma[i]!, 3));
  });

  it('fleetsim validate shows the visit rates and estimates a workflow at the stepped rate', async () => {
    const text = await validateCommand(join(ROOT, 'sweeps', 'paper-workflow.json'), 2);
    expect(text).toContain('γ visits (req/s)');
    // Visits per request: 1/0.55 at the coordinator, 0.3/0.55 at each specialist (MODEL-PART4 §4.6).
    expect(text).toMatch(
      /workflow: requests enter at coordinator \(Λ = [\d.]+ req\/s\); visits per request: coordinator 1\.82, nlp 0\.545, vision 0\.545, reasoning 0\.545\n/,
    );
    expect(text).toContain('2.5 M agent-steps/s per core, a workflow, exponentialCount work or the lifecycle being stepped agent by agent');
  });

  it('fleet.agents keep their rates as written; the entries default to the first agent', () => {
    const { study } = expandStudy({ ...base, fleet: agents([5, 0, 0]), workflow: { routes: { a: { b: 0.6 }, b: { c: 1 } } } });
    const fleet = cellFleet(study, 0);
    expect(fleet.agents.map((a) => a.lambda)).toEqual([5, 0, 0]);
    expect(fleet.agents.map((a) => a.routes)).toEqual([[{ to: 1, p: 0.6 }], [{ to: 2, p: 1 }], undefined]);
    const { visits, load } = workflowRates(fleet.agents, fleetWorkflow(study.workflow!, ['a', 'b', 'c']), false);
    [5, 3, 3].forEach((gamma, i) => expect(visits[i]).toBeCloseTo(gamma, 6)); // γ_b = 0.6·5 (p in f32, as packed)
    expect(load).toBeCloseTo(1.1, 6);
  });

  it('templates: the hub and the chain on random fleets, the same fleets and load as without (common random numbers)', () => {
    const random = { agents: { min: 2, max: 7 }, T: { kind: 'logUniform', min: 20, max: 200 }, R: 0.05, P: 1, load: 0.8 };
    const none = expandStudy({ ...plain, fleet: { random } }).study;
    const hub = expandStudy({ ...base, fleet: { random }, workflow: { template: 'hub', out: 0.9, back: 0.5 } }).study;
    const chain = expandStudy({ ...base, fleet: { random }, workflow: { template: 'chain', next: 1 } }).study;
    for (let s = 0; s < 5; s++) {
      const without = cellFleet(none, s);
      for (const study of [hub, chain]) {
        const fleet = cellFleet(study, s);
        const n = fleet.agents.length;
        expect(fleet.agents.map(({ T, R, P }) => ({ T, R, P }))).toEqual(without.agents.map(({ T, R, P }) => ({ T, R, P })));
        expect(fleet.agents.slice(1).every((a) => a.lambda === 0)).toBe(true);
        const gamma = visitRates(
          fleetWorkflow(
            study.workflow!,
            fleet.agents.map(() => undefined),
          ),
          Float32Array.from(fleet.agents, (a) => a.lambda),
        );
        expect(fleet.agents.reduce((rho, a, i) => rho + gamma[i]! / a.T, 0)).toBeCloseTo(loadFactor(without), 5);
        if (study === hub) {
          expect(fleet.agents[0]!.routes).toEqual(Array.from({ length: n - 1 }, (_, j) => ({ to: j + 1, p: 0.9 / (n - 1) })));
          for (const a of fleet.agents.slice(1)) expect(a.routes).toEqual([{ to: 0, p: 0.5 }]);
        } else {
          fleet.agents.forEach((a, i) => expect(a.routes).toEqual(i + 1 < n ? [{ to: i + 1, p: 1 }] : undefined));
        }
      }
    }
  });

  it('the policy atlas has the with/without-workflow axis of docs/workflows.md: the same fleets and loads in both variants', () => {
    const atlas = JSON.parse(readFileSync(join(ROOT, 'sweeps', 'policy-atlas.json'), 'utf8')) as { axes: { name?: string }[] };
    const docs = readFileSync(join(ROOT, 'docs', 'workflows.md'), 'utf8');
    const axis = JSON.parse(/## Workflows over random fleets[\s\S]*?```json\n([\s\S]*?)```/.exec(docs)![1]!) as unknown;
    expect(atlas.axes.at(-1)).toEqual(axis);
    const { cells } = expandStudy({ ...atlas, samples: 3 });
    expect(cells).toHaveLength(
      atlas.axes.reduce<number>(
        (n, a) => n * ((a as { values?: unknown[]; variants?: unknown[] }).values ?? (a as { variants: unknown[] }).variants).length,
        1,
      ),
    );
    const [independent, hub] = [cells[0]!.study, cells[1]!.study];
    expect(independent.workflow).toBeUndefined();
    expect(hub.workflow).toEqual({ template: 'hub', out: 0.9, back: 0.5 });
    for (let s = 0; s < 3; s++) {
      const a = cellFleet(independent, s);
      const b = cellFleet(hub, s);
      expect(b.agents.map((x) => x.T)).toEqual(a.agents.map((x) => x.T));
      const gamma = visitRates(
        fleetWorkflow(
          hub.workflow!,
          b.agents.map(() => undefined),
        ),
        Float32Array.from(b.agents, (x) => x.lambda),
      );
      expect(b.agents.reduce((rho, x, i) => rho + gamma[i]! / x.T, 0)).toBeCloseTo(loadFactor(a), 5);
    }
  });

  it('a study without a workflow resolves and hashes as before (no routes, λ × loadScale)', () => {
    const { study } = expandStudy({ ...plain, loadScale: 0.5 });
    expect('workflow' in study).toBe(false);
    const fleet = cellFleet(study, 0);
    expect(fleet.agents.map((a) => a.lambda)).toEqual(PAPER_AGENTS.map((a) => a.lambda * 0.5));
    expect(fleet.agents.every((a) => a.routes === undefined) && fleet.forkJoin === undefined).toBe(true);
  });

  it('the sweep packs the routes, the fork-join and the visit rates (demand) into its batches', () => {
    const forkJoin = {
      ...base,
      fleet: agents([4, 0, 0, 0], ['in', 'left', 'right', 'out']),
      workflow: { routes: { in: { left: 1, right: 1 }, left: { out: 1 }, right: { out: 1 } }, forkJoin: { fork: 'in', join: 'out' } },
      samples: 2,
    };
    for (const json of [base, forkJoin]) {
      const { cells } = expandStudy(json);
      const { batch, fleetLoad } = buildBatch(planUnits(cells), new Map(cells.map((c) => [c.index, c])));
      const { fleets } = batch;
      const fleet = cellFleet(cells[0]!.study, 0);
      const n = fleet.agents.length;
      for (let f = 0; f < fleets.count; f++) {
        const a0 = fleets.agentOffset[f]!;
        for (let i = 0; i < n; i++) {
          const routes = Array.from({ length: fleets.routeCount[a0 + i]! }, (_, k) => {
            const e = fleets.routeOffset[a0 + i]! + k;
            return { to: fleets.routeTo[e], p: fleets.routeP[e] };
          });
          expect(routes).toEqual((fleet.agents[i]!.routes ?? []).map((r) => ({ to: r.to, p: Math.fround(r.p) })));
        }
        expect([fleets.fork[f], fleets.join[f]]).toEqual(
          fleet.forkJoin ? [fleet.forkJoin.fork, fleet.forkJoin.join] : [NO_AGENT, NO_AGENT],
        );
        const gamma = Array.from(fleets.demand.subarray(a0, a0 + n));
        expect(fleetLoad[f]).toBeCloseTo(
          gamma.reduce((rho, g, i) => rho + g / fleet.agents[i]!.T, 0),
          4,
        );
      }
      if (json === forkJoin) expect(Array.from(fleets.demand.subarray(0, 4))).toEqual([4, 4, 4, 4]); // γ_join = γ_fork: one parent per request
    }
  });
});

describe('a workflow study end to end (CPU engine)', () => {
  it('sweeps: the per-agent visit rates follow the traffic equations, e2eLatency is defined, the summary shows it', async () => {
    const json = {
      ...base,
      loadScale: 0.1,
      work: 'exponentialCount',
      dt: 0.05,
      steps: 3000,
      warmup: 500,
      replicates: 4,
      policies: ['static', 'adaptive'],
    };
    const expanded = expandStudy(json);
    const engine = { run: (b: Parameters<typeof runBatchCpu>[0]) => Promise.resolve(runBatchCpu(b)) };
    const { cells, times } = await sweepInMemory(expanded, engine);
    const gamma = visitRates(
      paperWorkflow(),
      Float32Array.from(cellFleet(expanded.study, 0).agents, (a) => a.lambda),
    );
    const horizon = (json.steps - json.warmup) * json.dt * json.replicates;
    for (const policy of cells[0]!.agents!) {
      policy.agents.forEach((a, i) => {
        // Some 1,300 to 5,000 visits per agent over the replicates (sd a few %, more than Poisson's with the feedback): within 10 %.
        expect(Math.abs(a.metrics.visitRate!.mean - gamma[i]!)).toBeLessThan(0.1 * gamma[i]!);
        expect(a.metrics.visitRate!.mean * horizon).toBeGreaterThan(1000);
        if (i > 0) expect(a.metrics.externalRate!.mean).toBe(0);
      });
      const e2e = cells[0]!.policies.find((p) => p.policy === policy.policy)!.metrics.e2eLatency!;
      expect(e2e.n).toBe(json.replicates);
      expect(e2e.mean).toBeGreaterThan(0);
    }
    const text = sweepSummary(
      { dir: '/tmp/x', study: expanded.study, times, resumedUnits: 0, summary: cells },
      { name: 'cpu', adapter: null },
    );
    expect(text).toContain('e2eLatency (s)');
    expect(text).toMatch(/lowest mean e2eLatency: (static|adaptive) \(/);
    const plainText = sweepSummary(
      {
        dir: '/tmp/x',
        study: expandStudy({ ...json, workflow: undefined, work: 'deterministic' }).study,
        times,
        resumedUnits: 0,
        summary: cells,
      },
      { name: 'cpu', adapter: null },
    );
    expect(plainText).not.toContain('e2eLatency');
  });

  it('fleetsim init --workflow writes a coordinator workflow that validates at load 0.5 counted by visits', () => {
    const study = expandStudy(starterStudy(['planner', 'coder', 'critic'], true)).study;
    expect(study.work).toBe('exponentialCount');
    const fleet = cellFleet({ ...study, loadScale: 1 }, 0);
    expect(fleet.agents.map((a) => a.lambda > 0)).toEqual([true, false, false]);
    const { load } = workflowRates(fleet.agents, fleetWorkflow(study.workflow!, ['planner', 'coder', 'critic']), false);
    expect(load).toBeCloseTo(0.5, 2); // the coordinator's rate is rounded to 0.01 requests/s
    expect(() => starterStudy(['solo'], true)).toThrow(/^--workflow: .* 2 to 9 agents, got 1$/);
    expect(starterText(starterStudy(['a', 'b'], true))).toContain('"a": { "b": 0.9 }');
  });
});

describe('the result files carry the visit and external rates, and read older files without them', () => {
  it('agents/unit-*.arrow, summary.json and a checkpoint written before visitRate and externalRate read back with NaN / null / no statistics', () => {
    const json = { ...base, work: 'exponentialCount', dt: 0.1, steps: 200, warmup: 50, replicates: 2, policies: ['static', 'adaptive'] };
    const expanded = expandStudy(json);
    const cells = new Map(expanded.cells.map((c) => [c.index, c]));
    const built = buildBatch(planUnits(expanded.cells), cells);
    const result = summarize(built.batch, runBatchCpu(built.batch));
    const done = { ...built, result, engineSeconds: 0 };
    const rows = agentRowsFromBatch(done, cells, []);
    const totals = result.totals;
    for (let k = 0; k < rows.count; k++) {
      const horizon = (json.steps - json.warmup) * json.dt;
      const r = Math.floor(k / 4);
      const j = totals.agentOffset[r]! + rows.agent[k]!;
      expect(rows.metrics.visitRate[k]).toBe(totals.arrivedSum[j]! / horizon);
      expect(rows.metrics.externalRate[k]).toBe((totals.arrivedSum[j]! - totals.routedSum[j]!) / horizon);
    }
    // A file of an earlier version: the same table without the two columns.
    const table = agentRowsTable(done, cells, []);
    const older = table.select(table.schema.fields.map((f) => f.name).filter((n) => !LATE_AGENT_ROW_METRICS.includes(n)));
    const back = parseAgentArrow(tableToIPC(older, 'file'), 'older.arrow');
    expect(back.count).toBe(rows.count);
    expect([...back.metrics.visitRate].every(Number.isNaN) && [...back.metrics.externalRate].every(Number.isNaN)).toBe(true);
    expect([...back.metrics.latency]).toEqual([...rows.metrics.latency]);
    // summary.json and the checkpoint's aggregate of an earlier version: no per-agent statistics of the two.
    const aggregate = new SweepAggregate(expanded.study.policies);
    aggregate.addBatch((k) => built.fleetCell[Math.floor(k / built.replicates)]!, result, built.fleetCell.length * built.replicates, {
      batch: built.batch,
      fixed: () => true,
    });
    const strip = (agents: Record<string, Record<string, unknown>[]>): void => {
      for (const list of Object.values(agents)) for (const a of list) for (const m of LATE_AGENT_METRICS) delete a[m];
    };
    const saved = JSON.parse(JSON.stringify(aggregate.toJSON())) as { cells: { agents: Record<string, Record<string, unknown>[]> }[] };
    strip(saved.cells[0]!.agents);
    const restored = SweepAggregate.fromJSON(saved).summary(expanded.cells, []);
    expect(restored[0]!.agents![0]!.agents[0]!.metrics.visitRate).toBeNull();
    expect(restored[0]!.agents![0]!.agents[0]!.metrics.latency).toEqual(
      aggregate.summary(expanded.cells, [])[0]!.agents![0]!.agents[0]!.metrics.latency,
    );
    const meta = { name: 'wf', studyHash: '0'.repeat(64), seed: 1, axes: [], policies: expanded.study.policies };
    const summary = JSON.parse(JSON.stringify(summaryTable(meta, aggregate.summary(expanded.cells, [])))) as {
      cells: { agents: { agents: { metrics: Record<string, unknown> }[] }[] }[];
    };
    for (const p of summary.cells[0]!.agents) for (const a of p.agents) for (const m of LATE_AGENT_METRICS) delete a.metrics[m];
    const parsed = parseSummaryJson(JSON.stringify(summary), 'summary.json');
    expect(parsed.cells[0]!.agents![0]!.agents[0]!.metrics.externalRate).toBeNull();
  });
});
