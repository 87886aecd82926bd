/**
 * The CPU engine's serverless lifecycle and GPU memory (MODEL-PART4 §4.3–4.4; src/model/lifecycle.ts,
 * src/cpu/lifecycle.ts) against exact formulas, invariants and the model without it.
 */
import { describe, expect, it } from 'vitest';
import { runBatchCpu, runSeriesCpu } from '../src/cpu/engine.js';
import { type Batch, crossRuns, type FleetSpec, makeBatch, packFleets, type SimConfig } from '../src/model/batch.js';
import type { LifecycleSpec } from '../src/model/lifecycle.js';
import { type RunTotals, summarize, TOTAL_FIELDS } from '../src/model/metrics.js';
import { PAPER_AGENTS } from '../src/model/paper.js';
import { POLICY, POLICY_NAMES, type PolicyId } from '../src/model/policies.js';
import { testFleet } from './helpers/fleets.js';

const ALL_POLICIES = POLICY_NAMES.map((name) => POLICY[name]);
/** The totals the lifecycle adds (0 without it). */
const LIFECYCLE_TOTALS = [
  'coldStartSum',
  'coldHitSum',
  'coldDelaySum',
  'loadStepSum',
  'residentStepSum',
  'idleWarmStepSum',
  'latencyStepSum',
  'evictionSum',
  'waitStepSum',
  'residentRunStepSum',
  'memorySum',
  'memoryBoundStepSum',
  'memoryPeak',
] as const;
const PLAIN_TOTALS = TOTAL_FIELDS.filter((f) => !(LIFECYCLE_TOTALS as readonly string[]).includes(f));

function batchOf(fleets: FleetSpec[], config: SimConfig, replicates = 1, policies: readonly PolicyId[] = ALL_POLICIES): Batch {
  return makeBatch(packFleets(fleets), crossRuns(fleets.length, policies, replicates), config);
}

/** The first total that differs between a and b (bits), or null. */
function firstDifference(a: RunTotals, b: RunTotals, fields: readonly string[] = TOTAL_FIELDS): string | null {
  for (const field of fields as readonly (typeof TOTAL_FIELDS)[number][]) {
    for (let j = 0; j < a[field].length; j++) {
      if (!Object.is(a[field][j], b[field][j])) return `${field}[${j}]: got ${a[field][j]}, expected ${b[field][j]}`;
    }
  }
  return null;
}

/** Random fleets with model sizes 200–8,000 MB (M), some pinned. */
function serverlessFleets(seed: number, count: number): FleetSpec[] {
  return Array.from({ length: count }, (_, f) => {
    const fleet = testFleet(seed, f);
    const agents = fleet.agents
      .slice(0, 12)
      .map((a, i) => ({ ...a, M: 200 + ((i * 2654435761 + f * 97) % 7800), pinned: (i + f) % 7 === 3 }));
    return { ...fleet, agents };
  });
}

const BASE: SimConfig = { dt: 0.5, steps: 400, lmax: 999, price: 0.72, arrivals: 'poisson', seed: 7, warmup: 20 };

describe('the lifecycle against the model without it', () => {
  it('eligible all, K = ∞, initial WARM: the plain model bit for bit (every total but the new ones, 0 there)', () => {
    const fleets = [...serverlessFleets(3, 4), { agents: PAPER_AGENTS }];
    for (const extra of [{}, { signal: 'observed' as const }, { signal: 'ema' as const, work: 'exponential' as const }]) {
      const config = { ...BASE, ...extra };
      const plain = runBatchCpu(batchOf(fleets, config));
      const lifecycle: LifecycleSpec = { keepAlive: Infinity, eligible: 'all', initialPhase: 'warm' };
      const on = runBatchCpu(batchOf(fleets, { ...config, lifecycle }));
      expect(firstDifference(on, plain, PLAIN_TOTALS)).toBeNull();
      for (const f of ['coldStartSum', 'coldHitSum', 'evictionSum', 'waitStepSum', 'loadStepSum'] as const)
        expect(on[f].every((x) => x === 0)).toBe(true);
    }
  });

  it('memory that fits everything: the lifecycle without memory bit for bit', () => {
    const fleets = serverlessFleets(5, 4);
    for (const eligible of ['all', 'warm', 'backlogged'] as const) {
      const lifecycle: LifecycleSpec = { keepAlive: 3, coldStart: 1, eligible, initialPhase: 'cold' };
      const free = runBatchCpu(batchOf(fleets, { ...BASE, lifecycle }));
      const fits = runBatchCpu(batchOf(fleets, { ...BASE, lifecycle: { ...lifecycle, memory: { gb: 141, evict: 'largestFirst' } } }));
      expect(firstDifference(fits, free)).toBeNull();
    }
  });

  it('runs', () => {
    const batch = batchOf([{ agents: PAPER_AGENTS }], { ...BASE, lifecycle: { keepAlive: 2, memory: { gb: 5 } } });
    const result = summarize(batch, runBatchCpu(batch));
    console.log(
      result.coldStartsPerHour,
      result.coldHitFraction,
      result.coldDelay,
      result.costResident,
      result.cost,
      result.peakMemoryGB,
      result.evictionsPerHour,
      result.avgLatency,
    );
    const s = runSeriesCpu(batch, 0);
    console.log(Array.from(s.phase.subarray(0, 60)).join(''), Array.from(s.memory.subarray(0, 30)).join(','));
  });
});
