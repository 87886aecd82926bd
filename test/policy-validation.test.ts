/**
 * The closed-form checks of MODEL-PART4 §4.7 for the policies beyond the paper's three: water-filling
 * on the paper fleet (g = R, avgLatency 152.101 s, both engines), saturated max–min (G·w_i/Σw), MIG
 * fixed shares against static, adaptiveQueue with τ = ∞ against adaptive (bit for bit), round-robin
 * skipping idle agents, and the unfinished-work identity under maxMinFair with its mean against
 * Pollaczek–Khinchine for the whole fleet.
 */
import { describe, expect, it } from 'vitest';
import { runBatchCpu, runSeriesCpu } from '../src/cpu/engine.js';
import { type AgentSpec, crossRuns, type FleetSpec, makeBatch, packFleets, type SimConfig } from '../src/model/batch.js';
import { allocate, type FleetView, fleetView, newAllocation, shareOf } from '../src/model/allocate.js';
import { recordedSteps, summarize } from '../src/model/metrics.js';
import { SIGNALS } from '../src/model/modes.js';
import { PAPER_AGENTS, PAPER_CONFIG } from '../src/model/paper.js';
import { NEED_SLACK, POLICY, type PolicyName } from '../src/model/policies.js';
import { testFleet } from './helpers/fleets.js';
import { bothKernels, gpu } from './helpers/gpu.js';

function view(
  fleet: FleetSpec,
  rate: readonly number[],
  backlog: readonly number[],
  settings: Partial<FleetView['settings']> = {},
): FleetView {
  const all = { dt: 1, queueTau: 10, sliceOverhead: 0, maxMinFloor: false, ...settings };
  return fleetView(packFleets([fleet]), 0, fleet.agents.length, fleet.capacity ?? 1, rate, backlog, all);
}

function shares(policy: PolicyName, f: FleetView, step = 0): number[] {
  const a = allocate(POLICY[policy], f, step, newAllocation());
  return Array.from({ length: f.count }, (_, i) => shareOf(a, f, i));
}

/** §4.7's closed form on the paper fleet with g = R: mean of ((λ_i − T_iR_i)/(T_iR_i))·50.5. */
const WATERFILL_PAPER_LATENCY = 152.101;
const waterfillPerAgent = PAPER_AGENTS.map((a) => ((a.lambda - a.T * a.R) / (a.T * a.R)) * 50.5);

describe('adaptiveWaterfill on the paper fleet', () => {
  it('the closed form is 152.101 s (353.500, 84.167, 101.000, 69.738)', () => {
    expect(waterfillPerAgent.map((x) => Number(x.toFixed(3)))).toEqual([353.5, 84.167, 101, 69.738]);
    expect(waterfillPerAgent.reduce((s, x) => s + x, 0) / 4).toBeCloseTo(WATERFILL_PAPER_LATENCY, 3);
  });

  it('gives g = R (ΣR = 1 = G) and 152.101 s on the CPU engine', () => {
    const fleet = { agents: PAPER_AGENTS };
    const g = shares(
      'adaptiveWaterfill',
      view(
        fleet,
        PAPER_AGENTS.map((a) => a.lambda),
        [0, 0, 0, 0],
      ),
    );
    // Within f32 rounding of the packed R.
    g.forEach((x, i) => expect(x).toBeCloseTo(PAPER_AGENTS[i]!.R, 6));
    const batch = makeBatch(packFleets([fleet]), crossRuns(1, [POLICY.adaptiveWaterfill], 1), PAPER_CONFIG);
    const result = summarize(batch, runBatchCpu(batch));
    expect(Math.abs(result.avgLatency[0]! - WATERFILL_PAPER_LATENCY)).toBeLessThan(1e-3);
    // Per agent: f32 R moves each latency by ≲ 1e-5 relative.
    for (let i = 0; i < 4; i++) expect(result.totals.latencySum[i]! / 100).toBeCloseTo(waterfillPerAgent[i]!, 2);
  });

  it.skipIf(!gpu)('gives 152.101 s on both GPU kernels', async () => {
    const batch = makeBatch(packFleets([{ agents: PAPER_AGENTS }]), crossRuns(1, [POLICY.adaptiveWaterfill], 1), PAPER_CONFIG);
    for (const [kernel, engine] of await bothKernels()) {
      const result = summarize(batch, await engine.run(batch));
      expect(Math.abs(result.avgLatency[0]! - WATERFILL_PAPER_LATENCY), kernel).toBeLessThan(1e-3);
    }
  });
});

