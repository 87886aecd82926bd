/**
 * The `fleetsim` command as a user runs it: the built CLI (bin/fleetsim.js → dist/, which `npm test`
 * builds first) in a child process. Checks the paper figures on each backend, the JSON shapes, and that
 * every user mistake exits with code 2 and one short message — no stack trace, nothing on stdout.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { MODEL_TABLE_II } from '../src/model/paper.js';
import { PAPER_POLICIES, type PaperPolicyName } from '../src/model/policies.js';
import { openNodeGpu } from '../src/platform/node.js';
import type { MonteCarloResult } from '../src/cli/montecarlo.js';
import type { SummaryTable } from '../src/results/tables.js';
import type { PairStats } from '../src/sweep/aggregate.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const BIN = join(ROOT, 'bin', 'fleetsim.js');
const BUILT = join(ROOT, 'dist', 'src', 'cli', 'main.js');

// avgLatency is printed to 3 decimals; the CPU engine (f64) must round to MODEL_TABLE_II's figures.
const LATENCY_TOLERANCE = 0.0006;

// Probe once, then release the device: the children open their own.
const probe = await openNodeGpu();
const hasAdapter = probe !== null;
probe?.close();
const inCI = process.env.CI === 'true';
const NO_ADAPTER_REASON = 'skipped: no WebGPU adapter (Dawn found no Vulkan driver; install Mesa lavapipe, see README)';

// Hiding every Vulkan driver from the loader is how the tests simulate a machine without an adapter;
// that only removes all adapters where Dawn's sole backend is Vulkan, i.e. on Linux.
const NO_VULKAN = { VK_ICD_FILENAMES: '/nonexistent.json', VK_DRIVER_FILES: '/nonexistent.json', VK_ADD_DRIVER_FILES: undefined };

interface Run {
  status: number | null;
  stdout: string;
  stderr: string;
}

function fleetsim(args: string[], env: NodeJS.ProcessEnv = {}): Run {
  if (!existsSync(BUILT)) throw new Error(`${BUILT} is missing: run \`npm run build\` first (npm test does)`);
  const child = spawnSync(process.execPath, [BIN, ...args], {
    cwd: ROOT,
    env: { ...process.env, XDG_RUNTIME_DIR: '/tmp', ...env },
    encoding: 'utf8',
    timeout: 120_000,
  });
  if (child.error) throw child.error;
  return { status: child.status, stdout: child.stdout, stderr: child.stderr };
}

/**
 * stderr without Dawn's own log: "Warning: …" lines (limits reduced on every device, and the Vulkan
 * loader's complaints without a driver), the C++ source locations Dawn indents under them, blank lines.
 */
function ownStderr(stderr: string): string[] {
  return stderr
    .split('\n')
    .filter((line) => line.trim() !== '' && !line.startsWith('Warning:') && !/^\s+at \S+ \(.*\.(cpp|h|mm):\d+\)$/.test(line));
}

/** A user-facing message: no JavaScript stack frames or file positions. */
function expectNoStackTrace(lines: string[]): void {
  for (const line of lines) {
    expect(line).not.toMatch(/^\s+at /);
    expect(line).not.toMatch(/\.[cm]?[jt]s:\d+/);
  }
}

const AGENT_KEYS = ['name', 'latency', 'throughput', 'share', 'meanQueue', 'finalQueue'];
const POLICY_KEYS = ['avgLatency', 'throughput', 'capacityThroughput', 'cost', 'utilization', 'crossAgentStd', 'perAgent'];

type PaperJson = { backend: string } & Record<PaperPolicyName, Record<string, unknown> & { avgLatency: number }>;

/** Parses `paper --json` output and checks its shape. */
function paperJson(stdout: string): PaperJson {
  const json = JSON.parse(stdout) as PaperJson;
  for (const policy of PAPER_POLICIES) {
    const s = json[policy];
    expect(Object.keys(s), policy).toEqual(expect.arrayContaining(POLICY_KEYS));
    for (const key of POLICY_KEYS.filter((k) => k !== 'perAgent')) expect(typeof s[key], `${policy}.${key}`).toBe('number');
    const agents = s.perAgent as Record<string, unknown>[];
    expect(agents).toHaveLength(4);
    for (const agent of agents) expect(Object.keys(agent).sort()).toEqual([...AGENT_KEYS].sort());
  }
  return json;
}

