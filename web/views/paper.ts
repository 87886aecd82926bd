/**
 * Paper view: the paper's scenario (arXiv 2512.22149), or any fixed fleet of up to MAX_PAGE_AGENTS
 * named agents, on the page's engine — WebGPU, or the CPU engine in a worker — with Table II beside
 * the paper's figures, per-agent tables with each agent's offered load under each policy (an agent
 * at load ≥ 1 flagged: its queue grows for the whole run), the four panels of its Figure 2, each
 * agent's queue and latency over the steps of one run, the run's arrivals (per agent over time, and
 * their rate and dispersion), and a form to add, remove, name and change the agents, L_max, steps and
 * the arrival process (MODEL-PART4 §4.1–4.2). A switch routes the paper's agents as the shipped
 * workflow (MODEL-PART4 §4.6, PAPER_WORKFLOW): its graph, each agent's visit rates and the end-to-end
 * latency by Little's law then stand beside the per-agent table (web/views/workflowFigure.ts), and
 * offered loads count visits (γ). A second switch turns the serverless lifecycle on (MODEL-PART4
 * §4.3–4.4, `lifecycle=on`): the lifecycle's metrics and cost split per policy, each agent's cold starts
 * and phase times (web/views/lifecycleFigure.ts), and under the time charts' policy each agent's
 * COLD / LOADING / WARM timeline and the GPU memory in use. With several GPUs (by placement or as one
 * pool, MODEL-PART4 §4.5) each GPU's utilisation and memory (web/views/gpusFigure.ts). The scenario lives in the URL
 * (web/views/paperScenario.ts), so a link reproduces it; a bad field shows its error next to it and
 * leaves the last good result on the page.
 */
import { runSeriesCpu, type RunSeries } from '../../src/cpu/engine.js';
import type { Batch } from '../../src/model/batch.js';
import { ConfigError } from '../../src/model/errors.js';
import { type AgentSummary, type BatchResult, runSummary, summarize } from '../../src/model/metrics.js';
import { MODEL_TABLE_II, PAPER_TABLE_II } from '../../src/model/paper.js';
import { POLICIES, POLICY_NAMES, type PolicyName } from '../../src/model/policies.js';
import { policySummary, policyTags } from '../../src/study/policyInfo.js';
import { showBackend } from '../lib/badge.js';
import { destroyCharts, lineChart, policyColor, policyLabel } from '../lib/charts.js';
import { dataTable, el, messageBox } from '../lib/dom.js';
import { type Engine, engineDetail } from '../../src/platform/engine.js';
import { backendBadge, pageEngine } from '../lib/engine.js';
import { currentView, readHash, ViewState } from '../lib/url.js';
import { isWorkflow } from '../../src/model/workflow.js';
import { AGENT_COLORS, agentTimeChart } from '../lib/timeCharts.js';
import {
  agentIdc,
  agentLoads,
  allocationData,
  arrivalData,
  latencyData,
  perAgentData,
  queueData,
  scatterData,
  seriesGap,
} from './paperFigures.js';
import { buildForm } from './paperForm.js';
import {
  type AgentParams,
  changedFields,
  defaultAgent,
  displayName,
  type FieldKey,
  fieldOfConfigError,
  fieldText,
  MAX_PAGE_AGENTS,
  newAgent,
  PAPER_SCENARIO,
  type PaperScenario,
  parsePolicies,
  parseScenario,
  policiesParam,
  POLICIES_KEY,
  scenarioArrivals,
  scenarioBatch,
  scenarioParams,
  scenarioPolicyProblem,
} from './paperScenario.js';
import { pageTraces } from './paperTrace.js';
import { scenarioWorkflow } from './paperWorkflow.js';
import { workflowBlock } from './workflowFigure.js';
import { lifecycleBlock, lifecycleTime } from './lifecycleFigure.js';
import { gpuBlock, gpuTime } from './gpusFigure.js';

/** Typing pauses this long before a valid form runs (a change or Enter runs at once). */
const TYPING_PAUSE_MS = 300;
const CHART_SIZE = { width: 540, height: 300 };

