/**
 * Host and WGSL agree: struct layouts (parsed from the shaders by webgpu-utils, the WGSL being the
 * source of truth), policy and arrival-mode ids, and the constant tables both sides hard-code.
 * Each check fails when one side changes alone.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { makeShaderDataDefinitions } from 'webgpu-utils';
import { MAX_GROUP_RUNS } from '../src/gpu/pack.js';
import { AGENT_STATE, ALL_LAYOUTS, byteSize, FLOW_STATE, offsets } from '../src/gpu/layout.js';
import { kernelSource, SHADER_FILES, type ShaderSources, SIMULATE_KERNEL } from '../src/gpu/kernels.js';
import { MAX_AGENTS_PER_FLEET } from '../src/model/batch.js';
import { ARRIVAL_PROCESS_ID as ARRIVAL_MODE_ID, SIGNAL_ID as SIGNAL_MODE_ID, WORK_MODE_ID } from '../src/model/modes.js';
import { generatedWgsl, groupPathCode } from '../src/gpu/wgsl.js';
import { IN_SYSTEM_SLACK } from '../src/model/metrics.js';
import { MAX_POLICY_SCALARS, POLICY } from '../src/model/policies.js';
import { shaderDir } from '../src/platform/node.js'; // also installs the WebGPU globals webgpu-utils reads
import { MAX_COUNTER_AGENTS } from '../src/random/philox.js';
import { STIRLERR_TABLE } from '../src/random/poisson.js';
import { MAX_WORK_DRAWS } from '../src/random/work.js';

const source = (name: string): string => readFileSync(join(shaderDir(), `${name}.wgsl`), 'utf8');
const wgsl = [generatedWgsl(true), ...SHADER_FILES.map(source)].join('\n');

/** Value of `const NAME: type = value;` in the WGSL. */
function wgslConst(name: string): string {
  const match = new RegExp(`const ${name}\\s*:\\s*\\w+\\s*=\\s*([^;]+);`).exec(wgsl);
  if (!match) throw new Error(`const ${name} not found in shaders/`);
  return match[1]!.trim();
}

