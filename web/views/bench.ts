/**
 * Bench view: opens every file in `bench/results/` — `npm run bench`'s (each backend's throughput
 * against fleet count, the centre of the timed runs labelled for what it is: median of n for n ≥ 3,
 * mean of 2), `bench:sweep`'s, `bench:memory`'s, `bench:slurm`'s and `bench:peers`'s (web/views/bench/kinds.ts) — and
 * refuses anything else in words; or runs a short benchmark in the page (WebGPU against the CPU engine in a Web
 * Worker) and draws that the same way. URL state: `w` (the workload shown), `bw` (the workload run in
 * the page), `budget` (seconds), `max` (largest fleet count).
 */
import { WORKLOADS } from '../../src/bench/workloads.js';
import { type AnyBenchFile, type BenchFile, BenchFileError, openBenchFile } from '../../src/results/benchFile.js';
import { showBackend } from '../lib/badge.js';
import { destroyCharts, lineChart } from '../lib/charts.js';
import { dataTable, el, messageBox, revokeBlobLinks } from '../lib/dom.js';
import { engineDetail } from '../../src/platform/engine.js';
import { CpuWorkerEngine, pageEngine } from '../lib/engine.js';
import { FileProblem, fileDrop, readTextFile } from '../lib/files.js';
import { internalError, readFailure } from '../lib/problems.js';
import { JsonTextError, parseJsonText } from '../../src/text/json.js';
import { displayPath } from '../../src/text/quote.js';
import type { ViewState } from '../lib/url.js';
import { runPageBench, type NamedEngine } from './bench/run.js';
import { memoryPage, peersPage, slurmPage, sweepPage } from './bench/kinds.js';
import { centerLabel, centerSeconds, speedups, throughputSeries, workloadsOf } from './bench/series.js';

const MAX_FILE_BYTES = 64 * 2 ** 20;
const BACKEND_COLORS = ['#2ca02c', '#1f77b4', '#ff7f0e', '#9467bd', '#8c564b', '#e377c2', '#7f7f7f'];
// The page has no trace library loaded for the trace workloads.
const PAGE_WORKLOADS = WORKLOADS.filter((w) => w.name !== 'random64' && w.trace === undefined);
const BUDGET = { min: 0.2, max: 60, fallback: 2 };
const MAX_FLEETS = [1_000, 10_000, 100_000];

/**
 * The text of a bench file, checked as strict JSON first (a byte-order mark dropped; deep nesting and
 * duplicate keys refused, with their line and column) and handed on without its byte-order mark.
 */
function strictJson(text: string, name: string): string {
  try {
    parseJsonText(text, name);
  } catch (error) {
    if (!(error instanceof JsonTextError)) throw error;
    const problems = error.problems.map((p) => p.replace(`${name}: `, '').replace(/^not valid JSON \((.*)\)$/, '$1'));
    throw new BenchFileError(`not JSON (${problems.join('; ')})`);
  }
  return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
}

const rate = (x: number): string => (x >= 1e6 ? `${(x / 1e6).toFixed(2)} M` : `${(x / 1e3).toFixed(1)} k`);

