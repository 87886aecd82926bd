/**
 * Host mirrors of the WGSL structs in shaders/*.wgsl, one typed table each: `struct()` gives each
 * field's word index (`RUN.word.policy`: a misspelt field does not compile), the byte size and the
 * words per element. The WGSL is the source of truth for the hand-written structs, and
 * test/layout.test.ts parses the shaders (webgpu-utils) and fails when the names, order, types or
 * offsets drift apart. AgentParams and AgentState are the exceptions: their text is generated from
 * the host's tables (agentParamsWgsl(), agentStateWgsl(): the fields below and the totals of
 * src/model/metrics.ts), as are the simulate kernels' bindings (simulateBindingsWgsl()).
 *
 * @example
 *   const words = new Uint32Array(RUN.words * runs); words[r * RUN.words + RUN.word.policy] = id;
 */
import { TOTALS } from '../model/metrics.js';

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

/** A struct's table with its derived word indices and sizes. */
export interface Struct<F extends string> extends StructLayout {
  readonly fields: readonly (readonly [F, ScalarType])[];
  /** Word index (4-byte units) of every field, for filling Uint32Array/Float32Array views. */
  readonly word: Readonly<Record<F, number>>;
  readonly bytes: number;
  /** 4-byte words per element (bytes / 4). */
  readonly words: number;
}

export function struct<const F extends string>(name: string, fields: readonly (readonly [F, ScalarType])[]): Struct<F> {
  const layout = { name, fields };
  const bytes = byteSize(layout);
  return { name, fields, word: words(layout) as Record<F, number>, bytes, words: bytes / 4 };
}

export const SIM_PARAMS = struct('SimParams', [
  ['stepBegin', 'u32'],
  ['stepEnd', 'u32'],
  ['runCount', 'u32'],
  ['gridWidth', 'u32'],
  ['seedLo', 'u32'],
  ['seedHi', 'u32'],
  ['arrivalFlags', 'u32'],
  ['opaqueZero', 'u32'],
  ['dt', 'f32'],
  ['lmax', 'f32'],
  ['warmup', 'u32'],
  ['workMode', 'u32'],
  ['signalMode', 'u32'],
  ['emaAlpha', 'f32'],
  ['groupCount', 'u32'],
  ['lateStart', 'u32'],
  ['queueTau', 'f32'],
  ['sliceOverhead', 'f32'],
  ['maxMinFloor', 'u32'],
  ['_pad0', 'u32'],
]);

export const RUN = struct('Run', [
  ['agentOffset', 'u32'],
  ['agentCount', 'u32'],
  ['policy', 'u32'],
  ['stream', 'u32'],
  ['replicate', 'u32'],
  ['capacity', 'f32'],
  ['_pad0', 'u32'],
  ['_pad1', 'u32'],
]);

/**
 * AgentParams, the per-agent parameters the kernels read: one row each, [field, type, comment, the
 * PackedFleets array it is copied from, per agent]. The GPU engine packs them by this table and
 * agentParamsWgsl() writes the WGSL struct, so a new per-agent parameter (an arrival process's, say)
 * is a row here plus its PackedFleets array. `scheduleOffset` has no source: it indexes the chunk's
 * own copy of the segments, and the packer sets it.
 */
