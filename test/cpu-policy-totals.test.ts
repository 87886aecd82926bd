/**
 * The policy totals violationSum and busySum on the CPU engine (MODEL-PART4 §4.7–4.8, TOTALS in
 * src/model/metrics.ts), and the engine's backlog-reading policies: every total of every registered
 * policy against a plain step-by-step f64 reference written here (arrive, backlogs B = Q + a, allocate
 * through src/model/allocate.ts, serve, record: no chunks, no groups, no fast paths), on random fleets
 * whose runs cross chunk ends (fleets of 1–64 agents: spans of 1,024 down to 128 steps, some not a
 * multiple of the 32-step busy words), with the WebAssembly kernel and the JavaScript loop; a
 * backlog-reading run alone and in a group with the paper's policies; the worker pool of 1 thread (the
 * calling one) and of 2; and runSeriesCpu's per-step columns against the totals. The workers run the built module
 * (dist/src/cpu/worker.js), which `npm test` builds first.
 */
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { runBatchCpu, runSeriesCpu } from '../src/cpu/engine.js';
import { CPU_KERNEL_ENV } from '../src/cpu/wasm/kernel.js';
import { CpuWorkerPool } from '../src/cpu/workers.js';
import { allocate, allocationReadsBacklog, fleetView, newAllocation, shareOf } from '../src/model/allocate.js';
import {
  type Batch,
  crossRuns,
  DEFAULT_EMA_ALPHA,
  type FleetSpec,
  makeBatch,
  packFleets,
  type PackedRuns,
  policySettings,
  type SimConfig,
} from '../src/model/batch.js';
import { allocTotals, inSystem, lateStart, MIN_SHARE_SLACK, type RunTotals, TOTAL_FIELDS, TOTALS } from '../src/model/metrics.js';
import { PAPER_AGENTS, PAPER_CONFIG } from '../src/model/paper.js';
import { POLICIES, POLICY, type PolicyId, POLICY_NAMES } from '../src/model/policies.js';
import { testFleet, withSchedules } from './helpers/fleets.js';

const ALL_POLICIES = POLICY_NAMES.map<PolicyId>((name) => POLICIES[name].id);
const BACKLOG_POLICIES = ALL_POLICIES.filter((p) => allocationReadsBacklog(p));
const PAPER = [POLICY.static, POLICY.roundRobin, POLICY.adaptive];
/** The totals a run keeps (the arrival statistics are the fleet replicate's, tested elsewhere). */
const RUN_FIELDS = TOTALS.flatMap((t) => (t.home === 'agent' ? [t.field] : []));

const saved = process.env[CPU_KERNEL_ENV];
afterEach(() => {
  if (saved === undefined) delete process.env[CPU_KERNEL_ENV];
  else process.env[CPU_KERNEL_ENV] = saved;
});
const withKernel = <T>(kernel: 'wasm' | 'js', f: () => T): T => {
  process.env[CPU_KERNEL_ENV] = kernel;
  return f();
};

const poisson = (extra: Partial<SimConfig> = {}): SimConfig => ({ ...PAPER_CONFIG, arrivals: 'poisson', seed: 0x13c0ffee, ...extra });
/** testFleet's random fleets, with their load scaled by `load` (light fleets have idle steps). */
const fleets = (count: number, seed: number, load = 1): FleetSpec[] =>
  Array.from({ length: count }, (_, f) => {
    const fleet = testFleet(seed, f);
    return { ...fleet, agents: fleet.agents.map((a) => ({ ...a, lambda: a.lambda * load })) };
  });

/**
 * Run r of `batch` by the definitions, step by step in f64: its totals per agent (RUN_FIELDS). The
 * arrivals and work are the engine's (runSeriesCpu: they depend on the fleet replicate only, and the
 * draws have their own tests); everything after them is computed here.
 */
