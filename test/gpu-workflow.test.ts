/**
 * Workflows and exponentialCount work on the GPU (MODEL-PART4 §4.6; shaders/workflow.wgsl, run by the
 * flow kernels shaders/simulateFlow.wgsl and simulateWideFlow.wgsl) against the CPU reference
 * (src/cpu/workflow.ts), one table of cases (GROUPS): random workflow graphs (up to 3 successors per
 * agent, self-loops and cycles with exits), the paper's §4.6 graph, fork-joins, under Poisson arrivals
 * (integer routing: sequential conditional binomials) and deterministic ones (fluid routing), with
 * deterministic work (whole requests by the head's progress) and exponentialCount (a Poisson count of
 * completions), the observed and ema signals and a warm-up; every policy id, on both kernels.
 *
 * What must agree, and how closely:
 * - Whole numbers (integer routing): each agent's arrivals, routed arrivals, requests sent on, the fork's
 *   outstanding parents, its busy and violating steps, and under exponentialCount its completions and
 *   requests in the system, exactly. A run where one of them differs is divergent: both engines take
 *   the same draws, but a completion count can fall on the other side of an integer in f32 and in f64
 *   (deterministic work: m = ⌊h + served⌋ with h + served within f32 rounding of a whole number;
 *   exponentialCount: the Poisson mean f32(T·g·Δt) an ulp apart where g is), and from there the run's
 *   routing draws differ. So do the backlog readers' B > 0 tests on fluid queues that one engine empties
 *   to 0 and the other to a residue of 1e-7. Divergent runs are counted, must stay at or below
 *   MAX_DIVERGENT_RUNS of a group's runs (the test prints how many there were; on lavapipe none of the
 *   1,040), and are left out of the float comparisons.
 * - Floats (the other runs): every run metric within test/helpers/tolerances.ts, as for the plain
 *   model (the queue's f32 rounding per step is the same; routing adds whole requests, exact in f32
 *   below 2^24), and the workflow metrics: e2eLatency within LATENCY_TOL; inFlight and forkParents
 *   exactly for whole requests, within FLOW_TOL when fluid (f32 sums of p·served).
 * - Byte-identity: a fleet whose routes all have p = 0 takes the workflow path and must give the plain
 *   narrow kernel's bits for every total (new totals 0), for every policy and two signals: the side of
 *   the step a change to one path forgets shows here.
 * - Splits: one engine runs every case with 37 steps per dispatch and chunks of 16 runs, so each run
 *   crosses dispatch boundaries (queues, head progress, inboxes and fork debts kept in `states`) and
 *   each group several chunks; the whole numbers above then still match the CPU exactly. Each group
 *   holds a fleet above WIDE_ABOVE (the wide kernel, with a fork-join) and small ones (the narrow).
 * - Not covered: exponentialCount under deterministic (fluid) arrivals. Its queues are not whole
 *   requests, and min(Q + a, c) leaves residues of 1e-7 in one engine where the other empties to 0,
 *   which the backlog readers (maxMinFair, timeSlice) turn into different shares; validateBatch should
 *   refuse the combination as it refuses `exponential` work there.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { runBatchCpu } from '../src/cpu/engine.js';
import { routesFluidly } from '../src/model/workflow.js';
import { type GpuEngine, WIDE_ABOVE } from '../src/gpu/engine.js';
import {
  type ArrivalMode,
  type Batch,
  crossRuns,
  type FleetSpec,
  makeBatch,
  MAX_AGENTS_PER_FLEET,
  packFleets,
  type SimConfig,
} from '../src/model/batch.js';
import { MAX_SUCCESSORS, MAX_WORKFLOW_AGENTS } from '../src/model/workflow.js';
import { type RunTotals, summarize, TOTAL_FIELDS } from '../src/model/metrics.js';
import { POLICY, POLICY_NAMES, policyName } from '../src/model/policies.js';
import { compareColumns, compareRunMetrics } from './helpers/compare.js';
import { testFleet, wideTestFleet } from './helpers/fleets.js';
import { assertNoUncapturedErrors, engine, gpu } from './helpers/gpu.js';
import { rng } from './helpers/seeded.js';
import { FLOW_TOL, LATENCY_TOL, RUN_TOLERANCES } from './helpers/tolerances.js';

const POLICIES = POLICY_NAMES.map((p) => POLICY[p]);

/** Divergent runs allowed per group, as a fraction of its runs (see the header). */
const MAX_DIVERGENT_RUNS = 0.02;