export function mountBench(root: HTMLElement, state: ViewState): () => void {
  const message = messageBox();
  const shown = el('div', { class: 'bench-result' });
  let current: { source: string } | null = null;
  let running: AbortController | null = null;
  let cpu: CpuWorkerEngine | null = null;

  function show(opened: AnyBenchFile, source: string): void {
    current = { source };
    destroyCharts(shown);
    if (opened.kind === 'suite') showSuite(opened.file, source);
    else {
      const page =
        opened.kind === 'sweep'
          ? sweepPage(opened.file)
          : opened.kind === 'memory'
            ? memoryPage(opened.file)
            : opened.kind === 'peers'
              ? peersPage(opened.file)
              : slurmPage(opened.file);
      shown.replaceChildren(el('h3', {}, source), ...page);
    }
    shown.dataset.kind = opened.kind;
    document.body.dataset.state = 'done';
  }

  function showSuite(file: BenchFile, source: string): void {
    const workloads = workloadsOf(file);
    const wanted = state.get('w');
    const workload = wanted !== undefined && workloads.includes(wanted) ? wanted : workloads[0]!;
    const picker = el('select', { id: 'bench-workload' });
    for (const w of workloads) picker.append(el('option', { value: w, selected: w === workload }, w));
    picker.addEventListener('change', () => {
      state.set({ w: picker.value });
      destroyCharts(shown);
      showSuite(file, source);
    });

    const series = throughputSeries(file, workload);
    const bands = series.backends.flatMap((b, i) => {
      const color = BACKEND_COLORS[i % BACKEND_COLORS.length]!;
      // one legend entry per backend: its centre, with the slowest-to-fastest range as its shaded band
      return [
        { spec: { label: `${b.backend} (${b.label})`, color, markers: true, interval: [3 * i + 1, 3 * i + 2] as const }, data: b.center },
        { spec: { label: `${b.backend} (slowest run)`, color, bound: true }, data: b.low },
        { spec: { label: `${b.backend} (fastest run)`, color, bound: true }, data: b.high },
      ];
    });
    const chart = lineChart({
      title: `${workload}: agent-steps per second against fleet count`,
      x: { label: 'fleets (log scale)', log: true, format: 'si' },
      y: { label: 'agent-steps / s (log scale)', log: true, format: 'si' },
      series: bands.map((b) => b.spec),
      data: [series.fleets, ...bands.map((b) => b.data)],
      width: 'fill',
      height: 360,
    });
    const env = file.environment;
    const facts = [
      ['date', env.date],
      ['host', env.host ?? ''],
      ['browser', env.browser ?? ''],
      ['CPU', env.cpu ? `${env.cpu}${env.cores ? `, ${env.cores} cores` : ''}` : env.cores ? `${env.cores} cores` : ''],
      ['adapter', env.adapter ? (env.adapter.description ?? `${env.adapter.vendor ?? ''} ${env.adapter.architecture ?? ''}`) : 'none'],
      ['fleetsim', env.fleetsim ?? ''],
      [
        'Numba peer compile',
        file.peerCompileSeconds
          ? `${Object.entries(file.peerCompileSeconds)
              .map(([k, v]) => `${k} ${v.toFixed(2)} s`)
              .join(', ')} on an empty cache (cached on disk, excluded from its times)`
          : '',
      ],
    ].filter(([, v]) => v);
    const list = el('dl', { class: 'facts' });
    for (const [k, v] of facts) list.append(el('dt', {}, k), el('dd', {}, v));
    const base = series.backends.some((b) => b.backend === 'cpu-1') ? 'cpu-1' : 'cpu-worker';
    const ratios = speedups(series, base).filter((r) => r.backend !== base);
    const rows = file.measurements
      .filter((m) => m.workload === workload)
      .map((m) => [
        m.backend,
        m.fleets.toLocaleString('en-US'),
        m.steps.toLocaleString('en-US'),
        rate(m.agentSteps / centerSeconds(m)),
        Math.round(m.fleetRuns / centerSeconds(m)).toLocaleString('en-US'),
        `${centerSeconds(m).toFixed(3)} (${centerLabel([m.seconds.length])}) [${Math.min(...m.seconds).toFixed(3)}, ${Math.max(...m.seconds).toFixed(3)}]`,
      ]);
    const runs = centerLabel(file.measurements.map((m) => m.seconds.length));
    shown.replaceChildren(
      el('h3', {}, source),
      list,
      el('label', {}, 'workload ', picker),
      el('div', { class: 'charts' }, chart),
      el(
        'p',
        { class: 'note', id: 'bench-runs' },
        `Each point: the ${runs} timed runs (after a warm-up); the shaded band, from the slowest to the fastest run.` +
          (file.measurements.some((m) => m.seconds.length === 2)
            ? ' With two runs there is no median: the page shows their mean and both runs (the file’s own “median” field is the slower of the two).'
            : ''),
      ),
      ratios.length
        ? el(
            'p',
            { class: 'ratios' },
            `against ${base}: ${ratios.map((r) => `${r.backend} ${r.ratio.toFixed(2)}× at ${r.fleets.toLocaleString('en-US')} fleets`).join('; ')}`,
          )
        : '',
      dataTable(
        `${workload}: every measurement`,
        ['backend', 'fleets', 'steps', `agent-steps/s (${runs})`, `fleet runs/s (${runs})`, 'seconds: centre [fastest, slowest]'],
        rows,
      ),
      file.arrivalCost?.length
        ? dataTable(
            'arrival processes and policies: cost per agent-step against the baseline (same fleets, same mean load; Poisson arrivals under static)',
            ['workload', 'arrivals or policy', 'backend', 'fleets', 'agent-steps/s', '× baseline'],
            file.arrivalCost.map((c) => [
              c.workload,
              c.arrivals,
              c.backend,
              c.fleets.toLocaleString('en-US'),
              rate(c.agentStepsPerSecond),
              `${c.relativeCost.toFixed(2)}×`,
            ]),
          )
        : '',
    );
  }

  async function open(files: File[]): Promise<void> {
    const file = files[0]!;
    const name = displayPath(file.name);
    const still = current ? ` (still showing ${current.source})` : '';
    try {
      const parsed = openBenchFile(strictJson(await readTextFile(file, MAX_FILE_BYTES), name));
      message.clear();
      show(parsed, name);
    } catch (error) {
      const problem = error instanceof BenchFileError || error instanceof FileProblem ? error.message : readFailure(error);
      message.show(
        problem !== null ? `${name}: ${problem.replace(`${name}: `, '')}${still}` : `${internalError(error, `reading ${name}`)}${still}`,
        'error',
      );
      document.body.dataset.state = 'done';
    }
  }

  // The in-page run's controls.
  const workloadSelect = el('select', { id: 'bw' });
  const chosen = state.get('bw') ?? 'paper-adaptive';
  for (const w of PAGE_WORKLOADS) workloadSelect.append(el('option', { value: w.name, selected: w.name === chosen }, w.name));
  const budget = el('input', {
    id: 'budget',
    type: 'number',
    min: BUDGET.min,
    max: BUDGET.max,
    step: 0.1,
    value: state.number('budget', BUDGET.fallback),
  });
  const maxFleets = el('select', { id: 'max-fleets' });
  const chosenMax = state.number('max', 10_000);
  for (const n of MAX_FLEETS) maxFleets.append(el('option', { value: n, selected: n === chosenMax }, n.toLocaleString('en-US')));
  const runButton = el('button', { type: 'submit' }, 'Run');
  const cancelButton = el('button', { type: 'button', disabled: true }, 'Cancel');
  const progress = el('progress', { hidden: true });
  const progressText = el('span', { class: 'progress-text', 'aria-live': 'polite' });
  const budgetError = el('span', { class: 'field-error', id: 'budget-error' });
  const download = el('a', { hidden: true, download: 'fleetsim-bench-in-page.json' }, 'Save this result as JSON');
  const form = el(
    'form',
    { class: 'params', novalidate: true }, // our own messages, naming the field and its range
    el('label', {}, 'workload', workloadSelect),
    el('label', {}, 'budget per run (s)', budget, budgetError),
    el('label', {}, 'up to fleets', maxFleets),
    runButton,
    cancelButton,
    progress,
    progressText,
  );

  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const seconds = Number(budget.value);
    if (!(budget.value.trim() !== '' && seconds >= BUDGET.min && seconds <= BUDGET.max)) {
      budgetError.textContent = `budget must be a number from ${BUDGET.min} to ${BUDGET.max} seconds, got ${budget.value || '(empty)'}`;
      budget.setAttribute('aria-invalid', 'true');
      return;
    }
    budgetError.textContent = '';
    budget.removeAttribute('aria-invalid');
    state.set({ bw: workloadSelect.value, budget: seconds, max: maxFleets.value });
    void runInPage(seconds);
  });
  cancelButton.addEventListener('click', () => {
    running?.abort();
    cpu?.terminate();
  });

  async function runInPage(budgetSeconds: number): Promise<void> {
    running = new AbortController();
    runButton.disabled = true;
    cancelButton.disabled = false;
    progress.hidden = false;
    download.hidden = true;
    document.body.dataset.state = 'running';
    try {
      const gpu = await pageEngine(state.get('backend'));
      showBackend(gpu);
      cpu = new CpuWorkerEngine();
      const engines: NamedEngine[] =
        gpu.name === 'gpu'
          ? [
              { name: 'webgpu', engine: gpu },
              { name: 'cpu-worker', engine: cpu },
            ]
          : [{ name: 'cpu-worker', engine: cpu }];
      const result = await runPageBench(engines, {
        workload: PAGE_WORKLOADS.find((w) => w.name === workloadSelect.value)!,
        steps: 1000,
        budgetSeconds,
        repeats: 3,
        maxFleets: Number(maxFleets.value),
        signal: running.signal,
        progress: (text) => (progressText.textContent = text),
      });
      progressText.textContent = gpu.name === 'gpu' ? 'done' : `done (CPU only: ${engineDetail(gpu)})`;
      state.set({ w: workloadSelect.value });
      show({ kind: 'suite', file: result }, `in-page run, ${result.environment.date}`);
      if (download.href) URL.revokeObjectURL(download.href); // the previous run's file
      download.href = URL.createObjectURL(new Blob([JSON.stringify(result, null, 2)], { type: 'application/json' }));
      download.hidden = false;
    } catch (error) {
      const cancelled = running.signal.aborted;
      progressText.textContent = cancelled ? 'cancelled' : '';
      if (!cancelled) message.show(`the in-page benchmark failed: ${error instanceof Error ? error.message : String(error)}`, 'error');
      document.body.dataset.state = 'done';
    } finally {
      cpu?.terminate();
      cpu = null;
      running = null;
      runButton.disabled = false;
      cancelButton.disabled = true;
      progress.hidden = true;
    }
  }

  root.append(
    el('h2', {}, 'Benchmarks: GPU against CPU'),
    el(
      'p',
      {},
      'Open a result of ',
      el('code', {}, 'npm run bench'),
      ', ',
      el('code', {}, 'bench:sweep'),
      ', ',
      el('code', {}, 'bench:memory'),
      ', ',
      el('code', {}, 'bench:slurm'),
      ' or ',
      el('code', {}, 'bench:peers'),
      ' (bench/results/*.json), or run a short benchmark here: this browser’s WebGPU against the CPU reference engine in a Web Worker, 1,000 steps, fleet counts from 100 up by ×10 until a run takes longer than the budget.',
    ),
    fileDrop('Open a bench result:', '.json,application/json', (files) => void open(files)),
    el('fieldset', {}, el('legend', {}, 'Run in this page'), form, download),
    message.node,
    shown,
  );
  document.body.dataset.state = 'done';
  return () => {
    running?.abort();
    cpu?.terminate();
    destroyCharts(shown);
    revokeBlobLinks(root);
  };
}
