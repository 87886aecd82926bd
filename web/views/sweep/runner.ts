/**
 * The study editor: a study written (or one of the shipped sweeps/*.json, scaled down) is validated
 * by the CLI's own schema and expansion (src/study), each problem listed with its line and a button
 * that selects the line; then run with the CLI's sweep loop (src/sweep/run.ts) on the page's engine,
 * with a progress bar and a cancel button. The result is the same SummaryTable the CLI writes, offered
 * as summary.json and cells.csv downloads.
 */
import { cellsCsv } from '../../../src/results/cellsCsv.js';
import { concatFleetRows, fleetRowsFromBatch, type FleetRows } from '../../../src/results/fleetRows.js';
import { summaryTable } from '../../../src/results/tables.js';
import { type ExpandedStudy, StudyError } from '../../../src/study/cells.js';
import { axisLabels, axisName } from '../../../src/study/schema.js';
import { SweepAggregate } from '../../../src/sweep/aggregate.js';
import { planUnits } from '../../../src/sweep/plan.js';
import { DEFAULT_BATCH_AGENT_RUNS, runSweep, unitFleetRuns } from '../../../src/sweep/run.js';
import { showBackend } from '../../lib/badge.js';
import { el } from '../../lib/dom.js';
import { WorkerEngine } from '../../../src/platform/browser.js';
import type { Engine } from '../../../src/platform/engine.js';
import { pageEngine } from '../../lib/engine.js';
import type { ViewState } from '../../lib/url.js';
import { internalError, userProblem } from '../../lib/problems.js';
import { GpuError } from '../../../src/gpu/errors.js';
import { parseJsonText } from '../../../src/text/json.js';
import { MAX_BYTES } from './files.js';
import type { Loaded } from './results.js';
import { pageTraces } from '../paperTrace.js';
import { EXAMPLES, pageStudy, studyAgentSteps, studyHash, studyProblems } from './studyText.js';

/** Per-fleet rows kept from a page run for the latency-change charts (~100 bytes each). */
const MAX_PAGE_ROWS = 2_000_000;
/** Batches per run at least, so the progress bar moves and cancel takes effect between them. */
const PAGE_BATCHES = 40;

export interface EditorHooks {
  /** A run finished: show its result. */
  result(loaded: Loaded): void;
  /** The view's state for the tests and the page (body[data-state]). */
  busy(state: 'running' | 'done' | 'error'): void;
}

/** Selects line `line` (1-based) of a textarea and scrolls it into view. */
function selectLine(area: HTMLTextAreaElement, line: number): void {
  const lines = area.value.split('\n');
  const start = lines.slice(0, line - 1).reduce((n, l) => n + l.length + 1, 0);
  area.focus();
  area.setSelectionRange(start, start + (lines[line - 1]?.length ?? 0));
  const height = area.scrollHeight / Math.max(1, lines.length);
  area.scrollTop = Math.max(0, (line - 3) * height);
}

