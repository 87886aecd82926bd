/** Bench view (being built: see issue 5). */
import { el } from '../lib/dom.js';

export function mountBench(root: HTMLElement): void {
  root.append(el('h2', {}, 'Bench'));
  document.body.dataset.state = 'done';
}
