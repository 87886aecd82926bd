/**
 * The §4.7 metrics end to end on the CPU engine: minViolationFraction and workConservationGap from the
 * totals violationSum and busySum (as runBatchCpu records them, on the fixed-allocation and the
 * stepwise paths), against the same quantities counted step by step from runSeriesCpu's trajectory.
 * Needs the engines to record the two totals (the "cpu" helper of issue 13).
 */
import { describe, expect, it } from 'vitest';
import { runBatchCpu, runSeriesCpu } from '../src/cpu/engine.js';
import { type Batch, crossRuns, type FleetSpec, makeBatch, packFleets, type SimConfig } from '../src/model/batch.js';
import { MIN_SHARE_SLACK, recordedSteps, summarize } from '../src/model/metrics.js';
import { POLICY } from '../src/model/policies.js';

const POLICIES = [POLICY.static, POLICY.roundRobin, POLICY.adaptive, POLICY.timeSlice];

/** Four agents on G = 1.5 GPUs, minimum shares summing to 0.9 (agent 1's R·G above the equal share G/4), offered loads λ/T from 0.1 to 0.3. */
const FLEET: FleetSpec = {
  capacity: 1.5,
  agents: [
    { T: 50, R: 0.1, P: 1, lambda: 5 },
    { T: 20, R: 0.35, P: 2, lambda: 4 },
    { T: 40, R: 0.25, P: 2, lambda: 12 },
    { T: 10, R: 0.2, P: 1, lambda: 1 },
  ],
};

/** FLEET at a tenth of its rates: about 0.55 arrivals per step of 0.5 s, so many steps have no backlog at all. */
const QUIET: FleetSpec = { ...FLEET, agents: FLEET.agents.map((a) => ({ ...a, lambda: a.lambda / 10 })) };

function batchOf(fleet: FleetSpec, config: Partial<SimConfig>): Batch {
  const base: SimConfig = { dt: 0.5, steps: 400, warmup: 37, lmax: 999, price: 1, arrivals: 'poisson', seed: 21 };
  return makeBatch(packFleets([fleet]), crossRuns(1, POLICIES, 3), { ...base, ...config });
}

/** Per run, from the trajectory: the agent-steps below R·G with work queued, and the steps with backlog B = Q + a > 0 somewhere. */
function stepwise(batch: Batch, r: number): { violations: number[]; busy: number; work: number } {
  const s = runSeriesCpu(batch, r);
  const N = s.agents;
  const warmup = batch.config.warmup ?? 0;
  const first = batch.fleets.agentOffset[batch.runs.fleet[r]!]!;
  const G = batch.fleets.capacity[batch.runs.fleet[r]!]!;
  const violations = new Array<number>(N).fill(0);
  let busy = 0;
  let work = 0; // Σ_t Σ_i served/(T_i·Δt) over the recorded steps
  for (let t = warmup; t < s.steps; t++) {
    let any = false;
    for (let i = 0; i < N; i++) {
      const k = i * s.steps + t; // agent-major (RunSeries)
      const backlog = (t > 0 ? s.queue[k - 1]! : 0) + s.work[k]!;
      if (backlog > 0) any = true;
      const R = batch.fleets.R[first + i]!;
      if (backlog > 0 && s.share[k]! < R * G * (1 - MIN_SHARE_SLACK)) violations[i]!++;
      work += s.served[k]! / (batch.fleets.T[first + i]! * batch.config.dt);
    }
    if (any) busy++;
  }
  return { violations, busy, work };
}

describe('violationSum, busySum and the metrics made of them, against the trajectory', () => {
  it('deterministic arrivals (every agent has work every step): violations exactly the steps below R·G; every step busy', () => {
    const batch = batchOf(FLEET, { arrivals: 'deterministic' });
    const totals = runBatchCpu(batch);
    const result = summarize(batch, totals);
    const S = recordedSteps(batch.config);
    for (let r = 0; r < batch.runs.count; r++) {
      const ref = stepwise(batch, r);
      const j0 = totals.agentOffset[r]!;
      const N = totals.agentCount[r]!;
      expect(Array.from(totals.violationSum.subarray(j0, j0 + N)), `run ${r}`).toEqual(ref.violations);
      expect(ref.busy).toBe(S);
      expect(Array.from(totals.busySum.subarray(j0, j0 + N))).toEqual([S, 0, 0, 0]);
      expect(result.minViolationFraction[r]).toBe(ref.violations.reduce((a, b) => a + b, 0) / (N * S));
      expect(result.workConservationGap[r]).toBeCloseTo(1.5 - ref.work / S, 9);
    }
    // round-robin gives the whole capacity to one agent per step and 0 to the three others, all with work
    const rr = [...batch.runs.policy].indexOf(POLICY.roundRobin);
    expect(result.minViolationFraction[rr]).toBe(3 / 4);
    // static's G/4 = 0.375 GPUs is below R·G for agent 1 only (0.525): a quarter of the agent-steps
    expect(result.minViolationFraction[[...batch.runs.policy].indexOf(POLICY.static)]).toBe(1 / 4);
  });

  it('Poisson arrivals at low load: busySum counts the recorded steps with backlog, on every path', () => {
    const batch = batchOf(QUIET, { arrivals: 'poisson' });
    const totals = runBatchCpu(batch);
    const result = summarize(batch, totals);
    let idle = 0;
    for (let r = 0; r < batch.runs.count; r++) {
      const ref = stepwise(batch, r);
      const j0 = totals.agentOffset[r]!;
      expect(totals.busySum[j0], `run ${r}`).toBe(ref.busy);
      for (let i = 1; i < totals.agentCount[r]!; i++) expect(totals.busySum[j0 + i]).toBe(0);
      expect(result.workConservationGap[r]).toBeCloseTo(1.5 - ref.work / ref.busy, 9);
      idle += recordedSteps(batch.config) - ref.busy;
    }
    expect(idle).toBeGreaterThan(0); // some steps without backlog: the count is not just S′
  });
});