export const AGENT_PARAM_FIELDS = [
  ['T', 'f32', 'base throughput with the whole GPU, requests/s', 'T'],
  ['R', 'f32', 'minimum GPU share, fraction of G', 'R'],
  ['P', 'f32', 'priority, 1 = most important (a lower number is more important)', 'P'],
  ['lambda', 'f32', 'nominal arrival rate, requests/s', 'lambda'],
  ['cap', 'f32', 'U_i: the most GPUs it may use (maxMinFair, mps, adaptiveWaterfill)', 'cap'],
  ['weight', 'f32', 'w_i: its maxMinFair weight (default 1/P)', 'weight'],
  ['slices', 'f32', 'k_i: its MIG slices, sevenths of a GPU (fixedShares)', 'slices'],
  ['scheduleOffset', 'u32', "index of the agent's first rate segment in `segments`", null],
  ['scheduleCount', 'u32', 'its rate segments (0: multiplier 1 throughout)', 'scheduleCount'],
  ['process', 'u32', 'its arrival process (ARRIVALS_*; the batch default resolved by the packer)', null],
  ['shape', 'f32', 'renewal: Gamma shape k = 1/cv² (and the Weibull leftover bridge’s)', 'shape'],
  ['beta', 'f32', 'weibull: shape β', 'beta'],
  ['scale', 'f32', 'weibull: scale η = 1/Γ(1 + 1/β)', 'scale'],
  ['psiHigh', 'f32', 'mmpp: relative intensity of the high state', 'psiHigh'],
  ['psiLow', 'f32', 'mmpp: relative intensity of the low state', 'psiLow'],
  ['qHighToLow', 'f32', 'mmpp: switching rate high → low, per second', 'qHighToLow'],
  ['qLowToHigh', 'f32', 'mmpp: switching rate low → high, per second', 'qLowToHigh'],
  ['traceFirst', 'u32', "index of the agent's trace's first step count in `traceCounts`", null],
  ['traceLength', 'u32', 'its steps (0: no trace)', null],
  ['traceStepsPerBin', 'u32', 'steps per bin: 1 for a request trace, 600 s / Δt for a ServeGen window', null],
  ['traceSpan', 'u32', 'the range L′ of the trace offsets (src/random/replay.ts traceSpan)', null],
  ['kappa', 'f32', 'trace scale κ = λ / the trace’s mean rate', 'kappa'],
  ['poissonTable', 'u32', 'its Poisson table’s first word in `traceCounts` (src/random/poissonTable.ts), or NO_TABLE', null],
] as const satisfies readonly (readonly [string, ScalarType, string, string | null])[];

export const AGENT_PARAMS = struct(
  'AgentParams',
  AGENT_PARAM_FIELDS.map(([name, type]) => [name, type] as const),
);

/** The WGSL text of struct AgentParams, prepended to the kernels by src/gpu/wgsl.ts. */
export function agentParamsWgsl(): string {
  return structWgsl(
    'AgentParams',
    [
      "An agent's parameters (model size M is descriptive and stays on the host). Generated from",
      'src/gpu/layout.ts (AGENT_PARAM_FIELDS).',
    ],
    AGENT_PARAM_FIELDS,
  );
}

export const SEGMENT = struct('Segment', [
  ['start', 'u32'],
  ['multiplier', 'f32'],
]);

/** AgentState's fields that are state rather than totals: [name, type, comment]. */
const AGENT_STATE_FIELDS = [
  ['queue', 'f32', 'backlog Q after the last processed step, requests'],
  ['rate', 'f32', 'λ̂ a signal-reading policy sees at the next step, requests/s (observed and ema signals)'],
] as const;

/**
 * ArrivalState: the arrival process state of a fleet replicate's agent, read and written every step
 * (the CPU twin's are ArrivalDraws' arrays in src/random/arrivals.ts). Kept small: the narrow kernel
 * holds it in registers through its steps.
 */
const ARRIVAL_STATE_FIELDS = [
  ['segment', 'u32', 'the schedule cursor: segments with start ≤ the last step arrived'],
  ['residual', 'f32', 'renewal: operational time to the next arrival'],
  ['phase', 'u32', 'mmpp: 1 in the high state'],
  ['hold', 'f32', 'mmpp: seconds left in the phase'],
  ['traceOffset', 'u32', "trace: the offset of the agent's (first) copy of its trace"],
  // The step's draw, kept from arrive to serve where a backlog-reading policy allocates in between
  // (MODEL-PART4 §4.8); written and read only on that path.
  ['arrived', 'f32', 'requests drawn for the step being advanced (backlog-reading runs)'],
  ['work', 'f32', "their work a, units of one request's mean work: the allocation reads B = Q + a"],
] as const;

/**
 * ArrivalStats: the arrival statistics' working fields (then the `arrivals` totals of
 * src/model/metrics.ts as Kahan pairs), in their own binding, read and written in storage only when
 * they are recorded (ARRIVAL_FLAG.stats), so a run without them carries none of it in registers.
 */
const ARRIVAL_STATS_FIELDS = [
  ['window10', 'f32', 'arrivals of the current 10-step window (recorded steps)'],
  ['window100', 'f32', 'arrivals of the current 100-step window'],
  ['windowSteps10', 'u32', 'recorded steps in the current 10-step window (a counter: no division per step)'],
  ['windowSteps100', 'u32', 'recorded steps in the current 100-step window'],
  ['windows10', 'u32', 'complete 10-step windows so far'],
  ['windows100', 'u32', 'complete 100-step windows so far'],
  ['window1Mean', 'f32', 'mean arrivals per recorded step (Welford)'],
  ['window10Mean', 'f32', 'mean arrivals per complete 10-step window (Welford)'],
  ['window100Mean', 'f32', 'mean arrivals per complete 100-step window (Welford)'],
  ['maxArrivals', 'f32', 'the largest arrivals of one recorded step'],
] as const;

