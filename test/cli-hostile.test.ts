/**
 * Hostile and careless command lines (issue 15, classes 7 and 8): every echoed value quoted on one
 * line (no raw control character can forge a line or drive the terminal, no 10 MB echo), every
 * numeric option read strictly and bounded with a message naming the option and its range, exit 2,
 * no stack trace; trace files and CSVs bounded and checked before they are read; cells.csv safe to
 * open in a spreadsheet. Most cases call `main` of the built CLI (dist/, which `npm test` builds
 * first) in this process with stdout and stderr captured; a few spawn bin/fleetsim.js.
 */
import { spawnSync } from 'node:child_process';
import { closeSync, existsSync, ftruncateSync, mkdtempSync, openSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { finiteJson } from '../src/cli/paper.js';
import { commanderMessage } from '../src/cli/options.js';
import { cellsCsv, csvRecords, parseCellsCsv } from '../src/results/cellsCsv.js';
import { SUMMARY_FORMAT, type SummaryTable } from '../src/results/tables.js';
import { importTraceCsv, MAX_CSV_BYTES, MAX_CSV_ROWS } from '../src/traces/import.js';
import { MAX_TRACE_FILE_BYTES } from '../src/traces/load.js';
import { LIMITS } from '../src/study/schema.js';
import { MAX_THREADS } from '../src/cli/backend.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const BIN = join(ROOT, 'bin', 'fleetsim.js');
const { main } = (await import(join(ROOT, 'dist', 'src', 'cli', 'main.js'))) as { main: (argv: readonly string[]) => Promise<number> };
const TMP = mkdtempSync(join(tmpdir(), 'fleetsim-hostile-'));
afterAll(() => rmSync(TMP, { recursive: true, force: true }));

interface Run {
  status: number;
  stdout: string;
  stderr: string;
}

/** `fleetsim …args` in this process, its output captured. */
async function fleetsim(...args: string[]): Promise<Run> {
  const out: string[] = [];
  const err: string[] = [];
  const stdout = process.stdout.write.bind(process.stdout);
  const stderr = process.stderr.write.bind(process.stderr);
  process.stdout.write = (chunk: string | Uint8Array) => out.push(String(chunk)) > 0;
  process.stderr.write = (chunk: string | Uint8Array) => err.push(String(chunk)) > 0;
  try {
    const status = await main(['node', 'fleetsim', ...args]);
    return { status, stdout: out.join(''), stderr: err.join('') };
  } finally {
    process.stdout.write = stdout;
    process.stderr.write = stderr;
  }
}

/** Control characters a terminal acts on (the final newline of each line aside). */
// eslint-disable-next-line no-control-regex
const RAW_CONTROL = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/;
const ESC = '\u001b';
const FORGED = `1\n${ESC}[2J${ESC}[1;1Hfleetsim: valid.`;

/** Exit 2, nothing on stdout, exactly one line on stderr: short, escaped, no stack trace. */
function expectOneLine(run: Run, ...mentions: (string | RegExp)[]): string {
  expect(run.status, run.stderr).toBe(2);
  expect(run.stdout).toBe('');
  expect(run.stderr.endsWith('\n'), run.stderr).toBe(true);
  const lines = run.stderr.slice(0, -1).split('\n');
  expect(lines, run.stderr).toHaveLength(1);
  const line = lines[0]!;
  expect(line).not.toMatch(RAW_CONTROL);
  expect(line).not.toMatch(/^\s+at \S|\.[cm]?[jt]s:\d+/);
  expect(line.length).toBeLessThan(800);
  for (const m of mentions) {
    if (typeof m === 'string') expect(line).toContain(m);
    else expect(line).toMatch(m);
  }
  return line;
}

describe('terminal injection: every echoed argument quoted on one line (class 7)', () => {
  it('an option value with a newline and an escape sequence cannot forge a line or clear the screen', async () => {
    expectOneLine(await fleetsim('paper', '--lmax', FORGED), "'--lmax <seconds>'", '"1\\n\\u001b[2J\\u001b[1;1Hfleetsim: valid."');
  });

  it('an unknown command and an unknown option come out quoted', async () => {
    expectOneLine(await fleetsim(`x${ESC}[2J\nvalid`), 'unknown command "x\\u001b[2J\\nvalid"', '--help');
    expectOneLine(await fleetsim('paper', `--bad\n${ESC}]0;title\u0007`), 'unknown option "--bad\\n\\u001b]0;title\\u0007"');
    // commander's suggestion stays on the same line
    expectOneLine(await fleetsim('paper', '--lmx', '3'), 'unknown option "--lmx"', 'did you mean --lmax?');
  });

  it('a 10 MB argument is cut, not echoed in full', async () => {
    const huge = 'k'.repeat(10_000_000);
    expectOneLine(await fleetsim('paper', `--${huge}`), '(10000002 characters)');
    expectOneLine(await fleetsim(huge), '(10000000 characters)');
    expectOneLine(await fleetsim('paper', '--steps', huge), '--steps', '(10000000 characters)');
  });

  it('a --choices value, --shard and --workloads are quoted', async () => {
    expectOneLine(await fleetsim('paper', '--backend', `gpu\n${ESC}[31m`), '"gpu\\n\\u001b[31m"', 'gpu, cpu, auto');
    const out = join(TMP, 'never');
    expectOneLine(
      await fleetsim('sweep', 'sweeps/montecarlo.json', '--out', out, '--shard', `1/2\n${ESC}[2J`),
      '--shard',
      '"1/2\\n\\u001b[2J"',
    );
    expect(existsSync(out)).toBe(false);
    expectOneLine(await fleetsim('bench', '--workloads', `x${ESC}[2J`), '--workloads', '"x\\u001b[2J"');
  });

  it('commanderMessage: any other message has its control characters escaped and is cut', () => {
    const text = commanderMessage(`error: something '${ESC}[2J${'y'.repeat(5000)}'\n`);
    expect(text.endsWith('\n')).toBe(true);
    expect(text.slice(0, -1)).not.toMatch(RAW_CONTROL);
    expect(text.length).toBeLessThan(600);
  });

  it('trace info: a name, and the text fields of a trace file, are echoed escaped', async () => {
    expectOneLine(await fleetsim('trace', 'info', `nope${ESC}[2J`), 'unknown trace "nope\\u001b[2J"');
    const file = join(TMP, 'hostile-trace.json');
    const trace = {
      format: 'fleetsim-trace',
      version: 1,
      name: `evil${ESC}[2J\nname: forged`,
      description: `line one\nline two${ESC}[31m`,
      source: 's',
      licence: `CC${'\u202e'}0`,
      attribution: '',
      resolution: 1,
      duration: 10,
      requests: 3,
      gaps: [0, 4],
      counts: [1, 2],
    };
    writeFileSync(file, JSON.stringify(trace));
    const run = await fleetsim('trace', 'info', file);
    expect(run.status, run.stderr).toBe(0);
    expect(run.stdout).not.toMatch(RAW_CONTROL);
    expect(run.stdout).toContain('name:        "evil\\u001b[2J\\nname: forged"');
    expect(run.stdout.split('\n').filter((l) => l.startsWith('name:'))).toHaveLength(1);
  });

  it('trace JSON files: a BOM is read, duplicate keys and deep nesting are one line each', async () => {
    const good = {
      format: 'fleetsim-trace',
      version: 1,
      name: 'ok',
      description: '',
      source: '',
      licence: '',
      attribution: '',
      resolution: 1,
      duration: 10,
      requests: 3,
      gaps: [0, 4],
      counts: [1, 2],
    };
    const bom = join(TMP, 'bom.json');
    writeFileSync(bom, `\uFEFF${JSON.stringify(good)}`);
    expect((await fleetsim('trace', 'info', bom)).status).toBe(0);
    const dup = join(TMP, 'dup.json');
    writeFileSync(dup, JSON.stringify(good).replace('"name":"ok"', '"name":"ok","name":"again"'));
    expectOneLine(await fleetsim('trace', 'info', dup), 'dup.json', /line 1, column \d+: the key "name" appears twice/);
    const deep = join(TMP, 'deep.json');
    writeFileSync(deep, `${'['.repeat(100_000)}${']'.repeat(100_000)}`);
    expectOneLine(await fleetsim('trace', 'info', deep), 'deep.json');
  });

  it('trace import: file names, header names, cells and --name are quoted', async () => {
    const name = join(TMP, `bad\n${ESC}[2J.csv`);
    writeFileSync(name, `TIME${ESC}[2J,x\n1,2\n`);
    const out = join(TMP, 'import-out.json');
    const missing = expectOneLine(
      await fleetsim('trace', 'import', name, '--timestamp-column', `T\n${ESC}`, '--out', out),
      '"T\\n\\u001b"',
      '"TIME\\u001b[2J"',
    );
    expect(missing).toContain('bad\\n\\u001b[2J.csv');
    expect(existsSync(out)).toBe(false);
    const cells = join(TMP, 'cells.csv');
    writeFileSync(cells, `t\n1\n"2\n${ESC}[2J"\n`);
    expectOneLine(await fleetsim('trace', 'import', cells, '--timestamp-column', 't', '--out', out), '"2\\n\\u001b[2J" is not a timestamp');
    // the trace's default name is the file's base name: printed escaped, and so is --out
    const named = join(TMP, `n${ESC}[2J.csv`);
    writeFileSync(named, 't\n1\n2\n');
    const run = await fleetsim('trace', 'import', named, '--timestamp-column', 't', '--out', `${out}${ESC}`);
    expect(run.status, run.stderr).toBe(0);
    expect(run.stdout).not.toMatch(RAW_CONTROL);
    expect(run.stdout).toContain('"n\\u001b[2J": 2 requests');
    expect(run.stdout).toContain('import-out.json\\u001b"');
  });

  it('trace import: --out empty, a directory, below a file, or unwritable is one line, exit 2, nothing written', async () => {
    const csv = join(TMP, 'ok.csv');
    writeFileSync(csv, 't\n1\n2\n');
    const run = (out: string) => fleetsim('trace', 'import', csv, '--timestamp-column', 't', '--out', out);
    expectOneLine(await run(''), '--out is empty');
    expectOneLine(await run(TMP), 'is a directory');
    expectOneLine(await run(join(csv, 'x.json')), '--out', 'cannot write the trace (E');
    expectOneLine(await run('/proc/fleetsim-x.json'), '--out /proc/fleetsim-x.json: cannot write the trace (E');
    expectOneLine(
      await fleetsim('trace', 'import', csv, '--timestamp-column', 't', '--name', `a\n${ESC}[2J`, '--out', join(TMP, 'n.json')),
      '--name',
      '"a\\n\\u001b[2J"',
      'no control characters',
    );
    expect(existsSync(join(TMP, 'n.json'))).toBe(false);
  });

  it('trace import: a CSV over the size bound is refused before it is read', async () => {
    const big = join(TMP, 'big.csv');
    const fd = openSync(big, 'w');
    ftruncateSync(fd, MAX_CSV_BYTES + 1); // sparse: no disk used, nothing read
    closeSync(fd);
    expectOneLine(
      await fleetsim('trace', 'import', big, '--timestamp-column', '0', '--out', join(TMP, 'big.json')),
      `${MAX_CSV_BYTES + 1} bytes; allowed: a CSV of at most ${MAX_CSV_BYTES} bytes`,
    );
  });

  it('trace info: a trace file over the size bound is refused before it is read', async () => {
    const big = join(TMP, 'big.json');
    const fd = openSync(big, 'w');
    ftruncateSync(fd, MAX_TRACE_FILE_BYTES + 1);
    closeSync(fd);
    expectOneLine(
      await fleetsim('trace', 'info', big),
      `holds ${MAX_TRACE_FILE_BYTES + 1} bytes; allowed: a trace of at most ${MAX_TRACE_FILE_BYTES} bytes`,
    );
  });

  it('trace import: more lines than MAX_CSV_ROWS are refused before parsing', () => {
    expect(() => importTraceCsv('1\n'.repeat(MAX_CSV_ROWS + 1), { timestampColumn: 0, file: 'rows.csv' })).toThrow(
      `rows.csv: more than ${MAX_CSV_ROWS} lines; allowed: at most ${MAX_CSV_ROWS}`,
    );
  });

  it('the spawned CLI: one quoted line, exit 2', () => {
    const run = spawnSync(process.execPath, [BIN, 'paper', '--threads', `2${ESC}[2J\n`], { encoding: 'utf8', timeout: 30_000 });
    expectOneLine({ status: run.status ?? -1, stdout: run.stdout, stderr: run.stderr }, '--threads', '"2\\u001b[2J\\n"');
  });
});

describe('the serverless lifecycle (issue 12): a bad study is one line naming the field, exit 2, nothing written', () => {
  const agent = { T: 10, R: 0.1, P: 1, lambda: 1 };
  const cases: [string, Record<string, unknown>, string[]][] = [
    [
      'a negative keep-alive',
      { lifecycle: { keepAlive: -60 } },
      ['lifecycle.keepAlive: must be in [0, 3600] (seconds, or "never"), got -60'],
    ],
    ['an absurd cold start', { lifecycle: { coldStart: 1e9 } }, ['lifecycle.coldStart: must be in [0, 240] (seconds)']],
    ['a bandwidth of 0', { lifecycle: { loadBandwidth: 0 } }, ['lifecycle.loadBandwidth: must be in [0.2, 25] (GB/s), got 0']],
    ['a card that does not exist', { lifecycle: { memory: { gpu: 'B200' } } }, ['lifecycle.memory.gpu: must be one of', 'got "B200"']],
    [
      'a model larger than the card',
      { fleet: { agents: [agent, { ...agent, name: 'llama-70b', M: 140_000 }] }, lifecycle: { memory: { gpu: 'H100-80GB' } } },
      ['fleet.agents[1].M: agent 1 (llama-70b): its model (140000 MB) must fit', 'H100-80GB (80 GB) = 80000 MB'],
    ],
    [
      'a pinned set that does not fit',
      {
        fleet: {
          agents: [
            { ...agent, M: 10_000, pinned: true },
            { ...agent, M: 10_000, pinned: true },
          ],
        },
        lifecycle: { memory: { gpu: 'T4' } },
      },
      ["fleet.agents[1].pinned: the pinned agents' models (20000 MB together) must fit", 'T4 (16 GB) = 16000 MB'],
    ],
  ];
  it.each(cases)('%s: validate and sweep', async (_, fields, mentions) => {
    const file = join(TMP, 'lifecycle.json');
    writeFileSync(file, JSON.stringify({ name: 't', fleet: { preset: 'paper' }, steps: 20, ...fields }));
    expectOneLine(await fleetsim('validate', file), ...mentions);
    const out = join(TMP, 'lifecycle-out');
    expectOneLine(await fleetsim('sweep', file, '--out', out, '--backend', 'cpu'), ...mentions);
    expect(existsSync(out)).toBe(false);
  });
});

describe('several GPUs (issue 12, MODEL-PART4 §4.5): a bad study is one line naming the field, exit 2, nothing written', () => {
  const agent = { T: 10, R: 0.1, P: 1, lambda: 1, M: 9_000 };
  const cases: [string, Record<string, unknown>, string[]][] = [
    ['nine GPUs', { fleet: { preset: 'paper', gpus: 9 } }, ['fleet.gpus: must be in [1, 8] (GPUs per fleet), got 9']],
    [
      'a placement naming a missing GPU',
      { fleet: { agents: [agent, { ...agent, gpu: 3 }], gpus: 2 } },
      ["fleet.agents[1].gpu: must be an integer from 0 to 1 (the fleet's gpus − 1), got 3"],
    ],
    [
      'an agent that fits no GPU',
      { fleet: { agents: [agent, agent, agent], gpus: 2 }, lifecycle: { memory: { gpu: 'T4' } } },
      ["fleets[0].agents[2].M: must fit one of the fleet's 2 GPUs", '16000 MB each', 'got 9000 MB'],
    ],
    [
      'a pool with a given gpu',
      { fleet: { agents: [agent, { ...agent, gpu: 1 }], gpus: 2, gpuMode: 'pool' } },
      ['fleet.agents[1].gpu: must be absent in a pool', 'use gpuMode "placement"'],
    ],
    [
      'a pool under fixedShares',
      { fleet: { preset: 'paper', gpus: 2, gpuMode: 'pool' }, policies: ['static', 'fixedShares'] },
      ['policies[1]: in a pool of GPUs', 'fixedShares has no pool form', 'use gpuMode "placement"'],
    ],
    [
      'a pool whose pinned agents do not fit',
      {
        fleet: {
          agents: [
            { ...agent, pinned: true },
            { ...agent, pinned: true },
            { ...agent, pinned: true },
          ],
          gpus: 2,
          gpuMode: 'pool',
        },
        lifecycle: { memory: { gpu: 'T4' } },
      },
      ["agents[2].pinned: the pinned agents must fit the pool's 2 GPUs (16000 MB each)"],
    ],
  ];
  it.each(cases)('%s: validate and sweep', async (_, fields, mentions) => {
    const file = join(TMP, 'gpus.json');
    writeFileSync(file, JSON.stringify({ name: 't', fleet: { preset: 'paper' }, steps: 20, ...fields }));
    expectOneLine(await fleetsim('validate', file), ...mentions);
    const out = join(TMP, 'gpus-out');
    expectOneLine(await fleetsim('sweep', file, '--out', out, '--backend', 'cpu'), ...mentions);
    expect(existsSync(out)).toBe(false);
  });
});

describe('resource options: strict decimal numbers, bounded (class 8)', () => {
  const cases: [string[], string, string][] = [
    [['paper', '--threads', '1024'], '--threads', `from 1 to ${MAX_THREADS}`],
    [['paper', '--threads', '0'], '--threads', 'from 1 to'],
    [['paper', '--lmax', '0x10'], '--lmax', '≤ 1,000,000,000'],
    [['paper', '--lmax', '0b1'], '--lmax', 'decimal notation'],
    [['paper', '--lmax', 'Infinity'], '--lmax', 'decimal notation'],
    [['paper', '--lmax', ' 5'], '--lmax', 'decimal notation'],
    [['paper', '--lmax', '1.7e308'], '--lmax', `≤ ${LIMITS.lmax.toLocaleString('en-US')}`],
    [['paper', '--lmax', '1e309'], '--lmax', '> 0'],
    [['paper', '--lmax', '0'], '--lmax', '> 0'],
    [['paper', '--steps', '1e3'], '--steps', 'an integer from 1 to 1,000,000,000'],
    [['paper', '--steps', '1000000001'], '--steps', 'from 1 to 1,000,000,000'],
    [['paper', '--steps', '0x10'], '--steps', 'from 1 to'],
    [['montecarlo', '--fleets', String(LIMITS.samples + 1)], '--fleets', `from 1 to ${LIMITS.samples.toLocaleString('en-US')}`],
    [['montecarlo', '--seed', '1.5'], '--seed', 'from 0 to 2^53 − 1'],
    [['montecarlo', '--seed', '0x1'], '--seed', 'from 0 to 2^53 − 1'],
    [['montecarlo', '--lmax', '1e10'], '--lmax', '≤ 1,000,000,000'],
    [['bench', '--budget', '1e6'], '--budget', '≤ 86,400'],
    [['bench', '--budget', 'NaN'], '--budget', '> 0'],
    [['bench', '--repeats', '1001'], '--repeats', 'from 1 to 1,000'],
    [['sweep', 'sweeps/montecarlo.json', '--out', 'never', '--batch-size', '0'], '--batch-size', 'from 1 to'],
    [['sweep', 'sweeps/montecarlo.json', '--out', 'never', '--shard', '0x1/2'], '--shard', 'I/N'],
    [['sweep', 'sweeps/montecarlo.json', '--out', 'never', '--shard', ' 1/2'], '--shard', 'I/N'],
    [
      ['trace', 'import', 'x.csv', '--timestamp-column', '0', '--out', 'y.json', '--resolution', '1e-7'],
      '--resolution',
      'from 0.000001 to 3,600',
    ],
    [['trace', 'import', 'x.csv', '--timestamp-column', '0', '--out', 'y.json', '--resolution', '0x1'], '--resolution', 'decimal notation'],
  ];
  it.each(cases)('%j: exit 2, names the option and its range', async (args, option, range) => {
    expectOneLine(await fleetsim(...args), option, range);
    expect(existsSync(join(ROOT, 'never'))).toBe(false);
  });

  it('--threads takes up to twice the cores, at least 4 (tests pass 2 and 3 on 2-core runners)', () => {
    expect(MAX_THREADS).toBeGreaterThanOrEqual(4);
  });

  it('paper --json at the largest --lmax prints finite numbers, no null', async () => {
    const run = await fleetsim('paper', '--backend', 'cpu', '--threads', '1', '--steps', '20', '--lmax', String(LIMITS.lmax), '--json');
    expect(run.status, run.stderr).toBe(0);
    const numbers: unknown[] = [];
    JSON.parse(run.stdout, (key, value: unknown) => {
      if (key !== 'adapter' && (value === null || typeof value === 'number')) numbers.push(value);
      return value;
    });
    expect(numbers.length).toBeGreaterThan(10);
    for (const x of numbers) expect(Number.isFinite(x), String(x)).toBe(true);
  });

  it('finiteJson refuses NaN and ±Infinity instead of printing null', () => {
    expect(() => finiteJson({ static: { avgLatency: NaN } })).toThrow(/"avgLatency" is NaN/);
    expect(() => finiteJson({ cost: Infinity })).toThrow(/"cost" is Infinity/);
    expect(finiteJson({ a: 1, b: null })).toBe('{\n  "a": 1,\n  "b": null\n}');
  });
});

describe('cells.csv: formula prefixes neutralised in text cells (class 7)', () => {
  const stat = (mean: number) => ({
    n: 2,
    mean,
    std: 0,
    ci95: [mean, mean] as [number, number],
    min: mean,
    max: mean,
    p50: mean,
    p90: mean,
    p99: mean,
  });
  const labels = ['=HYPERLINK("http://x","y")', '+1+2', '-x', '@SUM(A1)', '\tx', '\rx', "'quoted", 'plain'];
  const table: SummaryTable = {
    format: SUMMARY_FORMAT,
    study: 's',
    studyHash: '',
    seed: 0,
    axes: [
      { name: '=axis', values: labels },
      { name: 'n', values: [-3] },
    ],
    policies: ['static'],
    metrics: ['avgLatency'],
    quantiles: '',
    cells: labels.map((label, cell) => ({
      cell,
      values: { '=axis': label, n: -3 },
      fleetRuns: 2,
      policies: [{ policy: 'static', metrics: { avgLatency: stat(-1.5) } }],
      pairs: [],
      verdicts: [],
      warnings: [],
    })),
  };

  it('a text cell starting with = + - @ tab CR (or the marking quote) gets a leading quote and is quoted; numbers stay numbers', () => {
    const text = cellsCsv(table);
    const records = csvRecords(text);
    expect(records[0]!.fields.slice(0, 3)).toEqual(['cell', "'=axis", 'n']);
    expect(text.split('\n')[0]!.startsWith('cell,"\'=axis",n,')).toBe(true);
    const column = records.slice(1).map((r) => r.fields[1]);
    expect(column).toEqual(['\'=HYPERLINK("http://x","y")', "'+1+2", "'-x", "'@SUM(A1)", "'\tx", "'\rx", "''quoted", 'plain']);
    for (const row of text.split('\n').slice(1, -1)) {
      if (!row.includes('plain')) expect(row).toMatch(/^\d+,"'/);
      expect(row).toContain(',-3,static,2,-1.5,'); // negative numbers unquoted
    }
  });

  it('reads back to the same labels, and writes the same bytes again', () => {
    const text = cellsCsv(table);
    const back = parseCellsCsv(text, 'cells.csv');
    expect(back.axes.map((a) => a.name)).toEqual(['=axis', 'n']);
    expect(back.cells.map((c) => c.values['=axis'])).toEqual(labels);
    expect(back.cells.map((c) => c.values.n)).toEqual(labels.map(() => -3));
    expect(cellsCsv(back)).toBe(text);
  });

  it('messages about a bad cells.csv quote the file name and the cell', () => {
    const text = cellsCsv(table).replace(',-1.5,', `,"x${ESC}[2J",`);
    expect(() => parseCellsCsv(text, `c${ESC}.csv`)).toThrow(
      /^"c\\u001b\.csv": line 2, column avgLatency_mean: "x\\u001b\[2J" is not a number$/,
    );
  });
});
