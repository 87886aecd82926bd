/**
 * The Paper view's scenario: a fixed fleet of 1 to MAX_PAGE_AGENTS named agents (the paper's four by
 * default) with the user's T, R, P and λ, plus L_max, steps, the arrival process (MODEL-PART4
 * §4.1–4.2) with its parameters, whether the agents form the paper's workflow (MODEL-PART4 §4.6,
 * web/views/paperWorkflow.ts), and the serverless lifecycle with its settings and each agent's model
 * size M (MODEL-PART4 §4.3–4.4; its settings apply only with it on, as a process's parameters do), and
 * the fleet's GPUs (MODEL-PART4 §4.5: 1 to MAX_GPUS, by placement or as one pool). It lives in the URL's hash (only the keys that differ from the paper,
 * so the paper's own scenario is plain `#view=paper`; `agents` is the fleet's size, `name2`, `T2`, …
 * agent 2's fields) and every field is checked against a range named in its error; each agent also
 * passes the study schema's own agent check (src/study/schema.ts AgentSchema), so the page refuses
 * what a study file would. A process's parameters (cv, the MMPP's three
 * numbers, the trace) apply only to the processes that take them: the others ignore them, in the
 * form, the URL and the run. Pure: no DOM, so Node tests can run it.
 *
 * @example
 *   const { scenario, errors } = parseScenario(new URLSearchParams('lmax=1000&arrivals=gamma&cv=3'));
 *   const batch = scenarioBatch(scenario); // static, roundRobin, adaptive on the paper's fleet
 */
import { type AgentSpec, type ArrivalMode, type ArrivalSpec, type Batch, crossRuns, makeBatch, packFleets } from '../../src/model/batch.js';
import { ConfigError } from '../../src/model/errors.js';
import { PAPER_AGENTS, PAPER_CONFIG } from '../../src/model/paper.js';
import { POLICY, PAPER_POLICIES, POLICY_NAMES, type PolicyName } from '../../src/model/policies.js';
import { ARRIVAL_PROCESSES, NO_TRACES } from '../../src/random/arrivals.js';
import { MAX_POISSON_MEAN } from '../../src/random/poisson.js';
import { RENEWAL_CV_RANGE } from '../../src/random/renewal.js';
import {
  DEFAULT_LIFECYCLE,
  ELIGIBLE_RULES,
  type EligibleRule,
  EVICTION_RULES,
  type EvictionRule,
  GPU_MEMORY_GB,
  type GpuPreset,
  LIFECYCLE_RANGES,
  type LifecycleSpec,
} from '../../src/model/lifecycle.js';
import { MAX_GPUS } from '../../src/model/placement.js';
import { GPU_MODES, type GpuMode, poolPolicyProblem } from '../../src/model/pool.js';
import { AgentSchema } from '../../src/study/schema.js';
import { formatIssues } from '../../src/study/problems.js';
import { quote } from '../../src/text/quote.js';
import type { TraceLibrary } from '../../src/traces/library.js';
import { PAGE_WORKFLOWS, type PageWorkflow, scenarioWorkflow, WORKFLOW_TEXTS } from './paperWorkflow.js';

export interface AgentParams {
  name: string; // shown in the form, the tables and the legends; unique within the fleet
  T: number; // base throughput with the whole GPU, requests/s
  R: number; // minimum share, fraction of G
  P: number; // priority, 1 = most important
  lambda: number; // nominal arrival rate, requests/s
  M: number; // model size, MB: descriptive, and with the lifecycle on its load time and memory (MODEL-PART4 §4.3–4.4)
  pinned: boolean; // with the lifecycle on: never scaled to zero nor evicted (MODEL-PART4 §4.4)
}

/** The GPU memory choices of the lifecycle (URL key `gpu`): no limit, or a card of GPU_MEMORY_GB. */
export const MEMORY_UNLIMITED = 'unlimited';
export type PageMemory = typeof MEMORY_UNLIMITED | GpuPreset;
export const PAGE_MEMORIES: readonly PageMemory[] = [MEMORY_UNLIMITED, ...(Object.keys(GPU_MEMORY_GB) as GpuPreset[])];

/** The lifecycle switch (URL key `lifecycle`): off is the paper's model, every agent always warm. */
export const PAGE_LIFECYCLES = ['off', 'on'] as const;
export type PageLifecycle = (typeof PAGE_LIFECYCLES)[number];

