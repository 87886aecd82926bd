/**
 * Host mirrors of the WGSL structs in shaders/*.wgsl. The WGSL is the source of truth: each entry
 * lists the fields in declaration order, and test/layout.test.ts parses the shaders (webgpu-utils)
 * and fails when the names, order, types or offsets drift apart.
 */

export type ScalarType = 'u32' | 'f32' | 'vec4<u32>';

export interface StructLayout {
  name: string;
  fields: readonly (readonly [string, ScalarType])[];
}

const SIZE: Record<ScalarType, number> = { u32: 4, f32: 4, 'vec4<u32>': 16 };

/** Byte offset of each field (every field here is 4-byte or 16-byte aligned and in order). */
export function offsets(layout: StructLayout): Record<string, number> {
  const out: Record<string, number> = {};
  let at = 0;
  for (const [name, type] of layout.fields) {
    const size = SIZE[type];
    at = Math.ceil(at / size) * size;
    out[name] = at;
    at += size;
  }
  return out;
}

/** Struct size in bytes, rounded up to its alignment as WGSL does. */
export function byteSize(layout: StructLayout): number {
  let at = 0;
  let align = 4;
  for (const [, type] of layout.fields) {
    const size = SIZE[type];
    align = Math.max(align, size);
    at = Math.ceil(at / size) * size + size;
  }
  return Math.ceil(at / align) * align;
}

/** Word index (4-byte units) of every field, for filling Uint32Array/Float32Array views. */
export function words(layout: StructLayout): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [name, at] of Object.entries(offsets(layout))) out[name] = at / 4;
  return out;
}

export const SIM_PARAMS: StructLayout = {
  name: 'SimParams',
  fields: [
    ['stepBegin', 'u32'],
    ['stepEnd', 'u32'],
    ['runCount', 'u32'],
    ['gridWidth', 'u32'],
    ['seedLo', 'u32'],
    ['seedHi', 'u32'],
    ['arrivalMode', 'u32'],
    ['opaqueZero', 'u32'],
    ['dt', 'f32'],
    ['lmax', 'f32'],
    ['warmup', 'u32'],
    ['workMode', 'u32'],
    ['signalMode', 'u32'],
    ['emaAlpha', 'f32'],
    ['groupCount', 'u32'],
    ['_pad2', 'u32'],
  ],
};

export const RUN: StructLayout = {
  name: 'Run',
  fields: [
    ['agentOffset', 'u32'],
    ['agentCount', 'u32'],
    ['policy', 'u32'],
    ['stream', 'u32'],
    ['replicate', 'u32'],
    ['capacity', 'f32'],
    ['_pad0', 'u32'],
    ['_pad1', 'u32'],
  ],
};

export const AGENT_PARAMS: StructLayout = {
  name: 'AgentParams',
  fields: [
    ['T', 'f32'],
    ['R', 'f32'],
    ['P', 'f32'],
    ['lambda', 'f32'],
    ['scheduleOffset', 'u32'],
    ['scheduleCount', 'u32'],
  ],
};

export const SEGMENT: StructLayout = {
  name: 'Segment',
  fields: [
    ['start', 'u32'],
    ['multiplier', 'f32'],
  ],
};

export const AGENT_STATE: StructLayout = {
  name: 'AgentState',
  fields: [
    ['queue', 'f32'],
    ['latencySum', 'f32'],
    ['latencyComp', 'f32'],
    ['servedSum', 'f32'],
    ['servedComp', 'f32'],
    ['queueSum', 'f32'],
    ['queueComp', 'f32'],
    ['shareSum', 'f32'],
    ['shareComp', 'f32'],
    ['arrivedSum', 'f32'],
    ['arrivedComp', 'f32'],
    ['rate', 'f32'],
    ['systemSum', 'f32'],
    ['systemComp', 'f32'],
  ],
};

export const DRAW_PARAMS: StructLayout = {
  name: 'DrawParams',
  fields: [
    ['seedLo', 'u32'],
    ['seedHi', 'u32'],
    ['count', 'u32'],
    ['gridWidth', 'u32'],
  ],
};

export const DRAW_QUERY: StructLayout = {
  name: 'DrawQuery',
  fields: [
    ['stream', 'u32'],
    ['replicate', 'u32'],
    ['step', 'u32'],
    ['agent', 'u32'],
    ['mean', 'f32'],
    ['withWork', 'u32'],
    ['_pad1', 'u32'],
    ['_pad2', 'u32'],
  ],
};

export const DRAW_RESULT: StructLayout = {
  name: 'DrawResult',
  fields: [
    ['block0', 'vec4<u32>'],
    ['count', 'u32'],
    ['drawsUsed', 'u32'],
    ['work', 'f32'],
    ['_pad1', 'u32'],
  ],
};

export const ALL_LAYOUTS = [SIM_PARAMS, RUN, AGENT_PARAMS, SEGMENT, AGENT_STATE, DRAW_PARAMS, DRAW_QUERY, DRAW_RESULT];
