/**
 * The Paper view's scenario: the paper's four agents with the user's T, R, P and λ, plus L_max, steps
 * and the arrival process (MODEL-PART4 §4.1–4.2) with its parameters. It lives in the URL's hash (only
 * the keys that differ from the paper, so the paper's own scenario is plain `#view=paper`) and every
 * field is checked against a range named in its error. A process's parameters (cv, the MMPP's three
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
import { POLICY, PAPER_POLICIES } from '../../src/model/policies.js';
import { ARRIVAL_PROCESSES, NO_TRACES } from '../../src/random/arrivals.js';
import { MAX_POISSON_MEAN } from '../../src/random/poisson.js';
import { RENEWAL_CV_RANGE } from '../../src/random/renewal.js';
import type { TraceLibrary } from '../../src/traces/library.js';

export interface AgentParams {
  T: number; // base throughput with the whole GPU, requests/s
  R: number; // minimum share, fraction of G
  P: number; // priority, 1 = most important
  lambda: number; // nominal arrival rate, requests/s
}

export interface PaperScenario {
  agents: AgentParams[]; // the paper's four agents, in PAPER_AGENTS order
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
}

/** The trace the page ships (traces/, bundled by web/views/paperTrace.ts): replayed, or modulating a process. */
export const PAGE_TRACE = 'azure-llm-2023-conv';
export const TRACE_NONE = 'none';
/** The processes that take each parameter field. */
const CV_PROCESSES: readonly ArrivalMode[] = ['gamma', 'weibull'];
const MMPP_PROCESSES: readonly ArrivalMode[] = ['mmpp'];
const TRACE_PROCESSES: readonly ArrivalMode[] = ['poisson', 'gamma', 'weibull', 'mmpp'];

export const AGENT_NAMES: readonly string[] = PAPER_AGENTS.map((a) => a.name);

export const PAPER_SCENARIO: Readonly<PaperScenario> = {
  agents: PAPER_AGENTS.map(({ T, R, P, lambda }) => ({ T, R, P, lambda })),
  lmax: PAPER_CONFIG.lmax,
  steps: PAPER_CONFIG.steps,
  arrivals: PAPER_CONFIG.arrivals,
  seed: Number(PAPER_CONFIG.seed),
  cv: 1.2,
  idc: 20,
  highFraction: 0.2,
  peakRatio: 3,
  trace: TRACE_NONE,
};

/**
 * The page keeps every step of every run for the time-series panel (4 agents × 3 policies × 6 f64
 * series per step, about 58 MB at this limit), so it stops far below the engine's MAX_STEPS.
 */
export const PAGE_MAX_STEPS = 100_000;
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
type RunKey = 'lmax' | 'steps' | 'arrivals' | 'seed' | 'cv' | 'idc' | 'highFraction' | 'peakRatio' | 'trace';
export type FieldKey = `${AgentKey}${number}` | RunKey;
const RUN_KEYS: readonly RunKey[] = ['lmax', 'steps', 'arrivals', 'seed', 'cv', 'idc', 'highFraction', 'peakRatio', 'trace'];

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
}
interface ChoiceField {
  kind: 'choice';
  key: FieldKey;
  label: string;
  choices: readonly string[];
  /** What the form shows for each choice (default: the choice itself). */
  texts?: readonly string[];
}
export type Field = NumberField | ChoiceField;

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