export interface PaperScenario {
  agents: AgentParams[]; // 1 to MAX_PAGE_AGENTS agents (the paper's four, in PAPER_AGENTS order, by default)
  lmax: number; // latency recorded at share 0, seconds
  steps: number; // steps of Δt = 1 s
  arrivals: ArrivalMode; // every agent's arrival process
  seed: number; // Philox key (matters for random arrivals only)
  cv: number; // gamma and weibull: coefficient of variation of the inter-arrival time
  idc: number; // mmpp: asymptotic index of dispersion J > 1
  highFraction: number; // mmpp: fraction of time in the high state π_H, in (0, 1)
  peakRatio: number; // mmpp: peak ratio κ = λ_H/λ̄ ≥ 1, κ·π_H ≤ 1
  /** poisson, gamma, weibull, mmpp: a trace modulating the rate (TRACE_NONE: none); replay always replays PAGE_TRACE. */
  trace: string;
  /**
   * `paper`: the paper's four agents feed each other (web/views/paperWorkflow.ts): the coordinator
   * takes the external arrivals at its λ, the specialists only what it routes to them. `none`: independent agents.
   */
  workflow: PageWorkflow;
  /**
   * `on`: the serverless lifecycle (MODEL-PART4 §4.3–4.4, src/model/lifecycle.ts) with the fields below;
   * `off`: every agent always warm with unlimited memory (the paper's model), the fields below ignored.
   */
  lifecycle: PageLifecycle;
  keepAlive: number; // K, seconds; Infinity: never scale to zero
  coldStart: number; // C0, seconds
  loadBandwidth: number; // B_load, GB/s
  eligible: EligibleRule;
  initialPhase: 'warm' | 'cold';
  /** The card whose memory the agents share, per GPU (MEMORY_UNLIMITED: no limit). */
  gpu: PageMemory;
  /** u, the fraction of the card the models may hold, (0.05 … 1]; read only with a memory limit. */
  usable: number;
  evict: EvictionRule; // read only with a memory limit
  /** Loads in flight at once per GPU, 1 … 256; Infinity: unlimited. */
  loadSlots: number;
  /**
   * n_G, the GPUs of the fleet (MODEL-PART4 §4.5), 1 … MAX_GPUS: the capacity is n_G (one per GPU, as a
   * study's capacity defaults to its gpus), each GPU with the card's memory.
   */
  gpus: number;
  /** How the GPUs serve the fleet (read only with gpus > 1): placement (each agent on one GPU, LPT) or one pool. */
  gpuMode: GpuMode;
}

/** The trace the page ships (traces/, bundled by web/views/paperTrace.ts): replayed, or modulating a process. */
export const PAGE_TRACE = 'azure-llm-2023-conv';
export const TRACE_NONE = 'none';
/** The processes that take each parameter field. */
const CV_PROCESSES: readonly ArrivalMode[] = ['gamma', 'weibull'];
const MMPP_PROCESSES: readonly ArrivalMode[] = ['mmpp'];
const TRACE_PROCESSES: readonly ArrivalMode[] = ['poisson', 'gamma', 'weibull', 'mmpp'];

/** The paper's agents' names. */
export const AGENT_NAMES: readonly string[] = PAPER_AGENTS.map((a) => a.name);

/**
 * The most agents the page takes: its legends and colours stay readable up to here, and each agent
 * costs its share of the per-step series the page keeps (PAGE_MAX_AGENT_STEPS); `fleetsim sweep`
 * takes fleets of up to 4,096 agents.
 */
export const MAX_PAGE_AGENTS = 12;

/** The fields of an added agent past the paper's four (a mid-sized agent, load 0.2 with the whole GPU). */
const NEW_AGENT: Readonly<Omit<AgentParams, 'name'>> = { T: 50, R: 0, P: 2, lambda: 10, M: 2000, pinned: false };

/** Agent i's fields where the link or the form gives none: the paper's agent i, then NEW_AGENT as `agent<i+1>`. */
export function defaultAgent(i: number): AgentParams {
  const paper = PAPER_AGENTS[i];
  return paper
    ? { name: paper.name, T: paper.T, R: paper.R, P: paper.P, lambda: paper.lambda, M: paper.M ?? 0, pinned: false }
    : { name: `agent${i + 1}`, ...NEW_AGENT };
}

/** An agent to add to `agents`: defaultAgent(n), renamed `agent<k>` (the first k free) when its name is taken. */
export function newAgent(agents: readonly Pick<AgentParams, 'name'>[]): AgentParams {
  const taken = new Set(agents.map((a) => a.name));
  const agent = defaultAgent(agents.length);
  for (let k = agents.length + 1; taken.has(agent.name); k++) agent.name = `agent${k}`;
  return agent;
}

export const PAPER_SCENARIO: Readonly<PaperScenario> = {
  agents: PAPER_AGENTS.map((_, i) => defaultAgent(i)),
  lmax: PAPER_CONFIG.lmax,
  steps: PAPER_CONFIG.steps,
  arrivals: PAPER_CONFIG.arrivals,
  seed: Number(PAPER_CONFIG.seed),
  cv: 1.2,
  idc: 20,
  highFraction: 0.2,
  peakRatio: 3,
  trace: TRACE_NONE,
  workflow: 'none',
  lifecycle: 'off',
  keepAlive: DEFAULT_LIFECYCLE.keepAlive,
  coldStart: DEFAULT_LIFECYCLE.coldStart,
  loadBandwidth: DEFAULT_LIFECYCLE.loadBandwidth,
  eligible: DEFAULT_LIFECYCLE.eligible,
  initialPhase: DEFAULT_LIFECYCLE.initialPhase,
  gpu: MEMORY_UNLIMITED,
  usable: 1,
  evict: 'lru',
  loadSlots: DEFAULT_LIFECYCLE.loadSlots,
  gpus: 1,
  gpuMode: 'placement',
};

/**
 * The page keeps every step of every run for the time-series panels (agents × 3 policies × 6 f64
 * series per step, about 58 MB at 4 agents × PAGE_MAX_STEPS), so it stops far below the engine's
 * MAX_STEPS, and bounds agents × steps by the same memory.
 */
export const PAGE_MAX_STEPS = 100_000;
export const PAGE_MAX_AGENT_STEPS = 4 * PAGE_MAX_STEPS;
/**
 * T, P and L_max have no upper limit in the model; these keep them finite in f32 (the GPU's
 * precision) with room to spare, and are far beyond any plausible GPU agent.
 */
export const PAGE_MAX_T = 1e9;
export const PAGE_MAX_P = 1e6;
export const PAGE_MAX_LMAX = 1e9;
/** The MMPP's dispersion index has no upper limit in the model; this keeps its switching rates finite in f32. */
export const PAGE_MAX_IDC = 1e6;
/** κ ≤ 1/π_H; this bounds it for the range text (π_H ≥ 0.001). */
export const PAGE_MAX_PEAK_RATIO = 1000;

