/**
 * `fleetsim report` and `fleetsim view` in Chromium: the report opens from file:// with no server and
 * shows the sweep in the Sweep view (charts drawn, the table, the verdicts and warnings of summary.json
 * word for word when it has them) while the browser sees no request but the file itself; a study name
 * made of markup stays text; a damaged report says so. The view server's page opens the same sweep
 * from the server. Screenshots: test-artifacts/screenshots/report-*.png.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { reportCommand } from '../../src/cli/report.js';
import { loadStudy, runSweepCommand } from '../../src/cli/sweep.js';
import { startViewServer } from '../../src/cli/view.js';
import { cpuEngine } from '../../src/platform/nodeEngine.js';
import type { SummaryTable } from '../../src/results/tables.js';
import { ARTIFACTS, CHROMIUM } from '../helpers/site.js';
import { ensureViewer } from '../helpers/viewer.js';

const HOSTILE_NAME = 'e2e </script><script>window.pwned=1</script><!-- <b>bold</b>';
const STUDY = {
  name: HOSTILE_NAME,
  seed: 5,
  fleet: {
    random: {
      agents: 4,
      T: { kind: 'logUniform', min: 20, max: 200 },
      R: { kind: 'uniform', min: 0.05, max: 0.25 },
      P: { kind: 'choice', values: [1, 2, 3] },
      load: 1,
    },
  },
  arrivals: 'poisson',
  steps: 60,
  samples: 24,
  axes: [
    { path: 'fleet.random.load', values: [0.5, 1, 2] },
    { path: 'lmax', values: [100, 999] },
  ],
  output: { fleetRows: true },
};

let dir: string;
let sweep: string;
let table: SummaryTable;
let browser: Browser;

beforeAll(async () => {
  await ensureViewer();
  mkdirSync(ARTIFACTS, { recursive: true });
  dir = mkdtempSync(join(tmpdir(), 'fleetsim-report-e2e-'));
  const studyFile = join(dir, 'study.json');
  writeFileSync(studyFile, JSON.stringify(STUDY));
  sweep = join(dir, 'sweep');
  await runSweepCommand(studyFile, await loadStudy(studyFile), cpuEngine(1), {
    out: sweep,
    shard: { index: 0, count: 1 },
    resume: false,
    quiet: true,
  });
  table = JSON.parse(readFileSync(join(sweep, 'summary.json'), 'utf8')) as SummaryTable;
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--disable-background-networking', '--disable-dev-shm-usage'],
  });
}, 120_000);

afterAll(async () => {
  await browser?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

interface Opened {
  page: Page;
  requests: string[];
  errors: string[];
  dialogs: string[];
}

/** Opens `url` in a fresh context, recording every request, console error, page error and dialog. */
async function open(url: string): Promise<Opened> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 1000 } });
  const page = await context.newPage();
  const opened: Opened = { page, requests: [], errors: [], dialogs: [] };
  context.on('request', (r) => opened.requests.push(r.url()));
  page.on('console', (m) => {
    if (m.type() === 'error') opened.errors.push(m.text());
  });
  page.on('pageerror', (e) => opened.errors.push(e.message));
  page.on('dialog', (d) => {
    opened.dialogs.push(d.message());
    void d.dismiss();
  });
  await page.goto(url);
  await page.waitForFunction(
    () => ['done', 'error'].includes(document.body.dataset.state ?? '') && document.querySelector('#preload-note'),
    undefined,
    {
      timeout: 60_000,
    },
  );
  return opened;
}

/** Waits until the Sweep view has finished opening the preloaded files. */
async function opened(page: Page): Promise<void> {
  await page.waitForFunction(
    () => Number(document.querySelector<HTMLElement>('section[data-view="sweep"]')?.dataset.generation ?? 0) >= 1,
    undefined,
    {
      timeout: 60_000,
    },
  );
}

/** Per chart: pixels drawn in colour (the series; axes, grid and text are grey). */
const colouredPixels = (page: Page): Promise<number[]> =>
  page.$$eval('figure.chart canvas', (canvases) =>
    canvases.map((canvas) => {
      const c = canvas as HTMLCanvasElement;
      const { data } = c.getContext('2d')!.getImageData(0, 0, c.width, c.height);
      let n = 0;
      for (let i = 0; i < data.length; i += 4) {
        if (data[i + 3]! > 0 && Math.max(data[i]!, data[i + 1]!, data[i + 2]!) - Math.min(data[i]!, data[i + 1]!, data[i + 2]!) > 40) n++;
      }
      return n;
    }),
  );

