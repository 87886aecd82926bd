/**
 * Runs the docs check: reads README.md and docs/*.md, finds the figure regions, runs each tagged
 * region's check (fast ones always, slow ones with `slow`), and compares. Library of `npm run
 * docs:check` (scripts/docs-check.ts) and test/docs.test.ts.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { runPaper, type PaperResult } from '../../src/cli/paper.js';
import { PAPER_CONFIG } from '../../src/model/paper.js';
import type { Engine } from '../../src/platform/engine.js';
import { cpuEngine, openEngine } from '../../src/platform/nodeEngine.js';
import { packageRoot } from '../../src/platform/node.js';
import type { CellSummary } from '../../src/sweep/aggregate.js';
import { CHECKS } from './checks.js';
import type { Check, CheckContext } from './figures.js';
import { compareRegion, figureRegions, type Mismatch, type Region } from './figures.js';
import { runStudy } from './studies.js';

/** The Markdown files checked, relative to the package root. */
export function docFiles(root = packageRoot()): string[] {
  const docs = readdirSync(join(root, 'docs'))
    .filter((f) => f.endsWith('.md'))
    .sort()
    .map((f) => `docs/${f}`);
  return ['README.md', ...docs];
}

export interface DocsCheckOptions {
  slow: boolean;
  /** File → text, instead of reading the files (the tests check edited copies). */
  texts?: Readonly<Record<string, string>>;
  /** Only these check ids (the others' regions are still parsed and their tags checked). */
  only?: readonly string[];
  checks?: Readonly<Record<string, Check>>;
  log?: (line: string) => void;
}

export interface DocsCheckReport {
  mismatches: Mismatch[];
  checked: { id: string; file: string; line: number; numbers: number; seconds: number }[];
  skipped: { id: string; file: string; line: number; why: string }[];
  /** Printed figures that no command or file reproduces (known gaps, see `unsourced` in figures.ts). */
  unsourced: { id: string; file: string; value: number; why: string }[];
}

/** A context whose commands run once each, on the CPU engine (and the GPU for the queueing runs). */
export function makeContext(): CheckContext & { close(): void } {
  let cpu: Engine | undefined;
  let gpu: Promise<Engine> | undefined;
  const papers = new Map<number, Promise<PaperResult>>();
  const studies = new Map<string, Promise<CellSummary[]>>();
  const engine = (): Engine => (cpu ??= cpuEngine(2));
  return {
    paper: (lmax = PAPER_CONFIG.lmax) => {
      if (!papers.has(lmax)) papers.set(lmax, runPaper(cpuEngine(1), { lmax, steps: PAPER_CONFIG.steps }));
      return papers.get(lmax)!;
    },
    study: (name, overrides = {}) => {
      const key = `${name} ${JSON.stringify(overrides)}`;
      if (!studies.has(key)) studies.set(key, runStudy(name, engine(), overrides));
      return studies.get(key)!;
    },
    gpu: () => (gpu ??= openEngine('gpu', () => undefined)),
    close: () => {
      cpu?.close();
      void gpu?.then((g) => g.close()).catch(() => undefined);
    },
  };
}

export async function checkDocs(options: DocsCheckOptions): Promise<DocsCheckReport> {
  const root = packageRoot();
  const checks = options.checks ?? CHECKS;
  const report: DocsCheckReport = { mismatches: [], checked: [], skipped: [], unsourced: [] };
  const regions: Region[] = [];
  const files = options.texts ? Object.keys(options.texts) : docFiles(root);
  for (const file of files) regions.push(...figureRegions(file, options.texts?.[file] ?? readFileSync(join(root, file), 'utf8')));
  const used = new Set<string>();
  for (const r of regions) {
    if (r.id === null) {
      const shown = r.numbers
        .slice(0, 6)
        .map((n) => n.text)
        .join(' ');
      report.mismatches.push({ file: r.file, line: r.line, message: `a ${r.kind} of figures (${shown}…) has no <!-- check: ID --> tag` });
    } else if (!(r.id in checks)) report.mismatches.push({ file: r.file, line: r.line, message: `unknown check id "${r.id}"` });
    else used.add(r.id);
  }
  if (!options.texts) {
    for (const id of Object.keys(checks)) {
      if (!used.has(id)) report.mismatches.push({ file: 'scripts/docs/checks.ts', line: 0, message: `check "${id}" tags no region` });
    }
  }
  const ctx = makeContext();
  try {
    for (const r of regions) {
      const check = r.id === null ? undefined : checks[r.id];
      if (!check || r.id === null) continue;
      if (options.only && !options.only.includes(r.id)) continue;
      if (check.slow && !options.slow) {
        report.skipped.push({ id: r.id, file: r.file, line: r.line, why: 'slow (npm run docs:check:slow)' });
        continue;
      }
      const started = performance.now();
      let expected;
      try {
        expected = await check.expect(ctx);
      } catch (error) {
        report.mismatches.push({ file: r.file, line: r.line, message: `check ${r.id}: ${check.command}: ${String(error)}` });
        continue;
      }
      const seconds = (performance.now() - started) / 1000;
      report.mismatches.push(...compareRegion(r, expected));
      for (const e of expected)
        if (e.kind === 'unsourced') report.unsourced.push({ id: r.id, file: r.file, value: e.value, why: e.why ?? '' });
      report.checked.push({ id: r.id, file: r.file, line: r.line, numbers: r.numbers.length, seconds });
      options.log?.(`${r.file}:${r.line} ${r.id}: ${r.numbers.length} numbers (${check.command}) ${seconds.toFixed(1)} s`);
    }
  } finally {
    ctx.close();
  }
  return report;
}