type AgentKey = keyof AgentParams;
type NumberAgentKey = Exclude<AgentKey, 'name' | 'pinned'>;
/** The lifecycle's settings (read only with `lifecycle` on; `evict` only with a memory limit too). */
type LifecycleKey = 'keepAlive' | 'coldStart' | 'loadBandwidth' | 'loadSlots' | 'eligible' | 'initialPhase' | 'gpu' | 'usable' | 'evict';
type RunKey =
  | 'lmax'
  | 'steps'
  | 'arrivals'
  | 'seed'
  | 'cv'
  | 'idc'
  | 'highFraction'
  | 'peakRatio'
  | 'trace'
  | 'workflow'
  | 'gpus'
  | 'gpuMode'
  | 'lifecycle'
  | LifecycleKey;
/** The fields of a scenario that hold text (a choice), the others numbers. */
type TextRunKey = 'arrivals' | 'trace' | 'workflow' | 'gpuMode' | 'lifecycle' | 'eligible' | 'initialPhase' | 'gpu' | 'evict';
const LIFECYCLE_KEYS: readonly FieldKey[] = [
  'keepAlive',
  'coldStart',
  'loadBandwidth',
  'loadSlots',
  'eligible',
  'initialPhase',
  'gpu',
  'usable',
  'evict',
];
/** The settings read only with a memory limit. */
const MEMORY_KEYS: readonly FieldKey[] = ['usable', 'evict'];
/** `agents`: the fleet's size (the form's add and remove buttons; no input of its own). */
export type FieldKey = `${AgentKey}${number}` | RunKey | 'agents';
const RUN_KEYS: readonly RunKey[] = [
  'lmax',
  'steps',
  'arrivals',
  'seed',
  'cv',
  'idc',
  'highFraction',
  'peakRatio',
  'trace',
  'workflow',
  'gpus',
  'gpuMode',
  'lifecycle',
  'keepAlive',
  'coldStart',
  'loadBandwidth',
  'loadSlots',
  'eligible',
  'initialPhase',
  'gpu',
  'usable',
  'evict',
];

interface NumberField {
  kind: 'number';
  key: FieldKey;
  label: string; // as the form and its errors name it
  min: number;
  minOpen: boolean; // min itself excluded
  max: number;
  maxOpen?: boolean; // max itself excluded
  integer: boolean;
  unit: string;
  /** Also takes this word for Infinity, as the URL and the form write it: `never` (the keep-alive K = ∞), `unlimited` (load slots). */
  infinity?: 'never' | 'unlimited';
}
interface ChoiceField {
  kind: 'choice';
  key: FieldKey;
  label: string;
  choices: readonly string[];
  /** What the form shows for each choice (default: the choice itself). */
  texts?: readonly string[];
}
interface TextField {
  kind: 'text';
  key: FieldKey;
  label: string;
}
export type Field = NumberField | ChoiceField | TextField;

const num = (key: FieldKey, label: string, min: number, minOpen: boolean, max: number, unit: string, integer = false): NumberField => ({
  kind: 'number',
  key,
  label,
  min,
  minOpen,
  max,
  integer,
  unit,
});

/**
 * An agent's name as a label in messages and headings: as it is when plain (letters, digits, `_.-`),
 * else quoted and escaped (src/text/quote.ts), so a name cannot forge a line or a column.
 */
export const displayName = (name: string): string => (/^[\w.-]{1,64}$/.test(name) ? name : quote(name));

/** An agent's `pinned` as the form and the URL write it. */
const PINNED_CHOICES = ['no', 'yes'] as const;

/** The fields of one agent (index i), in form order; `name` (its current name) labels them in errors. */
export function agentFields(i: number, name = `agent ${i + 1}`): Field[] {
  return [
    { kind: 'text', key: `name${i}`, label: `agent ${i + 1} name` },
    num(`T${i}`, `${name} T`, 0, true, PAGE_MAX_T, 'requests/s with the whole GPU'),
    num(`R${i}`, `${name} R`, 0, false, 1, 'minimum share of the GPU'),
    num(`P${i}`, `${name} P`, 0, true, PAGE_MAX_P, 'priority, 1 = most important'),
    // λ·Δt is the Poisson sampler's mean per step (Δt = 1 s here)
    num(`lambda${i}`, `${name} λ`, 0, false, MAX_POISSON_MEAN, 'requests/s'),
    // descriptive, and with the lifecycle on the load time C_i = C0 + M_i/B_load and the memory it holds
    num(`M${i}`, `${name} M`, LIFECYCLE_RANGES.modelMB[0], false, LIFECYCLE_RANGES.modelMB[1], 'model size, MB'),
    { kind: 'choice', key: `pinned${i}`, label: `${name} pinned`, choices: PINNED_CHOICES, texts: ['no', 'yes: always resident'] },
  ];
}

/**
 * The processes the page offers: all but servegen, whose ServeGen file (827 KB) the page does not
 * bundle; `fleetsim sweep` runs it.
 */
export const PAGE_PROCESSES: readonly ArrivalMode[] = ARRIVAL_PROCESSES.filter((p) => p !== 'servegen');

export const RUN_FIELDS: readonly Field[] = [
  num('lmax', 'L_max', 0, true, PAGE_MAX_LMAX, 'seconds, latency of a zero-share step'),
  num('steps', 'steps', 1, false, PAGE_MAX_STEPS, 'steps of 1 s', true),
  {
    kind: 'choice',
    key: 'arrivals',
    label: 'arrivals',
    choices: PAGE_PROCESSES,
    texts: PAGE_PROCESSES.map((p) => (p === 'replay' ? 'replay (Azure conversation trace)' : p)),
  },
  num('seed', 'seed', 0, false, Number.MAX_SAFE_INTEGER, 'random arrivals only', true),
];