/** The results of one run, kept so that panel (c)'s policy can change without running again. */
interface Shown {
  scenario: PaperScenario;
  /** The policies run, in run order (the picker's; the paper's three by default). */
  policies: PolicyName[];
  batch: Batch;
  result: BatchResult;
  perPolicy: AgentSummary[][];
  series: RunSeries[];
  gap: number;
  engine: Engine;
  ms: number;
}

const isPaper = (s: PaperScenario): boolean => changedFields(s).length === 0;
/** The agents' names as the tables and legends show them. */
const namesOf = (s: PaperScenario): string[] => s.agents.map((a) => displayName(a.name));
/** Whether the run routes requests between its agents (the workflow switch on). */
const routed = (shown: Shown): boolean => isWorkflow(shown.batch.fleets, 0);
/** Whether the run has the serverless lifecycle (its switch on). */
const lifecycleOf = (shown: Shown): boolean => shown.batch.config.lifecycle !== undefined;
/** Whether the run's fleet has several GPUs (by placement or as a pool). */
const severalGpus = (shown: Shown): boolean => shown.batch.fleets.gpuCount[0]! > 1;

/**
 * Each agent's T and the rate it must serve, for its offered load: λ, or in a workflow its visit rate
 * γ from the traffic equations (PackedFleets.demand), external and routed requests together.
 */
function servedRates(shown: Shown): { T: number; lambda: number }[] {
  const { fleets } = shown.batch;
  const a0 = fleets.agentOffset[0]!;
  return shown.scenario.agents.map((a, i) => ({ T: a.T, lambda: routed(shown) ? fleets.demand[a0 + i]! : a.lambda }));
}

function tableII(shown: Shown): HTMLTableElement {
  const { result, scenario } = shown;
  const paper = isPaper(scenario);
  // The paper's policies among those run: Table II compares those only.
  const rows = shown.policies.flatMap((name, r) => {
    if (!isPaperPolicy(name)) return [];
    const published = PAPER_TABLE_II[name];
    return [
      [
        policyLabel(name),
        result.avgLatency[r]!.toFixed(3),
        published.avgLatency.toFixed(1),
        paper ? MODEL_TABLE_II.avgLatency[name].toFixed(3) : '—',
        result.throughput[r]!.toFixed(2),
        result.capacityThroughput[r]!.toFixed(2),
        published.throughput.toFixed(1),
        result.cost[r]!.toFixed(4),
        published.cost.toFixed(3),
        result.crossAgentStd[r]!.toFixed(2),
      ],
    ];
  });
  const headers = [
    'policy',
    'avgLatency (s)',
    'paper (s)',
    'MODEL.md (s)',
    'served (rps)',
    'capacity (rps)',
    'paper (rps)',
    'cost ($)',
    'paper ($)',
    'crossAgentStd (s)',
  ];
  const table = dataTable('Table II: fleetsim beside the paper (the paper’s three policies only)', headers, rows);
  table.id = 'table-ii';
  return table;
}

function agentTable(shown: Shown): HTMLTableElement {
  const paper = isPaper(shown.scenario);
  const names = namesOf(shown.scenario);
  const rows = shown.policies.flatMap((name, r) => {
    const loads = agentLoads(servedRates(shown), shown.perPolicy[r]!);
    return shown.perPolicy[r]!.map((a, i) => [
      `${names[i]}, ${policyLabel(name)}`,
      a.latency.toFixed(3),
      paper && isPaperPolicy(name) ? MODEL_TABLE_II.perAgentLatency[name][i]!.toFixed(3) : '—',
      a.throughput.toFixed(2),
      a.share.toFixed(4),
      a.meanQueue.toFixed(1),
      a.finalQueue.toFixed(1),
      loadText(loads[i]!),
    ]);
  });
  const headers = [
    'agent, policy',
    'latency (s)',
    'MODEL.md (s)',
    'throughput (rps)',
    'mean share (GPU)',
    'mean queue (req)',
    'final queue (req)',
    routed(shown) ? 'offered load γ/(T·ḡ)' : 'offered load λ/(T·ḡ)',
  ];
  const table = dataTable('Per agent', headers, rows);
  table.id = 'per-agent';
  table.querySelectorAll('tbody tr').forEach((tr, k) => {
    const load = agentLoads(servedRates(shown), shown.perPolicy[Math.floor(k / names.length)]!)[k % names.length]!;
    if (load >= 1) tr.classList.add('overloaded');
  });
  return table;
}

