/**
 * From a bench result file to chart series: agent-steps per second against fleet count, one series
 * per backend, the median with its min–max band (from the fastest and slowest timed run).
 * Pure: unit-tested in Node (test/bench-file.test.ts).
 */
import type { BenchFile } from '../../../src/results/benchFile.js';

export interface BackendSeries {
  backend: string;
  median: (number | null)[]; // agent-steps/s at each fleet count (null: not measured there)
  low: (number | null)[]; // the slowest run
  high: (number | null)[]; // the fastest run
}

export interface ThroughputSeries {
  workload: string;
  fleets: number[]; // ascending
  backends: BackendSeries[];
}

/** The workloads in a file, in the order they first appear. */
export function workloadsOf(file: BenchFile): string[] {
  return [...new Set(file.measurements.map((m) => m.workload))];
}

export function throughputSeries(file: BenchFile, workload: string): ThroughputSeries {
  const rows = file.measurements.filter((m) => m.workload === workload);
  const fleets = [...new Set(rows.map((m) => m.fleets))].sort((a, b) => a - b);
  const backends = [...new Set(rows.map((m) => m.backend))];
  return {
    workload,
    fleets,
    backends: backends.map((backend) => {
      const at = (f: number) => rows.filter((m) => m.backend === backend && m.fleets === f).at(-1);
      const pick = (f: number, value: (m: (typeof rows)[number]) => number): number | null => {
        const m = at(f);
        return m ? value(m) : null;
      };
      return {
        backend,
        median: fleets.map((f) => pick(f, (m) => m.agentStepsPerSecond)),
        low: fleets.map((f) => pick(f, (m) => m.agentSteps / Math.max(...m.seconds))),
        high: fleets.map((f) => pick(f, (m) => m.agentSteps / Math.min(...m.seconds))),
      };
    }),
  };
}

/** Speed-ups of each backend over `base` at every fleet count where both were measured. */
export function speedups(series: ThroughputSeries, base: string): { backend: string; fleets: number; ratio: number }[] {
  const ref = series.backends.find((b) => b.backend === base);
  if (!ref) return [];
  const out: { backend: string; fleets: number; ratio: number }[] = [];
  for (const b of series.backends) {
    if (b.backend === base) continue;
    series.fleets.forEach((fleets, i) => {
      const x = b.median[i];
      const y = ref.median[i];
      if (x != null && y != null && y > 0) out.push({ backend: b.backend, fleets, ratio: x / y });
    });
  }
  return out;
}
