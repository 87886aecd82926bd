/**
 * The CPU engine's serverless lifecycle and GPU memory (MODEL-PART4 §4.3–4.4; src/model/lifecycle.ts,
 * src/cpu/lifecycle.ts) against exact formulas, invariants and the model without it.
 *
 * - Identity: eligible `all` (or `warm`) with K = ∞ and every agent WARM at step 0 gives the model
 *   without the lifecycle bit for bit (every total but the new ones, which stay 0), for every policy,
 *   signal and work, workflows and fork-joins too; memory that fits every model gives the lifecycle
 *   without memory bit for bit. The lifecycle off is test/cpu-golden.test.ts's, unchanged.
 * - §4.3's exact discrete-time formulas for one agent with Poisson arrivals at six (λ, Δt, K, C) points:
 *   cold starts per step, cold-hit fraction (e^{−λK} exactly for C = 0), COLD and LOADING fractions,
 *   idle-warm steps per cycle, cold delay per request; within 4.5 standard errors of 12 replicates.
 * - §4.4's LRU closed form for three agents (0.105 / 0.286 / 0.610), Che's approximation for ten, and
 *   SimFaaS's model for one agent, each as a stated band (the one-step load and the other O(λΔt)
 *   effects of discrete time; Che and SimFaaS are approximations).
 * - Invariants on random fleets, workflows and fork-joins under every eligibility and eviction rule,
 *   load slots, K = 0 … ∞, initial COLD, warm-up: memory ≤ capacity and = Σ m of the resident at every
 *   step, non-WARM agents serve nothing, the ineligible get nothing, loads ≤ slots, pinned agents never
 *   leave, work = served + final queue, costResident ≥ its bound; the series' sums are the totals.
 * - The admission (step 3) on set states: candidate order, load slots, each eviction order, head of
 *   line, the eviction cap. allocateEligible against a fleet of the eligible agents alone.
 * - A seed fixes every result (groups, the kernel, worker threads), and a golden pins the bits.
 */
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { runBatchCpu, runSeriesCpu } from '../src/cpu/engine.js';
import { CPU_KERNEL_ENV } from '../src/cpu/wasm/kernel.js';
import { CpuWorkerPool } from '../src/cpu/workers.js';
import { type Batch, crossRuns, type FleetSpec, makeBatch, packFleets, policySettings, type SimConfig } from '../src/model/batch.js';
import { allocateEligible, allocateShares, EligibleScratch, fleetView, newAllocation } from '../src/model/allocate.js';
import { type LifecycleSpec, lifecycleParams, loadSteps, NO_LIMIT, PHASE } from '../src/model/lifecycle.js';
import { emptyTotals, type RunTotals, summarize, TOTAL_FIELDS } from '../src/model/metrics.js';
import { LifecycleState } from '../src/cpu/lifecycle.js';
import { invariantViolations } from './helpers/invariants.js';
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

/** The paper's agents as a workflow (the coordinator to each specialist at 0.3, each back at 0.5), light load. */
const WORKFLOW: FleetSpec = {
  agents: PAPER_AGENTS.map((a, i) => ({
    ...a,
    lambda: i === 0 ? 2 : 0,
    routes: i === 0 ? [1, 2, 3].map((to) => ({ to, p: 0.3 })) : [{ to: 0, p: 0.5 }],
  })),
};
/** A fork-join of the paper's agents: 0 forks to 1 and 2, which join at 3. */
const FORK_JOIN: FleetSpec = {
  forkJoin: { fork: 0, join: 3 },
  agents: [
    { ...PAPER_AGENTS[0]!, lambda: 1, routes: [1, 2].map((to) => ({ to, p: 1 })) },
    { ...PAPER_AGENTS[1]!, lambda: 0, routes: [{ to: 3, p: 1 }] },
    { ...PAPER_AGENTS[2]!, lambda: 0, routes: [{ to: 3, p: 1 }] },
    { ...PAPER_AGENTS[3]!, lambda: 0 },
  ],
};

const BASE: SimConfig = { dt: 0.5, steps: 400, lmax: 999, price: 0.72, arrivals: 'poisson', seed: 7, warmup: 20 };

