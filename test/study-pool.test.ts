/**
 * Several GPUs as one pool in the study file (issue 12, MODEL-PART4 §4.5; src/model/pool.ts): the
 * `fleet.gpuMode` field (default placement, the study's hash unchanged; an axis), packed as gpuPool;
 * its errors (an agent's gpu, a policy without a pool form, the pinned agents that do not fit) as one
 * line naming the field; hostile values; `validate`'s pool lines (the policy forms, U_i, the memory as
 * the pool starts the models); the per-agent `gpu` NaN in a pool in runSummary, the per-agent rows and
 * their Arrow file.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { tableToIPC } from 'apache-arrow';
import { describe, expect, it } from 'vitest';
import { loadStudy } from '../src/cli/sweep.js';
import { validateCommand } from '../src/cli/validate.js';
import { runBatchCpu } from '../src/cpu/engine.js';
import { runSummary, summarize } from '../src/model/metrics.js';
import { PAPER_AGENTS } from '../src/model/paper.js';
import { POLICIES, POLICY_NAMES } from '../src/model/policies.js';
import { agentRowsFromBatch, agentRowsTable, parseAgentArrow } from '../src/results/agentRows.js';
import { expandStudy, StudyError } from '../src/study/cells.js';
import { cellFleet } from '../src/study/fleets.js';
import { studyIdentityText } from '../src/study/identity.js';
import type { StudyInput } from '../src/study/schema.js';
import { agentRunValues } from '../src/sweep/aggregate.js';
import { planUnits } from '../src/sweep/plan.js';
import { buildBatch } from '../src/sweep/run.js';

const base: StudyInput = { name: 'pool', fleet: { preset: 'paper' }, steps: 20 };
const agent = { T: 10, R: 0.1, P: 1, lambda: 1 };
const NO_POOL_FORM = POLICY_NAMES.filter((p) => POLICIES[p].pool === null);
const POOL_POLICIES = POLICY_NAMES.filter((p) => POLICIES[p].pool !== null);

function problems(json: unknown): string[] {
  try {
    expandStudy(json);
  } catch (error) {
    if (error instanceof StudyError) return [...error.problems];
    throw error;
  }
  return [];
}

/** The study's batch as `sweep` builds it (every cell, every sample). */
function built(json: unknown): ReturnType<typeof buildBatch> {
  const expanded = expandStudy(json);
  return buildBatch(planUnits(expanded.cells), new Map(expanded.cells.map((c) => [c.index, c])));
}

describe('fleet.gpuMode: the field, its default and its engine form', () => {
  it('absent is placement: the identity text has no gpuMode, and writing "placement" out is the same study', () => {
    const placed = { ...base, fleet: { preset: 'paper', gpus: 2 } } as const;
    const { study } = expandStudy(placed);
    expect(study.fleet.gpuMode).toBeUndefined();
    expect(studyIdentityText(study)).not.toContain('gpuMode');
    const written = expandStudy({ ...placed, fleet: { ...placed.fleet, gpuMode: 'placement' } }).study;
    expect(studyIdentityText(written)).toBe(studyIdentityText(study));
    const pool = expandStudy({ ...placed, fleet: { ...placed.fleet, gpuMode: 'pool' } }).study;
    expect(studyIdentityText(pool)).not.toBe(studyIdentityText(study));
  });

  it('on every kind of fleet, packed as gpuPool = 1 with every agent on allocator 0; a pool of one GPU is the plain fleet', () => {
    for (const fleet of [
      { preset: 'paper', gpus: 4, gpuMode: 'pool' },
      { agents: [agent, agent, agent], gpus: 2, gpuMode: 'pool' },
      { random: { agents: { min: 2, max: 6 }, T: 10, R: 0.05, P: 1, load: 0.5 }, gpus: 3, gpuMode: 'pool' },
    ]) {
      const { batch } = built({ ...base, fleet, samples: 3 });
      expect([...batch.fleets.gpuPool], JSON.stringify(fleet)).toEqual(Array.from({ length: batch.fleets.count }, () => 1));
      expect([...batch.fleets.gpuCount]).toEqual(Array.from({ length: batch.fleets.count }, () => fleet.gpus));
      expect(batch.fleets.gpu.every((k) => k === 0)).toBe(true);
      expect(cellFleet(expandStudy({ ...base, fleet }).study, 0).gpuMode).toBe('pool');
    }
    expect([...built({ ...base, fleet: { preset: 'paper', gpus: 1, gpuMode: 'pool' } }).batch.fleets.gpuPool]).toEqual([0]);
    expect([...built({ ...base, fleet: { preset: 'paper', gpus: 4 } }).batch.fleets.gpuPool]).toEqual([0]);
  });

  it('an axis sets it: one cell per mode, each packed as its mode', () => {
    const expanded = expandStudy({
      ...base,
      fleet: { preset: 'paper', gpus: 2 },
      axes: [{ path: 'fleet.gpuMode', values: ['placement', 'pool'] }],
    });
    expect(expanded.cells.map((c) => c.study.fleet.gpuMode)).toEqual(['placement', 'pool']);
    const { batch } = buildBatch(planUnits(expanded.cells), new Map(expanded.cells.map((c) => [c.index, c])));
    expect([...batch.fleets.gpuPool]).toEqual([0, 1]);
    // placement places the paper fleet by LPT over both GPUs; the pool's agents share allocator 0
    expect(new Set(batch.fleets.gpu.subarray(0, 4)).size).toBe(2);
    expect([...batch.fleets.gpu.subarray(4, 8)]).toEqual([0, 0, 0, 0]);
  });

  it('a pool of one GPU: results bit for bit those of the plain fleet (every policy, fixedShares included)', () => {
    const study = { ...base, steps: 60, loadScale: 0.6, policies: [...POLICY_NAMES], replicates: 2 };
    const plain = built(study);
    const pool = built({ ...study, fleet: { preset: 'paper', gpus: 1, gpuMode: 'pool' } });
    const a = summarize(plain.batch, runBatchCpu(plain.batch));
    const b = summarize(pool.batch, runBatchCpu(pool.batch));
    expect(b.totals.servedSum).toEqual(a.totals.servedSum);
    expect(b.totals.latencySum).toEqual(a.totals.latencySum);
    expect(b.avgLatency).toEqual(a.avgLatency);
  });
});

