/**
 * The Paper view in Chromium: computes Table II on WebGPU (and on the CPU worker without WebGPU),
 * draws the four panels of Figure 2 and each agent's queue and latency over time, reruns when the form
 * changes, takes any fleet (agents added, renamed, removed; an overloaded one flagged), refuses bad
 * fields next to them without losing the last result, and keeps the scenario in the URL.
 */
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closeSite, settled, startSite, type Site } from '../helpers/site.js';
import { QUEUE_TOL } from '../helpers/tolerances.js';
import { POLICY_NAMES } from '../../src/model/policies.js';
import { LIFECYCLE_METRICS } from '../../src/model/lifecycle.js';

let site: Site;
beforeAll(async () => {
  site = await startSite();
}, 300_000);
afterAll(async () => {
  await closeSite(site);
});

const PAPER_LATENCIES = ['110.258', '756.061', '111.927'];
/** The CPU series against the GPU engine's totals: f32 queues on the GPU (see test/web-paper.test.ts). */
const SERIES_GAP_F32 = 1e-5;
/** Pixels of a series colour a drawn panel has at least (a point is ~50, a line hundreds). */
const MIN_SERIES_PIXELS = 100;

const latencies = (page: Page): Promise<string[]> =>
  page.$$eval('#table-ii tbody tr', (rows) => rows.map((row) => row.querySelectorAll('td')[0]?.textContent ?? ''));

const hashOf = (page: Page): Promise<string> => page.evaluate(() => location.hash);

/**
 * Per chart canvas, the pixels in a saturated colour: the series (policy and agent colours), never
 * the grey axes, grid and labels — a blank panel has none.
 */
const seriesPixels = (page: Page): Promise<number[]> =>
  page.$$eval('figure.chart canvas', (canvases) =>
    (canvases as HTMLCanvasElement[]).map((canvas) => {
      const { data } = canvas.getContext('2d')!.getImageData(0, 0, canvas.width, canvas.height);
      let n = 0;
      for (let k = 0; k < data.length; k += 4) {
        const [r, g, b, a] = [data[k]!, data[k + 1]!, data[k + 2]!, data[k + 3]!];
        if (a > 128 && Math.max(r, g, b) - Math.min(r, g, b) > 60) n++;
      }
      return n;
    }),
  );

/** A row of the arrival metrics table: agent, realized rate, IDC at 1, 10, 100 steps, max step arrivals. */
const arrivalRow = (page: Page, agent: string): Promise<string[]> =>
  page.$$eval(
    '#arrival-metrics tbody tr',
    (rows, name) => [...rows.find((r) => r.children[0]?.textContent === name)!.children].map((c) => c.textContent ?? ''),
    agent,
  );

/** Types into a field (as a user would) and waits for the view to settle. */
async function setField(page: Page, key: string, value: string): Promise<string> {
  await page.fill(`#field-${key}`, value);
  await page.press(`#field-${key}`, 'Enter');
  await page.waitForFunction(() => document.body.dataset.state !== 'pending');
  return settled(page);
}