describe('the lifecycle against the model without it', () => {
  it('eligible all (or warm), K = ∞, initial WARM: the plain model bit for bit (every total but the new ones, 0 there)', () => {
    const fleets = [...serverlessFleets(3, 4), { agents: PAPER_AGENTS }, WORKFLOW, FORK_JOIN];
    for (const extra of [{}, { signal: 'observed' as const }, { signal: 'ema' as const, work: 'exponentialCount' as const }]) {
      const config = { ...BASE, ...extra };
      const plain = runBatchCpu(batchOf(fleets, config));
      // `warm` too: every agent stays WARM, so every one is eligible.
      for (const eligible of ['all', 'warm'] as const) {
        const lifecycle: LifecycleSpec = { keepAlive: Infinity, eligible, initialPhase: 'warm' };
        const on = runBatchCpu(batchOf(fleets, { ...config, lifecycle }));
        expect(firstDifference(on, plain, PLAIN_TOTALS)).toBeNull();
        for (const f of ['coldStartSum', 'coldHitSum', 'evictionSum', 'waitStepSum', 'loadStepSum'] as const)
          expect(on[f].every((x) => x === 0)).toBe(true);
      }
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
});

/** Mean and standard error of independent values. */
function meanAndSe(xs: readonly number[]): { mean: number; se: number } {
  const n = xs.length;
  const mean = xs.reduce((a, b) => a + b, 0) / n;
  const ss = xs.reduce((a, x) => a + (x - mean) ** 2, 0);
  return { mean, se: Math.sqrt(ss / (n - 1) / n) };
}

/**
 * §4.3's exact discrete-time quantities of one agent with Poisson arrivals (λΔt per step), whose warm
 * steps always drain, for k keep-alive and c load steps: p = e^{−λΔt}, q = 1 − p, z = p^k, a cycle of
 * L_cyc = c + 1/(qz) steps (COLD until an arrival, c LOADING steps from the trigger, a first WARM step
 * that is never empty — it serves the trigger's arrivals, or the load's backlog — then WARM until k
 * empty steps). Per step: cold starts 1/L_cyc, COLD (p/q)/L_cyc, LOADING c/L_cyc; per request: cold
 * hits (1/q + max(c − 1, 0))/L_cyc (the trigger step's arrivals, E[a | a > 0] = λΔt/q, and the c − 1
 * LOADING steps after it), and the load time they face, Δt·(c/q + c(c − 1)/2)/L_cyc (the trigger's
 * arrivals face c steps, the later ones c − 1 … 1); per cycle: idle-warm steps p(1 − z)/(qz).
 */
function exactSingleAgent(lambda: number, dt: number, k: number, c: number) {
  const p = Math.exp(-lambda * dt);
  const q = 1 - p;
  const z = p ** k;
  const L = c + 1 / (q * z);
  return {
    coldStartsPerStep: 1 / L,
    coldHitFraction: (1 / q + Math.max(c - 1, 0)) / L,
    coldFraction: p / q / L,
    loadFraction: c / L,
    idleWarmPerCycle: (p * (1 - z)) / (q * z),
    coldDelay: (dt * (c / q + (c * (c - 1)) / 2)) / L,
  };
}

describe('one agent with Poisson arrivals: the exact discrete-time formulas of §4.3', () => {
  // (λ, Δt, k, c): the spec's checked point, C = 0 at a coarse and a fine step (coldHitFraction is then
  // e^{−λK} exactly), K = 0, a long load against a short keep-alive, and a slow agent.
  const POINTS = [
    { lambda: 0.2, dt: 0.5, k: 6, c: 4 },
    { lambda: 1, dt: 1, k: 1, c: 0 },
    { lambda: 1, dt: 0.1, k: 10, c: 0 },
    { lambda: 0.5, dt: 1, k: 0, c: 3 },
    { lambda: 2, dt: 0.05, k: 20, c: 40 },
    { lambda: 0.1, dt: 2, k: 3, c: 1 },
  ];
  const REPLICATES = 12;
  const STEPS = 60_000;
  for (const { lambda, dt, k, c } of POINTS) {
    it(`λ = ${lambda}/s, Δt = ${dt} s, K = ${k}Δt, C = ${c}Δt`, () => {
      const config: SimConfig = {
        dt,
        steps: STEPS + 500,
        warmup: 500,
        lmax: 999,
        price: 1,
        arrivals: 'poisson',
        seed: 11,
        lifecycle: { keepAlive: k * dt, coldStart: c * dt, initialPhase: 'cold' },
      };
      // T·Δt = 10^4 requests a step: every WARM step drains.
      const fleet: FleetSpec = { agents: [{ T: 1e4 / dt, R: 0, P: 1, lambda }] };
      const batch = batchOf([fleet], config, REPLICATES, [POLICY.static]);
      const totals = runBatchCpu(batch);
      const S = STEPS;
      const per = (f: (j: number) => number): { mean: number; se: number } => meanAndSe(Array.from({ length: REPLICATES }, (_, j) => f(j)));
      const observed = {
        coldStartsPerStep: per((j) => totals.coldStartSum[j]! / S),
        coldHitFraction: per((j) => totals.coldHitSum[j]! / totals.arrivedSum[j]!),
        coldFraction: per((j) => 1 - totals.residentStepSum[j]! / S),
        loadFraction: per((j) => totals.loadStepSum[j]! / S),
        idleWarmPerCycle: per((j) => totals.idleWarmStepSum[j]! / totals.coldStartSum[j]!),
        coldDelay: per((j) => totals.coldDelaySum[j]! / totals.arrivedSum[j]!),
      };
      const exact = exactSingleAgent(lambda, dt, k, c);
      if (c === 0) expect(exact.coldHitFraction).toBeCloseTo(Math.exp(-lambda * k * dt), 12);
      for (const key of Object.keys(exact) as (keyof typeof exact)[]) {
        const { mean, se } = observed[key];
        console.log(`${key}: simulated ${mean.toPrecision(5)} ± ${se.toPrecision(2)} (SE), exact ${exact[key].toPrecision(5)}`);
        // 4.5 standard errors of the replicate means (the replicates are independent runs), and 1e-12
        // for the quantities that are exactly 0 (K = 0: no idle-warm step; C = 0: no load).
        expect(Math.abs(mean - exact[key])).toBeLessThanOrEqual(4.5 * se + 1e-12);
      }
    });
  }
});

describe('GPU memory: the LRU closed form of §4.4', () => {
  it('three equal agents, room for two, K = ∞, a one-step load, small Δt: P(cold | i) within its band', () => {
    // P(cold | i) → 1 − λ_i/(λ_i+λ_j) − λ_i/(λ_i+λ_l) + λ_i/(λ_i+λ_j+λ_l) as Δt → 0 (C = 0, negligible
    // service): 0.105 / 0.286 / 0.610 for λ = 1 / 0.5 / 0.25. A model of m > 0 MB loads in at least one
    // step (c = ⌈(C0 + m/B_load)/Δt⌉ ≥ 1), so C = Δt here, which vanishes with Δt like the other
    // discrete-time effects (a request to a resident agent in the step of another's admission is not
    // evictable; one load at a time): together O(λΔt) ≤ 0.01, the band's allowance beside 4.5 SE.
    const lambdas = [1, 0.5, 0.25];
    const dt = 0.01;
    const REPLICATES = 16;
    const STEPS = 100_000;
    const config: SimConfig = {
      dt,
      steps: STEPS + 1000,
      warmup: 1000,
      lmax: 999,
      price: 1,
      arrivals: 'poisson',
      seed: 5,
      // 25 MB models, 50 MB usable (1 GB × 0.05): room for two; C0 = 0, 25 GB/s: 1 ms, one step.
      lifecycle: { keepAlive: Infinity, coldStart: 0, loadBandwidth: 25, memory: { gb: 1, usable: 0.05, evict: 'lru' } },
    };
    const fleet: FleetSpec = { agents: lambdas.map((lambda) => ({ T: 1e4 / dt, R: 0, P: 1, lambda, M: 25 })) };
    const batch = batchOf([fleet], config, REPLICATES, [POLICY.static]);
    const totals = runBatchCpu(batch);
    lambdas.forEach((li, i) => {
      const [lj, ll] = lambdas.filter((_, k) => k !== i) as [number, number];
      const exact = 1 - li / (li + lj) - li / (li + ll) + li / (li + lj + ll);
      const { mean, se } = meanAndSe(
        Array.from({ length: REPLICATES }, (_, r) => totals.coldHitSum[3 * r + i]! / totals.arrivedSum[3 * r + i]!),
      );
      console.log(`P(cold | λ = ${li}): simulated ${mean.toFixed(4)} ± ${se.toFixed(4)} (SE), limit ${exact.toFixed(4)}`);
      expect(Math.abs(mean - exact)).toBeLessThanOrEqual(4.5 * se + 0.01);
    });
    // The closed form's assumptions held: memory was the binding constraint, and loads never waited long.
    for (let r = 0; r < REPLICATES; r++)
      expect(totals.evictionSum[3 * r]! + totals.evictionSum[3 * r + 1]! + totals.evictionSum[3 * r + 2]!).toBeGreaterThan(0);
  });
});

/**
 * The checks of one run's series against the lifecycle's rules and against the run's totals (`j0`: its
 * agent 0 there); returns the first problem, or null.
 */
function seriesProblem(batch: Batch, r: number, totals: RunTotals, summary: ReturnType<typeof summarize>): string | null {
  const { config, fleets } = batch;
  const params = lifecycleParams(config)!;
  const f = batch.runs.fleet[r]!;
  const n = fleets.agentCount[f]!;
  const a0 = fleets.agentOffset[f]!;
  const G = fleets.capacity[f]!;
  const series = runSeriesCpu(batch, r);
  const { steps } = series;
  const warmup = config.warmup ?? 0;
  const j0 = totals.agentOffset[r]!;
  const at = (i: number, t: number): number => i * steps + t;
  const memoryOn = params.capacityMB !== NO_LIMIT;
  let residentRun = 0;
  let memorySum = 0;
  let peak = 0;
  let allocatedResident = 0; // Σ_t Σ_{i resident} g_i
  const everResident = new Uint8Array(n);
  for (let t = 0; t < steps; t++) {
    let used = 0;
    let loading = 0;
    let shares = 0;
    let resident = 0;
    for (let i = 0; i < n; i++) {
      const phase = series.phase[at(i, t)]!;
      const g = series.share[at(i, t)]!;
      const backlog = series.queue[at(i, t)]! + series.served[at(i, t)]!;
      shares += g;
      if (phase !== PHASE.cold) {
        used += fleets.memoryMB[a0 + i]!;
        resident = 1;
        everResident[i] = 1;
        if (t >= warmup) allocatedResident += g;
      } else if (everResident[i] === 1 && fleets.pinned[a0 + i] === 1) return `step ${t} agent ${i}: a pinned agent went COLD`;
      else if (everResident[i] === 1 && params.keepSteps === NO_LIMIT && !memoryOn)
        return `step ${t} agent ${i}: COLD with K = ∞ and no memory limit`;
      if (phase === PHASE.loading) loading++;
      if (phase !== PHASE.warm && series.served[at(i, t)] !== 0)
        return `step ${t} agent ${i}: phase ${phase} served ${series.served[at(i, t)]}`;
      if (params.eligible !== 0 && g !== 0 && (phase !== PHASE.warm || (params.eligible === 2 && !(backlog > 0))))
        return `step ${t} agent ${i}: ineligible (phase ${phase}, B = ${backlog}) got g = ${g}`;
      if (
        phase === PHASE.cold && series.queue[at(i, t)] === 0
          ? !Number.isNaN(series.latency[at(i, t)])
          : Number.isNaN(series.latency[at(i, t)])
      )
        return `step ${t} agent ${i}: latency ${series.latency[at(i, t)]} in phase ${phase}, Q = ${series.queue[at(i, t)]}`;
    }
    if (used !== series.memory[t]) return `step ${t}: memory ${series.memory[t]} ≠ Σ m of the resident ${used}`;
    if (memoryOn && used > params.capacityMB) return `step ${t}: memory ${used} MB above the capacity ${params.capacityMB} MB`;
    if (loading > params.loadSlots) return `step ${t}: ${loading} loads at once, slots ${params.loadSlots}`;
    if (shares > G * (1 + 1e-9)) return `step ${t}: Σg = ${shares} > G = ${G}`;
    if (t >= warmup) {
      residentRun += resident;
      memorySum += used;
      peak = Math.max(peak, used);
    }
  }
  // The series' sums are the totals (the same code records both).
  for (let i = 0; i < n; i++) {
    const j = j0 + i;
    let residentSteps = 0;
    let loadSteps = 0;
    let idleWarm = 0;
    let latencySteps = 0;
    let latency = 0;
    let work = 0;
    let served = 0;
    for (let t = 0; t < steps; t++) {
      const k = at(i, t);
      work += series.work[k]!;
      served += series.served[k]!;
      if (t < warmup) continue;
      const phase = series.phase[k]!;
      residentSteps += phase !== PHASE.cold ? 1 : 0;
      loadSteps += phase === PHASE.loading ? 1 : 0;
      idleWarm += phase === PHASE.warm && !(series.queue[k]! + series.served[k]! > 0) ? 1 : 0;
      if (!Number.isNaN(series.latency[k])) {
        latencySteps++;
        latency += series.latency[k]!;
      }
    }
    if (residentSteps !== totals.residentStepSum[j]) return `agent ${i}: resident steps ${residentSteps} ≠ ${totals.residentStepSum[j]}`;
    if (loadSteps !== totals.loadStepSum[j]) return `agent ${i}: load steps ${loadSteps} ≠ ${totals.loadStepSum[j]}`;
    if (idleWarm !== totals.idleWarmStepSum[j]) return `agent ${i}: idle-warm steps ${idleWarm} ≠ ${totals.idleWarmStepSum[j]}`;
    if (latencySteps !== totals.latencyStepSum[j]) return `agent ${i}: latency steps ${latencySteps} ≠ ${totals.latencyStepSum[j]}`;
    if (latency !== totals.latencySum[j]) return `agent ${i}: latency ${latency} ≠ ${totals.latencySum[j]}`;
    // Deterministic work: every unit that arrived (routed ones too) was served or is still queued.
    if (Math.abs(work - served - totals.finalQueue[j]!) > 1e-9 * Math.max(1, work))
      return `agent ${i}: work ${work} ≠ served ${served} + final queue ${totals.finalQueue[j]}`;
  }
  if (residentRun !== totals.residentRunStepSum[j0]) return `resident run steps ${residentRun} ≠ ${totals.residentRunStepSum[j0]}`;
  if (memorySum !== totals.memorySum[j0]) return `memory sum ${memorySum} ≠ ${totals.memorySum[j0]}`;
  if (peak !== totals.memoryPeak[j0]) return `memory peak ${peak} ≠ ${totals.memoryPeak[j0]}`;
  // costResident bills every step with an agent up; in such a step the resident agents hold at most G,
  // so it is never below the cost of what they were allocated over G (with `warm` and `backlogged`,
  // that is the whole allocated cost: the others get nothing).
  const perShareStep = (config.price * config.dt) / 3600;
  if (summary.costResident[r]! < (perShareStep * allocatedResident) / G - 1e-12)
    return `costResident ${summary.costResident[r]} below its bound`;
  if (params.eligible !== 0 && summary.costResident[r]! < summary.cost[r]! / G - 1e-12)
    return `costResident ${summary.costResident[r]} < cost/G`;
  if (Math.abs(summary.costResident[r]! - perShareStep * residentRun) > 1e-12)
    return `costResident ${summary.costResident[r]} ≠ price·Δt/3600·${residentRun}`;
  return null;
}

describe('invariants on random fleets', () => {
  // Every eligibility and eviction rule, load slots 1, 2 and unlimited, K = 0, short and ∞, initial
  // WARM and COLD, a T4 (16 GB: the pinned agents fit, the rest compete), warm-up on or off.
  const CASES: { name: string; lifecycle: LifecycleSpec; warmup: number; fleets?: FleetSpec[] }[] = [
    { name: 'warm, lru, K = 1 s, T4', lifecycle: { keepAlive: 1, memory: { gb: 16 } }, warmup: 30 },
    {
      name: 'backlogged, lowestPriority, K = 0, 2 slots',
      lifecycle: { keepAlive: 0, eligible: 'backlogged', loadSlots: 2, memory: { gb: 16, evict: 'lowestPriority' } },
      warmup: 0,
    },
    {
      name: 'all, largestFirst, K = 3 s, unlimited slots, cold start',
      lifecycle: {
        keepAlive: 3,
        eligible: 'all',
        loadSlots: Infinity,
        initialPhase: 'cold',
        memory: { gb: 24, usable: 0.9, evict: 'largestFirst' },
      },
      warmup: 0,
    },
    { name: 'warm, K = ∞, no memory limit, C0 = 0', lifecycle: { keepAlive: Infinity, coldStart: 0, initialPhase: 'cold' }, warmup: 10 },
    {
      name: 'a workflow and a fork-join, 5 GB for their 7',
      lifecycle: { keepAlive: 1.5, coldStart: 0.5, memory: { gb: 5 } },
      warmup: 0,
      fleets: [WORKFLOW, FORK_JOIN],
    },
  ];
  for (const { name, lifecycle, warmup, fleets } of CASES) {
    it(`${name}: memory ≤ capacity, non-WARM serve nothing, work balances, costResident ≥ its bound, series = totals`, () => {
      const config: SimConfig = { ...BASE, steps: 240, warmup, arrivals: 'poisson', lifecycle };
      const batch = batchOf(fleets ?? serverlessFleets(17, 4), config);
      const totals = runBatchCpu(batch);
      const summary = summarize(batch, totals);
      expect(invariantViolations(batch, summary, 1e-9)).toEqual([]);
      let cold = 0;
      let evictions = 0;
      for (let r = 0; r < batch.runs.count; r++) expect(seriesProblem(batch, r, totals, summary), `run ${r}`).toBeNull();
      for (let j = 0; j < totals.coldStartSum.length; j++) {
        cold += totals.coldStartSum[j]!;
        evictions += totals.evictionSum[j]!;
      }
      expect(cold).toBeGreaterThan(0);
      if (lifecycle.memory !== undefined && lifecycle.keepAlive !== 0) expect(evictions).toBeGreaterThan(0);
    });
  }
});

describe('a seed fixes every result', () => {
  const pools: CpuWorkerPool[] = [];
  afterAll(async () => {
    await Promise.all(pools.map((p) => p.close()));
  });
  it('run by run as in groups, with the kernel as without, 2 threads as 1 (memory, eviction, exponentialCount)', async () => {
    for (const work of ['deterministic', 'exponentialCount'] as const) {
      const lifecycle: LifecycleSpec = { keepAlive: 2, loadSlots: 2, memory: { gb: 16 }, initialPhase: 'cold' };
      const batch = batchOf(serverlessFleets(23, 3), { ...BASE, steps: 1100, warmup: 100, work, signal: 'ema', lifecycle }, 2);
      const expected = runBatchCpu(batch);
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
      const pool = new CpuWorkerPool(2, { minSharedAgentSteps: 0, minRangeAgentSteps: 1 });
      pools.push(pool);
      expect(firstDifference(await pool.run(batch), expected)).toBeNull();
    }
  });
});

describe('the admission, step 3 of the contract, on set states (src/cpu/lifecycle.ts)', () => {
  const { cold: COLD, loading: LOADING, warm: WARM } = PHASE;
  /** A LifecycleState for one run of `agents` under `lifecycle`, its phases, idles, waits set; admit() with backlogs B and arrivals a. */
  function admitOnce(
    agents: {
      M: number;
      P?: number;
      pinned?: boolean;
      phase: number;
      idle?: number;
      wait?: number;
      loadLeft?: number;
      B: number;
      a?: number;
    }[],
    lifecycle: LifecycleSpec,
  ) {
    const fleets = packFleets([
      { agents: agents.map((a) => ({ T: 10, R: 0, P: a.P ?? 1, lambda: 1, M: a.M, pinned: a.pinned ?? false })) },
    ]);
    const config: SimConfig = { ...BASE, lifecycle };
    const lc = new LifecycleState(fleets, config, lifecycleParams(config)!, agents.length, 1);
    lc.startGroup(0, 1);
    let used = 0;
    agents.forEach((a, i) => {
      lc.phase[i] = a.phase;
      lc.idle[i] = a.idle ?? 0;
      lc.wait[i] = a.wait ?? 0;
      lc.loadLeft[i] = a.loadLeft ?? 0;
      if (a.phase !== COLD) used += a.M;
    });
    lc.used[0] = used;
    const totals = emptyTotals([agents.length]);
    lc.admit(
      0,
      Float64Array.from(agents, (a) => a.B),
      Float64Array.from(agents, (a) => a.a ?? a.B),
      true,
      totals,
      0,
    );
    return { lc, totals, phases: Array.from(lc.phase.subarray(0, agents.length)), used: lc.used[0], bound: lc.memoryBound[0]! };
  }

  it('the candidate: lowest P, then longest wait, then lowest index; one load slot; the others wait', () => {
    const { phases, totals, lc } = admitOnce(
      [
        { M: 100, P: 2, phase: COLD, wait: 9, B: 1 },
        { M: 100, P: 1, phase: COLD, wait: 3, B: 1 },
        { M: 100, P: 1, phase: COLD, wait: 5, B: 1 },
        { M: 100, P: 1, phase: COLD, wait: 5, B: 1 },
        { M: 100, P: 1, phase: COLD, wait: 7, B: 0 },
      ],
      { coldStart: 2 },
    );
    expect(phases).toEqual([COLD, COLD, LOADING, COLD, COLD]);
    expect(Array.from(totals.coldStartSum)).toEqual([0, 0, 1, 0, 0]);
    expect(Array.from(lc.wait.subarray(0, 5))).toEqual([10, 4, 0, 6, 7]);
    expect(Array.from(totals.waitStepSum)).toEqual([1, 1, 0, 1, 0]);
    // Each arrival that met it COLD faces the load: c = 2·(1/0.5) = 4 steps for the admitted, c_i when still COLD.
    const c = loadSteps(100, { ...BASE, lifecycle: { coldStart: 2 } });
    expect(Array.from(totals.coldDelaySum)).toEqual([c * BASE.dt, c * BASE.dt, c * BASE.dt, c * BASE.dt, 0]);
    expect(Array.from(totals.coldHitSum)).toEqual([1, 1, 1, 1, 0]);
  });

  it('a zero-length load takes no slot; with the slot taken by a LOADING agent only those are admitted', () => {
    const { phases } = admitOnce(
      [
        { M: 0, phase: LOADING, loadLeft: 3, B: 1 },
        { M: 0, phase: COLD, B: 1 },
        { M: 0, phase: COLD, B: 2 },
      ],
      { coldStart: 0 },
    );
    expect(phases).toEqual([LOADING, WARM, WARM]);
    const slotTaken = admitOnce(
      [
        { M: 0, phase: LOADING, loadLeft: 3, B: 1 },
        { M: 0, phase: COLD, B: 1 },
      ],
      { coldStart: 1 },
    );
    expect(slotTaken.phases).toEqual([LOADING, COLD]);
    expect(slotTaken.bound).toBe(0);
  });

  it('eviction in each rule’s order, only WARM ∧ B = 0 ∧ ¬pinned, until the candidate fits', () => {
    // 3,000 MB; agents 0–3 hold it all; agent 4 needs 1,500 MB. Evictable: 0 (1,000 MB, idle 5, P 3),
    // 1 (500 MB, idle 9, P 1), 2 (500 MB, idle 2, P 2); 3 is pinned, 5 is backlogged.
    const agents = (): Parameters<typeof admitOnce>[0] => [
      { M: 1000, P: 3, phase: WARM, idle: 5, B: 0 },
      { M: 500, P: 1, phase: WARM, idle: 9, B: 0 },
      { M: 500, P: 2, phase: WARM, idle: 2, B: 0 },
      { M: 500, P: 1, phase: WARM, idle: 50, B: 0, pinned: true },
      { M: 1500, P: 1, phase: COLD, B: 1 },
      { M: 500, P: 1, phase: WARM, idle: 0, B: 4 },
    ];
    const cases = [
      { evict: 'lru', evicted: [1, 0] }, // idle 9, then 5: 500 + 1,000 MB freed
      { evict: 'lowestPriority', evicted: [0, 2] }, // P 3, then P 2
      { evict: 'largestFirst', evicted: [0, 1] }, // 1,000 MB, then 500 MB at idle 9 (before idle 2)
    ] as const;
    for (const { evict, evicted } of cases) {
      const { phases, totals, used } = admitOnce(agents(), { coldStart: 1, memory: { gb: 3, evict } });
      const expected: number[] = [WARM, WARM, WARM, WARM, LOADING, WARM];
      for (const j of evicted) expected[j] = COLD;
      expect(phases, evict).toEqual(expected);
      const out: readonly number[] = evicted;
      expect(Array.from(totals.evictionSum), evict).toEqual([0, 1, 2, 3, 4, 5].map((j) => (out.includes(j) ? 1 : 0)));
      expect(used, evict).toBe(3000 - out.reduce((s, j) => s + [1000, 500, 500][j]!, 0) + 1500);
    }
  });

  it('no room even evicting every idle agent: nothing evicted, memory-bound, and the agents behind wait too (head of line)', () => {
    const { phases, totals, bound } = admitOnce(
      [
        { M: 1000, phase: WARM, idle: 5, B: 0 },
        { M: 1000, phase: WARM, idle: 5, B: 1 },
        { M: 2000, P: 1, phase: COLD, B: 1 },
        { M: 100, P: 2, phase: COLD, B: 1 },
      ],
      { coldStart: 1, loadSlots: 4, memory: { gb: 2.5 } },
    );
    expect(phases).toEqual([WARM, WARM, COLD, COLD]);
    expect(bound).toBe(1);
    expect(Array.from(totals.evictionSum)).toEqual([0, 0, 0, 0]);
    expect(Array.from(totals.waitStepSum)).toEqual([0, 0, 1, 1]);
  });

  it('at most MAX_EVICTIONS_PER_STEP evictions a step', () => {
    // Ten idle 100 MB agents fill 1,000 MB; a 900 MB model needs nine of them out: more than eight.
    const idle = Array.from({ length: 10 }, (_, i) => ({ M: 100, phase: WARM, idle: i, B: 0 }));
    const nine = admitOnce([...idle, { M: 900, phase: COLD, B: 1 }], { memory: { gb: 1 } });
    expect(nine.bound).toBe(1);
    expect(nine.phases.filter((p) => p === COLD)).toHaveLength(1);
    const eight = admitOnce([...idle, { M: 800, phase: COLD, B: 1 }], { memory: { gb: 1 } });
    expect(eight.bound).toBe(0);
    // lru: the eight longest idle (9 … 2) go.
    expect(eight.phases).toEqual([WARM, WARM, COLD, COLD, COLD, COLD, COLD, COLD, COLD, COLD, LOADING]);
  });
});

describe('allocateEligible: the policy over the eligible agents as if they were the fleet', () => {
  it('every policy, random fleets and subsets: the bits of a fleet of those agents alone', () => {
    for (let f = 0; f < 6; f++) {
      const fleet = testFleet(41, f);
      const n = fleet.agents.length;
      const settings = policySettings(BASE);
      const mask = Uint8Array.from({ length: n }, (_, i) => ((i * 7 + f) % 3 === 0 ? 0 : 1));
      const packed = packFleets([fleet]);
      // MIG slices are the fleet's partition (an equal split of N by default), kept when agents go cold.
      const kept = fleet.agents.flatMap((a, i) => (mask[i] === 1 ? [{ ...a, slices: packed.slices[i]! }] : []));
      const alone = packFleets([{ ...fleet, agents: kept }]);
      // Signals and backlogs by index, some zero (the backlog readers skip those).
      const rate = Float64Array.from({ length: n }, (_, i) => (i % 4 === 1 ? 0 : packed.demand[i]! * (1 + 0.1 * i)));
      const backlog = Float64Array.from({ length: n }, (_, i) => (i % 3 === 1 ? 0 : 0.5 + i));
      const keptRate = rate.filter((_, i) => mask[i] === 1);
      const keptBacklog = backlog.filter((_, i) => mask[i] === 1);
      const G = packed.capacity[0]!;
      const view = fleetView(packed, 0, n, G, rate, backlog, settings);
      const aloneView = fleetView(alone, 0, kept.length, G, keptRate, keptBacklog, settings);
      const scratch = new EligibleScratch(n, settings);
      for (const policy of ALL_POLICIES) {
        for (const step of [0, 5, 13]) {
          const out = new Float64Array(n);
          const expected = new Float64Array(kept.length);
          expect(allocateEligible(policy, view, step, mask, scratch, newAllocation(), out, 0)).toBe(kept.length);
          if (kept.length > 0) allocateShares(policy, aloneView, step, newAllocation(), expected, 0);
          expect(Array.from(out.filter((_, i) => mask[i] === 1))).toEqual(Array.from(expected));
          expect(out.every((g, i) => mask[i] === 1 || g === 0)).toBe(true);
        }
      }
    }
  });

  it('nobody eligible: every share 0', () => {
    const packed = packFleets([{ agents: PAPER_AGENTS }]);
    const settings = policySettings(BASE);
    const view = fleetView(packed, 0, 4, 1, packed.demand, new Float64Array(4).fill(1), settings);
    for (const policy of ALL_POLICIES) {
      const out = new Float64Array(4).fill(7);
      expect(allocateEligible(policy, view, 3, new Uint8Array(4), new EligibleScratch(4, settings), newAllocation(), out, 0)).toBe(0);
      expect(Array.from(out)).toEqual([0, 0, 0, 0]);
    }
  });
});

/**
 * The lifecycle's results pinned bit for bit (test/golden/lifecycle-cpu.json, every total and the
 * series' phase, memory and latency), as test/cpu-golden.test.ts pins the model without it: they change
 * only when the lifecycle does, on purpose. Re-record with
 *   FLEETSIM_WRITE_GOLDEN=1 npx vitest run test/lifecycle-cpu.test.ts -t golden
 * and say in the commit why.
 */
describe('the lifecycle reproduces its recorded results bit for bit (golden)', () => {
  const FIXTURE = join(dirname(fileURLToPath(import.meta.url)), 'golden', 'lifecycle-cpu.json');
  const WRITE = process.env.FLEETSIM_WRITE_GOLDEN === '1';
  const recorded = WRITE ? {} : (JSON.parse(readFileSync(FIXTURE, 'utf8')) as Record<string, Record<string, string>>);
  const observed: Record<string, Record<string, string>> = {};
  const digest = (xs: Float64Array): string =>
    createHash('sha256')
      .update(new Uint8Array(xs.buffer, xs.byteOffset, xs.byteLength))
      .digest('hex')
      .slice(0, 32);
  const cases: { name: string; lifecycle: LifecycleSpec; extra?: Partial<SimConfig>; fleets: () => FleetSpec[] }[] = [
    { name: 'T4, lru, K = 1 s, warm', lifecycle: { keepAlive: 1, memory: { gb: 16 } }, fleets: () => serverlessFleets(31, 3) },
    {
      name: 'A10G × 0.9, lowestPriority, K = 0, backlogged, 2 slots, cold start, ema, warm-up',
      lifecycle: {
        keepAlive: 0,
        eligible: 'backlogged',
        loadSlots: 2,
        initialPhase: 'cold',
        memory: { gb: 24, usable: 0.9, evict: 'lowestPriority' },
      },
      extra: { signal: 'ema', warmup: 40 },
      fleets: () => serverlessFleets(32, 3),
    },
    {
      name: 'largestFirst, all, unlimited slots, exponentialCount, workflow and fork-join',
      lifecycle: { keepAlive: 2, eligible: 'all', loadSlots: Infinity, coldStart: 0.5, memory: { gb: 5, evict: 'largestFirst' } },
      extra: { work: 'exponentialCount' },
      fleets: () => [WORKFLOW, FORK_JOIN],
    },
    {
      name: 'no memory limit, K = ∞, C0 = 0, cold start',
      lifecycle: { keepAlive: Infinity, coldStart: 0, initialPhase: 'cold' },
      fleets: () => serverlessFleets(33, 2),
    },
  ];
  afterAll(() => {
    if (WRITE) writeFileSync(FIXTURE, `${JSON.stringify(observed, null, 2)}\n`);
  });
  for (const { name, lifecycle, extra, fleets } of cases) {
    it(name, () => {
      const batch = batchOf(fleets(), { ...BASE, steps: 200, warmup: 0, ...extra, lifecycle }, 2);
      const totals = runBatchCpu(batch);
      const got: Record<string, string> = Object.fromEntries(TOTAL_FIELDS.map((field) => [field, digest(totals[field])]));
      for (const r of [0, 3, batch.runs.count - 1]) {
        const series = runSeriesCpu(batch, r);
        for (const column of ['phase', 'memory', 'latency', 'served'] as const) got[`series ${r} ${column}`] = digest(series[column]);
      }
      if (WRITE) {
        observed[name] = got;
        return;
      }
      const want = recorded[name];
      expect(want, `no golden values recorded for "${name}"`).toBeDefined();
      for (const [field, hash] of Object.entries(got)) expect(hash, `${name}: ${field}`).toBe(want![field]);
      expect(Object.keys(got).sort()).toEqual(Object.keys(want!).sort());
    });
  }
});

describe("GPU memory: Che's approximation for LRU with more agents (§4.4's ±5 % band)", () => {
  it('ten agents of Zipf rates, room for four, K = ∞, small Δt: P(cold | i) ≈ e^{−λ_i·T_C}', () => {
    // Che: the characteristic time T_C solves Σ_i (1 − e^{−λ_i T_C}) = capacity (in models); agent i
    // then misses with probability e^{−λ_i T_C}. An approximation (exact as N grows), so a band: 0.05.
    const lambdas = Array.from({ length: 10 }, (_, i) => 1 / (i + 1));
    const room = 4;
    let lo = 0;
    let hi = 1e4;
    for (let k = 0; k < 200; k++) {
      const mid = (lo + hi) / 2;
      if (lambdas.reduce((s, l) => s + 1 - Math.exp(-l * mid), 0) < room) lo = mid;
      else hi = mid;
    }
    const tc = (lo + hi) / 2;
    const dt = 0.01;
    const REPLICATES = 6;
    const STEPS = 100_000;
    const config: SimConfig = {
      dt,
      steps: STEPS + 2000,
      warmup: 2000,
      lmax: 999,
      price: 1,
      arrivals: 'poisson',
      seed: 9,
      // 25 MB models, 100 MB usable (1 GB × 0.1): room for four; a one-step load.
      lifecycle: { keepAlive: Infinity, coldStart: 0, loadBandwidth: 25, loadSlots: Infinity, memory: { gb: 1, usable: 0.1 } },
    };
    const fleet: FleetSpec = { agents: lambdas.map((lambda) => ({ T: 1e4 / dt, R: 0, P: 1, lambda, M: 25 })) };
    const totals = runBatchCpu(batchOf([fleet], config, REPLICATES, [POLICY.static]));
    const n = lambdas.length;
    lambdas.forEach((li, i) => {
      const che = Math.exp(-li * tc);
      const { mean, se } = meanAndSe(
        Array.from({ length: REPLICATES }, (_, r) => totals.coldHitSum[n * r + i]! / totals.arrivedSum[n * r + i]!),
      );
      console.log(`P(cold | λ = ${li.toFixed(3)}): simulated ${mean.toFixed(4)} ± ${se.toFixed(4)} (SE), Che ${che.toFixed(4)}`);
      expect(Math.abs(mean - che)).toBeLessThanOrEqual(0.05 + 4.5 * se);
    });
  });
});

describe("SimFaaS's analytical model (pacsltk's perfmodel) only as a band (§4.3)", () => {
  // One agent, negligible service (ρ → 0: Erlang B is 1 with no instance, 0 with one), so pacsltk's
  // CTMC has two states, 0 → 1 at rate λ and 1 → 0 at 1/τ, τ = K + (e^{λK} − 1)·E[X·1{X<K}] with X the
  // Exp(λ) gap: P_cold = 1/(1 + λτ). It uses E[X·1{X<K}] where E[X | X<K] is exact, so its lifetime is
  // K·e^{−λK} + (e^{λK} − 2 + e^{−λK})/λ instead of (e^{λK} − 1)/λ, which gives e^{−λK}: the simulation
  // must sit within that gap of pacsltk's value (it matches e^{−λK}, at any Δt, with C = 0).
  for (const K of [1, 3]) {
    it(`λ = 1/s, K = ${K} s, C = 0, Δt = 0.05 s`, () => {
      const lambda = 1;
      const dt = 0.05;
      const tau = K + (Math.exp(lambda * K) - 1) * ((1 - Math.exp(-lambda * K) * (1 + lambda * K)) / lambda);
      const simfaas = 1 / (1 + lambda * tau);
      const exact = Math.exp(-lambda * K);
      const REPLICATES = 8;
      const config: SimConfig = {
        dt,
        steps: 60_500,
        warmup: 500,
        lmax: 999,
        price: 1,
        arrivals: 'poisson',
        seed: 13,
        lifecycle: { keepAlive: K, coldStart: 0, initialPhase: 'cold' },
      };
      const totals = runBatchCpu(batchOf([{ agents: [{ T: 1e4 / dt, R: 0, P: 1, lambda }] }], config, REPLICATES, [POLICY.static]));
      const { mean, se } = meanAndSe(Array.from({ length: REPLICATES }, (_, r) => totals.coldHitSum[r]! / totals.arrivedSum[r]!));
      console.log(`P_cold: simulated ${mean.toFixed(4)} ± ${se.toFixed(4)}, exact ${exact.toFixed(4)}, SimFaaS ${simfaas.toFixed(4)}`);
      expect(simfaas).toBeGreaterThan(exact);
      expect(Math.abs(mean - simfaas)).toBeLessThanOrEqual(simfaas - exact + 4.5 * se);
      expect(Math.abs(mean - exact)).toBeLessThanOrEqual(4.5 * se);
    });
  }
});
