/**
 * Kernel descriptors: which WGSL files make up each kernel (concatenated in order, common.wgsl first,
 * the file holding the entry point last) and its entry point. The sources themselves are injected
 * (ShaderSources): Node reads them from shaders/ (src/platform/node.ts), a browser bundles them.
 */
import { arrivalPathCode, generatedWgsl, groupPathCode, type KernelPolicySet } from './wgsl.js';

export const SHADER_FILES = [
  'common',
  'philox',
  'f32math',
  'poisson',
  'work',
  'gamma',
  'renewal',
  'mmpp',
  'replay',
  'arrivals',
  'policies',
  'allocate',
  'agentStep',
  'busy',
  'simulate',
  'simulateWide',
  'draws',
  'burstyProbe',
  'binomial',
  'binomialProbe',
  'workflow',
  'lifecycle',
  'simulateFlow',
  'simulateWideFlow',
] as const;
export type ShaderFile = (typeof SHADER_FILES)[number];

/** The text of every file in shaders/, keyed by base name (`common` is shaders/common.wgsl). */
export type ShaderSources = Readonly<Record<ShaderFile, string>>;

export interface KernelDescriptor {
  label: string;
  parts: readonly ShaderFile[];
  entryPoint: string;
  /** A simulate kernel: it holds shaders/policies.wgsl and gets the policy switches and SIMULATE_BINDINGS (one bind-group layout for both). */
  simulate?: boolean;
  /** A workflow kernel (shaders/workflow.wgsl): its AgentState is FLOW_STATE (src/gpu/layout.ts), every other kernel's AGENT_STATE. */
  flow?: boolean;
}

/** Small fleets: one invocation per group of runs sharing their arrivals (shaders/simulate.wgsl). */
export const SIMULATE_KERNEL: KernelDescriptor = {
  label: 'simulate',
  parts: [
    'common',
    'philox',
    'f32math',
    'poisson',
    'binomial',
    'work',
    'gamma',
    'renewal',
    'mmpp',
    'replay',
    'arrivals',
    'policies',
    'allocate',
    'agentStep',
    'busy',
    'simulate',
  ],
  entryPoint: 'simulate',
  simulate: true,
};

/** Large fleets: one workgroup per fleet run, reductions in workgroup memory (shaders/simulateWide.wgsl). */
export const SIMULATE_WIDE_KERNEL: KernelDescriptor = {
  label: 'simulateWide',
  parts: [
    'common',
    'philox',
    'f32math',
    'poisson',
    'binomial',
    'work',
    'gamma',
    'renewal',
    'mmpp',
    'replay',
    'arrivals',
    'policies',
    'allocate',
    'agentStep',
    'busy',
    'simulateWide',
  ],
  entryPoint: 'simulateWide',
  simulate: true,
};

/**
 * Workflow runs of small fleets (exponentialCount work, the lifecycle): simulate.wgsl's groups stepped every agent
 * per step (shaders/simulateFlow.wgsl; the lifecycle's shaders/lifecycle.wgsl). A pipeline of its own, so that
 * SIMULATE_KERNEL keeps its compile time.
 */
export const SIMULATE_FLOW_KERNEL: KernelDescriptor = {
  label: 'simulateFlow',
  parts: [...SIMULATE_KERNEL.parts, 'workflow', 'lifecycle', 'simulateFlow'],
  entryPoint: 'simulateFlow',
  simulate: true,
  flow: true,
};

/** Workflow runs of large fleets: a workgroup per run (shaders/simulateWideFlow.wgsl). */
export const SIMULATE_WIDE_FLOW_KERNEL: KernelDescriptor = {
  label: 'simulateWideFlow',
  parts: [...SIMULATE_WIDE_KERNEL.parts, 'workflow', 'lifecycle', 'simulateWideFlow'],
  entryPoint: 'simulateWideFlow',
  simulate: true,
  flow: true,
};

export const DRAWS_KERNEL: KernelDescriptor = {
  label: 'draws',
  parts: ['common', 'philox', 'f32math', 'poisson', 'work', 'draws'],
  entryPoint: 'draws',
};

/** Test probe of the bursty arrival processes (shaders/burstyProbe.wgsl, host src/gpu/burstyProbe.ts). */
export const BURSTY_PROBE_KERNEL: KernelDescriptor = {
  label: 'burstyProbe',
  parts: ['common', 'philox', 'f32math', 'poisson', 'gamma', 'renewal', 'mmpp', 'burstyProbe'],
  entryPoint: 'burstyProbe',
};

/** Test probe of the binomial sampler and the routing split (shaders/binomialProbe.wgsl, host src/gpu/binomialProbe.ts). */
export const BINOMIAL_PROBE_KERNEL: KernelDescriptor = {
  label: 'binomialProbe',
  parts: ['common', 'philox', 'f32math', 'poisson', 'binomial', 'binomialProbe'],
  entryPoint: 'binomialProbe',
};

/**
 * Which of a simulate kernel's paths a pipeline holds: `general`, every arrival process (its `arrive` is
 * shaders/arrivals.wgsl's generalArrive, else paperArrive: src/gpu/wgsl.ts arrivalPathCode); `stepwise`, the
 * narrow kernel's step-by-step loop for allocations that are not fixed (stepwiseGroup in shaders/simulate.wgsl:
 * groupPathCode). A path left out is not compiled, which on lavapipe takes the paper pipeline's compile from
 * ~1.4 s to under 0.2 s (bench/NOTES.md); the engine picks the pipeline from the chunk's runs, so results never
 * depend on it.
 */
export interface SimulatePath {
  general: boolean;
  stepwise: boolean;
}

export const ALL_PATHS: SimulatePath = { general: true, stepwise: true };

/**
 * The kernel's WGSL: the text generated from the host's tables (src/gpu/wgsl.ts), then its files in order. A
 * simulate kernel holds the policies of `policies` and the paths of `path`.
 */
export function kernelSource(
  kernel: KernelDescriptor,
  sources: ShaderSources,
  policies: KernelPolicySet = 'all',
  path = ALL_PATHS,
): string {
  const parts = kernel.parts.map((part) => `// ---- shaders/${part}.wgsl ----\n${sources[part]}`);
  // The pipeline's paths: every simulate kernel's `arrive`, and the narrow kernel's (simulate.wgsl) group loop.
  const paths = kernel.simulate === true ? arrivalPathCode(path.general) : [];
  if (kernel.parts.includes('simulate')) paths.push(...groupPathCode(path.stepwise));
  return [generatedWgsl(kernel.simulate === true, policies, kernel.flow === true), ...paths, ...parts].join('\n');
}