/** The arrival process's parameters, each shown and checked only for the processes that take it (fieldApplies). */
export const ARRIVAL_FIELDS: readonly Field[] = [
  num('cv', 'cv', RENEWAL_CV_RANGE[0], false, RENEWAL_CV_RANGE[1], 'coefficient of variation of the inter-arrival time'),
  num('idc', 'MMPP idc', 1, true, PAGE_MAX_IDC, 'index of dispersion J of the counts over long windows'),
  { ...num('highFraction', 'MMPP high fraction', 0, true, 1, 'fraction of time in the high state'), maxOpen: true },
  num('peakRatio', 'MMPP peak ratio', 1, false, PAGE_MAX_PEAK_RATIO, 'high-state rate over the mean rate; peak ratio × high fraction ≤ 1'),
  {
    kind: 'choice',
    key: 'trace',
    label: 'follow the Azure trace',
    choices: [TRACE_NONE, PAGE_TRACE],
    texts: ['no', 'yes: rate modulated by the Azure conversation trace'],
  },
];

/** The switch of the paper's workflow (MODEL-PART4 §4.6): agents that feed each other, or independent ones. */
export const WORKFLOW_FIELD: Field = {
  kind: 'choice',
  key: 'workflow',
  label: 'workflow',
  choices: PAGE_WORKFLOWS,
  texts: PAGE_WORKFLOWS.map((w) => WORKFLOW_TEXTS[w]),
};

/** The serverless lifecycle's switch (MODEL-PART4 §4.3–4.4): off, every agent always warm (the paper's model). */
export const LIFECYCLE_FIELD: Field = {
  kind: 'choice',
  key: 'lifecycle',
  label: 'lifecycle',
  choices: PAGE_LIFECYCLES,
  texts: ['off: always warm, unlimited memory (the paper)', 'on: cold starts, keep-alive, scale to zero'],
};

/** The lifecycle's settings (src/model/lifecycle.ts: DEFAULT_LIFECYCLE, LIFECYCLE_RANGES), read only with it on. */
export const LIFECYCLE_FIELDS: readonly Field[] = [
  {
    ...num(
      'keepAlive',
      'keep-alive K',
      LIFECYCLE_RANGES.keepAlive[0],
      false,
      LIFECYCLE_RANGES.keepAlive[1],
      'seconds idle before scaling to zero',
    ),
    infinity: 'never',
  },
  num(
    'coldStart',
    'cold start C0',
    LIFECYCLE_RANGES.coldStart[0],
    false,
    LIFECYCLE_RANGES.coldStart[1],
    'seconds of every load before the weights',
  ),
  num(
    'loadBandwidth',
    'load bandwidth',
    LIFECYCLE_RANGES.loadBandwidth[0],
    false,
    LIFECYCLE_RANGES.loadBandwidth[1],
    'GB/s the weights load at',
  ),
  {
    ...num(
      'loadSlots',
      'load slots',
      LIFECYCLE_RANGES.loadSlots[0],
      false,
      LIFECYCLE_RANGES.loadSlots[1],
      'loads in flight at once per GPU',
      true,
    ),
    infinity: 'unlimited',
  },
  {
    kind: 'choice',
    key: 'eligible',
    label: 'who shares the GPU',
    choices: ELIGIBLE_RULES,
    texts: ['all: cold agents’ shares go unused (the paper)', 'warm: warm agents only', 'backlogged: warm agents with work'],
  },
  { kind: 'choice', key: 'initialPhase', label: 'agents start', choices: ['warm', 'cold'], texts: ['warm', 'cold'] },
  {
    kind: 'choice',
    key: 'gpu',
    label: 'GPU memory',
    choices: PAGE_MEMORIES,
    texts: PAGE_MEMORIES.map((m) => (m === MEMORY_UNLIMITED ? 'unlimited' : `${m} (${GPU_MEMORY_GB[m]} GB)`)),
  },
  num('usable', 'usable memory', LIFECYCLE_RANGES.usable[0], false, LIFECYCLE_RANGES.usable[1], 'fraction of the card the models may hold'),
  {
    kind: 'choice',
    key: 'evict',
    label: 'eviction',
    choices: EVICTION_RULES,
    texts: ['lru: the longest idle first', 'lowestPriority: the least important first', 'largestFirst: the largest model first'],
  },
];

/** The fleet's GPUs (MODEL-PART4 §4.5): how many, and how they serve it (the mode read only with more than one). */
export const GPU_FIELDS: readonly Field[] = [
  num('gpus', 'GPUs', 1, false, MAX_GPUS, 'GPUs of the fleet, each with the card’s memory', true),
  {
    kind: 'choice',
    key: 'gpuMode',
    label: 'GPU mode',
    choices: GPU_MODES,
    texts: ['placement (LPT)', 'pool (one allocator)'],
  },
];

/** The fleet's size: how many agents the link or the form has. */
export const COUNT_FIELD: Field = num('agents', 'agents', 1, false, MAX_PAGE_AGENTS, 'agents in the fleet', true);

/** Every field of a scenario of `count` agents (named by `names`, where given), in form order. */
export function scenarioFields(count: number, names: readonly string[] = []): Field[] {
  const agents = Array.from({ length: count }, (_, i) => agentFields(i, names[i] === undefined ? undefined : displayName(names[i])));
  return [
    COUNT_FIELD,
    ...agents.flat(),
    WORKFLOW_FIELD,
    ...GPU_FIELDS,
    LIFECYCLE_FIELD,
    ...LIFECYCLE_FIELDS,
    ...RUN_FIELDS,
    ...ARRIVAL_FIELDS,
  ];
}

