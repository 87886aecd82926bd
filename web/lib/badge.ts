/** The header's backend badge: which engine ran the view's last result, and why (its title). */
import { backendBadge, type PageEngine } from './engine.js';

export function showBackend(engine: PageEngine | null): void {
  const badge = document.querySelector<HTMLElement>('#backend');
  if (!badge) return;
  badge.textContent = engine ? backendBadge(engine) : 'not started';
  badge.dataset.backend = engine ? engine.backend : 'none';
  badge.title = engine ? engine.detail : '';
}