describe('maxMinFair and mps', () => {
  it('saturated (every need above G): g_i = G·w_i/Σw; mps: G/N', () => {
    for (let k = 0; k < 50; k++) {
      const base = testFleet(61, k);
      const n = base.agents.length;
      const weights = base.agents.map((_, i) => 0.1 + ((i * 37 + k) % 11));
      const fleet = { agents: base.agents.map((a, i) => ({ ...a, weight: weights[i]!, cap: 1 })), capacity: 1 };
      const f = view(
        fleet,
        base.agents.map(() => 0),
        base.agents.map(() => 1e9),
      );
      const packedW = Array.from({ length: n }, (_, i) => f.weight[i]!);
      const total = packedW.reduce((s, w) => s + w, 0);
      shares('maxMinFair', f).forEach((g, i) => expect(Math.abs(g - packedW[i]! / total)).toBeLessThanOrEqual(1e-9));
      shares('mps', f).forEach((g) => expect(Math.abs(g - 1 / n)).toBeLessThanOrEqual(1e-9));
    }
  });

  it('is demand-capped and work-conserving within each step: Σg = min(G, Σ min(U_i, need_i))', () => {
    for (let k = 0; k < 100; k++) {
      const fleet = testFleet(62, k);
      const backlog = fleet.agents.map((a, i) => (i % 4 === 0 ? 0 : (a.lambda + 1) * ((i * 13 + k) % 7) * 0.1));
      for (const floor of [false, true]) {
        const f = view(
          fleet,
          fleet.agents.map((a) => a.lambda),
          backlog,
          { dt: 0.5, maxMinFloor: floor },
        );
        const need = backlog.map((b, i) => (b / (f.T[i]! * 0.5)) * NEED_SLACK);
        const cap = need.map((x, i) => Math.min(f.cap[i]!, x));
        const g = shares('maxMinFair', f);
        g.forEach((x, i) => expect(x).toBeLessThanOrEqual(cap[i]! * (1 + 1e-12)));
        const sum = g.reduce((s, x) => s + x, 0);
        const floorSum = floor ? cap.reduce((s, c, i) => s + Math.min(c, f.R[i]! * f.capacity), 0) : 0;
        // Above G only through the floor's scaling (Σlo ≥ G): then Σg = G too.
        const want =
          floorSum >= f.capacity
            ? f.capacity
            : Math.min(
                f.capacity,
                cap.reduce((s, c) => s + c, 0),
              );
        expect(Math.abs(sum - want)).toBeLessThanOrEqual(1e-5 * f.capacity);
      }
    }
  });

  it('a demand-capped agent is served its whole backlog (no residual queue from rounding)', () => {
    const config: SimConfig = { dt: 0.1, steps: 400, lmax: 999, price: 0.72, arrivals: 'poisson', seed: 3, work: 'exponential' };
    const fleet = {
      agents: [
        { T: 7, R: 0.2, P: 1, lambda: 1 },
        { T: 3.3, R: 0.3, P: 2, lambda: 0.5 },
        { T: 11, R: 0.5, P: 1, lambda: 2 },
      ],
    };
    const batch = makeBatch(packFleets([fleet]), crossRuns(1, [POLICY.maxMinFair], 1), config);
    const s = runSeriesCpu(batch, 0);
    let cleared = 0;
    let short = 0;
    for (let k = 0; k < s.agents * s.steps; k++) {
      const T = fleet.agents[Math.floor(k / s.steps)]!.T;
      const backlog = s.served[k]! + s.queue[k]!;
      // A fill that caps the agent at its need leaves its queue exactly 0.
      if (s.share[k]! * T * config.dt >= backlog) {
        expect(s.queue[k]).toBe(0);
        cleared++;
      }
      // The engine's service (T·g)·Δt at g = B/(T·Δt) without NEED_SLACK: short of B now and then.
      if (backlog > 0 && T * (backlog / (T * config.dt)) * config.dt < backlog) short++;
    }
    expect(cleared).toBeGreaterThan(0.5 * s.agents * s.steps);
    expect(short).toBeGreaterThan(0);
  });
});