function reference(batch: Batch, r: number): Record<string, Float64Array> {
  const { config, fleets: packed, runs } = batch;
  const f = runs.fleet[r]!;
  const n = packed.agentCount[f]!;
  const offset = packed.agentOffset[f]!;
  const G = packed.capacity[f]!;
  const policy = runs.policy[r]!;
  const { dt, lmax, steps } = config;
  const warmup = config.warmup ?? 0;
  const late = lateStart(config);
  const signal = config.signal ?? 'nominal';
  const alpha = config.emaAlpha ?? DEFAULT_EMA_ALPHA;
  const input = runSeriesCpu(batch, r);
  const rate = Float64Array.from({ length: n }, (_, i) => packed.lambda[offset + i]!);
  const queue = new Float64Array(n);
  const backlog = new Float64Array(n);
  const share = new Float64Array(n);
  const view = fleetView(packed, offset, n, G, rate, backlog, policySettings(config));
  const alloc = newAllocation();
  const out = Object.fromEntries(RUN_FIELDS.map((field) => [field, new Float64Array(n)]));
  for (let t = 0; t < steps; t++) {
    // Arrive, then allocate on λ̂_t and B_t = Q_{t−1} + a_t (MODEL-PART4 §4.8).
    for (let i = 0; i < n; i++) backlog[i] = queue[i]! + input.work[i * steps + t]!;
    allocate(policy, view, t, alloc);
    for (let i = 0; i < n; i++) share[i] = shareOf(alloc, view, i);
    let busy = false;
    for (let i = 0; i < n; i++) {
      const arrived = input.arrivals[i * steps + t]!;
      const g = share[i]!;
      const demand = rate[i]!;
      if (signal === 'observed') rate[i] = arrived / dt;
      else if (signal === 'ema') rate[i] = alpha * (arrived / dt) + (1 - alpha) * rate[i]!;
      const T = packed.T[offset + i]!;
      const B = backlog[i]!;
      const served = Math.min(B, T * g * dt);
      queue[i] = B - served;
      const latency = g > 0 ? queue[i]! / (T * g) : lmax;
      if (B > 0) busy = true;
      if (t < warmup) continue;
      out.latencySum![i]! += latency;
      out.servedSum![i]! += served;
      out.queueSum![i]! += queue[i]!;
      if (t >= late) out.queueLateSum![i]! += queue[i]!;
      out.shareSum![i]! += g;
      out.arrivedSum![i]! += arrived;
      out.systemSum![i]! += inSystem(queue[i]!);
      if (g < packed.R[offset + i]! * G * (1 - MIN_SHARE_SLACK) && (demand > 0 || B > 0)) out.violationSum![i]! += 1;
    }
    if (busy && t >= warmup) out.busySum![0]! += 1;
  }
  out.finalQueue!.set(queue);
  return out;
}

/** The first field and agent where run r's engine totals differ from the reference's (bit for bit), or null. */
function differsFromReference(batch: Batch, totals: RunTotals, r: number): string | null {
  const want = reference(batch, r);
  const j0 = totals.agentOffset[r]!;
  for (const field of RUN_FIELDS) {
    for (let i = 0; i < totals.agentCount[r]!; i++) {
      const got = totals[field][j0 + i]!;
      if (!Object.is(got, want[field]![i])) return `run ${r} (policy ${batch.runs.policy[r]}) ${field}[${i}]: ${got} ≠ ${want[field]![i]}`;
    }
  }
  return null;
}

/** The first field and agent-run where two totals differ (bit for bit), or null. */
function firstDifference(a: RunTotals, b: RunTotals): string | null {
  for (const field of TOTAL_FIELDS) {
    for (let j = 0; j < a[field].length; j++)
      if (!Object.is(a[field][j], b[field][j])) return `${field}[${j}]: ${a[field][j]} ≠ ${b[field][j]}`;
  }
  return null;
}