export function studyEditor(state: ViewState, hooks: EditorHooks): { node: HTMLElement; stop(): void } {
  const chosen = EXAMPLES.find((e) => e.name === state.get('ex')) ?? EXAMPLES[0]!;
  const fromUrl = state.get('study');
  const area = el('textarea', {
    id: 'study-text',
    rows: 18,
    cols: 90,
    spellcheck: false,
    'aria-label': 'study (JSON)',
    'aria-describedby': 'study-problems',
  });
  area.value = fromUrl ?? JSON.stringify(chosen.study, null, 2);
  const example = el('select', { name: 'ex', 'aria-label': 'example study' });
  example.append(el('option', { value: '', disabled: true, selected: fromUrl !== undefined }, '(your own study)'));
  for (const e of EXAMPLES)
    example.append(el('option', { value: e.name, selected: e.name === chosen.name && fromUrl === undefined }, `${e.name} (${e.note})`));
  area.addEventListener('input', () => (example.value = ''));
  const problems = el('ul', { id: 'study-problems', class: 'problems', 'aria-live': 'polite' });
  const runButton = el('button', { type: 'button', id: 'study-run' }, 'Run study');
  const cancelButton = el('button', { type: 'button', id: 'study-cancel', disabled: true }, 'Cancel');
  const progress = el('progress', { id: 'study-progress', max: 1, value: 0, 'aria-label': 'study progress' });
  const status = el('span', { id: 'study-status', role: 'status' }, '');
  let controller: AbortController | null = null;
  let running: Engine | null = null;

  example.addEventListener('change', () => {
    const e = EXAMPLES.find((x) => x.name === example.value)!;
    area.value = JSON.stringify(e.study, null, 2);
    state.set({ ex: e.name, study: undefined });
    problems.replaceChildren();
  });

  const showInternal = (error: unknown, doing: string): void => {
    area.removeAttribute('aria-invalid'); // not the study's fault
    problems.replaceChildren(el('li', { class: 'internal-error', role: 'alert' }, internalError(error, doing)));
  };

  const showProblems = (error: StudyError): void => {
    area.setAttribute('aria-invalid', 'true');
    problems.replaceChildren(
      ...studyProblems(area.value, error).map((p) => {
        const item = el('li', { class: 'field-error', 'data-line': p.line ?? '' });
        if (p.line !== null) {
          const go = el('button', { type: 'button', class: 'line', title: 'select this line in the editor' }, `line ${p.line}`);
          go.addEventListener('click', () => selectLine(area, p.line!));
          item.append(go, ' ');
        }
        item.append(p.text);
        return item;
      }),
    );
  };

  const validate = (): ExpandedStudy | null => {
    if (area.value.length > MAX_BYTES.study) {
      showProblems(new StudyError([`study: ${area.value.length} characters; the editor takes studies up to ${MAX_BYTES.study} bytes`]));
      return null;
    }
    try {
      const expanded = pageStudy(area.value);
      area.removeAttribute('aria-invalid');
      problems.replaceChildren();
      return expanded;
    } catch (error) {
      if (error instanceof StudyError) showProblems(error);
      else if (userProblem(error) !== null) showProblems(new StudyError([userProblem(error)!]));
      else showInternal(error, 'checking the study');
      return null;
    }
  };

  const run = async (): Promise<void> => {
    const expanded = validate();
    if (!expanded) {
      status.textContent = area.hasAttribute('aria-invalid')
        ? 'The study has problems (listed under the editor); nothing was run.'
        : 'Nothing was run: the page failed while checking the study (an internal error, shown under the editor).';
      hooks.busy('error');
      return;
    }
    const text = area.value;
    state.set({
      study: text.length <= 4000 ? JSON.stringify(parseJsonText(text, 'study')) : undefined,
      ex: text.length <= 4000 ? undefined : state.get('ex'),
    });
    controller = new AbortController();
    const { signal } = controller;
    runButton.disabled = true;
    cancelButton.disabled = false;
    progress.value = 0;
    hooks.busy('running');
    const { study, cells } = expanded;
    try {
      status.textContent = 'opening the engine…';
      const engine = await pageEngine(state.get('backend'));
      running = engine;
      showBackend(engine);
      const units = planUnits(cells);
      const total = unitFleetRuns(units);
      const agentRuns = studyAgentSteps(expanded) / Math.max(1, study.steps);
      const batchAgentRuns = Math.min(DEFAULT_BATCH_AGENT_RUNS, Math.max(1 << 12, Math.ceil(agentRuns / PAGE_BATCHES)));
      const aggregate = new SweepAggregate(study.policies);
      const cellMap = new Map(cells.map((c) => [c.index, c]));
      const axes = study.axes.map(axisName);
      const parts: { name: string; rows: FleetRows }[] = [];
      let kept = 0;
      const aborted = new Promise<never>((_, reject) =>
        signal.addEventListener('abort', () => reject(new DOMException('cancelled', 'AbortError')), { once: true }),
      );
      aborted.catch(() => undefined);
      const started = performance.now();
      status.textContent = `running ${cells.length} cell(s), ${total.toLocaleString('en')} fleet runs on ${engine.name === 'gpu' ? 'WebGPU' : 'the CPU engine in a worker'}…`;
      // The page's traces: the Azure conversation trace, bundled (a study naming another fails by name).
      const traces = pageTraces();
      const times = await runSweep({ cells, units, traces }, { run: (batch) => Promise.race([engine.run(batch), aborted]) }, aggregate, {
        signal,
        batchAgentRuns,
        progress: (done) => {
          progress.value = done / total;
          status.textContent = `${done.toLocaleString('en')} / ${total.toLocaleString('en')} fleet runs`;
        },
        afterBatch: (done) => {
          const n = done.fleetCell.length * done.replicates * done.policies.length;
          if (kept + n <= MAX_PAGE_ROWS) {
            parts.push({ name: 'page', rows: fleetRowsFromBatch(done, cellMap, axes) });
            kept += n;
          }
        },
      });
      const axisMeta = study.axes.map((a) => ({ name: axisName(a), values: axisLabels(a) }));
      const meta = { name: study.name, studyHash: await studyHash(study), seed: study.seed, axes: axisMeta, policies: study.policies };
      const table = summaryTable(
        meta,
        aggregate.summary(
          cells,
          axisMeta.map((a) => a.name),
        ),
      );
      const rows = parts.length > 0 ? concatFleetRows(parts) : null;
      const seconds = (performance.now() - started) / 1000;
      const where = engine.name === 'gpu' ? `WebGPU, ${engine.adapter ?? 'WebGPU adapter'}` : 'the CPU engine in a Web Worker';
      status.textContent = `done: ${times.fleetRuns.toLocaleString('en')} fleet runs in ${seconds.toFixed(1)} s on ${where}${kept < total * study.policies.length ? ' (per-fleet rows kept for the first 2,000,000 only)' : ''}`;
      progress.value = 1;
      hooks.result({
        table,
        rows,
        sources: [`a run in this page (${engine.name === 'gpu' ? 'WebGPU' : 'CPU worker'})`],
        perAgent: true,
        downloads: [
          { name: 'summary.json', text: `${JSON.stringify(table, null, 2)}\n`, type: 'application/json' },
          { name: 'cells.csv', text: cellsCsv(table), type: 'text/csv' },
        ],
      });
      hooks.busy('done');
    } catch (error) {
      const cancelled = signal.aborted;
      const problem = userProblem(error);
      status.textContent = cancelled
        ? 'cancelled: nothing was kept from this run'
        : problem !== null
          ? `the study cannot run: ${problem}`
          : error instanceof GpuError
            ? `the run failed: WebGPU reported an error (${error.message.slice(0, 300)}); try the CPU engine (backend=cpu in the URL)`
            : `the run failed: ${internalError(error, 'running the study')}`;
      hooks.busy(cancelled ? 'done' : 'error');
    } finally {
      controller = null;
      running = null;
      runButton.disabled = false;
      cancelButton.disabled = true;
    }
  };

  const cancel = (): void => {
    controller?.abort();
    // The CPU worker stops at once; a WebGPU dispatch finishes on its own and its result is dropped.
    if (running instanceof WorkerEngine) running.terminate();
  };
  runButton.addEventListener('click', () => void run());
  cancelButton.addEventListener('click', cancel);

  const node = el(
    'section',
    { class: 'study', 'aria-labelledby': 'study-heading' },
    el('h3', { id: 'study-heading' }, 'Run a study in this page'),
    el(
      'p',
      {},
      'A study file as `fleetsim sweep` reads it (docs/SWEEPS.md), checked by the same schema. The examples are the shipped sweeps/*.json, scaled down.',
    ),
    el('label', {}, 'example ', example),
    area,
    problems,
    el('p', { class: 'run' }, runButton, ' ', cancelButton, ' ', progress, ' ', status),
  );
  return { node, stop: cancel };
}
