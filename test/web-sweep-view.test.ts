/**
 * The Sweep view's charts and verdicts in Chromium, on sweeps the CLI makes here (CPU engine, a few
 * seconds): full-width charts with shaded 95 % bands and a compact legend; a label axis drawn as
 * points, not a line; the stability banner for a study at three times its load and none for a stable
 * one; the per-agent panel of a fixed fleet (and the line saying why a random fleet has none); the
 * verdicts verbatim, and a winner map that agrees with them. Screenshots go to
 * test-artifacts/screenshots/sweep-view-*.png.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadStudy, runSweepCommand } from '../src/cli/sweep.js';
import { cpuEngine } from '../src/platform/nodeEngine.js';
import type { SummaryTable } from '../src/results/tables.js';
import { VERDICT_METRICS } from '../src/sweep/verdict.js';
import { closeSite, settled, startSite, type Site } from './helpers/site.js';

/** Six named agents whose load under the static policy (share 1/6) is 0.25 at loadScale 1. */
const AGENTS = ['planner', 'retriever', 'coder', 'critic', 'summarizer', 'router'].map((name, i) => {
  const T = 60 + 12 * i;
  return { name, T, R: 0.1, P: 1, lambda: (0.25 * T) / 6 };
});
const FIXED = {
  seed: 16,
  fleet: { agents: AGENTS },
  arrivals: 'poisson',
  steps: 400,
  replicates: 12,
};
const STUDIES = {
  // up to 55 % load under static, 82 % under adaptive: queues that vary from run to run (visible bands), none that grows
  stable: {
    ...FIXED,
    name: 'view-stable',
    replicates: 6,
    policies: ['static', 'adaptive'],
    axes: [{ path: 'loadScale', values: [1, 1.5, 2, 2.2] }],
  },
  unstable: {
    ...FIXED,
    name: 'view-unstable',
    axes: [
      {
        name: 'scenario',
        variants: [
          { label: 'the fleet at its nominal load', set: { loadScale: 1 } },
          { label: 'six times the nominal load (overloaded: 150 % under static)', set: { loadScale: 6 } },
        ],
      },
    ],
  },
  random: {
    name: 'view-random',
    seed: 3,
    fleet: { random: { agents: 3, T: { kind: 'uniform', min: 40, max: 80 }, R: 0.1, P: 1, load: 0.5 } },
    arrivals: 'poisson',
    steps: 100,
    samples: 8,
    axes: [{ path: 'lmax', values: [100, 999] }],
  },
} as const;

let site: Site;
let dir: string;
const summary: Record<keyof typeof STUDIES, string> = { stable: '', unstable: '', random: '' };

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'fleetsim-sweep-view-'));
  for (const [key, study] of Object.entries(STUDIES) as [keyof typeof STUDIES, object][]) {
    const file = join(dir, `${key}.json`);
    writeFileSync(file, JSON.stringify(study));
    const out = join(dir, key);
    await runSweepCommand(file, await loadStudy(file), cpuEngine(1), { out, shard: { index: 0, count: 1 }, resume: false, quiet: true });
    summary[key] = join(out, 'summary.json');
  }
  site = await startSite();
}, 240_000);

afterAll(async () => {
  if (dir) rmSync(dir, { recursive: true, force: true });
  await closeSite(site);
});

const read = (key: keyof typeof STUDIES): SummaryTable => JSON.parse(readFileSync(summary[key], 'utf8')) as SummaryTable;

async function open(key: keyof typeof STUDIES, hash = ''): Promise<Page> {
  const page = await site.open(`view=sweep${hash}`);
  await page.setInputFiles('#sweep-files', summary[key]);
  await page.waitForSelector('#sweep-results .loaded');
  await settled(page);
  return page;
}

