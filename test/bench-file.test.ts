/**
 * The bench result files' schemas (src/results/benchFile.ts: the suite's, bench:sweep's, bench:memory's,
 * bench:slurm's), the refusals in words, and the Bench view's series (web/views/bench/series.ts) with
 * the centre of the timed runs labelled for what it is.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ARRIVAL_WORKLOADS } from '../src/bench/workloads.js';
import { BenchFileError, openBenchFile, parseBenchFile } from '../src/results/benchFile.js';
import { centerLabel, centerSeconds, speedups, throughputSeries, workloadsOf } from '../web/views/bench/series.js';

const quick = readFileSync('test/fixtures/bench-suite-quick.json', 'utf8');

describe('bench result files', () => {
  it('reads a file written by npm run bench', () => {
    const file = parseBenchFile(quick);
    expect(workloadsOf(file)).toEqual([
      'paper-static',
      'paper-roundRobin',
      'paper-adaptive',
      'random16',
      'random64',
      ...ARRIVAL_WORKLOADS.map((w) => w.name),
    ]);
    expect(file.environment.adapter?.vendor).toBe('mesa');
  });

  it('costs each arrival workload against Poisson on every backend', () => {
    const file = parseBenchFile(quick);
    const backends = [...new Set(file.measurements.filter((m) => m.workload === 'paper-static').map((m) => m.backend))].filter(
      (b) => b !== 'numpy',
    );
    expect(file.arrivalCost?.map((c) => `${c.workload} ${c.backend}`)).toEqual(
      ARRIVAL_WORKLOADS.flatMap((w) => backends.map((b) => `${w.name} ${b}`)),
    );
    for (const c of file.arrivalCost!) {
      const at = (w: string) => file.measurements.find((m) => m.workload === w && m.backend === c.backend && m.fleets === c.fleets)!;
      expect(c.baseline).toBe('paper-static');
      expect(c.relativeCost).toBeCloseTo(at('paper-static').agentStepsPerSecond / at(c.workload).agentStepsPerSecond, 12);
    }
  });

  it('reads files from before the arrival workloads (no arrivals, no arrivalCost)', () => {
    const old = JSON.parse(quick) as { arrivalCost?: unknown; measurements: { workload: string; arrivals?: string }[] };
    delete old.arrivalCost;
    old.measurements = old.measurements.filter((m) => !m.workload.startsWith('paper-static-'));
    for (const m of old.measurements) delete m.arrivals;
    const file = parseBenchFile(JSON.stringify(old));
    expect(file.arrivalCost).toBeUndefined();
    expect(workloadsOf(file)).toEqual(['paper-static', 'paper-roundRobin', 'paper-adaptive', 'random16', 'random64']);
  });

  it('names the fields that do not fit', () => {
    expect(() => parseBenchFile('{')).toThrow(/not JSON/);
    expect(() => parseBenchFile(readFileSync('bench/results/sweep-2026-11-21-vm.json', 'utf8'))).toThrow(
      'this is a npm run bench:sweep file, not one of npm run bench (engine throughput)',
    );
    const bad = JSON.parse(quick) as { measurements: Record<string, unknown>[] };
    bad.measurements[2]!.seconds = [-1];
    bad.measurements[5]!.fleets = 0.5;
    let message = '';
    try {
      parseBenchFile(JSON.stringify(bad));
    } catch (error) {
      expect(error).toBeInstanceOf(BenchFileError);
      message = (error as Error).message;
    }
    expect(message).toMatch(
      /^a file of npm run bench that does not fit: measurements\[2\]\.seconds\[0\]: must be ≥ 0, got -1; measurements\[5\]\.fleets: must be an integer, got 0\.5$/,
    );
    expect(() => parseBenchFile(quick.replace('"fleets": 100,', '"fleets": 1e400,'))).toThrow(/measurements\[0\]\.fleets/);
  });

  it('turns measurements into one series per backend: the centre of the runs, slowest and fastest run', () => {
    const file = parseBenchFile(quick);
    const s = throughputSeries(file, 'paper-static');
    const rows = file.measurements.filter((m) => m.workload === 'paper-static');
    expect(s.fleets).toEqual([...new Set(rows.map((m) => m.fleets))].sort((a, b) => a - b));
    expect(s.backends.map((b) => b.backend)).toEqual([...new Set(rows.map((m) => m.backend))]);
    for (const b of s.backends) {
      s.fleets.forEach((f, i) => {
        const m = rows.filter((r) => r.backend === b.backend && r.fleets === f).at(-1);
        // three runs each: the file's median is the true one
        expect(b.center[i]).toBe(m ? m.agentStepsPerSecond : null);
        if (m) expect(b.low[i]! <= b.center[i]! && b.center[i]! <= b.high[i]!).toBe(true);
      });
    }
    expect(s.backends.map((b) => b.label)).toEqual(s.backends.map(() => 'median of 3'));
    const gpu = speedups(s, 'cpu-1').filter((r) => r.backend === 'gpu');
    expect(gpu.length).toBeGreaterThan(0);
    for (const r of gpu) {
      const at = (backend: string) => rows.find((m) => m.backend === backend && m.fleets === r.fleets)!.agentStepsPerSecond;
      expect(r.ratio).toBeCloseTo(at('gpu') / at('cpu-1'), 12);
    }
  });

  it('labels the centre honestly: median of n for n ≥ 3, the mean of two runs (not the slower), the run itself', () => {
    expect(centerSeconds({ seconds: [1, 3] })).toBe(2);
    expect(centerSeconds({ seconds: [10, 1, 2] })).toBe(2);
    expect(centerSeconds({ seconds: [4, 1, 3, 2] })).toBe(2.5);
    expect(centerLabel([3, 3])).toBe('median of 3');
    expect(centerLabel([2])).toBe('mean of 2');
    expect(centerLabel([1])).toBe('one run');
    expect(centerLabel([5, 3])).toBe('median of 3–5');
    expect(centerLabel([2, 3])).toBe('mean of 2 or median of 3');
    // The 2026-11-21 suite ran two repeats: its `median` field is the slower run; the series uses their mean.
    const file = parseBenchFile(readFileSync('bench/results/2026-11-21-vm.json', 'utf8'));
    const m = file.measurements[0]!;
    expect(m.seconds).toHaveLength(2);
    expect(m.median).toBe(Math.max(...m.seconds));
    const s = throughputSeries(file, m.workload);
    const gpu = s.backends.find((b) => b.backend === m.backend)!;
    expect(gpu.label).toBe('mean of 2');
    expect(gpu.center[s.fleets.indexOf(m.fleets)]).toBeCloseTo(m.agentSteps / ((m.seconds[0]! + m.seconds[1]!) / 2), 6);
    expect(gpu.center[s.fleets.indexOf(m.fleets)]).toBeGreaterThan(m.agentStepsPerSecond);
  });
});

describe('every file the bench scripts write', () => {
  const KIND_OF_NAME = (name: string): string => /^(sweep|memory|slurm|peers)-/.exec(name)?.[1] ?? 'suite';

  it.each(readdirSync('bench/results').filter((f) => f.endsWith('.json')))('bench/results/%s opens as its kind', (name) => {
    const opened = openBenchFile(readFileSync(`bench/results/${name}`, 'utf8'));
    expect(opened.kind).toBe(KIND_OF_NAME(name));
  });

  it('reads each kind’s figures', () => {
    const sweep = openBenchFile(readFileSync('bench/results/sweep-2026-11-21-vm.json', 'utf8'));
    expect(sweep.kind === 'sweep' && sweep.file.rows.map((r) => r.backend)).toEqual(['gpu', 'cpu']);
    const memory = openBenchFile(readFileSync('bench/results/memory-2026-11-21-vm.json', 'utf8'));
    expect(memory.kind === 'memory' && memory.file.trajectory.length).toBeGreaterThan(5);
    const slurm = openBenchFile(readFileSync('bench/results/slurm-2026-12-06-vm.json', 'utf8'));
    expect(slurm.kind === 'slurm' && slurm.file.merge.rows.map((r) => r.shards)).toEqual([10, 100, 1000]);
    // a machine without Slurm writes why part 1 was skipped instead of its figures
    const skipped = JSON.parse(readFileSync('bench/results/slurm-2026-12-06-vm.json', 'utf8')) as Record<string, unknown>;
    skipped.slurm = 'sbatch not found';
    const opened = openBenchFile(JSON.stringify(skipped));
    expect(opened.kind === 'slurm' && opened.file.slurm).toBe('sbatch not found');
  });

  const refusal = (json: unknown): string => {
    try {
      openBenchFile(JSON.stringify(json));
    } catch (error) {
      expect(error).toBeInstanceOf(BenchFileError);
      return (error as Error).message;
    }
    throw new Error('not refused');
  };

  it.each([
    [[1, 2], /^not a fleetsim bench result: the file holds an array, not an object\. The Bench view shows the files of npm run bench \(/],
    [
      { bench: 'gpu\u001b[2J' },
      /^this is a "gpu\\u001b\[2J" benchmark file, which this Bench view does not know: it shows the files of npm run bench/,
    ],
    [{ name: 'mine', fleet: { preset: 'paper' } }, /^this is a study file, not a bench result: open it in the Sweep view/],
    [{ study: {}, cells: [] }, /^this is a sweep’s result \(summary\.json\), not a bench result: open it in the Sweep view/],
    [{ hello: 1 }, /^not a fleetsim bench result: it has neither "measurements" \(npm run bench\) nor "bench"/],
  ])('refuses %j in words', (json, message) => {
    const text = refusal(json);
    expect(text).toMatch(message);
    expect(text).toMatch(/npm run bench:sweep .*npm run bench:memory .*npm run bench:slurm /);
    expect(text).not.toMatch(/Invalid input|expected|received/);
  });

  it('names the fields of a known kind that do not fit, one line, in words', () => {
    const sweep = JSON.parse(readFileSync('bench/results/sweep-2026-11-21-vm.json', 'utf8')) as { rows: Record<string, unknown>[] };
    sweep.rows[1]!.fleetRunsPerSecond = -1;
    delete sweep.rows[0]!.backend;
    expect(refusal(sweep)).toBe(
      'a file of npm run bench:sweep that does not fit: rows[0].backend: is required; rows[1].fleetRunsPerSecond: must be ≥ 0, got -1',
    );
    const memory = JSON.parse(readFileSync('bench/results/memory-2026-11-21-vm.json', 'utf8')) as Record<string, unknown>;
    memory.trajectory = 'lots';
    expect(refusal(memory)).toBe('a file of npm run bench:memory that does not fit: trajectory: must be an array, got "lots"');
    const text = refusal({ bench: 'slurm', date: '2026-12-06', study: 'x', slurm: 5, merge: { rows: [], refusals: [] } });
    expect(text).toMatch(/^a file of npm run bench:slurm that does not fit: slurm: must be a string or an object, got 5$/);
  });
});