describe('fleetsim paper', () => {
  it('--json --backend cpu prints one JSON object with the model figures of Table II', () => {
    const run = fleetsim(['paper', '--json', '--backend', 'cpu']);
    expect(run.status, run.stderr).toBe(0);
    const json = paperJson(run.stdout);
    expect(json.backend).toBe('cpu');
    for (const policy of PAPER_POLICIES) {
      const latency = json[policy].avgLatency;
      expect(Math.abs(latency - MODEL_TABLE_II.avgLatency[policy]), `${policy}: ${latency}`).toBeLessThanOrEqual(LATENCY_TOLERANCE);
    }
  });

  it('prints the tables as text by default', () => {
    const run = fleetsim(['paper', '--backend', 'cpu']);
    expect(run.status, run.stderr).toBe(0);
    expect(run.stdout).toContain('avgLatency');
    expect(run.stdout).toContain('110.258');
  });

  describe.skipIf(!hasAdapter && !inCI)(`with a WebGPU adapter${hasAdapter || inCI ? '' : ` (${NO_ADAPTER_REASON})`}`, () => {
    it('the default backend (auto) runs on the GPU with the same figures to 3 decimals', () => {
      expect(hasAdapter, 'CI=true requires a WebGPU adapter, and openNodeGpu() found none').toBe(true);
      const run = fleetsim(['paper', '--json']);
      expect(run.status, run.stderr).toBe(0);
      expect(ownStderr(run.stderr)).toEqual([]);
      const json = paperJson(run.stdout);
      expect(json.backend).toBe('gpu');
      for (const policy of PAPER_POLICIES) {
        expect(json[policy].avgLatency.toFixed(3), policy).toBe(MODEL_TABLE_II.avgLatency[policy].toFixed(3));
      }
    });
  });
});

describe.skipIf(process.platform !== 'linux')(
  `without a WebGPU adapter${process.platform === 'linux' ? '' : ' (skipped: simulated by hiding the Vulkan drivers, Linux only)'}`,
  () => {
    it('--backend gpu exits with code 2 and one line saying so', () => {
      const run = fleetsim(['paper', '--backend', 'gpu'], NO_VULKAN);
      const lines = ownStderr(run.stderr);
      expect(run.status, run.stderr).toBe(2);
      expect(lines).toHaveLength(1);
      expect(lines[0]).toContain('no WebGPU adapter');
      expectNoStackTrace(lines);
      expect(run.stdout).toBe('');
    });

    it('--backend auto falls back to the CPU with a one-line notice', () => {
      const run = fleetsim(['paper', '--backend', 'auto', '--json'], NO_VULKAN);
      const lines = ownStderr(run.stderr);
      expect(run.status, run.stderr).toBe(0);
      expect(lines).toHaveLength(1);
      expect(lines[0]).toContain('no WebGPU adapter');
      expect((JSON.parse(run.stdout) as { backend: string }).backend).toBe('cpu');
    });
  },
);

describe('bad input', () => {
  // Each mistake names the option and what it allows; commander adds the pointer to --help.
  it.each([
    { args: ['paper', '--lmax', '-3'], mentions: ['--lmax', '> 0'] },
    { args: ['paper', '--steps', '0'], mentions: ['--steps', 'from 1 to'] },
    { args: ['paper', '--backend', 'tpu'], mentions: ['--backend', 'gpu, cpu, auto'] },
    { args: ['paper', '--unknown-option'], mentions: ['--unknown-option', '--help'] },
    { args: ['montecarlo', '--fleets', '0'], mentions: ['--fleets', 'from 1 to'] },
    { args: ['montecarlo', '--seed', '-1'], mentions: ['--seed', 'from 0 to'] },
    // a study's seed is a JSON number: exact up to 2^53 − 1, the same bound for sweep and montecarlo
    { args: ['montecarlo', '--seed', '9007199254740992'], mentions: ['--seed', 'from 0 to 2^53 − 1'] },
    {
      args: ['sweep', 'sweeps/montecarlo.json', '--out', 'never-written', '--seed', '18446744073709551615'],
      mentions: ['--seed', 'from 0 to 2^53 − 1'],
    },
  ])('$args exits with code 2 and a short message', ({ args, mentions }) => {
    const run = fleetsim(args);
    const lines = run.stderr.split('\n').filter((line) => line.trim() !== '');
    expect(run.status, run.stderr).toBe(2);
    expect(run.stdout).toBe('');
    expect(lines.length, run.stderr).toBeGreaterThanOrEqual(1);
    expect(lines.length, run.stderr).toBeLessThanOrEqual(2);
    for (const text of mentions) expect(run.stderr).toContain(text);
    expectNoStackTrace(lines);
  });
});

