/**
 * WGSL generated from the host's tables, prepended to every kernel (kernelSource), so that an id, an
 * enumeration, a total or a policy is written once, in TypeScript: the enumerations' constants (src/model/
 * modes.ts: `ARRIVALS_POISSON`, `SIGNAL_EMA`, …), struct AgentState (src/gpu/layout.ts), the policies' ids (`POLICY_ADAPTIVE`) and the
 * switches that call each policy's functions in shaders/policies.wgsl by id (policyShare, policyTerm,
 * policyFinish) or answer its traits (policyPasses, policyReadsSignal, policyReadsState,
 * policyVariesWithStep) and, in the workflow kernels, its form in a pool of GPUs (policyPoolRule:
 * POOL_CAP, POOL_FILL, POOL_TURNS, from PolicyDef.pool). A policy missing its WGSL functions fails to compile, naming them.
 *
 * @example
 *   const code = `${generatedWgsl()}\n${sources.common}…`; // what kernelSource does
 */
import { ARRIVAL_FLAG } from '../random/arrivals.js';
import { constantCase, WGSL_ENUMS } from '../model/modes.js';
import { MIG_SLICES } from '../model/batch.js';
import { FILL_BISECTIONS, FILL_CLASSIFY, FILL_GUARD } from '../model/clampFill.js';
import { NEED_SLACK, PAPER_POLICIES, POLICIES, POLICY_NAMES, type PolicyDef, type PolicyName } from '../model/policies.js';
import { MAX_SUCCESSORS, MAX_WORKFLOW_AGENTS, NO_AGENT } from '../model/workflow.js';
import { ELIGIBLE_ID, EVICTION_ID, MAX_EVICTIONS_PER_STEP, NO_LIMIT, PHASE } from '../model/lifecycle.js';
import { MAX_GPUS } from '../model/placement.js';
import { POOL_RULE_ID } from '../model/pool.js';
import {
  agentParamsWgsl,
  agentStateWgsl,
  arrivalStateWgsl,
  MAX_DISPATCH_STEPS,
  ROUTE_WORDS,
  RUN_FLOW,
  simulateBindingsWgsl,
} from './layout.js';

const u32 = (n: number): string => `${n}u`;

function enumConstants(): string[] {
  const lines: string[] = [];
  for (const { prefix, names, about } of WGSL_ENUMS) {
    lines.push(`// ${about}`);
    names.forEach((name, id) => lines.push(`const ${prefix}_${constantCase(name)}: u32 = ${u32(id)};`));
  }
  lines.push("// Run.flow bits (src/gpu/layout.ts RUN_FLOW) and the workflows' constants (src/model/workflow.ts, layout.ts)");
  for (const [name, bit] of Object.entries(RUN_FLOW)) lines.push(`const RUN_FLOW_${constantCase(name)}: u32 = ${u32(bit)};`);
  lines.push(
    `const NO_AGENT: u32 = ${u32(NO_AGENT)};`,
    `const ROUTE_WORDS: u32 = ${u32(ROUTE_WORDS)};`,
    `const MAX_WORKFLOW_AGENTS: u32 = ${u32(MAX_WORKFLOW_AGENTS)};`,
    // Written out, not a product of the two: webgpu-utils' WGSL reflection (test/layout.test.ts) mis-types that const expression.
    `const MAX_WORKFLOW_EDGES: u32 = ${u32(MAX_WORKFLOW_AGENTS * MAX_SUCCESSORS)};`,
  );
  lines.push('// The lifecycle (src/model/lifecycle.ts): phases, eligibility and eviction rules, limits');
  for (const [name, id] of Object.entries(PHASE)) lines.push(`const PHASE_${constantCase(name)}: u32 = ${u32(id)};`);
  for (const [name, id] of Object.entries(ELIGIBLE_ID)) lines.push(`const ELIGIBLE_${constantCase(name)}: u32 = ${u32(id)};`);
  for (const [name, id] of Object.entries(EVICTION_ID)) lines.push(`const EVICT_${constantCase(name)}: u32 = ${u32(id)};`);
  lines.push(`const NO_LIMIT: u32 = ${u32(NO_LIMIT)};`, `const MAX_EVICTIONS_PER_STEP: u32 = ${u32(MAX_EVICTIONS_PER_STEP)};`);
  lines.push('// Several GPUs per fleet (src/model/placement.ts)', `const MAX_GPUS: u32 = ${u32(MAX_GPUS)};`);
  lines.push('// SimParams.arrivalFlags bits (src/random/arrivals.ts ARRIVAL_FLAG)');
  for (const [name, bit] of Object.entries(ARRIVAL_FLAG)) lines.push(`const ARRIVAL_FLAG_${constantCase(name)}: u32 = ${u32(bit)};`);
  return lines;
}

