/**
 * A view's state lives in the URL's hash (`#view=sweep&x=lmax&a=adaptive&b=static`), so any view can be
 * shared as a link and the static site needs no server routes. Views read their keys with `get` and
 * write them with `set`, which replaces the history entry (no reload, no new entry per keystroke).
 */

export type ViewName = 'paper' | 'sweep' | 'bench';
export const VIEWS: readonly ViewName[] = ['paper', 'sweep', 'bench'];

export function readHash(hash = location.hash): URLSearchParams {
  return new URLSearchParams(hash.replace(/^#/, ''));
}

export function currentView(params = readHash()): ViewName {
  const view = params.get('view');
  return VIEWS.includes(view as ViewName) ? (view as ViewName) : 'paper';
}

/** The state of the current view: typed reads with defaults, writes that update the URL in place. */
export class ViewState {
  constructor(private readonly params: URLSearchParams = readHash()) {}

  get(key: string): string | undefined {
    return this.params.get(key) ?? undefined;
  }

  /** A finite number from the URL, or the fallback when absent or not a number. */
  number(key: string, fallback: number): number {
    const raw = this.params.get(key);
    if (raw === null || raw.trim() === '') return fallback;
    const value = Number(raw);
    return Number.isFinite(value) ? value : fallback;
  }

  /** Sets (or, with undefined, removes) keys and writes the hash without adding a history entry. */
  set(values: Record<string, string | number | undefined>): void {
    for (const [key, value] of Object.entries(values)) {
      if (value === undefined) this.params.delete(key);
      else this.params.set(key, String(value));
    }
    history.replaceState(null, '', `#${this.params.toString()}`);
  }
}