describe('fixedShares (MIG)', () => {
  it('equals static with the same shares: N = 7, k_i = 1 → G/7, on the CPU engine bit for bit', () => {
    const agents: AgentSpec[] = Array.from({ length: 7 }, (_, i) => ({
      T: 10 + 7 * i,
      R: 1 / 7,
      P: 1 + (i % 3),
      lambda: 1 + i,
      slices: 1,
    }));
    const config: SimConfig = { dt: 0.5, steps: 300, lmax: 999, price: 0.72, arrivals: 'poisson', seed: 8, warmup: 10 };
    for (const capacity of [1, 2.5]) {
      const batch = makeBatch(packFleets([{ agents, capacity }]), crossRuns(1, [POLICY.static, POLICY.fixedShares], 2), config);
      const totals = runBatchCpu(batch);
      const n = 7;
      // Runs: (static, rep 0), (static, rep 1), (fixedShares, rep 0), (fixedShares, rep 1) — or interleaved;
      // pair each fixedShares run with the static run of its replicate.
      for (let r = 0; r < batch.runs.count; r++) {
        if (batch.runs.policy[r] !== POLICY.fixedShares) continue;
        const s = Array.from({ length: batch.runs.count }, (_, q) => q).find(
          (q) => batch.runs.policy[q] === POLICY.static && batch.runs.replicate[q] === batch.runs.replicate[r],
        )!;
        for (const field of ['latencySum', 'servedSum', 'queueSum', 'shareSum'] as const) {
          expect(totals[field].subarray(totals.agentOffset[r], totals.agentOffset[r]! + n)).toEqual(
            totals[field].subarray(totals.agentOffset[s], totals.agentOffset[s]! + n),
          );
        }
      }
    }
  });

  it('gives k_i·G/7, unused slices unshared', () => {
    const fleet = { agents: [1, 2, 3].map((k) => ({ T: 10, R: 0.1, P: 1, lambda: 0, slices: k })), capacity: 2 };
    expect(shares('fixedShares', view(fleet, [0, 0, 0], [0, 0, 0]))).toEqual([2 / 7, 4 / 7, 6 / 7]);
  });
});

describe('adaptiveQueue', () => {
  it('τ = ∞ gives adaptive’s shares bit for bit, whatever the backlogs', () => {
    for (let k = 0; k < 60; k++) {
      const fleet = testFleet(63, k);
      const rate = fleet.agents.map((a, i) => a.lambda * (1 + (i % 3)));
      const backlog = fleet.agents.map((_, i) => (i % 2) * (i + 0.5) * 1e3);
      expect(shares('adaptiveQueue', view(fleet, rate, backlog, { queueTau: Infinity }))).toEqual(
        shares('adaptive', view(fleet, rate, backlog)),
      );
    }
  });

  it('τ = ∞ gives adaptive’s results bit for bit on the CPU engine, every signal', () => {
    const fleets = Array.from({ length: 6 }, (_, k) => testFleet(64, k));
    for (const signal of SIGNALS) {
      const config: SimConfig = {
        dt: 0.1,
        steps: 200,
        lmax: 999,
        price: 0.72,
        arrivals: 'poisson',
        seed: 4,
        warmup: 10,
        signal,
        queueTau: Infinity,
      };
      const batch = makeBatch(packFleets(fleets), crossRuns(fleets.length, [POLICY.adaptive, POLICY.adaptiveQueue], 1), config);
      const totals = runBatchCpu(batch);
      for (let r = 0; r < batch.runs.count; r++) {
        if (batch.runs.policy[r] !== POLICY.adaptiveQueue) continue;
        const q = Array.from({ length: batch.runs.count }, (_, x) => x).find(
          (x) => batch.runs.policy[x] === POLICY.adaptive && batch.runs.fleet[x] === batch.runs.fleet[r],
        )!;
        const n = totals.agentCount[r]!;
        for (const field of ['latencySum', 'servedSum', 'queueSum', 'shareSum'] as const) {
          expect(totals[field].subarray(totals.agentOffset[r], totals.agentOffset[r]! + n), `${signal} ${field}`).toEqual(
            totals[field].subarray(totals.agentOffset[q], totals.agentOffset[q]! + n),
          );
        }
      }
    }
  });

  it('a finite τ moves share toward the backlogged agents', () => {
    const fleet = { agents: [0, 1].map(() => ({ T: 10, R: 0.2, P: 1, lambda: 5 })) };
    const g = shares('adaptiveQueue', view(fleet, [5, 5], [0, 100], { queueTau: 10 }));
    expect(g[1]!).toBeGreaterThan(g[0]!);
    expect(g[0]! + g[1]!).toBeCloseTo(1, 12);
  });
});

