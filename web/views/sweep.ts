/** Sweep view (being built: see issue 5). */
import { el } from '../lib/dom.js';

export function mountSweep(root: HTMLElement): void {
  root.append(el('h2', {}, 'Sweep'));
  document.body.dataset.state = 'done';
}