/** The fields of the paper's scenario (its four agents). */
export const FIELDS: readonly Field[] = scenarioFields(PAPER_AGENTS.length, AGENT_NAMES);

/** Whether field `key` means anything with arrival process `arrivals` (a process's parameters apply to it only). */
export function fieldApplies(key: FieldKey, arrivals: ArrivalMode): boolean {
  if (key === 'cv') return CV_PROCESSES.includes(arrivals);
  if (key === 'idc' || key === 'highFraction' || key === 'peakRatio') return MMPP_PROCESSES.includes(arrivals);
  if (key === 'trace') return TRACE_PROCESSES.includes(arrivals);
  return true;
}

/**
 * Whether field `key` means anything in `s` with its lifecycle and GPUs: the lifecycle's settings only
 * with it on, `usable` and `evict` only with a memory limit, `gpuMode` only with more than one GPU.
 */
export function lifecycleApplies(key: FieldKey, s: Pick<PaperScenario, 'lifecycle' | 'gpu' | 'gpus'>): boolean {
  if (key === 'gpuMode') return s.gpus > 1;
  if (!LIFECYCLE_KEYS.includes(key)) return true;
  return s.lifecycle === 'on' && (!MEMORY_KEYS.includes(key) || s.gpu !== MEMORY_UNLIMITED);
}

/** The allowed range in words, as errors print it: "a number > 0 and ≤ 1e9 (requests/s)". */
export function describeRange(field: Field): string {
  if (field.kind === 'text') return 'a name';
  if (field.kind === 'choice') return `one of ${field.choices.join(', ')}`;
  const what = field.integer ? 'an integer' : 'a number';
  const high = field.max >= 1e6 ? field.max.toExponential().replace('e+', 'e') : String(field.max);
  const range = field.integer
    ? `from ${field.min} to ${field.max}`
    : `${field.minOpen ? '>' : '≥'} ${field.min} and ${field.maxOpen ? '<' : '≤'} ${high}`;
  return `${what} ${range}${field.infinity === undefined ? '' : `, or ${field.infinity}`} (${field.unit})`;
}

export type Parsed = { value: number | string } | { error: string };

/** Parses one field's text; the error names the field, the allowed range and what was given. */
export function parseField(field: Field, raw: string): Parsed {
  const text = raw.trim();
  const fail = (): Parsed => ({
    error: `${field.label}: must be ${describeRange(field)}, got ${text === '' ? 'nothing' : quote(text)}`,
  });
  if (field.kind === 'text') return { value: text }; // the study schema checks it (agentProblems)
  if (field.kind === 'choice') return field.choices.includes(text) ? { value: text } : fail();
  if (text === '') return fail();
  if (field.infinity !== undefined && text === field.infinity) return { value: Infinity };
  const value = Number(text);
  const inRange =
    Number.isFinite(value) &&
    (field.minOpen ? value > field.min : value >= field.min) &&
    (field.maxOpen ? value < field.max : value <= field.max);
  return inRange && (!field.integer || Number.isInteger(value)) ? { value } : fail();
}

const AGENT_KEY = /^(name|T|R|P|lambda|M|pinned)(\d+)$/;

/** An agent's field as text or number (`pinned` as the form writes it, no or yes). */
function agentValue(agent: AgentParams | undefined, key: AgentKey): number | string | undefined {
  if (agent === undefined) return undefined;
  return key === 'pinned' ? PINNED_CHOICES[agent.pinned ? 1 : 0] : agent[key];
}

/** A field's value in `s` (undefined: an agent the fleet does not have). */
function valueOf(s: PaperScenario, key: FieldKey): number | string | undefined {
  if (key === 'agents') return s.agents.length;
  const m = AGENT_KEY.exec(key);
  if (m) return agentValue(s.agents[Number(m[2])], m[1] as AgentKey);
  return s[key as RunKey];
}

function setValue(s: PaperScenario, key: FieldKey, value: number | string): void {
  const m = AGENT_KEY.exec(key);
  if (m) {
    const agent = s.agents[Number(m[2])]!;
    if (m[1] === 'name') agent.name = value as string;
    else if (m[1] === 'pinned') agent.pinned = value === 'yes';
    else agent[m[1] as NumberAgentKey] = value as number;
  } else if (key === 'agents') {
    const count = value as number;
    s.agents = Array.from({ length: count }, (_, i) => s.agents[i] ?? defaultAgent(i));
  } else if (key === 'arrivals') s.arrivals = value as ArrivalMode;
  else if (key === 'trace') s.trace = value as string;
  else if (key === 'workflow') s.workflow = value as PageWorkflow;
  else if (key === 'lifecycle') s.lifecycle = value as PageLifecycle;
  else if (key === 'eligible') s.eligible = value as EligibleRule;
  else if (key === 'initialPhase') s.initialPhase = value as 'warm' | 'cold';
  else if (key === 'gpu') s.gpu = value as PageMemory;
  else if (key === 'gpuMode') s.gpuMode = value as GpuMode;
  else if (key === 'evict') s.evict = value as EvictionRule;
  else s[key as Exclude<RunKey, TextRunKey>] = value as number;
}

/** The value a field has where the link does not give it: the paper's, or defaultAgent's past its agents. */
function defaultOf(key: FieldKey): number | string | undefined {
  const m = AGENT_KEY.exec(key);
  return m ? agentValue(defaultAgent(Number(m[2])), m[1] as AgentKey) : valueOf(PAPER_SCENARIO, key);
}

