/**
 * A short benchmark in the page: the browser's WebGPU against the CPU reference engine in a Web Worker,
 * on one of the suite's workloads (src/bench/workloads.ts), fleet counts from 100 upward by ×10 until a
 * run takes longer than the budget. Like `npm run bench`: backends interleaved at each size, a warm-up
 * run, then `repeats` timed runs (median, min, max). The result has the suite's file format, so the
 * same charts draw it and it can be saved next to the suite's files.
 */
import { agentStepsOf, makeWorkloadBatch, type Workload } from '../../../src/bench/workloads.js';
import type { BenchFile, Measurement } from '../../../src/results/benchFile.js';
import type { Engine } from '../../../src/platform/engine.js';
import { centerSeconds } from './series.js';

export interface PageBenchOptions {
  workload: Workload;
  steps: number;
  budgetSeconds: number;
  repeats: number;
  maxFleets: number;
  signal: AbortSignal;
  progress: (text: string) => void;
}

/** Named engines: 'webgpu' and 'cpu-worker' (only the CPU one where the browser has no WebGPU). */
export type NamedEngine = { name: string; engine: Engine };

export async function runPageBench(engines: readonly NamedEngine[], options: PageBenchOptions): Promise<BenchFile> {
  const { workload, steps, budgetSeconds, repeats, maxFleets, signal, progress } = options;
  const measurements: Measurement[] = [];
  const active = new Set(engines.map((e) => e.name));
  for (let fleets = 100; fleets <= maxFleets && active.size > 0; fleets *= 10) {
    const batch = makeWorkloadBatch(workload, fleets, steps);
    const agentSteps = agentStepsOf(batch);
    for (const { name, engine } of engines) {
      if (!active.has(name)) continue;
      progress(`${workload.name}: ${name}, ${fleets.toLocaleString('en-US')} fleets (warm-up)`);
      signal.throwIfAborted();
      await engine.run(batch);
      const seconds: number[] = [];
      for (let k = 0; k < repeats; k++) {
        signal.throwIfAborted();
        progress(`${workload.name}: ${name}, ${fleets.toLocaleString('en-US')} fleets (run ${k + 1} of ${repeats})`);
        const t0 = performance.now();
        await engine.run(batch);
        seconds.push((performance.now() - t0) / 1000);
      }
      const median = centerSeconds({ seconds }); // the true median (the mean of the middle two for an even count)
      measurements.push({
        workload: workload.name,
        backend: name,
        fleets,
        steps,
        agentSteps,
        fleetRuns: batch.runs.count,
        seconds,
        median,
        agentStepsPerSecond: agentSteps / median,
        fleetRunsPerSecond: batch.runs.count / median,
      });
      if (median > budgetSeconds) active.delete(name);
    }
  }
  const gpu = engines.find((e) => e.engine.name === 'gpu');
  return {
    environment: {
      date: new Date().toISOString(),
      browser: navigator.userAgent,
      cores: navigator.hardwareConcurrency || undefined,
      adapter: gpu ? { description: gpu.engine.adapter ?? 'WebGPU adapter' } : null,
      options: { budget: budgetSeconds, repeats, steps, maxFleets, inPage: true },
    },
    measurements,
  };
}
