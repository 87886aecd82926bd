/**
 * The page: three views (Paper, Sweep, Bench) chosen by the URL's hash (`#view=sweep&…`); each view
 * keeps its own state in the hash too (web/lib/url.ts), so any view can be shared as a link.
 * Everything runs in the page: no request leaves it.
 */
import { el } from './lib/dom.js';
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

async function route(): Promise<void> {
  const params = readHash();
  const view = currentView(params);
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
  try {
    const mount = await LOAD[view]();
    if (shown !== view) return; // the user moved on while the view loaded
    unmount = mount(section, new ViewState(params)) ?? undefined;
    section.dataset.mounted = 'true'; // the view's controls exist (the browser tests wait for this)
  } catch (error) {
    section.append(el('p', { class: 'message', 'data-kind': 'error', role: 'alert' }, `This view failed: ${String(error)}`));
  }
}

window.addEventListener('hashchange', () => void route());
void route();
