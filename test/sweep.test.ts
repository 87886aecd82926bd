/**
 * Sweeps end to end. In process: the statistics do not depend on how units are grouped into batches.
 * As a user runs it (the built CLI in child processes, CPU backend so the results are exact):
 * four shards run as separate processes and merged give byte-identical summary.json and cells.csv
 * to an unsharded run; a run killed with SIGKILL and resumed gives the same tables as one that was
 * not interrupted (per-fleet and per-agent Arrow files included, byte for byte); bad input exits with code 2 before the output directory is touched; shards of
 * different studies are refused; the per-fleet Arrow files hold one row per fleet run and policy.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { tableFromIPC } from 'apache-arrow';
import { AGENT_LIFECYCLE_METRICS } from '../src/results/columns.js';
import { describe, expect, it } from 'vitest';
import { runBatchCpu } from '../src/cpu/engine.js';
import { runSummary } from '../src/model/metrics.js';
import { agentStability } from '../src/model/stability.js';
import { agentRowsFromBatch, concatAgentRows } from '../src/results/agentRows.js';
import { concatFleetRows, fleetRowsFromBatch } from '../src/results/fleetRows.js';
import { StatAccumulator } from '../src/stats/index.js';
import { expandStudy } from '../src/study/cells.js';
import { axisName } from '../src/study/schema.js';
import { AGENT_METRICS, type AgentMetric, SweepAggregate } from '../src/sweep/aggregate.js';
import { type Unit, planBatches, planUnits, shardUnits, UNIT_FLEET_RUNS, WHOLE } from '../src/sweep/plan.js';
import { type BatchDone, buildBatch, runSweep, unitFleetRunRanges, unitFleetRuns } from '../src/sweep/run.js';
import { cellUnits, studyUnits } from '../src/study/size.js';
import { runSweepCommand, studyHash } from '../src/cli/sweep.js';
import type { Engine } from '../src/platform/engine.js';
import { cpuEngine } from '../src/platform/nodeEngine.js';
import { differing } from './results-helpers.js';
import { summaryFromFleetRows } from '../web/views/sweep/fleetRows.js';
import { assertNoUncapturedErrors, engine as gpuEngine, gpu, gpuSkipReason } from './helpers/gpu.js';

const ROOT = join(import.meta.dirname, '..');
const BIN = join(ROOT, 'bin', 'fleetsim.js');
const work = mkdtempSync(join(tmpdir(), 'fleetsim-sweep-'));

/** Two axes, random fleets, two replicates: 2 × 3 cells, 3 units per cell with the small unit. */
const STUDY = {
  name: 'test-sweep',
  seed: 9,
  fleet: {
    random: {
      agents: { min: 1, max: 6 },
      T: { kind: 'logUniform', min: 10, max: 300 },
      R: { kind: 'uniform', min: 0, max: 0.2 },
      P: { kind: 'choice', values: [1, 2, 3] },
      load: { kind: 'uniform', min: 0.3, max: 1.5 },
    },
  },
  arrivals: 'poisson',
  steps: 60,
  samples: 700,
  replicates: 2,
  axes: [
    { path: 'lmax', values: [100, 999] },
    { path: 'loadScale', values: [0.5, 1, 2] },
  ],
  output: { fleetRows: true },
};

function write(name: string, json: unknown): string {
  const path = join(work, name);
  writeFileSync(path, JSON.stringify(json));
  return path;
}

function fleetsim(args: string[], env: NodeJS.ProcessEnv = {}): { status: number | null; stdout: string; stderr: string } {
  const child = spawnSync(process.execPath, [BIN, ...args], {
    cwd: ROOT,
    env: { ...process.env, XDG_RUNTIME_DIR: '/tmp', ...env },
    encoding: 'utf8',
    timeout: 240_000,
  });
  if (child.error) throw child.error;
  return { status: child.status, stdout: child.stdout, stderr: child.stderr };
}

const read = (dir: string, file: string): string => readFileSync(join(dir, file), 'utf8');

