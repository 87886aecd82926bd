/**
 * End-to-end harness: builds the page with Vite (once per test file) into a temporary folder, serves it
 * on localhost with Vite's static preview server, and drives Debian's Chromium headless through
 * playwright-core with WebGPU enabled (SwiftShader in Chromium). Never downloads a browser: CI's
 * `.ci/run` installs the `chromium` package, and CHROMIUM_PATH may point elsewhere.
 * Screenshots go to test-artifacts/screenshots/.
 */
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { build, preview, type PreviewServer } from 'vite';
import { expect } from 'vitest';

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
export const ARTIFACTS = resolve('test-artifacts/screenshots');

export interface Site {
  url: string;
  browser: Browser;
  /** A fresh page (its own context); `webgpu: false` launches without WebGPU to test the CPU fallback. */
  open(hash?: string, options?: { webgpu?: boolean }): Promise<Page>;
  screenshot(page: Page, name: string): Promise<string>;
  /** Requests any page made outside the site's origin (the page promises none), and its console errors. */
  foreign: string[];
  consoleErrors: string[];
  close(): Promise<void>;
}

/** Builds web/ and starts the server and both browsers (with and without WebGPU). */
export async function startSite(): Promise<Site> {
  if (!existsSync(CHROMIUM)) {
    throw new Error(`no Chromium at ${CHROMIUM}: install Debian's chromium package (.ci/run does) or set CHROMIUM_PATH`);
  }
  const outDir = mkdtempSync(join(tmpdir(), 'fleetsim-site-'));
  await build({ configFile: resolve('web/vite.config.ts'), logLevel: 'warn', build: { outDir, emptyOutDir: true } });
  const server: PreviewServer = await preview({
    configFile: resolve('web/vite.config.ts'),
    logLevel: 'warn',
    build: { outDir },
    preview: { port: 0, host: '127.0.0.1', strictPort: false, open: false },
  });
  const address = server.httpServer.address();
  if (address === null || typeof address === 'string') throw new Error('the preview server has no port');
  const url = `http://127.0.0.1:${address.port}/`;

  // playwright-core gives each launch a fresh temporary profile (its own --user-data-dir).
  const launch = (webgpu: boolean): Promise<Browser> => {
    return chromium.launch({
      executablePath: CHROMIUM,
      headless: true,
      args: [
        ...(webgpu ? ['--enable-unsafe-webgpu', '--enable-features=Vulkan', '--use-angle=swiftshader'] : ['--disable-webgpu']),
        '--no-sandbox',
        '--disable-background-networking',
        '--disable-dev-shm-usage',
      ],
    });
  };
  const browser = await launch(true);
  let plain: Browser | undefined;
  const contexts: BrowserContext[] = [];
  mkdirSync(ARTIFACTS, { recursive: true });

  const foreign: string[] = [];
  const consoleErrors: string[] = [];
  return {
    url,
    browser,
    foreign,
    consoleErrors,
    async open(hash = '', options = {}) {
      const target = options.webgpu === false ? (plain ??= await launch(false)) : browser;
      const context = await target.newContext({ viewport: { width: 1280, height: 1000 } });
      contexts.push(context);
      const page = await context.newPage();
      page.on('pageerror', (error) => console.error(`[page error] ${error.message}`));
      page.on('request', (request) => {
        const target = request.url();
        if (!target.startsWith(url) && !/^(blob|data):/.test(target)) foreign.push(target);
      });
      page.on('console', (message) => {
        if (message.type() === 'error') consoleErrors.push(message.text());
      });
      await page.goto(`${url}${hash ? `#${hash.replace(/^#/, '')}` : ''}`);
      await page.waitForSelector('#view section[data-mounted]', { state: 'attached' }); // views load on demand
      return page;
    },
    async screenshot(page, name) {
      const path = join(ARTIFACTS, `${name}.png`);
      await page.screenshot({ path, fullPage: true });
      return path;
    },
    async close() {
      for (const context of contexts) await context.close().catch(() => undefined);
      await browser.close();
      await plain?.close();
      await server.close();
      rmSync(outDir, { recursive: true, force: true });
    },
  };
}

/** Waits for the view to finish (body[data-state] = done or error) and returns the state. */
export async function settled(page: Page, timeout = 120_000): Promise<string> {
  await page.waitForFunction(() => ['done', 'error'].includes(document.body.dataset.state ?? ''), undefined, { timeout });
  return page.evaluate(() => document.body.dataset.state ?? '');
}

/**
 * Closes the site, then checks what every browser test promises: no request left the page's origin,
 * and nothing broke the Content-Security-Policy (or anything else) on the way.
 */
export async function closeSite(site: Site | undefined): Promise<void> {
  if (!site) return;
  await site.close();
  expect(site.foreign).toEqual([]);
  expect(site.consoleErrors.filter((e) => !/Failed to load resource/.test(e) || /Content Security Policy/.test(e))).toEqual([]);
}