/** A random workflow: 2–9 agents, external arrivals at agent 0 (and some others), 0–3 successors each with Σp ≤ 0.85. */
function workflowFleet(seed: number): FleetSpec {
  const u = rng(seed);
  const n = 2 + Math.floor(u() * 8);
  const agents = Array.from({ length: n }, (_, i) => {
    const T = 5 + 35 * u();
    const successors = Math.floor(u() * 4);
    const targets = new Set<number>();
    for (let k = 0; k < successors; k++) targets.add(Math.floor(u() * n));
    let left = 0.85;
    const routes = [...targets].map((to) => {
      const p = left * u();
      left -= p;
      return { to, p };
    });
    const lambda = i === 0 || u() < 0.3 ? (0.1 + 0.4 * u()) * T * (1 / n) : 0;
    return { name: `a${i}`, T, R: u() * Math.min(1, 1.6 / n), P: 1 + Math.floor(u() * 3), lambda, routes };
  });
  return { agents, capacity: u() < 0.2 ? 0.5 + u() : 1 };
}

/**
 * The §4.6 example: a coordinator routes to three specialists with p = 0.3 each (0.1 leaves), each
 * returns to it with p = 0.5. Rates not round (T·g·Δt rarely lands on a whole number).
 */
function paperWorkflow(): FleetSpec {
  const specialist = (T: number, R: number) => ({ T, R, P: 2, lambda: 0, routes: [{ to: 0, p: 0.5 }] });
  return {
    agents: [
      {
        T: 21.7,
        R: 0.31,
        P: 1,
        lambda: 2.3,
        routes: [
          { to: 1, p: 0.3 },
          { to: 2, p: 0.3 },
          { to: 3, p: 0.3 },
        ],
      },
      specialist(13.3, 0.19),
      specialist(9.7, 0.23),
      specialist(17.1, 0.21),
    ],
  };
}

/** A fork-join: agent 0 (the fork, fed from outside) to 2–3 branches, all to the join, which sends half on to a last agent. */
function forkJoinFleet(seed: number): FleetSpec {
  const u = rng(seed);
  const b = 2 + Math.floor(u() * 2);
  const join = b + 1;
  const agent = (lambda: number, routes: { to: number; p: number }[]) => ({ T: 8 + 20 * u(), R: 0.8 / (b + 3), P: 1, lambda, routes });
  const agents = [
    agent(
      1 + 2 * u(),
      Array.from({ length: b }, (_, k) => ({ to: k + 1, p: 1 })),
    ),
    ...Array.from({ length: b }, () => agent(0, [{ to: join, p: 1 }])),
    agent(0, [{ to: join + 1, p: 0.5 }]),
    agent(0.5 * u(), []),
  ];
  return { agents, forkJoin: { fork: 0, join } };
}

interface Group {
  name: string;
  fleets: () => FleetSpec[];
  arrivals: ArrivalMode;
  config: Partial<SimConfig>;
}

/**
 * A large workflow for the wide kernel: `n` agents (above WIDE_ABOVE), a fork-join in agents 0–3 (the
 * fork 0, fed from outside, to branches 1 and 2, joined at 3), and each other agent routing to up to two
 * random others (never into a branch, whose completions must be the fork's children alone).
 */
function wideWorkflowFleet(seed: number, n: number): FleetSpec {
  const u = rng(seed);
  const target = (): number => {
    const to = Math.floor(u() * n);
    return to === 1 || to === 2 ? 0 : to;
  };
  const agents = Array.from({ length: n }, (_, i) => {
    const T = 5 + 35 * u();
    let routes = [
      { to: target(), p: 0.4 * u() },
      { to: target(), p: 0.4 * u() },
    ].filter((r, k, all) => k === 0 || r.to !== all[0]!.to);
    if (i === 0)
      routes = [
        { to: 1, p: 1 },
        { to: 2, p: 1 },
      ];
    if (i === 1 || i === 2) routes = [{ to: 3, p: 1 }];
    const lambda = i % 4 === 0 ? (0.2 + 0.6 * u()) * (T / n) : 0;
    return { name: `w${i}`, T, R: u() / n, P: 1 + Math.floor(u() * 3), lambda, routes };
  });
  return { agents, forkJoin: { fork: 0, join: 3 } };
}

/** A group's fleets: the §4.6 graph, random workflows and fork-joins (the narrow kernel), and one large workflow (the wide kernel). */
const mixed = (seed: number): FleetSpec[] => [
  paperWorkflow(),
  ...Array.from({ length: 5 }, (_, i) => workflowFleet(seed + i)),
  forkJoinFleet(seed),
  forkJoinFleet(seed + 1),
  wideWorkflowFleet(seed, 70 + (seed % 20)),
];

