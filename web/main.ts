/**
 * The page: three views (Paper, Sweep, Bench) chosen by the URL's hash (`#view=sweep&…`); each view
 * keeps its own state in the hash too (web/lib/url.ts), so any view can be shared as a link.
 * Everything runs in the page: no request leaves it.
 *
 * A sweep handed to the page (web/lib/preload.ts: embedded by `fleetsim report`, served by `fleetsim
 * view`) opens in the Sweep view through the view's own file input, as if the user had picked the
 * files. A report shows the Sweep view only (the other views run the engine, which a report does not carry).
 */
import { el } from './lib/dom.js';
import type { Preloaded } from './lib/preload.js';
import { currentView, readHash, ViewState, type ViewName } from './lib/url.js';

/** A view fills `root` and may return a function that stops its work when the user leaves it. */
export type MountView = (root: HTMLElement, state: ViewState) => void | (() => void);

/** Each view is its own chunk, loaded when first shown (the Paper view does not load Arrow or the sweep code). */
const LOAD: Readonly<Record<ViewName, () => Promise<MountView>>> = {
  paper: () => import('./views/paper.js').then((m) => m.mountPaper),
  sweep: () => import('./views/sweep.js').then((m) => m.mountSweep),
  bench: () => import('./views/bench.js').then((m) => m.mountBench),
};

let unmount: (() => void) | undefined;
let shown: ViewName | undefined;

// A sweep handed to the page: web/lib/preload.ts (DATA_ID, SWEEP_PARAM) is loaded only when there is one.
const reportOnly = (document.getElementById('fleetsim-data')?.textContent ?? '').trim() !== '';
const preloading: Promise<Preloaded> | null =
  reportOnly || new URLSearchParams(location.search).has('sweep')
    ? import('./lib/preload.js').then((m) => m.loadPreload(document, location))
    : null;
if (preloading) {
  preloading.catch(() => undefined); // shown when the Sweep view mounts
  const params = readHash();
  if (reportOnly || !params.has('view')) {
    params.set('view', 'sweep');
    history.replaceState(null, '', `#${params.toString()}`);
  }
}
if (reportOnly) {
  document.body.dataset.report = 'true';
  for (const link of document.querySelectorAll('nav a[data-view]:not([data-view="sweep"])')) link.remove();
}

/** Opens `files` in the mounted Sweep view through its file input: the path a picked file takes. */
function openInView(section: HTMLElement, files: readonly File[]): void {
  const input = section.querySelector<HTMLInputElement>('input#sweep-files');
  if (!input) throw new Error('the Sweep view has no file input (#sweep-files)');
  const transfer = new DataTransfer();
  for (const file of files) transfer.items.add(file);
  input.files = transfer.files;
  input.dispatchEvent(new Event('change'));
}

/**
 * A report carries no engine (its policy refuses workers): in its Sweep view the sweep's study is shown
 * as text where the view's editor would run one.
 */
function studyAsText(section: HTMLElement, study: string | null): void {
  const heading = el('h3', { id: 'report-study-heading' }, 'The study');
  section
    .querySelector('section.study')
    ?.replaceWith(
      el(
        'section',
        { class: 'study', id: 'report-study', 'aria-labelledby': 'report-study-heading' },
        heading,
        el(
          'p',
          { class: 'note' },
          "As recorded in the sweep's manifest.json. A report runs nothing: run a study with fleetsim sweep, or in the page (npm run web, fleetsim view).",
        ),
        study === null ? el('p', {}, '(manifest.json holds no study)') : el('pre', {}, study),
      ),
    );
}

async function route(): Promise<void> {
  const params = readHash();
  const view = reportOnly ? 'sweep' : currentView(params);
  if (view === shown) return;
  unmount?.();
  shown = view;
  for (const link of document.querySelectorAll<HTMLAnchorElement>('nav a[data-view]')) {
    if (link.dataset.view === view) link.setAttribute('aria-current', 'page');
    else link.removeAttribute('aria-current');
  }
  const root = document.querySelector<HTMLElement>('#view')!;
  root.replaceChildren();
  const section = el('section', { 'data-view': view });
  root.append(section);
  document.body.dataset.state = 'running';
  let preloaded: Preloaded | null = null;
  let problem: string | null = null;
  if (view === 'sweep' && preloading) {
    const note = el('p', { id: 'preload-note', class: 'note' }, 'reading the sweep…');
    section.append(note);
    try {
      preloaded = await preloading;
      note.textContent = preloaded.note;
      document.title = `fleetsim: ${preloaded.data.sweep}`;
      // the editor shows the sweep's study, unless the link names one
      if (preloaded.study !== null && !params.has('study') && !params.has('ex')) params.set('study', preloaded.study);
    } catch (error) {
      problem = error instanceof Error ? error.message : String(error); // loadPreload says it in words
      note.replaceWith(el('p', { id: 'preload-note', class: 'message', 'data-kind': 'error', role: 'alert' }, problem));
    }
  }
  try {
    const mount = await LOAD[view]();
    if (shown !== view) return; // the user moved on while the view loaded
    unmount = mount(section, new ViewState(params)) ?? undefined;
    section.dataset.mounted = 'true'; // the view's controls exist (the browser tests wait for this)
    if (preloaded && reportOnly) studyAsText(section, preloaded.study);
    if (preloaded) openInView(section, preloaded.files);
    else if (problem !== null) document.body.dataset.state = 'error';
  } catch (error) {
    section.append(el('p', { class: 'message', 'data-kind': 'error', role: 'alert' }, `This view failed: ${String(error)}`));
  }
}

window.addEventListener('hashchange', () => void route());
void route();
