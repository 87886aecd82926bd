/**
 * The Paper view's form: the agents' names, T, R, P, λ, M and pinned in a grid (one row per agent, each with a
 * remove button; an add button and the paper's fleet under it), the workflow switch, the fleet's GPUs
 * (how many, and the mode with more than one), the serverless lifecycle's switch with its settings
 * (shown only with it on), then L_max,
 * steps, arrivals and seed, then the arrival process's parameters (only those of the chosen process are
 * shown). Each control has an accessible name with its unit and an error span right after it
 * (aria-describedby), filled by the view when the field's text is outside its range.
 */
import type { ArrivalMode } from '../../src/model/batch.js';
import { el } from '../lib/dom.js';
import {
  agentFields,
  ARRIVAL_FIELDS,
  type FieldKey,
  fieldApplies,
  GPU_FIELDS,
  LIFECYCLE_FIELD,
  LIFECYCLE_FIELDS,
  lifecycleApplies,
  MAX_PAGE_AGENTS,
  type PaperScenario,
  RUN_FIELDS,
  scenarioFields,
  WORKFLOW_FIELD,
} from './paperScenario.js';

/** Short column titles of the agents' grid, and the unit each input's accessible name carries. */
const AGENT_COLUMNS: readonly { title: string; unit: string }[] = [
  { title: 'name', unit: 'its name in the tables and legends' },
  { title: 'T (requests/s)', unit: 'requests/s with the whole GPU' },
  { title: 'R (min share)', unit: 'minimum GPU share, 0 to 1' },
  { title: 'P (priority)', unit: 'priority, 1 = most important' },
  { title: 'λ (requests/s)', unit: 'nominal arrival rate, requests/s' },
  { title: 'M (MB)', unit: 'model size, MB: the lifecycle’s load time and memory' },
  { title: 'pinned', unit: 'with the lifecycle: never scaled to zero nor evicted' },
];
const RUN_TITLES: Readonly<Partial<Record<FieldKey, string>>> = {
  lmax: 'L_max (s)',
  steps: 'steps (Δt = 1 s)',
  arrivals: 'arrivals',
  seed: 'seed',
  cv: 'cv (gamma, weibull)',
  idc: 'MMPP idc J (> 1)',
  highFraction: 'MMPP high fraction π_H',
  peakRatio: 'MMPP peak ratio κ',
  trace: 'follow the Azure trace',
  workflow: 'workflow',
  lifecycle: 'lifecycle',
  keepAlive: 'keep-alive K (s, or never)',
  coldStart: 'cold start C0 (s)',
  loadBandwidth: 'load bandwidth (GB/s)',
  loadSlots: 'load slots per GPU (or unlimited)',
  usable: 'usable fraction of the memory',
  gpus: 'GPUs (1 to 8)',
  gpuMode: 'GPU mode',
  eligible: 'who shares the GPU',
  initialPhase: 'agents start',
  gpu: 'GPU memory',
  evict: 'eviction',
};

export interface Form {
  node: HTMLFormElement;
  /** The controls of the fields, the agents' included (setAgents replaces those). */
  inputs: Map<FieldKey, HTMLInputElement | HTMLSelectElement>;
  /** Each field's error span, and `agents`'s (the fleet's size, beside the add button). */
  errors: Map<FieldKey, HTMLElement>;
  reset: HTMLButtonElement;
  /** Restores the paper's four agents (the run's settings stay). */
  paperFleet: HTMLButtonElement;
  addAgent: HTMLButtonElement;
  /** Called with the agent's index when its remove button is pressed. */
  onRemove: (i: number) => void;
  /** The agents the grid has rows for. */
  agentCount(): number;
  /** Rebuilds the grid with `count` rows (empty inputs: the view fills them). */
  setAgents(count: number): void;
  /** Shows the parameter fields of process `arrivals` only (the others are ignored, so hidden). */
  showFor(arrivals: string): void;
  /**
   * Marks the λ of agent i unused where external[i] is false (in a workflow, an agent other than the
   * entry takes only routed requests): disabled, its value kept for when the workflow is switched off.
   */
  showExternal(external: readonly boolean[]): void;
  /**
   * Shows the lifecycle's settings only with it on (the usable fraction and the eviction rule only with
   * a memory limit), and the GPU mode only with more than one GPU.
   */
  showLifecycle(s: Pick<PaperScenario, 'lifecycle' | 'gpu' | 'gpus'>): void;
}

/** Every field the form can show (agents up to MAX_PAGE_AGENTS). */
const ALL_FIELDS = scenarioFields(MAX_PAGE_AGENTS);

