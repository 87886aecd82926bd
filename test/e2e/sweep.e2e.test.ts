/**
 * The Sweep view in Chromium: a sweep made by the CLI in this test opens through the file input and
 * draws; bad files give a message and keep the result; a study run in the page gives the CLI's cell
 * statistics (WebGPU against the CLI's GPU engine within the aggregate tolerance, the CPU worker
 * against the CLI's CPU engine byte for byte); a study's problems are listed on their lines; cancel
 * stops a run. Screenshots go to test-artifacts/screenshots/sweep-*.png.
 */
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cpuEngine, openEngine } from '../../src/platform/nodeEngine.js';
import { loadStudy, runSweepCommand } from '../../src/cli/sweep.js';
import { AGGREGATE_REL } from '../helpers/tolerances.js';
import { closeSite, settled, startSite, type Site } from '../helpers/site.js';

const STUDY = {
  name: 'e2e-small',
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
  samples: 48,
  axes: [
    { path: 'fleet.random.load', values: [0.5, 1, 1.5, 2] },
    { path: 'lmax', values: [100, 999] },
  ],
  output: { fleetRows: true, arrivalStats: true }, // the arrival metrics recorded under Poisson too (the idc charts)
};

let site: Site;
const FIXTURE_BENCH = 'test/fixtures/bench-suite-quick.json';
let dir: string;
const out = { gpu: '', cpu: '' };

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'fleetsim-sweep-e2e-'));
  const studyFile = join(dir, 'study.json');
  writeFileSync(studyFile, JSON.stringify(STUDY, null, 2));
  const loaded = await loadStudy(studyFile);
  const options = { shard: { index: 0, count: 1 }, resume: false, quiet: true };
  const gpu = await openEngine('gpu', () => undefined);
  try {
    out.gpu = join(dir, 'gpu');
    await runSweepCommand(studyFile, loaded, gpu, { ...options, out: out.gpu });
  } finally {
    gpu.close();
  }
  out.cpu = join(dir, 'cpu');
  await runSweepCommand(studyFile, loaded, cpuEngine(1), { ...options, out: out.cpu });
  site = await startSite();
}, 300_000);

afterAll(async () => {
  if (dir) rmSync(dir, { recursive: true, force: true });
  await closeSite(site);
});

/** Waits until the view has finished one more load or run than `before`. */
async function nextGeneration(page: Page, before: number): Promise<void> {
  await page.waitForFunction(
    (n) => Number(document.querySelector<HTMLElement>('section[data-view="sweep"]')?.dataset.generation ?? 0) > n,
    before,
    { timeout: 240_000 },
  );
}
const generation = (page: Page): Promise<number> =>
  page.evaluate(() => Number(document.querySelector<HTMLElement>('section[data-view="sweep"]')?.dataset.generation ?? 0));

async function openFiles(page: Page, files: string[]): Promise<void> {
  const before = await generation(page);
  await page.setInputFiles('#sweep-files', files);
  await nextGeneration(page, before);
}

/** Per chart: pixels drawn in colour (the series; axes, grid and text are grey). */
const colouredPixels = (page: Page): Promise<number[]> =>
  page.$$eval('figure.chart canvas', (canvases) =>
    canvases.map((canvas) => {
      const { data } = (canvas as HTMLCanvasElement)
        .getContext('2d')!
        .getImageData(0, 0, (canvas as HTMLCanvasElement).width, (canvas as HTMLCanvasElement).height);
      let n = 0;
      for (let i = 0; i < data.length; i += 4) {
        const [r, g, b, a] = [data[i]!, data[i + 1]!, data[i + 2]!, data[i + 3]!];
        if (a > 0 && Math.max(r, g, b) - Math.min(r, g, b) > 40) n++;
      }
      return n;
    }),
  );

const message = (page: Page): Promise<string> => page.textContent('section.open .message').then((t) => t ?? '');
const loadedLine = (page: Page): Promise<string> => page.textContent('#sweep-results .loaded').then((t) => t ?? '');

/**
 * The cell table's policy columns (after cell, the two axes and fleet runs) shown as — (a metric
 * undefined in every run) out of all, and whether NaN shows anywhere.
 */