/** An offered load for the tables: two digits, ∞ where the agent got no GPU but has arrivals. */
const loadText = (load: number): string => (load === Infinity ? '∞ ⚠' : `${load.toFixed(2)}${load >= 1 ? ' ⚠' : ''}`);

/** The words under the per-agent table: which agents' queues grow without bound, under which policy. */
function stabilityNote(shown: Shown): HTMLElement {
  const names = namesOf(shown.scenario);
  const over = shown.policies.flatMap((policy, r) =>
    agentLoads(servedRates(shown), shown.perPolicy[r]!).flatMap((load, i) =>
      load >= 1 ? [`${names[i]} under ${policyLabel(policy)} (load ${load === Infinity ? '∞' : load.toFixed(2)})`] : [],
    ),
  );
  const note = el(
    'p',
    { class: over.length ? 'note warning' : 'note', id: 'stability-note', role: over.length ? 'alert' : undefined },
    over.length
      ? `Overloaded: ${over.join('; ')}. Its queue grows without bound: results depend on run length (a longer run gives a larger mean latency).`
      : `Every agent’s offered load ${routed(shown) ? 'γ/(T·ḡ)' : 'λ/(T·ḡ)'} is below 1 under every policy (ḡ: its mean GPU share in this run${routed(shown) ? '; γ: its visit rate' : ''}).`,
  );
  note.dataset.overloaded = String(over.length);
  return note;
}

/** The windows (steps) of the arrival metrics' indices of dispersion. */
const IDC_STEPS = [1, 10, 100] as const;
/** A metric for the tables: fixed digits, or — where it is undefined (NaN). */
const shownNumber = (x: number, digits: number): string => (Number.isFinite(x) ? x.toFixed(digits) : '—');

/**
 * The run's arrivals, per agent and for the fleet: realized rate, index of dispersion over 1, 10 and
 * 100 steps, and the largest step. The same under every policy (arrivals never depend on it): run 0's.
 */
function arrivalTable(shown: Shown): HTMLElement {
  const { result, perPolicy, series, batch } = shown;
  const warmup = batch.config.warmup ?? 0;
  const names = namesOf(shown.scenario);
  const rows = perPolicy[0]!.map((a, i) => [
    names[i]!,
    a.realizedRate.toFixed(2),
    shownNumber(a.idc1, 3),
    ...IDC_STEPS.slice(1).map((w) => shownNumber(agentIdc(series[0]!, i, w, warmup), 3)),
    a.maxArrivals.toFixed(0),
  ]);
  rows.push([
    'fleet (all agents)',
    result.realizedRate[0]!.toFixed(2),
    shownNumber(result.idc1[0]!, 3),
    shownNumber(result.idc10[0]!, 3),
    shownNumber(result.idc100[0]!, 3),
    result.maxStepArrivals[0]!.toFixed(0),
  ]);
  const headers = [
    'agent',
    'realized rate (requests/s)',
    ...IDC_STEPS.map((w) => `IDC, ${w}-step windows`),
    'max step arrivals (requests)',
  ];
  const caption = routed(shown)
    ? `Arrivals under ${policyLabel(shown.policies[0]!)}, external and routed (the external ones are the same under every policy, the routed ones depend on it)`
    : 'Arrivals (the same under every policy)';
  const table = dataTable(caption, headers, rows);
  table.id = 'arrival-metrics';
  const approx = result.approxSteps[0]!;
  const note = el(
    'p',
    { class: 'note', id: 'arrival-note' },
    'IDC: the variance over the mean of the arrivals in windows of 1, 10 or 100 steps (1 for Poisson); it needs two complete windows of recorded steps and some arrivals, — where it has not.' +
      (approx > 0 ? ` ${approx} agent-step(s) drew their count with an approximation.` : ''),
  );
  return el('div', { class: 'arrival-block' }, table, note);
}