describe('roundRobinSkipIdle', () => {
  it('gives G to the first backlogged agent at or after t mod N, cyclically; nobody backlogged → 0', () => {
    const fleet = { agents: Array.from({ length: 5 }, () => ({ T: 10, R: 0.2, P: 1, lambda: 1 })), capacity: 1.5 };
    const backlog = [0, 3, 0, 0, 1];
    const rate = [1, 1, 1, 1, 1];
    const winner = (step: number): number[] => shares('roundRobinSkipIdle', view(fleet, rate, backlog), step);
    expect(winner(0)).toEqual([0, 1.5, 0, 0, 0]);
    expect(winner(1)).toEqual([0, 1.5, 0, 0, 0]);
    expect(winner(2)).toEqual([0, 0, 0, 0, 1.5]);
    expect(winner(4)).toEqual([0, 0, 0, 0, 1.5]);
    expect(winner(5 + 0)).toEqual([0, 1.5, 0, 0, 0]);
    expect(shares('roundRobinSkipIdle', view(fleet, rate, [0, 0, 0, 0, 0]), 3)).toEqual([0, 0, 0, 0, 0]);
  });
});

describe('the unfinished-work identity under maxMinFair (Kleinrock’s conservation law)', () => {
  // Three agents, ρ_i = 0.2 each (ρ = 0.6), exponential work (1 unit = one request's mean work), G = 1,
  // U_i = 1: maxMinFair serves min(G, Σneed) each step, so V = ΣQ_i/T_i (GPU-seconds of work) follows
  // the single-server Lindley recursion V′ = max(V + Σa_i/T_i − GΔt, 0).
  const agents: AgentSpec[] = [
    { T: 1, R: 0.3, P: 1, lambda: 0.2 },
    { T: 2, R: 0.3, P: 2, lambda: 0.4 },
    { T: 4, R: 0.4, P: 1, lambda: 0.8 },
  ];
  const base: SimConfig = { dt: 0.02, steps: 20000, lmax: 999, price: 0.72, arrivals: 'poisson', seed: 17, work: 'exponential' };

  it('V follows V′ = max(V + Σa_i/T_i − GΔt, 0) step by step under common random numbers', () => {
    const batch = makeBatch(packFleets([{ agents }]), crossRuns(1, [POLICY.maxMinFair], 1), base);
    const s = runSeriesCpu(batch, 0);
    const G = 1;
    let v = 0; // the recursion, driven by the engine's own arrivals
    let worst = 0;
    let busy = 0;
    for (let t = 0; t < s.steps; t++) {
      let arrived = 0;
      let engine = 0;
      agents.forEach((a, i) => {
        arrived += s.work[i * s.steps + t]! / a.T;
        engine += s.queue[i * s.steps + t]! / a.T;
      });
      v = Math.max(v + arrived - G * base.dt, 0);
      if (engine > 0) busy++;
      worst = Math.max(worst, Math.abs(engine - v));
    }
    // Per step the fill misses G·Δt by at most NEED_SLACK's excess (≤ 2^-18 of a capped agent's need)
    // plus f64 rounding; over 20,000 steps that stays below 1e-6 GPU-seconds.
    expect(worst).toBeLessThan(1e-6);
    expect(busy).toBeGreaterThan(1000); // the queue is non-trivial
  });

  it('its mean matches P-K for the whole fleet: E V = λE[S²]/(2(1 − ρ)), S = 1/T_i·Exp(1) w.p. λ_i/λ', () => {
    const replicates = 8;
    const config: SimConfig = { ...base, steps: 100000, warmup: 2500, seed: 23 };
    const batch = makeBatch(packFleets([{ agents }]), crossRuns(1, [POLICY.maxMinFair], replicates), config);
    const totals = runBatchCpu(batch);
    const S = recordedSteps(config);
    const means = Array.from({ length: replicates }, (_, r) =>
      agents.reduce((v, a, i) => v + totals.queueSum[totals.agentOffset[r]! + i]! / S / a.T, 0),
    );
    const mean = means.reduce((s, x) => s + x, 0) / replicates;
    const se = Math.sqrt(means.reduce((s, x) => s + (x - mean) ** 2, 0) / (replicates - 1) / replicates);
    const rho = agents.reduce((s, a) => s + a.lambda / a.T, 0);
    // λE[S²] = Σ λ_i·E[(X/T_i)²] = Σ λ_i·2/T_i² for X ~ Exp(1).
    const pk = agents.reduce((s, a) => s + (a.lambda * 2) / a.T ** 2, 0) / (2 * (1 - rho));
    expect(pk).toBeCloseTo(0.875, 12);
    // 4 standard errors of the replicate mean (each replicate 1,950 s, ~200 relaxation times of V, so
    // the 8 means are near normal: a false alarm < 1 %), plus 1 % for Δt = 0.02 s: a step's arrivals come
    // at its start and V is read at its end, two O(ρ·G·Δt/2) biases of opposite sign.
    expect(Math.abs(mean - pk)).toBeLessThanOrEqual(4 * se + 0.01 * pk);
    expect(se).toBeLessThan(0.05 * pk); // the test has power
  });
});
