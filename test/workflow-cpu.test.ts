/**
 * The CPU engine's workflows and exponentialCount work (MODEL-PART4 §4.6; src/cpu/workflow.ts) against
 * queueing theory and against the engine's own plain path.
 *
 * - Byte-identity: a fleet whose routes all have p = 0 is stepped by the workflow path, and gives the
 *   plain path's bits for every total, every policy, signal and arrival process (the side a change to
 *   one path forgets shows here), with the new totals 0.
 * - exponentialCount without routing is the M/M/1 queue in law: its end-of-step count n follows the
 *   Lindley recursion n' = max(n + A − C, 0), A ~ Poisson(λΔt), C ~ Poisson(μΔt), whose stationary mean
 *   the test computes exactly (discreteMM1Mean) and which tends to ρ/(1 − ρ) as Δt → 0 (P-K, M/M/1); the
 *   fluid `exponential` work has the same limit.
 * - The Jackson network of §4.6 (the coordinator to three specialists at p = 0.3, each back at p = 0.5,
 *   γ₀ = Λ/0.55): E n_k → ρ_k/(1 − ρ_k), the visit rates → γ_k, and W_e2e → Σ E n_k/Λ plus the hops.
 * - Burke's tandem: node 2 of an M/M/1 tandem is M/M/1 with the same λ, and the two counts at one
 *   instant are independent (across replicates).
 * - The two-branch fork-join: E[R] = (12 − ρ)/(8(μ − λ)) (Nelson and Tantawi).
 * - Fluid routing (deterministic arrivals): the arrivals settle on the traffic equations' γ exactly.
 * - Integer routing: every routed request is conserved step by step, the queues balance, external
 *   arrivals are the plain run's (common random numbers), and deterministic work completes whole requests.
 * - The results do not depend on grouping, chunking, the WebAssembly kernel or worker threads.
 *
 * Discrete time and the explicit corrections. A request routed in step t arrives in step t + 1 and is
 * counted in flight at the end of step t, so each hop adds Δt to the end-to-end latency: the in-flight
 * term of e2eLatency has mean (Σ_k γ_k − Λ)·Δt requests, added to the product-form value before comparing.
 * Recording at the end of each step biases each node's count by O(μΔt) (−1.2 % at μΔt = 0.05, ρ = ½;
 * discreteMM1Mean gives it exactly for a Poisson-fed node); the tolerances add that bias, computed per
 * node, to 3.5 standard errors of the replicate means.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { runBatchCpu, runSeriesCpu } from '../src/cpu/engine.js';
import { CPU_KERNEL_ENV } from '../src/cpu/wasm/kernel.js';
import { CpuWorkerPool } from '../src/cpu/workers.js';
import { type Batch, crossRuns, type FleetSpec, makeBatch, packFleets, type RouteSpec, type SimConfig } from '../src/model/batch.js';
import { type RunTotals, summarize, TOTAL_FIELDS } from '../src/model/metrics.js';
import { PAPER_AGENTS, PAPER_CONFIG } from '../src/model/paper.js';
import { agentStability } from '../src/model/stability.js';
import { POLICY, POLICY_NAMES, type PolicyId } from '../src/model/policies.js';
import { testFleet } from './helpers/fleets.js';

const NEW_TOTALS = ['routedSum', 'inFlightSum', 'forkSum'] as const;

/** Batch of `fleets` × `replicates` × `policies` under `config`. */
function batchOf(fleets: FleetSpec[], config: SimConfig, replicates = 1, policies: readonly PolicyId[] = [POLICY.static]): Batch {
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

/** Mean and standard error of independent values. */
function meanAndSe(xs: ArrayLike<number>): { mean: number; se: number } {
  const n = xs.length;
  let sum = 0;
  for (let k = 0; k < n; k++) sum += xs[k]!;
  const mean = sum / n;
  let ss = 0;
  for (let k = 0; k < n; k++) ss += (xs[k]! - mean) ** 2;
  return { mean, se: Math.sqrt(ss / (n - 1) / n) };
}

/** The Poisson(μ) probabilities 0 … K − 1. */
function poissonPmf(mu: number, K: number): Float64Array {
  const p = new Float64Array(K);
  p[0] = Math.exp(-mu);
  for (let k = 1; k < K; k++) p[k] = (p[k - 1]! * mu) / k;
  return p;
}

/**
 * The exact stationary mean of the end-of-step count of exponentialCount's single-server queue fed by
 * Poisson arrivals: n' = max(n + A − C, 0) with A ~ Poisson(λΔt), C ~ Poisson(μΔt) (m = min(n + a, c)),
 * by power iteration on 0 … states − 1 (the tail beyond is below 1e-12 for ρ ≤ 0.7 and 400 states).
 */
function discreteMM1Mean(lambda: number, mu: number, dt: number, states = 400): number {
  const K = 40;
  const A = poissonPmf(lambda * dt, K);
  const C = poissonPmf(mu * dt, K);
  const X = new Float64Array(2 * K); // P(A − C = x) at x + K
  for (let a = 0; a < K; a++) for (let c = 0; c < K; c++) X[a - c + K] = X[a - c + K]! + A[a]! * C[c]!;
  let pi = new Float64Array(states);
  pi[0] = 1;
  for (let iter = 0; iter < 100000; iter++) {
    const next = new Float64Array(states);
    for (let n = 0; n < states; n++) {
      const pn = pi[n]!;
      if (pn < 1e-300) continue;
      for (let x = -K; x < K; x++) {
        const px = X[x + K]!;
        if (px === 0) continue;
        const m = Math.max(n + x, 0);
        if (m < states) next[m] = next[m]! + pn * px;
      }
    }
    let change = 0;
    for (let n = 0; n < states; n++) change += Math.abs(next[n]! - pi[n]!);
    pi = next;
    if (change < 1e-14) break;
  }
  let mass = 0;
  let mean = 0;
  for (let n = 0; n < states; n++) {
    mass += pi[n]!;
    mean += n * pi[n]!;
  }
  return mean / mass;
}

/** Asserts |got − want| ≤ 3.5 SE + bias, logging the comparison. */
function expectNear(label: string, got: { mean: number; se: number }, want: number, bias = 0): void {
  const line = `${label}: simulated ${got.mean.toFixed(4)} ± ${got.se.toFixed(4)} (SE), theory ${want.toFixed(4)} (± bias ${bias.toFixed(4)})`;
  console.log(line);
  expect(Math.abs(got.mean - want), line).toBeLessThanOrEqual(3.5 * got.se + bias);
}

/** Per replicate (run r = replicate, one policy), Σ_t x_t/S′ of agent i's total `field`. */
function perRun(totals: RunTotals, field: (typeof TOTAL_FIELDS)[number], i: number, S: number): Float64Array {
  return Float64Array.from({ length: totals.runs }, (_, r) => totals[field][totals.agentOffset[r]! + i]! / S);
}

/** The §4.6 example graph on the paper's four agents: the coordinator to each specialist at p = 0.3 (0.1 exits), each back at p = 0.5. */
const PAPER_ROUTES: readonly (readonly RouteSpec[])[] = [
  [1, 2, 3].map((to) => ({ to, p: 0.3 })),
  [{ to: 0, p: 0.5 }],
  [{ to: 0, p: 0.5 }],
  [{ to: 0, p: 0.5 }],
];
const paperWorkflow = (capacity = 1): FleetSpec => ({ capacity, agents: PAPER_AGENTS.map((a, i) => ({ ...a, routes: PAPER_ROUTES[i]! })) });

const POISSON: SimConfig = { dt: 0.05, steps: 1000, lmax: 100, price: 1, arrivals: 'poisson', seed: 11 };

describe('workflow runs on the CPU engine', () => {
  describe('routes of probability 0 take the workflow path and give the plain path’s bits', () => {
    const fleets: [string, FleetSpec][] = [
      ['the paper fleet', { agents: PAPER_AGENTS }],
      ['a random fleet', testFleet(5, 3)],
    ];
    const cases = fleets.flatMap(([name, fleet]) =>
      (['deterministic', 'poisson'] as const).flatMap((arrivals) =>
        (['nominal', 'observed', 'ema'] as const).map((signal) => ({ name, fleet, arrivals, signal })),
      ),
    );
    it.each(cases)('$name, $arrivals arrivals, $signal signal, every policy', ({ fleet, arrivals, signal }) => {
      const n = fleet.agents.length;
      // Each agent "routes" to the next with p = 0: a workflow by shape, no request ever moves.
      const routed: FleetSpec = { ...fleet, agents: fleet.agents.map((a, i) => ({ ...a, routes: [{ to: (i + 1) % n, p: 0 }] })) };
      const config: SimConfig = { ...PAPER_CONFIG, arrivals, signal, steps: 1100, warmup: 100, seed: 3 }; // past a chunk
      const policies = POLICY_NAMES.map((name) => POLICY[name]);
      const plain = runBatchCpu(batchOf([fleet], config, 2, policies));
      const stepped = runBatchCpu(batchOf([routed], config, 2, policies));
      const old = TOTAL_FIELDS.filter((field) => !(NEW_TOTALS as readonly string[]).includes(field));
      expect(firstDifference(stepped, plain, old)).toBeNull();
      for (const field of NEW_TOTALS) expect(stepped[field].every((x) => x === 0)).toBe(true);
    });
  });

  it('exponentialCount without routing is the M/M/1 queue (exactly its discrete-time chain; P-K as Δt → 0), as exponential work is', () => {
    const lambda = 0.5;
    const dt = 0.05;
    const steps = 60_000;
    const warmup = 2_000;
    const S = steps - warmup;
    const fleet: FleetSpec = { agents: [{ T: 1, R: 0, P: 1, lambda }] };
    const exact = discreteMM1Mean(lambda, 1, dt);
    const limit = lambda / (1 - lambda); // ρ/(1 − ρ), μ = 1
    const counted = summarize(...withResult(batchOf([fleet], { ...POISSON, dt, steps, warmup, work: 'exponentialCount' }, 24)));
    // ℓ = n/μ = n: the mean latency is the mean count. Every count is whole: systemSum = queueSum.
    expectNear('E n, exponentialCount vs the exact chain', meanAndSe(counted.avgLatency), exact);
    expect(Array.from(counted.totals.systemSum)).toEqual(Array.from(counted.totals.queueSum));
    // Without routing the end-to-end latency is Little's (nothing in flight, no fork).
    expect(Array.from(counted.e2eLatency)).toEqual(Array.from(counted.littleLatency));
    expect(Array.from(counted.inFlight).every((x) => x === 0)).toBe(true);
    expectNear('E n, exponentialCount vs ρ/(1 − ρ)', meanAndSe(counted.avgLatency), limit, limit - exact);
    // The fluid Exp(1) work: E[unfinished work] = ρ/(μ − λ) = ρ/(1 − ρ) too (its own O(Δt) bias, about as large).
    const fluid = summarize(...withResult(batchOf([fleet], { ...POISSON, dt, steps, warmup, work: 'exponential' }, 24)));
    expectNear('E Q, exponential work vs ρ/(1 − ρ)', meanAndSe(fluid.avgLatency), limit, 2 * (limit - exact));
    // The throughput is the arrival rate in both.
    expectNear('throughput', meanAndSe(perRun(counted.totals, 'servedSum', 0, S * dt)), lambda);
  });

  it('the Jackson network of §4.6: E n_k → ρ_k/(1 − ρ_k), visit rates γ_k, W_e2e → Σ E n_k/Λ plus the hops', () => {
    // Λ = 0.55 enters at the coordinator: γ₀ = Λ/0.55 = 1, each specialist 0.3. μ_k = T_k·g_k, g = G/N = 1.
    const Lambda = 0.55;
    const gamma = [1, 0.3, 0.3, 0.3];
    const mu = [2, 0.75, 0.75, 0.75]; // ρ = ½, 0.4, 0.4, 0.4
    const dt = 0.04;
    const steps = 50_000;
    const warmup = 2_500; // 100 s: over 5 relaxation times 1/(μ(1 − √ρ)²) of the slowest node (18 s)
    const S = steps - warmup;
    const fleet: FleetSpec = {
      capacity: 4,
      agents: [
        { T: mu[0]!, R: 0, P: 1, lambda: Lambda, routes: [1, 2, 3].map((to) => ({ to, p: 0.3 })) },
        ...[1, 2, 3].map((k) => ({ T: mu[k]!, R: 0, P: 1, lambda: 0, routes: [{ to: 0, p: 0.5 }] })),
      ],
    };
    const batch = batchOf([fleet], { ...POISSON, dt, steps, warmup, work: 'exponentialCount', seed: 21 }, 12);
    Array.from(batch.fleets.demand).forEach((g, k) => expect(g).toBeCloseTo(gamma[k]!, 6));
    const result = summarize(batch, runBatchCpu(batch));
    const { totals } = result;
    let product = 0;
    let bias = 0;
    for (let k = 0; k < 4; k++) {
      const rho = gamma[k]! / mu[k]!;
      const En = rho / (1 - rho);
      const nodeBias = En - discreteMM1Mean(gamma[k]!, mu[k]!, dt);
      product += En;
      bias += nodeBias;
      expectNear(`E n_${k}`, meanAndSe(perRun(totals, 'systemSum', k, S)), En, nodeBias);
      expectNear(`γ̂_${k}`, meanAndSe(perRun(totals, 'arrivedSum', k, S * dt)), gamma[k]!);
      // The stability diagnosis loads each agent with its visits (a specialist has no external arrivals).
      const loads = Float64Array.from({ length: totals.runs }, (_, r) => agentStability(batch, totals, r, k).load);
      expectNear(`load_${k}`, meanAndSe(loads), rho);
    }
    // The hops: Σγ − Λ requests/s are routed, each in flight for one step.
    const hops = (gamma.reduce((x, y) => x + y) - Lambda) * dt;
    expectNear('in flight', meanAndSe(result.inFlight), hops);
    expectNear('W_e2e', meanAndSe(result.e2eLatency), (product + hops) / Lambda, bias / Lambda);
    expect(Array.from(result.forkParents).every(Number.isNaN)).toBe(true);
    expect(Array.from(result.unstable)).toEqual(Array.from(result.unstable, () => 0));
  });

  it('Burke’s tandem: node 2 is M/M/1 at the same λ, and the two counts at one instant are independent', () => {
    const lambda = 0.5;
    const mu = [1, 0.8];
    const dt = 0.05;
    const steps = 4_000;
    const warmup = 3_000; // 150 s: over 5 relaxation times 1/(μ(1 − √ρ)²) of node 2 (28 s)
    const fleet: FleetSpec = {
      capacity: 2,
      agents: [
        { T: mu[0]!, R: 0, P: 1, lambda, routes: [{ to: 1, p: 1 }] },
        { T: mu[1]!, R: 0, P: 1, lambda: 0 },
      ],
    };
    // Many short replicates (≥ 10 relaxation times each): their final counts are independent samples.
    const batch = batchOf([fleet], { ...POISSON, dt, steps, warmup, work: 'exponentialCount', seed: 5 }, 400);
    const { totals } = summarize(batch, runBatchCpu(batch));
    const n1 = Float64Array.from({ length: totals.runs }, (_, r) => totals.finalQueue[2 * r]!);
    const n2 = Float64Array.from({ length: totals.runs }, (_, r) => totals.finalQueue[2 * r + 1]!);
    const S = steps - warmup;
    for (const [k, n] of [n1, n2].entries()) {
      const rho = lambda / mu[k]!;
      const En = rho / (1 - rho);
      expectNear(`E n_${k + 1} (time mean)`, meanAndSe(perRun(totals, 'systemSum', k, S)), En, En - discreteMM1Mean(lambda, mu[k]!, dt));
      expectNear(`E n_${k + 1} (final)`, meanAndSe(n), En, En - discreteMM1Mean(lambda, mu[k]!, dt));
    }
    // Pearson correlation of independent pairs: SE ≈ 1/√replicates.
    const a = meanAndSe(n1).mean;
    const b = meanAndSe(n2).mean;
    let sab = 0;
    let saa = 0;
    let sbb = 0;
    for (let r = 0; r < n1.length; r++) {
      sab += (n1[r]! - a) * (n2[r]! - b);
      saa += (n1[r]! - a) ** 2;
      sbb += (n2[r]! - b) ** 2;
    }
    const correlation = sab / Math.sqrt(saa * sbb);
    console.log(`corr(n_1, n_2) = ${correlation.toFixed(4)} over ${n1.length} replicates`);
    expect(Math.abs(correlation)).toBeLessThanOrEqual(3.5 / Math.sqrt(n1.length));
  });

  it('the two-branch fork-join: E[R] = (12 − ρ)/(8(μ − λ)), plus one step to the branches and one to the join', () => {
    const lambda = 0.6;
    const mu = 1;
    const dt = 0.05;
    const steps = 100_000;
    const warmup = 4_000; // 200 s: 10 relaxation times of a branch
    // The fork and the join serve everything in the step it arrives (T·g·Δt = 10^4 ≫ any queue).
    const instant = 1e4 / dt;
    const fleet: FleetSpec = {
      capacity: 4,
      forkJoin: { fork: 0, join: 3 },
      agents: [
        { T: instant, R: 0, P: 1, lambda, routes: [1, 2].map((to) => ({ to, p: 1 })) },
        { T: mu, R: 0, P: 1, lambda: 0, routes: [{ to: 3, p: 1 }] },
        { T: mu, R: 0, P: 1, lambda: 0, routes: [{ to: 3, p: 1 }] },
        { T: instant, R: 0, P: 1, lambda: 0 },
      ],
    };
    const batch = batchOf([fleet], { ...POISSON, dt, steps, warmup, work: 'exponentialCount', seed: 8 }, 16);
    const result = summarize(batch, runBatchCpu(batch));
    const rho = lambda / mu;
    const R = (12 - rho) / (8 * (mu - lambda));
    // A parent is counted in Ω from the step it is forked (its children in flight to the branches) to the
    // step its last child completes, then in flight to the join for one step: R + 2Δt. The branches'
    // end-of-step counts carry the M/M/1 chain's O(μΔt) bias, which bounds the bias of their maximum.
    const bias = rho / (1 - rho) - discreteMM1Mean(lambda, mu, dt);
    expectNear('W_e2e of the fork-join', meanAndSe(result.e2eLatency), R + 2 * dt, (2 * bias) / lambda);
    expectNear('Ω (outstanding parents)', meanAndSe(result.forkParents), lambda * (R + dt), (2 * bias) / 1);
    // The join receives every parent once: its arrivals are the fork's (it serves each in the step it
    // arrives), but for the parents outstanding at the two ends of the recorded steps (Ω and m_f there: a few).
    const { totals } = result;
    for (let r = 0; r < totals.runs; r++) {
      const j = totals.agentOffset[r]!;
      expect(Math.abs(totals.arrivedSum[j + 3]! - totals.arrivedSum[j]!)).toBeLessThanOrEqual(60);
      expect(totals.inFlightSum[j + 1]).toBe(0);
      expect(totals.inFlightSum[j + 2]).toBe(0);
    }
  });

  it('fluid routing (deterministic arrivals) settles on the traffic equations: γ̂ = γ, and W_e2e is the hops alone', () => {
    // The paper fleet with the §4.6 graph, on ample capacity: every agent serves its whole backlog each step.
    const fleet = paperWorkflow(100);
    const config: SimConfig = { ...PAPER_CONFIG, steps: 400, warmup: 200 };
    const batch = batchOf([fleet], config, 1, [POLICY.static, POLICY.adaptive]);
    const result = summarize(batch, runBatchCpu(batch));
    const S = 200;
    const external = PAPER_AGENTS.reduce((x, a) => x + a.lambda, 0);
    let visits = 0;
    for (let r = 0; r < 2; r++) {
      for (let k = 0; k < 4; k++) {
        const gamma = batch.fleets.demand[k]!;
        if (r === 0) visits += gamma;
        expect(result.totals.arrivedSum[4 * r + k]! / S).toBeCloseTo(gamma, 3); // demand is f32
        expect(result.totals.systemSum[4 * r + k]).toBe(0);
      }
      expect(result.inFlight[r]).toBeCloseTo(visits - external, 3);
      expect(result.e2eLatency[r]).toBeCloseTo(((visits - external) * config.dt) / external, 5);
    }
  });

  describe('integer routing, step by step', () => {
    it.each(['exponentialCount', 'deterministic'] as const)('%s work: conservation, balance, common random numbers', (work) => {
      const config: SimConfig = { ...POISSON, dt: 0.01, steps: 3000, work };
      const batch = batchOf([paperWorkflow()], config, 1, [POLICY.adaptive]);
      const plain = batchOf([{ agents: PAPER_AGENTS, capacity: 1 }], config, 1, [POLICY.adaptive]);
      const series = runSeriesCpu(batch, 0);
      const alone = runSeriesCpu(plain, 0);
      const { steps } = series;
      let sent = 0;
      let moved = 0;
      for (let t = 0; t < steps; t++) {
        let out = 0;
        let inbound = 0;
        for (let i = 0; i < 4; i++) {
          const k = i * steps + t;
          out += series.inFlight[k]!;
          inbound += series.routed[k]!;
          expect(Number.isInteger(series.routed[k]!)).toBe(true);
          // External arrivals are the plain run's (purpose 0 is not touched by routing).
          expect(series.arrivals[k]! - series.routed[k]!).toBe(alone.arrivals[k]!);
          // The queue balances: Q_t = Q_{t−1} + work_t − served_t.
          const before = t === 0 ? 0 : series.queue[k - 1]!;
          expect(series.queue[k]).toBeCloseTo(before + series.work[k]! - series.served[k]!, 9);
          if (work === 'exponentialCount') expect(Number.isInteger(series.queue[k]!)).toBe(true);
        }
        // What was sent in step t − 1 arrives in step t, all of it.
        if (t > 0) expect(inbound).toBe(sent);
        sent = out;
        moved += out;
      }
      expect(moved).toBeGreaterThan(100);
      // Whole requests: each agent's completions (routed on or exited) never exceed what it served, by less than one request.
      const totals = runBatchCpu(batch);
      for (let i = 0; i < 4; i++) expect(totals.inFlightSum[i]!).toBeLessThanOrEqual(totals.servedSum[i]! + 1);
    });

    it('the coordinator splits its completions 0.3/0.3/0.3 (0.1 exit), each within binomial error', () => {
      const config: SimConfig = { ...POISSON, dt: 0.01, steps: 20_000, work: 'exponentialCount', seed: 4 };
      const fleet = paperWorkflow(4);
      const series = runSeriesCpu(batchOf([fleet], config, 1, [POLICY.static]), 0);
      const { steps } = series;
      // Completions of the coordinator = its served (exponentialCount); routed to each specialist: their
      // routed arrivals, which come from the coordinator alone.
      let m = 0;
      for (let t = 0; t < steps - 1; t++) m += series.served[t]!;
      for (let k = 1; k < 4; k++) {
        let got = 0;
        for (let t = 1; t < steps; t++) got += series.routed[k * steps + t]!;
        const sd = Math.sqrt(m * 0.3 * 0.7);
        expect(Math.abs(got - 0.3 * m), `specialist ${k}: ${got} of ${m}`).toBeLessThanOrEqual(4 * sd);
      }
    });

    it('deterministic work with counting arrivals completes whole requests (head progress h ∈ [0, 1))', () => {
      const fleet: FleetSpec = {
        capacity: 1,
        agents: [
          { T: 7.3, R: 0, P: 1, lambda: 3, routes: [{ to: 1, p: 1 }] },
          { T: 9.1, R: 0, P: 1, lambda: 0 },
        ],
      };
      const series = runSeriesCpu(batchOf([fleet], { ...POISSON, dt: 0.1, steps: 2000 }, 1, [POLICY.static]), 0);
      let served = 0;
      let completed = 0;
      for (let t = 0; t < series.steps; t++) {
        served += series.served[t]!;
        completed += series.inFlight[t]!;
        // m_t = ⌊h + served⌋ (or rounded when the queue empties): the completions trail the work served by less than one.
        expect(Number.isInteger(series.inFlight[t]!)).toBe(true);
        expect(served - completed).toBeGreaterThan(-1e-9);
        expect(served - completed).toBeLessThan(1);
        if (series.queue[t] === 0) expect(Math.abs(served - completed)).toBeLessThan(1e-9);
      }
    });
  });

  describe('a seed fixes every result', () => {
    const workflow = paperWorkflow();
    const forkJoin: FleetSpec = {
      forkJoin: { fork: 0, join: 3 },
      agents: [
        { ...PAPER_AGENTS[0]!, routes: [1, 2].map((to) => ({ to, p: 1 })) },
        { ...PAPER_AGENTS[1]!, lambda: 0, routes: [{ to: 3, p: 1 }] },
        { ...PAPER_AGENTS[2]!, lambda: 0, routes: [{ to: 3, p: 1 }] },
        { ...PAPER_AGENTS[3]!, lambda: 0 },
      ],
    };
    const plainCount: FleetSpec = { agents: PAPER_AGENTS };
    // Steps past a chunk (1,024 steps for four agents), every policy, two replicates (groups of runs).
    const make = (work: 'deterministic' | 'exponentialCount'): Batch =>
      batchOf(
        [workflow, forkJoin, plainCount],
        { ...POISSON, dt: 0.02, steps: 1100, warmup: 300, work, signal: 'ema' },
        2,
        POLICY_NAMES.map((name) => POLICY[name]),
      );
    const pools: CpuWorkerPool[] = [];
    afterAll(async () => {
      await Promise.all(pools.map((p) => p.close()));
    });

    it.each(['deterministic', 'exponentialCount'] as const)(
      '%s work: run by run as in groups, with the kernel as without, series as totals, 2 threads as 1',
      async (work) => {
        const batch = make(work);
        const expected = runBatchCpu(batch);
        expect(expected.forkSum.some((x) => x > 0)).toBe(true);
        expect(expected.routedSum.some((x) => x > 0)).toBe(true);
        const alone = runBatchCpu(batch, 0, 0);
        for (let r = 0; r < batch.runs.count; r++) runBatchCpu(batch, r, r + 1, alone);
        expect(firstDifference(alone, expected)).toBeNull();
        const saved = process.env[CPU_KERNEL_ENV];
        process.env[CPU_KERNEL_ENV] = 'js';
        try {
          expect(firstDifference(runBatchCpu(batch), expected)).toBeNull();
        } finally {
          if (saved === undefined) delete process.env[CPU_KERNEL_ENV];
          else process.env[CPU_KERNEL_ENV] = saved;
        }
        // The series' sums are the totals (the same code path records both).
        for (const r of [0, 2 * POLICY_NAMES.length + 3]) {
          const series = runSeriesCpu(batch, r);
          const j0 = expected.agentOffset[r]!;
          for (let i = 0; i < series.agents; i++) {
            let routed = 0;
            let inFlight = 0;
            for (let t = batch.config.warmup!; t < series.steps; t++) {
              routed += series.routed[i * series.steps + t]!;
              inFlight += series.inFlight[i * series.steps + t]!;
            }
            expect(routed).toBe(expected.routedSum[j0 + i]);
            expect(inFlight).toBe(expected.inFlightSum[j0 + i]);
          }
        }
        const pool = new CpuWorkerPool(2, { minSharedAgentSteps: 0, minRangeAgentSteps: 1 });
        pools.push(pool);
        expect(firstDifference(await pool.run(batch), expected)).toBeNull();
      },
    );
  });
});

/** [batch, its CPU totals], for summarize(...). */
function withResult(batch: Batch): [Batch, RunTotals] {
  return [batch, runBatchCpu(batch)];
}
