/**
 * The Bench view in Chromium: opens a file written by `npm run bench` (a real quick run,
 * test/fixtures/bench-suite-quick.json), and every file in bench/results/ (the suite's, bench:sweep's,
 * bench:memory's, bench:slurm's), draws it with the centre of repeated runs labelled for what it is,
 * refuses foreign and broken files in words without losing what is shown, and runs a short benchmark
 * in the page (WebGPU against the CPU worker).
 */
import { readdirSync, readFileSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closeSite, settled, startSite, type Site } from '../helpers/site.js';

const FIXTURE = 'test/fixtures/bench-suite-quick.json';
let site: Site;
const temp: string[] = [];
beforeAll(async () => {
  site = await startSite();
}, 300_000);
afterAll(async () => {
  for (const f of temp) rmSync(f, { force: true });
  await closeSite(site);
});

function tempFile(name: string, text: string): string {
  const path = join(tmpdir(), `fleetsim-e2e-${process.pid}-${name}`);
  writeFileSync(path, text);
  temp.push(path);
  return path;
}

/** Pixels of the chart's canvas that are not the background (uPlot draws on a transparent canvas). */
const inkedPixels = (page: Page): Promise<number> =>
  page.$eval('figure.chart canvas', (canvas) => {
    const c = canvas as HTMLCanvasElement;
    const data = c.getContext('2d')!.getImageData(0, 0, c.width, c.height).data;
    let n = 0;
    for (let i = 3; i < data.length; i += 4) if (data[i]! > 0) n++;
    return n;
  });

/** The measurements table's rows (the first table; the arrival processes' costs follow it). */
const tableRows = (page: Page): Promise<string[][]> =>
  page.$$eval('.bench-result table.data:first-of-type tbody tr', (rows) =>
    rows.map((r) => [...r.children].map((c) => c.textContent ?? '')),
  );

async function openFile(page: Page, path: string): Promise<void> {
  await page.setInputFiles('.drop input[type=file]', path);
}