describe('a pool refuses what it cannot run: one line naming the field and what to do', () => {
  const cases: [string, unknown, RegExp][] = [
    [
      "an agent's gpu",
      { ...base, fleet: { agents: [agent, { ...agent, gpu: 1 }], gpus: 2, gpuMode: 'pool' } },
      /^fleet\.agents\[1\]\.gpu: must be absent in a pool \(fleet\.gpuMode "pool": an agent loads on the GPU with the most free memory\); use gpuMode "placement" to place agents, got 1$/,
    ],
    [
      'fixedShares',
      { ...base, fleet: { preset: 'paper', gpus: 2, gpuMode: 'pool' }, policies: ['static', 'fixedShares'] },
      /^policies\[1\]: in a pool of GPUs \(fleet\.gpuMode "pool"\): fixedShares has no pool form \(MIG slices belong to one physical GPU\); use gpuMode "placement" or another policy$/,
    ],
    [
      'roundRobinSkipIdle',
      { ...base, fleet: { preset: 'paper', gpus: 4, gpuMode: 'pool' }, policies: ['roundRobinSkipIdle'] },
      /^policies\[0\]: in a pool of GPUs \(fleet\.gpuMode "pool"\): roundRobinSkipIdle has no pool form \(its turns skip over one GPU\); use gpuMode "placement" or another policy$/,
    ],
    [
      'a pool made by an axis is blamed on the axis value',
      {
        ...base,
        fleet: { preset: 'paper', gpus: 2 },
        policies: ['fixedShares'],
        axes: [{ path: 'fleet.gpuMode', values: ['placement', 'pool'] }],
      },
      /^axes\[0\]\.values\[1\]: policies\[0\]: in a pool of GPUs .*fixedShares has no pool form/,
    ],
    [
      'a second GPU made by an axis under a pool',
      { ...base, fleet: { agents: [{ ...agent, gpu: 0 }], gpuMode: 'pool' }, axes: [{ path: 'fleet.gpus', values: [1, 2] }] },
      /^axes\[0\]\.values\[1\]: fleet\.agents\[0\]\.gpu: must be absent in a pool/,
    ],
    [
      'a mode that does not exist',
      { ...base, fleet: { preset: 'paper', gpus: 2, gpuMode: 'pooled' } },
      /^fleet\.gpuMode: must be one of "placement", "pool", got "pooled"$/,
    ],
  ];
  it.each(cases)('%s', (_, json, line) => {
    const lines = problems(json);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(line);
    expect(lines[0]).not.toMatch(/[\n\r]/);
  });

  it('every policy without a pool form is named; every policy with one is accepted; one GPU takes any', () => {
    expect(NO_POOL_FORM).toEqual(['fixedShares', 'roundRobinSkipIdle']);
    const pool = { preset: 'paper', gpus: 2, gpuMode: 'pool' } as const;
    expect(problems({ ...base, fleet: pool, policies: [...POLICY_NAMES] })).toHaveLength(NO_POOL_FORM.length);
    expect(problems({ ...base, fleet: pool, policies: POOL_POLICIES })).toEqual([]);
    // a pool of one GPU is the plain fleet: MIG slices and skip-idle turns are one GPU's
    expect(problems({ ...base, fleet: { ...pool, gpus: 1 }, policies: [...POLICY_NAMES] })).toEqual([]);
    expect(problems({ ...base, fleet: { agents: [{ ...agent, gpu: 0 }], gpus: 1, gpuMode: 'pool' } })).toEqual([]);
  });

  it('hostile values: not a string, a prototype key, an array, null, an unknown field beside it', () => {
    for (const gpuMode of [2, '__proto__', ['pool'], null, 'POOL', ' pool'])
      expect(problems({ ...base, fleet: { preset: 'paper', gpus: 2, gpuMode } }), JSON.stringify(gpuMode)).toHaveLength(1);
    expect(problems({ ...base, fleet: { preset: 'paper', gpus: 2, gpuMode: 'pool', pool: true } })).toHaveLength(1);
    expect(problems({ ...base, axes: [{ path: 'fleet.gpuMode', values: ['pool', 7] }] })).toHaveLength(1);
  });

  it('the pinned agents that do not fit the pool as it starts them: named before anything runs', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'fleetsim-pool-'));
    const big = { ...agent, M: 9_000, pinned: true };
    // three pinned 9 GB models on two 16 GB cards: the third fits neither GPU beside the first two
    const study = { ...base, fleet: { agents: [big, big, big], gpus: 2, gpuMode: 'pool' }, lifecycle: { memory: { gpu: 'T4' } } };
    const file = join(dir, 'study.json');
    writeFileSync(file, JSON.stringify(study));
    expect(problems(study)).toEqual([]); // the schema's checks pass: the start is the packer's
    await expect(loadStudy(file, {})).rejects.toThrow(
      /agents\[2\]\.pinned: the pinned agents must fit the pool's 2 GPUs \(16000 MB each\)/,
    );
    // on three cards they fit (one each)
    writeFileSync(file, JSON.stringify({ ...study, fleet: { ...study.fleet, gpus: 3 } }));
    await expect(loadStudy(file, {})).resolves.toBeDefined();
  });
});