/** What the first chart (the metric against an axis) draws, read from its canvas and its uPlot. */
const metricChart = (page: Page) =>
  page.$eval('figure.chart', (figure) => {
    const plot = (
      figure as HTMLElement & {
        plot: {
          bands: { fill: string | ((u: unknown, i: number) => string); series: [number, number] }[];
          bbox: { left: number; top: number; height: number };
          valToPos(v: number, s: string, c?: boolean): number;
        };
      }
    ).plot;
    const canvas = figure.querySelector('canvas')!;
    const ctx = canvas.getContext('2d')!;
    const { data } = ctx.getImageData(0, 0, canvas.width, canvas.height);
    let translucent = 0; // band fill: coloured, partly transparent, in runs wider than a line's anti-aliasing
    for (let i = 0; i < data.length; i += 4) {
      const [r, g, b, a] = [data[i]!, data[i + 1]!, data[i + 2]!, data[i + 3]!];
      if (a > 20 && a < 110 && Math.max(r, g, b) - Math.min(r, g, b) > 40) translucent++;
    }
    // colour in a column of the plot: between two categories a line would cross it, points do not
    const column = (x: number): number => {
      const X = Math.round(plot.valToPos(x, 'x', true));
      const { top, height } = plot.bbox;
      const strip = ctx.getImageData(X - 1, top, 3, height).data;
      let n = 0;
      for (let i = 0; i < strip.length; i += 4) {
        const [r, g, b, a] = [strip[i]!, strip[i + 1]!, strip[i + 2]!, strip[i + 3]!];
        if (a > 128 && Math.max(r, g, b) - Math.min(r, g, b) > 60) n++;
      }
      return n;
    };
    return {
      bands: plot.bands.map((b) => (typeof b.fill === 'function' ? b.fill(plot, b.series[0]) : b.fill)),
      translucent,
      between: column(0.5),
      width: figure.getBoundingClientRect().width,
      canvasWidth: canvas.getBoundingClientRect().width,
      container: document.querySelector('#sweep-results')!.getBoundingClientRect().width,
      legend: [...figure.querySelectorAll('.chart-legend li')].map((li) => li.textContent),
      uplotLegend: figure.querySelectorAll('.u-legend').length,
      readout: figure.querySelector('.chart-readout')?.textContent ?? '',
    };
  });

