/**
 * The built page that `fleetsim report` and `fleetsim view` read (web/dist and web/dist/report, which
 * `npm run build:web` writes and the npm package ships). CI's `npm test` builds only the CLI, so the
 * tests build the page here when it is missing or older than any of its sources (about 4 s on an idle
 * 2-core machine: the page, then the one-file report template).
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { build } from 'vite';

const ROOT = resolve(import.meta.dirname, '..', '..');
/** What the page is built from (web/ less its output, and what it imports or bundles). */
const SOURCES = ['web', 'src', 'shaders', 'sweeps', 'traces', 'package.json'];
const OUTPUTS = [join(ROOT, 'web', 'dist', 'index.html'), join(ROOT, 'web', 'dist', 'report', 'index.html')];

function newest(path: string): number {
  const stat = statSync(path);
  if (!stat.isDirectory()) return stat.mtimeMs;
  let latest = stat.mtimeMs;
  for (const name of readdirSync(path)) {
    if (path === join(ROOT, 'web') && name === 'dist') continue;
    latest = Math.max(latest, newest(join(path, name)));
  }
  return latest;
}

/** Builds web/dist (page and report template) unless it is there and newer than its sources; returns the seconds spent. */
export async function ensureViewer(): Promise<number> {
  const sources = Math.max(...SOURCES.map((s) => newest(join(ROOT, s))));
  if (OUTPUTS.every((o) => existsSync(o) && statSync(o).mtimeMs > sources)) return 0;
  const start = performance.now();
  await build({ configFile: join(ROOT, 'web', 'vite.config.ts'), logLevel: 'warn' });
  await build({ configFile: join(ROOT, 'web', 'vite.report.config.ts'), logLevel: 'warn' });
  return (performance.now() - start) / 1000;
}