const GROUPS: readonly Group[] = [
  { name: 'integer routing, deterministic work', fleets: () => mixed(100), arrivals: 'poisson', config: {} },
  { name: 'integer routing, exponentialCount', fleets: () => mixed(200), arrivals: 'poisson', config: { work: 'exponentialCount' } },
  { name: 'fluid routing (deterministic arrivals)', fleets: () => mixed(300), arrivals: 'deterministic', config: {} },
  {
    name: 'observed signal, warm-up',
    fleets: () => mixed(500),
    arrivals: 'poisson',
    config: { signal: 'observed', warmup: 40 },
  },
  {
    name: 'ema signal, exponentialCount, Δt = 1',
    fleets: () => mixed(600),
    arrivals: 'poisson',
    config: { signal: 'ema', work: 'exponentialCount', dt: 1 },
  },
  {
    name: 'exponentialCount without routing',
    fleets: () => [...Array.from({ length: 6 }, (_, i) => testFleet(77, i)), wideTestFleet(77, 0, 70)],
    arrivals: 'poisson',
    config: { work: 'exponentialCount' },
  },
];

function batchOf(fleets: FleetSpec[], arrivals: ArrivalMode, config: Partial<SimConfig>, replicates = 2, steps = 300): Batch {
  return makeBatch(packFleets(fleets), crossRuns(fleets.length, POLICIES, replicates), {
    dt: 0.1,
    steps,
    lmax: 60,
    price: 1,
    arrivals,
    seed: 2026,
    ...config,
  });
}

/** Totals that count whole requests or steps under integer routing (and the completions under exponentialCount). */
function countFields(batch: Batch): (typeof TOTAL_FIELDS)[number][] {
  const counts: (typeof TOTAL_FIELDS)[number][] = ['arrivedSum', 'routedSum', 'inFlightSum', 'forkSum', 'busySum', 'violationSum'];
  return batch.config.work === 'exponentialCount' ? [...counts, 'servedSum', 'systemSum'] : counts;
}

/** The runs whose whole-number totals differ between the engines (fluid fleets: none can, their totals are floats). */
function divergentRuns(batch: Batch, got: RunTotals, cpu: RunTotals): Set<number> {
  const out = new Set<number>();
  const fields = countFields(batch);
  for (let r = 0; r < batch.runs.count; r++) {
    if (routesFluidly(batch.fleets, batch.config, batch.runs.fleet[r]!)) continue;
    const j0 = cpu.agentOffset[r]!;
    for (let j = j0; j < j0 + cpu.agentCount[r]! && !out.has(r); j++) {
      for (const field of fields) if (got[field][j] !== cpu[field][j]) out.add(r);
    }
  }
  return out;
}

describe('the wide workflow kernel’s workgroup memory', () => {
  it('holds a workflow’s edges and completions (MAX_WORKFLOW_EDGES + MAX_WORKFLOW_AGENTS terms)', () => {
    // shaders/simulateWideFlow.wgsl keeps them in `terms`, MAX_WIDE_AGENTS (= MAX_AGENTS_PER_FLEET, test/layout.test.ts) long.
    expect(MAX_WORKFLOW_AGENTS * MAX_SUCCESSORS + MAX_WORKFLOW_AGENTS).toBeLessThanOrEqual(MAX_AGENTS_PER_FLEET);
  });
});