type CompOf<F extends string> = F extends `${infer B}Sum` ? `${B}Comp` : never;
/** `latencySum` → `latencyComp`: the compensation word of a Kahan pair. */
const compOf = <F extends string>(field: F): CompOf<F> => field.replace(/Sum$/, 'Comp') as CompOf<F>;

/** Each `sum` total of src/model/metrics.ts as a Kahan pair (sum, compensation); the true value is sum − comp. */
const KAHAN_PAIRS = TOTALS.flatMap((t) => (t.kind === 'sum' ? [{ ...t, comp: compOf(t.field) }] : []));
const AGENT_PAIRS = KAHAN_PAIRS.filter((t) => t.home === 'agent');
const ARRIVAL_PAIRS = KAHAN_PAIRS.filter((t) => t.home === 'arrivals');

export const AGENT_STATE = struct('AgentState', [
  ...AGENT_STATE_FIELDS.map(([name, type]) => [name, type] as const),
  ...AGENT_PAIRS.flatMap(({ field, comp }) => [[field, 'f32'] as const, [comp, 'f32'] as const]),
]);

export const ARRIVAL_STATE = struct(
  'ArrivalState',
  ARRIVAL_STATE_FIELDS.map(([name, type]) => [name, type] as const),
);

export const ARRIVAL_STATS = struct('ArrivalStats', [
  ...ARRIVAL_STATS_FIELDS.map(([name, type]) => [name, type] as const),
  ...ARRIVAL_PAIRS.flatMap(({ field, comp }) => [[field, 'f32'] as const, [comp, 'f32'] as const]),
]);

/** The Kahan pairs' field names in AgentState, for unpacking: [total, sum word, compensation word]. */
export const AGENT_STATE_PAIRS = AGENT_PAIRS.map(({ field, comp }) => ({
  field,
  sum: AGENT_STATE.word[field],
  comp: AGENT_STATE.word[comp],
}));

/** The same for ArrivalStats. */
export const ARRIVAL_STATS_PAIRS = ARRIVAL_PAIRS.map(({ field, comp }) => ({
  field,
  sum: ARRIVAL_STATS.word[field],
  comp: ARRIVAL_STATS.word[comp],
}));

/** The WGSL text of structs ArrivalState and ArrivalStats, prepended to the kernels by src/gpu/wgsl.ts. */
export function arrivalStateWgsl(): string {
  return [
    structWgsl(
      'ArrivalState',
      ['The arrival process state of a fleet replicate’s agent. Generated from src/gpu/layout.ts (ARRIVAL_STATE_FIELDS).'],
      ARRIVAL_STATE_FIELDS,
    ),
    structWgsl(
      'ArrivalStats',
      [
        'The arrival statistics of a fleet replicate’s agent over the recorded steps (Kahan pairs, as in',
        'AgentState). Generated from src/gpu/layout.ts (ARRIVAL_STATS_FIELDS) and src/model/metrics.ts',
        '(TOTALS of home `arrivals`).',
      ],
      [
        ...ARRIVAL_STATS_FIELDS,
        ...ARRIVAL_PAIRS.flatMap(({ field, comp, about }) => [[field, 'f32', about] as const, [comp, 'f32', ''] as const]),
      ],
    ),
  ].join('\n');
}

/** The WGSL text of struct AgentState, prepended to the kernels by src/gpu/wgsl.ts. */
export function agentStateWgsl(): string {
  return structWgsl(
    'AgentState',
    [
      "An agent's state and running totals over the recorded steps (t ≥ warmup); each total is a Kahan",
      'pair (sum, compensation), true value sum − compensation, so that f32 sums over thousands of steps',
      "keep ~7 significant digits. Q counts work, in units of one request's mean work. Generated from",
      'src/gpu/layout.ts (AGENT_STATE_FIELDS) and src/model/metrics.ts (TOTALS).',
    ],
    [
      ...AGENT_STATE_FIELDS,
      ...AGENT_PAIRS.flatMap(({ field, comp, about }) => [[field, 'f32', about] as const, [comp, 'f32', ''] as const]),
    ],
  );
}

