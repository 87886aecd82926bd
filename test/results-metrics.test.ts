/**
 * The §4.7 metrics in the result files: a metric undefined in some fleet runs (jainIndex without
 * arrivals, workConservationGap without a busy step) is left out of its statistics and of the paired
 * differences, summary.json and cells.csv say the same verdicts (cells.csv's `diff_…_n` carries the
 * paired runs), an older cells.csv without the new columns still gives its three verdicts, the
 * aggregate's checkpoint round-trips them, and the CLI summary shows two of them.
 */
import { describe, expect, it } from 'vitest';
import { sweepSummary } from '../src/cli/summary.js';
import { emptyTotals, RUN_METRICS, type BatchResult } from '../src/model/metrics.js';
import { cellsCsv, parseCellsCsv } from '../src/results/cellsCsv.js';
import { summaryTable, summaryText } from '../src/results/tables.js';
import type { Cell } from '../src/study/cells.js';
import type { Study } from '../src/study/schema.js';
import { SweepAggregate } from '../src/sweep/aggregate.js';
import type { SweepTimes } from '../src/sweep/run.js';

const POLICIES = ['static', 'roundRobin', 'adaptive'] as const;
const RUNS = 40; // fleet runs per batch, one cell

/** A batch's metric columns (fleet run-major, the three policies adjacent), values from a fixed LCG; jainIndex and workConservationGap NaN in every fifth fleet run. */
function fakeResult(seed: number): BatchResult {
  let x = seed;
  const next = (): number => (x = (x * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
  const out = { totals: emptyTotals([]) } as BatchResult;
  for (const m of RUN_METRICS) out[m] = new Float64Array(RUNS * POLICIES.length);
  for (let k = 0; k < RUNS; k++) {
    for (let p = 0; p < POLICIES.length; p++) {
      const r = k * POLICIES.length + p;
      for (const m of RUN_METRICS) out[m][r] = 1 + p + next();
      out.unstable[r] = 0;
      out.jainIndex[r] = k % 5 === 0 ? NaN : 0.5 + 0.4 * next() + 0.05 * p;
      out.workConservationGap[r] = k % 5 === 0 ? NaN : 0.2 * next();
      out.minViolationFraction[r] = p === 1 ? 0.75 : 0.1 * next();
    }
  }
  return out;
}

const cell = { index: 0, values: [], study: { fleet: { random: {} } } as unknown as Study } as Cell;

function aggregateOf(...seeds: number[]): SweepAggregate {
  const agg = new SweepAggregate([...POLICIES]);
  for (const s of seeds) agg.addBatch(() => 0, fakeResult(s), RUNS);
  return agg;
}

const meta = { name: 'fake', studyHash: '0'.repeat(64), seed: 1, axes: [], policies: [...POLICIES] };

describe('the §4.7 metrics through the aggregate and the result files', () => {
  const agg = aggregateOf(1, 2);
  const table = summaryTable(meta, agg.summary([cell], []));
  const c = table.cells[0]!;

  it('leaves an undefined value out of the statistics and of the paired differences', () => {
    const static_ = c.policies[0]!.metrics;
    expect(static_.jainIndex!.n).toBe(2 * RUNS - (2 * RUNS) / 5);
    expect(static_.workConservationGap!.n).toBe(2 * RUNS - (2 * RUNS) / 5);
    expect(static_.minViolationFraction!.n).toBe(2 * RUNS);
    const jain = c.verdicts.filter((v) => v.metric === 'jainIndex');
    expect(jain).toHaveLength(3);
    for (const v of jain) expect(v.n).toBe(2 * RUNS - (2 * RUNS) / 5);
    // jainIndex is higher-better: adaptive's is 0.05 above roundRobin's above static's, on average
    expect(jain.find((v) => v.a === 'static' && v.b === 'adaptive')!.better).toBe('higher');
    // minViolationFraction: roundRobin starves (0.75) in every paired run
    const starve = c.verdicts.find((v) => v.metric === 'minViolationFraction' && v.a === 'static' && v.b === 'roundRobin')!;
    expect(starve.winner).toBe('static');
    expect(starve.text).toMatch(
      /^static is better than roundRobin on minViolationFraction by 0\.\d+ ± 0\.\d+ fraction of agent-steps \(\d+ % lower\) in 100 % of paired runs/,
    );
  });

  it('cells.csv gives the same verdicts as summary.json, paired runs included', () => {
    const csv = cellsCsv(table);
    const header = csv.split('\n')[0]!.split(',');
    expect(header).toContain('diff_jainIndex_vs_adaptive_n');
    expect(header).toContain('worstAgentLatency_p99');
    const again = parseCellsCsv(csv, 'cells.csv');
    const said = (t: typeof table) => t.cells[0]!.verdicts.map((v) => [v.metric, v.a, v.b, v.n, v.winner, v.aWins, v.bWins, v.text]);
    expect(said(again)).toEqual(said(table));
    expect(again.metrics).toEqual([...RUN_METRICS]);
  });

  it('an older cells.csv (no §4.7 columns, no `_n`) gives its three verdicts as before', () => {
    const csv = cellsCsv(table).trimEnd().split('\n');
    const header = csv[0]!.split(',');
    const NEW = [
      'backlogGpuSeconds',
      'minViolationFraction',
      'workConservationGap',
      'jainIndex',
      'worstAgentLatency',
      'littleLatency',
      'e2eLatency',
      'inFlight',
      'forkParents',
    ];
    const keep = header.map((h, i) => [h, i] as const).filter(([h]) => !NEW.some((m) => h.includes(m)) && !h.endsWith('_n'));
    const old = csv.map((line) => keep.map(([, i]) => line.split(',')[i]).join(',')).join('\n');
    const again = parseCellsCsv(`${old}\n`, 'cells.csv');
    const three = table.cells[0]!.verdicts.filter((v) => ['avgLatency', 'throughput', 'cost'].includes(v.metric)).map((v) => v.text);
    expect(again.cells[0]!.verdicts.map((v) => v.text)).toEqual(three);
  });

  it('a checkpoint round trip and a merge of two halves give the same summary.json', () => {
    const halves = aggregateOf(1);
    halves.merge(SweepAggregate.fromJSON(JSON.parse(JSON.stringify(aggregateOf(2)))));
    expect(summaryText(summaryTable(meta, halves.summary([cell], [])))).toBe(summaryText(table));
  });

  it('the CLI summary shows Jain’s index and the fraction below the minimum share', () => {
    const times: SweepTimes = { engineSeconds: 1, totalSeconds: 1, fleetRuns: 80, runs: 240, agentSteps: 1 };
    const text = sweepSummary(
      {
        dir: '/tmp/x',
        study: { name: 'fake', output: { fleetRows: false } } as unknown as Study,
        times,
        resumedUnits: 0,
        summary: table.cells,
      },
      { name: 'cpu', adapter: '1 thread' },
    );
    expect(text).toMatch(/policy\s+avgLatency \(s\)\s+throughput \(req\/s\)\s+unstable runs\s+Jain\s+below min share/);
    const mean = c.policies[1]!.metrics.jainIndex!.mean.toFixed(3);
    expect(text).toMatch(new RegExp(`roundRobin .*\\s${mean.replace('.', '\\.')}\\s+75 %`));
  });
});
