/**
 * Real arrival traces (src/traces/): binning, CSV import and its errors through the built CLI (exit 2,
 * one line, nothing written), the shipped files against the shared raw data (skipped where
 * ../shared/data/traces is absent), and the MMPP fit against known parameters' analytic curves.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { ConfigError } from '../src/model/errors.js';
import { binCounts, parseTrace, type Trace, traceStats } from '../src/traces/format.js';
import { fitMmpp, fitMmppCurves, type MmppParams, mmppIdc, mmppThirdMoment } from '../src/traces/fit.js';
import { importTraceCsv } from '../src/traces/import.js';
import { loadServeGen, loadTrace } from '../src/traces/load.js';
import { parseServeGenChunk } from '../src/traces/servegen.js';
import { SHIPPED_SERVEGEN, SHIPPED_TRACES } from '../src/traces/shipped.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const BIN = join(ROOT, 'bin', 'fleetsim.js');
const BUILT = join(ROOT, 'dist', 'src', 'cli', 'main.js');
const RAW = join(ROOT, '..', 'shared', 'data', 'traces');
const HAS_RAW = existsSync(join(RAW, 'azure-llm-2023-conv.csv'));
const TMP = mkdtempSync(join(tmpdir(), 'fleetsim-traces-'));
afterAll(() => rmSync(TMP, { recursive: true, force: true }));

function fleetsim(args: string[]): { status: number | null; stdout: string; stderr: string } {
  if (!existsSync(BUILT)) throw new Error(`${BUILT} is missing: run \`npm run build\` first (npm test does)`);
  const child = spawnSync(process.execPath, [BIN, ...args], { cwd: ROOT, encoding: 'utf8', timeout: 60_000 });
  return { status: child.status, stdout: child.stdout, stderr: child.stderr };
}

/** A sorted list of seconds as a one-column CSV with a header. */
function secondsCsv(times: number[]): string {
  return `t,other\n${times.map((t) => `${t},x`).join('\n')}\n`;
}

/** A deterministic stream of sorted arrival times (LCG), seconds. */
function arrivals(n: number, meanGap: number): number[] {
  let x = 12345;
  let t = 0;
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    x = (x * 1103515245 + 12345) % 2 ** 31;
    t += -Math.log((x + 1) / 2 ** 31) * meanGap;
    out.push(Math.round(t * 1000) / 1000);
  }
  return out;
}

describe('binning', () => {
  const times = arrivals(5000, 0.2);
  const { trace } = importTraceCsv(secondsCsv(times), { timestampColumn: 't', resolution: 0.001, file: 'synthetic.csv' });

  it('keeps every request at the resolution and drops only the partial last bin', () => {
    expect(trace.requests).toBe(5000);
    expect(binCounts(trace, 0.001).reduce((s, c) => s + c, 0)).toBe(5000);
    const perSecond = binCounts(trace, 1);
    expect(perSecond.length).toBe(Math.floor(trace.duration));
    const t0 = times[0]!;
    const inWhole = times.filter((t) => t - t0 < perSecond.length).length;
    expect(perSecond.reduce((s, c) => s + c, 0)).toBe(inWhole);
  });

  it('equals a direct count of the timestamps per second (round trip)', () => {
    const t0 = times[0]!;
    const direct = new Uint32Array(Math.floor(trace.duration));
    for (const t of times) {
      const k = Math.floor(Math.round((t - t0) * 1000) / 1000);
      if (k < direct.length) direct[k]!++;
    }
    expect([...binCounts(trace, 1)]).toEqual([...direct]);
  });

  it('rejects a bin width that is not a whole multiple of the resolution', () => {
    expect(() => binCounts(trace, 0.0015)).toThrow(ConfigError);
    expect(() => binCounts(trace, 0.0015)).toThrow(/^binWidth: .*whole multiple of 0\.001 s/);
    expect(() => binCounts(trace, 0.3)).not.toThrow(); // 300 · 0.001 within 1e-9
  });

  it('computes the mean rate and the IDC of a Poisson-like stream (≈ 1)', () => {
    const stats = traceStats(binCounts(trace, 1), 1, [1, 10]);
    expect(stats.meanRate).toBeCloseTo(5, 0);
    for (const p of stats.idc) expect(Math.abs(p.idc - 1)).toBeLessThan(0.35);
  });

  it('reads milliseconds, datetimes with T and Z, and a column index', () => {
    const ms = importTraceCsv('1000\n1500\n3000\n', { timestampColumn: 0, format: 'milliseconds', resolution: 0.5 });
    expect([...binCounts(ms.trace, 0.5)]).toEqual([1, 1, 0, 0, 1].slice(0, 5));
    const dt = importTraceCsv('when\n2023-11-16T18:15:46.5Z\n2023-11-16T18:15:48Z\n', { timestampColumn: 0 });
    expect(dt.format).toBe('datetime');
    expect(dt.detected).toBe(true);
    expect(dt.trace.requests).toBe(2);
    expect(dt.trace.duration).toBeCloseTo(1.501, 9);
  });
});