/** A generated struct's WGSL: its comment, then one line per field with the field's comment (if any). */
function structWgsl(
  name: string,
  comment: readonly string[],
  fields: readonly (readonly [string, ScalarType, string, ...unknown[]])[],
): string {
  return [
    ...comment.map((line) => `// ${line}`),
    `struct ${name} {`,
    ...fields.map(([field, type, about]) => `  ${field}: ${type},${about ? ` // ${about}` : ''}`),
    '}',
  ].join('\n');
}

export const DRAW_PARAMS = struct('DrawParams', [
  ['seedLo', 'u32'],
  ['seedHi', 'u32'],
  ['count', 'u32'],
  ['gridWidth', 'u32'],
]);

export const DRAW_QUERY = struct('DrawQuery', [
  ['stream', 'u32'],
  ['replicate', 'u32'],
  ['step', 'u32'],
  ['agent', 'u32'],
  ['mean', 'f32'],
  ['withWork', 'u32'],
  ['_pad1', 'u32'],
  ['_pad2', 'u32'],
]);

export const DRAW_RESULT = struct('DrawResult', [
  ['block0', 'vec4<u32>'],
  ['count', 'u32'],
  ['drawsUsed', 'u32'],
  ['work', 'f32'],
  ['_pad1', 'u32'],
]);

/**
 * The simulate kernels' bindings (group 0), one row each: src/gpu/wgsl.ts writes their WGSL
 * declarations into both kernels, and the GPU engine builds the bind-group layout and the bind group
 * from the same rows, so a binding is added or renumbered in one place. Its number is its index.
 */
/**
 * The most steps one dispatch of a simulate kernel advances (GpuEngineOptions.stepsPerDispatch): each
 * run keeps one bit per step of its dispatch, set when some agent had backlog (busySum), in
 * MAX_DISPATCH_STEPS / 32 private words; WGSL: MAX_DISPATCH_STEPS, generated by src/gpu/wgsl.ts.
 */
export const MAX_DISPATCH_STEPS = 256; // a multiple of 32: whole mask words

export const SIMULATE_BINDINGS = [
  { name: 'params', wgsl: 'var<uniform> params: SimParams', type: 'uniform', about: 'this dispatch’s slot (dynamic offset)' },
  { name: 'runs', wgsl: 'var<storage, read> runs: array<Run>', type: 'read-only-storage', about: 'the chunk’s fleet runs' },
  { name: 'agents', wgsl: 'var<storage, read> agents: array<AgentParams>', type: 'read-only-storage', about: 'per agent-run' },
  {
    name: 'states',
    wgsl: 'var<storage, read_write> states: array<AgentState>',
    type: 'storage',
    about: 'per agent-run, kept across dispatches',
  },
  { name: 'segments', wgsl: 'var<storage, read> segments: array<Segment>', type: 'read-only-storage', about: 'rate schedules' },
  {
    name: 'arrivalStates',
    wgsl: 'var<storage, read_write> arrivalStates: array<ArrivalState>',
    type: 'storage',
    about: 'per agent-run: its fleet replicate’s arrival process state, kept across dispatches',
  },
  {
    name: 'arrivalStats',
    wgsl: 'var<storage, read_write> arrivalStats: array<ArrivalStats>',
    type: 'storage',
    about: 'per agent-run: its fleet replicate’s arrival statistics (written when recorded)',
  },
  {
    name: 'traceCounts',
    wgsl: 'var<storage, read> traceCounts: array<u32>',
    type: 'read-only-storage',
    about: 'the batch’s traces, one count per step (src/random/replay.ts), then the chunk’s Poisson tables (src/random/poissonTable.ts)',
  },
  {
    name: 'groups',
    wgsl: 'var<storage, read> groups: array<u32>',
    type: 'read-only-storage',
    about: 'the narrow kernel’s groups of runs sharing arrivals: group g is runs [groups[g], groups[g + 1])',
  },
] as const satisfies readonly { name: string; wgsl: string; type: GPUBufferBindingType; about: string }[];
export type SimulateBinding = (typeof SIMULATE_BINDINGS)[number]['name'];

/** The WGSL declarations of SIMULATE_BINDINGS. */
export function simulateBindingsWgsl(): string {
  return SIMULATE_BINDINGS.map((b, i) => `@group(0) @binding(${i}) ${b.wgsl}; // ${b.about}`).join('\n');
}

export const ALL_LAYOUTS = [
  SIM_PARAMS,
  RUN,
  AGENT_PARAMS,
  SEGMENT,
  AGENT_STATE,
  ARRIVAL_STATE,
  ARRIVAL_STATS,
  DRAW_PARAMS,
  DRAW_QUERY,
  DRAW_RESULT,
];
