/**
 * A cell's statistics stay small until it has many runs (src/stats/accumulator.ts buffers the first
 * BUFFERED_VALUES values of each accumulator), without changing a bit of any result file: shipped
 * studies, cut down to a few cells and steps at fleet-run counts below, at and across the threshold,
 * write the same summary.json and cells.csv from the sweep's own aggregate (its accumulators buffered
 * or built as the runs made them) as from that aggregate read from its checkpoint JSON (kept as read)
 * and merged from there into an empty one (every accumulator with values built, as before buffering). And a grid whose statistics cannot fit is refused before
 * it expands (src/sweep/footprint.ts): one line naming the grid, exit 2, nothing written.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runBatchCpu } from '../src/cpu/engine.js';
import { FILES } from '../src/results/files.js';
import { writeTables } from '../src/results/write.js';
import { BUFFERED_VALUES } from '../src/stats/accumulator.js';
import { expandStudy, StudyError } from '../src/study/cells.js';
import { SweepAggregate } from '../src/sweep/aggregate.js';
import { AGGREGATE_HEAP_BYTES, aggregateFootprint, cellAccumulators, footprintProblem } from '../src/sweep/footprint.js';
import { planUnits } from '../src/sweep/plan.js';
import { runSweep } from '../src/sweep/run.js';

const ROOT = join(import.meta.dirname, '..');
const work = mkdtempSync(join(tmpdir(), 'fleetsim-aggregate-memory-'));
const engine = { run: (b: Parameters<typeof runBatchCpu>[0]) => Promise.resolve(runBatchCpu(b)) };

type Json = Record<string, unknown>;

/** A shipped study cut down: `steps` steps, the first two values of each axis, the given samples and replicates. */
function cutDown(file: string, samples: number, replicates: number): Json {
  const study = JSON.parse(readFileSync(join(ROOT, 'sweeps', file), 'utf8')) as Json;
  const axes = ((study.axes ?? []) as Json[]).map((a) => {
    const cut: Json = { ...a };
    for (const key of ['values', 'variants', 'labels'] as const) if (Array.isArray(a[key])) cut[key] = (a[key] as unknown[]).slice(0, 2);
    return cut;
  });
  return { ...study, steps: 40, warmup: 8, samples, replicates, axes };
}

/** The tiny paper workflow with an lmax axis of `cells` values (issue 12's fuzz case 86 of seed 1506, smaller). */
function lmaxGrid(cells: number, replicates = 1): Json {
  const study = JSON.parse(readFileSync(join(ROOT, 'sweeps', 'paper-workflow.json'), 'utf8')) as Json;
  return { ...study, steps: 12, warmup: 2, replicates, axes: [{ path: 'lmax', values: Array.from({ length: cells }, (_, i) => i + 1) }] };
}

/** summary.json and cells.csv of the aggregate, written into a fresh directory. */
async function tables(name: string, json: Json, aggregate: SweepAggregate): Promise<[string, string]> {
  const dir = join(work, name);
  const loaded = { ...expandStudy(json), hash: 'test' };
  await writeTables(dir, loaded, aggregate);
  return [readFileSync(join(dir, FILES.summary), 'utf8'), readFileSync(join(dir, FILES.cells), 'utf8')];
}