const undefinedCells = (page: Page): Promise<{ dashes: number; of: number; nan: boolean }> =>
  page.evaluate(() => {
    const table = [...document.querySelectorAll('#sweep-results table.data:not(.winners)')].at(-1);
    const values = [...table.querySelectorAll('tbody tr')].flatMap((tr) => [...tr.children].slice(4).map((td) => td.textContent));
    return {
      dashes: values.filter((v) => v === '—').length,
      of: values.length,
      nan: /NaN/.test(document.querySelector('#sweep-results')!.textContent ?? ''),
    };
  });

/** cells.csv as rows of named fields. */
function csvRows(text: string): Record<string, string>[] {
  const [header, ...lines] = text.trim().split('\n');
  const names = header!.split(',');
  return lines.map((line) => Object.fromEntries(line.split(',').map((v, i) => [names[i]!, v])));
}

async function runStudyInPage(page: Page, study: object): Promise<void> {
  await page.fill('#study-text', JSON.stringify(study, null, 2));
  const before = await generation(page);
  await page.click('#study-run');
  await nextGeneration(page, before);
}

/** A file the page offers for download, saved the way a user saves it (the link's download event). */
async function downloaded(page: Page, name: string): Promise<string> {
  const [download] = await Promise.all([page.waitForEvent('download'), page.click(`a[data-download="${name}"]`)]);
  expect(download.suggestedFilename()).toBe(name);
  return readFileSync(await download.path(), 'utf8');
}

/**
 * Counts what the views must let go of, from before the page's own scripts run: live uPlot charts
 * (each adds one `dppxchange` listener on window and removes it in destroy(); uPlot's module adds one
 * more, once) and the blob: URLs made and revoked.
 */
function watchLeaks(): void {
  const w = window as unknown as { leaks: { listeners: number; made: string[]; revoked: string[] } };
  w.leaks = { listeners: 0, made: [], revoked: [] };
  const add = window.addEventListener.bind(window);
  const remove = window.removeEventListener.bind(window);
  window.addEventListener = (type: string, ...rest: [EventListenerOrEventListenerObject, (boolean | AddEventListenerOptions)?]) => {
    if (type === 'dppxchange') w.leaks.listeners++;
    add(type, ...rest);
  };
  window.removeEventListener = (type: string, ...rest: [EventListenerOrEventListenerObject, (boolean | EventListenerOptions)?]) => {
    if (type === 'dppxchange') w.leaks.listeners--;
    remove(type, ...rest);
  };
  const create = URL.createObjectURL.bind(URL);
  const revoke = URL.revokeObjectURL.bind(URL);
  URL.createObjectURL = (object: Blob | MediaSource) => {
    const url = create(object);
    w.leaks.made.push(url);
    return url;
  };
  URL.revokeObjectURL = (url: string) => {
    w.leaks.revoked.push(url);
    revoke(url);
  };
}

const leaks = (page: Page): Promise<{ listeners: number; made: string[]; revoked: string[] }> =>
  page.evaluate(() => (window as unknown as { leaks: { listeners: number; made: string[]; revoked: string[] } }).leaks);
const downloadUrls = (page: Page): Promise<string[]> =>
  page.$$eval('a[data-download]', (links) => links.map((a) => (a as HTMLAnchorElement).href));

/** Goes to another view by its hash (as the nav links do) and waits until it is mounted. */
async function goTo(page: Page, hash: string): Promise<void> {
  await page.evaluate((h) => (location.hash = h), hash);
  await page.waitForSelector(`#view section[data-view="${hash.replace(/^view=([a-z]+).*$/, '$1')}"][data-mounted]`, { state: 'attached' });
  await settled(page);
}

