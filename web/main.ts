/**
 * The page: three views (Paper, Sweep, Bench) chosen by the URL's hash (`#view=sweep&…`); each view
 * keeps its own state in the hash too (web/lib/url.ts), so any view can be shared as a link.
 * Everything runs in the page: no request leaves it.
 */
import { el } from './lib/dom.js';
import { currentView, readHash, ViewState, type ViewName } from './lib/url.js';
import { mountBench } from './views/bench.js';
import { mountPaper } from './views/paper.js';
import { mountSweep } from './views/sweep.js';

/** A view fills `root` and may return a function that stops its work when the user leaves it. */
export type MountView = (root: HTMLElement, state: ViewState) => void | (() => void);

const MOUNT: Readonly<Record<ViewName, MountView>> = { paper: mountPaper, sweep: mountSweep, bench: mountBench };

let unmount: (() => void) | undefined;
let shown: ViewName | undefined;

function route(): void {
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
    unmount = MOUNT[view](section, new ViewState(params)) ?? undefined;
  } catch (error) {
    section.append(el('p', { class: 'message', 'data-kind': 'error', role: 'alert' }, `This view failed: ${String(error)}`));
  }
}

window.addEventListener('hashchange', route);
route();