function input(key: FieldKey, accessibleName: string): { control: HTMLInputElement | HTMLSelectElement; error: HTMLElement } {
  const error = el('span', { class: 'field-error', id: `error-${key}`, 'aria-live': 'polite' });
  const attrs = { id: `field-${key}`, name: key, 'aria-label': accessibleName, 'aria-describedby': error.id };
  const field = ALL_FIELDS.find((f) => f.key === key)!;
  const control =
    field.kind === 'choice'
      ? el('select', attrs, ...field.choices.map((c, k) => el('option', { value: c }, field.texts?.[k] ?? c)))
      : el('input', {
          ...attrs,
          type: 'text',
          ...(field.kind === 'text' ? { maxlength: 200 } : { inputmode: field.kind === 'number' && field.integer ? 'numeric' : 'decimal' }),
          size: field.kind === 'text' ? 12 : 9,
          autocomplete: 'off',
        });
  return { control, error };
}

/** The scenario's form: a grid of the agents' fields and the run's settings, each with its error next to it. */
export function buildForm(): Form {
  const inputs = new Map<FieldKey, HTMLInputElement | HTMLSelectElement>();
  const errors = new Map<FieldKey, HTMLElement>();
  const cell = (key: FieldKey, accessibleName: string, title?: string): HTMLElement => {
    const { control, error } = input(key, accessibleName);
    inputs.set(key, control);
    errors.set(key, error);
    return el('label', { class: 'field', 'data-field': key }, title ? el('span', {}, title) : null, control, error);
  };
  const grid = el('div', { class: 'agent-grid' });
  const heads = [...AGENT_COLUMNS.map((c) => el('span', { class: 'head', 'aria-hidden': 'true' }, c.title)), el('span', { class: 'head' })];
  let count = 0;
  const form: Form = {} as Form;
  const setAgents = (n: number): void => {
    for (const [key] of inputs) {
      if (/^(name|T|R|P|lambda|M|pinned)\d+$/.test(key)) {
        inputs.delete(key);
        errors.delete(key);
      }
    }
    count = n;
    grid.replaceChildren(
      ...heads,
      ...Array.from({ length: n }, (_, i) => {
        const remove = el(
          'button',
          { type: 'button', class: 'remove-agent', 'aria-label': `remove agent ${i + 1}`, disabled: n <= 1, title: 'remove this agent' },
          '✕',
        );
        remove.addEventListener('click', () => form.onRemove(i));
        return [
          ...agentFields(i).map((f, k) => cell(f.key, `agent ${i + 1} ${f.label.split(' ').pop()!} (${AGENT_COLUMNS[k]!.unit})`)),
          remove,
        ];
      }).flat(),
    );
    addAgent.disabled = n >= MAX_PAGE_AGENTS;
  };
  const addAgent = el('button', { type: 'button', id: 'add-agent' }, 'Add an agent');
  const paperFleet = el('button', { type: 'button', id: 'paper-fleet' }, 'The paper’s fleet');
  const countError = el('span', { class: 'field-error', id: 'error-agents', 'aria-live': 'polite' });
  errors.set('agents', countError);
  const fleetButtons = el(
    'div',
    { class: 'buttons fleet-buttons' },
    addAgent,
    paperFleet,
    el('span', { class: 'field-help' }, `1 to ${MAX_PAGE_AGENTS} agents (fleetsim sweep takes larger fleets)`),
    countError,
  );
  const reset = el('button', { type: 'button' }, 'Reset to the paper');
  const run = el(
    'fieldset',
    { class: 'run-fields' },
    el('legend', {}, 'Run'),
    ...RUN_FIELDS.map((f) => cell(f.key, RUN_TITLES[f.key] ?? f.label, RUN_TITLES[f.key] ?? f.label)),
    el('div', { class: 'buttons' }, el('button', { type: 'submit' }, 'Run'), reset),
  );
  const cells = new Map<FieldKey, HTMLElement>();
  const process = el(
    'fieldset',
    { class: 'run-fields arrival-fields' },
    el('legend', {}, 'Arrival process (every agent)'),
    ...ARRIVAL_FIELDS.map((f) => {
      const node = cell(f.key, RUN_TITLES[f.key] ?? f.label, RUN_TITLES[f.key] ?? f.label);
      cells.set(f.key, node);
      return node;
    }),
    el('p', { class: 'field-help', id: 'arrival-help' }),
  );
  const help = process.querySelector('#arrival-help')!;
  const showFor = (arrivals: string): void => {
    const mode = arrivals as ArrivalMode;
    for (const [key, node] of cells) node.hidden = !fieldApplies(key, mode);
    process.hidden = [...cells.values()].every((node) => node.hidden) && mode !== 'replay';
    help.textContent =
      mode === 'replay'
        ? 'Replay: each agent replays the Azure conversation trace (2023, CC-BY-4.0), thinned or copied to its λ.'
        : 'Azure trace: the rate follows the Azure conversation trace’s per-second counts, scaled to each agent’s λ.';
    (help as HTMLElement).hidden = mode !== 'replay' && !fieldApplies('trace', mode);
  };
  const workflow = el(
    'fieldset',
    { class: 'run-fields workflow-fields' },
    el('legend', {}, 'Workflow (agents that feed each other)'),
    cell(WORKFLOW_FIELD.key, RUN_TITLES.workflow!, RUN_TITLES.workflow),
    el(
      'p',
      { class: 'field-help', id: 'workflow-help' },
      'The paper’s workflow: external requests arrive at the coordinator only (at its λ); each request it completes goes on to nlp, vision or reasoning with p = 0.3 each (0.1 leaves), and each specialist returns it to the coordinator with p = 0.5 (the rest leaves). A hop takes one step. With the paper’s λ = 80/s the coordinator must serve γ = 80/0.55 ≈ 145 requests/s, more than its T = 100 with the whole GPU: try λ = 15.',
    ),
  );
  const showExternal = (external: readonly boolean[]): void => {
    external.forEach((outside, i) => {
      const lambda = inputs.get(`lambda${i}`);
      if (!lambda) return;
      lambda.disabled = !outside;
      lambda.title = outside ? '' : 'routed: in the workflow this agent receives only what other agents send it (its λ is not used)';
    });
  };
  const lifecycleCells = new Map<FieldKey, HTMLElement>();
  const lifecycle = el(
    'fieldset',
    { class: 'run-fields lifecycle-fields' },
    el('legend', {}, 'Serverless lifecycle (cold starts, keep-alive, GPU memory)'),
    cell(LIFECYCLE_FIELD.key, RUN_TITLES.lifecycle!, RUN_TITLES.lifecycle),
    ...LIFECYCLE_FIELDS.map((f) => {
      const node = cell(f.key, RUN_TITLES[f.key] ?? f.label, RUN_TITLES[f.key] ?? f.label);
      lifecycleCells.set(f.key, node);
      return node;
    }),
    el(
      'p',
      { class: 'field-help', id: 'lifecycle-help' },
      'An agent is COLD, LOADING or WARM (docs/serverless.md). A cold agent with work loads its model for C_i = C0 + M_i/B_load seconds (one load at a time), serving nothing meanwhile, then serves until it has been idle for K seconds and scales to zero. With a GPU’s memory, an agent that does not fit evicts idle ones, or waits. With the paper’s rates the agents are never idle for long: try λ below 0.1/s, or a short K.',
    ),
  );
  const gpuCells = new Map<FieldKey, HTMLElement>();
  const gpuFields = el(
    'fieldset',
    { class: 'run-fields gpu-fields' },
    el('legend', {}, 'GPUs (several GPUs per fleet)'),
    ...GPU_FIELDS.map((f) => {
      const node = cell(f.key, RUN_TITLES[f.key] ?? f.label, RUN_TITLES[f.key] ?? f.label);
      gpuCells.set(f.key, node);
      return node;
    }),
    el(
      'p',
      { class: 'field-help', id: 'gpu-help' },
      'The fleet’s capacity is one per GPU, and each GPU has the card’s memory (the lifecycle’s GPU memory). Placement puts each agent on one GPU (longest processing time first, by λ/T) and runs the policy on each GPU over its own agents. A pool runs one allocator over every agent at the whole capacity, each agent capped at one GPU; a model loads on the GPU with the most free memory (fixed shares and round-robin skipping idle agents have no pool form).',
    ),
  );
  const showLifecycle = (s: Pick<PaperScenario, 'lifecycle' | 'gpu' | 'gpus'>): void => {
    for (const [key, node] of [...lifecycleCells, ...gpuCells]) node.hidden = !lifecycleApplies(key, s);
    (gpuFields.querySelector('#gpu-help') as HTMLElement).hidden = s.gpus <= 1;
    (lifecycle.querySelector('#lifecycle-help') as HTMLElement).hidden = s.lifecycle !== 'on';
  };
  const node = el(
    'form',
    { class: 'params paper-form', novalidate: true, 'aria-label': 'scenario' },
    el('fieldset', {}, el('legend', {}, 'Agents (Table I of the paper by default)'), grid, fleetButtons),
    workflow,
    gpuFields,
    lifecycle,
    run,
    process,
  );
  Object.assign(form, {
    node,
    inputs,
    errors,
    reset,
    paperFleet,
    addAgent,
    onRemove: () => undefined,
    agentCount: () => count,
    setAgents,
    showFor,
    showExternal,
    showLifecycle,
  });
  return form;
}
