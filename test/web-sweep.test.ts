/**
 * The Sweep view's pure logic, in Node: reading the CLI's result files back (summary.json, cells.csv,
 * per-fleet Arrow rows) into the same statistics, refusing foreign and broken files with a message
 * that names the problem, locating a study's problems on their lines, and the chart helpers.
 */
import { tableFromArrays, tableToIPC } from 'apache-arrow';
import { beforeAll, describe, expect, it } from 'vitest';
import { runBatchCpu } from '../src/cpu/engine.js';
import { OPTIONAL_METRICS, RUN_METRICS, runMetricInfo } from '../src/model/metrics.js';
import { cellsCsv, csvRecords, parseCellsCsv } from '../src/results/cellsCsv.js';
import { InputError } from '../src/results/errors.js';
import { concatFleetRows, fleetRowsFromBatch, type FleetRows, fleetRowsTable, parseFleetArrow } from '../src/results/fleetRows.js';
import { parseSummaryJson, type SummaryTable, summaryTable } from '../src/results/tables.js';
import { parseStudyText, StudyError } from '../src/study/cells.js';
import { axisLabels, axisName } from '../src/study/schema.js';
import { SweepAggregate } from '../src/sweep/aggregate.js';
import { planUnits } from '../src/sweep/plan.js';
import { runSweep } from '../src/sweep/run.js';
import { checkFile, MAX_BYTES } from '../web/views/sweep/files.js';
import { latencyChanges, summaryFromFleetRows } from '../web/views/sweep/fleetRows.js';
import {
  cellsWhere,
  ecdf,
  histogram,
  mapCell,
  METRIC_INFO,
  metricAbout,
  metricAlong,
  metricTitle,
  routedTable,
  undefinedEverywhere,
  undefinedWhy,
  verdictChange,
  winner,
} from '../web/views/sweep/select.js';
import { cellFlags } from '../web/views/sweep/stability.js';
import { categoryLayout, dodge, MAX_TICK_CHARS, seriesStyle } from '../web/lib/chartLayout.js';
import type { CellSummary, Verdict } from '../src/sweep/aggregate.js';
import { EXAMPLES, locate, pageStudy, studyHash, studyProblems } from '../web/views/sweep/studyText.js';

const STUDY = {
  name: 'unit',
  seed: 11,
  fleet: {
    random: { agents: 3, T: { kind: 'logUniform', min: 20, max: 200 }, R: { kind: 'uniform', min: 0.05, max: 0.25 }, P: 1, load: 1 },
  },
  arrivals: 'poisson',
  steps: 30,
  output: { arrivalStats: true }, // the arrival statistics recorded under Poisson too
  samples: 12,
  replicates: 2,
  axes: [
    { path: 'fleet.random.load', values: [0.5, 1.5] },
    {
      name: 'limit',
      variants: [
        { label: 'low', set: { lmax: 100 } },
        { label: 'high', set: { lmax: 999 } },
      ],
    },
  ],
};

let table: SummaryTable;
let arrowFiles: Uint8Array[];
let pageRows: FleetRows;

beforeAll(async () => {
  const { study, cells } = parseStudyText(JSON.stringify(STUDY), 'unit.json');
  const aggregate = new SweepAggregate(study.policies);
  const cellMap = new Map(cells.map((c) => [c.index, c]));
  const axes = study.axes.map(axisName);
  arrowFiles = [];
  const parts: { name: string; rows: FleetRows }[] = [];
  // small batches: several Arrow files, as the CLI writes one per unit
  await runSweep({ cells, units: planUnits(cells) }, { run: (b) => Promise.resolve(runBatchCpu(b)) }, aggregate, {
    batchAgentRuns: 300,
    afterBatch: (done) => {
      arrowFiles.push(tableToIPC(fleetRowsTable(done, cellMap, axes), 'file'));
      parts.push({ name: 'page', rows: fleetRowsFromBatch(done, cellMap, axes) });
    },
  });
  const meta = {
    name: study.name,
    studyHash: await studyHash(study),
    seed: study.seed,
    axes: study.axes.map((a) => ({ name: axisName(a), values: axisLabels(a) })),
    policies: study.policies,
  };
  table = summaryTable(meta, aggregate.summary(cells, axes));
  pageRows = concatFleetRows(parts);
});