const CASES: [string, () => Batch][] = [
  // 1,100 steps: fleets of up to 8 agents run two chunks (1,024 steps each), larger ones more; warm-up mid-word.
  [
    'Poisson, nominal signal, warm-up 37, 1,100 steps',
    () => makeBatch(packFleets(fleets(14, 71)), crossRuns(14, ALL_POLICIES, 1), poisson({ steps: 1100, warmup: 37 })),
  ],
  [
    'light load (idle steps), deterministic arrivals with schedules, observed signal',
    () =>
      makeBatch(packFleets(fleets(16, 72, 0.05).map((fleet, f) => withSchedules(fleet, 72, f, 300))), crossRuns(16, ALL_POLICIES, 1), {
        ...PAPER_CONFIG,
        steps: 300,
        warmup: 5,
        signal: 'observed',
      }),
  ],
  [
    'Poisson, ema signal, exponential work, Δt = 0.3, 2 replicates',
    () =>
      makeBatch(
        packFleets(fleets(8, 73, 0.3)),
        crossRuns(8, ALL_POLICIES, 2),
        poisson({ dt: 0.3, steps: 260, signal: 'ema', work: 'exponential' }),
      ),
  ],
  [
    'the paper fleet, Poisson and overloaded ×1.5 (every step busy, shares below R)',
    () =>
      makeBatch(
        packFleets([{ agents: PAPER_AGENTS.map((a) => ({ ...a, lambda: 1.5 * a.lambda })) }, { agents: PAPER_AGENTS }]),
        crossRuns(2, ALL_POLICIES, 2),
        poisson({ steps: 400, warmup: 50 }),
      ),
  ],
];

describe('the CPU engine’s totals against a step-by-step f64 reference, every policy', () => {
  it('registers a backlog-reading policy to test (timeSlice)', () => {
    expect(BACKLOG_POLICIES).toContain(POLICY.timeSlice);
  });

  it.each(CASES.flatMap(([name, make]) => (['wasm', 'js'] as const).map((k) => [`${name} (${k})`, make, k] as const)))(
    '%s',
    (_, make, kernel) => {
      const batch = make();
      const totals = withKernel(kernel, () => runBatchCpu(batch));
      let violations = 0;
      let idle = 0;
      for (let r = 0; r < batch.runs.count; r++) {
        expect(differsFromReference(batch, totals, r)).toBeNull();
        const j0 = totals.agentOffset[r]!;
        for (let i = 0; i < totals.agentCount[r]!; i++) violations += totals.violationSum[j0 + i]!;
        idle += batch.config.steps - (batch.config.warmup ?? 0) - totals.busySum[j0]!;
        for (let i = 1; i < totals.agentCount[r]!; i++) expect(totals.busySum[j0 + i]).toBe(0);
      }
      // The cases reach what they are for: steps below the minimum share; idle steps where they should.
      expect(violations).toBeGreaterThan(0);
      if (batch.config.signal === 'observed') expect(idle).toBeGreaterThan(0);
    },
  );
});

describe('backlog-reading policies on the CPU engine', () => {
  /** Fleet f's runs: the backlog-reading policies alone, or among the paper's (one group per fleet). */
  const runsOf = (count: number, policies: readonly PolicyId[]): PackedRuns => crossRuns(count, policies, 2);

  it('give each run the same totals alone as in a group with the paper’s policies', () => {
    const specs = fleets(12, 74, 0.7);
    const config = poisson({ steps: 700, warmup: 20, signal: 'ema' });
    const grouped = [POLICY.static, ...BACKLOG_POLICIES, POLICY.roundRobin, POLICY.adaptive] as PolicyId[];
    for (const kernel of ['wasm', 'js'] as const) {
      const alone = makeBatch(packFleets(specs), runsOf(12, BACKLOG_POLICIES), config);
      const together = makeBatch(packFleets(specs), runsOf(12, grouped), config);
      const a = withKernel(kernel, () => runBatchCpu(alone));
      const b = withKernel(kernel, () => runBatchCpu(together));
      // Run k of `alone` is run k' of `together` with the same fleet, replicate and policy.
      for (let r = 0; r < alone.runs.count; r++) {
        let q = 0;
        while (
          together.runs.fleet[q] !== alone.runs.fleet[r] ||
          together.runs.replicate[q] !== alone.runs.replicate[r] ||
          together.runs.policy[q] !== alone.runs.policy[r]
        )
          q++;
        for (const field of RUN_FIELDS) {
          const x = a[field].subarray(a.agentOffset[r], a.agentOffset[r]! + a.agentCount[r]!);
          const y = b[field].subarray(b.agentOffset[q], b.agentOffset[q]! + b.agentCount[q]!);
          expect(Array.from(x), `${kernel} run ${r} ${field}`).toEqual(Array.from(y));
        }
      }
    }
  });

  it('give the same totals run by run as in one call, and with the kernel as without', () => {
    const batch = makeBatch(packFleets(fleets(10, 75)), runsOf(10, [...BACKLOG_POLICIES, ...PAPER]), poisson({ steps: 500, warmup: 3 }));
    const whole = withKernel('wasm', () => runBatchCpu(batch));
    const single = allocTotals(batch);
    withKernel('wasm', () => {
      for (let r = 0; r < batch.runs.count; r++) runBatchCpu(batch, r, r + 1, single);
    });
    expect(firstDifference(single, whole)).toBeNull();
    expect(
      firstDifference(
        withKernel('js', () => runBatchCpu(batch)),
        whole,
      ),
    ).toBeNull();
  });
});