describe('fleetsim trace import: bad files', () => {
  const cases: [string, string, string[], RegExp][] = [
    ['empty file', '', [], /empty/],
    ['no data rows', 'TIMESTAMP,x\n', [], /no data rows/],
    ['column not found', 'a,b\n1,2\n3,4\n', [], /no column "TIMESTAMP" in the header; allowed: "a", "b"/],
    [
      'non-numeric timestamp',
      'TIMESTAMP\n1\n2\nabc\n',
      ['--format', 'seconds'],
      /line 4, column "TIMESTAMP": "abc" is not a timestamp; allowed: a number of seconds/,
    ],
    [
      'unparseable datetime',
      'TIMESTAMP\n2023-11-16 18:15:46\n2023-11-16 25:15:46\n',
      [],
      /line 3, .*"2023-11-16 25:15:46" is not a timestamp; allowed: YYYY-MM-DD/,
    ],
    ['negative timestamp', 'TIMESTAMP\n-1\n2\n', [], /line 2, .*"-1" is negative/],
    ['unsorted', 'TIMESTAMP\n1\n3\n2\n', [], /line 4, .*"2" is earlier than/],
    ['fewer than 2 requests', 'TIMESTAMP\n5\n', [], /1 request\(s\); allowed: at least 2/],
    ['long value quoted and truncated', `TIMESTAMP\n1\n${'z'.repeat(500)}\n`, [], /"z{40}"… \(500 characters\) is not a timestamp/],
  ];
  for (const [label, text, extra, message] of cases) {
    it(`${label}: exit 2, one line, nothing written`, () => {
      const file = join(TMP, `${label.replace(/\W+/g, '-')}.csv`);
      const out = join(TMP, `${label.replace(/\W+/g, '-')}.json`);
      writeFileSync(file, text);
      const run = fleetsim(['trace', 'import', file, '--timestamp-column', 'TIMESTAMP', ...extra, '--out', out]);
      expect(run.status).toBe(2);
      expect(run.stdout).toBe('');
      const lines = run.stderr.trim().split('\n');
      expect(lines).toHaveLength(1);
      expect(lines[0]).toContain(file);
      expect(lines[0]).toMatch(message);
      expect(lines[0]).not.toMatch(/^\s+at \S|\.[cm]?[jt]s:\d+/);
      expect(existsSync(out)).toBe(false);
    });
  }

  it('writes a trace, and refuses to overwrite it without --force', () => {
    const file = join(TMP, 'good.csv');
    const out = join(TMP, 'good.json');
    writeFileSync(file, secondsCsv([10, 10.25, 11, 13.5]));
    const first = fleetsim(['trace', 'import', file, '--timestamp-column', 't', '--name', 'good', '--out', out]);
    expect(first.status).toBe(0);
    expect(first.stdout).toMatch(/seconds \(auto-detected\)/);
    const trace = loadTrace(out, 'test');
    expect(trace).toMatchObject({ name: 'good', requests: 4, gaps: [0, 250, 750, 2500], counts: [1, 1, 1, 1] });
    const again = fleetsim(['trace', 'import', file, '--timestamp-column', 't', '--out', out]);
    expect(again.status).toBe(2);
    expect(again.stderr.trim().split('\n')).toHaveLength(1);
    expect(again.stderr).toMatch(/exists; allowed: a new file, or --force/);
    expect(fleetsim(['trace', 'import', file, '--timestamp-column', 't', '--out', out, '--force']).status).toBe(0);
  });

  it('rejects a bad --resolution and a missing input file in one line', () => {
    const bad = fleetsim([
      'trace',
      'import',
      join(TMP, 'good.csv'),
      '--timestamp-column',
      't',
      '--resolution',
      '0',
      '--out',
      join(TMP, 'r.json'),
    ]);
    expect(bad.status).toBe(2);
    expect(bad.stderr).toMatch(/--resolution.*Allowed: a number of seconds/);
    const missing = fleetsim(['trace', 'import', join(TMP, 'absent.csv'), '--timestamp-column', 't', '--out', join(TMP, 'm.json')]);
    expect(missing.status).toBe(2);
    expect(missing.stderr.trim().split('\n')).toHaveLength(1);
    expect(existsSync(join(TMP, 'm.json'))).toBe(false);
  });
});

