/**
 * The page as one HTML file, the template of `fleetsim report` (src/cli/report.ts): the same page as
 * web/vite.config.ts (index.html, main.ts, every view) with no code splitting, its script and styles
 * inlined, written to web/dist/report/index.html by `npm run build:web` (after the page, whose build
 * empties web/dist). The report opens from the file system: its Content-Security-Policy allows only
 * this inline script (by its SHA-256) and inline styles, and no fetch, worker, image or font from
 * anywhere, so the browser itself guarantees that a report makes no request. `fleetsim report` fills
 * the empty `<script type="application/json" id="fleetsim-data">` with the sweep (web/lib/preload.ts).
 */
import { createHash } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { defineConfig, mergeConfig, type Plugin, type UserConfig } from 'vite';
import page from './vite.config.js';

/** The element `fleetsim report` fills (web/lib/preload.ts DATA_ID); empty in the template. */
export const DATA_SLOT = '<script type="application/json" id="fleetsim-data"></script>';

const REPORT_CSP = (scriptHash: string): string =>
  [
    "default-src 'none'",
    `script-src '${scriptHash}'`,
    "style-src 'unsafe-inline'",
    'img-src data: blob:',
    "connect-src 'none'",
    "worker-src 'none'",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'none'",
  ].join('; ');

/**
 * Inlines the entry chunk and the stylesheets into index.html and drops every other output file (the
 * CPU worker: the report runs no study, and its CSP refuses workers). Fails the build rather than
 * write a page the HTML parser would cut short.
 */
function singleFile(): Plugin {
  return {
    name: 'fleetsim-single-file',
    enforce: 'post',
    // after Vite's own generateBundle hooks, which finish the chunks (its preload helper among them)
    generateBundle: {
      order: 'post',
      handler(_options, bundle) {
        const html = bundle['index.html'];
        if (html?.type !== 'asset' || typeof html.source !== 'string') throw new Error('report build: no index.html in the bundle');
        let text = html.source;
        const entries = Object.values(bundle).flatMap((o) => (o.type === 'chunk' && o.isEntry ? [o] : []));
        const entry = entries[0];
        if (entries.length !== 1 || entry === undefined) throw new Error(`report build: ${entries.length} entry chunks, expected 1`);
        // In a <script> element only `</script` ends it (and `<!--` changes how the parser reads on); in
        // JavaScript both can only stand in strings, regular expressions or comments, where `<\/` reads as `</`.
        if (entry.code.includes('<!--')) throw new Error(`report build: ${entry.fileName} holds "<!--"; it cannot be inlined safely`);
        const code = entry.code.replace(/<\/(script)/gi, '<\\/$1');
        const scriptTag = new RegExp(`<script type="module"[^>]*src="\\./${entry.fileName.replace(/[.]/g, '\\.')}"[^>]*></script>`);
        if (!scriptTag.test(text)) throw new Error(`report build: index.html does not load ${entry.fileName}`);
        text = text.replace(scriptTag, () => `<script type="module">${code}</script>`);
        const styles = Object.values(bundle).filter((o) => o.type === 'asset' && o.fileName.endsWith('.css'));
        for (const style of styles) {
          const link = new RegExp(`<link rel="stylesheet"[^>]*href="\\./${style.fileName.replace(/[.]/g, '\\.')}"[^>]*>`);
          if (!link.test(text)) throw new Error(`report build: index.html does not link ${style.fileName}`);
          const css = String((style as { source: string | Uint8Array }).source).replace(/<\/(style)/gi, '<\\/$1');
          text = text.replace(link, () => `<style>${css}</style>`);
        }
        if (/<(script|link)\b[^>]*\s(src|href)="\.\//.test(text)) throw new Error('report build: index.html still loads a file');
        const hash = `sha256-${createHash('sha256').update(code, 'utf8').digest('base64')}`;
        const csp = /(<meta\s+http-equiv="Content-Security-Policy"\s+content=")[^"]*(")/;
        if (!csp.test(text)) throw new Error('report build: index.html has no Content-Security-Policy to replace');
        text = text.replace(csp, (_m, open: string, close: string) => `${open}${REPORT_CSP(hash)}${close}`);
        text = text.replace(
          /<!-- Nothing leaves the page[^>]*-->/,
          '<!-- A fleetsim report: nothing is fetched, nothing is sent (the policy below allows no request). -->',
        );
        // early in the file: `fleetsim report` recognises a report it may overwrite by its first kilobytes
        if (!/<title>/.test(text)) throw new Error('report build: index.html has no <title>');
        text = text.replace(/(\s*)<title>/, (_m, space: string) => `${space}${DATA_SLOT}${space}<title>`);
        html.source = text;
        for (const name of Object.keys(bundle)) if (name !== 'index.html') delete bundle[name];
      },
    },
  };
}

export default defineConfig(
  mergeConfig(page, {
    build: {
      outDir: fileURLToPath(new URL('./dist/report', import.meta.url)),
      emptyOutDir: true,
      assetsInlineLimit: Number.MAX_SAFE_INTEGER,
      cssCodeSplit: false,
      modulePreload: false,
      rolldownOptions: { output: { codeSplitting: false } },
    },
    plugins: [singleFile()],
  } satisfies UserConfig),
);