describe('sweep statistics', () => {
  it('do not depend on the batch size', async () => {
    const { cells } = expandStudy({ ...STUDY, samples: 300 });
    const units = planUnits(cells);
    const engine = { run: (b: Parameters<typeof runBatchCpu>[0]) => Promise.resolve(runBatchCpu(b)) };
    const results = [];
    for (const batchAgentRuns of [1, 5_000, 1 << 22]) {
      const aggregate = new SweepAggregate(cells[0]!.study.policies);
      await runSweep({ cells, units }, engine, aggregate, { batchAgentRuns });
      results.push(JSON.stringify(aggregate.toJSON()));
    }
    expect(results[1]).toBe(results[0]);
    expect(results[2]).toBe(results[0]);
  });

  it('overlap the engine with the host work, in order, and stop at an engine failure', async () => {
    const { cells } = expandStudy({ ...STUDY, samples: 100 }); // 6 cells of one unit each: 6 batches
    const units = planUnits(cells);
    const events: string[] = [];
    let started = 0;
    const slow = async (b: Parameters<typeof runBatchCpu>[0]) => {
      const k = started++;
      events.push(`engine ${k} starts`);
      await new Promise((resolve) => setTimeout(resolve, 20));
      if (k === 3) throw new Error('engine failed on batch 3');
      return runBatchCpu(b);
    };
    const aggregate = new SweepAggregate(cells[0]!.study.policies);
    let batches = 0;
    const afterBatch = () => {
      events.push(`batch ${batches++} saved`);
    };
    await expect(runSweep({ cells, units }, { run: slow }, aggregate, { batchAgentRuns: 1, afterBatch })).rejects.toThrow(
      'engine failed on batch 3',
    );
    // Batch k+1 is on the engine before batch k is saved; batch 3's failure stops the loop, unsaved.
    expect(events).toEqual([
      'engine 0 starts',
      'engine 1 starts',
      'batch 0 saved',
      'engine 2 starts',
      'batch 1 saved',
      'engine 3 starts',
      'batch 2 saved',
    ]);
    // The aggregate holds exactly batches 0–2: the same as a sequential run over their units.
    const sequential = new SweepAggregate(cells[0]!.study.policies);
    let seen = 0;
    await runSweep({ cells, units }, { run: (b) => Promise.resolve(runBatchCpu(b)) }, sequential, {
      batchAgentRuns: 1,
      afterBatch: () => {
        if (++seen === 3) throw new Error('stop after 3');
      },
    }).catch(() => undefined);
    expect(JSON.stringify(aggregate.toJSON())).toBe(JSON.stringify(sequential.toJSON()));
  });

  it('per agent (fixed fleets): equal a direct computation from runSummary(), and the rows give the same table', async () => {
    const FIXED = {
      name: 'fixed-agents',
      seed: 4,
      fleet: {
        agents: [
          { name: 'chat', T: 50, R: 0.2, P: 2, lambda: 20 },
          { T: 20, R: 0.1, P: 1, lambda: 8 },
          { name: 'batch', T: 100, R: 0.1, P: 1, lambda: 30 },
        ],
      },
      arrivals: 'poisson',
      steps: 200,
      samples: 40,
      replicates: 2,
      axes: [{ path: 'loadScale', values: [0.5, 3] }], // 3: overloaded, queues grow
    };
    const { study, cells } = expandStudy(FIXED);
    const axes = study.axes.map(axisName);
    const cellMap = new Map(cells.map((c) => [c.index, c]));
    const P = study.policies.length;
    const direct = new Map<number, Record<string, Record<AgentMetric, StatAccumulator>[]>>();
    const fleetParts: Parameters<typeof concatFleetRows>[0][number][] = [];
    const agentParts: Parameters<typeof concatAgentRows>[0][number][] = [];
    const aggregate = new SweepAggregate(study.policies);
    const engine = { run: (b: Parameters<typeof runBatchCpu>[0]) => Promise.resolve(runBatchCpu(b)) };
    await runSweep({ cells, units: planUnits(cells) }, engine, aggregate, {
      batchAgentRuns: 500,
      afterBatch: (done) => {
        for (let r = 0; r < done.batch.runs.count; r++) {
          const cell = done.fleetCell[Math.floor(r / (done.replicates * P))]!;
          if (!direct.has(cell)) direct.set(cell, Object.fromEntries(study.policies.map((p) => [p, []])));
          const perAgent = direct.get(cell)![done.policies[r % P]!]!;
          runSummary(done.batch, done.result, r).perAgent.forEach((a, i) => {
            const { load, unstable } = agentStability(done.batch, done.result.totals, r, i);
            const values = {
              latency: a.latency,
              throughput: a.throughput,
              share: a.share,
              finalQueue: a.finalQueue,
              load,
              unstable: unstable ? 1 : 0,
              visitRate: a.realizedRate,
              externalRate: a.externalRate,
              // the lifecycle is off: undefined (NaN), left out of the statistics
              ...(Object.fromEntries(AGENT_LIFECYCLE_METRICS.map((m) => [m, NaN])) as Record<
                (typeof AGENT_LIFECYCLE_METRICS)[number],
                number
              >),
            };
            const accs = (perAgent[i] ??= Object.fromEntries(AGENT_METRICS.map((m) => [m, new StatAccumulator()])) as Record<
              AgentMetric,
              StatAccumulator
            >);
            for (const m of AGENT_METRICS) if (Number.isFinite(values[m])) accs[m].add(values[m]);
          });
        }
        fleetParts.push({ name: `batch ${fleetParts.length}`, rows: fleetRowsFromBatch(done, cellMap, axes) });
        agentParts.push({ name: `batch ${agentParts.length}`, rows: agentRowsFromBatch(done, cellMap, axes) });
      },
    });
    const summary = aggregate.summary(cells, axes);
    expect(summary).toHaveLength(2);
    for (const cell of summary) {
      expect(cell.agents).toEqual(
        study.policies.map((policy) => ({
          policy,
          agents: direct.get(cell.cell)![policy]!.map((accs, agent) => ({
            agent,
            name: ['chat', 'agent 1', 'batch'][agent],
            metrics: Object.fromEntries(AGENT_METRICS.map((m) => [m, accs[m].summary()])),
          })),
        })),
      );
    }
    // the page's own aggregation of the rows: the same table, per-agent statistics included
    const page = summaryFromFleetRows(concatFleetRows(fleetParts), 'rows', concatAgentRows(agentParts));
    expect(page.cells).toEqual(summary);
    // the overloaded cell says so, per agent and in its warnings and verdicts
    const loaded = summary[1]!;
    expect(loaded.warnings.length).toBeGreaterThan(0);
    expect(loaded.verdicts.some((v) => v.unstable && v.text.includes('depends on run length'))).toBe(true);
    expect(loaded.agents!.some((p) => p.agents.some((a) => a.metrics.unstable!.mean > 0))).toBe(true);
    // a policy is warned about exactly where one of its agents' queues grew in some fleet run (at load 0.5
    // too: adaptive starves agent 1, λ/(T·ḡ) ≈ 1.45)
    for (const cell of summary) {
      const flagged = cell.agents!.filter((p) => p.agents.some((a) => a.metrics.unstable!.mean > 0)).map((p) => p.policy);
      expect(cell.warnings.map((w) => w.slice(0, w.indexOf(':')))).toEqual(flagged);
    }
    expect(summary[0]!.warnings).toHaveLength(1);
  });

  it('split a sample of more than UNIT_FLEET_RUNS replicates into replicate blocks, as many units as the size check counts', () => {
    const cases: [samples: number, replicates: number][] = [
      [1, 1],
      [700, 2],
      [100_000, 1],
      [3, 5000],
      [1, 16_383],
      [2, 16_383],
      [1, 16_384],
      [3, 16_384],
      [1, 16_385],
      [2, 16_385],
      [3, 40_000],
      [1, 1_000_000],
      [4, 1_000_000],
    ];
    for (const [samples, replicates] of cases) {
      const at = `${samples} × ${replicates}`;
      const { study, cells } = expandStudy({
        name: 'u',
        fleet: { preset: 'paper' },
        samples,
        replicates,
        axes: [{ path: 'lmax', values: [100, 200] }],
      });
      const units = planUnits(cells);
      expect(units.length, at).toBe(studyUnits(study));
      expect(units.map((u) => u.id)).toEqual(units.map((_, i) => i));
      expect(unitFleetRuns(units), at).toBe(cells.length * samples * replicates);
      for (const cell of cells) {
        const own = units.filter((u) => u.cell === cell.index);
        expect(own.length, at).toBe(cellUnits(cell.study));
        // The plan: cell-major; within a cell, whole replicate sets of ⌊16,384 / replicates⌋ samples (as
        // before replicates were split), or each sample's blocks of 16,384 consecutive replicates.
        const expected: Omit<Unit, 'id' | 'cell'>[] = [];
        if (replicates <= UNIT_FLEET_RUNS) {
          const block = Math.floor(UNIT_FLEET_RUNS / replicates);
          for (let s = 0; s < samples; s += block)
            expected.push({ sampleBegin: s, sampleEnd: Math.min(samples, s + block), replicateBegin: 0, replicateEnd: replicates });
        } else {
          for (let s = 0; s < samples; s++)
            for (let r = 0; r < replicates; r += UNIT_FLEET_RUNS)
              expected.push({
                sampleBegin: s,
                sampleEnd: s + 1,
                replicateBegin: r,
                replicateEnd: Math.min(replicates, r + UNIT_FLEET_RUNS),
              });
        }
        const shape = (u: Unit): Omit<Unit, 'id' | 'cell'> => ({
          sampleBegin: u.sampleBegin,
          sampleEnd: u.sampleEnd,
          replicateBegin: u.replicateBegin,
          replicateEnd: u.replicateEnd,
        });
        expect(own.map(shape), at).toEqual(expected);
      }
      expect(units.filter((u) => u.cell === cells[1]!.index)[0]!.id, at).toBe(cellUnits(study)); // cell-major
    }
  });

  it("batch replicate blocks only with the same replicates or as one sample's consecutive blocks", () => {
    const { cells } = expandStudy({ name: 'b', fleet: { preset: 'paper' }, steps: 2, samples: 3, replicates: 40_000 });
    const units = planUnits(cells); // 3 samples × blocks [0, 16384), [16384, 32768), [32768, 40000)
    const shape = (batches: Unit[][]): string[] => batches.map((b) => b.map((u) => `${u.sampleBegin}:${u.replicateBegin}`).join(' '));
    expect(shape(planBatches(units, cells, 1 << 30))).toEqual(['0:0 0:16384 0:32768', '1:0 1:16384 1:32768', '2:0 2:16384 2:32768']);
    expect(shape(planBatches(units, cells, 1))).toHaveLength(9);
    // A shard of every third unit holds the same block of each sample: one batch of three fleets.
    expect(shape(planBatches(shardUnits(units, { index: 1, count: 3 }), cells, 1 << 30))).toEqual(['0:16384 1:16384 2:16384']);
    // Every other unit: neither the same replicates nor consecutive blocks, so a batch each.
    expect(shape(planBatches(shardUnits(units, { index: 0, count: 2 }), cells, 1 << 30))).toEqual([
      '0:0',
      '0:32768',
      '1:16384',
      '2:0',
      '2:32768',
    ]);
    const cellMap = new Map(cells.map((c) => [c.index, c]));
    const chain = buildBatch(units.slice(0, 3), cellMap);
    expect([chain.fleetCell.length, chain.replicateBegin, chain.replicates]).toEqual([1, 0, 40_000]);
    expect(unitFleetRunRanges(chain).map(({ from, to }) => [from, to])).toEqual([
      [0, 16_384],
      [16_384, 32_768],
      [32_768, 40_000],
    ]);
    const same = buildBatch([units[2]!, units[5]!], cellMap);
    expect([same.fleetCell.length, same.replicateBegin, same.replicates, same.batch.runs.replicate[0]]).toEqual([2, 32_768, 7232, 32_768]);
    expect(unitFleetRunRanges(same).map(({ from, to }) => [from, to])).toEqual([
      [0, 7232],
      [7232, 14_464],
    ]);
    expect(() => buildBatch([units[0]!, units[2]!], cellMap)).toThrow(/cannot share a batch/);
    expect(() => buildBatch([units[1]!, units[3]!], cellMap)).toThrow(/cannot share a batch/);
  });

  it('of replicate blocks equal those of one batch of all the replicates, rows included, however batched or sharded', async () => {
    // 2 samples × 17,000 replicates: blocks [0, 16384) and [16384, 17000) of each sample.
    const { study, cells } = expandStudy({
      name: 'reps',
      seed: 3,
      fleet: { preset: 'paper' },
      arrivals: 'poisson',
      steps: 5,
      samples: 2,
      replicates: 17_000,
    });
    const axes = study.axes.map(axisName);
    const cellMap = new Map(cells.map((c) => [c.index, c]));
    const engine = { run: (b: Parameters<typeof runBatchCpu>[0]) => Promise.resolve(runBatchCpu(b)) };
    const sweep = async (units: readonly Unit[], batchAgentRuns: number) => {
      const aggregate = new SweepAggregate(study.policies);
      const fleet: Parameters<typeof concatFleetRows>[0][number][] = [];
      const agent: Parameters<typeof concatAgentRows>[0][number][] = [];
      let batches = 0;
      await runSweep({ cells, units }, engine, aggregate, {
        batchAgentRuns,
        afterBatch: (done: BatchDone) => {
          batches++;
          fleet.push({ name: `batch ${fleet.length}`, rows: fleetRowsFromBatch(done, cellMap, axes) });
          agent.push({ name: `batch ${agent.length}`, rows: agentRowsFromBatch(done, cellMap, axes) });
        },
      });
      return { aggregate, batches, fleet: concatFleetRows(fleet), agent: concatAgentRows(agent) };
    };
    /** Every column of two row sets, bit for bit (typed arrays by their bytes). */
    const bits = (rows: object): string[] =>
      Object.entries(rows).flatMap(([k, v]: [string, unknown]) =>
        ArrayBuffer.isView(v)
          ? [`${k}:${Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString('base64')}`]
          : typeof v === 'object' && v !== null && !Array.isArray(v)
            ? bits(v).map((x) => `${k}.${x}`)
            : [`${k}:${JSON.stringify(v)}`],
      );
    // The reference: each sample's 17,000 replicates as one unit, all in one batch (the plan before replicates were split).
    const whole = cells.flatMap((c) =>
      [0, 1].map((s) => ({ id: s, cell: c.index, sampleBegin: s, sampleEnd: s + 1, replicateBegin: 0, replicateEnd: 17_000 })),
    );
    const reference = await sweep(whole, 1 << 30);
    expect(reference.batches).toBe(1);
    expect([...reference.fleet.replicate.subarray(0, 9)]).toEqual([0, 0, 0, 1, 1, 1, 2, 2, 2]);
    const units = planUnits(cells);
    expect(units).toHaveLength(4);
    const summary = JSON.stringify(reference.aggregate.summary(cells, axes));
    for (const [budget, batches] of [
      [1, 4], // every unit a batch of its own
      [1 << 30, 2], // each sample's two blocks in one batch
    ] as const) {
      const split = await sweep(units, budget);
      expect(split.batches, `budget ${budget}`).toBe(batches);
      expect(JSON.stringify(split.aggregate.toJSON()), `budget ${budget}`).toBe(JSON.stringify(reference.aggregate.toJSON()));
      expect(JSON.stringify(split.aggregate.summary(cells, axes))).toBe(summary);
      expect(bits(split.fleet)).toEqual(bits(reference.fleet));
      expect(bits(split.agent)).toEqual(bits(reference.agent));
    }
    // Two shards (each the same block of both samples: one batch of two fleets), merged.
    const merged = new SweepAggregate(study.policies);
    for (const index of [0, 1]) {
      const shard = await sweep(shardUnits(units, { index, count: 2 }), 1 << 30);
      expect(shard.batches).toBe(1);
      merged.merge(shard.aggregate);
    }
    expect(JSON.stringify(merged.summary(cells, axes))).toBe(summary);
    expect(shardUnits(units, WHOLE)).toEqual(units);
  }, 60_000);

  it('shards partition the units', () => {
    const { cells } = expandStudy(STUDY);
    const units = planUnits(cells);
    const ids = [0, 1, 2, 3].flatMap((i) => shardUnits(units, { index: i, count: 4 }).map((u) => u.id));
    expect(ids.sort((a, b) => a - b)).toEqual(units.map((u) => u.id));
  });
});