function arrivalChart(shown: Shown): HTMLElement {
  const figure = lineChart({
    title: `Arrivals per step and agent: ${shown.scenario.arrivals}${routed(shown) ? `, external and routed, under ${policyLabel(shown.policies[0]!)}` : ''}`,
    x: { label: 'time (s)' },
    y: { label: 'arrivals (requests per step)', zero: true },
    series: namesOf(shown.scenario).map((name, i) => ({ label: name, color: AGENT_COLORS[i % AGENT_COLORS.length]!, stepped: true })),
    data: arrivalData(shown.series[0]!, shown.batch.config.dt),
    ...CHART_SIZE,
  });
  figure.id = 'panel-arrivals';
  return figure;
}

const policySeries = (shown: Shown, points: boolean) =>
  shown.policies.map((p) => ({ label: policyLabel(p), color: policyColor(p), points }));

/** One of the paper's three (Table II and MODEL.md's figures exist for these only). */
const isPaperPolicy = (name: PolicyName): name is PolicyName & keyof typeof PAPER_TABLE_II => POLICIES[name].paper;

/** The policy a per-policy chart shows: the URL's (`key`) when it was run, else adaptive, else the first run. */
function chartPolicy(shown: Shown, wanted: string | undefined): PolicyName {
  const run = shown.policies as readonly string[];
  return wanted !== undefined && run.includes(wanted) ? (wanted as PolicyName) : run.includes('adaptive') ? 'adaptive' : shown.policies[0]!;
}

/** The picker's select of the policies run. */
const policySelect = (shown: Shown, id: string, label: string, value: PolicyName): HTMLSelectElement => {
  const select = el('select', { id, 'aria-label': label }, ...shown.policies.map((p) => el('option', { value: p }, policyLabel(p))));
  select.value = value;
  return select;
};

function allocationChart(shown: Shown, policy: PolicyName): HTMLElement {
  const r = shown.policies.indexOf(policy);
  const figure = lineChart({
    title: `(c) GPU share per agent over time: ${policyLabel(policy)}`,
    x: { label: 'time (s)' },
    y: { label: 'GPU share g (GPUs)', zero: true },
    series: namesOf(shown.scenario).map((name, i) => ({ label: name, color: AGENT_COLORS[i % AGENT_COLORS.length]!, stepped: true })),
    data: allocationData(shown.series[r]!, shown.batch.config.dt),
    ...CHART_SIZE,
  });
  figure.id = 'panel-allocation';
  return figure;
}