describe('reading the result files', () => {
  it('summary.json reads back as written', () => {
    expect(parseSummaryJson(JSON.stringify(table, null, 2), 'summary.json')).toEqual(table);
  });

  it('cells.csv gives the same means, intervals and win fractions', () => {
    const fromCsv = parseCellsCsv(cellsCsv(table), 'cells.csv');
    expect(fromCsv.axes).toEqual(table.axes);
    expect(fromCsv.policies).toEqual(table.policies);
    expect(fromCsv.cells.map((c) => c.values)).toEqual(table.cells.map((c) => c.values));
    for (const [i, cell] of table.cells.entries()) {
      for (const [p, ps] of cell.policies.entries()) {
        for (const m of table.metrics) {
          const want = ps.metrics[m];
          const got = fromCsv.cells[i]!.policies[p]!.metrics[m];
          expect(got?.mean).toBe(want?.mean);
          expect(got?.ci95).toEqual(want?.ci95);
        }
      }
      expect(fromCsv.cells[i]!.pairs.map((q) => [q.a, q.b, q.aWinFraction, q.bWinFraction])).toEqual(
        cell.pairs.map((q) => [q.a, q.b, q.aWinFraction, q.bWinFraction]),
      );
    }
    // and writing it again gives the same file
    expect(cellsCsv(fromCsv)).toBe(cellsCsv(table));
  });

  it('the per-fleet Arrow files alone give the summary statistics exactly (same accumulators, same runs)', () => {
    const rows = concatFleetRows(
      arrowFiles.map((bytes, i) => ({ name: `unit-${i}.arrow`, rows: parseFleetArrow(bytes, `unit-${i}.arrow`) })),
    );
    expect(rows.count).toBe(4 * 12 * 2 * 3);
    const fromRows = summaryFromFleetRows(rows, 'fleets');
    expect(fromRows.cells).toEqual(table.cells);
    expect(fromRows.axes.map((a) => a.name)).toEqual(table.axes.map((a) => a.name));
    // the page's own rows match the files'
    expect(summaryFromFleetRows(pageRows, 'page').cells).toEqual(table.cells);
  });

  it('the latency changes from the rows match the pair statistics', () => {
    const rows = pageRows;
    const cell = table.cells[1]!;
    const pair = cell.pairs.find((p) => p.a === 'static' && p.b === 'adaptive')!;
    const changes = latencyChanges(rows, 'static', 'adaptive', new Set([cell.cell]));
    expect(changes.length).toBe(pair.latencyChange!.n);
    expect(changes.reduce((s, x) => s + x, 0) / changes.length).toBeCloseTo(pair.latencyChange!.mean, 12);
    const finite = table.cells.reduce((n, c) => n + c.pairs.find((p) => p.a === 'static' && p.b === 'adaptive')!.latencyChange!.n, 0);
    expect(latencyChanges(rows, 'static', 'adaptive').length).toBe(finite);
  });
});

