/**
 * One batch on a GPU workflow kernel and on the CPU engine, compared as test/gpu-placement.test.ts and
 * test/gpu-pool.test.ts compare them: the runs whose whole-number totals differ (at most
 * MAX_DIVERGENT_RUNS of them), then every other run's metrics within the named tolerances
 * (LIFECYCLE_TOLERANCES with the lifecycle on, its per-agent metrics exactly but for the cold delay).
 */
import { expect } from 'vitest';
import { runBatchCpu } from '../../src/cpu/engine.js';
import type { GpuEngine } from '../../src/gpu/engine.js';
import type { Batch } from '../../src/model/batch.js';
import { LIFECYCLE_METRICS } from '../../src/model/lifecycle.js';
import { type BatchResult, type RunTotals, summarize } from '../../src/model/metrics.js';
import { policyName } from '../../src/model/policies.js';
import { compareColumns, compareRunMetrics } from './compare.js';
import { divergentRuns, FLOW_TOL, LIFECYCLE_TOLERANCES, MAX_DIVERGENT_RUNS, RUN_TOLERANCES } from './tolerances.js';

export interface EnginesCompared {
  totals: RunTotals; // the GPU's
  got: BatchResult; // the GPU's metrics
  cpu: BatchResult; // the CPU's
  kernel: (r: number) => 'narrow' | 'wide';
  label: (r: number) => string;
  skip: (r: number) => boolean;
  /** The metric reports that failed (the caller adds its own and expects none). */
  reports: string[];
}

/**
 * Runs `batch` on both engines (named `name` in the log) and checks the divergent runs' bound; `fleetText`
 * describes run r's fleet in a failure's label (e.g. "4 GPUs").
 */
export async function gpuAgainstCpu(
  gpuEngine: GpuEngine,
  batch: Batch,
  name: string,
  fleetText: (f: number) => string,
): Promise<EnginesCompared> {
  const { fleets, runs } = batch;
  const cpuTotals = runBatchCpu(batch);
  const cpu = summarize(batch, cpuTotals);
  const totals = await gpuEngine.run(batch);
  const divergent = divergentRuns(batch, totals, cpuTotals);
  const kernel = (r: number): 'narrow' | 'wide' => gpuEngine.kernelFor(fleets.agentCount[runs.fleet[r]!]!);
  console.log(`${name}: ${divergent.size} divergent of ${runs.count} runs (${[...divergent].map(kernel).join(', ')})`);
  expect(divergent.size, `divergent runs ${[...divergent].join(', ')}`).toBeLessThanOrEqual(
    Math.max(1, Math.floor(MAX_DIVERGENT_RUNS * runs.count)),
  );
  const label = (r: number): string =>
    `${kernel(r)} run ${r} (fleet ${runs.fleet[r]}, ${fleetText(runs.fleet[r]!)}, ${policyName(runs.policy[r]!)})`;
  const skip = (r: number): boolean => divergent.has(r);
  const got = summarize(batch, totals);
  const lifecycle = batch.config.lifecycle !== undefined;
  const { reports } = compareRunMetrics(got, cpu, lifecycle ? LIFECYCLE_TOLERANCES : RUN_TOLERANCES, true, label, skip);
  const exact = { abs: 0, rel: 0 };
  const lifecycleReports = lifecycle
    ? LIFECYCLE_METRICS.map((m) => compareColumns(m, got[m], cpu[m], m === 'coldDelay' ? FLOW_TOL : exact, label, skip))
    : [];
  return { totals, got, cpu, kernel, label, skip, reports: [...reports, ...lifecycleReports].filter((x): x is string => x !== null) };
}