describe('Paper view', () => {
  it('computes on WebGPU, shows the avgLatency figures of `fleetsim paper --json` and draws the four panels and the arrivals', async () => {
    const page = await site.open('view=paper');
    expect(await settled(page)).toBe('done');
    expect(await page.getAttribute('#backend', 'data-backend')).toBe('gpu');
    expect(await latencies(page)).toEqual(PAPER_LATENCIES);
    expect(await page.$$eval('#per-agent tbody tr', (rows) => rows.length)).toBe(12);
    expect(await page.getAttribute('#table-ii', 'tabindex')).toBe('0');

    const titles = await page.$$eval('figure.chart figcaption', (caps) => caps.map((c) => c.textContent));
    expect(titles).toHaveLength(7);
    const pixels = await seriesPixels(page);
    expect(pixels).toHaveLength(7);
    for (const n of pixels) expect(n).toBeGreaterThan(MIN_SERIES_PIXELS);
    // axis titles with units (uPlot draws them in the canvas: read them from each chart's options)
    const axes = await page.$$eval('figure.chart', (figures) =>
      figures.map((f) => (f as HTMLElement & { plot: { axes: { label?: string }[] } }).plot.axes.map((a) => a.label)),
    );
    expect(axes).toEqual([
      ['agent', 'mean latency ℓ (s)'],
      ['agent', 'throughput served (requests/s)'],
      ['time (s)', 'GPU share g (GPUs)'],
      ['throughput served (requests/s)', 'mean latency ℓ (s)'],
      ['time (s)', 'arrivals (requests per step)'],
      ['time (s)', 'queue Q (requests)'],
      ['time (s)', 'latency ℓ (s)'],
    ]);
    // deterministic arrivals: each agent's λ every step, an IDC of 0, and none over 100 steps of a 100-step run
    expect(await arrivalRow(page, 'coordinator')).toEqual(['coordinator', '80.00', '0.000', '0.000', '—', '80']);
    expect(await page.textContent('#arrival-note')).toContain('two complete windows');

    const caption = await page.textContent('#series-note');
    expect(caption).toContain('runSeriesCpu');
    expect(caption).toContain('WebGPU engine');
    const gap = Number(await page.getAttribute('#series-note', 'data-series-gap'));
    expect(gap).toBeLessThanOrEqual(SERIES_GAP_F32);
    await site.screenshot(page, 'paper-webgpu');
  });

  it('reruns when L_max changes in the form: round-robin 756.8 with L_max = 1000, and the URL says so', async () => {
    const page = await site.open('view=paper');
    expect(await settled(page)).toBe('done');
    expect(await setField(page, 'lmax', '1000')).toBe('done');
    const [fixed, roundRobin, adaptive] = (await latencies(page)).map(Number);
    expect(roundRobin!.toFixed(1)).toBe('756.8');
    expect(fixed!.toFixed(3)).toBe('110.258'); // static and adaptive never see a zero share here
    expect(adaptive!.toFixed(3)).toBe('111.927');
    expect(await hashOf(page)).toBe('#view=paper&lmax=1000');
    expect(await page.textContent('p.note')).toContain('differs from the paper’s in L_max');

    // the same through the URL: a hash edited in place reruns the view
    await page.evaluate(() => (location.hash = 'view=paper&lmax=999'));
    await page.waitForFunction(
      (want) => document.querySelector('#table-ii tbody tr:nth-child(2) td')?.textContent === want,
      PAPER_LATENCIES[1],
    );
    expect(await settled(page)).toBe('done');
    expect(await latencies(page)).toEqual(PAPER_LATENCIES);
    expect(await page.inputValue('#field-lmax')).toBe('999');
  });

  it('shows a bad field’s error next to it, naming the field and its range, and keeps the last result', async () => {
    const page = await site.open('view=paper');
    expect(await settled(page)).toBe('done');
    await page.fill('#field-lmax', '-5');
    await page.press('#field-lmax', 'Enter');
    await page.waitForFunction(() => document.body.dataset.state === 'invalid');
    const error = await page.textContent('#error-lmax');
    expect(error).toBe('L_max: must be a number > 0 and ≤ 1e9 (seconds, latency of a zero-share step), got "-5"');
    expect(await page.getAttribute('#field-lmax', 'aria-invalid')).toBe('true');
    expect(await latencies(page)).toEqual(PAPER_LATENCIES);
    expect(await hashOf(page)).toBe('#view=paper');
    expect((await seriesPixels(page)).every((n) => n > MIN_SERIES_PIXELS)).toBe(true);

    await page.fill('#field-steps', '2.5'); // a second bad field: both marked
    await page.press('#field-steps', 'Enter');
    expect(await page.textContent('#error-steps')).toContain('steps: must be an integer from 1 to 100000');
    expect(await page.textContent('#error-lmax')).toContain('L_max');
    await site.screenshot(page, 'paper-bad-field');

    await page.fill('#field-steps', '100');
    expect(await setField(page, 'lmax', '999')).toBe('done');
    expect(await page.textContent('#error-lmax')).toBe('');
    expect(await page.getAttribute('#field-lmax', 'aria-invalid')).toBeNull();
    expect(await latencies(page)).toEqual(PAPER_LATENCIES);
  });

  it('reproduces a scenario from its link, and after a reload', async () => {
    const hash = 'view=paper&T0=120&lambda2=50&lmax=1000&steps=200&arrivals=poisson&seed=7&alloc=roundRobin';
    const page = await site.open(hash);
    expect(await settled(page)).toBe('done');
    expect(await page.inputValue('#field-T0')).toBe('120');
    expect(await page.inputValue('#field-arrivals')).toBe('poisson');
    expect(await page.inputValue('#alloc-policy')).toBe('roundRobin');
    expect(await page.textContent('#panel-allocation figcaption')).toContain('round-robin');
    const first = await page.$$eval('table.data tbody tr', (rows) => rows.map((r) => r.textContent));
    expect(await latencies(page)).not.toEqual(PAPER_LATENCIES);

    await page.reload();
    expect(await settled(page)).toBe('done');
    expect(await page.$$eval('table.data tbody tr', (rows) => rows.map((r) => r.textContent))).toEqual(first);

    // the link the page writes after an edit opens the same result elsewhere
    expect(await setField(page, 'P1', '3')).toBe('done');
    const edited = await page.$$eval('table.data tbody tr', (rows) => rows.map((r) => r.textContent));
    const link = await hashOf(page);
    expect(link).toContain('P1=3');
    const other = await site.open(link);
    expect(await settled(other)).toBe('done');
    expect(await other.$$eval('table.data tbody tr', (rows) => rows.map((r) => r.textContent))).toEqual(edited);
    await site.screenshot(other, 'paper-link');

    // reset to the paper: the paper's figures and a bare link
    await page.click('text=Reset to the paper');
    expect(await settled(page)).toBe('done');
    expect(await latencies(page)).toEqual(PAPER_LATENCIES);
    expect(await hashOf(page)).toBe('#view=paper&alloc=roundRobin');
  });

  it('runs gamma arrivals at cv 3: the arrivals chart shows bursts, the metrics say so, and a bad cv runs nothing', async () => {
    const page = await site.open('view=paper&steps=400');
    expect(await settled(page)).toBe('done');
    expect(await page.isVisible('#field-cv')).toBe(false); // deterministic: no cv to give
    await page.selectOption('#field-arrivals', 'gamma');
    await page.waitForFunction(() => document.body.dataset.state !== 'pending');
    expect(await settled(page)).toBe('done');
    expect(await page.isVisible('#field-cv')).toBe(true);
    expect(await page.isVisible('#field-idc')).toBe(false);
    expect(await setField(page, 'cv', '3')).toBe('done');
    expect(await hashOf(page)).toBe('#view=paper&steps=400&arrivals=gamma&cv=3');
    expect(await page.textContent('#panel-arrivals figcaption')).toContain('gamma');
    const pixels = await seriesPixels(page);
    for (const n of pixels) expect(n).toBeGreaterThan(MIN_SERIES_PIXELS);
    const fleet = await arrivalRow(page, 'fleet (all agents)');
    expect(Number(fleet[1])).toBeGreaterThan(100); // Σλ = 190 requests/s, give or take the bursts
    expect(Number(fleet[2])).toBeGreaterThan(2); // cv² = 9 in the limit: far burstier than Poisson's 1
    expect(Number(fleet[4])).toBeGreaterThan(0); // 4 windows of 100 steps
    expect(Number(fleet[5])).toBeGreaterThan(80);
    const tables = await page.$$eval('table.data tbody tr', (rows) => rows.map((r) => r.textContent));
    expect(tables.join()).not.toContain('NaN');
    await site.screenshot(page, 'paper-gamma');

    // out of range: the field's error with its range, nothing runs, the link keeps the last good cv
    await page.fill('#field-cv', '500');
    await page.press('#field-cv', 'Enter');
    await page.waitForFunction(() => document.body.dataset.state === 'invalid');
    expect(await page.textContent('#error-cv')).toBe(
      'cv: must be a number ≥ 0.05 and ≤ 200 (coefficient of variation of the inter-arrival time), got "500"',
    );
    expect(await page.getAttribute('#field-cv', 'aria-invalid')).toBe('true');
    expect(await hashOf(page)).toBe('#view=paper&steps=400&arrivals=gamma&cv=3');
    expect(await page.$$eval('table.data tbody tr', (rows) => rows.map((r) => r.textContent))).toEqual(tables);

    // the link reproduces the run
    const other = await site.open('view=paper&steps=400&arrivals=gamma&cv=3');
    expect(await settled(other)).toBe('done');
    expect(await other.inputValue('#field-cv')).toBe('3');
    expect(await other.$$eval('table.data tbody tr', (rows) => rows.map((r) => r.textContent))).toEqual(tables);
  });

  it('replays the Azure conversation trace, and runs an MMPP following it, from links', async () => {
    const page = await site.open('view=paper&steps=600&arrivals=replay');
    expect(await settled(page)).toBe('done');
    expect(await page.textContent('#arrival-help')).toContain('Azure conversation trace');
    const fleet = await arrivalRow(page, 'fleet (all agents)');
    expect(Number(fleet[1])).toBeGreaterThan(0);
    expect(Number(fleet[3])).toBeGreaterThan(1); // the trace is bursty over 10 s
    const mmpp = await site.open(`view=paper&steps=600&arrivals=mmpp&idc=50&highFraction=0.1&peakRatio=5&trace=azure-llm-2023-conv`);
    expect(await settled(mmpp)).toBe('done');
    expect(await mmpp.inputValue('#field-trace')).toBe('azure-llm-2023-conv');
    expect(await mmpp.inputValue('#field-peakRatio')).toBe('5');
    expect(Number((await arrivalRow(mmpp, 'fleet (all agents)'))[2])).toBeGreaterThan(1);
    await mmpp.fill('#field-peakRatio', '11'); // κ·π_H > 1
    await mmpp.press('#field-peakRatio', 'Enter');
    await mmpp.waitForFunction(() => document.body.dataset.state === 'invalid');
    expect(await mmpp.textContent('#error-peakRatio')).toContain('MMPP peak ratio: must be ≥ 1 and ≤ 1/high fraction = 10');
  });

  it('marks an out-of-range value in a link and runs nothing until it is fixed', async () => {
    const page = await site.open('view=paper&R1=1.5');
    await page.waitForFunction(() => document.body.dataset.state === 'invalid');
    expect(await page.textContent('#error-R1')).toContain('nlp R: must be a number ≥ 0 and ≤ 1');
    expect(await page.inputValue('#field-R1')).toBe('1.5');
    expect(await page.$$('#table-ii')).toHaveLength(0);
    expect(await setField(page, 'R1', '0.3')).toBe('done');
    expect(await latencies(page)).toEqual(PAPER_LATENCIES);
  });

  it('the policy picker lists every registered policy; the ticked ones run and are charted, Table II keeps the paper’s three', async () => {
    const page = await site.open('view=paper&policies=static,adaptive,timeSlice');
    expect(await settled(page)).toBe('done');
    const boxes = await page.$$eval('#policy-picker input[type=checkbox]', (b) =>
      b.map((x) => [(x as HTMLInputElement).value, (x as HTMLInputElement).checked] as const),
    );
    expect(boxes.map(([name]) => name)).toEqual([...POLICY_NAMES]);
    expect(boxes.filter(([, on]) => on).map(([name]) => name)).toEqual(['static', 'adaptive', 'timeSlice']);
    expect(await latencies(page)).toEqual([PAPER_LATENCIES[0], PAPER_LATENCIES[2]]); // Table II: static and adaptive only
    expect(await page.$$eval('#per-agent tbody tr', (rows) => rows.length)).toBe(12); // 4 agents × 3 policies
    expect(await page.$$eval('#alloc-policy option', (o) => o.map((x) => x.textContent))).toEqual(['static', 'adaptive', 'time-slice']);
    const legends = await page.$$eval('figure.chart', (figures) =>
      figures.map((f) => (f as HTMLElement & { plot: { series: { label?: string }[] } }).plot.series.map((x) => x.label)),
    );
    expect(legends[0]).toContain('time-slice'); // panel (a)
    // unticking one reruns without it and writes the link; none ticked runs nothing and says why
    await page.uncheck('#policy-picker input[value=static]');
    expect(await settled(page)).toBe('done');
    expect(await page.evaluate(() => location.hash)).toContain('policies=adaptive%2CtimeSlice');
    expect(await latencies(page)).toEqual([PAPER_LATENCIES[2]]);
    await page.uncheck('#policy-picker input[value=adaptive]');
    await settled(page);
    await page.uncheck('#policy-picker input[value=timeSlice]');
    await page.waitForFunction(() => document.body.dataset.state === 'invalid');
    expect(await page.textContent('#error-policies')).toContain('tick at least one policy');
    expect(await page.$$eval('#per-agent tbody tr', (rows) => rows.length)).toBe(4); // the last result stays (timeSlice alone)
    // an unknown name in a link is named, with what is allowed
    const bad = await site.open('view=paper&policies=static,greedy');
    await bad.waitForFunction(() => document.body.dataset.state === 'invalid');
    expect(await bad.textContent('#error-policies')).toContain('got "greedy"');
  });

  it('falls back to the CPU engine in a worker without WebGPU, and says so', async () => {
    const page = await site.open('view=paper', { webgpu: false });
    expect(await settled(page)).toBe('done');
    expect(await page.getAttribute('#backend', 'data-backend')).toBe('cpu');
    expect(await page.textContent('#backend')).toBe('CPU (Web Worker)');
    expect(await page.textContent('p.message')).toContain('running the CPU reference engine in a Web Worker');
    expect(await latencies(page)).toEqual(PAPER_LATENCIES);
    expect(Number(await page.getAttribute('#series-note', 'data-series-gap'))).toBeLessThanOrEqual(1e-12);
    expect(await setField(page, 'lmax', '1000')).toBe('done');
    expect(Number((await latencies(page))[1]).toFixed(1)).toBe('756.8');
    for (const n of await seriesPixels(page)) expect(n).toBeGreaterThan(MIN_SERIES_PIXELS);
    await site.screenshot(page, 'paper-cpu');
  });

  // On the CPU worker (fast everywhere); the first case draws the same charts on WebGPU.
  it('takes any fleet: adds, renames and removes agents, draws each one’s queue and latency, flags an overloaded one', async () => {
    const page = await site.open('view=paper', { webgpu: false });
    expect(await settled(page)).toBe('done');
    const agentsOf = (p: Page): Promise<string[]> =>
      p.$$eval('#arrival-metrics tbody tr', (rows) => rows.map((r) => r.children[0]?.textContent ?? '').slice(0, -1));
    /** The legend labels of a time chart (its series after x). */
    const legend = (p: Page, id: string): Promise<string[]> =>
      p.$eval(`#${id}`, (f) =>
        (f as HTMLElement & { plot: { series: { label?: string }[] } }).plot.series.slice(1).map((x) => x.label ?? ''),
      );

    // add: a fifth agent with the defaults, in the tables, the charts and the link
    await page.click('#add-agent');
    expect(await settled(page)).toBe('done');
    expect(await page.inputValue('#field-name4')).toBe('agent5');
    expect(await agentsOf(page)).toEqual(['coordinator', 'nlp', 'vision', 'reasoning', 'agent5']);
    expect(await page.$$eval('#per-agent tbody tr', (rows) => rows.length)).toBe(15);
    expect(await hashOf(page)).toBe('#view=paper&agents=5');

    // rename it, and overload it (λ = 500 requests/s against T = 50 with the whole GPU)
    expect(await setField(page, 'name4', 'embedder')).toBe('done');
    expect(await setField(page, 'lambda4', '500')).toBe('done');
    expect(await hashOf(page)).toBe('#view=paper&agents=5&name4=embedder&lambda4=500');
    expect(await legend(page, 'time-queue')).toHaveLength(5);
    expect((await legend(page, 'time-latency')).at(-1)).toMatch(/^embedder \(load (\d+\.\d\d|∞) ⚠\)$/);
    const note = await page.textContent('#stability-note');
    expect(note).toContain('embedder under static (load');
    expect(note).toContain('grows without bound: results depend on run length');
    expect(await page.$$eval('#per-agent tr.overloaded th', (cells) => cells.map((c) => c.textContent))).toContain('embedder, adaptive');

    // remove nlp (agent 2): the others move up, the link names the fleet as it is now
    await page.click('button[aria-label="remove agent 2"]');
    expect(await settled(page)).toBe('done');
    expect(await agentsOf(page)).toEqual(['coordinator', 'vision', 'reasoning', 'embedder']);
    expect((await legend(page, 'time-queue')).map((label) => label.split(' (')[0])).toEqual([
      'coordinator',
      'vision',
      'reasoning',
      'embedder',
    ]);
    const link = await hashOf(page);
    expect(link).toContain('name3=embedder'); // four agents again: the paper's count, so no `agents` key
    expect(link).not.toMatch(/[&#](agents|(name|T|R|P|lambda)4)=/); // the removed row's keys left the link
    for (const n of await seriesPixels(page)) expect(n).toBeGreaterThan(MIN_SERIES_PIXELS);

    // the queue and latency charts under another policy, from the picker and the link
    await page.selectOption('#time-policy', 'roundRobin');
    expect(await page.textContent('#time-queue figcaption')).toContain('round-robin');
    expect(await hashOf(page)).toContain('tp=roundRobin');
    await site.screenshot(page, 'paper-fleet');
    const tables = await page.$$eval('table.data tbody tr', (rows) => rows.map((r) => r.textContent));
    const other = await site.open((await hashOf(page)).slice(1), { webgpu: false });
    expect(await settled(other)).toBe('done');
    expect(await other.$$eval('table.data tbody tr', (rows) => rows.map((r) => r.textContent))).toEqual(tables);
    expect(await other.textContent('#time-queue figcaption')).toContain('round-robin');

    // names are checked like a study file's agents (src/study/schema.ts), and must differ
    await page.fill('#field-name1', 'coordinator');
    await page.press('#field-name1', 'Enter');
    await page.waitForFunction(() => document.body.dataset.state === 'invalid');
    expect(await page.textContent('#error-name1')).toBe(
      'agent 2 name: must differ from the other agents\' names (agent 1 is named "coordinator")',
    );
    await page.fill('#field-name1', '');
    await page.press('#field-name1', 'Enter');
    expect(await page.textContent('#error-name1')).toBe('agent 2 name: must not be empty');
    await page.fill('#field-T2', '1e-20');
    await page.press('#field-T2', 'Enter');
    expect(await page.textContent('#error-T2')).toBe('reasoning T: must be ≥ 1e-15 (the engines hold 32-bit floats), got 1e-20');
    expect(await page.$$eval('table.data tbody tr', (rows) => rows.map((r) => r.textContent))).toEqual(tables);

    // the paper's fleet: back to its four agents and its figures
    await page.click('#paper-fleet');
    expect(await settled(page)).toBe('done');
    expect(await agentsOf(page)).toEqual(['coordinator', 'nlp', 'vision', 'reasoning']);
    expect(await latencies(page)).toEqual(PAPER_LATENCIES);
    expect(await hashOf(page)).toBe('#view=paper&tp=roundRobin');
  });

  it('runs the paper’s workflow on WebGPU: the GPU’s totals agree with the CPU’s per-step series, routed requests included', async () => {
    const hash = 'view=paper&lambda0=15&steps=400&arrivals=poisson&workflow=paper';
    const rowsOf = (p: Page, id: string): Promise<string[][]> =>
      p.$$eval(`#${id} tbody tr`, (rows) => rows.map((r) => [...r.children].map((c) => c.textContent ?? '')));
    const gpu = await site.open(hash);
    expect(await settled(gpu)).toBe('done');
    expect(await gpu.getAttribute('#backend', 'data-backend')).toBe('gpu');
    // 400 steps with queues in the hundreds (static starves the specialists): the f32 queue's own slack, S·2^-24 and more.
    expect(Number(await gpu.getAttribute('#series-note', 'data-series-gap'))).toBeLessThanOrEqual(QUEUE_TOL.rel);
    expect(await gpu.$$eval('#workflow-graph g.node', (nodes) => nodes.length)).toBe(4);
    const cpu = await site.open(hash, { webgpu: false });
    expect(await settled(cpu)).toBe('done');
    // The same run in f32 and f64: the routing draws and the whole completions agree, the queues to rounding.
    const [e2eGpu, e2eCpu] = [await rowsOf(gpu, 'e2e-latency'), await rowsOf(cpu, 'e2e-latency')];
    e2eGpu.forEach((row, r) =>
      row
        .slice(1)
        .forEach((x, k) => expect(Math.abs(Number(x) - Number(e2eCpu[r]![k + 1]))).toBeLessThanOrEqual(1e-3 * Math.max(1, Number(x)))),
    );
    expect((await rowsOf(gpu, 'visit-rates')).map((r) => r.slice(0, 4))).toEqual(
      (await rowsOf(cpu, 'visit-rates')).map((r) => r.slice(0, 4)),
    );
    await site.screenshot(gpu, 'paper-workflow-webgpu');
  });

  // On the CPU worker (fast everywhere); the case above runs the workflow on WebGPU.
  it('switches the paper’s workflow on: draws its graph, the end-to-end latency and the visit rates, and off again', async () => {
    const page = await site.open('view=paper&lambda0=15&steps=400&arrivals=poisson', { webgpu: false });
    expect(await settled(page)).toBe('done');
    // off: no graph, the end-to-end latency equals littleLatency (each request visits one agent)
    expect(await page.$('#workflow-graph')).toBeNull();
    expect(await page.getAttribute('#workflow', 'data-workflow')).toBe('false');
    const plain = await page.$$eval('#e2e-latency tbody tr', (rows) => rows.map((r) => [...r.children].map((c) => c.textContent ?? '')));
    expect(plain).toHaveLength(3);
    for (const row of plain) expect(row[1]).toBe(row.at(-1));

    await page.selectOption('#field-workflow', 'paper');
    await page.waitForFunction(() => document.body.dataset.state !== 'pending');
    expect(await settled(page)).toBe('done');
    expect(await hashOf(page)).toBe('#view=paper&lambda0=15&steps=400&arrivals=poisson&workflow=paper');
    expect(await page.textContent('p.note')).toContain('differs from the paper’s in coordinator λ, workflow, steps, arrivals');
    // the graph: four agents, six routes labelled with p, the coordinator the entry at λ = 15/s, γ = 15/0.55
    const graph = '#workflow-graph svg';
    expect(await page.$$eval(`${graph} g.node`, (nodes) => nodes.map((n) => n.getAttribute('data-name')))).toEqual([
      'coordinator',
      'nlp',
      'vision',
      'reasoning',
    ]);
    expect(await page.$$eval(`${graph} g.node.entry`, (nodes) => nodes.map((n) => n.getAttribute('data-name')))).toEqual(['coordinator']);
    expect(await page.$$eval(`${graph} text.edge-label:not(.entry-label)`, (t) => t.map((x) => x.textContent).sort())).toEqual([
      '0.3',
      '0.3',
      '0.3',
      '0.5',
      '0.5',
      '0.5',
    ]);
    expect(await page.$$eval(`${graph} path.edge[data-from]`, (paths) => paths.length)).toBe(6);
    expect(await page.textContent(`${graph} text.entry-label`)).toBe('λ = 15.0/s');
    expect(await page.textContent(`${graph} g.node[data-name="coordinator"] .node-rate`)).toBe('γ = 27.3/s');
    expect(await page.textContent(`${graph} g.node[data-name="nlp"] .node-exit`)).toBe('leaves 0.5');
    expect(await page.textContent(`${graph} title`)).toContain('coordinator → nlp (p = 0.3)');
    // drawn inside its box: every node's ellipse within the SVG's viewBox
    const inside = await page.$eval(graph, (svg) => {
      const box = (svg as SVGSVGElement).viewBox.baseVal;
      return [...svg.querySelectorAll('g.node, path.edge, text')].every((n) => {
        const b = (n as SVGGraphicsElement).getBBox();
        return b.x >= box.x && b.y >= box.y && b.x + b.width <= box.x + box.width && b.y + b.height <= box.y + box.height;
      });
    });
    expect(inside).toBe(true);
    // the specialists take routed requests only: their λ is not used, and says so
    expect(await page.isDisabled('#field-lambda1')).toBe(true);
    expect(await page.isDisabled('#field-lambda0')).toBe(false);
    // end-to-end latency per policy, with what it means; visit rates per agent
    const e2e = await page.$$eval('#e2e-latency tbody tr', (rows) => rows.map((r) => [...r.children].map((c) => c.textContent ?? '')));
    expect(e2e.map((r) => r[0])).toEqual(['static', 'round-robin', 'adaptive']);
    for (const row of e2e) {
      expect(Number(row[1])).toBeGreaterThan(Number(row.at(-1))); // the whole trip is longer than one visit's wait
      expect(Number(row[3])).toBeGreaterThan(0); // requests in flight between agents
    }
    expect(await page.textContent('#e2e-note')).toContain('Little’s law');
    expect(await page.textContent('#e2e-note')).toContain('each hop from one agent to the next takes one step');
    const visits = await page.$$eval('#visit-rates tbody tr', (rows) => rows.map((r) => [...r.children].map((c) => c.textContent ?? '')));
    expect(visits.map((r) => r.slice(0, 4))).toEqual([
      ['coordinator', '15.0', '27.3', '1.818'],
      ['nlp', '0.00', '8.18', '0.545'],
      ['vision', '0.00', '8.18', '0.545'],
      ['reasoning', '0.00', '8.18', '0.545'],
    ]);
    expect(await page.textContent('#per-agent thead')).toContain('offered load γ/(T·ḡ)');
    expect(await page.textContent('#arrival-metrics caption')).toContain('external and routed');
    expect(Number(await page.getAttribute('#series-note', 'data-series-gap'))).toBeLessThanOrEqual(1e-12);
    for (const n of await seriesPixels(page)) expect(n).toBeGreaterThan(MIN_SERIES_PIXELS);
    await site.screenshot(page, 'paper-workflow');

    // the link reproduces it; a renamed specialist is refused on the switch, naming the agent missing
    const other = await site.open((await hashOf(page)).slice(1), { webgpu: false });
    expect(await settled(other)).toBe('done');
    expect(await other.$$eval('#e2e-latency tbody tr', (rows) => rows.map((r) => r.textContent))).toEqual(
      await page.$$eval('#e2e-latency tbody tr', (rows) => rows.map((r) => r.textContent)),
    );
    await page.fill('#field-name2', 'camera');
    await page.press('#field-name2', 'Enter');
    await page.waitForFunction(() => document.body.dataset.state === 'invalid');
    expect(await page.textContent('#error-workflow')).toContain('the fleet has no agent named vision');
    expect(await page.$$eval('#workflow-graph g.node', (nodes) => nodes.length)).toBe(4); // the last good result stays
    expect(await setField(page, 'name2', 'vision')).toBe('done');

    // off again: independent agents, every λ used, the link without the key
    await page.selectOption('#field-workflow', 'none');
    await page.waitForFunction(() => document.body.dataset.state !== 'pending');
    expect(await settled(page)).toBe('done');
    expect(await page.$('#workflow-graph')).toBeNull();
    expect(await page.isDisabled('#field-lambda1')).toBe(false);
    expect(await hashOf(page)).toBe('#view=paper&lambda0=15&steps=400&arrivals=poisson');
  });

  it('runs the lifecycle on WebGPU: the GPU’s phase, resident and memory totals are the CPU series’, its lifecycle tables the CPU’s', async () => {
    const rare = [0, 1, 2, 3].map((i) => `lambda${i}=0.05&M${i}=6000`).join('&');
    const hash = `view=paper&${rare}&steps=900&arrivals=poisson&lifecycle=on&keepAlive=20&gpu=T4`;
    const rowsOf = (p: Page, id: string): Promise<string[][]> =>
      p.$$eval(`#${id} tbody tr`, (rows) => rows.map((r) => [...r.children].map((c) => c.textContent ?? '')));
    const gpu = await site.open(hash);
    expect(await settled(gpu)).toBe('done');
    expect(await gpu.getAttribute('#backend', 'data-backend')).toBe('gpu');
    // Queues of a few requests: the f32 queue's slack only; the step counts and the memory are integers, exact.
    expect(Number(await gpu.getAttribute('#series-note', 'data-series-gap'))).toBeLessThanOrEqual(SERIES_GAP_F32);
    const cpu = await site.open(hash, { webgpu: false });
    expect(await settled(cpu)).toBe('done');
    // Every admission, eviction and phase is integer arithmetic on both engines: the tables agree as printed.
    expect(await rowsOf(gpu, 'lifecycle-agents')).toEqual(await rowsOf(cpu, 'lifecycle-agents'));
    expect(await rowsOf(gpu, 'lifecycle-metrics')).toEqual(await rowsOf(cpu, 'lifecycle-metrics'));
    await site.screenshot(gpu, 'paper-lifecycle-webgpu');
  });

  // On the CPU worker: the lifecycle's series are the CPU engine's (shaders/lifecycle.wgsl runs it on WebGPU).
  it('switches the serverless lifecycle on: its metrics and cost split per policy, each agent’s phases and the memory in use, and off again', async () => {
    const rare = [0, 1, 2, 3].map((i) => `lambda${i}=0.05&M${i}=6000`).join('&');
    const page = await site.open(`view=paper&${rare}&steps=900&arrivals=poisson`, { webgpu: false });
    expect(await settled(page)).toBe('done');
    expect(await page.$('#lifecycle')).toBeNull();
    expect(await page.isHidden('#field-keepAlive')).toBe(true); // its settings show only with it on

    await page.selectOption('#field-lifecycle', 'on');
    await page.waitForFunction(() => document.body.dataset.state !== 'pending');
    expect(await settled(page)).toBe('done');
    expect(await page.isVisible('#field-keepAlive')).toBe(true);
    expect(await page.isHidden('#field-evict')).toBe(true); // no memory limit: no eviction
    expect(await setField(page, 'keepAlive', '20')).toBe('done');
    await page.selectOption('#field-gpu', 'T4');
    await page.waitForFunction(() => document.body.dataset.state !== 'pending');
    expect(await settled(page)).toBe('done');
    expect(await page.isVisible('#field-evict')).toBe(true);
    expect(await hashOf(page)).toBe(`#view=paper&${rare}&steps=900&arrivals=poisson&lifecycle=on&keepAlive=20&gpu=T4`);

    // the metrics per policy: the allocated cost, then the lifecycle's; the peak within the T4's 16 GB
    expect(await page.$$eval('#lifecycle-metrics tbody tr', (rows) => rows.map((r) => (r as HTMLElement).dataset.metric))).toEqual([
      'cost',
      ...LIFECYCLE_METRICS,
    ]);
    expect(await page.$$eval('#lifecycle-metrics thead th', (th) => th.map((h) => h.textContent))).toEqual([
      'metric',
      'static',
      'round-robin',
      'adaptive',
    ]);
    const peaks = await page.$$eval('#lifecycle-metrics tr[data-metric="peakMemoryGB"] td', (td) => td.map((c) => Number(c.textContent)));
    expect(peaks).toHaveLength(3);
    for (const peak of peaks) expect(peak).toBeLessThanOrEqual(16);
    expect(await page.$$eval('#lifecycle-agents tbody tr', (rows) => rows.length)).toBe(12);
    // each agent's timeline: a row per agent, loads drawn, the seconds per phase in its title
    const timeline = '#phase-timeline svg';
    expect(await page.$$eval(`${timeline} g.agent-row`, (g) => g.map((x) => x.getAttribute('data-agent')))).toEqual([
      'coordinator',
      'nlp',
      'vision',
      'reasoning',
    ]);
    expect(await page.$$eval(`${timeline} rect.phase.loading`, (r) => r.length)).toBeGreaterThan(0);
    expect(await page.$$eval(`${timeline} rect.phase.cold`, (r) => r.length)).toBeGreaterThan(0);
    expect(await page.textContent(`${timeline} > title`)).toMatch(/coordinator: COLD \d+ s, LOADING \d+ s, WARM \d+ s/);
    expect(await page.$('#time-memory')).not.toBeNull();
    expect(await page.$('#cost-split')).not.toBeNull();
    // the CPU worker's totals are the series' own: phases, resident steps and memory included
    expect(Number(await page.getAttribute('#series-note', 'data-series-gap'))).toBeLessThanOrEqual(1e-12);
    for (const n of await seriesPixels(page)) expect(n).toBeGreaterThan(MIN_SERIES_PIXELS);
    await site.screenshot(page, 'paper-lifecycle');

    // a bad keep-alive is refused on its field, naming the range; the last result stays
    await page.fill('#field-keepAlive', '-1');
    await page.press('#field-keepAlive', 'Enter');
    await page.waitForFunction(() => document.body.dataset.state === 'invalid');
    expect(await page.textContent('#error-keepAlive')).toBe(
      'keep-alive K: must be a number ≥ 0 and ≤ 3600, or never (seconds idle before scaling to zero), got "-1"',
    );
    expect(await page.$('#lifecycle-metrics')).not.toBeNull();
    expect(await setField(page, 'keepAlive', '20')).toBe('done');

    // a pinned agent stays resident: its row is WARM from start to end
    await page.selectOption('#field-pinned3', 'yes');
    await page.waitForFunction(() => document.body.dataset.state !== 'pending');
    expect(await settled(page)).toBe('done');
    expect(await hashOf(page)).toContain('&pinned3=yes');
    const reasoning = `${timeline} g.agent-row[data-agent="reasoning"] rect.phase`;
    expect(await page.$$eval(reasoning, (r) => r.map((x) => x.getAttribute('class')))).toEqual(['phase warm']);
    expect(await page.$$eval(`${timeline} g.agent-row[data-agent="nlp"] rect.phase.cold`, (r) => r.length)).toBeGreaterThan(0);
    await page.selectOption('#field-pinned3', 'no');
    await page.waitForFunction(() => document.body.dataset.state !== 'pending');
    expect(await settled(page)).toBe('done');

    // off again: no lifecycle block, the link without its keys
    await page.selectOption('#field-lifecycle', 'off');
    await page.waitForFunction(() => document.body.dataset.state !== 'pending');
    expect(await settled(page)).toBe('done');
    expect(await page.$('#lifecycle')).toBeNull();
    expect(await page.$('#phase-timeline')).toBeNull();
    expect(await hashOf(page)).toBe(`#view=paper&${rare}&steps=900&arrivals=poisson`);
  });

  it('runs a pool of GPUs on WebGPU: its lifecycle tables are the CPU worker’s, its utilisation within f32 of the CPU’s', async () => {
    const rare = [0, 1, 2, 3].map((i) => `lambda${i}=0.05&M${i}=6000`).join('&');
    const hash = `view=paper&${rare}&steps=600&arrivals=poisson&gpus=2&gpuMode=pool&lifecycle=on&keepAlive=20&gpu=T4`;
    const rowsOf = (p: Page, id: string): Promise<string[][]> =>
      p.$$eval(`#${id} tbody tr`, (rows) => rows.map((r) => [...r.children].map((c) => c.textContent ?? '')));
    const gpu = await site.open(hash);
    expect(await settled(gpu)).toBe('done');
    expect(await gpu.getAttribute('#backend', 'data-backend')).toBe('gpu');
    expect(await gpu.getAttribute('#gpus', 'data-mode')).toBe('pool');
    expect(Number(await gpu.getAttribute('#series-note', 'data-series-gap'))).toBeLessThanOrEqual(SERIES_GAP_F32);
    const cpu = await site.open(hash, { webgpu: false });
    expect(await settled(cpu)).toBe('done');
    // admissions, evictions, homes and phases are integers on both engines: the tables agree as printed
    expect(await rowsOf(gpu, 'lifecycle-agents')).toEqual(await rowsOf(cpu, 'lifecycle-agents'));
    expect(await rowsOf(gpu, 'lifecycle-metrics')).toEqual(await rowsOf(cpu, 'lifecycle-metrics'));
    const [g, c] = [await rowsOf(gpu, 'gpu-table'), await rowsOf(cpu, 'gpu-table')];
    expect(g.map((row) => row.slice(0, 2))).toEqual(c.map((row) => row.slice(0, 2)));
    g.forEach((row, k) => row.slice(2).forEach((v, j) => expect(Math.abs(Number(v) - Number(c[k]![j + 2]))).toBeLessThanOrEqual(0.001)));
    await site.screenshot(gpu, 'paper-gpus-pool-webgpu');
  });

  // On the CPU worker: the per-GPU series are the CPU engine's.
  it('runs several GPUs: each GPU’s agents, utilisation and memory by placement, then one pool, and refuses a policy without a pool form', async () => {
    const rare = [0, 1, 2, 3].map((i) => `lambda${i}=0.05&M${i}=6000`).join('&');
    const page = await site.open(`view=paper&${rare}&steps=600&arrivals=poisson&lifecycle=on&keepAlive=20&gpu=T4`, { webgpu: false });
    expect(await settled(page)).toBe('done');
    expect(await page.$('#gpus')).toBeNull(); // one GPU: no GPU block
    expect(await page.isHidden('#field-gpuMode')).toBe(true); // the mode shows only with more than one GPU
    expect(await page.isVisible('#field-loadSlots')).toBe(true);
    expect(await page.isVisible('#field-usable')).toBe(true);
    expect(await setField(page, 'gpus', '3')).toBe('done');
    expect(await page.isVisible('#field-gpuMode')).toBe(true);
    expect(await hashOf(page)).toContain('&gpus=3');
    expect(await page.getAttribute('#gpus', 'data-mode')).toBe('placement');
    const rowKeys = (): Promise<string[]> =>
      page.$$eval('#gpu-table tbody tr', (rows) => rows.map((r) => (r as HTMLElement).dataset.row ?? ''));
    expect(await rowKeys()).toEqual(['util0', 'util1', 'util2', 'imbalance', 'memory0', 'memory1', 'memory2']);
    // every agent placed once; each GPU's peak within the T4's 16 GB (two 6 GB models at most)
    const placed = await page.$$eval('#gpu-table tbody tr[data-row^="util"] td:nth-child(2)', (td) => td.map((c) => c.textContent ?? ''));
    expect(placed.join(', ').split(', ').sort()).toEqual(['coordinator', 'nlp', 'reasoning', 'vision']);
    const peaks = await page.$$eval('#gpu-table tr[data-row^="memory"] td:not(:first-child):not(:nth-child(2))', (td) =>
      td.map((c) => Number(c.textContent)),
    );
    expect(peaks).toHaveLength(9);
    for (const peak of peaks) expect(peak).toBeLessThanOrEqual(12);
    expect(await page.$('#time-gpu-util')).not.toBeNull();
    expect(await page.$('#time-gpu-memory')).not.toBeNull();
    expect(Number(await page.getAttribute('#series-note', 'data-series-gap'))).toBeLessThanOrEqual(1e-12);
    for (const n of await seriesPixels(page)) expect(n).toBeGreaterThan(MIN_SERIES_PIXELS);
    await site.screenshot(page, 'paper-gpus-placement');

    // one pool: the pool's utilisation, each GPU's memory
    await page.selectOption('#field-gpuMode', 'pool');
    await page.waitForFunction(() => document.body.dataset.state !== 'pending');
    expect(await settled(page)).toBe('done');
    expect(await hashOf(page)).toContain('&gpus=3&gpuMode=pool');
    expect(await page.getAttribute('#gpus', 'data-mode')).toBe('pool');
    expect(await rowKeys()).toEqual(['pool', 'memory0', 'memory1', 'memory2']);
    expect(await page.$('#time-gpu-memory')).not.toBeNull();
    await site.screenshot(page, 'paper-gpus-pool');

    // fixed shares have no pool form: refused on the mode, naming the policy; the last result stays
    await page.check('#policy-picker input[value=fixedShares]');
    await page.waitForFunction(() => document.body.dataset.state === 'invalid');
    expect(await page.textContent('#error-gpuMode')).toBe(
      'GPU mode: a pool of GPUs cannot run every policy ticked: fixedShares has no pool form (MIG slices belong to one physical GPU); use gpuMode "placement" or another policy',
    );
    expect(await page.getAttribute('#gpus', 'data-mode')).toBe('pool');
    await page.selectOption('#field-gpuMode', 'placement');
    expect(await settled(page)).toBe('done');
    expect(await page.textContent('#error-gpuMode')).toBe('');
    expect(await page.$$eval('#gpu-table thead th', (th) => th.map((h) => h.textContent))).toContain('MIG fixed shares');
  });

  it('caps the fleet at 12 agents, and agents × steps at what the page keeps', async () => {
    const page = await site.open('view=paper&agents=11&steps=40000', { webgpu: false });
    await page.waitForFunction(() => document.body.dataset.state === 'invalid');
    expect(await page.textContent('#error-steps')).toBe(
      'steps: must be at most 36363 with 11 agents (the page keeps every step of every agent: agents × steps ≤ 400000), got "40000"',
    );
    expect(await setField(page, 'steps', '50')).toBe('done');
    await page.click('#add-agent');
    expect(await settled(page)).toBe('done');
    expect(await page.$$eval('#arrival-metrics tbody tr', (rows) => rows.length)).toBe(13); // 12 agents and the fleet
    expect(await page.isDisabled('#add-agent')).toBe(true);
    expect(await page.textContent('.fleet-buttons')).toContain('1 to 12 agents');
    const far = await site.open('view=paper&agents=13', { webgpu: false });
    await far.waitForFunction(() => document.body.dataset.state === 'invalid');
    expect(await far.textContent('#error-agents')).toBe('agents: must be an integer from 1 to 12 (agents in the fleet), got "13"');
  });
});