describe('bad files are refused with a message naming the problem', () => {
  const refuse = (f: () => unknown): string => {
    try {
      f();
    } catch (error) {
      expect(error).toBeInstanceOf(InputError);
      return (error as Error).message;
    }
    throw new Error('accepted');
  };

  it('by name and size, before reading', () => {
    expect(refuse(() => checkFile('huge.json', 1024 ** 3))).toMatch(/huge\.json: 1\.0 GB is too large .*at most 64\.0 MB/);
    expect(refuse(() => checkFile('fleets.parquet', 10))).toMatch(/Parquet is not supported/);
    expect(refuse(() => checkFile('photo.png', 10))).toMatch(/not a sweep result file/);
    expect(checkFile('out/manifest.json', 10)).toBe('manifest'); // opened beside summary.json: its study hash is checked
    expect(refuse(() => checkFile('huge\n.json', 1024 ** 3, '"huge\\n.json"'))).toMatch(/^"huge\\n\.json": 1\.0 GB/);
    expect(checkFile('unit-00000000.arrow', MAX_BYTES.arrow)).toBe('arrow');
  });

  it('summary.json: not JSON, foreign JSON, overflowing numbers, missing fields', () => {
    expect(refuse(() => parseSummaryJson('{"format": ', 's.json'))).toMatch(/^s\.json: not valid JSON/);
    expect(refuse(() => parseSummaryJson('[1, 2]', 's.json'))).toMatch(/is an array/);
    expect(refuse(() => parseSummaryJson('{"a": 1}', 's.json'))).toMatch(/not a fleetsim summary\.json \(no "format" field/);
    expect(refuse(() => parseSummaryJson(JSON.stringify(STUDY), 's.json'))).toMatch(/looks like a study file/);
    const text = JSON.stringify(table).replace(/"mean":[-0-9.e+]+/, '"mean":1e400');
    expect(refuse(() => parseSummaryJson(text, 's.json'))).toMatch(
      /cells\[0\]\.policies\[0\]\.metrics\.\w+\.mean: must be a finite number, got Infinity/,
    );
    const broken = JSON.parse(JSON.stringify(table)) as { cells: { values: Record<string, unknown> }[] };
    delete broken.cells[2]!.values.limit;
    expect(refuse(() => parseSummaryJson(JSON.stringify(broken), 's.json'))).toMatch(/cells\[2\]\.values: no value for the axis limit/);
  });

  it('cells.csv: wrong columns, ragged rows, text and overflow where numbers belong', () => {
    expect(refuse(() => parseCellsCsv('name,age\nann,3\n', 'people.csv'))).toMatch(
      /people\.csv: not a fleetsim cells\.csv: missing column\(s\) cell, policy, fleetRuns/,
    );
    const csv = cellsCsv(table);
    const lines = csv.split('\n');
    expect(refuse(() => parseCellsCsv([lines[0], `${lines[1]},extra`].join('\n'), 'c.csv'))).toMatch(
      /line 2 has \d+ fields, the header has \d+/,
    );
    const header = lines[0]!.split(',');
    const at = header.indexOf('avgLatency_mean');
    const row = lines[1]!.split(',');
    row[at] = '1e999';
    expect(refuse(() => parseCellsCsv([lines[0], row.join(',')].join('\n'), 'c.csv'))).toBe(
      'c.csv: line 2, column avgLatency_mean: 1e999 overflows (not a finite number)',
    );
    row[at] = '<b>x</b>';
    expect(refuse(() => parseCellsCsv([lines[0], row.join(',')].join('\n'), 'c.csv'))).toBe(
      'c.csv: line 2, column avgLatency_mean: "<b>x</b>" is not a number',
    );
    expect(refuse(() => parseCellsCsv(lines[0]!, 'c.csv'))).toMatch(/no rows/);
  });

  it('Arrow: not Arrow, a foreign table', () => {
    expect(refuse(() => parseFleetArrow(new TextEncoder().encode('not arrow at all'), 'x.arrow'))).toMatch(
      /^x\.arrow: not an Arrow IPC file/,
    );
    const bytes = tableToIPC(tableFromArrays({ x: Float64Array.from([1, 2]), label: ['a', 'b'] }), 'file');
    expect(refuse(() => parseFleetArrow(bytes, 'other.arrow'))).toMatch(/missing column\(s\) cell, sample, replicate, policy, avgLatency/);
  });

  it('CSV records: quotes, commas and line breaks inside fields', () => {
    expect(csvRecords('a,"b,c","d ""e"""\r\n"x\ny",2\n').map((r) => [r.line, r.fields])).toEqual([
      [1, ['a', 'b,c', 'd "e"']],
      [2, ['x\ny', '2']],
    ]);
  });
});

describe('the study editor', () => {
  it('puts each problem on its line', () => {
    const text = JSON.stringify(
      { ...STUDY, fleet: { agents: [{ T: 10, R: 1.5, P: 1, lambda: 2 }] }, policies: ['static', 'greedy'] },
      null,
      2,
    );
    let problems: { text: string; line: number | null }[] = [];
    try {
      pageStudy(text);
    } catch (error) {
      problems = studyProblems(text, error as StudyError);
    }
    const lines = text.split('\n');
    const r = problems.find((p) => p.text.startsWith('fleet.agents[0].R:'))!;
    expect(lines[r.line! - 1]).toContain('"R": 1.5');
    const greedy = problems.find((p) => p.text.startsWith('policies[1]:'))!;
    expect(lines[greedy.line! - 1]).toContain('"greedy"');
  });

  it('puts a JSON syntax error on its line', () => {
    const text = '{\n  "name": "x",\n  "steps": 10,,\n}';
    let problems: { text: string; line: number | null }[] = [];
    try {
      pageStudy(text);
    } catch (error) {
      problems = studyProblems(text, error as StudyError);
    }
    expect(problems[0]!.text).toMatch(/not valid JSON/);
    expect(problems[0]!.line).toBe(3);
  });

  it('locates nested paths, or the deepest part that exists', () => {
    const text = '{\n "a": [1, {"b": {"c": 2}}],\n "d": "x"\n}';
    expect(locate(text, ['a', 1, 'b', 'c'])).toEqual({ line: 2, column: 18 });
    expect(locate(text, ['d'])?.line).toBe(3);
    expect(locate(text, ['a', 1, 'zzz'])?.line).toBe(2);
    expect(locate('{', ['a'])).toBeNull();
  });

  it('refuses a study too large for the page, and an overflowing number', () => {
    expect(() => pageStudy(JSON.stringify({ ...STUDY, samples: 100_000_000, steps: 1_000_000 }))).toThrow(/the page runs at most/);
    expect(() => pageStudy(JSON.stringify(STUDY).replace('"steps":30', '"steps":1e999'))).toThrow(
      /steps: must be a finite number, got Infinity/,
    );
  });

  it('offers the shipped studies, scaled down, all valid and within the page limit', async () => {
    const { readdirSync } = await import('node:fs');
    const shipped = readdirSync('sweeps').map((file) => file.replace(/\.json$/, ''));
    expect(EXAMPLES.map((e) => e.name).sort()).toEqual(shipped.sort());
    for (const e of EXAMPLES) expect(() => pageStudy(JSON.stringify(e.study))).not.toThrow();
  });
});

describe('chart helpers', () => {
  it('a metric along an axis, the others fixed', () => {
    const line = metricAlong(table, 'avgLatency', 'limit', { 'fleet.random.load': 1.5, limit: 'low' });
    expect(line.ticks).toEqual(['low', 'high']);
    const cells = cellsWhere(table, { 'fleet.random.load': 1.5 }, ['limit']);
    expect(cells.map((c) => c.cell)).toEqual([2, 3]);
    expect(line.series[0]!.mean).toEqual(cells.map((c) => c.policies[0]!.metrics.avgLatency!.mean));
  });

  it('every run metric has a label and a unit, the arrival metrics included', () => {
    for (const m of RUN_METRICS) expect(METRIC_INFO[m], m).toBeDefined();
    expect(metricTitle('idc10')).toBe('idc10: index of dispersion of the arrivals, 10-step windows (variance/mean)');
    expect(table.metrics).toEqual(expect.arrayContaining([...RUN_METRICS]));
  });

  it('every run metric says what it means and why it may be undefined, from RUN_METRIC_INFO: the workflow metrics too', () => {
    for (const m of RUN_METRICS) expect(metricAbout(m), m).toBe(runMetricInfo(m).about);
    for (const m of OPTIONAL_METRICS) expect(undefinedWhy(m), m).toContain(runMetricInfo(m).undefinedWhen!);
    expect(metricAbout('notAMetric')).toBeUndefined();
    expect(undefinedWhy('notAMetric')).toBe('the metric was not recorded');
    expect(undefinedWhy('forkParents')).toBe('the fleet has no fork-join');
    expect(metricTitle('e2eLatency')).toBe("e2eLatency: end-to-end latency by Little's law (s)");
    expect(metricAbout('e2eLatency')).toContain('W_e2e');
    // a study without routing: no fork-join anywhere, nothing in flight, and e2eLatency is littleLatency
    expect(table.metrics).toEqual(expect.arrayContaining(['e2eLatency', 'inFlight', 'forkParents']));
    expect(routedTable(table)).toBe(false); // so the view opens it on avgLatency, a workflow study on e2eLatency
    expect(undefinedEverywhere(table, 'forkParents')).toBe(true);
    expect(undefinedEverywhere(table, 'idc100')).toBe(true);
    expect(undefinedEverywhere(table, 'e2eLatency')).toBe(false);
    for (const cell of table.cells) {
      for (const p of cell.policies) {
        expect(p.metrics.inFlight!.mean).toBe(0);
        expect(p.metrics.e2eLatency!.mean).toBeCloseTo(p.metrics.littleLatency!.mean, 9);
      }
    }
  });

  it('an IDC undefined in every run (30 steps: one 100-step window) has null statistics, no line and no winner', () => {
    expect(OPTIONAL_METRICS.has('idc100')).toBe(true);
    for (const cell of table.cells) {
      for (const p of cell.policies) {
        expect(p.metrics.idc100).toBeNull();
        expect(p.metrics.idc10!.mean).toBeGreaterThan(0); // three windows of 10 steps: defined
      }
      expect(winner(cell, 'idc100')).toBeNull();
    }
    const line = metricAlong(table, 'idc100', 'limit', { 'fleet.random.load': 1.5, limit: 'low' });
    expect(line.series.every((s) => s.mean.every((m) => m === null))).toBe(true);
  });

  it('the winner of a cell', () => {
    const cell = table.cells[0]!;
    const w = winner(cell, 'avgLatency')!;
    const best = Math.min(...cell.policies.map((p) => p.metrics.avgLatency!.mean));
    expect(w.mean).toBe(best);
  });

  it('histogram and CDF', () => {
    const values = Float64Array.from({ length: 1000 }, (_, i) => i / 1000);
    const h = histogram(values, 10);
    expect(h.counts.reduce((a, b) => a + b, 0) + h.below + h.above).toBe(1000);
    const c = ecdf(values, 100);
    expect(c.p[c.p.length - 1]).toBe(1);
    expect(c.x.length).toBeLessThanOrEqual(101);
    expect(histogram(Float64Array.from([0, 0, 0])).counts.reduce((a, b) => a + b, 0)).toBe(3);
    // a heavy tail (fleets idle under a) is counted, not drawn
    const tail = Float64Array.from([...Array.from({ length: 98 }, (_, i) => i / 98 - 0.5), 300, 400]);
    const t = histogram(tail, 20);
    expect([t.below, t.above]).toEqual([0, 2]);
    expect(Math.max(...ecdf(tail, 400, true).x)).toBeLessThan(300);
  });
});

describe('the study hash', () => {
  it('is the same in the page (crypto.subtle) as in fleetsim sweep (node:crypto), for every shipped study', async () => {
    const { studyHash: cliStudyHash } = await import('../src/cli/sweep.js');
    const { readFileSync, readdirSync } = await import('node:fs');
    const { parseStudyText: parse } = await import('../src/study/cells.js');
    for (const file of readdirSync('sweeps')) {
      const { study } = parse(readFileSync(`sweeps/${file}`, 'utf8'), file);
      expect(await studyHash(study)).toBe(cliStudyHash(study));
    }
    const { study } = parse(JSON.stringify(STUDY), 'STUDY');
    expect(await studyHash(study)).toMatch(/^[0-9a-f]{64}$/);
  });
});

describe('charts read at a glance (the pure layout and the verdict-based marks)', () => {
  it('a label axis: whole labels when they fit, cut and rotated when not, thinned when even rotated ones overlap', () => {
    expect(categoryLayout(['low', 'high'], 600)).toEqual({ step: 1, rotate: 0, size: 40, labels: ['low', 'high'] });
    const long = ['coordinator carries 90 % of the traffic', 'baseline'];
    expect(categoryLayout(long, 1000).labels).toEqual(long); // room enough: whole
    const tight = categoryLayout(long, 200);
    expect(tight.rotate).toBeLessThan(0);
    expect(tight.labels[0]!.length).toBe(MAX_TICK_CHARS);
    expect(tight.labels[0]!.endsWith('…')).toBe(true);
    const many = categoryLayout(
      Array.from({ length: 60 }, (_, i) => `variant number ${i}`),
      600,
    );
    expect(many.step).toBeGreaterThan(1); // 10 px per category: every few labels
    expect((600 / 60) * many.step).toBeGreaterThanOrEqual(16); // rotated labels at least a line apart
  });

  it('series on one category are dodged apart, centred, within half the slot; each policy has its own dash and marker', () => {
    const offsets = [0, 1, 2].map((k) => dodge(k, 3, 100));
    expect(offsets[1]).toBe(0);
    expect(offsets[0]).toBe(-offsets[2]!);
    expect(offsets[2]! - offsets[0]!).toBeLessThanOrEqual(50);
    expect(dodge(0, 1, 100)).toBe(0);
    const styles = [0, 1, 2].map(seriesStyle);
    expect(new Set(styles.map((s) => s.shape)).size).toBe(3);
    expect(new Set(styles.map((s) => s.dash.join(','))).size).toBe(3);
  });

  const stat = (mean: number, half: number) => ({
    n: 30,
    mean,
    std: 1,
    ci95: [mean - half, mean + half] as [number, number],
    min: 0,
    max: 0,
    p50: 0,
    p90: 0,
    p99: 0,
  });
  const verdict = (a: string, b: string, winner: string | null, over: Partial<Verdict> = {}): Verdict => ({
    a,
    b,
    metric: 'avgLatency',
    better: 'lower',
    unit: 's',
    n: 30,
    difference: stat(b === winner ? -2 : 2, 0.5),
    winner,
    aWins: winner === a ? 30 : 0,
    bWins: winner === b ? 30 : 0,
    ties: winner ? 0 : 30,
    winnerWins: winner ? 30 : null,
    winFraction: winner ? 1 : null,
    winFractionCi95: winner ? [0.88, 1] : null,
    relativeChange: null,
    unstable: false,
    text: `${a} vs ${b}: ${winner ?? 'none'}`,
    ...over,
  });
  const cell = (verdicts: Verdict[], means: Record<string, [number, number]>): CellSummary => ({
    cell: 0,
    values: {},
    fleetRuns: 30,
    policies: Object.entries(means).map(([policy, [mean, half]]) => ({ policy, metrics: { avgLatency: stat(mean, half) } })),
    pairs: [],
    verdicts,
    warnings: [],
  });

  it('the winner map follows the paired verdict: no ≈ where the verdict names the winner, though the unpaired intervals overlap', () => {
    // static 10 ± 3 and adaptive 12 ± 3 overlap; paired, static wins every run
    const c = cell([verdict('static', 'adaptive', 'static')], { static: [10, 3], adaptive: [12, 3] });
    expect(winner(c, 'avgLatency')!.unresolved).toBe(true); // the old, unpaired mark
    const m = mapCell(c, 'avgLatency')!;
    expect([m.policy, m.unresolved, m.paired, m.texts]).toEqual(['static', false, true, ['static vs adaptive: static']]);
    // and ≈ where the verdict has no winner
    const none = mapCell(cell([verdict('static', 'adaptive', null)], { static: [10, 0.1], adaptive: [12, 0.1] }), 'avgLatency')!;
    expect(none.unresolved).toBe(true);
    // without verdicts: the unpaired intervals, said so
    expect(mapCell(cell([], { static: [10, 3], adaptive: [12, 3] }), 'avgLatency')!.paired).toBe(false);
  });

  it('a change is relative only where the verdict gives one, else absolute with its unit, oriented as the page’s pair', () => {
    const v = verdict('static', 'adaptive', 'static'); // adaptive − static = +2 ± 0.5 s
    expect(verdictChange(v, 'static', 'adaptive')).toBe('adaptive − static = +2 ± 0.5 s');
    expect(verdictChange(v, 'adaptive', 'static')).toBe('static − adaptive = −2 ± 0.5 s');
    expect(verdictChange({ ...v, relativeChange: -0.352 }, 'static', 'adaptive')).toBe('static −35.2 % vs adaptive');
  });

  it('the banner lists the summary’s warnings verbatim; without any, the policies with unstable runs', () => {
    const c = cell([], { static: [10, 1] });
    const flags = cellFlags({
      ...table,
      cells: [
        { ...c, warnings: ['static: queues grow.'] },
        { ...c, cell: 1, warnings: [] },
      ],
    });
    expect(flags.map((f) => [f.cell.cell, f.text, f.own])).toEqual([[0, 'static: queues grow.', false]]);
    const unstable = { ...c, policies: [{ policy: 'static', metrics: { unstable: stat(0.4, 0.1) } }] };
    const own = cellFlags({ ...table, policies: ['static'], cells: [unstable] });
    expect(own.map((f) => f.text)).toEqual([
      'static: unstable in 40 % of runs (a queue grows through the run): its results depend on run length.',
    ]);
    expect(cellFlags({ ...table, cells: [c] })).toEqual([]);
  });
});