describe('fleetsim montecarlo', () => {
  it('--json prints the summary of every fleet run', () => {
    const run = fleetsim(['montecarlo', '--fleets', '200', '--steps', '50', '--backend', 'cpu', '--json']);
    expect(run.status, run.stderr).toBe(0);
    const json = JSON.parse(run.stdout) as MonteCarloResult;
    expect(json.backend).toBe('cpu');
    expect(json.study).toBe('montecarlo');
    expect([json.fleets, json.steps, json.seed, json.lmax]).toEqual([200, 50, '1', 999]); // the options, then the study's values
    expect(json.runs).toBe(600); // 200 fleets × 3 policies
    expect(Object.keys(json.policies)).toEqual(PAPER_POLICIES);
    expect(Object.keys(json.adaptiveBeats).sort()).toEqual(['roundRobin', 'static']);
    for (const fraction of Object.values(json.adaptiveBeats)) {
      expect(fraction).toBeGreaterThanOrEqual(0);
      expect(fraction).toBeLessThanOrEqual(1);
    }
  });

  it('is the shipped study sweeps/montecarlo.json run by the sweep: the same hash and figures as `fleetsim sweep`', () => {
    // The options as the study's fields, in a file that `fleetsim sweep` runs into a directory.
    const dir = mkdtempSync(join(tmpdir(), 'fleetsim-mc-'));
    try {
      const study = JSON.parse(readFileSync(join(ROOT, 'sweeps', 'montecarlo.json'), 'utf8')) as Record<string, unknown>;
      delete study.$schema;
      writeFileSync(join(dir, 'study.json'), JSON.stringify({ ...study, samples: 150, steps: 40, seed: 11, lmax: 500 }));
      const swept = fleetsim(['sweep', join(dir, 'study.json'), '--out', join(dir, 'out'), '--backend', 'cpu', '--quiet']);
      expect(swept.status, swept.stderr).toBe(0);
      const args = ['--fleets', '150', '--steps', '40', '--seed', '11', '--lmax', '500', '--backend', 'cpu'];
      const run = fleetsim(['montecarlo', ...args, '--json']);
      expect(run.status, run.stderr).toBe(0);
      const json = JSON.parse(run.stdout) as MonteCarloResult;
      const summary = JSON.parse(readFileSync(join(dir, 'out', 'summary.json'), 'utf8')) as SummaryTable;
      expect(json.studyHash).toBe(summary.studyHash);
      const [cell] = summary.cells;
      for (const { policy, metrics } of cell!.policies) {
        const ours = json.policies[policy]!;
        const latency = metrics.avgLatency!;
        expect(ours.avgLatency.mean, policy).toBe(latency.mean);
        expect(ours.avgLatency.ci95, policy).toBe((latency.ci95[1]! - latency.ci95[0]!) / 2);
        expect([ours.throughput, ours.utilization, ours.cost], policy).toEqual([
          metrics.throughput!.mean,
          metrics.utilization!.mean,
          metrics.cost!.mean,
        ]);
      }
      const pair = (a: string, b: string): PairStats => cell!.pairs.find((p) => p.a === a && p.b === b)!;
      expect(json.adaptiveBeats).toEqual({
        static: pair('static', 'adaptive').bWinFraction,
        roundRobin: pair('roundRobin', 'adaptive').bWinFraction,
      });
      const text = fleetsim(['montecarlo', ...args]);
      expect(text.status, text.stderr).toBe(0);
      expect(text.stdout).toContain(
        `${json.policies.adaptive!.avgLatency.mean.toFixed(2)} ± ${json.policies.adaptive!.avgLatency.ci95!.toFixed(2)}`,
      );
      expect(text.stdout).toContain(`${(100 * json.adaptiveBeats.static!).toFixed(1)} % of fleets against static`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('--threads 1 (the calling thread) and --threads 3 (worker threads) give the same figures', () => {
    // ~6 M agent-steps: above the pool's threshold for handing a batch to its workers
    const args = ['montecarlo', '--fleets', '600', '--steps', '100', '--backend', 'cpu', '--json'];
    const runs = ['1', '3'].map((n) => fleetsim([...args, '--threads', n]));
    for (const run of runs) expect(run.status, run.stderr).toBe(0);
    const [one, three] = runs.map((run) => JSON.parse(run.stdout) as { adapter: string; seconds: number });
    expect([one!.adapter, three!.adapter]).toEqual(['1 thread', '3 threads']);
    const figures = (json: object): unknown => ({ ...json, adapter: null, seconds: null });
    expect(figures(three!)).toEqual(figures(one!));
  });
});

it('--help exits with code 0', () => {
  const run = fleetsim(['--help']);
  expect(run.status, run.stderr).toBe(0);
  expect(run.stdout).toContain('Usage: fleetsim');
});