/**
 * Which policies a simulate kernel's switches call (KERNEL_POLICY_SETS): `paper`, the paper's three
 * (what most runs use), or `all`. A policy left out of the switches is never called, so the shader
 * compiler drops its functions: on lavapipe the paper set compiles in about half the time of all ten
 * (the clampFill policies' passes are most of the code). A run whose policy its kernel lacks would
 * get the switches' fallback, so the engine picks the set from the runs (src/gpu/engine.ts).
 */
export type KernelPolicySet = 'paper' | 'all';
export const KERNEL_POLICY_SETS: Readonly<Record<KernelPolicySet, readonly PolicyName[]>> = {
  paper: PAPER_POLICIES,
  all: POLICY_NAMES,
};

/** The smallest policy set holding every policy id of `policies`. */
export function kernelPolicySet(policies: Iterable<number>): KernelPolicySet {
  for (const id of policies) if (!POLICIES[POLICY_NAMES[id]!].paper) return 'all';
  return 'paper';
}

/** A `switch` on `selector` over the policies of `set`, each case returning `body(name, def)`, else `fallback`. */
function policySwitch(
  signature: string,
  selector: string,
  body: (name: string, def: PolicyDef) => string | null,
  fallback: string,
  set: readonly PolicyName[],
): string[] {
  const lines = [`fn ${signature} {`, `  switch ${selector} {`];
  for (const name of set) {
    const value = body(name, POLICIES[name]);
    if (value !== null) lines.push(`    case POLICY_${constantCase(name)}: {`, `      return ${value};`, '    }');
  }
  lines.push('    default: {', `      return ${fallback};`, '    }', '  }', '}');
  return lines;
}

function policyCode(set: readonly PolicyName[]): string[] {
  const lines = ['// allocation policies (src/model/policies.ts POLICIES; their functions: shaders/policies.wgsl)'];
  for (const name of POLICY_NAMES) lines.push(`const POLICY_${constantCase(name)}: u32 = ${u32(POLICIES[name].id)};`);
  // The policies' constants (src/model/batch.ts, clampFill.ts, policies.ts), exact in f32.
  lines.push(
    `const MIG_SLICES: f32 = ${MIG_SLICES.toFixed(1)};`,
    `const FILL_BISECTIONS: u32 = ${u32(FILL_BISECTIONS)};`,
    // Written out, not `3u + FILL_BISECTIONS`: webgpu-utils' WGSL reflection (test/layout.test.ts) mis-types that const expression.
    `const FILL_CLASSIFY: u32 = ${u32(FILL_CLASSIFY)};`,
    `const FILL_GUARD: u32 = ${u32(FILL_GUARD)};`,
    `const NEED_SLACK: f32 = ${NEED_SLACK};`,
  );
  const trait = (fn: string, key: 'readsSignal' | 'readsState' | 'variesWithStep' | 'readsBacklog'): string[] =>
    policySwitch(`${fn}(policy: u32) -> bool`, 'policy', (_, def) => (def[key] ? 'true' : null), 'false', set);
  lines.push(
    ...policySwitch('policyPasses(policy: u32) -> u32', 'policy', (_, def) => (def.passes > 0 ? u32(def.passes) : null), '0u', set),
    ...trait('policyReadsSignal', 'readsSignal'),
    ...trait('policyReadsState', 'readsState'),
    ...trait('policyVariesWithStep', 'variesWithStep'),
    ...trait('policyReadsBacklog', 'readsBacklog'),
    ...policySwitch(
      'policyMaxPasses(policy: u32) -> u32',
      'policy',
      (_, def) => (def.maxPasses !== 0 ? u32(def.maxPasses >>> 0) : null),
      '0u',
      set,
    ),
    ...policySwitch(
      'policyTerm(a: Allocation, level: u32, p: AgentParams, rate: f32, backlog: f32, index: u32, count: u32) -> f32',
      'a.policy',
      (name, def) => (def.passes > 0 ? `${name}Term(a, level, p, rate, backlog, index, count)` : null),
      '0.0',
      set,
    ),
    ...policySwitch(
      'policyFinish(a: Allocation, level: u32, sum: f32) -> Allocation',
      'a.policy',
      (name, def) => (def.passes > 0 ? `${name}Finish(a, level, sum)` : null),
      'a',
      set,
    ),
    ...policySwitch(
      'policyShare(a: Allocation, p: AgentParams, rate: f32, backlog: f32, index: u32, count: u32) -> f32',
      'a.policy',
      (name) => `${name}Share(a, p, rate, backlog, index, count)`,
      '0.0',
      set,
    ),
  );
  return lines;
}

/**
 * The workflow kernels' policyPoolRule: each policy's form in a pool of GPUs (PolicyDef.pool,
 * src/model/pool.ts; workflow.wgsl's poolShare). A policy without one (null) never runs on a pool
 * (validateBatch refuses it) and gets the fallback, its own share unchanged.
 */
