/** The header's backend badge: which engine ran the view's last result, and why (its title). */
import { type Engine, engineDetail } from '../../src/platform/engine.js';
import { backendBadge } from './engine.js';

export function showBackend(engine: Engine | null): void {
  const badge = document.querySelector<HTMLElement>('#backend');
  if (!badge) return;
  badge.textContent = engine ? backendBadge(engine) : 'not started';
  badge.dataset.backend = engine ? engine.name : 'none';
  badge.title = engine ? engineDetail(engine) : '';
}
