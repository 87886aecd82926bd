/**
 * The policy registry walked entry by entry (src/model/policies.ts POLICIES): each policy's table
 * entry is well formed, its WGSL functions exist in shaders/policies.wgsl, its declared traits are
 * honest (a policy that does not declare `variesWithStep` or `readsSignal` must not change its shares
 * with the step or the rates: the engines' fast paths freeze it otherwise), and it gives the CPU
 * engine's results on both GPU kernels, under every signal. A policy added on one side only fails
 * here by name.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { crossRuns, type FleetSpec, makeBatch, packFleets, type SimConfig } from '../src/model/batch.js';
import { allocate, type FleetView, fleetView, newAllocation, shareOf } from '../src/model/allocate.js';
import { SIGNALS } from '../src/model/modes.js';
import { MAX_POLICY_PASSES, PAPER_POLICIES, POLICIES, POLICY, POLICY_NAMES, type PolicyName } from '../src/model/policies.js';
import { constantCase } from '../src/model/modes.js';
import { poolPolicyProblem, POOL_RULE_ID } from '../src/model/pool.js';
import { generatedWgsl, KERNEL_POLICY_SETS, type KernelPolicySet, kernelPolicySet } from '../src/gpu/wgsl.js';
import { shaderDir } from '../src/platform/node.js';
import { testFleet, wideTestFleet } from './helpers/fleets.js';
import { bothKernels, expectKernelsMatchCpu, gpu, gpuSkipReason } from './helpers/gpu.js';

const names = POLICY_NAMES.map((name) => [name] as const);
const policiesWgsl = readFileSync(join(shaderDir(), 'policies.wgsl'), 'utf8');

/** A fleet as the allocator sees it, with rates `rate`. */
function view(fleet: FleetSpec, rate: readonly number[], backlog: readonly number[] = rate): FleetView {
  const settings = { dt: 1, queueTau: 10, sliceOverhead: 0, maxMinFloor: false };
  return fleetView(packFleets([fleet]), 0, fleet.agents.length, fleet.capacity ?? 1, rate, backlog, settings);
}

function shares(policy: PolicyName, f: FleetView, step: number): number[] {
  const a = allocate(POLICY[policy], f, step, newAllocation());
  return Array.from({ length: f.count }, (_, i) => shareOf(a, f, i));
}