export function mountPaper(root: HTMLElement, initial: ViewState): () => void {
  let state = initial;
  const message = messageBox();
  const form = buildForm();
  const picker = policyPicker(parsePolicies(state.get(POLICIES_KEY)));
  const note = el('p', { class: 'note' });
  const tables = el('div', { class: 'tables' });
  const panels = el('div', { class: 'charts panels' });
  const timeSection = el('section', { class: 'agent-time', id: 'agent-time' });
  const caption = el('p', { class: 'note', id: 'series-note' });
  root.append(
    el('h2', {}, 'The paper’s scenario: Table II and Figure 2 of arXiv 2512.22149'),
    el(
      'p',
      {},
      'Agents share one GPU (or several: by placement or as one pool) under three allocation policies: the paper’s four, or your own fleet (add, remove and name agents). Change any value and the result updates; the URL keeps the scenario, so a link reproduces it.',
    ),
    form.node,
    picker.node,
    message.node,
    note,
    tables,
    panels,
    timeSection,
    caption,
  );

  const enginePromise = pageEngine(state.get('backend'));
  let alive = true;
  let typing: ReturnType<typeof setTimeout> | undefined;
  let queued: Job | null = null;
  let busy = false;
  let invalid = false;
  /** The scenario last sent to the engine (JSON); a change event that alters nothing does not rerun. */
  let requestedKey: string | null = null;

  const setState = (s: string): void => {
    if (alive) document.body.dataset.state = s;
  };

  /** A link's fleet size that is out of range (the form shows the paper's fleet, and the size's error, until the fleet changes). */
  let linkCount: string | null = null;
  /** Fills the form from text per field; `agents` (the fleet's size, 1 to MAX_PAGE_AGENTS) sets its rows first. */
  const fillForm = (text: (key: FieldKey) => string): void => {
    const count = Number(text('agents'));
    const valid = Number.isInteger(count) && count >= 1 && count <= MAX_PAGE_AGENTS;
    linkCount = valid ? null : text('agents'); // marked until the fleet is changed in the form
    form.setAgents(valid ? count : PAPER_SCENARIO.agents.length);
    for (const [key, control] of form.inputs) control.value = text(key);
    form.showFor(form.inputs.get('arrivals')!.value);
    form.showLifecycle(parseScenario(formText).scenario);
  };
  /** The form's text per field; `agents` is its rows' count. */
  const formText = (key: FieldKey): string => (key === 'agents' ? (linkCount ?? String(form.agentCount())) : form.inputs.get(key)!.value);
  /** The agents' rows as text (name, T, R, P, λ per agent), to rebuild the grid with one more or one less. */
  const agentRows = (): Record<string, string>[] =>
    Array.from({ length: form.agentCount() }, (_, i) =>
      Object.fromEntries(['name', 'T', 'R', 'P', 'lambda', 'M', 'pinned'].map((k) => [k, formText(`${k}${i}` as FieldKey)])),
    );
  const fillAgents = (rows: readonly Record<string, string>[]): void => {
    linkCount = null;
    form.setAgents(rows.length);
    rows.forEach((row, i) => {
      for (const [k, v] of Object.entries(row)) form.inputs.get(`${k}${i}` as FieldKey)!.value = v;
    });
  };
  /** Marks the fields in `errors` (clearing the others); returns whether the form is valid. */
  const markErrors = (errors: ReadonlyMap<FieldKey, string>): boolean => {
    for (const [key, span] of form.errors) {
      const problem = errors.get(key);
      span.textContent = problem ?? '';
      const control = form.inputs.get(key); // `agents` has no control of its own
      if (problem) control?.setAttribute('aria-invalid', 'true');
      else control?.removeAttribute('aria-invalid');
    }
    invalid = errors.size > 0;
    return !invalid;
  };

  /** Each agent's queue and latency over the run's steps, under the policy the picker (URL key `tp`) names. */
  const renderTime = (next: Shown): void => {
    const policy = chartPolicy(next, state.get('tp'));
    const select = policySelect(next, 'time-policy', 'policy of the queue and latency charts', policy);
    const charts = el('div', { class: 'charts time-charts' });
    const draw = (p: PolicyName): void => {
      destroyCharts(charts);
      const r = next.policies.indexOf(p);
      const names = namesOf(next.scenario);
      const notes = agentLoads(servedRates(next), next.perPolicy[r]!).map((load) => (load >= 1 ? `load ${loadText(load)}` : ''));
      const { dt } = next.batch.config;
      const queue = agentTimeChart({
        title: `Queue Q per agent after each step: ${policyLabel(p)}`,
        y: 'queue Q (requests)',
        names,
        notes,
        data: queueData(next.series[r]!, dt),
        ...CHART_SIZE,
      });
      queue.id = 'time-queue';
      const latency = agentTimeChart({
        title: `Latency ℓ per agent at each step: ${policyLabel(p)}`,
        y: 'latency ℓ (s)',
        names,
        notes,
        data: latencyData(next.series[r]!, dt),
        ...CHART_SIZE,
      });
      latency.id = 'time-latency';
      charts.replaceChildren(
        queue,
        latency,
        ...(lifecycleOf(next) ? lifecycleTime(next.series[r]!, next.batch, names, p) : []),
        ...(severalGpus(next) ? gpuTime(next.series[r]!, next.batch, names, p) : []),
      );
    };
    select.addEventListener('change', () => {
      const p = select.value as PolicyName;
      state.set({ tp: p === 'adaptive' ? undefined : p });
      draw(p);
    });
    destroyCharts(timeSection);
    timeSection.replaceChildren(
      el(
        'h3',
        {},
        `Each agent’s queue and latency${lifecycleOf(next) ? ', phase and the GPU memory in use' : ''}${severalGpus(next) ? ', and each GPU’s utilisation' : ''} over the run`,
      ),
      el('label', { class: 'panel-control' }, 'policy ', select),
      charts,
    );
    draw(policy);
  };

  const render = (next: Shown): void => {
    const { scenario, engine } = next;
    const changed = changedFields(scenario);
    note.textContent =
      changed.length === 0
        ? 'This is the paper’s scenario: fleetsim’s figures should equal the MODEL.md column; the paper’s are as printed (rounded).'
        : `Your scenario differs from the paper’s in ${changed.join(', ')}: the paper’s and MODEL.md’s columns are for the paper’s own scenario.`;
    tables.replaceChildren(
      tableII(next),
      agentTable(next),
      stabilityNote(next),
      workflowBlock({
        batch: next.batch,
        result: next.result,
        policies: next.policies,
        names: namesOf(scenario),
        perPolicy: next.perPolicy,
      }),
      ...(lifecycleOf(next)
        ? [lifecycleBlock({ batch: next.batch, result: next.result, policies: next.policies, names: namesOf(scenario) })]
        : []),
      ...(severalGpus(next)
        ? [gpuBlock({ batch: next.batch, result: next.result, policies: next.policies, names: namesOf(scenario), series: next.series })]
        : []),
      arrivalTable(next),
    );
    destroyCharts(panels);
    const perPolicy = next.perPolicy;
    const agentAxis = { label: 'agent', categories: namesOf(scenario) };
    renderTime(next);
    const allocPolicy = chartPolicy(next, state.get('alloc'));
    const select = policySelect(next, 'alloc-policy', 'policy of panel (c)', allocPolicy);
    const allocSlot = el(
      'div',
      { class: 'panel-slot' },
      el('label', { class: 'panel-control' }, 'policy of panel (c) ', select),
      allocationChart(next, allocPolicy),
    );
    select.addEventListener('change', () => {
      const policy = select.value as PolicyName;
      state.set({ alloc: policy === 'adaptive' ? undefined : policy });
      const old = allocSlot.querySelector('figure.chart');
      if (old) destroyCharts(allocSlot);
      old?.replaceWith(allocationChart(next, policy));
    });
    panels.replaceChildren(
      lineChart({
        title: '(a) Per-agent latency by policy',
        x: agentAxis,
        y: { label: 'mean latency ℓ (s)', zero: true },
        series: policySeries(next, true),
        data: perAgentData(perPolicy, 'latency'),
        ...CHART_SIZE,
      }),
      lineChart({
        title: '(b) Per-agent throughput by policy',
        x: agentAxis,
        y: { label: 'throughput served (requests/s)', zero: true },
        series: policySeries(next, true),
        data: perAgentData(perPolicy, 'throughput'),
        ...CHART_SIZE,
      }),
      allocSlot,
      lineChart({
        title: '(d) Latency against throughput, one point per agent',
        x: { label: 'throughput served (requests/s)' },
        y: { label: 'mean latency ℓ (s)', zero: true },
        series: policySeries(next, true),
        data: scatterData(perPolicy),
        ...CHART_SIZE,
      }),
      arrivalChart(next),
    );
    const name = engine.name === 'gpu' ? 'WebGPU engine' : 'CPU engine (Web Worker)';
    caption.textContent =
      `Table II, the per-agent and arrival tables and panels (a), (b), (d): the ${name}. Panel (c) and the arrivals: the per-step series of the CPU reference ` +
      `engine (runSeriesCpu, in this page), whose step sums agree with the ${name}’s totals to ${next.gap.toExponential(1)} (relative` +
      `${engine.name === 'gpu' ? '; the GPU keeps queues in f32, so long runs with large queues drift further' : ''}). ` +
      'Drag across a chart to zoom in; double-click to zoom out.';
    caption.dataset.seriesGap = String(next.gap);
    message.show(
      `${backendBadge(engine)}: ${engineDetail(engine)}. ${scenario.steps} steps × ${next.policies.length} ${next.policies.length === 1 ? 'policy' : 'policies'} in ${next.ms.toFixed(0)} ms.`,
    );
  };

  const runOnce = async (scenario: PaperScenario, policies: PolicyName[], batch: Batch): Promise<void> => {
    const engine = await enginePromise;
    showBackend(engine);
    const started = performance.now();
    const result = summarize(batch, await engine.run(batch));
    const ms = performance.now() - started;
    if (!alive || queued) return; // a newer scenario is waiting: show that one instead
    const perPolicy = policies.map((_, r) => runSummary(batch, result, r, namesOf(scenario)).perAgent);
    const series = policies.map((_, r) => runSeriesCpu(batch, r));
    const lifecycle = batch.config.lifecycle !== undefined;
    const gap = Math.max(...series.map((s, r) => seriesGap(s, result.totals, r, batch.config.warmup ?? 0, lifecycle)));
    render({ scenario, policies, batch, result, perPolicy, series, gap, engine, ms });
  };

  /** Runs the latest requested scenario; requests made during a run replace each other. */
  const request = async (job: Job): Promise<void> => {
    queued = job;
    setState('running');
    if (busy) return;
    busy = true;
    try {
      while (queued && alive) {
        const job: Job = queued;
        queued = null;
        await runOnce(job.scenario, job.policies, job.batch);
      }
      setState(invalid ? 'invalid' : 'done');
    } catch (error) {
      queued = null;
      requestedKey = null; // the same scenario may be tried again
      message.show(`fleetsim failed: ${error instanceof Error ? error.message : String(error)}`, 'error');
      setState('error');
    } finally {
      busy = false;
    }
  };

  /** Validates the whole form; when valid, writes the URL and runs. */
  const commit = (): void => {
    clearTimeout(typing);
    const { scenario, errors } = parseScenario(formText);
    form.showFor(scenario.arrivals);
    form.showExternal(scenarioWorkflow(scenario.agents, scenario.workflow).external);
    form.showLifecycle(scenario);
    const policies = picker.chosen();
    const pickerOk = picker.check();
    let batch: Batch | undefined;
    const poolProblem = scenarioPolicyProblem(scenario, policies);
    if (poolProblem !== undefined) errors.set('gpuMode', poolProblem);
    if (errors.size === 0 && pickerOk) {
      try {
        batch = scenarioBatch(scenario, scenarioArrivals(scenario)?.trace === undefined ? undefined : pageTraces(), policies);
      } catch (error) {
        if (!(error instanceof ConfigError)) throw error;
        errors.set(fieldOfConfigError(error.field, scenario.arrivals) ?? 'lmax', error.message); // the engine's own limits (backstop)
      }
    }
    if (!markErrors(errors) || !pickerOk || !batch) {
      if (!pickerOk) invalid = true;
      setState(busy ? 'running' : 'invalid');
      return;
    }
    state.set({ ...scenarioParams(scenario), [POLICIES_KEY]: policiesParam(policies) });
    const key = JSON.stringify({ scenario, policies });
    if (key === requestedKey) {
      setState(busy ? 'running' : 'done');
      return;
    }
    requestedKey = key;
    void request({ scenario, policies, batch });
  };

  form.node.addEventListener('input', () => {
    clearTimeout(typing);
    const { scenario, errors } = parseScenario(formText);
    form.showFor(scenario.arrivals);
    form.showExternal(scenarioWorkflow(scenario.agents, scenario.workflow).external);
    form.showLifecycle(scenario);
    if (!markErrors(errors)) {
      if (!busy) setState('invalid');
      return;
    }
    setState('pending');
    typing = setTimeout(commit, TYPING_PAUSE_MS);
  });
  form.node.addEventListener('change', commit);
  picker.node.addEventListener('change', commit);
  form.node.addEventListener('submit', (event) => {
    event.preventDefault();
    commit();
  });
  form.reset.addEventListener('click', () => {
    fillForm((key) => fieldText(PAPER_SCENARIO, key));
    commit();
  });
  form.paperFleet.addEventListener('click', () => {
    fillAgents(PAPER_SCENARIO.agents.map((_, i) => agentTexts(defaultAgent(i))));
    commit();
  });
  form.addAgent.addEventListener('click', () => {
    const rows = agentRows();
    if (rows.length >= MAX_PAGE_AGENTS) return;
    fillAgents([...rows, agentTexts(newAgent(rows.map((r) => ({ name: r.name!.trim() }))))]);
    form.inputs.get(`name${rows.length}`)?.focus();
    commit();
  });
  form.onRemove = (i) => {
    const rows = agentRows();
    if (rows.length <= 1) return;
    fillAgents(rows.filter((_, k) => k !== i));
    commit();
  };

  /** A hash edited by hand (same view): take its scenario when it differs from the form's. */
  const onHash = (): void => {
    const params = readHash();
    if (currentView(params) !== 'paper') return;
    state = new ViewState(params);
    const text = (key: FieldKey): string => params.get(key) ?? fieldText(PAPER_SCENARIO, key);
    const linked = parsePolicies(params.get(POLICIES_KEY) ?? undefined);
    const samePolicies = linked.policies.join(',') === picker.chosen().join(',') && linked.error === undefined;
    if (!samePolicies) picker.set(linked);
    if (samePolicies && formText('agents') === text('agents') && [...form.inputs].every(([key, control]) => control.value === text(key)))
      return;
    fillForm(text);
    commit();
  };
  window.addEventListener('hashchange', onHash);

  // The link's values as written (an invalid one stays visible with its error), the paper's elsewhere.
  fillForm((key) => state.get(key) ?? fieldText(PAPER_SCENARIO, key));
  commit();
  if (invalid) message.show('The link’s scenario has values outside their ranges: fix the marked fields to run it.', 'error');

  return () => {
    alive = false;
    clearTimeout(typing);
    window.removeEventListener('hashchange', onHash);
    destroyCharts(panels);
    destroyCharts(timeSection);
  };
}

