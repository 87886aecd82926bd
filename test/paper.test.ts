/**
 * Table II of the paper: the model figures of MODEL.md, on the CPU and on the GPU, from one table of
 * cases. "To 3 decimals" allows 0.0006: half a unit in the third decimal, plus f32 rounding on the GPU
 * (the GPU keeps queues in f32: ~1e-7 relative, i.e. below 1e-4 on these figures), since the targets
 * themselves are rounded (755.5625 is printed as 755.562).
 */
import { describe, expect, it } from 'vitest';
import { runBatchCpu, runSeriesCpu } from '../src/cpu/engine.js';
import type { Batch } from '../src/model/batch.js';
import { type BatchResult, runSummary, summarize } from '../src/model/metrics.js';
import { MODEL_TABLE_II, PAPER_CONFIG, paperBatch } from '../src/model/paper.js';
import { POLICY, PAPER_POLICIES } from '../src/model/policies.js';
import { assertNoUncapturedErrors, engine, gpu, gpuSkipReason } from './helpers/gpu.js';
import { invariantViolations } from './helpers/invariants.js';

const DECIMALS_3 = 0.0006;
const DECIMALS_2 = 0.006;
const DECIMALS_6 = 6e-7; // shares: half a unit in the sixth decimal, plus f32 rounding (~1e-8)

const paperBatchWith = (lmax: number): Batch => paperBatch({ ...PAPER_CONFIG, lmax });

const backends: [string, ((b: Batch) => Promise<BatchResult>) | null][] = [
  ['cpu', (b) => Promise.resolve(summarize(b, runBatchCpu(b)))],
  [
    'gpu',
    gpu
      ? async (b) => {
          const e = await engine();
          const result = summarize(b, await e.run(b));
          assertNoUncapturedErrors();
          return result;
        }
      : null,
  ],
];

describe.each(backends)('Table II on the %s', (name, run) => {
  describe.skipIf(!run)(gpuSkipReason ?? name, () => {
    const batch = paperBatch();
    const result = (): Promise<BatchResult> => run!(batch);

    it('reproduces avgLatency, throughput, capacity throughput and cost', async () => {
      const r = await result();
      PAPER_POLICIES.forEach((p, k) => {
        expect(Math.abs(r.avgLatency[k]! - MODEL_TABLE_II.avgLatency[p]), `${p} avgLatency`).toBeLessThanOrEqual(DECIMALS_3);
        expect(Math.abs(r.throughput[k]! - MODEL_TABLE_II.throughput[p]), `${p} throughput`).toBeLessThanOrEqual(DECIMALS_2);
        expect(Math.abs(r.capacityThroughput[k]! - MODEL_TABLE_II.capacityThroughput[p]), `${p} capacity`).toBeLessThanOrEqual(DECIMALS_2);
        expect(r.cost[k]!.toFixed(4), `${p} cost`).toBe('0.0200');
        expect(Math.abs(r.crossAgentStd[k]! - MODEL_TABLE_II.crossAgentStd[p]), `${p} crossAgentStd`).toBeLessThanOrEqual(DECIMALS_2);
      });
      expect(invariantViolations(batch, r, 1e-6)).toEqual([]);
    });

    it('reproduces the per-agent latencies and the adaptive shares', async () => {
      const r = await result();
      PAPER_POLICIES.forEach((p, k) => {
        const agents = runSummary(batch, r, k).perAgent;
        agents.forEach((a, i) => {
          const target = MODEL_TABLE_II.perAgentLatency[p][i]!;
          expect(Math.abs(a.latency - target), `${p} agent ${i} latency`).toBeLessThanOrEqual(DECIMALS_3);
        });
      });
      const adaptive = runSummary(batch, r, POLICY.adaptive).perAgent;
      adaptive.forEach((a, i) => {
        expect(Math.abs(a.share - MODEL_TABLE_II.adaptiveShares[i]!), `share ${i}`).toBeLessThanOrEqual(DECIMALS_6);
      });
    });

    it('scores zero-share steps with L_max: 1000 s moves round-robin to 756.8', async () => {
      const b = paperBatchWith(1000);
      const r = await run!(b);
      expect(r.avgLatency[POLICY.roundRobin]!.toFixed(1)).toBe('756.8');
      expect(Math.abs(r.avgLatency[POLICY.static]! - MODEL_TABLE_II.avgLatency.static)).toBeLessThanOrEqual(DECIMALS_3);
    });
  });
});

describe('the per-step series of the CPU engine', () => {
  const batch = paperBatch();
  const totals = summarize(batch, runBatchCpu(batch)).totals;

  it.each(PAPER_POLICIES.map((p) => [p, POLICY[p]] as const))('agrees with the totals for %s', (_, r) => {
    const s = runSeriesCpu(batch, r);
    for (let i = 0; i < s.agents; i++) {
      const j = totals.agentOffset[r]! + i;
      let latency = 0;
      for (let t = 0; t < s.steps; t++) latency += s.latency[i * s.steps + t]!;
      expect(latency).toBeCloseTo(totals.latencySum[j]!, 9);
      expect(s.queue[i * s.steps + s.steps - 1]).toBe(totals.finalQueue[j]);
    }
    // 0 ≤ Σg ≤ G at every step; round-robin gives the whole GPU to agent t mod N
    for (let t = 0; t < s.steps; t++) {
      let sum = 0;
      for (let i = 0; i < s.agents; i++) sum += s.share[i * s.steps + t]!;
      expect(sum).toBeGreaterThanOrEqual(0);
      expect(sum).toBeLessThanOrEqual(1 + 1e-12);
      if (r === POLICY.roundRobin) expect(s.share[(t % 4) * s.steps + t]).toBe(1);
    }
  });
});