describe('loading traces', () => {
  it('names the field for an unknown name, a missing file and a file that is not a trace', () => {
    expect(() => loadTrace('no-such-trace', 'arrivals.trace')).toThrow(
      /^arrivals\.trace: unknown trace "no-such-trace"; allowed: azure-llm-2023-conv/,
    );
    expect(() => loadTrace(join(TMP, 'absent.json'), 'arrivals.trace')).toThrow(/^arrivals\.trace: file .* not found/);
    const notTrace = join(TMP, 'not-trace.json');
    writeFileSync(notTrace, '{"format":"other"}');
    expect(() => loadTrace(notTrace, 'arrivals.trace')).toThrow(/^arrivals\.trace: not a valid fleetsim trace \(format: /);
    expect(() => loadServeGen('azure-llm-2023-conv', 'arrivals.servegen')).toThrow(/^arrivals\.servegen: unknown ServeGen file/);
  });

  it('fleetsim trace info prints the stats and the attribution of a shipped trace', () => {
    const run = fleetsim(['trace', 'info', 'azure-llm-2023-conv']);
    expect(run.status).toBe(0);
    expect(run.stdout).toMatch(/IDC: +1\.39 at 1 s, 3\.86 at 10 s, 16\.13 at 60 s, 56\.10 at 300 s/);
    expect(run.stdout).toMatch(/licence: +CC-BY-4\.0/);
    expect(run.stdout).toMatch(/attribution: +Patel et al\./);
  });
});

describe('shipped traces', () => {
  const azure = loadTrace(SHIPPED_TRACES[0], 'test');
  const servegen = loadServeGen(SHIPPED_SERVEGEN[0], 'test');

  it('load, validate and carry their licence and attribution', () => {
    expect(azure).toMatchObject({ name: 'azure-llm-2023-conv', resolution: 0.001, requests: 19366 });
    expect(azure.licence).toMatch(/CC-BY-4\.0/);
    expect(servegen.licence).toMatch(/Apache-2\.0/);
    expect(servegen.clients.length).toBeGreaterThan(0);
    expect(readFileSync(join(ROOT, 'traces', 'azure-llm-2023-conv.json')).length).toBeLessThan(300_000);
  });

  it('Azure: the IDC curve of MODEL-PART4 §4.1 (1.39 / 3.9 / 16.1 / 56 at 1 / 10 / 60 / 300 s)', () => {
    const stats = traceStats(binCounts(azure, 1), 1);
    expect(stats.bins).toBe(3501);
    expect(stats.meanRate).toBeCloseTo(5.531, 3);
    const quoted = [1.39, 3.9, 16.1, 56];
    stats.idc.forEach((p, i) => expect(Math.abs(p.idc / quoted[i]! - 1)).toBeLessThan(0.015));
  });

  it.skipIf(!HAS_RAW)('Azure: equals a fresh import of the shared CSV and its direct per-second counts', () => {
    const text = readFileSync(join(RAW, 'azure-llm-2023-conv.csv'), 'utf8');
    const fresh: Trace = importTraceCsv(text, { timestampColumn: 'TIMESTAMP', resolution: 0.001 }).trace;
    expect(fresh.gaps).toEqual(azure.gaps);
    expect(fresh.counts).toEqual(azure.counts);
    expect(fresh.duration).toBe(azure.duration);
    // Direct count in exact integers of 100 ns from the CSV's 7-digit fractions.
    const stamps = text
      .trim()
      .split('\n')
      .slice(1)
      .map((line) => {
        const [date, time] = line.split(',')[0]!.split(' ') as [string, string];
        const [hms, frac = ''] = time.split('.');
        return { s: Date.parse(`${date}T${hms}Z`) / 1000, f: Number(frac.padEnd(7, '0')) };
      });
    const first = stamps[0]!;
    const perSecond = binCounts(azure, 1);
    const direct = new Uint32Array(perSecond.length);
    for (const { s, f } of stamps) {
      const k = Math.floor(((s - first.s) * 1e7 + (f - first.f)) / 1e7);
      if (k < direct.length) direct[k]!++;
    }
    expect([...perSecond]).toEqual([...direct]);
  });

  it.skipIf(!HAS_RAW)('ServeGen: equals the chunk files; Gamma windows have cv = 1/√shape', () => {
    const dir = join(RAW, 'servegen-deepseek-r1');
    const files = readdirSync(dir).filter((f) => /^chunk-\d+-trace\.csv$/.test(f));
    expect(servegen.clients).toHaveLength(files.length);
    for (const client of servegen.clients) {
      const f = `chunk-${client.id}-trace.csv`;
      expect(client.windows).toEqual(parseServeGenChunk(readFileSync(join(dir, f), 'utf8'), f));
    }
    const gamma = servegen.clients.flatMap((c) => c.windows).filter((w) => w.family === 'gamma');
    expect(gamma.length).toBeGreaterThan(100);
    for (const w of gamma) expect(Math.abs(w.cv * Math.sqrt(w.shape!) - 1)).toBeLessThan(1e-4);
  });
});

describe('MMPP fit', () => {
  const WINDOWS = [1, 2, 5, 10, 20, 30, 60, 120, 300, 600];
  const known: [MmppParams, number][] = [
    [{ J: 40, piHigh: 0.2, kappa: 2.5 }, 5.5],
    [{ J: 5, piHigh: 0.5, kappa: 1.4 }, 20],
    [{ J: 120, piHigh: 0.05, kappa: 8 }, 2],
  ];
  for (const [p, rate] of known) {
    it(`recovers J = ${p.J}, π_H = ${p.piHigh}, κ = ${p.kappa} from the analytic curves`, () => {
      const fit = fitMmppCurves({
        meanRate: rate,
        points: WINDOWS.map((window) => ({ window, idc: mmppIdc(p, rate, window), third: mmppThirdMoment(p, rate, window), windows: 10 })),
      });
      expect(Math.abs(fit.J / p.J - 1)).toBeLessThan(0.01);
      expect(Math.abs(fit.piHigh / p.piHigh - 1)).toBeLessThan(0.01);
      expect(Math.abs(fit.kappa / p.kappa - 1)).toBeLessThan(0.01);
      expect(fit.rms).toBeLessThan(1e-4);
    });
  }

  it('fits the Azure trace within 10 % rms of log IDC and keeps κπ_H ≤ 1', () => {
    const fit = fitMmpp(binCounts(loadTrace('azure-llm-2023-conv', 'test'), 1), 1);
    expect(fit.rms).toBeLessThan(0.1);
    expect(fit.J).toBeGreaterThan(1);
    expect(fit.kappa * fit.piHigh).toBeLessThanOrEqual(1);
    expect(fit.curve.map((c) => c.window)).toEqual(WINDOWS);
  });

  it('rejects a trace with no burstiness', () => {
    const flat = new Uint32Array(1000).fill(3);
    expect(() => fitMmpp(flat, 1)).toThrow(/^trace: the IDC is ≤ 1/);
    expect(() => parseTrace({}, 'x')).toThrow(/^x: not a valid fleetsim trace/);
  });
});