describe('pipeline paths', () => {
  // A paper pipeline's code must not name the general processes at all: named even from a branch an
  // override folds away, they were most of its compile on lavapipe (bench/NOTES.md).
  it.each([
    [false, 'paperArrive'],
    [true, 'generalArrive'],
  ] as const)('a simulate kernel with general = %s gets an arrive() calling %s alone', (general, callee) => {
    const sources = Object.fromEntries(SHADER_FILES.map((name) => [name, source(name)])) as unknown as ShaderSources;
    const code = kernelSource(SIMULATE_KERNEL, sources, 'all', { general, stepwise: true });
    const arrive = /fn arrive\([^)]*\) -> vec2<f32> \{([^}]*)\}/.exec(code);
    expect(arrive, 'fn arrive missing from the generated WGSL').not.toBeNull();
    expect(arrive![1]!.trim()).toBe(`return ${callee}(p, state, run, key, t, i);`);
    expect(source('arrivals')).not.toMatch(/\bfn arrive\(/); // one definition per pipeline: the generated one
  });

  it.each([
    [false, ['fixedGroup']],
    [true, ['fixedGroup', 'stepwiseGroup']],
  ] as const)('the narrow kernel with stepwise = %s gets a simulateGroup() calling %j', (stepwise, callees) => {
    const code = groupPathCode(stepwise).join('\n');
    const called = [...code.matchAll(/\b(\w+Group)\(/g)].map((m) => m[1]).filter((name) => name !== 'simulateGroup');
    expect([...new Set(called)].sort()).toEqual([...callees].sort());
    expect(source('simulate')).not.toMatch(/\bfn simulateGroup\(/); // one definition per pipeline: the generated one
    expect(source('simulate')).toMatch(/\bsimulateGroup\(/); // and the kernel calls it
  });
});

describe('struct layouts', () => {
  const defs = makeShaderDataDefinitions(wgsl).structs;

  it.each(ALL_LAYOUTS.map((l) => [l.name, l] as const))('%s matches the WGSL field by field', (name, layout) => {
    const def = defs[name];
    expect(def, `struct ${name} missing from shaders/`).toBeDefined();
    const wgslFields = Object.entries(def!.fields).map(([field, f]) => {
      const type = (f.type as { type?: string }).type;
      return [field, f.offset, type];
    });
    const hostOffsets = offsets(layout);
    const hostFields = layout.fields.map(([field, type]) => [field, hostOffsets[field], type]);
    expect(hostFields).toEqual(wgslFields);
    expect(byteSize(layout)).toBe(def!.size);
  });

  it('gives the plain kernels an AgentState without the workflow kernels’ state and stepped totals', () => {
    // The plain simulate kernels' generated text (flow false) holds AGENT_STATE; the workflow kernels' FLOW_STATE.
    const def = makeShaderDataDefinitions(generatedWgsl(true, 'all', false)).structs['AgentState']!;
    const plain = offsets(AGENT_STATE);
    expect(AGENT_STATE.fields.map(([field, type]) => [field, plain[field], type])).toEqual(
      Object.entries(def.fields).map(([field, f]) => [field, f.offset, (f.type as { type?: string }).type]),
    );
    expect(byteSize(AGENT_STATE)).toBe(def.size);
    const flowOnly = FLOW_STATE.fields.filter(([field]) => !(field in plain)).map(([field]) => field);
    expect(flowOnly).toEqual(
      expect.arrayContaining(['head', 'inbox0', 'phase', 'rank', 'home', 'routedSum', 'coldStartSum', 'memoryPeak']),
    );
    expect(AGENT_STATE.words).toBeLessThan(FLOW_STATE.words / 2);
  });
});

describe('ids and tables shared by both sides', () => {
  it('numbers the policies alike', () => {
    expect(Number.parseInt(wgslConst('POLICY_STATIC'))).toBe(POLICY.static);
    expect(Number.parseInt(wgslConst('POLICY_ROUND_ROBIN'))).toBe(POLICY.roundRobin);
    expect(Number.parseInt(wgslConst('POLICY_ADAPTIVE'))).toBe(POLICY.adaptive);
  });

  it('numbers the arrival modes alike', () => {
    expect(Number.parseInt(wgslConst('ARRIVALS_DETERMINISTIC'))).toBe(ARRIVAL_MODE_ID.deterministic);
    expect(Number.parseInt(wgslConst('ARRIVALS_POISSON'))).toBe(ARRIVAL_MODE_ID.poisson);
  });

  it('numbers the work and signal modes alike', () => {
    expect(Number.parseInt(wgslConst('WORK_DETERMINISTIC'))).toBe(WORK_MODE_ID.deterministic);
    expect(Number.parseInt(wgslConst('WORK_EXPONENTIAL'))).toBe(WORK_MODE_ID.exponential);
    expect(Number.parseInt(wgslConst('SIGNAL_NOMINAL'))).toBe(SIGNAL_MODE_ID.nominal);
    expect(Number.parseInt(wgslConst('SIGNAL_OBSERVED'))).toBe(SIGNAL_MODE_ID.observed);
    expect(Number.parseInt(wgslConst('SIGNAL_EMA'))).toBe(SIGNAL_MODE_ID.ema);
  });

  it('uses the same work and in-system constants', () => {
    expect(Number(wgslConst('IN_SYSTEM_SLACK'))).toBe(IN_SYSTEM_SLACK);
    expect(wgslConst('MAX_WORK_DRAWS')).toBe(`${MAX_WORK_DRAWS}u`);
  });

  it('holds the same stirlerr table', () => {
    const match = /const STIRLERR = array<f32, 16>\(([^)]*)\);/.exec(wgsl);
    const values = match![1]!.split(',').map((v) => Math.fround(Number(v)));
    expect(values).toEqual(STIRLERR_TABLE);
  });

  it('sizes the wide kernel for the largest fleet the host accepts', () => {
    expect(wgslConst('MAX_WIDE_AGENTS')).toBe(`${MAX_AGENTS_PER_FLEET}u`);
    // one f32 per agent in workgroup memory, within WebGPU's default maxComputeWorkgroupStorageSize
    expect(4 * MAX_AGENTS_PER_FLEET).toBeLessThanOrEqual(16384);
    // agent indices stay below the Philox counter slot of the fleet-level draws (MAX_COUNTER_AGENTS − 1)
    expect(MAX_AGENTS_PER_FLEET).toBeLessThan(MAX_COUNTER_AGENTS - 1);
  });

  it('holds as many allocation scalars as the host (MAX_POLICY_SCALARS)', () => {
    const match = /scalars: array<f32, (\d+)>/.exec(wgsl);
    expect(Number(match?.[1])).toBe(MAX_POLICY_SCALARS);
  });

  it('groups no more runs per invocation than the narrow kernel holds', () => {
    expect(wgslConst('MAX_GROUP_RUNS')).toBe(`${MAX_GROUP_RUNS}u`);
  });

  it('uses the same sampler constants', () => {
    expect(Number(wgslConst('INVERSION_MAX_MEAN'))).toBe(10);
    expect(wgslConst('SHIFT_FX')).toBe(`${Math.floor(0.43 * 2 ** 24)}u`);
  });
});