describe('fleetsim validate on a pool', () => {
  const dir = mkdtempSync(join(tmpdir(), 'fleetsim-pool-validate-'));

  it('prints the pool, the form of each policy, U_i per agent and its loads under the pool rules', async () => {
    const file = join(dir, 'pool.json');
    const study = {
      ...base,
      fleet: {
        agents: [
          { ...agent, name: 'wide', lambda: 15, cap: 2 },
          { ...agent, name: 'narrow', lambda: 5 },
          { ...agent, name: 'idle', lambda: 0 },
        ],
        gpus: 4,
        gpuMode: 'pool',
      },
      policies: ['static', 'roundRobin', 'maxMinFair'],
    };
    writeFileSync(file, JSON.stringify(study));
    const text = await validateCommand(file, 1);
    expect(text).toContain(
      "a pool of 4 GPUs (capacity 4, one GPU = 1): one allocator over every agent at the whole capacity, each agent's share at most its U_i (cap: 1 to 2)",
    );
    expect(text).toContain(
      'in the pool: static: min(g, U_i), the rest unallocated; maxMinFair: their fill within U_i, the rest to the others; roundRobin: 4 agents a whole GPU (min(U_i, 1)) per step, in turn; Σ γ/T = 2.00 (load 0.500 of the capacity)',
    );
    // static: G/N = 4/3 capped at U_i: wide 15/(10·4/3) = 1.13 (its cap 2 does not bind), narrow 5/(10·1) = 0.5;
    // roundRobin: 3 agents ≤ 4 GPUs, each a whole GPU every step: wide 1.5, narrow 0.5
    expect(text).toMatch(/wide +2 +15 +10 +1\.1[23] ! +1\.50 ! +0\.75\n/);
    expect(text).toMatch(/narrow +1 +5 +10 +0\.50 +0\.50 +0\.50\n/);
    expect(text).not.toMatch(/GPU 0:/); // no placement lines
  });

  it('the memory as the pool starts the models: pinned first, then index order, each on the GPU with the most free memory', async () => {
    const file = join(dir, 'memory.json');
    writeFileSync(
      file,
      JSON.stringify({ ...base, fleet: { preset: 'paper', gpus: 2, gpuMode: 'pool' }, lifecycle: { memory: { gb: 3 } } }),
    );
    // paper models 500, 2000, 1500, 3000 MB on two 3000 MB cards: 500 → GPU 0, 2000 → GPU 1, 1500 → GPU 0, 3000 fits neither
    expect(await validateCommand(file, 1)).toContain(
      'memory: a pool of 2 × 3 GB = 3000 MB; Σ m = 7000 MB against 6000 MB: 3 of 4 models fit as the pool starts them (pinned first, then in index order, each on the GPU with the most free memory: GPU 0 2000 MB, GPU 1 2000 MB); the others wait or evict an idle agent on the GPU with the most free memory (evict: lru)',
    );
    writeFileSync(
      file,
      JSON.stringify({ ...base, fleet: { preset: 'paper', gpus: 4, gpuMode: 'pool' }, lifecycle: { memory: { gpu: 'T4' } } }),
    );
    expect(await validateCommand(file, 1)).toContain(
      'memory: a pool of 4 × T4 (16 GB) = 16000 MB; Σ m = 7000 MB against 64000 MB: all 4 models fit as the pool starts them',
    );
    writeFileSync(file, JSON.stringify({ ...base, fleet: { preset: 'paper', gpus: 2, gpuMode: 'pool' }, lifecycle: {} }));
    expect(await validateCommand(file, 1)).toContain("memory: unlimited on each of the pool's 2 GPUs (Σ m = 7000 MB");
  });
});