describe('Sweep view', () => {
  it('destroys its charts and revokes its download URLs when it redraws and when it is left (and so do Bench and Paper)', async () => {
    const page = await site.open('view=sweep&backend=cpu');
    await page.addInitScript(watchLeaks);
    await page.reload();
    await page.waitForSelector('#view section[data-mounted]', { state: 'attached' });
    const base = (await leaks(page)).listeners; // uPlot's own, once its module has loaded
    const charts = async (): Promise<number> => (await leaks(page)).listeners - base;

    await runStudyInPage(page, { ...STUDY, samples: 4 });
    expect(await page.$$eval('figure.chart', (f) => f.length)).toBe(3);
    expect(await charts()).toBe(3);
    const first = await downloadUrls(page);
    expect(first.length).toBe(2); // summary.json, cells.csv
    for (const metric of ['throughput', 'utilization', 'avgLatency']) await page.selectOption('select[data-key="m"]', metric);
    expect(await charts()).toBe(3);
    expect((await leaks(page)).revoked).toEqual(expect.arrayContaining(first));
    await openFiles(page, [join(out.gpu, 'summary.json')]); // another result
    expect(await charts()).toBe(await page.$$eval('figure.chart', (f) => f.length));

    await goTo(page, 'view=bench&backend=cpu');
    expect(await charts()).toBe(0);
    const { made, revoked } = await leaks(page);
    expect(revoked).toEqual(expect.arrayContaining(made)); // every download link the Sweep view made
    await page.setInputFiles('.drop input[type=file]', FIXTURE_BENCH);
    await page.waitForSelector('figure.chart canvas');
    await page.selectOption('#bench-workload', 'random16');
    expect(await charts()).toBe(1);

    await goTo(page, 'view=paper&backend=cpu');
    expect(await charts()).toBe(7); // the Bench chart gone: the Paper view's four panels, its arrivals, each agent's queue and latency
    await page.selectOption('#alloc-policy', 'static');
    expect(await charts()).toBe(7);
    await goTo(page, 'view=sweep&backend=cpu');
    expect(await charts()).toBe(0);
  });

  it('opens a CLI sweep (summary.json and the per-fleet Arrow files) and draws it; the choices live in the URL', async () => {
    const page = await site.open('view=sweep&m=avgLatency&x=fleet.random.load&at.lmax=999&pa=static&pb=adaptive');
    const arrows = readdirSync(join(out.gpu, 'fleets')).map((f) => join(out.gpu, 'fleets', f));
    await openFiles(page, [join(out.gpu, 'summary.json'), ...arrows]);
    expect(await loadedLine(page)).toContain('e2e-small');
    expect(await loadedLine(page)).toContain(`${arrows.length} Arrow files`);
    expect(await page.$$eval('figure.chart', (f) => f.length)).toBe(3); // metric, histogram, CDF
    for (const n of await colouredPixels(page)) expect(n).toBeGreaterThan(200);
    // the winner grid: 2 × 4 cells, each naming a policy
    expect(await page.$$eval('table.winners td[data-policy]', (tds) => tds.length)).toBe(8);
    await site.screenshot(page, 'sweep-opened');

    // a choice goes into the hash, and the charts follow it
    await page.selectOption('select[data-key="m"]', 'throughput');
    expect(await page.evaluate(() => location.hash)).toContain('m=throughput');
    expect(await page.textContent('figure.chart figcaption')).toContain('throughput against fleet.random.load');
    // the same link opens the same view
    const again = await site.open((await page.evaluate(() => location.hash)).slice(1));
    await openFiles(again, [join(out.gpu, 'summary.json')]);
    expect(await again.$eval('select[data-key="m"]', (s) => (s as HTMLSelectElement).value)).toBe('throughput');
    expect(await again.$eval('select[data-key="at.lmax"]', (s) => (s as HTMLSelectElement).value)).toBe('999');

    // the arrival metrics: labelled; an IDC undefined in every run (60 steps: one 100-step window) shows —
    await page.selectOption('select[data-key="m"]', 'idc10');
    expect(await page.textContent('figure.chart figcaption')).toContain('idc10 against fleet.random.load');
    await page.selectOption('select[data-key="m"]', 'idc100');
    expect(await page.$eval('select[data-key="m"] option[value="idc100"]', (o) => o.textContent)).toContain('variance/mean');
    expect(await page.$$eval('figure.chart', (f) => f.length)).toBe(2); // no line chart: nothing to draw
    expect(await page.textContent('section[data-view="sweep"]')).toContain('No line chart of idc100');
    const shown = await undefinedCells(page);
    expect([shown.dashes, shown.nan]).toEqual([shown.of, false]);
    expect(shown.of).toBeGreaterThanOrEqual(16); // 8 cells × the policies
  });

  it('draws the win map of any pair on any verdict metric, with the verdicts verbatim (summary.json)', async () => {
    const summary = JSON.parse(readFileSync(join(out.cpu, 'summary.json'), 'utf8')) as {
      cells: {
        cell: number;
        verdicts: { a: string; b: string; metric: string; aWins: number; bWins: number; n: number; text: string }[];
      }[];
    };
    const page = await site.open('view=sweep&pa=roundRobin&pb=static&wm=throughput&gx=fleet.random.load&gy=lmax');
    await openFiles(page, [join(out.cpu, 'summary.json')]);
    // the map's metric lists the metrics with verdicts only
    const metrics = await page.$$eval('select[data-key="wm"] option', (o) => o.map((x) => (x as HTMLOptionElement).value));
    expect(metrics).toEqual([...new Set(summary.cells.flatMap((c) => c.verdicts.map((v) => v.metric)))]);
    const check = async (a: string, b: string, metric: string): Promise<void> => {
      expect(await page.getAttribute('#win-map', 'data-a')).toBe(a);
      expect(await page.getAttribute('#win-map', 'data-b')).toBe(b);
      expect(await page.getAttribute('#win-map', 'data-metric')).toBe(metric);
      const shown = await page.$$eval('#win-map td[data-cell]', (tds) =>
        tds.map((td) => ({
          cell: Number((td as HTMLElement).dataset.cell),
          a: Number((td as HTMLElement).dataset.aFraction),
          title: td.getAttribute('title'),
        })),
      );
      expect(shown).toHaveLength(8); // 4 loads × 2 lmax
      for (const { cell, a: fraction, title } of shown) {
        const v = summary.cells
          .find((c) => c.cell === cell)!
          .verdicts.find((x) => x.metric === metric && [x.a, x.b].sort().join() === [a, b].sort().join())!;
        expect(fraction).toBeCloseTo((v.a === a ? v.aWins : v.bWins) / v.n, 12);
        expect(title).toBe(`cell ${cell}: ${v.text}`);
      }
      expect(await page.$$eval('#win-map .winmap-verdicts li', (li) => li.length)).toBe(8);
    };
    await check('roundRobin', 'static', 'throughput');
    // any pair: both selects list the study's policies
    await page.selectOption('select[data-key="pa"]', 'adaptive');
    await check('adaptive', 'static', 'throughput');
    await page.selectOption('select[data-key="wm"]', 'avgLatency');
    expect(await page.evaluate(() => location.hash)).toContain('wm=avgLatency');
    await check('adaptive', 'static', 'avgLatency');
    await site.screenshot(page, 'sweep-win-map');
  });

  it('opens cells.csv alone (picked or dropped), and the Arrow files alone', async () => {
    const page = await site.open('view=sweep');
    await openFiles(page, [join(out.cpu, 'cells.csv')]);
    expect(await loadedLine(page)).toContain('from cells.csv');
    expect(await page.$$eval('table.winners td[data-policy]', (tds) => tds.length)).toBe(8);
    await page.selectOption('select[data-key="m"]', 'idc100'); // empty in cells.csv: —, never NaN
    const shown = await undefinedCells(page);
    expect([shown.dashes, shown.nan]).toEqual([shown.of, false]);
    expect(shown.of).toBeGreaterThanOrEqual(16); // 8 cells × the policies
    // drag and drop: the same files, dropped on the drop zone
    const dropped = await site.open('view=sweep');
    const at = await generation(dropped);
    await dropped.evaluate(
      (text) => {
        const data = new DataTransfer();
        data.items.add(new File([text], 'cells.csv', { type: 'text/csv' }));
        document.querySelector('.drop')!.dispatchEvent(new DragEvent('drop', { dataTransfer: data, bubbles: true, cancelable: true }));
      },
      readFileSync(join(out.cpu, 'cells.csv'), 'utf8'),
    );
    await nextGeneration(dropped, at);
    expect(await loadedLine(dropped)).toContain('from cells.csv');
    const arrows = readdirSync(join(out.cpu, 'fleets')).map((f) => join(out.cpu, 'fleets', f));
    const fresh = await site.open('view=sweep');
    await openFiles(fresh, arrows);
    expect(await loadedLine(fresh)).toMatch(/8 cell\(s\)/);
    for (const n of await colouredPixels(fresh)) expect(n).toBeGreaterThan(200);
  });

  it('refuses bad files with a message naming the problem and keeps the result shown', async () => {
    const page = await site.open('view=sweep');
    await openFiles(page, [join(out.gpu, 'summary.json')]);
    const before = await loadedLine(page);
    const bad = join(dir, 'bad');
    mkdirSync(bad, { recursive: true });
    const cases: [string, string | null, RegExp][] = [
      ['notjson.json', 'hello, I am not JSON', /notjson\.json: not valid JSON/],
      ['people.csv', 'name,age\nann,3\n', /people\.csv: not a fleetsim cells\.csv: missing column\(s\) cell, policy, fleetRuns/],
      [
        'overflow.csv',
        readFileSync(join(out.gpu, 'cells.csv'), 'utf8').replace(/^(0,0\.5,100,static,48,)[^,]+/m, '$11e999'),
        /overflow\.csv: line 2, column avgLatency_mean: 1e999 overflows/,
      ],
      [
        'summary.json',
        readFileSync(join(out.gpu, 'summary.json'), 'utf8').replace('"fleetRuns": 48', '"fleetRuns": -3'),
        /cells\[0\]\.fleetRuns: must be ≥ 0, got -3/,
      ],
      ['huge.json', null, /huge\.json: 1\.0 GB is too large for the page/],
      ['unit-x.arrow', 'ARROW1 but not really', /unit-x\.arrow: not an Arrow IPC file/],
      ['fleets.parquet', 'PAR1', /Parquet is not supported/],
    ];
    for (const [name, text, expected] of cases) {
      const path = join(bad, name);
      if (text === null) {
        writeFileSync(path, '');
        truncateSync(path, 1024 ** 3); // a sparse 1 GB file: refused by its size before a byte is read
      } else writeFileSync(path, text);
      await openFiles(page, [path]);
      expect(await message(page)).toMatch(expected);
      expect(await page.getAttribute('section.open .message', 'data-kind')).toBe('error');
      expect(await loadedLine(page)).toBe(before);
    }
    await site.screenshot(page, 'sweep-bad-file');

    // values from files are text, never HTML
    const hostile = readFileSync(join(out.gpu, 'summary.json'), 'utf8').replace(
      '"study": "e2e-small"',
      '"study": "<img src=x onerror=window.pwned=1>"',
    );
    const path = join(bad, 'hostile-summary.json');
    writeFileSync(path, hostile);
    await openFiles(page, [path]);
    expect(await page.textContent('#sweep-results .loaded strong')).toBe('<img src=x onerror=window.pwned=1>');
    expect(await page.$$eval('#sweep-results img', (imgs) => imgs.length)).toBe(0);
    expect(await page.evaluate(() => (window as { pwned?: number }).pwned)).toBeUndefined();
  });

  it('runs a study on WebGPU with the cell statistics of `fleetsim sweep --backend gpu`', async () => {
    const page = await site.open('view=sweep');
    await runStudyInPage(page, STUDY);
    expect(await page.getAttribute('#backend', 'data-backend')).toBe('gpu');
    expect(await page.textContent('#study-status')).toMatch(/^done: 384 fleet runs/);
    const mine = csvRows(await downloaded(page, 'cells.csv'));
    const cli = csvRows(readFileSync(join(out.gpu, 'cells.csv'), 'utf8'));
    expect(mine.length).toBe(cli.length);
    let worst = 0;
    mine.forEach((row, i) => {
      for (const [key, value] of Object.entries(row)) {
        if (!key.endsWith('_mean')) {
          if (!/_(std|ci95Low|ci95High|min|max|p50|p90|p99)$/.test(key)) expect(value, key).toBe(cli[i]![key]);
          continue;
        }
        const [a, b] = [Number(value), Number(cli[i]![key])];
        worst = Math.max(worst, Math.abs(a - b) / Math.max(Math.abs(b), 1e-12));
      }
    });
    console.log(`page (WebGPU, SwiftShader) against the CLI (GPU): largest relative difference of a cell mean ${worst.toExponential(2)}`);
    expect(worst).toBeLessThanOrEqual(AGGREGATE_REL);
    for (const n of await colouredPixels(page)) expect(n).toBeGreaterThan(200);
    await site.screenshot(page, 'sweep-run-webgpu');
  });

  it('runs a study on the CPU worker with the cells.csv of `fleetsim sweep --backend cpu` (identical but for quantile ulps)', async () => {
    const page = await site.open('view=sweep&backend=cpu');
    await runStudyInPage(page, STUDY);
    expect(await page.getAttribute('#backend', 'data-backend')).toBe('cpu');
    // Every count, mean, std and interval is bit-identical (exact sums); the quantiles come back from
    // the DDSketch's bin keys through Math.exp/log, which Chromium's V8 and Node's may round 1 ulp apart.
    const mine = csvRows(await downloaded(page, 'cells.csv'));
    const cli = csvRows(readFileSync(join(out.cpu, 'cells.csv'), 'utf8'));
    expect(mine.length).toBe(cli.length);
    let ulps = 0;
    mine.forEach((row, i) => {
      for (const [key, value] of Object.entries(row)) {
        if (/_p(50|90|99)$/.test(key) && value !== cli[i]![key]) {
          expect(Math.abs(Number(value) - Number(cli[i]![key]))).toBeLessThanOrEqual(4 * Number.EPSILON * Math.abs(Number(cli[i]![key])));
          ulps++;
        } else expect(value, `row ${i} ${key}`).toBe(cli[i]![key]);
      }
    });
    console.log(`page (CPU worker) against the CLI (CPU): every field identical but ${ulps} quantile(s) within 4 ulps`);
    const summary = JSON.parse(await downloaded(page, 'summary.json')) as { studyHash: string; cells: unknown[] };
    const want = JSON.parse(readFileSync(join(out.cpu, 'summary.json'), 'utf8')) as { studyHash: string; cells: unknown[] };
    expect(summary.studyHash).toBe(want.studyHash);
    expect(summary.cells.length).toBe(want.cells.length);
  });

  // On the CPU worker (fast); test/gpu-workflow.test.ts ties the GPU's workflow runs to the CPU's, and the Paper view's e2e runs one on WebGPU.
  it('runs the paper’s workflow in the page and shows its metrics: end-to-end latency with its meaning, requests in flight, visit rates', async () => {
    const page = await site.open('view=sweep&backend=cpu');
    const shipped = JSON.parse(readFileSync('sweeps/paper-workflow.json', 'utf8')) as Record<string, unknown>;
    delete shipped.$schema;
    const study = {
      ...shipped,
      replicates: 3,
      steps: 600,
      warmup: 100,
      policies: ['static', 'adaptive'],
      axes: [{ path: 'loadScale', values: [0.05, 0.2] }],
    };
    await runStudyInPage(page, study);
    expect(await loadedLine(page)).toContain('2 cell(s)');
    const options = await page.$$eval('select[data-key="m"] option', (o) =>
      Object.fromEntries(o.map((x) => [(x as HTMLOptionElement).value, x.textContent ?? ''])),
    );
    expect(options.e2eLatency).toBe("e2eLatency: end-to-end latency by Little's law (s)");
    expect(options.inFlight).toBe('inFlight: requests in flight between agents (requests)');
    expect(options.forkParents).toBe('forkParents: outstanding fork-join parents (requests) — undefined in every run'); // no fork-join

    expect(await page.inputValue('select[data-key="m"]')).toBe('e2eLatency'); // a workflow study opens on it
    expect(await page.textContent('#metric-about')).toContain('W_e2e = mean N_wf/Λ_ext');
    expect(await page.textContent('#sweep-results figure.chart figcaption')).toContain('e2eLatency against loadScale');
    const e2e = await page.$$eval('#sweep-results table.data.cells tbody tr', (rows) =>
      rows.map((r) =>
        [...r.children]
          .slice(3)
          .filter((c) => !c.classList.contains('verdict-cell')) // the policies' means; e2eLatency has verdicts too
          .map((c) => Number((c.textContent ?? '').split(' ')[0])),
      ),
    );
    expect(e2e).toHaveLength(2);
    for (const row of e2e) for (const mean of row) expect(mean).toBeGreaterThan(0); // static and adaptive: finite, positive
    await page.selectOption('select[data-key="m"]', 'inFlight');
    const inFlight = await page.$$eval('#sweep-results table.data.cells tbody tr', (rows) =>
      rows.map((r) =>
        [...r.children]
          .slice(3)
          .filter((c) => !c.classList.contains('verdict-cell')) // the policies' means; e2eLatency has verdicts too
          .map((c) => Number((c.textContent ?? '').split(' ')[0])),
      ),
    );
    for (const row of inFlight) for (const mean of row) expect(mean).toBeGreaterThan(0); // routed requests between two steps
    await page.selectOption('select[data-key="m"]', 'forkParents');
    expect(await page.textContent('#sweep-results')).toContain('it is undefined in every run of these cells (the fleet has no fork-join)');
    // the per-agent panel of the fixed fleet: the visit rates γ̂, routed requests included
    const agentMetrics = await page.$$eval('select[data-key="am"] option', (o) => o.map((x) => (x as HTMLOptionElement).value));
    expect(agentMetrics).toEqual(expect.arrayContaining(['visitRate', 'externalRate']));
    await page.selectOption('select[data-key="am"]', 'visitRate');
    expect(await page.textContent('#sweep-results .cell-detail')).toContain('visit rate');
    expect(await page.$('#keepalive-tradeoff')).toBeNull(); // no keep-alive axis
    await site.screenshot(page, 'sweep-workflow');
  });

  it('runs a keep-alive study in the page: the lifecycle’s metrics in the picker, and cost against latency as K varies', async () => {
    const page = await site.open('view=sweep&backend=cpu');
    const study = {
      name: 'keep-alive',
      seed: 3,
      fleet: {
        agents: [
          { name: 'a', T: 20, R: 0.1, P: 1, lambda: 0.01, M: 2000 },
          { name: 'b', T: 20, R: 0.1, P: 2, lambda: 0.005, M: 4000 },
        ],
      },
      arrivals: 'poisson',
      steps: 2000,
      replicates: 3,
      policies: ['static', 'adaptive'],
      lifecycle: { coldStart: 4, memory: { gpu: 'T4' } },
      axes: [{ path: 'lifecycle.keepAlive', values: [60, 'never', 0] }],
    };
    await runStudyInPage(page, study);
    expect(await loadedLine(page)).toContain('3 cell(s)');
    const options = await page.$$eval('select[data-key="m"] option', (o) =>
      Object.fromEntries(o.map((x) => [(x as HTMLOptionElement).value, x.textContent ?? ''])),
    );
    expect(options.coldStartsPerHour).toBe('coldStartsPerHour: cold starts per hour (loads/h)');
    expect(options.costResident).toBe('costResident: cost while resident ($)');
    expect(options.memoryBoundFraction).toBe('memoryBoundFraction: steps whose admission waited for memory (fraction of steps)');
    await page.selectOption('select[data-key="m"]', 'costResident');
    expect(await page.textContent('#sweep-results figure.chart figcaption')).toContain('costResident against lifecycle.keepAlive');
    // the trade-off: a line per policy through its points in K order, each labelled, with the same points in a table
    const figure = '#keepalive-tradeoff';
    expect(await page.textContent(`${figure} figcaption`)).toContain('Cost against latency as the keep-alive varies');
    expect(await page.$$eval(`${figure} svg g.policy`, (g) => g.map((x) => x.getAttribute('data-policy')))).toEqual(['static', 'adaptive']);
    for (const policy of ['static', 'adaptive']) {
      expect(
        await page.$$eval(`${figure} svg g.policy[data-policy="${policy}"] circle.point`, (c) =>
          c.map((x) => x.getAttribute('data-keep-alive')),
        ),
      ).toEqual(['0', '60', 'never']);
    }
    const points = await page.$$eval(`${figure} #tradeoff-table tbody tr`, (rows) =>
      rows.map((r) => [...r.children].map((c) => c.textContent ?? '')),
    );
    expect(points).toHaveLength(6);
    // never scaled to zero: resident the whole run (2,000 s at $0.72 per hour); K = 0 costs less
    const cost = (policy: string, k: string): number => Number(points.find((p) => p[0] === policy && p[1] === k)![2]);
    for (const policy of ['static', 'adaptive']) {
      expect(cost(policy, 'never')).toBeCloseTo((0.72 * 2000) / 3600, 4);
      expect(cost(policy, '0')).toBeLessThan(cost(policy, '60'));
    }
    // drawn inside its box
    const inside = await page.$eval(`${figure} svg`, (svg) => {
      const box = (svg as SVGSVGElement).viewBox.baseVal;
      return [...svg.querySelectorAll('circle.point, polyline')].every((n) => {
        const b = (n as SVGGraphicsElement).getBBox();
        return b.x >= box.x && b.y >= box.y && b.x + b.width <= box.x + box.width && b.y + b.height <= box.y + box.height;
      });
    });
    expect(inside).toBe(true);
    await site.screenshot(page, 'sweep-keep-alive');
  });

  it('lists a study’s problems next to their lines, and runs nothing', async () => {
    const page = await site.open('view=sweep');
    const bad = { ...STUDY, steps: 'many', fleet: { agents: [{ T: 10, R: 1.5, P: 1, lambda: 2 }] }, policies: ['static', 'greedy'] };
    await runStudyInPage(page, bad);
    const problems = await page.$$eval('#study-problems li', (items) =>
      items.map((li) => ({ line: Number((li as HTMLElement).dataset.line), text: li.textContent ?? '' })),
    );
    const text = JSON.stringify(bad, null, 2).split('\n');
    const r = problems.find((p) => p.text.includes('fleet.agents[0].R: must be ≤ 1, got 1.5'))!;
    expect(text[r.line - 1]).toContain('"R": 1.5');
    const greedy = problems.find((p) => p.text.includes('policies[1]: must be one of'))!;
    expect(text[greedy.line - 1]).toContain('"greedy"');
    expect(problems.some((p) => p.text.includes('steps: must be an integer, got "many"') || p.text.includes('steps:'))).toBe(true);
    expect(await page.textContent('#study-status')).toContain('nothing was run');
    // the line button selects the line in the editor
    await page.click(`#study-problems li[data-line="${r.line}"] button`);
    expect(
      await page.evaluate(() => {
        const a = document.querySelector<HTMLTextAreaElement>('#study-text')!;
        return a.value.slice(a.selectionStart, a.selectionEnd);
      }),
    ).toContain('"R": 1.5');
    await site.screenshot(page, 'sweep-study-problems');
  });

  it('cancels a run, keeps the result shown, and runs again afterwards', async () => {
    for (const hash of ['view=sweep', 'view=sweep&backend=cpu']) {
      const page = await site.open(hash);
      await openFiles(page, [join(out.gpu, 'summary.json')]);
      const before = await loadedLine(page);
      const big = { ...STUDY, name: 'big', samples: 4000, steps: 200, output: { fleetRows: false, arrivalStats: true } };
      await page.fill('#study-text', JSON.stringify(big));
      const at = await generation(page);
      await page.click('#study-run');
      await page.waitForFunction(() => (document.querySelector<HTMLProgressElement>('#study-progress')?.value ?? 0) > 0, undefined, {
        timeout: 120_000,
      });
      await page.click('#study-cancel');
      await nextGeneration(page, at);
      expect(await page.textContent('#study-status')).toMatch(/^cancelled/);
      expect(await loadedLine(page)).toBe(before);
      expect(await page.isEnabled('#study-run')).toBe(true);
      expect(await page.isDisabled('#study-cancel')).toBe(true);
      await runStudyInPage(page, { ...STUDY, samples: 8 });
      expect(await page.textContent('#study-status')).toMatch(/^done: 64 fleet runs/);
    }
  });
});
