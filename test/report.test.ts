/**
 * `fleetsim report` and `fleetsim view` as a user runs them (the built CLI in a child process), and the
 * view server in-process: the report embeds exactly the sweep's files (the listing web/lib/preload.ts
 * reads), its inline script is the one its Content-Security-Policy allows, and nothing in a file can
 * end the data element; bad input exits 2 with one line and writes nothing; a checkout without the
 * built page exits 3 with one line; the server serves only the page and the sweep's files (no path
 * traversal, no other host, no writes) and stops on Ctrl-C. The page itself is checked in Chromium by
 * test/e2e/report.e2e.test.ts.
 */
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadStudy, runSweepCommand } from '../src/cli/sweep.js';
import { startViewServer, type ViewServer } from '../src/cli/view.js';
import { cpuEngine } from '../src/platform/nodeEngine.js';
import { fromBase64, PreloadProblem, preloadFiles, PreloadSchema, preloadSource, type PreloadData } from '../web/lib/preload.js';
import { type Runner, workerRunner } from './helpers/fuzz-run.js';
import { ensureViewer } from './helpers/viewer.js';

const ROOT = resolve(import.meta.dirname, '..');
const BIN = join(ROOT, 'bin', 'fleetsim.js');

/** A study name that would end a <script> element and open a comment if it were written raw. */
const HOSTILE_NAME = 'tiny </script><script>window.pwned=1</script><!-- x';

const STUDY = {
  name: HOSTILE_NAME,
  seed: 7,
  fleet: {
    random: { agents: 3, T: { kind: 'logUniform', min: 20, max: 200 }, R: { kind: 'uniform', min: 0.05, max: 0.25 }, P: 1, load: 1 },
  },
  arrivals: 'poisson',
  steps: 40,
  samples: 8,
  axes: [{ path: 'fleet.random.load', values: [0.5, 2] }],
  output: { fleetRows: true },
};

let dir: string;
let sweep: string;

interface Run {
  status: number | null;
  stdout: string;
  stderr: string;
}

let runner: Runner;

/** The CLI in process (main(argv) in a worker thread: test/helpers/fuzz-run.ts), for commands that end. */
async function fleetsim(args: string[]): Promise<Run> {
  const outcome = await runner.run(args, 60_000, ROOT);
  if (outcome.thrown) throw new Error(outcome.thrown);
  return { status: outcome.code, stdout: outcome.stdout, stderr: outcome.stderr };
}

/** The CLI as a process: `bin` of another copy of the package, or the command that serves until Ctrl-C. */
function fleetsimProcess(args: string[], bin = BIN): Run {
  const child = spawnSync(process.execPath, [bin, ...args], {
    cwd: ROOT,
    env: { ...process.env, XDG_RUNTIME_DIR: '/tmp' },
    encoding: 'utf8',
    timeout: 60_000,
  });
  if (child.error) throw child.error;
  return { status: child.status, stdout: child.stdout, stderr: child.stderr };
}

/** A user mistake: exit 2, nothing on stdout, one line on stderr matching `pattern`. */
function expectUsage(run: Run, pattern: RegExp): void {
  expect(run.stdout).toBe('');
  const lines = run.stderr.split('\n').filter((l) => l !== '');
  expect(lines, run.stderr).toHaveLength(1);
  expect(lines[0]).toMatch(pattern);
  expect(run.status).toBe(2);
}

/** The report's embedded listing, and its inline module script. */
function reportParts(html: string): { data: PreloadData; script: string; csp: string } {
  const data = /<script type="application\/json" id="fleetsim-data">([\s\S]*?)<\/script>/.exec(html);
  const scripts = [...html.matchAll(/<script type="module">([\s\S]*?)<\/script>/g)];
  const csp = /http-equiv="Content-Security-Policy"\s+content="([^"]*)"/.exec(html);
  expect(data).not.toBeNull();
  expect(scripts).toHaveLength(1);
  expect(csp).not.toBeNull();
  return { data: PreloadSchema.parse(JSON.parse(data![1]!)), script: scripts[0]![1]!, csp: csp![1]! };
}

const listing = (): string[] => readdirSync(sweep).sort();

