/** The Paper view in Chromium: computes Table II on WebGPU (and on the CPU worker without WebGPU). */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { settled, startSite, type Site } from '../helpers/site.js';

let site: Site;
beforeAll(async () => {
  site = await startSite();
}, 300_000);
afterAll(async () => {
  await site?.close();
});

const latencies = (page: import('playwright-core').Page) =>
  page.$$eval('#table-ii tbody tr', (rows) => rows.map((row) => row.querySelectorAll('td')[0]?.textContent ?? ''));

describe('Paper view', () => {
  it('computes on WebGPU and shows the avgLatency figures of `fleetsim paper --json`', async () => {
    const page = await site.open('view=paper');
    expect(await settled(page)).toBe('done');
    expect(await page.getAttribute('#backend', 'data-backend')).toBe('gpu');
    expect(await latencies(page)).toEqual(['110.258', '756.061', '111.927']);
    await site.screenshot(page, 'paper-webgpu');
  });

  it('falls back to the CPU engine in a worker without WebGPU, and says so', async () => {
    const page = await site.open('view=paper', { webgpu: false });
    expect(await settled(page)).toBe('done');
    expect(await page.getAttribute('#backend', 'data-backend')).toBe('cpu');
    expect(await latencies(page)).toEqual(['110.258', '756.061', '111.927']);
    await site.screenshot(page, 'paper-cpu');
  });
});
