/**
 * Bad arrival settings in a study file, as a user meets them: the built CLI (bin/fleetsim.js → dist/,
 * which `npm test` builds first) in a child process. `fleetsim validate` and `fleetsim sweep` must each
 * exit with code 2 and print one line per problem, naming the field and what it allows, with nothing on
 * stdout, no stack trace, and nothing written to --out (the checks run before the output directory is
 * touched). `fleetsim trace import` and its bad files are covered by test/traces.test.ts.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const BIN = join(ROOT, 'bin', 'fleetsim.js');
const BUILT = join(ROOT, 'dist', 'src', 'cli', 'main.js');
const work = mkdtempSync(join(tmpdir(), 'fleetsim-arrival-cli-'));

afterAll(() => rmSync(work, { recursive: true, force: true }));

interface Run {
  status: number | null;
  stdout: string;
  stderr: string;
}

/** The CLI in a child process (asynchronous, so the cases run side by side). */
function fleetsim(args: string[]): Promise<Run> {
  if (!existsSync(BUILT)) throw new Error(`${BUILT} is missing: run \`npm run build\` first (npm test does)`);
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { cwd: ROOT, env: { ...process.env, XDG_RUNTIME_DIR: '/tmp' }, timeout: 60_000 });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('error', reject);
    child.on('close', (status) => resolve({ status, stdout, stderr }));
  });
}

/** stderr without Dawn's own log lines (see test/cli.test.ts). */
function ownLines(stderr: string): string[] {
  return stderr
    .split('\n')
    .filter((line) => line.trim() !== '' && !line.startsWith('Warning:') && !/^\s+at \S+ \(.*\.(cpp|h|mm):\d+\)$/.test(line));
}

const NOT_A_TRACE = join(work, 'not-a-trace.json');
writeFileSync(NOT_A_TRACE, JSON.stringify({ format: 'something-else', counts: [1, 2, 3] }));

/** A study of one fixed agent with arrival process `arrivals` (and `extra` top-level fields). */
function agentStudy(arrivals: unknown, extra: Record<string, unknown> = {}): unknown {
  return { name: 'bad-arrivals', steps: 20, fleet: { agents: [{ T: 100, R: 0.1, P: 1, lambda: 5, arrivals }] }, ...extra };
}

const CASES: { label: string; study: unknown; lines: string[][] }[] = [
  {
    label: 'a cv out of range',
    study: agentStudy({ process: 'gamma', cv: 500 }),
    lines: [['fleet.agents[0].arrivals.cv', '≤ 200', 'got 500']],
  },
  {
    label: 'an unknown trace name',
    study: agentStudy({ process: 'replay', trace: 'no-such-trace' }),
    lines: [['fleet.agents[0].arrivals.trace', 'no-such-trace', 'allowed: azure-llm-2023-conv or a path']],
  },
  {
    label: 'a trace file that is not a fleetsim trace',
    study: agentStudy({ process: 'poisson', trace: NOT_A_TRACE }),
    lines: [['fleet.agents[0].arrivals.trace', 'not a valid fleetsim trace', 'fleetsim-trace']],
  },
  {
    label: 'mmpp with peakRatio × highFraction > 1',
    study: agentStudy({ process: 'mmpp', mmpp: { idc: 5, highFraction: 0.5, peakRatio: 3 } }),
    lines: [['fleet.agents[0].arrivals.mmpp.peakRatio', 'must be ≤ 1', '3 × 0.5']],
  },
  {
    label: 'replay without a trace',
    study: agentStudy({ process: 'replay' }),
    lines: [['fleet.agents[0].arrivals.trace', 'replay process needs a trace']],
  },
  {
    label: 'a dt that is not a whole number of the trace resolution',
    study: agentStudy({ process: 'replay', trace: 'azure-llm-2023-conv' }, { dt: 0.0015 }),
    lines: [['dt', 'whole number', '0.001 s', 'got 0.0015']],
  },
  {
    label: 'several problems in a random fleet (one line each)',
    study: {
      name: 'bad-random',
      steps: 20,
      arrivals: { process: 'gamma', cv: 0.01 },
      fleet: {
        random: {
          agents: 3,
          T: 100,
          R: 0,
          P: 1,
          load: 0.5,
          arrivals: { process: ['gamma', 'replay'], cv: { kind: 'uniform', min: 1, max: 500 } },
        },
      },
    },
    lines: [
      ['fleet.random.arrivals.cv', '[0.05, 200]', '500'],
      ['fleet.random.arrivals.process', 'replay', 'needs a trace'],
      ['arrivals.cv', '≥ 0.05', 'got 0.01'],
    ],
  },
];

const COMMANDS = ['validate', 'sweep'] as const;
const slug = (command: string, label: string): string => `${command}-${label.replace(/\W+/g, '-')}`;
const runs = new Map<string, Run>();

beforeAll(async () => {
  // Every case of both commands, four child processes at a time.
  const jobs = COMMANDS.flatMap((command) => CASES.map((c) => ({ command, ...c })));
  const next = async (): Promise<void> => {
    for (let job = jobs.shift(); job; job = jobs.shift()) {
      const name = slug(job.command, job.label);
      const file = join(work, `${name}.json`);
      writeFileSync(file, JSON.stringify(job.study));
      const args =
        job.command === 'sweep' ? ['sweep', file, '--out', join(work, `out-${name}`), '--backend', 'cpu', '--quiet'] : ['validate', file];
      runs.set(name, await fleetsim(args));
    }
  };
  await Promise.all([next(), next(), next(), next()]);
}, 120_000);

describe.each(COMMANDS)('fleetsim %s with bad arrivals', (command) => {
  it.each(CASES)('$label: exit 2, one line per problem naming the field, nothing written', ({ label, lines }) => {
    const run = runs.get(slug(command, label))!;
    expect(run.status, run.stderr).toBe(2);
    expect(run.stdout).toBe('');
    const got = ownLines(run.stderr);
    expect(got, run.stderr).toHaveLength(lines.length);
    for (const words of lines) {
      const line = got.find((l) => l.includes(`: ${words[0]!}: `));
      expect(line, `no line for ${words[0]!} in\n${run.stderr}`).toBeDefined();
      for (const word of words) expect(line, run.stderr).toContain(word);
      expect(line).toMatch(/^fleetsim: /);
      expect(line).not.toMatch(/^\s+at |\.[cm]?[jt]s:\d+/);
    }
    expect(existsSync(join(work, `out-${slug(command, label)}`)), 'the --out directory was created').toBe(false);
  });
});
