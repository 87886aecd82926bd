/** The bench result file's schema (src/results/benchFile.ts) and the Bench view's series (web/views/bench/series.ts). */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ARRIVAL_WORKLOADS } from '../src/bench/workloads.js';
import { BenchFileError, parseBenchFile } from '../src/results/benchFile.js';
import { speedups, throughputSeries, workloadsOf } from '../web/views/bench/series.js';

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
    expect(() => parseBenchFile(readFileSync('bench/results/sweep-2026-11-21-vm.json', 'utf8'))).toThrow(/measurements: /);
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
    expect(message).toMatch(/measurements\.2\.seconds\.0: .*measurements\.5\.fleets: /);
    expect(() => parseBenchFile(quick.replace('"fleets": 100,', '"fleets": 1e400,'))).toThrow(/measurements\.0\.fleets/);
  });

  it('turns measurements into one series per backend: median, slowest and fastest run', () => {
    const file = parseBenchFile(quick);
    const s = throughputSeries(file, 'paper-static');
    const rows = file.measurements.filter((m) => m.workload === 'paper-static');
    expect(s.fleets).toEqual([...new Set(rows.map((m) => m.fleets))].sort((a, b) => a - b));
    expect(s.backends.map((b) => b.backend)).toEqual([...new Set(rows.map((m) => m.backend))]);
    for (const b of s.backends) {
      s.fleets.forEach((f, i) => {
        const m = rows.filter((r) => r.backend === b.backend && r.fleets === f).at(-1);
        expect(b.median[i]).toBe(m ? m.agentStepsPerSecond : null);
        if (m) expect(b.low[i]! <= b.median[i]! && b.median[i]! <= b.high[i]!).toBe(true);
      });
    }
    const gpu = speedups(s, 'cpu-1').filter((r) => r.backend === 'gpu');
    expect(gpu.length).toBeGreaterThan(0);
    for (const r of gpu) {
      const at = (backend: string) => rows.find((m) => m.backend === backend && m.fleets === r.fleets)!.agentStepsPerSecond;
      expect(r.ratio).toBeCloseTo(at('gpu') / at('cpu-1'), 12);
    }
  });
});
