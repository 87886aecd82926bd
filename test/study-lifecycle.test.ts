/**
 * The study file's serverless lifecycle (issue 12; src/study/lifecycle.ts): the `lifecycle` block's
 * defaults and its engine form, per-agent M and pinned into the packed fleets, a random fleet's M
 * drawn without moving any other draw, every field usable as an axis, `validate`'s lines (k, C_i,
 * c_i, the memory fit), `init --serverless`, and the result files: the run metrics in summary.json,
 * cells.csv and the per-fleet rows, the per-agent lifecycle metrics in summary.json and the per-agent
 * rows, equal to the totals they come from; NaN / null with the lifecycle off.
 */
import { writeFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { starterStudy } from '../src/cli/init.js';
import { validateCommand } from '../src/cli/validate.js';
import { runBatchCpu } from '../src/cpu/engine.js';
import { GPU_MEMORY_GB, LIFECYCLE_METRICS, loadSteps, NO_LIMIT, lifecycleParams } from '../src/model/lifecycle.js';
import { RUN_METRICS, summarize } from '../src/model/metrics.js';
import { PAPER_AGENTS } from '../src/model/paper.js';
import { agentRowsFromBatch, agentRowsTable, parseAgentArrow } from '../src/results/agentRows.js';
import { tableToIPC } from 'apache-arrow';
import { cellsCsv } from '../src/results/cellsCsv.js';
import { AGENT_LIFECYCLE_METRICS } from '../src/results/columns.js';
import { fleetRowsFromBatch } from '../src/results/fleetRows.js';
import { summaryTable } from '../src/results/tables.js';
import { expandStudy } from '../src/study/cells.js';
import { cellFleet, randomStudyFleet } from '../src/study/fleets.js';
import { studyIdentityText } from '../src/study/identity.js';
import { lifecycleSpec } from '../src/study/lifecycle.js';
import type { RandomFleet, StudyInput } from '../src/study/schema.js';
import { agentRunValues, SweepAggregate } from '../src/sweep/aggregate.js';
import { planUnits, simConfig } from '../src/sweep/plan.js';
import { buildBatch } from '../src/sweep/run.js';

const base: StudyInput = { name: 'lc', fleet: { preset: 'paper' }, steps: 40 };
const agent = { T: 10, R: 0.1, P: 1, lambda: 1 };

describe('the lifecycle block and its engine form', () => {
  it('absent: no lifecycle in the engine settings, and the study means what it meant (its identity text has none)', () => {
    const { study } = expandStudy(base);
    expect(study.lifecycle).toBeUndefined();
    expect('lifecycle' in simConfig(study)).toBe(false);
    expect(studyIdentityText(study)).not.toContain('lifecycle');
  });

  it('{}: every default of DEFAULT_LIFECYCLE, memory unlimited; the same study as writing them out', () => {
    const empty = expandStudy({ ...base, lifecycle: {} }).study;
    expect(empty.lifecycle).toEqual({
      keepAlive: 60,
      coldStart: 5,
      loadBandwidth: 2,
      initialPhase: 'warm',
      eligible: 'warm',
      loadSlots: 1,
    });
    const written = expandStudy({ ...base, lifecycle: { ...empty.lifecycle! } }).study;
    expect(studyIdentityText(written)).toBe(studyIdentityText(empty));
    const params = lifecycleParams(simConfig(empty))!;
    expect(params.capacityMB).toBe(NO_LIMIT);
    expect(params.keepSteps).toBe(60);
  });

  it('"never" and "unlimited" are Infinity; a card by name is its GB; usable and evict pass through', () => {
    const { study } = expandStudy({
      ...base,
      dt: 0.5,
      lifecycle: {
        keepAlive: 'never',
        loadSlots: 'unlimited',
        eligible: 'backlogged',
        memory: { gpu: 'A10G', usable: 0.9, evict: 'lowestPriority' },
      },
    });
    const spec = simConfig(study).lifecycle!;
    expect(spec).toEqual({
      keepAlive: Infinity,
      coldStart: 5,
      loadBandwidth: 2,
      initialPhase: 'warm',
      eligible: 'backlogged',
      loadSlots: Infinity,
      memory: { gb: GPU_MEMORY_GB.A10G, usable: 0.9, evict: 'lowestPriority' },
    });
    const params = lifecycleParams({ lifecycle: spec, dt: 0.5 })!;
    expect([params.keepSteps, params.loadSlots, params.capacityMB]).toEqual([NO_LIMIT, NO_LIMIT, 21_600]);
    expect(lifecycleSpec(undefined)).toBeUndefined();
  });

  it('per-agent M and pinned reach the packed fleets (m_i rounded up); the paper preset brings its M', () => {
    const json = { ...base, fleet: { agents: [{ ...agent, M: 1500.2, pinned: true }, agent] }, lifecycle: { memory: { gpu: 'T4' } } };
    const expanded = expandStudy(json);
    expect(cellFleet(expanded.cells[0]!.study, 0).agents.map((a) => [a.M, a.pinned])).toEqual([
      [1500.2, true],
      [undefined, undefined],
    ]);
    const built = buildBatch(planUnits(expanded.cells), new Map(expanded.cells.map((c) => [c.index, c])));
    expect([...built.batch.fleets.memoryMB]).toEqual([1501, 0]);
    expect([...built.batch.fleets.pinned]).toEqual([1, 0]);
    const paper = expandStudy({ ...base, lifecycle: {} });
    const packed = buildBatch(planUnits(paper.cells), new Map(paper.cells.map((c) => [c.index, c]))).batch.fleets;
    expect([...packed.memoryMB]).toEqual(PAPER_AGENTS.map((a) => a.M));
  });

  it('every field is an axis; a cell takes its value', () => {
    const { cells } = expandStudy({
      ...base,
      lifecycle: { memory: { gpu: 'T4' } },
      axes: [
        { path: 'lifecycle.keepAlive', values: [0, 'never'] },
        { path: 'lifecycle.memory.evict', values: ['lru', 'largestFirst'] },
        { path: 'lifecycle.coldStart', values: [1, 60] },
      ],
    });
    expect(cells).toHaveLength(8);
    const last = simConfig(cells[7]!.study).lifecycle!;
    expect([last.keepAlive, last.memory!.evict, last.coldStart]).toEqual([Infinity, 'largestFirst', 60]);
    const first = simConfig(cells[0]!.study).lifecycle!;
    expect([first.keepAlive, first.memory!.evict, first.coldStart]).toEqual([0, 'lru', 1]);
    // an axis turns the lifecycle on in a study without the block
    const on = expandStudy({ ...base, axes: [{ path: 'lifecycle.keepAlive', values: [30] }] }).cells[0]!.study;
    expect(simConfig(on).lifecycle!.keepAlive).toBe(30);
  });
});

describe("a random fleet's M", () => {
  const random: RandomFleet = {
    agents: { min: 2, max: 12 },
    T: { kind: 'logUniform', min: 5, max: 500 },
    R: { kind: 'uniform', min: 0, max: 0.2 },
    RDividedByN: false,
    P: { kind: 'choice', values: [1, 2, 3] },
    load: { kind: 'uniform', min: 0.3, max: 1.2 },
  };

  it('drawn on its own counter word: every other parameter of every sample is unchanged', () => {
    for (let s = 0; s < 50; s++) {
      const without = randomStudyFleet(7, s, random);
      const withM = randomStudyFleet(7, s, { ...random, M: { kind: 'uniform', min: 500, max: 16_000 } });
      expect(withM.map((a) => ({ ...a, M: undefined }))).toEqual(without.map((a) => ({ ...a, M: undefined })));
      for (const a of withM) expect(a.M! >= 500 && a.M! <= 16_000, String(a.M)).toBe(true);
      expect(without.every((a) => a.M === undefined)).toBe(true);
    }
  });

  it('a fixed M, a choice, and the same draws again (deterministic per seed and sample)', () => {
    expect(randomStudyFleet(1, 3, { ...random, M: 2000 }).every((a) => a.M === 2000)).toBe(true);
    const choice = randomStudyFleet(1, 3, { ...random, M: { kind: 'choice', values: [1000, 7000] } });
    expect(choice.every((a) => a.M === 1000 || a.M === 7000)).toBe(true);
    const spread = { ...random, M: { kind: 'logUniform' as const, min: 100, max: 80_000 } };
    expect(randomStudyFleet(9, 11, spread)).toEqual(randomStudyFleet(9, 11, spread));
    // the draws differ across agents and samples
    const ms = Array.from({ length: 20 }, (_, s) => randomStudyFleet(9, s, spread)).flatMap((f) => f.map((a) => a.M));
    expect(new Set(ms).size).toBe(ms.length);
  });
});

describe('fleetsim validate and init --serverless', () => {
  const dir = mkdtempSync(join(tmpdir(), 'fleetsim-lifecycle-'));

  it("prints k, each agent's C_i and c_i (the engines' loadSteps), pinned, and whether the models fit", async () => {
    const file = join(dir, 'fit.json');
    const study = {
      ...base,
      dt: 0.5,
      fleet: {
        agents: [
          { ...agent, name: 'small', M: 1000, pinned: true },
          { ...agent, name: 'large', M: 14_000 },
        ],
      },
      lifecycle: { keepAlive: 10.2, coldStart: 3, loadBandwidth: 4, memory: { gpu: 'T4', usable: 0.9 } },
    };
    writeFileSync(file, JSON.stringify(study));
    const text = await validateCommand(file, 1);
    const config = simConfig(expandStudy(study).study);
    expect(text).toContain('keep-alive K = 10.2 s → k = 21 steps of 0.5 s (10.5 s: whole steps)');
    expect(text).toContain('load time C_i = 3 s + M_i/4 GB/s');
    expect(text).toMatch(new RegExp(`small +1000 +3\\.25 +${loadSteps(1000, config)} +yes`));
    expect(text).toMatch(new RegExp(`large +14000 +6\\.5 +${loadSteps(14_000, config)}\\n`));
    expect(text).toContain(
      'memory: T4 (16 GB) × usable 0.9 = 14400 MB; Σ m = 15000 MB does not fit: at most 1 of 2 models at once, the others wait or evict an idle one (evict: lru; pinned 1000 MB never leave)',
    );
    expect(text).toContain('a workflow, exponentialCount work or the lifecycle being stepped agent by agent');
    writeFileSync(file, JSON.stringify({ ...base, lifecycle: { memory: { gpu: 'T4' } } }));
    expect(await validateCommand(file, 1)).toContain(
      'the models fit together (Σ m = 7000 MB ≤ 16000 MB): nothing is evicted or waits for memory',
    );
    // C_i = 20 s + M_i/0.2 GB/s: 22.5 to 35 s, every load at least the 20 recorded steps
    writeFileSync(file, JSON.stringify({ ...base, steps: 30, warmup: 10, lifecycle: { coldStart: 20, loadBandwidth: 0.2 } }));
    expect(await validateCommand(file, 1)).toContain(
      'warning: coordinator (23 steps), nlp (30 steps), vision (28 steps), reasoning (35 steps): a load takes as long as the 20 recorded steps or longer',
    );
  });

  it('a keep-alive axis adds a settings line per value, not another agent table', async () => {
    const file = join(dir, 'axis.json');
    writeFileSync(file, JSON.stringify({ ...base, lifecycle: {}, axes: [{ path: 'lifecycle.keepAlive', values: [0, 60, 'never'] }] }));
    const text = await validateCommand(file, 1);
    expect(text.match(/serverless lifecycle/g)).toHaveLength(3);
    expect(text.match(/ +agent +M \(MB\)/g)).toHaveLength(1);
    expect(text).toContain('keep-alive never (no scale-to-zero)');
  });

  it('init --serverless writes a valid study with M, a lifecycle block and a keep-alive axis', () => {
    const json = starterStudy(['planner', 'coder', 'critic'], false, true);
    const { study, cells } = expandStudy(json);
    expect(study.lifecycle?.memory?.gpu).toBe('L4');
    expect('agents' in study.fleet && study.fleet.agents.every((a) => (a.M ?? 0) > 0)).toBe(true);
    expect(cells.map((c) => c.values[1])).toContain('never');
    expect(expandStudy(starterStudy(['a', 'b'])).study.lifecycle).toBeUndefined();
  });
});

describe('the result files', () => {
  const json = {
    ...base,
    loadScale: 0.05,
    arrivals: 'poisson',
    dt: 0.5,
    steps: 240,
    warmup: 20,
    replicates: 3,
    policies: ['static', 'adaptive'],
    lifecycle: { keepAlive: 2, coldStart: 1, memory: { gpu: 'T4', usable: 0.4 } },
  } as const;
  const expanded = expandStudy(json);
  const cells = new Map(expanded.cells.map((c) => [c.index, c]));
  const built = buildBatch(planUnits(expanded.cells), cells);
  const result = summarize(built.batch, runBatchCpu(built.batch));
  const done = { ...built, result, engineSeconds: 0 };
  const aggregate = new SweepAggregate(expanded.study.policies);
  aggregate.addBatch((k) => built.fleetCell[Math.floor(k / built.replicates)]!, result, built.fleetCell.length * built.replicates, {
    batch: built.batch,
    fixed: () => true,
  });
  const summary = aggregate.summary(expanded.cells, []);
  const P = expanded.study.policies.length;

  it('the runs scale to zero, load and evict (the study exercises what the files report)', () => {
    const totals = result.totals;
    const sum = (a: ArrayLike<number>): number => Array.from(a).reduce((x, y) => x + y, 0);
    expect(sum(totals.coldStartSum)).toBeGreaterThan(0);
    expect(sum(totals.loadStepSum)).toBeGreaterThan(0);
    expect(sum(totals.evictionSum)).toBeGreaterThan(0);
  });

  it('summary.json: each lifecycle run metric is the mean over the fleet runs of summarize()', () => {
    for (let p = 0; p < P; p++) {
      const stats = summary[0]!.policies.find((x) => x.policy === expanded.study.policies[p])!.metrics;
      for (const m of LIFECYCLE_METRICS) {
        const values = Array.from({ length: built.replicates }, (_, k) => result[m][k * P + p]!).filter(Number.isFinite);
        const mean = values.reduce((a, b) => a + b, 0) / values.length;
        expect(stats[m]?.mean, m).toBeCloseTo(mean, 9);
      }
    }
  });

  it('cells.csv and the per-fleet rows carry every run metric, the lifecycle ones included', () => {
    const table = summaryTable({ name: 'lc', studyHash: '0'.repeat(64), seed: 1, axes: [], policies: expanded.study.policies }, summary);
    const header = cellsCsv(table).split('\n')[0]!.split(',');
    for (const m of LIFECYCLE_METRICS) expect(header, m).toContain(`${m}_mean`);
    const rows = fleetRowsFromBatch(done, cells, []);
    for (const m of RUN_METRICS) expect(Object.keys(rows.metrics), m).toContain(m);
    for (let k = 0; k < rows.count; k++) {
      const r = k; // one sample: rows in run order
      expect(rows.metrics['coldStartsPerHour']![k]).toBe(result.coldStartsPerHour[r]);
      expect(rows.metrics['costResident']![k]).toBe(result.costResident[r]);
    }
  });

  it('per agent: the rows and summary.json give each agent-run its totals (counts, per request, seconds)', () => {
    const rows = agentRowsFromBatch(done, cells, []);
    const totals = result.totals;
    const dt = json.dt;
    for (let k = 0; k < rows.count; k++) {
      const r = Math.floor(k / 4);
      const j = totals.agentOffset[r]! + rows.agent[k]!;
      const arrived = totals.arrivedSum[j]!;
      expect(rows.metrics.coldStarts[k]).toBe(totals.coldStartSum[j]);
      expect(rows.metrics.evictions[k]).toBe(totals.evictionSum[j]);
      expect(rows.metrics.loadSeconds[k]).toBe(totals.loadStepSum[j]! * dt);
      expect(rows.metrics.residentSeconds[k]).toBe(totals.residentStepSum[j]! * dt);
      expect(rows.metrics.idleWarmSeconds[k]).toBe(totals.idleWarmStepSum[j]! * dt);
      expect(rows.metrics.memoryWaitSeconds[k]).toBe(totals.waitStepSum[j]! * dt);
      if (arrived > 0) {
        expect(rows.metrics.coldHitFraction[k]).toBe(totals.coldHitSum[j]! / arrived);
        expect(rows.metrics.coldDelay[k]).toBe(totals.coldDelaySum[j]! / arrived);
      } else expect(rows.metrics.coldHitFraction[k]).toBeNaN();
    }
    // the Arrow file reads back the same values, NaN included (no arrivals; and the lifecycle off, below)
    const back = parseAgentArrow(tableToIPC(agentRowsTable(done, cells, []), 'file'), 'agents.arrow');
    for (const m of AGENT_LIFECYCLE_METRICS) expect([...back.metrics[m]], m).toEqual([...rows.metrics[m]]);
    for (let p = 0; p < P; p++) {
      const agents = summary[0]!.agents!.find((a) => a.policy === expanded.study.policies[p])!.agents;
      agents.forEach((a, i) => {
        for (const m of AGENT_LIFECYCLE_METRICS) {
          const values = Array.from({ length: built.replicates }, (_, k) => agentRunValues(built.batch, result, k * P + p, i)[m]).filter(
            Number.isFinite,
          );
          if (values.length === 0) expect(a.metrics[m], m).toBeNull();
          else expect(a.metrics[m]!.mean, `${a.name} ${m}`).toBeCloseTo(values.reduce((x, y) => x + y, 0) / values.length, 9);
        }
      });
    }
  });

  it('the lifecycle off: every lifecycle run metric NaN, every per-agent one null in summary.json', () => {
    const off = expandStudy({ ...json, lifecycle: undefined });
    const offCells = new Map(off.cells.map((c) => [c.index, c]));
    const offBuilt = buildBatch(planUnits(off.cells), offCells);
    const offResult = summarize(offBuilt.batch, runBatchCpu(offBuilt.batch));
    for (const m of LIFECYCLE_METRICS) expect([...offResult[m]].every(Number.isNaN), m).toBe(true);
    const offDone = { ...offBuilt, result: offResult, engineSeconds: 0 };
    const back = parseAgentArrow(tableToIPC(agentRowsTable(offDone, offCells, []), 'file'), 'agents.arrow');
    for (const m of AGENT_LIFECYCLE_METRICS) expect([...back.metrics[m]].every(Number.isNaN), m).toBe(true);
    const agg = new SweepAggregate(off.study.policies);
    agg.addBatch(
      (k) => offBuilt.fleetCell[Math.floor(k / offBuilt.replicates)]!,
      offResult,
      offBuilt.fleetCell.length * offBuilt.replicates,
      {
        batch: offBuilt.batch,
        fixed: () => true,
      },
    );
    for (const a of agg.summary(off.cells, [])[0]!.agents![0]!.agents)
      for (const m of AGENT_LIFECYCLE_METRICS) expect(a.metrics[m], m).toBeNull();
  });
});