function poolRuleCode(set: readonly PolicyName[]): string[] {
  return [
    "// A policy's form in a pool of GPUs (src/model/pool.ts POOL_RULE_ID, PolicyDef.pool)",
    ...Object.entries(POOL_RULE_ID).map(([name, id]) => `const POOL_${constantCase(name)}: u32 = ${u32(id)};`),
    ...policySwitch(
      'policyPoolRule(policy: u32) -> u32',
      'policy',
      (_, def) => (def.pool === null ? null : `POOL_${constantCase(def.pool)}`),
      'POOL_FILL',
      set,
    ),
  ];
}

const HEADER = '// Generated by src/gpu/wgsl.ts from the host tables; do not edit.';

/**
 * A simulate pipeline's `arrive` (shaders/arrivals.wgsl): `general`, every arrival process (generalArrive);
 * else the paper's processes alone (paperArrive). Chosen by which function the code names, not by an
 * override constant: WGSL compilers keep every function the code names, even from a branch an override
 * folds away, and on lavapipe the general path's code was then most of the paper pipeline's compile
 * (bench/NOTES.md, "The paper pipeline's compile").
 */
export function arrivalPathCode(general: boolean): string[] {
  return [
    `// This pipeline's arrival path (src/gpu/wgsl.ts arrivalPathCode): ${general ? 'every process' : "the paper's processes alone"}.`,
    'fn arrive(p: AgentParams, state: ptr<function, ArrivalState>, run: Run, key: vec2<u32>, t: u32, i: u32) -> vec2<f32> {',
    `  return ${general ? 'generalArrive' : 'paperArrive'}(p, state, run, key, t, i);`,
    '}',
  ];
}

/**
 * The generated WGSL: enumeration constants and structs AgentParams and AgentState for every kernel;
 * for the simulate kernels (`simulate`: they hold shaders/policies.wgsl) also the policy ids, the
 * switches over the policies of `policies` (KERNEL_POLICY_SETS; the workflow kernels' policyPoolRule too)
 * and the bindings of SIMULATE_BINDINGS. A pipeline's path functions (arrivalPathCode, groupPathCode) are
 * added by src/gpu/kernels.ts kernelSource, which knows the kernel's files.
 * AgentState is the workflow kernels' (`flow`, FLOW_STATE in src/gpu/layout.ts) or the plain kernels'
 * (AGENT_STATE, without the workflow state): a plain simulate kernel then gets `inboxAt` as the constant
 * 0 (nothing is routed to its agents), which shaders/workflow.wgsl defines for the workflow kernels.
 */
/**
 * The narrow kernel's `simulateGroup` (shaders/simulate.wgsl) for a pipeline with or without the stepwise path:
 * fixedGroup when every member's allocation is fixed, else stepwiseGroup; without the stepwise path, fixedGroup
 * alone (the host runs such a pipeline only on chunks whose allocations are all fixed, src/gpu/engine.ts). Named
 * only where needed, as arrivalPathCode's arrive: a loop the code names is compiled even when an override
 * folds its branch away.
 */
export function groupPathCode(stepwise: boolean): string[] {
  const args = 'members, run, r1, r2, r3, mask0, mask1, mask2, mask3';
  return [
    `// This pipeline's group loop (src/gpu/wgsl.ts groupPathCode): ${stepwise ? 'fixed or stepwise' : 'fixed allocations alone'}.`,
    'fn simulateGroup(',
    '  members: u32, run: Run, r1: Run, r2: Run, r3: Run, mask0: ptr<function, BusyMask>, mask1: ptr<function, BusyMask>,',
    '  mask2: ptr<function, BusyMask>, mask3: ptr<function, BusyMask>,',
    ') {',
    ...(stepwise
      ? ['  if (groupAllocationFixed(run, r1, r2, r3)) {', `    fixedGroup(${args});`, '  } else {', `    stepwiseGroup(${args});`, '  }']
      : [`  fixedGroup(${args});`]),
    '}',
  ];
}

export function generatedWgsl(simulate: boolean, policies: KernelPolicySet = 'all', flow = true): string {
  const common = [HEADER, ...enumConstants(), agentParamsWgsl(), agentStateWgsl(flow), arrivalStateWgsl()];
  const noInbox = [
    '// The requests routed to an agent for step t: none in a plain kernel (shaders/workflow.wgsl has the workflow kernels’).',
    'fn inboxAt(s: AgentState, t: u32) -> f32 {',
    '  return 0.0;',
    '}',
  ];
  const limits = [
    '// The most steps a dispatch advances (src/gpu/layout.ts MAX_DISPATCH_STEPS): the bits of a run busy mask.',
    `const MAX_DISPATCH_STEPS: u32 = ${u32(MAX_DISPATCH_STEPS)};`,
    `const BUSY_WORDS: u32 = ${u32(MAX_DISPATCH_STEPS / 32)};`,
  ];
  return (
    simulate
      ? [
          ...common,
          ...limits,
          ...policyCode(KERNEL_POLICY_SETS[policies]),
          ...(flow ? poolRuleCode(KERNEL_POLICY_SETS[policies]) : []),
          simulateBindingsWgsl(),
          ...(flow ? [] : noInbox),
        ]
      : common
  ).join('\n');
}