/** An agent's fields as the form's text. */
function agentTexts(a: AgentParams): Record<string, string> {
  return {
    name: a.name,
    T: String(a.T),
    R: String(a.R),
    P: String(a.P),
    lambda: String(a.lambda),
    M: String(a.M),
    pinned: a.pinned ? 'yes' : 'no',
  };
}

/** A run the view asked for: the scenario, the policies to run (run r is policies[r]) and its batch. */
interface Job {
  scenario: PaperScenario;
  policies: PolicyName[];
  batch: Batch;
}

/** The policy picker: a checkbox per registered policy (registry order), with its description. */
interface PolicyPicker {
  node: HTMLFieldSetElement;
  /** The ticked policies, in registry order. */
  chosen(): PolicyName[];
  /** Shows an error when none is ticked (or a link named an unknown one); returns whether the choice runs. */
  check(): boolean;
  /** Ticks the policies of a link (its error shown until the choice changes). */
  set(reading: { policies: PolicyName[]; error?: string }): void;
}

/**
 * Every policy of the registry (src/model/policies.ts), ticked or not: the ticked ones run and are
 * charted (the paper's three by default; URL key `policies`). Table II compares the paper's three only.
 */
function policyPicker(initial: { policies: PolicyName[]; error?: string }): PolicyPicker {
  const error = el('span', { class: 'field-error', id: 'error-policies', 'aria-live': 'polite' });
  const boxes = new Map<PolicyName, HTMLInputElement>();
  let linkError = initial.error ?? '';
  const items = POLICY_NAMES.map((name) => {
    const box = el('input', { type: 'checkbox', name: 'policy', value: name, 'data-policy': name, 'aria-describedby': error.id });
    boxes.set(name, box);
    const tags = policyTags(name);
    return el(
      'label',
      { class: 'policy-choice', title: policySummary(name) },
      box,
      ` ${policyLabel(name)}`,
      el('span', { class: 'note' }, ` — ${policySummary(name)}${tags.length > 0 ? ` [${tags.join(', ')}]` : ''}`),
    );
  });
  const node = el(
    'fieldset',
    { id: 'policy-picker', class: 'policy-picker' },
    el('legend', {}, 'Policies to run and chart (Table II: the paper’s three only; docs/policies.md)'),
    ...items,
    error,
  );
  const set = (reading: { policies: PolicyName[]; error?: string }): void => {
    for (const [name, box] of boxes) box.checked = reading.policies.includes(name);
    linkError = reading.error ?? '';
    error.textContent = linkError;
  };
  set(initial);
  node.addEventListener('change', () => (linkError = ''));
  const chosen = (): PolicyName[] => POLICY_NAMES.filter((n) => boxes.get(n)!.checked);
  return {
    node,
    chosen,
    check: () => {
      const none = chosen().length === 0;
      error.textContent = none ? 'policies: tick at least one policy to run' : linkError;
      return !none && linkError === '';
    },
    set,
  };
}