describe.skipIf(!gpu)(gpuSkipReason ?? 'sweep statistics on the GPU', () => {
  // The same study on both engines: identical counts and win tallies up to the GPU's f32 rounding
  // (a tie threshold of 1e-6 relative; a few near-ties may flip), means within the per-run tolerance
  // of test/gpu-vs-cpu.test.ts (latency 2e-4 relative + 2e-3 s; flows 1e-5 relative).
  it('agree with the CPU reference', async () => {
    const { cells } = expandStudy({ ...STUDY, samples: 400, output: { fleetRows: false } });
    const units = planUnits(cells);
    const onGpu = new SweepAggregate(cells[0]!.study.policies);
    const onCpu = new SweepAggregate(cells[0]!.study.policies);
    const engine = await gpuEngine();
    await runSweep({ cells, units }, engine, onGpu);
    await runSweep({ cells, units }, { run: (b) => Promise.resolve(runBatchCpu(b)) }, onCpu);
    assertNoUncapturedErrors();
    const names = ['lmax', 'loadScale'];
    const g = onGpu.summary(cells, names);
    const c = onCpu.summary(cells, names);
    expect(g.map((x) => x.fleetRuns)).toEqual(c.map((x) => x.fleetRuns));
    g.forEach((cell, k) => {
      cell.policies.forEach((ps, p) => {
        const cpu = c[k]!.policies[p]!;
        const lat = ps.metrics.avgLatency!;
        expect(Math.abs(lat.mean - cpu.metrics.avgLatency!.mean)).toBeLessThanOrEqual(2e-3 + 2e-4 * Math.abs(cpu.metrics.avgLatency!.mean));
        for (const m of ['throughput', 'utilization', 'cost'] as const) {
          const want = cpu.metrics[m]!.mean;
          expect(Math.abs(ps.metrics[m]!.mean - want)).toBeLessThanOrEqual(1e-6 + 1e-5 * Math.abs(want));
        }
      });
      cell.pairs.forEach((pair, q) => {
        const cpu = c[k]!.pairs[q]!;
        expect(Math.abs(pair.aWins - cpu.aWins) + Math.abs(pair.bWins - cpu.bWins)).toBeLessThanOrEqual(Math.max(2, 0.002 * pair.n));
      });
    });
  });
});

