/**
 * DOM helpers for the page. Everything from a file or a user reaches the page as text (textContent),
 * never as HTML: there is no innerHTML anywhere in web/.
 */

type Attrs = Record<string, string | number | boolean | undefined>;

/** Creates an element with attributes and children (strings become text nodes). */
export function el<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs: Attrs = {},
  ...children: (Node | string | null | undefined)[]
): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value === undefined || value === false) continue;
    node.setAttribute(name, value === true ? '' : String(value));
  }
  for (const child of children) {
    if (child === null || child === undefined) continue;
    node.append(typeof child === 'string' ? document.createTextNode(child) : child);
  }
  return node;
}

/** A message box for one view: `show` replaces its text; kind 'error' is announced to screen readers. */
export function messageBox(): { node: HTMLElement; show(text: string, kind?: 'info' | 'error'): void; clear(): void } {
  const node = el('p', { class: 'message', role: 'status', 'aria-live': 'polite', hidden: true });
  return {
    node,
    show(text, kind = 'info') {
      node.textContent = text;
      node.dataset.kind = kind;
      node.setAttribute('role', kind === 'error' ? 'alert' : 'status');
      node.hidden = false;
    },
    clear() {
      node.textContent = '';
      node.hidden = true;
    },
  };
}

/** A keyboard-accessible table: a caption, column headers, rows of text; focusable so it scrolls by keys. */
export function dataTable(caption: string, headers: readonly string[], rows: readonly (readonly string[])[]): HTMLTableElement {
  const table = el('table', { class: 'data', tabindex: 0 });
  table.createCaption().textContent = caption;
  const head = table.createTHead().insertRow();
  for (const h of headers) head.append(el('th', { scope: 'col' }, h));
  const body = table.createTBody();
  for (const row of rows) {
    const tr = body.insertRow();
    row.forEach((text, i) => {
      if (i === 0) tr.append(el('th', { scope: 'row' }, text));
      else tr.insertCell().textContent = text;
    });
  }
  return table;
}

/**
 * Revokes the blob: URLs of the links under `root`: each keeps its Blob in memory until revoked or the
 * page closes. Call it before such a link leaves the page (a redraw, a view left).
 *
 * @example
 *   revokeBlobLinks(results);
 *   results.replaceChildren(el('a', { href: URL.createObjectURL(blob), download: 'cells.csv' }, 'cells.csv'));
 */
export function revokeBlobLinks(root: ParentNode): void {
  for (const link of root.querySelectorAll<HTMLAnchorElement>('a[href^="blob:"]')) {
    URL.revokeObjectURL(link.href);
    link.removeAttribute('href');
  }
}
