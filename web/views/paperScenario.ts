/**
 * The Paper view's scenario: the paper's four agents with the user's T, R, P and λ, plus L_max, steps
 * and arrivals. It lives in the URL's hash (only the keys that differ from the paper, so the paper's
 * own scenario is plain `#view=paper`) and every field is checked against a range named in its error.
 * Pure: no DOM, so Node tests can run it.
 *
 * @example
 *   const { scenario, errors } = parseScenario(new URLSearchParams('lmax=1000'));
 *   const batch = scenarioBatch(scenario); // static, roundRobin, adaptive on the paper's fleet
 */
import { type ArrivalMode, type Batch, crossRuns, makeBatch, packFleets } from '../../src/model/batch.js';
import { PAPER_AGENTS, PAPER_CONFIG } from '../../src/model/paper.js';
import { POLICY, PAPER_POLICIES } from '../../src/model/policies.js';
import { MAX_POISSON_MEAN } from '../../src/random/poisson.js';

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
  arrivals: ArrivalMode;
  seed: number; // Philox key (matters for Poisson arrivals only)
}

export const AGENT_NAMES: readonly string[] = PAPER_AGENTS.map((a) => a.name);

export const PAPER_SCENARIO: Readonly<PaperScenario> = {
  agents: PAPER_AGENTS.map(({ T, R, P, lambda }) => ({ T, R, P, lambda })),
  lmax: PAPER_CONFIG.lmax,
  steps: PAPER_CONFIG.steps,
  arrivals: PAPER_CONFIG.arrivals,
  seed: Number(PAPER_CONFIG.seed),
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

type AgentKey = keyof AgentParams;
export type FieldKey = `${AgentKey}${number}` | 'lmax' | 'steps' | 'arrivals' | 'seed';

interface NumberField {
  kind: 'number';
  key: FieldKey;
  label: string; // as the form and its errors name it
  min: number;
  minOpen: boolean; // min itself excluded
  max: number;
  integer: boolean;
  unit: string;
}
interface ChoiceField {
  kind: 'choice';
  key: FieldKey;
  label: string;
  choices: readonly string[];
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

export const RUN_FIELDS: readonly Field[] = [
  num('lmax', 'L_max', 0, true, PAGE_MAX_LMAX, 'seconds, latency of a zero-share step'),
  num('steps', 'steps', 1, false, PAGE_MAX_STEPS, 'steps of 1 s', true),
  { kind: 'choice', key: 'arrivals', label: 'arrivals', choices: ['deterministic', 'poisson'] },
  num('seed', 'seed', 0, false, Number.MAX_SAFE_INTEGER, 'Poisson arrivals only', true),
];

export const FIELDS: readonly Field[] = [...AGENT_NAMES.flatMap((_, i) => agentFields(i)), ...RUN_FIELDS];

/** The allowed range in words, as errors print it: "a number > 0 and ≤ 1e9 (requests/s)". */
export function describeRange(field: Field): string {
  if (field.kind === 'choice') return `one of ${field.choices.join(', ')}`;
  const what = field.integer ? 'an integer' : 'a number';
  const high = field.max >= 1e6 ? field.max.toExponential().replace('e+', 'e') : String(field.max);
  const range = field.integer ? `from ${field.min} to ${field.max}` : `${field.minOpen ? '>' : '≥'} ${field.min} and ≤ ${high}`;
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
  const inRange = Number.isFinite(value) && (field.minOpen ? value > field.min : value >= field.min) && value <= field.max;
  return inRange && (!field.integer || Number.isInteger(value)) ? { value } : fail();
}

function valueOf(s: PaperScenario, key: FieldKey): number | string {
  const m = /^(T|R|P|lambda)(\d+)$/.exec(key);
  if (m) return s.agents[Number(m[2])]![m[1] as AgentKey];
  return s[key as 'lmax' | 'steps' | 'arrivals' | 'seed'];
}

function setValue(s: PaperScenario, key: FieldKey, value: number | string): void {
  const m = /^(T|R|P|lambda)(\d+)$/.exec(key);
  if (m) s.agents[Number(m[2])]![m[1] as AgentKey] = value as number;
  else if (key === 'arrivals') s.arrivals = value as ArrivalMode;
  else s[key as 'lmax' | 'steps' | 'seed'] = value as number;
}

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
 * value.
 */
export function parseScenario(read: URLSearchParams | ((key: FieldKey) => string | undefined)): ScenarioReading {
  const get = typeof read === 'function' ? read : (key: FieldKey) => read.get(key) ?? undefined;
  const scenario = cloneScenario(PAPER_SCENARIO);
  const errors = new Map<FieldKey, string>();
  for (const field of FIELDS) {
    const raw = get(field.key);
    if (raw === undefined) continue;
    const parsed = parseField(field, raw);
    if ('error' in parsed) errors.set(field.key, parsed.error);
    else setValue(scenario, field.key, parsed.value);
  }
  return { scenario, errors };
}

/**
 * The URL keys of a scenario: the text of each field that differs from the paper, undefined (remove
 * the key) for the others. `parseScenario(scenarioParams(s))` gives s back.
 */
export function scenarioParams(s: PaperScenario): Record<FieldKey, string | undefined> {
  const out = {} as Record<FieldKey, string | undefined>;
  for (const { key } of FIELDS) out[key] = valueOf(s, key) === valueOf(PAPER_SCENARIO, key) ? undefined : fieldText(s, key);
  return out;
}

/** The labels of the fields that differ from the paper's scenario (empty: it is the paper's). */
export function changedFields(s: PaperScenario): string[] {
  return FIELDS.filter(({ key }) => valueOf(s, key) !== valueOf(PAPER_SCENARIO, key)).map((f) => f.label);
}

/** The form field a ConfigError from validateBatch names (`fleets[0].agents[2].lambda` → lambda2). */
export function fieldOfConfigError(field: string): FieldKey | undefined {
  const agent = /^fleets\[0\]\.agents\[(\d+)\]\.(T|R|P|lambda)$/.exec(field);
  if (agent) return `${agent[2] as AgentKey}${Number(agent[1])}`;
  return (['lmax', 'steps', 'arrivals', 'seed'] as const).find((k) => k === field);
}

/**
 * The batch of a scenario: its fleet under static, roundRobin and adaptive (runs 0, 1, 2), with the
 * paper's Δt and price. Throws validateBatch's ConfigError when a value is outside the engine's range.
 */
export function scenarioBatch(s: PaperScenario): Batch {
  const agents = s.agents.map((a, i) => ({ ...a, name: AGENT_NAMES[i]! }));
  const policies = PAPER_POLICIES.map((name) => POLICY[name]);
  const config = { ...PAPER_CONFIG, lmax: s.lmax, steps: s.steps, arrivals: s.arrivals, seed: s.seed };
  return makeBatch(packFleets([{ agents }]), crossRuns(1, policies, 1), config);
}