beforeAll(async () => {
  runner = workerRunner();
  const seconds = await ensureViewer();
  if (seconds > 0) console.log(`built web/dist in ${seconds.toFixed(1)} s`);
  dir = mkdtempSync(join(tmpdir(), 'fleetsim-report-'));
  const studyFile = join(dir, 'study.json');
  writeFileSync(studyFile, JSON.stringify(STUDY));
  sweep = join(dir, 'sweep');
  await runSweepCommand(studyFile, await loadStudy(studyFile), cpuEngine(1), {
    out: sweep,
    shard: { index: 0, count: 1 },
    resume: false,
    quiet: true,
  });
}, 120_000);

afterAll(async () => {
  await runner?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('fleetsim report', () => {
  it('writes DIR/report.html holding exactly the sweep files, under the script hash its policy allows', async () => {
    const run = await fleetsim(['report', sweep]);
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    const out = join(sweep, 'report.html');
    expect(run.stdout).toContain(`report: ${out} (`);
    expect(run.stdout).toContain('summary.json, cells.csv, manifest.json, 2 per-fleet files');
    const html = readFileSync(out, 'utf8');
    const { data, script, csp } = reportParts(html);
    expect(data.files.map((f) => f.name)).toEqual([
      'summary.json',
      'cells.csv',
      'manifest.json',
      'fleets/unit-00000000.arrow',
      'fleets/unit-00000001.arrow',
    ]);
    for (const f of data.files) {
      const bytes = readFileSync(join(sweep, f.name));
      expect(f.size).toBe(bytes.length);
      if (f.name.endsWith('.arrow')) expect(Buffer.from(f.base64!, 'base64').equals(bytes)).toBe(true);
      else expect(f.text).toBe(bytes.toString('utf8'));
    }
    expect(data.omitted).toEqual([]);
    expect(data.sweep).toBe(sweep);
    // run again: the report it wrote is overwritten (atomically), nothing else is touched
    const again = await fleetsim(['report', sweep, '--out', out]);
    expect(again.status).toBe(0);
    expect(readdirSync(sweep).filter((n) => /report|\.tmp$/.test(n))).toEqual(['report.html']);
    // the study name went in as data, never as markup: the one </script> after the data is the element's own
    expect(readFileSync(join(sweep, 'summary.json'), 'utf8')).toContain('</script>');
    expect(html.split('</script>')).toHaveLength(3); // data element + module script
    expect(html).not.toMatch(/<script[^>]*\ssrc=|<link[^>]*\shref=/);
    // the browser runs the inline script only if its hash is the one in the policy; nothing may be fetched
    const hash = createHash('sha256').update(script, 'utf8').digest('base64');
    expect(csp).toContain(`script-src 'sha256-${hash}'`);
    expect(csp).toMatch(/default-src 'none'.*connect-src 'none'.*worker-src 'none'/);
  });

  it('leaves the per-fleet rows out over --rows-limit, and says so', async () => {
    const out = join(dir, 'no-rows.html');
    const run = await fleetsim(['report', sweep, '--out', out, '--rows-limit', '0']);
    expect(run.status).toBe(0);
    expect(run.stdout).toMatch(
      /Left out: the per-fleet rows \(fleets\/, 2 files, [\d.]+ kiB\), over the --rows-limit of 0\.0 kiB; the latency-change charts need them \(raise --rows-limit, or open the sweep with fleetsim view\)\.$/m,
    );
    const { data } = reportParts(readFileSync(out, 'utf8'));
    expect(data.files.map((f) => f.name)).toEqual(['summary.json', 'cells.csv', 'manifest.json']);
    expect(data.omitted).toHaveLength(1);
    expect(data.omitted[0]).toMatch(/^Left out: the per-fleet rows/);
  });

  it('refuses bad input with exit 2 and one line, and writes nothing', async () => {
    const before = listing();
    const file = join(dir, 'a-file');
    writeFileSync(file, 'x');
    const empty = join(dir, 'empty');
    mkdirSync(empty);
    const noSummary = join(dir, 'no-summary');
    mkdirSync(noSummary);
    cpSync(join(sweep, 'manifest.json'), join(noSummary, 'manifest.json'));
    const unfinished = join(dir, 'unfinished');
    cpSync(sweep, unfinished, { recursive: true });
    rmSync(join(unfinished, 'report.html'), { force: true });
    const manifest = JSON.parse(readFileSync(join(unfinished, 'manifest.json'), 'utf8')) as { complete: boolean };
    writeFileSync(join(unfinished, 'manifest.json'), JSON.stringify({ ...manifest, complete: false }));
    const damaged = join(dir, 'damaged');
    cpSync(sweep, damaged, { recursive: true });
    rmSync(join(damaged, 'report.html'), { force: true });
    writeFileSync(join(damaged, 'summary.json'), '{"format": "fleetsim-summary/1", "cells": [');

    expectUsage(await fleetsim(['report', join(dir, 'nope')]), /^fleetsim: .*\/nope: no such directory$/);
    expectUsage(await fleetsim(['report', file]), /^fleetsim: .*\/a-file: not a directory/);
    expectUsage(await fleetsim(['report', empty]), /^fleetsim: .*\/empty: not a sweep result directory \(no manifest\.json\)$/);
    expectUsage(await fleetsim(['report', noSummary]), /^fleetsim: .*\/no-summary: an incomplete sweep \(no summary\.json\)/);
    expectUsage(
      await fleetsim(['report', unfinished]),
      /^fleetsim: .*\/unfinished: an incomplete sweep \(manifest\.json says it did not finish\)/,
    );
    expectUsage(await fleetsim(['report', damaged]), /^fleetsim: .*damaged\/summary\.json/);
    expectUsage(
      await fleetsim(['report', sweep, '--out', join(dir, 'missing', 'r.html')]),
      /^fleetsim: --out .*missing\/r\.html: the directory .*\/missing does not exist$/,
    );
    expectUsage(await fleetsim(['report', sweep, '--out', empty]), /^fleetsim: --out .*\/empty: is a directory/);
    // only a report is overwritten: not the sweep's own files, not the user's
    for (const name of ['summary.json', 'manifest.json']) {
      expectUsage(
        await fleetsim(['report', sweep, '--out', join(sweep, name)]),
        new RegExp(`^fleetsim: --out .*/${name.replace('.', '\\.')}: exists and is not a fleetsim report; choose another name`),
      );
    }
    expectUsage(await fleetsim(['report', sweep, '--out', file]), /a-file: exists and is not a fleetsim report/);
    expect(readFileSync(file, 'utf8')).toBe('x');
    expectUsage(await fleetsim(['report', sweep, '--rows-limit', '-1']), /--rows-limit/);
    expectUsage(await fleetsim(['report', sweep, '--rows-limit', '257']), /--rows-limit/);
    for (const d of [empty, noSummary, unfinished, damaged]) expect(readdirSync(d).filter((n) => /report|\.tmp$/.test(n))).toEqual([]);
    expect(existsSync(join(dir, 'missing'))).toBe(false);
    expect(listing()).toEqual(before);
  });

  it('exits 3 with one line in a checkout without the built page (report and view)', () => {
    // a copy of the package without web/dist: bin, the built CLI, package.json, shaders (the root's marks)
    const bare = join(dir, 'bare');
    mkdirSync(bare);
    for (const part of ['bin', 'shaders', 'package.json']) cpSync(join(ROOT, part), join(bare, part), { recursive: true });
    cpSync(join(ROOT, 'dist', 'src'), join(bare, 'dist', 'src'), { recursive: true });
    symlinkSync(join(ROOT, 'node_modules'), join(bare, 'node_modules'));
    for (const args of [
      ['report', sweep],
      ['view', sweep, '--no-open'],
    ]) {
      const run = fleetsimProcess(args, join(bare, 'bin', 'fleetsim.js'));
      expect(run.stdout).toBe('');
      expect(run.stderr).toBe('fleetsim: the built viewer is missing: run `npm run build:web`\n');
      expect(run.status).toBe(3);
    }
  });
});

/** A raw HTTP request (no URL normalisation: `..` and `%2e` reach the server as written). */
function raw(origin: string, path: string, options: { method?: string; host?: string } = {}): Promise<{ status: number; body: Buffer }> {
  const url = new URL(origin);
  return new Promise((resolveRequest, reject) => {
    const req = request(
      { host: url.hostname, port: url.port, path, method: options.method ?? 'GET', headers: options.host ? { host: options.host } : {} },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolveRequest({ status: res.statusCode ?? 0, body: Buffer.concat(chunks) }));
      },
    );
    req.on('error', reject);
    req.end();
  });
}