/** A field of `s` that applies to its process and differs from the paper's scenario (or an added agent's default). */
const differs = (s: PaperScenario, key: FieldKey): boolean => {
  const value = valueOf(s, key);
  return value !== undefined && fieldApplies(key, s.arrivals) && lifecycleApplies(key, s) && value !== defaultOf(key);
};

/** The field's text as the form shows it and the URL stores it (K = ∞ is `never`). */
export function fieldText(s: PaperScenario, key: FieldKey): string {
  const value = valueOf(s, key) ?? defaultOf(key);
  if (value !== Infinity) return String(value);
  const field = [...GPU_FIELDS, ...LIFECYCLE_FIELDS].find((f) => f.key === key);
  return field?.kind === 'number' ? (field.infinity ?? String(value)) : String(value);
}

export function cloneScenario(s: PaperScenario): PaperScenario {
  return { ...s, agents: s.agents.map((a) => ({ ...a })) };
}

export interface ScenarioReading {
  /** Valid fields as given; the paper's value where a field is absent or invalid. */
  scenario: PaperScenario;
  /** Per invalid field, its error. */
  errors: Map<FieldKey, string>;
}

/**
 * Reads a scenario from text per field (the URL's hash or the form); absent keys take the paper's
 * value, and so do the parameters of processes other than the one chosen (their text is not read).
 */
export function parseScenario(read: URLSearchParams | ((key: FieldKey) => string | undefined)): ScenarioReading {
  const get = typeof read === 'function' ? read : (key: FieldKey) => read.get(key) ?? undefined;
  const scenario = cloneScenario(PAPER_SCENARIO);
  const errors = new Map<FieldKey, string>();
  const read1 = (field: Field): void => {
    const raw = get(field.key);
    if (raw === undefined) return;
    const parsed = parseField(field, raw);
    if ('error' in parsed) errors.set(field.key, parsed.error);
    else setValue(scenario, field.key, parsed.value);
  };
  read1(COUNT_FIELD); // first: it decides which agents' fields there are
  read1(RUN_FIELDS.find((f) => f.key === 'arrivals')!); // then the process: it decides which parameters apply
  const count = scenario.agents.length;
  // Each agent's name, then its numbers labelled by it (a refused name leaves the default label).
  for (let i = 0; i < count; i++) {
    const [nameField, ...numbers] = agentFields(i);
    read1(nameField!);
    const named = errors.has(nameField!.key) ? undefined : displayName(scenario.agents[i]!.name);
    for (const field of agentFields(i, named).slice(1, 1 + numbers.length)) read1(field);
    agentProblems(scenario.agents[i]!, agentFields(i, named), errors);
  }
  duplicateNames(scenario.agents, errors);
  // The workflow routes between named agents: after the names, which it needs.
  read1(WORKFLOW_FIELD);
  const workflowError = scenarioWorkflow(scenario.agents, scenario.workflow).error;
  if (workflowError !== undefined && !errors.has('workflow')) {
    errors.set('workflow', workflowError);
    scenario.workflow = PAPER_SCENARIO.workflow;
  }
  // The GPUs (their count before the mode), the lifecycle's switch, then its settings where they apply
  // (the memory before its usable fraction and eviction rule).
  for (const field of GPU_FIELDS) if (lifecycleApplies(field.key, scenario)) read1(field);
  read1(LIFECYCLE_FIELD);
  for (const field of LIFECYCLE_FIELDS) if (lifecycleApplies(field.key, scenario)) read1(field);
  for (const field of [...RUN_FIELDS, ...ARRIVAL_FIELDS])
    if (field.key !== 'arrivals' && fieldApplies(field.key, scenario.arrivals)) read1(field);
  // agents × steps: the page keeps every step of every agent (PAGE_MAX_AGENT_STEPS)
  const maxSteps = Math.min(PAGE_MAX_STEPS, Math.floor(PAGE_MAX_AGENT_STEPS / count));
  if (!errors.has('steps') && scenario.steps > maxSteps) {
    errors.set(
      'steps',
      `steps: must be at most ${maxSteps} with ${count} agents (the page keeps every step of every agent: agents × steps ≤ ${PAGE_MAX_AGENT_STEPS}), got ${quote(get('steps')?.trim() ?? String(scenario.steps))}`,
    );
    scenario.steps = Math.min(PAPER_SCENARIO.steps, maxSteps);
  }
  // κ·π_H ≤ 1 (else the low state's intensity is negative), on the peak ratio's field
  if (fieldApplies('peakRatio', scenario.arrivals) && !errors.has('peakRatio') && !errors.has('highFraction')) {
    const bound = 1 / scenario.highFraction;
    if (scenario.peakRatio * scenario.highFraction > 1) {
      errors.set(
        'peakRatio',
        `MMPP peak ratio: must be ≥ 1 and ≤ 1/high fraction = ${Number(bound.toPrecision(6))} (peak ratio × high fraction ≤ 1), got ${quote(get('peakRatio')?.trim() ?? String(scenario.peakRatio))}`,
      );
      scenario.peakRatio = PAPER_SCENARIO.peakRatio;
      scenario.highFraction = PAPER_SCENARIO.highFraction;
    }
  }
  return { scenario, errors };
}

/**
 * The study schema's check of one agent (AgentSchema: a name of 1 to 64 characters, T and P at least
 * 1e-15, R 0 or at least 1e-15, … the engines' 32-bit floats), its messages on the fields, labelled as
 * the form labels them. A field the page's own range already refused keeps that message; a refused
 * field takes back its default (so the scenario stays one the engines run).
 */