describe('Sweep view: charts read at a glance', () => {
  it('full-width charts with shaded 95 % bands, one legend entry per policy and a readout on hover; no banner for a stable study', async () => {
    const page = await open('stable', '&x=loadScale');
    await site.screenshot(page, 'sweep-view-stable');
    const chart = await metricChart(page);
    expect(chart.bands).toHaveLength(2); // one band per policy, in its colour, translucent
    for (const fill of chart.bands) expect(fill).toMatch(/^#[0-9a-f]{6}33$/);
    expect(chart.translucent).toBeGreaterThan(300);
    expect(chart.legend).toEqual(['static', 'adaptive']);
    expect(chart.uplotLegend).toBe(0);
    expect(chart.readout).toBe('hover for values');
    expect(chart.width).toBeGreaterThan(0.97 * chart.container);
    expect(chart.canvasWidth).toBeGreaterThan(0.9 * chart.container);
    // hovering gives each policy's value and interval on one line
    const over = (await page.$('figure.chart .u-over'))!;
    await over.scrollIntoViewIfNeeded();
    const box = (await over.boundingBox())!;
    await page.mouse.move(box.x + box.width * 0.5, box.y + box.height * 0.5, { steps: 4 });
    expect(await page.textContent('figure.chart .chart-readout')).toMatch(
      /^loadScale [\d.]+: static [\d.e+-]+ \([\d.e+-]+–[\d.e+-]+\) · adaptive [\d.e+-]+ \(/,
    );
    // the chart follows the window
    await page.setViewportSize({ width: 800, height: 1000 });
    await page.waitForFunction(() => {
      const canvas = document.querySelector('figure.chart canvas')!.getBoundingClientRect().width;
      return canvas < 760;
    });
    const narrow = await metricChart(page);
    expect(narrow.canvasWidth).toBeGreaterThan(0.9 * narrow.container);
    // stable: no banner, no unstable mark
    expect(await page.$$eval('.stability-banner', (b) => b.length)).toBe(0);
    expect(await page.textContent('#sweep-results')).not.toContain('unstable in');
  });

  it('a label axis as dodged points with whiskers; the banner, hollow marks and per-agent panel for an overloaded fixed fleet', async () => {
    const page = await open('unstable', '&x=scenario&c=1');
    await site.screenshot(page, 'sweep-view-unstable');
    const table = read('unstable');
    const chart = await metricChart(page);
    expect(chart.bands).toHaveLength(0); // intervals are whiskers on a label axis
    expect(chart.between).toBe(0); // nothing crosses between the two categories: points, not a line
    expect(await page.textContent('figure.chart figcaption')).toContain('hollow: results depend on run length');

    // the banner lists the summary's warnings verbatim
    const warnings = table.cells.flatMap((c) => c.warnings ?? []);
    expect(warnings.length).toBeGreaterThan(0);
    const shown = await page.$$eval('.stability-banner .flag-text', (spans) => spans.map((s) => s.textContent));
    expect(shown).toEqual(warnings);
    expect(await page.textContent('.stability-banner')).toMatch(/Results depend on run length in 1 of 2 cell/);
    // the cell table marks the overloaded cell
    expect(await page.$$eval('table.cells tr[data-unstable="true"]', (rows) => rows.map((r) => (r as HTMLElement).dataset.cell))).toEqual([
      '1',
    ]);
    expect(await page.textContent('table.cells tr[data-cell="1"]')).toMatch(/unstable in \d+ % of runs/);

    // the per-agent panel of cell 1: one table per policy, one row per named agent
    const agentTables = await page.$$eval('.agents-panel table.agents-table', (tables) =>
      tables.map((t) => ({
        policy: (t as HTMLElement).dataset.policy,
        agents: [...t.querySelectorAll('tbody th')].map((th) => th.textContent),
      })),
    );
    expect(agentTables.map((t) => t.policy)).toEqual(['static', 'roundRobin', 'adaptive']);
    for (const t of agentTables) expect(t.agents).toEqual(AGENTS.map((a) => a.name));
    expect(await page.$$eval('.agents-panel figure.chart', (f) => f.length)).toBe(1);
    await page.selectOption('select[data-key="am"]', 'load');
    expect(await page.textContent('.agents-panel figure.chart figcaption')).toContain('load λ/(T·ḡ)');
    expect(await page.evaluate(() => location.hash)).toContain('am=load');
  });

  it('the verdicts verbatim beside the cell table and in the cell in detail; the winner map agrees with them', async () => {
    const page = await open('unstable', '&m=avgLatency&c=0');
    await site.screenshot(page, 'sweep-view-verdicts');
    const table = read('unstable');
    const want = table.cells.map((c) => (c.verdicts ?? []).filter((v) => v.metric === 'avgLatency').map((v) => v.text));
    expect(want.flat().length).toBe(2 * 3); // 2 cells × 3 pairs
    const got = await page.$$eval('table.cells tbody tr', (rows) =>
      rows.map((r) => [...r.querySelectorAll('.verdict-cell .verdict-text')].map((d) => d.textContent)),
    );
    expect(got).toEqual(want);
    const detail = await page.$$eval('.cell-detail .verdicts li .verdict-text', (items) => items.map((i) => i.textContent));
    const verdicts = table.cells[0]!.verdicts ?? [];
    const byMetric = [...new Set(verdicts.map((v) => v.metric))].flatMap((m) => verdicts.filter((v) => v.metric === m));
    expect(detail).toEqual(byMetric.map((v) => v.text)); // every verdict metric, grouped by metric
    expect(detail).toHaveLength(3 * VERDICT_METRICS.length); // 3 pairs × every verdict metric
    // p50/p90/p99 labelled as across fleet-run means
    expect(await page.textContent('.cell-detail table.cell-policies thead')).toContain('p90 of fleet-run means');
    // round-robin's latency: the L_max convention, with its number for six agents
    expect(await page.textContent('.rr-note')).toMatch(/L_max convention.*≈ L_max·5\/6/);
    // the map: ≈ exactly where the verdict against the runner-up has no winner; hovering gives its text
    const marks = await page.$$eval('table.winners td[data-policy]', (tds) =>
      tds.map((td) => ({
        policy: (td as HTMLElement).dataset.policy,
        resolved: (td as HTMLElement).dataset.resolved,
        title: (td as HTMLElement).title,
      })),
    );
    expect(marks).toHaveLength(2);
    marks.forEach((m, i) => {
      const cell = table.cells[i]!;
      const verdicts = (cell.verdicts ?? []).filter((v) => v.metric === 'avgLatency' && (v.a === m.policy || v.b === m.policy));
      for (const v of verdicts) expect(m.title).toContain(v.text);
      const beaten = verdicts.every((v) => v.winner === m.policy);
      if (m.resolved === 'true') expect(verdicts.some((v) => v.winner === m.policy)).toBe(true);
      else expect(beaten).toBe(false);
    });
  });

  it('a random fleet has no per-agent panel, and says why', async () => {
    const page = await open('random');
    expect(await page.$$eval('.agents-panel table', (t) => t.length)).toBe(0);
    expect(await page.textContent('.agents-absent')).toContain('fleets are random');
  });
});
