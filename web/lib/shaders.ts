/** The WGSL sources, bundled by Vite from shaders/ (the same files Node reads from disk). */
import agentStep from '../../shaders/agentStep.wgsl?raw';
import allocate from '../../shaders/allocate.wgsl?raw';
import binomial from '../../shaders/binomial.wgsl?raw';
import binomialProbe from '../../shaders/binomialProbe.wgsl?raw';
import burstyProbe from '../../shaders/burstyProbe.wgsl?raw';
import busy from '../../shaders/busy.wgsl?raw';
import arrivals from '../../shaders/arrivals.wgsl?raw';
import common from '../../shaders/common.wgsl?raw';
import draws from '../../shaders/draws.wgsl?raw';
import f32math from '../../shaders/f32math.wgsl?raw';
import gamma from '../../shaders/gamma.wgsl?raw';
import lifecycle from '../../shaders/lifecycle.wgsl?raw';
import mmpp from '../../shaders/mmpp.wgsl?raw';
import philox from '../../shaders/philox.wgsl?raw';
import poisson from '../../shaders/poisson.wgsl?raw';
import policies from '../../shaders/policies.wgsl?raw';
import renewal from '../../shaders/renewal.wgsl?raw';
import replay from '../../shaders/replay.wgsl?raw';
import simulate from '../../shaders/simulate.wgsl?raw';
import simulateFlow from '../../shaders/simulateFlow.wgsl?raw';
import simulateWide from '../../shaders/simulateWide.wgsl?raw';
import simulateWideFlow from '../../shaders/simulateWideFlow.wgsl?raw';
import work from '../../shaders/work.wgsl?raw';
import workflow from '../../shaders/workflow.wgsl?raw';
import type { ShaderSources } from '../../src/gpu/kernels.js';

// Keyed by SHADER_FILES: the type makes a missing or extra file a compile error (add new shaders here).
export const SOURCES: ShaderSources = {
  common,
  philox,
  f32math,
  poisson,
  work,
  gamma,
  renewal,
  mmpp,
  replay,
  arrivals,
  policies,
  allocate,
  agentStep,
  busy,
  simulate,
  simulateWide,
  draws,
  burstyProbe,
  binomial,
  binomialProbe,
  workflow,
  lifecycle,
  simulateFlow,
  simulateWideFlow,
};
