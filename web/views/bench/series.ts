/**
 * From a bench result file to chart series: agent-steps per second against fleet count, one series
 * per backend, the centre of the timed runs with the slowest and fastest run as its band. The centre
 * is the true median of the runs' times, and it is labelled for what it is (centreLabel): the median of
 * n for n ≥ 3, the mean of the two for n = 2, the run itself for n = 1. (The suite's file stores a
 * `median` field that, for two runs, is the slower one; the page recomputes from `seconds`.)
 * Pure: unit-tested in Node (test/bench-file.test.ts).
 */
import { median } from 'simple-statistics';
import type { BenchFile, Measurement } from '../../../src/results/benchFile.js';

export interface BackendSeries {
  backend: string;
  center: (number | null)[]; // agent-steps/s at the centre of the timed runs, per fleet count (null: not measured there)
  low: (number | null)[]; // the slowest run
  high: (number | null)[]; // the fastest run
  /** The centre's label over this backend's measurements: "median of 3", "mean of 2", "one run". */
  label: string;
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

/** The centre of a measurement's timed runs, seconds: their median (the mean of the middle two for an even count). */
export const centerSeconds = (m: Pick<Measurement, 'seconds'>): number => median(m.seconds);

/** What the centre of n timed runs is: "median of n" (n ≥ 3), "mean of 2", "one run"; a range of counts reads "median of 3–5". */
export function centerLabel(counts: readonly number[]): string {
  const ns = [...new Set(counts)].sort((a, b) => a - b);
  if (ns.length === 0) return 'no runs';
  const one = (n: number): string => (n >= 3 ? `median of ${n}` : n === 2 ? 'mean of 2' : 'one run');
  if (ns.length === 1) return one(ns[0]!);
  return ns[0]! >= 3 ? `median of ${ns[0]}–${ns.at(-1)}` : ns.map(one).join(' or ');
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
        center: fleets.map((f) => pick(f, (m) => m.agentSteps / centerSeconds(m))),
        low: fleets.map((f) => pick(f, (m) => m.agentSteps / Math.max(...m.seconds))),
        high: fleets.map((f) => pick(f, (m) => m.agentSteps / Math.min(...m.seconds))),
        label: centerLabel(fleets.flatMap((f) => at(f)?.seconds.length ?? [])),
      };
    }),
  };
}

/** Speed-ups of each backend over `base` at every fleet count where both were measured (centre over centre). */
export function speedups(series: ThroughputSeries, base: string): { backend: string; fleets: number; ratio: number }[] {
  const ref = series.backends.find((b) => b.backend === base);
  if (!ref) return [];
  const out: { backend: string; fleets: number; ratio: number }[] = [];
  for (const b of series.backends) {
    if (b.backend === base) continue;
    series.fleets.forEach((fleets, i) => {
      const x = b.center[i];
      const y = ref.center[i];
      if (x != null && y != null && y > 0) out.push({ backend: b.backend, fleets, ratio: x / y });
    });
  }
  return out;
}