describe.skipIf(!gpu)('workflows: the GPU kernels against the CPU engine', () => {
  // One engine for both kernels (each group holds fleets on either side of WIDE_ABOVE): an engine's
  // creation compiles the plain narrow kernel, seconds on lavapipe. 37 steps per dispatch and small
  // chunks: every run crosses dispatch boundaries (state, inboxes and head progress kept between), and
  // a group's runs are split over several chunks.
  let gpuEngine: GpuEngine;
  beforeAll(async () => {
    gpuEngine = await engine({ stepsPerDispatch: 37, maxRunsPerChunk: 16 });
  }, 120_000);

  it.each(GROUPS.map((g) => [g.name, g] as const))(
    '%s',
    async (_, group) => {
      const batch = batchOf(group.fleets(), group.arrivals, group.config);
      const cpuTotals = runBatchCpu(batch);
      const cpu = summarize(batch, cpuTotals);
      const fluid = (r: number): boolean => routesFluidly(batch.fleets, batch.config, batch.runs.fleet[r]!);
      // Both kernels, on their workflow twins, several chunks each.
      const chunks = gpuEngine.planChunks(batch);
      expect(chunks.every((c) => c.flow)).toBe(true);
      for (const kernel of ['narrow', 'wide'] as const) expect(chunks.filter((c) => c.kernel === kernel).length).toBeGreaterThan(1);
      {
        const totals = await gpuEngine.run(batch);
        const divergent = divergentRuns(batch, totals, cpuTotals);
        const kernel = (r: number): string => gpuEngine.kernelFor(batch.fleets.agentCount[batch.runs.fleet[r]!]!);
        console.log(`${group.name}: ${divergent.size} divergent of ${batch.runs.count} runs (${[...divergent].map(kernel).join(', ')})`);
        expect(divergent.size, `divergent runs ${[...divergent].join(', ')}`).toBeLessThanOrEqual(
          Math.max(1, Math.floor(MAX_DIVERGENT_RUNS * batch.runs.count)),
        );
        const label = (r: number): string =>
          `${kernel(r)} run ${r} (fleet ${batch.runs.fleet[r]}, ${policyName(batch.runs.policy[r]!)}, replicate ${batch.runs.replicate[r]})`;
        const skip = (r: number): boolean => divergent.has(r);
        const got = summarize(batch, totals);
        // Integer routing: whole-number totals exactly (divergentRuns); the run metrics within tolerance.
        const { reports } = compareRunMetrics(got, cpu, RUN_TOLERANCES, group.arrivals !== 'deterministic', label, skip);
        const exact = { abs: 0, rel: 0 };
        const flowReports = [
          compareColumns('e2eLatency', got.e2eLatency, cpu.e2eLatency, LATENCY_TOL, label, skip),
          compareColumns('inFlight', got.inFlight, cpu.inFlight, group.arrivals === 'deterministic' ? FLOW_TOL : exact, label, skip),
          compareColumns(
            'forkParents',
            got.forkParents,
            cpu.forkParents,
            group.arrivals === 'deterministic' ? FLOW_TOL : exact,
            label,
            skip,
          ),
        ].filter((x): x is string => x !== null);
        expect([...reports, ...flowReports], [...reports, ...flowReports].join('\n')).toEqual([]);
        // Something was routed (the case is not vacuous), and fluid runs routed fractions.
        let routed = 0;
        for (let r = 0; r < batch.runs.count; r++)
          for (let j = cpuTotals.agentOffset[r]!; j < cpuTotals.agentOffset[r]! + cpuTotals.agentCount[r]!; j++)
            routed += totals.routedSum[j]!;
        // Every case routes (but the one without routing), and the fork-joins hold parents on both kernels.
        const forkRuns = { narrow: 0, wide: 0 };
        for (let r = 0; r < batch.runs.count; r++) if (got.forkParents[r]! > 0) forkRuns[kernel(r) as 'narrow' | 'wide']++;
        if (group.name.includes('without routing')) expect([routed, forkRuns.narrow, forkRuns.wide]).toEqual([0, 0, 0]);
        else {
          expect(routed).toBeGreaterThan(0);
          expect(Math.min(forkRuns.narrow, forkRuns.wide)).toBeGreaterThan(0);
        }
        expect(batch.runs.count > 0 && [...Array(batch.runs.count).keys()].some(fluid)).toBe(group.arrivals === 'deterministic');
      }
      assertNoUncapturedErrors();
    },
    120_000,
  );

  it('routes with p = 0 give the plain narrow kernel’s bits, every policy', async () => {
    // Small fleets (the narrow kernels): the plain wide kernel's pipeline would add its compile time to
    // the file; the wide workflow kernel shares serveFlow and its allocation with the narrow one.
    const plain = Array.from({ length: 8 }, (_, i) => testFleet(31, i)).filter((f) => f.agents.length <= WIDE_ABOVE);
    // Every agent routes to the next with p = 0: a workflow (the flow kernels) that never routes.
    const zero = plain.map((fleet) => ({
      ...fleet,
      agents: fleet.agents.map((a, i) => ({ ...a, routes: [{ to: (i + 1) % fleet.agents.length, p: 0 }] })),
    }));
    for (const config of [{}, { signal: 'observed' as const, warmup: 10 }]) {
      const a = batchOf(plain, 'poisson', config, 1, 100);
      const b = batchOf(zero, 'poisson', config, 1, 100);
      expect(gpuEngine.planChunks(b).every((c) => c.flow && c.kernel === 'narrow')).toBe(true);
      expect(gpuEngine.planChunks(a).some((c) => c.flow)).toBe(false);
      const want = await gpuEngine.run(a);
      const got = await gpuEngine.run(b);
      const differences: string[] = [];
      for (const field of TOTAL_FIELDS) {
        for (let j = 0; j < want[field].length; j++) {
          if (!Object.is(got[field][j], want[field][j])) differences.push(`${field}[${j}]: ${got[field][j]} vs ${want[field][j]}`);
        }
      }
      expect(differences.slice(0, 20), differences.slice(0, 20).join('\n')).toEqual([]);
    }
    assertNoUncapturedErrors();
    // The plain narrow kernel's all-policies pipeline compiles here at first dispatch: minutes on a cold,
    // loaded lavapipe (869 s once at load 8–10), hence the long limit.
  }, 900_000);
});
