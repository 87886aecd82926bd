/**
 * What a user sees on the terminal around a sweep (issue 16): the summary after it (mean ± CI, the
 * verdicts and warnings verbatim, the fraction of unstable runs, a pointer past the shown cells, the
 * report/view commands), the header before the progress bar and a bar that moves per unit, `--quiet`,
 * `--out` required, Dawn's log kept off stderr unless `--verbose`; `validate`'s warnings, estimate and
 * per-agent loads; `init`. The CLI runs built (dist/, as test/cli.test.ts), the formatting in process.
 */
import { spawnSync } from 'node:child_process';
import { closeSync, existsSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { agentLoads, roughDuration, scheduleWarnings } from '../src/cli/validate.js';
import { parseAgents } from '../src/cli/init.js';
import { estimate, shellPath, SUMMARY_CELLS, sweepSummary, winnerLines } from '../src/cli/summary.js';
import { loadStudy, runSweepCommand } from '../src/cli/sweep.js';
import { expandStudy } from '../src/study/cells.js';
import { cpuEngine } from '../src/platform/nodeEngine.js';
import { openNodeGpu } from '../src/platform/node.js';
import type { StatSummary } from '../src/stats/index.js';
import type { CellSummary, Verdict } from '../src/sweep/aggregate.js';
import { WHOLE } from '../src/sweep/plan.js';
import { PAPER_AGENTS } from '../src/model/paper.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const BIN = join(ROOT, 'bin', 'fleetsim.js');
const BUILT = join(ROOT, 'dist', 'src', 'cli', 'main.js');
const dir = mkdtempSync(join(tmpdir(), 'fleetsim-cli-summary-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

interface Run {
  status: number | null;
  stdout: string;
  stderr: string;
}

/** The built CLI in a child; stderr into a file when `stderrFile` (a socket cannot be silenced, src/platform/node.ts). */
function fleetsim(args: string[], stderrFile?: string): Run {
  if (!existsSync(BUILT)) throw new Error(`${BUILT} is missing: run \`npm run build\` first (npm test does)`);
  const fd = stderrFile === undefined ? undefined : openSync(stderrFile, 'w');
  try {
    const child = spawnSync(process.execPath, [BIN, ...args], {
      cwd: ROOT,
      env: { ...process.env, XDG_RUNTIME_DIR: '/tmp' },
      encoding: 'utf8',
      timeout: 120_000,
      stdio: ['ignore', 'pipe', fd ?? 'pipe'],
    });
    if (child.error) throw child.error;
    return { status: child.status, stdout: child.stdout, stderr: fd === undefined ? child.stderr : readFileSync(stderrFile!, 'utf8') };
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/** A command's --help text from the built CLI. */
function fleetsimHelp(command: string): string {
  const result = spawnSync(process.execPath, [BIN, command, '--help'], { cwd: ROOT, encoding: 'utf8', timeout: 60_000 });
  return result.stdout;
}

const stat = (mean: number, hw: number, n = 40): StatSummary => ({
  n,
  mean,
  std: null,
  ci95: [mean - hw, mean + hw],
  min: mean,
  max: mean,
  p50: mean,
  p90: mean,
  p99: mean,
});

const VERDICT_TEXT = 'static is better by 12.3 ± 0.4 s in 100 % of paired runs (95 % CI 99.6–100 %)';
const WARNING = 'adaptive: the queue of agent "planner" grows in 35 % of runs; its latency depends on the run length';

function cell(index: number, extra: Partial<CellSummary> = {}): CellSummary {
  const policy = (name: string, latency: number, unstable?: number): CellSummary['policies'][number] => ({
    policy: name,
    metrics: {
      avgLatency: stat(latency, latency / 100),
      throughput: stat(90, 0.12),
      ...(unstable === undefined ? {} : { unstable: stat(unstable, 0.01) }),
    },
  });
  return {
    cell: index,
    values: { loadScale: index },
    fleetRuns: 40,
    policies: [policy('static', 10, 0), policy('adaptive', 22.3, 0.35)],
    pairs: [
      {
        a: 'static',
        b: 'adaptive',
        n: 40,
        aWins: 40,
        bWins: 0,
        ties: 0,
        aWinFraction: 1,
        bWinFraction: 0,
        latencyChange: null,
        undefinedChange: 0,
      },
    ],
    verdicts: [],
    warnings: [],
    ...extra,
  };
}

const verdict = (metric: string, text: string): Verdict => ({
  a: 'static',
  b: 'adaptive',
  metric,
  better: 'lower',
  unit: 's',
  n: 40,
  aWins: 40,
  bWins: 0,
  ties: 0,
  difference: stat(12.3, 0.4),
  winner: 'static',
  winnerWins: 40,
  winFraction: 1,
  winFractionCi95: [0.996, 1],
  relativeChange: 1.23,
  unstable: true,
  text,
});

const STUDY = expandStudy({ name: 'summary-test', fleet: { preset: 'paper' }, policies: ['static', 'adaptive'] }).study;
const outcome = (cells: CellSummary[]): Parameters<typeof sweepSummary>[0] => ({
  dir: join(dir, 'a dir'),
  study: STUDY,
  times: { engineSeconds: 1, totalSeconds: 2, fleetRuns: 40 * cells.length, runs: 80 * cells.length, agentSteps: 1 },
  resumedUnits: 0,
  summary: cells,
});
const ENGINE = { name: 'cpu', adapter: '1 thread' } as const;

describe('the summary after a sweep', () => {
  it('prints each policy’s mean ± CI half-width, the avgLatency verdict and the warnings verbatim, the unstable fraction', () => {
    const text = sweepSummary(
      outcome([cell(0, { verdicts: [verdict('avgLatency', VERDICT_TEXT), verdict('throughput', 'not printed')], warnings: [WARNING] })]),
      ENGINE,
    );
    expect(text).toContain(VERDICT_TEXT);
    expect(text).not.toContain('not printed'); // the winner is the avgLatency verdict
    expect(text).toContain(`WARNING: ${WARNING}`);
    expect(text).toMatch(/static\s+10\.00 ± 0\.10\s+90\.00 ± 0\.12\s+0 %/);
    expect(text).toMatch(/adaptive\s+22\.30 ± 0\.22\s+90\.00 ± 0\.12\s+35 %/);
    expect(text).toContain('unstable runs');
    // the commands to open the results, the directory quoted for a shell
    expect(text).toContain(`fleetsim report '${join(dir, 'a dir')}'`);
    expect(text).toContain(`fleetsim view '${join(dir, 'a dir')}'`);
    expect(text).not.toContain('more cells');
  });

  it('without verdicts (none in the summary), names the lowest mean and its paired win fractions; no unstable column without the metric', () => {
    const plain = cell(0);
    for (const p of plain.policies) delete p.metrics.unstable;
    expect(winnerLines(plain)).toEqual(['lowest mean avgLatency: static; its latency was lower than adaptive in 100 % of paired runs']);
    expect(sweepSummary(outcome([plain]), ENGINE)).not.toContain('unstable runs');
  });

  it('with the lifecycle (costResident defined): the cold delay, cold starts and resident cost columns, and their legend', () => {
    const serverless = cell(0);
    serverless.policies.forEach((p, k) =>
      Object.assign(p.metrics, {
        coldDelay: stat(0.25 * (k + 1), 0.01),
        coldStartsPerHour: stat(120, 3),
        costResident: stat(0.0123, 0.001),
      }),
    );
    const text = sweepSummary(outcome([serverless]), ENGINE);
    expect(text).toContain('cold delay (s)  cold starts/h  resident cost ($)');
    expect(text).toMatch(/static .* 0\.250 +120 +0\.0123\n/);
    expect(text).toMatch(/adaptive .* 0\.500 +120 +0\.0123\n/);
    expect(text).toContain('resident cost: $ while any model is on the GPU');
    // without it (the metrics NaN: no statistics), no column
    const off = cell(0);
    off.policies.forEach((p) => Object.assign(p.metrics, { coldDelay: null, costResident: null }));
    expect(sweepSummary(outcome([off]), ENGINE)).not.toContain('cold delay');
  });

  it(`shows the first ${SUMMARY_CELLS} cells of a larger sweep, then points to the files and the report`, () => {
    const cells = Array.from({ length: 30 }, (_, i) => cell(i));
    const text = sweepSummary(outcome(cells), ENGINE);
    expect(text).toContain(`… 6 more cells: cells.csv / summary.json in`);
    expect(text).toContain('`fleetsim report');
    expect(text).toMatch(new RegExp(`\\n\\s+${SUMMARY_CELLS - 1}\\s+loadScale=${SUMMARY_CELLS - 1}\\s`));
    expect(text).not.toMatch(new RegExp(`\\n\\s+${SUMMARY_CELLS}\\s+loadScale=${SUMMARY_CELLS}\\s`));
  });

  it('writes a mean to the precision its half-width has, and a shell-safe directory', () => {
    expect(estimate(stat(832.500075, 0.000023))).toEqual(['832.500075', '± 0.000023']);
    expect(estimate(stat(12.26, 0.18))).toEqual(['12.26', '± 0.18']);
    expect(estimate({ ...stat(5, 0), ci95: [null, null] })).toEqual(['5.000', '']);
    expect(estimate(null)).toEqual(['–', '']);
    expect(shellPath('results/x-1')).toBe('results/x-1');
    expect(shellPath("it's here")).toBe(`'it'\\''s here'`);
    expect(shellPath('a\nb')).toBe('"a\\nb"'); // a control character is escaped, never printed
  });
});

describe('fleetsim sweep on the terminal', () => {
  it('prints the header before the first bar, a bar that advances once per unit, then the summary', async () => {
    const study = join(dir, 'three-units.json');
    writeFileSync(
      study,
      JSON.stringify({
        name: 'bar',
        fleet: { preset: 'paper' },
        steps: 20,
        replicates: 4,
        axes: [{ path: 'loadScale', values: [0.5, 1, 2] }],
      }),
    );
    const loaded = await loadStudy(study);
    const log: { stream: 'out' | 'err'; text: string }[] = [];
    const progress: number[] = [];
    const out = process.stdout.write.bind(process.stdout);
    const err = process.stderr.write.bind(process.stderr);
    const tty = Object.getOwnPropertyDescriptor(process.stderr, 'isTTY');
    Object.defineProperty(process.stderr, 'isTTY', { value: true, configurable: true }); // cli-progress draws only on a terminal
    process.stdout.write = (text: string) => log.push({ stream: 'out', text: String(text) }) > 0;
    process.stderr.write = (text: string) => log.push({ stream: 'err', text: String(text) }) > 0;
    try {
      await runSweepCommand(study, loaded, cpuEngine(1), {
        out: join(dir, 'bar-out'),
        shard: WHOLE,
        resume: false,
        quiet: false,
        onProgress: (n) => progress.push(n),
      });
    } finally {
      process.stdout.write = out;
      process.stderr.write = err;
      if (tty) Object.defineProperty(process.stderr, 'isTTY', tty);
      else delete (process.stderr as { isTTY?: boolean }).isTTY;
    }
    const header = log.findIndex((w) => w.stream === 'out' && w.text.startsWith('fleetsim sweep bar: 3 cells'));
    const firstBar = log.findIndex((w) => w.stream === 'err' && w.text.includes('sweep |'));
    expect(header, JSON.stringify(log.slice(0, 4))).toBeGreaterThanOrEqual(0);
    expect(firstBar).toBeGreaterThan(header);
    // one unit per cell (4 fleet runs each): the bar is updated after each (it redraws at most 10 times a second)
    expect(progress).toEqual([4, 8, 12]);
    expect(log.some((w) => w.stream === 'err' && w.text.includes('12/12 fleet runs'))).toBe(true);
  });

  it('--quiet prints nothing on stdout; without it, the summary with both commands', () => {
    const study = join(dir, 'small.json');
    writeFileSync(
      study,
      JSON.stringify({
        name: 'small',
        fleet: { preset: 'paper' },
        steps: 20,
        replicates: 3,
        policies: ['static', 'roundRobin', 'adaptive'],
      }),
    );
    const quiet = fleetsim(['sweep', study, '--out', join(dir, 'q'), '--backend', 'cpu', '--threads', '1', '--quiet']);
    expect(quiet.status, quiet.stderr).toBe(0);
    expect(quiet.stdout).toBe('');
    const loud = fleetsim(['sweep', study, '--out', join(dir, 'l'), '--backend', 'cpu', '--threads', '1']);
    expect(loud.status, loud.stderr).toBe(0);
    const lines = loud.stdout.split('\n');
    expect(lines[0]).toBe('fleetsim sweep small: 1 cell × 1 sample × 3 replicates = 3 fleet runs × 3 policies (1 unit of work)');
    expect(loud.stdout).toMatch(/static\s+\d+\.\d+ ± \d+\.\d+/);
    // the §4.7 columns: Jain's index (the paper fleet serves every agent its arrivals: 1.000 under static) and the fraction below R·G
    expect(loud.stdout).toMatch(/policy\s+avgLatency \(s\)\s+throughput \(req\/s\)\s+unstable runs\s+Jain\s+below min share/);
    expect(loud.stdout).toMatch(/static\s+\S+ ± \S+\s+\S+ ± \S+\s+\S+ %\s+\d\.\d{3}\s+\d+(\.\d)? %/);
    // the winner is summary.json's verdict, word for word
    const summary = JSON.parse(readFileSync(join(dir, 'l', 'summary.json'), 'utf8')) as { cells: CellSummary[] };
    const texts = summary.cells[0]!.verdicts.filter((v) => v.metric === 'avgLatency').map((v) => v.text);
    expect(texts.length).toBeGreaterThan(0);
    expect(texts.some((t) => loud.stdout.includes(`winner: ${t}`))).toBe(true);
    expect(loud.stdout).toContain(`fleetsim report ${join(dir, 'l')}`);
    expect(loud.stdout).toContain(`fleetsim view ${join(dir, 'l')}`);
  });

  it('without --out exits with code 2 and one line naming it; --help shows it in the usage', () => {
    const run = fleetsim(['sweep', 'sweeps/my-fleet-example.json']);
    expect(run.status).toBe(2);
    expect(run.stdout).toBe('');
    const lines = run.stderr.split('\n').filter((l) => l.trim() !== '');
    expect(lines, run.stderr).toHaveLength(1);
    expect(lines[0]).toContain("required option '--out <dir>' not specified");
    expect(fleetsim(['sweep', '--help']).stdout).toContain('Usage: fleetsim sweep <study> --out <dir> [options]');
  });
});

// Probe once (silenced), then release the device: the children open their own.
const probe = await openNodeGpu();
const hasAdapter = probe !== null;
probe?.close();

/** A child that opens the GPU as the CLI does (openNodeGpu: adapter and device, no kernels to compile), stderr into a file. */
function openGpuChild(dawnLog: boolean, file: string): string {
  const script = `const m = await import(${JSON.stringify(join(ROOT, 'dist', 'src', 'platform', 'node.js'))});
    const gpu = await m.openNodeGpu({ dawnLog: ${dawnLog} }); process.stderr.write('after: ' + (gpu !== null) + '\\n'); gpu?.close();`;
  const fd = openSync(file, 'w');
  try {
    const child = spawnSync(process.execPath, ['--input-type=module', '-e', script], {
      env: { ...process.env, XDG_RUNTIME_DIR: '/tmp' },
      stdio: ['ignore', 'ignore', fd],
      timeout: 120_000,
    });
    expect(child.status).toBe(0);
  } finally {
    closeSync(fd);
  }
  return readFileSync(file, 'utf8');
}

describe.skipIf(!hasAdapter || process.platform === 'win32')("Dawn's log", () => {
  it('stays off stderr (a file here; a terminal or a pipe alike) unless asked for (--verbose), and stderr works after', () => {
    const quiet = openGpuChild(false, join(dir, 'quiet.err'));
    expect(quiet).toBe('after: true\n'); // restored: the process's own line is there, Dawn's are not
    const verbose = openGpuChild(true, join(dir, 'verbose.err'));
    // lavapipe and most Vulkan drivers: Dawn warns that it reduced two limits
    expect(verbose).toMatch(/Warning: .*artificially reduced/);
    expect(verbose).toContain('after: true\n');
  });
});

it('--verbose is an option of every command that opens a GPU engine', () => {
  for (const command of ['paper', 'montecarlo', 'sweep', 'demo']) expect(fleetsimHelp(command), command).toContain('--verbose');
});

describe('fleetsim validate', () => {
  it('prints the work estimate and each agent’s load, warning about the unstable ones (exit 0)', () => {
    const run = fleetsim(['validate', 'sweeps/my-fleet-example.json']);
    expect(run.status, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/estimate \(rough\): at most \d+(\.\d+)? (ms|s|min) of engine time on this machine's CPU engine/);
    expect(run.stdout).toMatch(/cell 0 \(loadScale=0\.5\): each agent's offered load/);
    expect(run.stdout).toMatch(/router\s+25\s+400\s+0\.38\s+0\.38\s+0\.19/);
    expect(run.stdout).toMatch(/warning: unstable: router under static \(1\.13\)/);
    expect(run.stdout).toContain('results depend on run length (docs/STABILITY.md)');
  });

  it('computes λ/(T·g) from the policies’ own allocation: the paper fleet, round-robin at its mean share G/N', () => {
    const { study } = expandStudy({ name: 'p', fleet: { preset: 'paper' } });
    const loads = agentLoads(study);
    expect(loads.map((a) => a.name)).toEqual(PAPER_AGENTS.map((a) => a.name));
    for (const [i, a] of PAPER_AGENTS.entries()) {
      expect(loads[i]!.load.static).toBeCloseTo(a.lambda / (a.T / 4), 12);
      expect(loads[i]!.load.roundRobin).toBeCloseTo(a.lambda / (a.T / 4), 12);
    }
    // coordinator 80/(100·g), g from Algorithm 1 (MODEL.md): the paper's fleet is overloaded under every policy
    expect(Math.min(...loads.map((a) => Math.max(...Object.values(a.load))))).toBeGreaterThan(1);
  });

  it('warns about a schedule entry the recorded steps never see (exit 0), and a valid study stays valid', () => {
    const file = join(dir, 'schedule.json');
    const study = {
      name: 's',
      fleet: { preset: 'paper' },
      steps: 100,
      warmup: 20,
      schedule: [
        { agents: 'all', from: 150, multiplier: 2 },
        { agents: ['nlp'], from: 0, to: 10, multiplier: 3 },
        { agents: ['nlp'], from: 10, to: 50, multiplier: 3 },
      ],
    };
    writeFileSync(file, JSON.stringify(study));
    const run = fleetsim(['validate', file]);
    expect(run.status, run.stderr).toBe(0);
    expect(run.stdout).toContain(
      "warning: schedule[0] starts at 150 s, at or after the run's end (100 steps of 1 s = 100 s): it never takes effect",
    );
    expect(run.stdout).toContain('warning: schedule[1] ends at 10 s, within the warm-up');
    expect(run.stdout).not.toContain('schedule[2]');
    expect(scheduleWarnings(expandStudy({ ...study, schedule: [study.schedule[2]] }).cells, [])).toEqual([]);
  });

  it('says rough durations in units a person reads', () => {
    expect([0.0004, 0.036, 12, 300, 10_000, 500_000].map(roughDuration)).toEqual(['1 ms', '36 ms', '12 s', '5.0 min', '2.8 h', '5.8 days']);
  });
});

describe('fleetsim init', () => {
  it('writes a starter study that validates, and refuses to overwrite it (exit 2, one line)', () => {
    const file = join(dir, 'mine.json');
    const run = fleetsim(['init', file, '--agents', 'planner,coder,critic']);
    expect(run.status, run.stderr).toBe(0);
    expect(run.stdout).toContain(`fleetsim validate ${file}`);
    const json = JSON.parse(readFileSync(file, 'utf8')) as { $comment: string[]; fleet: { agents: { name: string }[] } };
    expect(json.fleet.agents.map((a) => a.name)).toEqual(['planner', 'coder', 'critic']);
    expect(json.$comment.join(' ')).toContain('lambda');
    const valid = fleetsim(['validate', file]);
    expect(valid.status, valid.stderr).toBe(0);
    expect(valid.stdout).toContain('valid.');
    const before = readFileSync(file, 'utf8');
    const again = fleetsim(['init', file]);
    expect(again.status).toBe(2);
    expect(again.stdout).toBe('');
    expect(again.stderr.trim().split('\n')).toHaveLength(1);
    expect(again.stderr).toContain('already exists');
    expect(readFileSync(file, 'utf8')).toBe(before);
  });

  it('- writes the study to stdout; a count names the agents; a bad --agents is one line, exit 2', () => {
    const run = fleetsim(['init', '-', '--agents', '6']);
    expect(run.status, run.stderr).toBe(0);
    const study = expandStudy(JSON.parse(run.stdout));
    expect('agents' in study.study.fleet && study.study.fleet.agents.map((a) => a.name)).toEqual(
      [1, 2, 3, 4, 5, 6].map((i) => `agent-${i}`),
    );
    const r = fleetsim(['init', '-', '--agents', 'a,a']);
    expect(r.status).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr.trim()).toBe('fleetsim: --agents: the names must be distinct; got "a,a"');
    for (const bad of ['0', '65', 'x y', '', 'a,,b']) expect(() => parseAgents(bad), bad).toThrow(/^--agents: /);
    expect(parseAgents(' planner , coder ')).toEqual(['planner', 'coder']);
  });
});