/** What the page shows of the sweep, the same from a report and from the server. */
async function expectSweepShown(page: Page, rows: boolean): Promise<void> {
  expect(await page.evaluate(() => document.body.dataset.state)).toBe('done');
  const loaded = (await page.textContent('#sweep-results .loaded')) ?? '';
  expect(loaded).toContain(HOSTILE_NAME); // markup in a name is text
  expect(loaded).toContain(`${table.cells.length} cell(s)`);
  expect(loaded).toContain(rows ? 'from summary.json, 6 Arrow files' : 'from summary.json');
  expect(await page.evaluate(() => (window as { pwned?: number }).pwned)).toBeUndefined();
  expect(await page.$$eval('#sweep-file-fates li[data-fate="refused"], #sweep-file-fates li[data-fate="internal"]', (l) => l.length)).toBe(
    0,
  );
  // the charts are drawn: every canvas has coloured pixels (3 with the per-fleet rows, 1 without)
  const pixels = await colouredPixels(page);
  expect(pixels.length).toBeGreaterThanOrEqual(rows ? 3 : 1);
  for (const n of pixels) expect(n).toBeGreaterThan(100);
  // the tables, and summary.json's verdicts and warnings word for word: every cell's warnings and its
  // verdicts on the chosen metric (avgLatency, the default), and every verdict of the cell in detail
  // (the first one, by default)
  expect(await page.$$eval('#sweep-results table.data tbody tr', (r) => r.length)).toBeGreaterThanOrEqual(table.cells.length);
  const text = (await page.textContent('#sweep-results')) ?? '';
  expect(table.cells.every((cell) => (cell.verdicts ?? []).length > 0)).toBe(true);
  for (const [i, cell] of table.cells.entries()) {
    for (const verdict of cell.verdicts ?? []) if (i === 0 || verdict.metric === 'avgLatency') expect(text).toContain(verdict.text);
    for (const warning of cell.warnings ?? []) expect(text).toContain(warning);
  }
}

describe('fleetsim report in Chromium', () => {
  it('opens from file:// with the sweep shown and no request but the file', async () => {
    await reportCommand(sweep, { rowsLimit: 16 * 1024 * 1024 });
    const file = pathToFileURL(join(sweep, 'report.html')).href;
    const o = await open(file);
    await opened(o.page);
    await expectSweepShown(o.page, true);
    expect(await o.page.textContent('#preload-note')).toMatch(/^Report of the sweep .*: everything is in this file, nothing is fetched\.$/);
    expect(await o.page.$$eval('nav a', (links) => links.map((a) => a.textContent))).toEqual(['Sweep']);
    // no engine in a report: the study as text, no button that would run it
    expect(await o.page.$('#study-run')).toBeNull();
    expect(JSON.parse((await o.page.textContent('#report-study pre')) ?? '')).toMatchObject({ name: HOSTILE_NAME, samples: STUDY.samples });
    // a control re-renders the charts from the URL's hash: file:// pages keep their state too
    await o.page.selectOption('select[data-key="x"]', 'lmax');
    expect(o.page.url()).toMatch(/#.*x=lmax/);
    expect((await colouredPixels(o.page)).every((n) => n > 100)).toBe(true);
    await o.page.screenshot({ path: join(ARTIFACTS, 'report-file.png'), fullPage: true });
    expect(o.requests.filter((u) => !/^(data|blob):/.test(u))).toEqual([file]);
    expect(o.errors).toEqual([]);
    expect(o.dialogs).toEqual([]);
  });

  it('without the per-fleet rows, says what it left out and still draws', async () => {
    const out = join(dir, 'no-rows.html');
    await reportCommand(sweep, { out, rowsLimit: 0 });
    const o = await open(pathToFileURL(out).href);
    await opened(o.page);
    await expectSweepShown(o.page, false);
    expect(await o.page.textContent('#preload-note')).toMatch(/Left out: the per-fleet rows \(fleets\/, 6 files/);
    expect(o.requests).toEqual([pathToFileURL(out).href]);
    expect(o.errors).toEqual([]);
  });

  it('a damaged report says so in the page, and the view still opens', async () => {
    const html = readFileSync(join(sweep, 'report.html'), 'utf8');
    const out = join(dir, 'damaged.html');
    writeFileSync(out, html.replace(/(id="fleetsim-data">)\{/, '$1{{'));
    const o = await open(pathToFileURL(out).href);
    expect(await o.page.evaluate(() => document.body.dataset.state)).toBe('error');
    expect(await o.page.getAttribute('#preload-note', 'role')).toBe('alert');
    expect(await o.page.textContent('#preload-note')).toMatch(/^the sweep embedded in this page is not valid JSON/);
    expect(await o.page.$('#sweep-files')).not.toBeNull();
    expect(o.requests).toEqual([pathToFileURL(out).href]);
  });
});

describe('fleetsim view in Chromium', () => {
  it('serves the page with the sweep preloaded, every request to itself', async () => {
    const view = await startViewServer(sweep, 0);
    try {
      const o = await open(view.url);
      await opened(o.page);
      await expectSweepShown(o.page, true);
      expect(await o.page.textContent('#preload-note')).toMatch(/served read-only by fleetsim view/);
      expect(await o.page.$$eval('nav a', (links) => links.map((a) => a.textContent))).toEqual(['Paper', 'Sweep', 'Bench']);
      // the editor holds the sweep's own study
      expect(JSON.parse(await o.page.inputValue('#study-text'))).toMatchObject({
        name: HOSTILE_NAME,
        steps: STUDY.steps,
        samples: STUDY.samples,
      });
      await o.page.screenshot({ path: join(ARTIFACTS, 'report-view.png'), fullPage: true });
      expect(o.requests.filter((u) => !u.startsWith(view.origin) && !/^(data|blob):/.test(u))).toEqual([]);
      expect(o.errors.filter((e) => !/Failed to load resource/.test(e))).toEqual([]); // the browser's own favicon.ico request
    } finally {
      await view.close();
    }
  });
});