describe('the policy registry', () => {
  it('numbers the policies 0, 1, 2, … in declaration order, with unique labels and colours', () => {
    expect(POLICY_NAMES.map((name) => POLICIES[name].id)).toEqual(POLICY_NAMES.map((_, i) => i));
    expect(new Set(POLICY_NAMES.map((name) => POLICIES[name].label)).size).toBe(POLICY_NAMES.length);
    expect(new Set(POLICY_NAMES.map((name) => POLICIES[name].colour)).size).toBe(POLICY_NAMES.length);
  });

  it('names the paper’s three policies apart from the rest', () => {
    expect(PAPER_POLICIES).toEqual(['static', 'roundRobin', 'adaptive']);
  });

  it.each(names)('%s: the GPU kernels of its policy set call it, and only those sets', (name) => {
    // A kernel is compiled with the smallest set holding its runs' policies (src/gpu/wgsl.ts): a policy
    // missing from its set's switches would silently get the fallback share 0.
    const set = kernelPolicySet([POLICY[name]]);
    expect(set).toBe(POLICIES[name].paper ? 'paper' : 'all');
    for (const [candidate, members] of Object.entries(KERNEL_POLICY_SETS)) {
      const code = generatedWgsl(true, candidate as KernelPolicySet);
      const called = code.includes(`return ${name}Share(`);
      expect(called, `${candidate} kernel calls ${name}Share`).toBe(members.includes(name));
      if (candidate === set) expect(called).toBe(true);
    }
    expect(kernelPolicySet([POLICY.static, POLICY[name]])).toBe(set);
  });

  it.each(names)('%s: the GPU kernels’ policyPoolRule gives its pool form (PolicyDef.pool), or a pool refuses it', (name) => {
    // src/gpu/wgsl.ts generates the switch from the registry: a policy whose pool form the kernels do
    // not know would get the fallback (its share unchanged, `fill`) on a pool fleet.
    const rule = POLICIES[name].pool;
    for (const [candidate, members] of Object.entries(KERNEL_POLICY_SETS)) {
      if (!members.includes(name)) continue;
      const code = generatedWgsl(true, candidate as KernelPolicySet);
      const body = /fn policyPoolRule\(policy: u32\) -> u32 \{([\s\S]*?)\n\}/.exec(code)?.[1];
      expect(body, `${candidate}: fn policyPoolRule`).toBeDefined();
      const returned = new RegExp(`case POLICY_${constantCase(name)}: \\{\\s*return (\\w+);`).exec(body!)?.[1];
      expect(returned, `${candidate}: policyPoolRule's case for ${name}`).toBe(rule === null ? undefined : `POOL_${constantCase(rule)}`);
      // Only the workflow kernels step pools: the plain kernels' text does not change.
      expect(generatedWgsl(true, candidate as KernelPolicySet, false)).not.toMatch(/policyPoolRule|POOL_/);
    }
    if (rule === null) expect(poolPolicyProblem(name)).toMatch(/use gpuMode "placement"/);
    else {
      expect(poolPolicyProblem(name)).toBeNull();
      const value = new RegExp(`const POOL_${constantCase(rule)}: u32 = (\\d+)u;`).exec(generatedWgsl(true))?.[1];
      expect(Number(value)).toBe(POOL_RULE_ID[rule]);
    }
  });

  it.each(names)('%s: entry well formed', (name) => {
    const def = POLICIES[name];
    expect(def.colour).toMatch(/^#[0-9a-f]{6}$/);
    expect(Number.isInteger(def.passes) && def.passes >= 0 && def.passes <= MAX_POLICY_PASSES).toBe(true);
  });

  it.each(names)('%s: its WGSL functions are in shaders/policies.wgsl', (name) => {
    const needed = [`${name}Share`, ...(POLICIES[name].passes > 0 ? [`${name}Term`, `${name}Finish`] : [])];
    for (const fn of needed) expect(policiesWgsl, `fn ${fn} missing from shaders/policies.wgsl`).toMatch(new RegExp(`\\bfn ${fn}\\(`));
  });

  it.each(names)('%s: shares are ≥ 0 and sum to at most G', (name) => {
    for (let k = 0; k < 40; k++) {
      const fleet = testFleet(11, k);
      const f = view(
        fleet,
        fleet.agents.map((a) => a.lambda),
      );
      for (const step of [0, 1, 7]) {
        const g = shares(name, f, step);
        for (const x of g) expect(x).toBeGreaterThanOrEqual(0);
        expect(g.reduce((s, x) => s + x, 0)).toBeLessThanOrEqual(f.capacity * (1 + 1e-12));
      }
    }
  });

  it.each(names)('%s: declares every way its shares change (the fast paths rely on it)', (name) => {
    const def = POLICIES[name];
    for (let k = 0; k < 20; k++) {
      const fleet = testFleet(12, k);
      const rates = fleet.agents.map((a) => a.lambda);
      const backlogs = fleet.agents.map((_, i) => (i % 3 === 0 ? 0 : 0.5 + i));
      const nominal = view(fleet, rates, backlogs);
      const moved = view(
        fleet,
        fleet.agents.map((a, i) => a.lambda * (1 + ((i * 7) % 5)) + 1),
        backlogs,
      );
      const otherBacklogs = view(
        fleet,
        rates,
        backlogs.map((b, i) => (i % 2 === 0 ? 0 : b * 3 + 1)),
      );
      const n = nominal.count;
      if (!def.variesWithStep) for (const step of [1, n, 2 * n + 1]) expect(shares(name, nominal, step)).toEqual(shares(name, nominal, 0));
      if (!def.readsSignal) expect(shares(name, moved, 3)).toEqual(shares(name, nominal, 3));
      if (!def.readsBacklog) expect(shares(name, otherBacklogs, 3)).toEqual(shares(name, nominal, 3));
      // Reading the backlogs makes the shares per-run state: the engines must never freeze them.
      if (def.readsBacklog) expect(def.readsState).toBe(true);
    }
  });
});

describe.skipIf(!gpu)('every policy on both engines and both GPU kernels', () => {
  if (gpuSkipReason) console.warn(gpuSkipReason);
  const config: SimConfig = { dt: 0.1, steps: 300, lmax: 999, price: 0.72, arrivals: 'poisson', seed: 99, warmup: 20 };
  // Small fleets (the narrow kernel) and fleets above WIDE_ABOVE (the wide one).
  const fleets: FleetSpec[] = [
    ...Array.from({ length: 12 }, (_, k) => testFleet(21, k)),
    wideTestFleet(22, 0, 70),
    wideTestFleet(22, 1, 130),
  ];

  // One pair of engines for every policy: each pipeline (policy set × arrival path × kernel) compiles once.
  let kernels: Awaited<ReturnType<typeof bothKernels>>;
  beforeAll(async () => {
    kernels = await bothKernels();
  }, 600_000);

  it.each(names)('%s: GPU = CPU on the narrow and the wide kernel, every signal', async (name) => {
    for (const signal of SIGNALS) {
      // Alone, and in a group with the paper's policies (the narrow kernel's shared arrivals).
      for (const policies of [[POLICY[name]], [...new Set([POLICY[name], ...PAPER_POLICIES.map((p) => POLICY[p])])]]) {
        const batch = makeBatch(packFleets(fleets), crossRuns(fleets.length, policies, 2), { ...config, signal });
        // The runs of this policy only: the others are there to share its arrivals.
        const others = (r: number): boolean => batch.runs.policy[r] !== POLICY[name];
        const label = (kernel: string, r: number): string => `${name} ${kernel} ${signal} run ${r} (policy ${batch.runs.policy[r]})`;
        await expectKernelsMatchCpu(batch, kernels, label, true, others);
      }
    }
  });
});