describe('the result files: the per-agent gpu is NaN in a pool (an agent has no GPU of its own)', () => {
  const json = {
    ...base,
    fleet: { preset: 'paper', gpus: 2 },
    steps: 40,
    loadScale: 0.3,
    policies: ['static', 'maxMinFair'],
    lifecycle: { keepAlive: 2, coldStart: 1, memory: { gb: 4 } },
    axes: [{ path: 'fleet.gpuMode', values: ['placement', 'pool'] }],
  };
  const expanded = expandStudy(json);
  const cells = new Map(expanded.cells.map((c) => [c.index, c]));
  const b = buildBatch(planUnits(expanded.cells), cells);
  const result = summarize(b.batch, runBatchCpu(b.batch));
  const done = { ...b, result, engineSeconds: 0 };
  const P = json.policies.length;

  it('runSummary and agentRunValues: placement gives each agent its GPU, a pool NaN', () => {
    for (let r = 0; r < 2 * P; r++) {
      const pool = r >= P;
      const gpus = runSummary(b.batch, result, r).perAgent.map((a) => a.gpu);
      const values = PAPER_AGENTS.map((_, i) => agentRunValues(b.batch, result, r, i).gpu);
      if (pool) {
        for (const g of [...gpus, ...values]) expect(g).toBeNaN();
      } else {
        expect(gpus).toEqual([...b.batch.fleets.gpu.subarray(0, 4)]);
        expect(values).toEqual(gpus);
      }
    }
  });

  it('the per-agent rows and their Arrow file: NaN in the pool cell, the GPU in the placement cell', () => {
    const rows = agentRowsFromBatch(done, cells, ['fleet.gpuMode']);
    const back = parseAgentArrow(tableToIPC(agentRowsTable(done, cells, ['fleet.gpuMode']), 'file'), 'agents.arrow');
    for (let k = 0; k < rows.count; k++) {
      const pool = rows.cell[k] === 1;
      if (pool) {
        expect(rows.metrics.gpu[k]).toBeNaN();
        expect(back.metrics.gpu[k]).toBeNaN();
      } else {
        expect(rows.metrics.gpu[k]).toBe(b.batch.fleets.gpu[rows.agent[k]!]);
        expect(back.metrics.gpu[k]).toBe(rows.metrics.gpu[k]);
      }
    }
    // and the per-GPU run metrics: defined under placement, NaN in a pool (src/model/placement.ts gpuMetrics)
    for (let r = 0; r < 2 * P; r++) {
      if (r >= P) expect(result.gpuImbalance[r]).toBeNaN();
      else expect(result.gpuImbalance[r]).toBeGreaterThanOrEqual(1);
    }
  });
});