describe('the worker pool carries the policy totals', () => {
  const pools: CpuWorkerPool[] = [];
  afterAll(async () => {
    await Promise.all(pools.map((p) => p.close()));
  });

  it('gives the single thread’s bits through pools of 1 and 2 threads, every policy', async () => {
    const batch = makeBatch(
      packFleets(fleets(40, 76, 0.5).map((fleet, f) => withSchedules(fleet, 76, f, 200))),
      crossRuns(40, ALL_POLICIES, 1),
      poisson({ steps: 200, warmup: 11, signal: 'observed' }),
    );
    const expected = runBatchCpu(batch);
    let busy = 0;
    let violations = 0;
    expected.busySum.forEach((x) => (busy += x));
    expected.violationSum.forEach((x) => (violations += x));
    expect(busy).toBeGreaterThan(0);
    expect(violations).toBeGreaterThan(0);
    for (const threads of [1, 2]) {
      const pool = new CpuWorkerPool(threads, { minSharedAgentSteps: 0, minRangeAgentSteps: 1 });
      pools.push(pool);
      expect(firstDifference(await pool.run(batch), expected), `${threads} threads`).toBeNull();
      expect(pool.workersStarted).toBe(threads === 1 ? 0 : threads); // one thread: the calling one
    }
  });
});

describe('runSeriesCpu’s violation and busy columns', () => {
  it('sum over the recorded steps to the totals, and busy is the OR over agents of B_t > 0', () => {
    const batch = makeBatch(packFleets(fleets(6, 77, 0.1)), crossRuns(6, ALL_POLICIES, 1), {
      ...PAPER_CONFIG,
      arrivals: 'poisson',
      seed: 5,
      steps: 1100,
      warmup: 40,
      signal: 'ema',
    });
    const totals = runBatchCpu(batch);
    const { steps } = batch.config;
    const warmup = batch.config.warmup!;
    for (let r = 0; r < batch.runs.count; r++) {
      const s = runSeriesCpu(batch, r);
      const j0 = totals.agentOffset[r]!;
      let busy = 0;
      for (let t = 0; t < steps; t++) {
        let any = 0;
        for (let i = 0; i < s.agents; i++) {
          const before = t === 0 ? 0 : s.queue[i * steps + t - 1]!;
          if (before + s.work[i * steps + t]! > 0) any = 1;
        }
        expect(s.busy[t], `run ${r} step ${t}`).toBe(any);
        if (t >= warmup) busy += any;
      }
      expect(busy).toBe(totals.busySum[j0]);
      for (let i = 0; i < s.agents; i++) {
        let violations = 0;
        for (let t = warmup; t < steps; t++) violations += s.violation[i * steps + t]!;
        expect(violations, `run ${r} agent ${i}`).toBe(totals.violationSum[j0 + i]);
      }
    }
  });
});
