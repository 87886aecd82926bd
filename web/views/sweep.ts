/**
 * Sweep view: opens the result files of `fleetsim sweep` (file picker or drag and drop: summary.json,
 * cells.csv, fleets/unit-*.arrow), or runs a study written in the page's editor, and draws the result
 * (web/views/sweep/results.ts). Each file's fate is listed (opened, ignored because …, refused
 * because …: files opened together must be of one sweep); a bad file gives a message naming the
 * problem, and what was shown stays. A bug shows as an internal error, never as a problem of a file.
 *
 * For the tests: the section's data-generation counts finished loads and runs; body[data-state] is
 * running while a file is read or a study runs, then done (or error when nothing could be used).
 */
import { el, messageBox } from '../lib/dom.js';
import { internalError } from '../lib/problems.js';
import type { ViewState } from '../lib/url.js';
import { openFiles } from './sweep/open.js';
import { type Loaded, releaseResults, renderResults } from './sweep/results.js';
import { studyEditor } from './sweep/runner.js';

export function mountSweep(root: HTMLElement, state: ViewState): () => void {
  const message = messageBox();
  const results = el(
    'div',
    { id: 'sweep-results' },
    el('p', { class: 'note' }, 'No result yet: open the files of a sweep or run a study.'),
  );
  let current: Loaded | null = null;
  let generation = 0;
  const finished = (bodyState: 'done' | 'error'): void => {
    root.dataset.generation = String(++generation);
    document.body.dataset.state = bodyState;
  };
  const show = (loaded: Loaded): void => {
    current = loaded;
    renderResults(results, loaded, state);
  };

  const input = el('input', { type: 'file', id: 'sweep-files', multiple: true, accept: '.json,.csv,.arrow,.feather,.ipc,.parquet' });
  // Each file's fate (opened, ignored because …, refused because …), one line each, as text.
  const fates = el('ul', { id: 'sweep-file-fates', class: 'fates', 'aria-live': 'polite' });
  const open = async (files: readonly File[]): Promise<void> => {
    if (files.length === 0) return;
    document.body.dataset.state = 'running';
    message.show(`reading ${files.length} file(s)…`);
    fates.replaceChildren();
    try {
      const opened = await openFiles(files, current);
      if (opened.loaded) show(opened.loaded);
      fates.replaceChildren(
        ...opened.files.map((f) =>
          el(
            'li',
            { 'data-fate': f.fate },
            f.fate === 'internal'
              ? `${f.name}: ${f.why}`
              : f.fate === 'opened'
                ? `${f.name}: opened (${f.why})`
                : `${f.name}: ${f.fate}: ${f.why}`,
          ),
        ),
      );
      const kept = opened.loaded ? '' : current ? ' (The result shown before is kept.)' : '';
      const used = opened.files.filter((f) => f.fate === 'opened').map((f) => f.name);
      if (opened.errors.length > 0) message.show(`${opened.errors.join(' — ')}${kept}`, 'error');
      else if (used.length > 0) {
        const ignored = opened.files.length - used.length;
        message.show(`opened ${used.join(', ')}${ignored > 0 ? ` (${ignored} file(s) ignored, see below)` : ''}`);
      } else message.show(`nothing to show: ${opened.files.map((f) => `${f.name}: ${f.why}`).join(' — ')}${kept}`, 'error');
      finished(opened.loaded ? 'done' : 'error');
    } catch (error) {
      message.show(internalError(error, 'opening the files'), 'error');
      finished('error');
    }
  };
  input.addEventListener('change', () => {
    void open([...(input.files ?? [])]).finally(() => (input.value = ''));
  });

  const drop = el(
    'div',
    { class: 'drop', tabindex: 0, role: 'button', 'aria-describedby': 'drop-help' },
    'Drop the files of a sweep here, or press Enter to choose them',
  );
  drop.addEventListener('click', () => input.click());
  drop.addEventListener('keydown', (e) => {
    if (e.key === 'Enter' || e.key === ' ') {
      e.preventDefault();
      input.click();
    }
  });
  drop.addEventListener('dragover', (e) => {
    e.preventDefault();
    drop.dataset.over = 'true';
  });
  drop.addEventListener('dragleave', () => delete drop.dataset.over);
  drop.addEventListener('drop', (e) => {
    e.preventDefault();
    delete drop.dataset.over;
    void open([...(e.dataTransfer?.files ?? [])]);
  });

  const editor = studyEditor(state, {
    result: show,
    busy: (s) => (s === 'running' ? (document.body.dataset.state = 'running') : finished(s)),
  });

  root.append(
    el('h2', {}, 'Sweep'),
    el(
      'section',
      { class: 'open', 'aria-labelledby': 'open-heading' },
      el('h3', { id: 'open-heading' }, 'Open the results of `fleetsim sweep`'),
      drop,
      el(
        'p',
        { id: 'drop-help', class: 'note' },
        'summary.json, cells.csv and fleets/unit-*.arrow (Arrow IPC; Parquet is not supported). Files are read in this page and go nowhere. ',
        el('label', {}, 'Files: ', input),
      ),
      message.node,
      fates,
    ),
    editor.node,
    el('section', { class: 'results', 'aria-labelledby': 'results-heading' }, el('h3', { id: 'results-heading' }, 'Result'), results),
  );
  document.body.dataset.state = 'done';
  return () => {
    editor.stop();
    releaseResults(results);
  };
}