function agentProblems(agent: AgentParams, fields: readonly Field[], errors: Map<FieldKey, string>): void {
  const parsed = AgentSchema.safeParse(agent, { reportInput: true });
  if (parsed.success) return;
  for (const issue of parsed.error.issues) {
    const key = String(issue.path[0]) as AgentKey;
    const field = fields.find((f) => AGENT_KEY.exec(f.key)?.[1] === key);
    if (!field || errors.has(field.key)) continue;
    const line = formatIssues([issue])[0]!;
    errors.set(field.key, `${field.label}: ${line.slice(line.indexOf(': ') + 2)}`);
    const fallback = defaultAgent(Number(AGENT_KEY.exec(field.key)![2]))[key];
    (agent as unknown as Record<string, number | string | boolean>)[key] = fallback;
  }
}

/** Names must differ: the tables and legends tell the agents apart by them. The later of two is marked. */
function duplicateNames(agents: AgentParams[], errors: Map<FieldKey, string>): void {
  const first = new Map<string, number>();
  agents.forEach((agent, i) => {
    const key: FieldKey = `name${i}`;
    if (errors.has(key)) return;
    const earlier = first.get(agent.name);
    if (earlier === undefined) {
      first.set(agent.name, i);
      return;
    }
    errors.set(key, `agent ${i + 1} name: must differ from the other agents' names (agent ${earlier + 1} is named ${quote(agent.name)})`);
    agent.name = `${agent.name} (${i + 1})`; // the run stays readable while the field is marked
  });
}

/**
 * The URL keys of a scenario: the text of each field that differs from the paper, undefined (remove
 * the key) for the others. `parseScenario(scenarioParams(s))` gives s back.
 */
export function scenarioParams(s: PaperScenario): Record<FieldKey, string | undefined> {
  const out = {} as Record<FieldKey, string | undefined>;
  // Every agent the page can hold, so the keys of agents removed leave the link.
  for (const { key } of scenarioFields(MAX_PAGE_AGENTS)) out[key] = differs(s, key) ? fieldText(s, key) : undefined;
  return out;
}

/** The labels of the fields that differ from the paper's scenario (empty: it is the paper's). */
export function changedFields(s: PaperScenario): string[] {
  return scenarioFields(
    s.agents.length,
    s.agents.map((a) => a.name),
  )
    .filter(({ key }) => differs(s, key))
    .map((f) => f.label);
}

/**
 * The form field a ConfigError from validateBatch or packFleets names (`fleets[0].agents[2].lambda` →
 * lambda2, `….arrivals.cv` → cv); `arrivals` is the scenario's process (a replay's trace is the
 * arrivals field's, since replay has no trace field).
 */
export function fieldOfConfigError(field: string, arrivals: ArrivalMode = 'deterministic'): FieldKey | undefined {
  const agent = /^fleets\[0\]\.agents\[(\d+)\]\.(T|R|P|lambda|M|pinned)$/.exec(field);
  if (agent) return `${agent[2] as AgentKey}${Number(agent[1])}`;
  // The lifecycle's (validateBatch: lifecycleProblem, lifecycleFleetProblem): a setting, or the memory
  // (a pinned set that does not fit the card: on the card's field).
  const lifecycle = /^lifecycle\.(\w+)(?:\.(\w+))?/.exec(field);
  if (lifecycle)
    return lifecycle[1] === 'memory'
      ? lifecycle[2] === 'evict' || lifecycle[2] === 'usable'
        ? lifecycle[2]
        : 'gpu'
      : RUN_KEYS.find((k) => k === lifecycle[1]);
  if (field === 'fleets[0].agents') return 'gpu';
  // Several GPUs: their count, the mode, and a policy a pool cannot run (poolPolicyProblem: on the mode).
  if (field === 'fleets[0].gpus') return 'gpus';
  if (field === 'fleets[0].gpuMode' || /^runs\[\d+\]\.policy$/.test(field)) return 'gpuMode';
  if (/^fleets\[0\]\.(agents\[\d+\]\.routes|forkJoin)\b/.test(field)) return 'workflow'; // the graph (workflowProblem)
  const process = /^fleets\[0\]\.agents\[\d+\]\.arrivals(?:\.(\w+))?/.exec(field);
  if (process) {
    const part = process[1];
    if (part === 'cv') return 'cv';
    if (part === 'mmpp') return 'peakRatio';
    if (part === 'trace' && fieldApplies('trace', arrivals)) return 'trace';
    return 'arrivals';
  }
  if (field === 'dt' || field.startsWith('arrivals.')) return 'arrivals'; // a trace the page could not bin
  return RUN_KEYS.find((k) => k === field);
}

/**
 * The lifecycle of a scenario (SimConfig.lifecycle), or undefined when it is off: its settings as
 * given (the load slots only where not the default), the memory a card of GPU_MEMORY_GB per GPU with
 * its usable fraction (only where below 1) and eviction rule.
 */
export function scenarioLifecycle(s: PaperScenario): LifecycleSpec | undefined {
  if (s.lifecycle === 'off') return undefined;
  return {
    keepAlive: s.keepAlive,
    coldStart: s.coldStart,
    loadBandwidth: s.loadBandwidth,
    eligible: s.eligible,
    initialPhase: s.initialPhase,
    ...(s.loadSlots === DEFAULT_LIFECYCLE.loadSlots ? {} : { loadSlots: s.loadSlots }),
    ...(s.gpu === MEMORY_UNLIMITED
      ? {}
      : { memory: { gb: GPU_MEMORY_GB[s.gpu], ...(s.usable === 1 ? {} : { usable: s.usable }), evict: s.evict } }),
  };
}