describe('fleetsim sweep', () => {
  const study = write('study.json', STUDY);
  const whole = join(work, 'whole');

  it('runs a study and writes every result file', () => {
    const run = fleetsim(['sweep', study, '--out', whole, '--backend', 'cpu', '--quiet']);
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    for (const f of ['manifest.json', 'summary.json', 'cells.csv', 'checkpoint.json']) expect(existsSync(join(whole, f))).toBe(true);
    const manifest = JSON.parse(read(whole, 'manifest.json')) as {
      complete: boolean;
      counts: { fleetRuns: number };
      backends: { name: string }[];
    };
    expect(manifest.complete).toBe(true);
    expect(manifest.counts.fleetRuns).toBe(6 * 700 * 2);
    expect(manifest.backends[0]!.name).toBe('cpu');
    const csv = read(whole, 'cells.csv').trim().split('\n');
    expect(csv).toHaveLength(1 + 6 * 3);
    expect(csv[0]!.startsWith('cell,lmax,loadScale,policy,fleetRuns,avgLatency_mean,')).toBe(true);
    expect(readdirSync(join(whole, 'fleets')).filter((f) => f.startsWith('.'))).toEqual([]);
  });

  it('writes per-fleet Arrow files with one row per fleet run and policy', () => {
    const files = readdirSync(join(whole, 'fleets')).sort();
    let rows = 0;
    for (const f of files) {
      const table = tableFromIPC(readFileSync(join(whole, 'fleets', f)));
      rows += table.numRows;
      expect(table.schema.fields.map((x) => x.name).slice(0, 8)).toEqual([
        'lmax',
        'loadScale',
        'cell',
        'sample',
        'replicate',
        'policy',
        'agents',
        'load',
      ]);
    }
    expect(rows).toBe(6 * 700 * 2 * 3);
    // Cell 0's static avgLatency recomputed from the rows: the summary's n and mean.
    const summary = JSON.parse(read(whole, 'summary.json')) as {
      cells: { policies: { metrics: { avgLatency: { mean: number; n: number } } }[] }[];
    };
    const values: number[] = [];
    for (const f of files) {
      const table = tableFromIPC(readFileSync(join(whole, 'fleets', f)));
      const latency = table.getChild('avgLatency')!.toArray() as Float64Array;
      const policy = table.getChild('policy')!.toArray() as string[];
      const cell = table.getChild('cell')!.toArray() as Uint32Array;
      latency.forEach((x, i) => {
        if (policy[i] === 'static' && cell[i] === 0) values.push(x);
      });
    }
    const s = summary.cells[0]!.policies[0]!.metrics.avgLatency;
    expect(values.length).toBe(s.n);
    expect(values.reduce((a, b) => a + b, 0) / values.length).toBeCloseTo(s.mean, 9);
  });

  it('four shards in separate processes merge into the unsharded result', async () => {
    const shards = [0, 1, 2, 3].map((i) => join(work, `shard-${i}`));
    // Shards 0 and 1 by --shard I/N; 2 and 3 by the Kubernetes and Slurm index variables.
    const envs: NodeJS.ProcessEnv[] = [{}, {}, { JOB_COMPLETION_INDEX: '2' }, { SLURM_ARRAY_TASK_ID: '4', SLURM_ARRAY_TASK_MIN: '1' }];
    const args = (i: number): string[] => [
      'sweep',
      study,
      '--out',
      shards[i]!,
      '--backend',
      'cpu',
      '--quiet',
      '--shard',
      i < 2 ? `${i}/4` : '4',
    ];
    const codes = await Promise.all(
      shards.map(
        (_, i) =>
          new Promise<number | null>((resolve) => {
            const child = spawn(process.execPath, [BIN, ...args(i)], {
              cwd: ROOT,
              env: { ...process.env, XDG_RUNTIME_DIR: '/tmp', ...envs[i] },
              stdio: 'ignore',
            });
            child.on('exit', resolve);
          }),
      ),
    );
    expect(codes).toEqual([0, 0, 0, 0]);
    const merged = join(work, 'merged');
    const run = fleetsim(['merge', ...shards, '--out', merged]);
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    expect(read(merged, 'summary.json')).toBe(read(whole, 'summary.json'));
    expect(read(merged, 'cells.csv')).toBe(read(whole, 'cells.csv'));
    for (const sub of ['fleets', 'agents']) {
      expect(readdirSync(join(merged, sub)).sort()).toEqual(readdirSync(join(whole, sub)).sort());
      for (const f of readdirSync(join(whole, sub))) {
        expect(readFileSync(join(merged, sub, f)).equals(readFileSync(join(whole, sub, f))), `${sub}/${f}`).toBe(true); // byte-identical Arrow
      }
    }

    // Not all shards, or a shard twice: refused.
    expect(fleetsim(['merge', ...shards.slice(0, 3), '--out', join(work, 'm2')]).stderr).toMatch(/missing shard\(s\) 3 of 4/);
    expect(fleetsim(['merge', shards[0]!, shards[0]!, shards[1]!, shards[2]!, '--out', join(work, 'm3')]).status).toBe(2);
  });

  it('refuses to merge shards of different studies', () => {
    const other = write('other.json', { ...STUDY, steps: 61, samples: 50 });
    const a = join(work, 'other-0');
    const b = join(work, 'other-1');
    expect(fleetsim(['sweep', other, '--out', a, '--backend', 'cpu', '--quiet', '--shard', '0/2']).status).toBe(0);
    const own = join(work, 'own-1');
    expect(fleetsim(['sweep', study, '--out', own, '--backend', 'cpu', '--quiet', '--shard', '1/2']).status).toBe(0);
    const run = fleetsim(['merge', a, own, '--out', b]);
    expect(run.status).toBe(2);
    expect(run.stderr).toMatch(/different study or seed.*refusing to merge/);
    expect(existsSync(b)).toBe(false);
  });

  it('resumes after kill -9 to the tables of an uninterrupted run', async () => {
    const dir = join(work, 'killed');
    // One unit per batch, so that checkpoints come often; wait for the first, then SIGKILL.
    const child = spawn(process.execPath, [BIN, 'sweep', study, '--out', dir, '--backend', 'cpu', '--quiet', '--batch-size', '1'], {
      cwd: ROOT,
      env: { ...process.env, XDG_RUNTIME_DIR: '/tmp' },
      stdio: 'ignore',
    });
    const exited = new Promise((resolve) => child.on('exit', resolve));
    const checkpoint = join(dir, 'checkpoint.json');
    for (let i = 0; i < 600 && !existsSync(checkpoint); i++) await new Promise((r) => setTimeout(r, 50));
    child.kill('SIGKILL');
    await exited;
    const state = JSON.parse(readFileSync(checkpoint, 'utf8')) as { complete: boolean; unitsDone: number; unitsTotal: number };
    expect(state.complete).toBe(false);
    expect(state.unitsDone).toBeGreaterThan(0);
    expect(existsSync(join(dir, 'summary.json'))).toBe(false);

    // Without --resume the directory is refused; with it the sweep completes.
    const refused = fleetsim(['sweep', study, '--out', dir, '--backend', 'cpu', '--quiet']);
    expect(refused.status).toBe(2);
    expect(refused.stderr).toMatch(/already holds a sweep; pass --resume/);
    const resumed = fleetsim(['sweep', study, '--out', dir, '--backend', 'cpu', '--resume']);
    expect(resumed.status).toBe(0);
    expect(resumed.stdout).toMatch(/resumed after \d+ unit/);
    expect(read(dir, 'summary.json')).toBe(read(whole, 'summary.json'));
    expect(read(dir, 'cells.csv')).toBe(read(whole, 'cells.csv'));
    for (const sub of ['fleets', 'agents']) {
      for (const f of readdirSync(join(whole, sub))) {
        expect(readFileSync(join(dir, sub, f)).equals(readFileSync(join(whole, sub, f))), `${sub}/${f}`).toBe(true); // byte-identical Arrow
      }
    }
  });

  it('rejects bad input with exit code 2 before touching --out', () => {
    const bad = write('bad.json', {
      ...STUDY,
      axes: [
        { path: 'lmax', values: [100] },
        { path: 'loadScale', values: [1, -2] },
      ],
    });
    const out = join(work, 'never');
    const run = fleetsim(['sweep', bad, '--out', out, '--backend', 'cpu']);
    expect(run.status).toBe(2);
    expect(run.stderr).toBe(`fleetsim: ${bad}: axes[1].values[1]: must be ≥ 0, got -2\n`);
    expect(run.stdout).toBe('');
    expect(existsSync(out)).toBe(false);

    const notJson = join(work, 'not.json');
    writeFileSync(notJson, '{ "name": ');
    expect(fleetsim(['validate', notJson]).stderr).toMatch(/not\.json: not valid JSON/);
    expect(fleetsim(['sweep', study, '--out', out, '--shard', '4/4']).stderr).toMatch(/--shard: the index must be from 0 to N − 1/);
    expect(fleetsim(['sweep', join(work, 'missing.json'), '--out', out]).stderr).toMatch(/cannot read the study file \(ENOENT\)/);
    expect(existsSync(out)).toBe(false);
  });

  it('validate prints the size of a valid study', () => {
    const run = fleetsim(['validate', study]);
    expect(run.status).toBe(0);
    expect(run.stdout).toMatch(/valid\. 6 cell\(s\) × 700 sample\(s\) × 2 replicate\(s\) = 8400 fleet runs × 3 policies/);
  });

  it('splits 40,000 replicates of one sample into 3 units: batch size, shards and --resume give the bytes of one run', async () => {
    const json = {
      name: 'reps',
      seed: 3,
      fleet: { preset: 'paper' },
      arrivals: 'poisson',
      steps: 5,
      replicates: 40_000,
      output: { fleetRows: true },
    };
    const file = write('reps.json', json);
    const CPU1 = ['--backend', 'cpu', '--threads', '1', '--quiet'];
    const dir = (name: string): string => join(work, `reps-${name}`);
    // One batch of the sample's three blocks, and a batch per unit: the same files.
    for (const [name, size] of [
      ['one', '67108864'],
      ['per-unit', '1'],
    ] as const) {
      const run = fleetsim(['sweep', file, '--out', dir(name), ...CPU1, '--batch-size', size]);
      expect(run.stderr).toBe('');
      expect(run.status).toBe(0);
    }
    expect(readdirSync(join(dir('one'), 'fleets')).sort()).toEqual(['unit-00000000.arrow', 'unit-00000001.arrow', 'unit-00000002.arrow']);
    const manifest = JSON.parse(read(dir('one'), 'manifest.json')) as { counts: { units: number; fleetRuns: number } };
    expect(manifest.counts).toMatchObject({ units: 3, fleetRuns: 40_000 });
    const replicates = tableFromIPC(readFileSync(join(dir('one'), 'fleets', 'unit-00000001.arrow'))).getChild('replicate')!;
    expect([replicates.get(0), replicates.get(replicates.length - 1)]).toEqual([16_384, 32_767]); // global replicate indices
    expect(differing(dir('per-unit'), dir('one'))).toEqual([]);
    // Two shards (units 0 and 2; unit 1), merged.
    for (const i of [0, 1]) expect(fleetsim(['sweep', file, '--out', dir(`shard-${i}`), ...CPU1, '--shard', `${i}/2`]).status).toBe(0);
    const merge = fleetsim(['merge', dir('shard-0'), dir('shard-1'), '--out', dir('merged')]);
    expect(merge.stderr).toBe('');
    expect(differing(dir('merged'), dir('one'))).toEqual([]);
    // A run stopped after its first unit (the engine fails on the second batch), then resumed.
    const expanded = expandStudy(json);
    const cpu = cpuEngine(1);
    let calls = 0;
    const failing: Engine = { ...cpu, run: (b) => (calls++ === 1 ? Promise.reject(new Error('stopped on the second batch')) : cpu.run(b)) };
    await expect(
      runSweepCommand(file, { ...expanded, hash: studyHash(expanded.study) }, failing, {
        out: dir('resumed'),
        shard: WHOLE,
        resume: false,
        quiet: true,
        batchAgentRuns: 1,
      }),
    ).rejects.toThrow(/stopped on the second batch/);
    const state = JSON.parse(read(dir('resumed'), 'checkpoint.json')) as { complete: boolean; unitsDone: number; unitsTotal: number };
    expect(state).toMatchObject({ complete: false, unitsDone: 1, unitsTotal: 3 });
    const resumed = fleetsim(['sweep', file, '--out', dir('resumed'), ...CPU1, '--resume']);
    expect(resumed.status, resumed.stderr).toBe(0);
    expect(differing(dir('resumed'), dir('one'))).toEqual([]);
  }, 120_000);
});
