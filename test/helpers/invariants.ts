/**
 * Invariants every fleet run of every test batch must satisfy, on either backend:
 * arrived = served + final queue (when every step is recorded and each request is one unit of work;
 * otherwise the backlog at the end of the warm-up, or the work per request, enters the balance);
 * 0 ≤ Σg ≤ G at every step (checked through the mean share, and per step by the series tests); queues
 * and counts never negative; cost = price · (S'·Δt / 3600) · mean Σg over the S' recorded steps.
 * `tolerance` is relative to the run's total arrivals (f32 queues carry rounding of that size).
 */
import type { Batch } from '../../src/model/batch.js';
import { type BatchResult, recordedSteps } from '../../src/model/metrics.js';

export function invariantViolations(batch: Batch, result: BatchResult, relTolerance: number): string[] {
  const { totals } = result;
  const { config, fleets, runs } = batch;
  const problems: string[] = [];
  for (let r = 0; r < runs.count && problems.length < 5; r++) {
    const G = fleets.capacity[runs.fleet[r]!]!;
    const scale = Math.max(1, result.arrived[r]!);
    const balance = result.arrived[r]! - result.served[r]! - result.finalQueue[r]!;
    const balanced = (config.warmup ?? 0) === 0 && (config.work ?? 'deterministic') === 'deterministic';
    if (balanced && Math.abs(balance) > relTolerance * scale) problems.push(`run ${r}: arrived − served − final queue = ${balance}`);
    let shareSum = 0;
    for (let i = 0; i < totals.agentCount[r]!; i++) {
      const j = totals.agentOffset[r]! + i;
      if (totals.finalQueue[j]! < 0) problems.push(`run ${r} agent ${i}: final queue ${totals.finalQueue[j]} < 0`);
      if (totals.queueSum[j]! < 0) problems.push(`run ${r} agent ${i}: queue sum ${totals.queueSum[j]} < 0`);
      if (totals.shareSum[j]! < 0) problems.push(`run ${r} agent ${i}: share sum ${totals.shareSum[j]} < 0`);
      if (totals.systemSum[j]! < 0) problems.push(`run ${r} agent ${i}: system sum ${totals.systemSum[j]} < 0`);
      shareSum += totals.shareSum[j]!;
    }
    const S = recordedSteps(config);
    const meanShare = shareSum / S;
    if (meanShare > G * (1 + 1e-5)) problems.push(`run ${r}: mean Σg = ${meanShare} > G = ${G}`);
    const cost = config.price * ((S * config.dt) / 3600) * meanShare;
    if (Math.abs(cost - result.cost[r]!) > 1e-12 + 1e-9 * cost) problems.push(`run ${r}: cost ${result.cost[r]} ≠ ${cost}`);
  }
  return problems;
}