/** The fields of one agent (index i), in form order. */
export function agentFields(i: number): Field[] {
  const name = AGENT_NAMES[i] ?? `agent ${i}`;
  return [
    num(`T${i}`, `${name} T`, 0, true, PAGE_MAX_T, 'requests/s with the whole GPU'),
    num(`R${i}`, `${name} R`, 0, false, 1, 'minimum share of the GPU'),
    num(`P${i}`, `${name} P`, 0, true, PAGE_MAX_P, 'priority, 1 = most important'),
    // λ·Δt is the Poisson sampler's mean per step (Δt = 1 s here)
    num(`lambda${i}`, `${name} λ`, 0, false, MAX_POISSON_MEAN, 'requests/s'),
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

export const FIELDS: readonly Field[] = [...AGENT_NAMES.flatMap((_, i) => agentFields(i)), ...RUN_FIELDS, ...ARRIVAL_FIELDS];

/** Whether field `key` means anything with arrival process `arrivals` (a process's parameters apply to it only). */
export function fieldApplies(key: FieldKey, arrivals: ArrivalMode): boolean {
  if (key === 'cv') return CV_PROCESSES.includes(arrivals);
  if (key === 'idc' || key === 'highFraction' || key === 'peakRatio') return MMPP_PROCESSES.includes(arrivals);
  if (key === 'trace') return TRACE_PROCESSES.includes(arrivals);
  return true;
}

/** The allowed range in words, as errors print it: "a number > 0 and ≤ 1e9 (requests/s)". */
export function describeRange(field: Field): string {
  if (field.kind === 'choice') return `one of ${field.choices.join(', ')}`;
  const what = field.integer ? 'an integer' : 'a number';
  const high = field.max >= 1e6 ? field.max.toExponential().replace('e+', 'e') : String(field.max);
  const range = field.integer
    ? `from ${field.min} to ${field.max}`
    : `${field.minOpen ? '>' : '≥'} ${field.min} and ${field.maxOpen ? '<' : '≤'} ${high}`;
  return `${what} ${range} (${field.unit})`;
}

export type Parsed = { value: number | string } | { error: string };

/** Parses one field's text; the error names the field, the allowed range and what was given. */
export function parseField(field: Field, raw: string): Parsed {
  const text = raw.trim();
  const fail = (): Parsed => ({
    error: `${field.label}: must be ${describeRange(field)}, got ${text === '' ? 'nothing' : JSON.stringify(text)}`,
  });
  if (field.kind === 'choice') return field.choices.includes(text) ? { value: text } : fail();
  if (text === '') return fail();
  const value = Number(text);
  const inRange =
    Number.isFinite(value) &&
    (field.minOpen ? value > field.min : value >= field.min) &&
    (field.maxOpen ? value < field.max : value <= field.max);
  return inRange && (!field.integer || Number.isInteger(value)) ? { value } : fail();
}

function valueOf(s: PaperScenario, key: FieldKey): number | string {
  const m = /^(T|R|P|lambda)(\d+)$/.exec(key);
  if (m) return s.agents[Number(m[2])]![m[1] as AgentKey];
  return s[key as RunKey];
}

function setValue(s: PaperScenario, key: FieldKey, value: number | string): void {
  const m = /^(T|R|P|lambda)(\d+)$/.exec(key);
  if (m) s.agents[Number(m[2])]![m[1] as AgentKey] = value as number;
  else if (key === 'arrivals') s.arrivals = value as ArrivalMode;
  else if (key === 'trace') s.trace = value as string;
  else s[key as Exclude<RunKey, 'arrivals' | 'trace'>] = value as number;
}

/** A field of `s` that applies to its process and differs from the paper's scenario. */
const differs = (s: PaperScenario, key: FieldKey): boolean =>
  fieldApplies(key, s.arrivals) && valueOf(s, key) !== valueOf(PAPER_SCENARIO, key);

/** The field's text as the form shows it and the URL stores it. */
export function fieldText(s: PaperScenario, key: FieldKey): string {
  return String(valueOf(s, key));
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
  read1(FIELDS.find((f) => f.key === 'arrivals')!); // first: it decides which parameters apply
  for (const field of FIELDS) if (field.key !== 'arrivals' && fieldApplies(field.key, scenario.arrivals)) read1(field);
  // κ·π_H ≤ 1 (else the low state's intensity is negative), on the peak ratio's field
  if (fieldApplies('peakRatio', scenario.arrivals) && !errors.has('peakRatio') && !errors.has('highFraction')) {
    const bound = 1 / scenario.highFraction;
    if (scenario.peakRatio * scenario.highFraction > 1) {
      errors.set(
        'peakRatio',
        `MMPP peak ratio: must be ≥ 1 and ≤ 1/high fraction = ${Number(bound.toPrecision(6))} (peak ratio × high fraction ≤ 1), got ${JSON.stringify(get('peakRatio')?.trim() ?? String(scenario.peakRatio))}`,
      );
      scenario.peakRatio = PAPER_SCENARIO.peakRatio;
      scenario.highFraction = PAPER_SCENARIO.highFraction;
    }
  }
  return { scenario, errors };
}

/**
 * The URL keys of a scenario: the text of each field that differs from the paper, undefined (remove
 * the key) for the others. `parseScenario(scenarioParams(s))` gives s back.
 */
export function scenarioParams(s: PaperScenario): Record<FieldKey, string | undefined> {
  const out = {} as Record<FieldKey, string | undefined>;
  for (const { key } of FIELDS) out[key] = differs(s, key) ? fieldText(s, key) : undefined;
  return out;
}

/** The labels of the fields that differ from the paper's scenario (empty: it is the paper's). */
export function changedFields(s: PaperScenario): string[] {
  return FIELDS.filter(({ key }) => differs(s, key)).map((f) => f.label);
}

/**
 * The form field a ConfigError from validateBatch or packFleets names (`fleets[0].agents[2].lambda` →
 * lambda2, `….arrivals.cv` → cv); `arrivals` is the scenario's process (a replay's trace is the
 * arrivals field's, since replay has no trace field).
 */
export function fieldOfConfigError(field: string, arrivals: ArrivalMode = 'deterministic'): FieldKey | undefined {
  const agent = /^fleets\[0\]\.agents\[(\d+)\]\.(T|R|P|lambda)$/.exec(field);
  if (agent) return `${agent[2] as AgentKey}${Number(agent[1])}`;
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

/**
 * The batch of a scenario: its fleet under static, roundRobin and adaptive (runs 0, 1, 2), with the
 * paper's Δt and price; `library` holds PAGE_TRACE (web/views/paperTrace.ts) for the processes that
 * read it. Throws a ConfigError when a value is outside the engine's range.
 */
export function scenarioBatch(s: PaperScenario, library?: TraceLibrary): Batch {
  const arrivals = scenarioArrivals(s);
  const agents: AgentSpec[] = s.agents.map((a, i) => ({ ...a, name: AGENT_NAMES[i]!, ...(arrivals ? { arrivals } : {}) }));
  const policies = PAPER_POLICIES.map((name) => POLICY[name]);
  // The page shows the arrival statistics (its arrivals table), whatever the process.
  const config = { ...PAPER_CONFIG, lmax: s.lmax, steps: s.steps, arrivals: s.arrivals, seed: s.seed, arrivalStats: true };
  let traces = NO_TRACES;
  if (arrivals?.trace !== undefined) {
    if (!library) throw new ConfigError('arrivals', `the ${s.arrivals} process needs the trace ${PAGE_TRACE}, which is not loaded`);
    traces = library.pack([PAGE_TRACE], config.dt, config.steps);
  }
  return makeBatch(packFleets([{ agents }], undefined, traces), crossRuns(1, policies, 1), config);
}