/** Every agent's arrival spec: undefined where the batch's `arrivals` says it all (deterministic, plain Poisson). */
export function scenarioArrivals(s: PaperScenario): ArrivalSpec | undefined {
  const traced = s.arrivals === 'replay' || (fieldApplies('trace', s.arrivals) && s.trace !== TRACE_NONE);
  if (s.arrivals === 'deterministic' || (s.arrivals === 'poisson' && !traced)) return undefined;
  return {
    process: s.arrivals,
    ...(fieldApplies('cv', s.arrivals) ? { cv: s.cv } : {}),
    ...(fieldApplies('idc', s.arrivals) ? { mmpp: { idc: s.idc, highFraction: s.highFraction, peakRatio: s.peakRatio } } : {}),
    ...(traced ? { trace: 0 } : {}), // the batch's one trace, PAGE_TRACE
  };
}

/** The URL key of the policies the page runs and charts: registry names, comma-separated, in registry order. */
export const POLICIES_KEY = 'policies';

/**
 * The policies a link names (`policies=static,timeSlice`), in registry order, each once: the paper's
 * three when the key is absent; an unknown name or an empty list is an error naming what is allowed
 * (the paper's three run meanwhile).
 */
export function parsePolicies(text: string | undefined): { policies: PolicyName[]; error?: string } {
  if (text === undefined) return { policies: [...PAPER_POLICIES] };
  const names = text
    .split(',')
    .map((n) => n.trim())
    .filter((n) => n !== '');
  const unknown = names.filter((n) => !(POLICY_NAMES as readonly string[]).includes(n));
  if (names.length === 0 || unknown.length > 0)
    return {
      policies: [...PAPER_POLICIES],
      error: `policies: must be one or more of ${POLICY_NAMES.join(', ')}, got ${unknown.length > 0 ? unknown.map((n) => quote(n)).join(', ') : 'none'}`,
    };
  return { policies: POLICY_NAMES.filter((n) => names.includes(n)) };
}

/**
 * Why the scenario cannot run one of `policies`, on the GPU mode's field: a pool (gpuMode pool, more
 * than one GPU) has no form of fixedShares or roundRobinSkipIdle (src/model/pool.ts poolPolicyProblem,
 * what validateBatch refuses); undefined when it can run them all.
 */
export function scenarioPolicyProblem(s: Pick<PaperScenario, 'gpus' | 'gpuMode'>, policies: readonly PolicyName[]): string | undefined {
  if (s.gpus <= 1 || s.gpuMode !== 'pool') return undefined;
  const refused = policies.flatMap((p) => poolPolicyProblem(p) ?? []);
  return refused.length === 0 ? undefined : `GPU mode: a pool of GPUs cannot run every policy ticked: ${refused.join('; ')}`;
}

/** The URL value of `policies`: undefined (no key) for the paper's three. */
export function policiesParam(policies: readonly PolicyName[]): string | undefined {
  const sorted = POLICY_NAMES.filter((n) => policies.includes(n));
  return sorted.join(',') === PAPER_POLICIES.join(',') ? undefined : sorted.join(',');
}

/**
 * The batch of a scenario: its fleet (named agents) under `policies` (run r is policies[r]; default
 * the paper's static, roundRobin and adaptive), with the paper's Δt and price, routed as its workflow
 * says (the entry's λ the external rate, the other agents of the graph λ = 0); `library` holds
 * PAGE_TRACE (web/views/paperTrace.ts) for the processes that read it. Throws a ConfigError when a
 * value is outside the engine's range.
 */
export function scenarioBatch(s: PaperScenario, library?: TraceLibrary, names: readonly PolicyName[] = PAPER_POLICIES): Batch {
  const arrivals = scenarioArrivals(s);
  const workflow = scenarioWorkflow(s.agents, s.workflow);
  if (workflow.error !== undefined) throw new ConfigError('workflow', workflow.error.slice('workflow: '.length));
  // In a workflow, an agent inside the graph other than the entry takes only routed requests (λ = 0: no external arrivals).
  const agents: AgentSpec[] = s.agents.map((a, i) => ({
    ...a,
    lambda: workflow.external[i] ? a.lambda : 0,
    ...(arrivals ? { arrivals } : {}),
    ...(workflow.routes[i] ? { routes: workflow.routes[i] } : {}),
  }));
  const policies = names.map((name) => POLICY[name]);
  // The page shows the arrival statistics (its arrivals table), whatever the process.
  const lifecycle = scenarioLifecycle(s);
  const config = {
    ...PAPER_CONFIG,
    lmax: s.lmax,
    steps: s.steps,
    arrivals: s.arrivals,
    seed: s.seed,
    arrivalStats: true,
    ...(lifecycle ? { lifecycle } : {}),
  };
  let traces = NO_TRACES;
  if (arrivals?.trace !== undefined) {
    if (!library) throw new ConfigError('arrivals', `the ${s.arrivals} process needs the trace ${PAGE_TRACE}, which is not loaded`);
    traces = library.pack([PAGE_TRACE], config.dt, config.steps);
  }
  // Several GPUs: one capacity unit per GPU (a study's default); one GPU is the plain fleet, nothing added.
  const gpus = s.gpus > 1 ? { gpus: s.gpus, capacity: s.gpus, gpuMode: s.gpuMode } : {};
  const fleet = { agents, ...gpus, ...(workflow.forkJoin ? { forkJoin: workflow.forkJoin } : {}) };
  return makeBatch(packFleets([fleet], undefined, traces), crossRuns(1, policies, 1), config);
}