describe('Bench view', () => {
  it('draws a file from npm run bench: every backend, the chosen workload from the URL', async () => {
    const page = await site.open('view=bench&w=paper-static');
    await settled(page);
    await openFile(page, FIXTURE);
    await page.waitForSelector('figure.chart canvas');
    expect(await page.$eval('#bench-workload', (s) => (s as HTMLSelectElement).value)).toBe('paper-static');
    const file = JSON.parse(readFileSync(FIXTURE, 'utf8')) as { measurements: { workload: string; backend: string }[] };
    const expected = file.measurements.filter((m) => m.workload === 'paper-static');
    const rows = await tableRows(page);
    expect(rows).toHaveLength(expected.length);
    expect(rows.map((r) => r[0])).toEqual(expected.map((m) => m.backend));
    expect(await inkedPixels(page)).toBeGreaterThan(2000);
    await page.selectOption('#bench-workload', 'random16');
    expect(page.url()).toContain('w=random16');
    expect((await tableRows(page)).length).toBe(file.measurements.filter((m) => m.workload === 'random16').length);
    await site.screenshot(page, 'bench-file');
  });

  it('refuses foreign and broken files with a message naming the problem, keeping what is shown', async () => {
    const page = await site.open('view=bench');
    await settled(page);
    await openFile(page, FIXTURE);
    await page.waitForSelector('figure.chart canvas');
    const before = await tableRows(page);
    /** The error message once it names `name` (messages appear after the file is read). */
    const error = async (name: string) => {
      await page.waitForSelector(`.message[data-kind=error]:has-text("${name}")`);
      return page.textContent('.message[data-kind=error]');
    };

    await openFile(page, tempFile('not-json.json', 'this is not JSON {'));
    expect(await error('not-json.json')).toMatch(/not-json\.json: not JSON .*still showing bench-suite-quick\.json/);

    // Another fleetsim file (a study) is not a bench result: the message says what it is, in words.
    await openFile(page, 'sweeps/load-curve.json');
    const study = await error('load-curve.json');
    expect(study).toMatch(
      /load-curve\.json: this is a study file, not a bench result: open it in the Sweep view\. The Bench view shows the files of npm run bench .*still showing bench-suite-quick\.json/,
    );
    expect(study).not.toMatch(/Invalid input|expected|received/);

    const bad = JSON.parse(readFileSync(FIXTURE, 'utf8')) as { measurements: { fleets: unknown }[] };
    bad.measurements[3]!.fleets = 'OVERFLOW'; // 1e400 is valid JSON that parses to Infinity
    await openFile(page, tempFile('overflow.json', JSON.stringify(bad).replace('"OVERFLOW"', '1e400')));
    expect(await error('overflow.json')).toMatch(
      /a file of npm run bench that does not fit: measurements\[3\]\.fleets: must be a finite number/,
    );

    const huge = join(tmpdir(), `fleetsim-e2e-${process.pid}-huge.json`);
    writeFileSync(huge, '');
    truncateSync(huge, 2 ** 30); // a sparse 1 GiB file: refused from its size, never read
    temp.push(huge);
    await openFile(page, huge);
    expect(await error('huge.json')).toMatch(/1024\.0 MiB is larger than the 64 MiB/);

    expect(await tableRows(page)).toEqual(before);
    expect(await inkedPixels(page)).toBeGreaterThan(2000);
  });

  it('renders values from files as text, never as HTML', async () => {
    const file = JSON.parse(readFileSync(FIXTURE, 'utf8')) as { measurements: { workload: string; backend: string }[] };
    const evil = '<img src=x onerror="document.body.dataset.pwned=1">';
    for (const m of file.measurements) if (m.backend === 'gpu') m.backend = evil;
    const page = await site.open('view=bench&w=paper-static');
    await settled(page);
    await openFile(page, tempFile('evil.json', JSON.stringify(file)));
    await page.waitForSelector('figure.chart canvas');
    expect((await tableRows(page)).map((r) => r[0])).toContain(evil);
    expect(await page.$$('.bench-result img')).toHaveLength(0);
    expect(await page.evaluate(() => document.body.dataset.pwned)).toBeUndefined();
  });

  it('opens every file in bench/results/, each drawn as its kind, repeated runs labelled honestly', async () => {
    const page = await site.open('view=bench');
    await settled(page);
    const kindOf = (name: string): string => /^(sweep|memory|slurm|peers)-/.exec(name)?.[1] ?? 'suite';
    for (const name of readdirSync('bench/results').filter((f) => f.endsWith('.json'))) {
      await openFile(page, `bench/results/${name}`);
      await page.waitForSelector(`.bench-result h3:text-is("${name}")`);
      expect(await page.$$('.message[data-kind=error]')).toHaveLength(0);
      expect(await page.getAttribute('.bench-result', 'data-kind')).toBe(kindOf(name));
      expect(await inkedPixels(page)).toBeGreaterThan(1000);
      const text = (await page.textContent('.bench-result')) ?? '';
      expect(text).not.toContain('NaN');
      if (name === '2026-11-21-vm.json') {
        // two timed runs each: their mean, never "median"; the note says why
        const legend = await page.$$eval('figure.chart .chart-legend li', (labels) => labels.map((l) => l.textContent ?? ''));
        expect(legend.filter((l) => /\(mean of 2\)$/.test(l)).length).toBeGreaterThan(0);
        expect(legend.join()).not.toMatch(/median/);
        expect(await page.textContent('#bench-runs')).toContain('With two runs there is no median');
        expect((await tableRows(page))[0]![5]).toMatch(/^\d+\.\d{3} \(mean of 2\) \[/);
        await site.screenshot(page, 'bench-suite-two-runs');
      }
      if (name === '2026-12-06-vm-arrivals.json') {
        const legend = await page.$$eval('figure.chart .chart-legend li', (labels) => labels.map((l) => l.textContent ?? ''));
        expect(legend.filter((l) => /\(median of 3\)$/.test(l)).length).toBeGreaterThan(0);
      }
      if (kindOf(name) === 'slurm')
        expect(await page.textContent('#slurm-empty-job')).toMatch(/^An empty Slurm job costs \d+\.\d\d s \(median of 5;/);
      if (kindOf(name) === 'memory') expect(text).toContain('under the 1024 MiB target');
      if (kindOf(name) !== 'suite') await site.screenshot(page, `bench-${kindOf(name)}`);
    }
  });

  it('runs a short benchmark in the page: WebGPU against the CPU worker', async () => {
    const page = await site.open('view=bench&bw=paper-adaptive&budget=0.2&max=1000');
    await settled(page);
    await page.click('form.params button[type=submit]');
    await page.waitForSelector('.bench-result h3:has-text("in-page run")', { timeout: 120_000 });
    const rows = await tableRows(page);
    expect(new Set(rows.map((r) => r[0]))).toEqual(new Set(['webgpu', 'cpu-worker']));
    expect(rows.map((r) => r[1])).toEqual(['100', '100', '1,000', '1,000'].slice(0, rows.length));
    expect(await page.getAttribute('#backend', 'data-backend')).toBe('gpu');
    expect(await inkedPixels(page)).toBeGreaterThan(1000);
    expect(await page.isVisible('a[download]')).toBe(true);
    await site.screenshot(page, 'bench-in-page');
  });

  it('checks the budget field and can cancel a run', async () => {
    const page = await site.open('view=bench&max=100000');
    await settled(page);
    await page.fill('#budget', '1000');
    await page.click('form.params button[type=submit]');
    expect(await page.textContent('#budget-error')).toBe('budget must be a number from 0.2 to 60 seconds, got 1000');
    await page.fill('#budget', '60');
    await page.click('form.params button[type=submit]');
    await page.waitForFunction(() => !(document.querySelector('form.params button[type=button]') as HTMLButtonElement).disabled);
    await page.click('form.params button[type=button]');
    await page.waitForFunction(() => document.querySelector('.progress-text')?.textContent === 'cancelled', undefined, { timeout: 60_000 });
    expect(await page.isEnabled('form.params button[type=submit]')).toBe(true);
  });
});