describe('a cell of few runs keeps its values, not its sketches, and the result files do not change', () => {
  const N = BUFFERED_VALUES;
  const cases: [string, Json][] = [
    ['tiny paper workflow, 24 lmax cells of 1 run', lmaxGrid(24)],
    [`paper-workflow.json, ${N} replicates (at the threshold)`, cutDown('paper-workflow.json', 1, N)],
    [`my-fleet-example.json, ${N + 1} replicates (one past it)`, cutDown('my-fleet-example.json', 1, N + 1)],
    ['memory-pressure.json (lifecycle, memory, fixed and random fleets), 3 samples × 2', cutDown('memory-pressure.json', 3, 2)],
    [`keep-alive.json, ${N - 1} samples`, cutDown('keep-alive.json', N - 1, 1)],
    [`policy-atlas.json (10 policies, random fleets, workflows), ${N + 2} samples`, cutDown('policy-atlas.json', N + 2, 1)],
  ];
  it.each(cases)(
    '%s: the same bytes from buffered and from built accumulators',
    async (name, json) => {
      const { study, cells } = expandStudy(json);
      const aggregate = new SweepAggregate(study.policies);
      await runSweep({ cells, units: planUnits(cells) }, engine, aggregate);
      const text = JSON.stringify(aggregate.toJSON());
      const read = SweepAggregate.fromJSON(JSON.parse(text)); // every accumulator kept as read from JSON
      // Merged into empty accumulators, every one with values is built, as before buffering.
      const built = new SweepAggregate(study.policies);
      built.merge(read);
      expect(JSON.stringify(read.toJSON())).toBe(text);
      expect(JSON.stringify(built.toJSON())).toBe(text);
      const slug = name.replace(/\W+/g, '-');
      const [summary, csv] = await tables(`${slug}-buffered`, json, aggregate);
      for (const [kind, other] of [
        ['read', read],
        ['built', built],
      ] as const) {
        const [summaryOther, csvOther] = await tables(`${slug}-${kind}`, json, other);
        expect(summaryOther, kind).toBe(summary);
        expect(csvOther, kind).toBe(csv);
      }
      // And merged in two halves, one built and one buffered (a resumed or sharded sweep).
      const half = new SweepAggregate(study.policies);
      await runSweep({ cells, units: planUnits(cells).filter((u) => u.cell % 2 === 0) }, engine, half);
      const rest = new SweepAggregate(study.policies);
      await runSweep({ cells, units: planUnits(cells).filter((u) => u.cell % 2 === 1) }, engine, rest);
      const merged = SweepAggregate.fromJSON(half.toJSON()); // read, then built by the merge where rest has values
      merged.merge(rest);
      expect((await tables(`${slug}-merged`, json, merged))[0]).toBe(summary);
    },
    60_000,
  );
});

describe('a grid whose statistics cannot fit is refused before it expands', () => {
  const problemOf = (json: Json): string[] => {
    try {
      expandStudy(json);
      return [];
    } catch (error) {
      if (error instanceof StudyError) return [...error.problems];
      throw error;
    }
  };

  it('counts the accumulators of a cell as the aggregate holds them', async () => {
    const json = lmaxGrid(1);
    const { study, cells } = expandStudy(json);
    const aggregate = new SweepAggregate(study.policies);
    await runSweep({ cells, units: planUnits(cells) }, engine, aggregate);
    const cell = aggregate.cells.get(0)!;
    const held =
      Object.values(cell.policies).reduce((n, metrics) => n + Object.keys(metrics).length, 0) +
      Object.keys(cell.pairs).length +
      Object.keys(cell.diffs).length +
      Object.values(cell.agents ?? {}).reduce((n, agents) => n + agents.reduce((k, metrics) => k + Object.keys(metrics).length, 0), 0);
    expect(cellAccumulators(study.policies.length, 4)).toBe(held);
    expect(aggregateFootprint({ cells: 1000, policies: 6, fleetRuns: 1, fixedAgents: 4 }).heapBytes).toBeLessThan(AGGREGATE_HEAP_BYTES / 3);
  });

  it('accepts the 1,000-cell grid of one run each, refuses 2,000 (summary.json would pass V8’s longest string)', () => {
    expect(problemOf(lmaxGrid(1000))).toEqual([]);
    const problems = problemOf(lmaxGrid(2000));
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(
      /^axes: 2000 cells × 6 policies \(1 fleet run per cell, 4 agents of a fixed fleet\) hold \d+ accumulators, result files .* at most 400 million/,
    );
  });

  it('refuses a grid of built accumulators past the heap budget, and says so in one line', () => {
    // 400 cells of 40 runs: 400 × 807 accumulators built, about 1.2 GiB.
    const problems = problemOf(lmaxGrid(400, 40));
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(/^axes: 400 cells .* about 1\.2 GiB of statistics in memory; at most 1 GiB \(fewer cells/);
    expect(problemOf(lmaxGrid(300, 40))).toEqual([]);
    expect(footprintProblem({ cells: 300, policies: 6, fleetRuns: 40, fixedAgents: 0 })).toBeNull();
  });

  it('the CLI exits 2 with that line and writes nothing', () => {
    const file = join(work, 'too-big.json');
    writeFileSync(file, JSON.stringify(lmaxGrid(2000)));
    const out = join(work, 'too-big-out');
    const run = spawnSync(process.execPath, [join(ROOT, 'bin', 'fleetsim.js'), 'sweep', file, '--out', out, '--backend', 'cpu'], {
      encoding: 'utf8',
    });
    expect(run.status).toBe(2);
    const lines = run.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain('axes: 2000 cells × 6 policies');
    expect(existsSync(out)).toBe(false);
  });
});