describe('fleetsim view', () => {
  let view: ViewServer;
  beforeAll(async () => {
    view = await startViewServer(sweep, 0);
  });
  afterAll(async () => {
    await view?.close();
  });

  it('serves the page and the listing of the sweep, and its files byte for byte', async () => {
    expect(view.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/\?sweep=sweep\/#view=sweep$/);
    const page = await fetch(view.url);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(await page.text()).toContain('<main id="view">');
    const listed = PreloadSchema.parse(await (await fetch(new URL('sweep/files.json', view.origin))).json());
    expect(listed.files.map((f) => f.name)).toEqual([
      'summary.json',
      'cells.csv',
      'manifest.json',
      'fleets/unit-00000000.arrow',
      'fleets/unit-00000001.arrow',
    ]);
    for (const f of listed.files) {
      expect(f.text ?? f.base64).toBeUndefined(); // served, not embedded
      const res = await fetch(new URL(`sweep/${f.name}`, view.origin));
      expect(res.status).toBe(200);
      expect(Buffer.from(await res.arrayBuffer()).equals(readFileSync(join(sweep, f.name)))).toBe(true);
    }
    const head = await raw(view.origin, '/sweep/summary.json', { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(head.body.length).toBe(0);
  });

  it('refuses traversal, absolute paths, files it does not list, other hosts and writes', async () => {
    const secret = join(dir, 'secret.txt');
    writeFileSync(secret, 'not for the browser');
    for (const path of [
      '/sweep/../manifest.json',
      '/sweep/%2e%2e/study.json',
      '/sweep/..%2fstudy.json',
      '/../../../../etc/passwd',
      '/%2e%2e/%2e%2e/etc/passwd',
      '/sweep/../../secret.txt',
      '//etc/passwd',
      `/${secret}`,
      '/etc/passwd',
      '/sweep/checkpoint.json', // in the directory, but not a file the page reads
      '/sweep/report.html',
      '/sweep/fleets/',
      '/report/index.html', // the report template is not a page of the site
      '/sweep/summary.json/',
      '/sweep\\..\\study.json',
    ]) {
      const res = await raw(view.origin, path);
      expect([path, res.status]).toEqual([path, 404]);
      expect(res.body.toString()).toBe('not found\n');
    }
    expect((await raw(view.origin, `http://127.0.0.1/${secret}`)).status).toBe(400); // absolute-form target
    expect((await raw(view.origin, '/sweep/summary.json', { host: 'attacker.example:80' })).status).toBe(403);
    expect((await raw(view.origin, '/sweep/summary.json', { method: 'PUT' })).status).toBe(405);
    expect((await raw(view.origin, '/sweep/summary.json', { method: 'DELETE' })).status).toBe(405);
    expect(readdirSync(sweep)).toContain('summary.json');
  });

  it('runs as a command: prints the address, serves, and stops on Ctrl-C (exit 0)', async () => {
    const child = spawn(process.execPath, [BIN, 'view', sweep, '--no-open', '--port', '0'], {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    const url = await new Promise<string>((resolveUrl, reject) => {
      child.stdout.on('data', (c: Buffer) => {
        stdout += c.toString();
        const found = /(http:\/\/127\.0\.0\.1:\d+\/\S*)/.exec(stdout);
        if (found) resolveUrl(found[1]!);
      });
      child.once('exit', () => reject(new Error(`view exited early: ${stderr}`)));
    });
    expect(stdout).toMatch(
      /^fleetsim view: the sweep .* at http:\/\/127\.0\.0\.1:\d+\/\?sweep=sweep\/#view=sweep \(read-only; Ctrl-C stops\)\n$/,
    );
    expect((await fetch(url)).status).toBe(200);
    expect((await fetch(new URL('/sweep/cells.csv', url))).status).toBe(200);
    const code = new Promise<number | null>((done) => child.once('exit', (c) => done(c)));
    child.kill('SIGINT');
    expect(await code).toBe(0);
    expect(stderr).toBe('');
  });

  it('refuses a bad port (exit 2) and a port in use (exit 3), one line each', async () => {
    expectUsage(await fleetsim(['view', sweep, '--no-open', '--port', '65536']), /--port/);
    expectUsage(await fleetsim(['view', join(dir, 'nope'), '--no-open']), /nope: no such directory$/);
    const port = new URL(view.origin).port;
    const run = await fleetsim(['view', sweep, '--no-open', '--port', port]);
    expect(run.stderr).toBe(`fleetsim: --port ${port}: the port is in use (EADDRINUSE); choose another, or --port 0 for any free one\n`);
    expect(run.status).toBe(3);
  });
});

describe('the page reads the sweep it is handed (web/lib/preload.ts)', () => {
  const at = (search: string) => ({ href: `http://127.0.0.1:8000/${search}`, origin: 'http://127.0.0.1:8000', search });
  const doc = (text: string | null) => ({ getElementById: () => (text === null ? null : ({ textContent: text } as HTMLElement)) });

  it('takes the embedded files as picked files, byte for byte', async () => {
    const out = join(dir, 'unit.html');
    expect((await fleetsim(['report', sweep, '--out', out])).status).toBe(0);
    const html = readFileSync(out, 'utf8');
    const text = /id="fleetsim-data">([\s\S]*?)<\/script>/.exec(html)![1]!;
    const source = preloadSource(doc(text), at(''));
    expect(source?.kind).toBe('embedded');
    const { files, study, note } = await preloadFiles(source!);
    expect(files.map((f) => f.name)).toEqual(['summary.json', 'cells.csv', 'manifest.json', 'unit-00000000.arrow', 'unit-00000001.arrow']);
    for (const [i, name] of ['summary.json', 'cells.csv', 'manifest.json', 'fleets/unit-00000000.arrow'].entries()) {
      expect(Buffer.from(await files[i]!.arrayBuffer()).equals(readFileSync(join(sweep, name)))).toBe(true);
    }
    expect(JSON.parse(study!)).toMatchObject({ name: STUDY.name, steps: STUDY.steps });
    expect(note).toMatch(/^Report of the sweep .*: everything is in this file, nothing is fetched\.$/);
    expect([...fromBase64(Buffer.from([0, 255, 60, 47]).toString('base64'))]).toEqual([0, 255, 60, 47]);
  });

  it('reads a served sweep only from its own origin, and says what is wrong with a damaged one', () => {
    expect(preloadSource(doc(null), at(''))).toBeNull();
    expect(preloadSource(doc('  '), at('?x=1'))).toBeNull();
    const served = preloadSource(doc(null), at('?sweep=sweep/'));
    expect(served).toEqual({ kind: 'served', folder: new URL('http://127.0.0.1:8000/sweep/') });
    for (const search of [
      '?sweep=https://attacker.example/',
      '?sweep=//attacker.example/x',
      '?sweep=file:///etc/',
      '?sweep=javascript:alert(1)',
    ]) {
      expect(() => preloadSource(doc(null), at(search)), search).toThrow(PreloadProblem);
    }
    expect(() => preloadSource(doc('{"format":'), at(''))).toThrow(/^the sweep embedded in this page is not valid JSON/);
    expect(() => preloadSource(doc('{"format":"fleetsim-preload/1"}'), at(''))).toThrow(/is not a fleetsim sweep listing \(sweep: /);
    const traversal = {
      format: 'fleetsim-preload/1',
      sweep: 'x',
      fleetsim: '0',
      createdAt: '',
      files: [{ name: '../secret', size: 1, text: 'x' }],
      omitted: [],
    };
    expect(() => preloadSource(doc(JSON.stringify(traversal)), at(''))).toThrow(/files\.0\.name/);
  });
});
