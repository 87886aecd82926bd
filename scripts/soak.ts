/**
 * `npm run soak`: the crash-recovery soak test of result directories (docs/RESULTS.md), not part of
 * `npm test`. A sweep is killed with SIGKILL at random moments, `--kills` times in all, each time
 * resumed (with a random batch size) in the same directory until it completes; and `--concurrent`
 * runs are started at once on one directory, of which exactly one may proceed. Every final
 * directory must be byte-identical to an uninterrupted run's (summary.json, cells.csv, every
 * fleets/*.arrow), with no temporary file and no lock left. Exit code 0 when all hold, 1 otherwise.
 *
 *   node dist/scripts/soak.js [--kills 20] [--cells 2] [--units 4] [--steps 20] [--concurrent 3]
 *                             [--rounds-concurrent 2] [--seed 1] [--keep]
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';

const ROOT = join(import.meta.dirname, '..', '..');
const BIN = join(ROOT, 'bin', 'fleetsim.js');

const { values } = parseArgs({
  options: {
    kills: { type: 'string', default: '20' },
    cells: { type: 'string', default: '2' },
    units: { type: 'string', default: '4' }, // per cell
    steps: { type: 'string', default: '20' },
    concurrent: { type: 'string', default: '3' },
    'rounds-concurrent': { type: 'string', default: '2' },
    seed: { type: 'string', default: '1' },
    keep: { type: 'boolean', default: false },
  },
});
const int = (name: keyof typeof values, min: number, max: number): number => {
  const v = Number(values[name]);
  if (!Number.isInteger(v) || v < min || v > max) {
    console.error(`soak: --${name} must be an integer from ${min} to ${max}, got ${String(values[name])}`);
    process.exit(2);
  }
  return v;
};
const kills = int('kills', 0, 10_000);
const cells = int('cells', 1, 20);
const unitsPerCell = int('units', 1, 100);
const steps = int('steps', 1, 10_000);
const concurrent = int('concurrent', 2, 32);
const roundsConcurrent = int('rounds-concurrent', 0, 1000);
let random = int('seed', 0, 2 ** 31);

/** A small deterministic generator (mulberry32), so a failing soak can be replayed with its --seed. */
function next(): number {
  random = (random + 0x6d2b79f5) | 0;
  let t = random;
  t = Math.imul(t ^ (t >>> 15), t | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
}

const REPLICATES = 512; // 32 samples per unit (UNIT_FLEET_RUNS = 16,384)
const work = mkdtempSync(join(tmpdir(), 'fleetsim-soak-'));
const study = join(work, 'study.json');
writeFileSync(
  study,
  JSON.stringify({
    name: 'soak',
    seed: 11,
    fleet: {
      random: {
        agents: { min: 1, max: 4 },
        T: { kind: 'logUniform', min: 10, max: 300 },
        R: { kind: 'uniform', min: 0, max: 0.2 },
        P: { kind: 'choice', values: [1, 2, 3] },
        load: { kind: 'uniform', min: 0.3, max: 1.5 },
      },
    },
    arrivals: 'poisson',
    steps,
    samples: 32 * unitsPerCell,
    replicates: REPLICATES,
    policies: ['static', 'adaptive'],
    axes: [{ path: 'loadScale', values: Array.from({ length: cells }, (_, i) => 0.5 + i / 2) }],
    output: { fleetRows: true },
  }),
);

interface Exit {
  status: number | null;
  signal: NodeJS.Signals | null;
  stderr: string;
}

function sweep(out: string, extra: string[]): { kill: () => void; exited: Promise<Exit> } {
  const child = spawn(process.execPath, [BIN, 'sweep', study, '--out', out, '--backend', 'cpu', '--threads', '1', '--quiet', ...extra], {
    cwd: ROOT,
    env: { ...process.env, XDG_RUNTIME_DIR: process.env.XDG_RUNTIME_DIR ?? '/tmp' },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  return {
    kill: () => child.kill('SIGKILL'),
    exited: new Promise((resolve) => child.on('exit', (status, signal) => resolve({ status, signal, stderr }))),
  };
}

const files = (dir: string): string[] => [
  'summary.json',
  'cells.csv',
  ...(existsSync(join(dir, 'fleets')) ? readdirSync(join(dir, 'fleets')).map((n) => `fleets/${n}`) : []).sort(),
];

/** Problems of `dir` against the reference directory (empty: byte-identical and clean). */
function compare(dir: string, reference: string): string[] {
  const problems: string[] = [];
  const names = [...new Set([...files(dir), ...files(reference)])];
  for (const name of names) {
    const a = join(dir, name);
    const b = join(reference, name);
    if (!existsSync(a) || !existsSync(b)) problems.push(`${name}: only in ${existsSync(a) ? dir : reference}`);
    else if (!readFileSync(a).equals(readFileSync(b))) problems.push(`${name}: bytes differ`);
  }
  for (const sub of [dir, join(dir, 'fleets')]) {
    for (const n of existsSync(sub) ? readdirSync(sub) : []) {
      if (n.endsWith('.tmp') || n.startsWith('.fleetsim.lock')) problems.push(`${join(sub, n)}: left behind`);
    }
  }
  return problems;
}

const batchSize = (): string[] => {
  const r = next();
  return r < 0.4 ? ['--batch-size', '1'] : r < 0.7 ? [] : ['--batch-size', String(1 + Math.floor(next() * 200_000))];
};

const started = performance.now();
const reference = join(work, 'reference');
const t0 = performance.now();
const ref = await sweep(reference, []).exited;
if (ref.status !== 0) {
  console.error(`soak: the uninterrupted run failed (${ref.status ?? ref.signal}): ${ref.stderr}`);
  process.exit(1);
}
const runSeconds = (performance.now() - t0) / 1000;
console.log(`soak: ${cells} cell(s) × ${unitsPerCell} unit(s), ${steps} steps; an uninterrupted run takes ${runSeconds.toFixed(1)} s`);

const failures: string[] = [];
let killed = 0;
let rounds = 0;
let resumes = 0;
while (killed < kills) {
  rounds++;
  const dir = join(work, `killed-${rounds}`);
  let first = true;
  for (;;) {
    const run = sweep(dir, [...(first ? [] : ['--resume']), ...batchSize()]);
    first = false;
    const delay = next() * runSeconds * 1000 * 1.1;
    const timer = killed < kills ? setTimeout(run.kill, delay) : null;
    const exit = await run.exited;
    if (timer) clearTimeout(timer);
    if (exit.signal === 'SIGKILL') {
      killed++;
      resumes++;
      continue;
    }
    if (exit.status !== 0) failures.push(`${dir}: a resume exited with ${exit.status ?? exit.signal}: ${exit.stderr.trim()}`);
    break;
  }
  const problems = compare(dir, reference);
  failures.push(...problems.map((p) => `${dir}: ${p}`));
  console.log(
    `soak: round ${rounds}: ${killed}/${kills} kills so far; ${problems.length === 0 ? 'byte-identical' : `${problems.length} problem(s)`}`,
  );
}

for (let round = 1; round <= roundsConcurrent; round++) {
  const dir = join(work, `concurrent-${round}`);
  const runs = Array.from({ length: concurrent }, () => sweep(dir, ['--resume', ...batchSize()]));
  const exits = await Promise.all(runs.map((r) => r.exited));
  const ok = exits.filter((e) => e.status === 0).length;
  const locked = exits.filter((e) => e.status === 2 && /in use by another fleetsim run \(pid \d+ on host /.test(e.stderr)).length;
  if (ok !== 1 || locked !== concurrent - 1) {
    failures.push(
      `${dir}: of ${concurrent} concurrent runs ${ok} finished and ${locked} were refused by the lock (expected 1 and ${concurrent - 1}): ${exits.map((e) => e.stderr.trim()).join(' | ')}`,
    );
  }
  const problems = compare(dir, reference);
  failures.push(...problems.map((p) => `${dir}: ${p}`));
  console.log(
    `soak: concurrent round ${round}: ${ok} ran, ${locked} refused by the lock; ${problems.length === 0 ? 'byte-identical' : `${problems.length} problem(s)`}`,
  );
}

console.log(
  `soak: ${killed} kill(s) over ${rounds} directories (${resumes} resumes), ${roundsConcurrent} × ${concurrent} concurrent runs, in ${((performance.now() - started) / 1000).toFixed(0)} s: ${failures.length === 0 ? 'every directory byte-identical to the uninterrupted run' : `${failures.length} FAILURE(S)`}`,
);
for (const f of failures) console.error(`soak: ${f}`);
if (!values.keep) rmSync(work, { recursive: true, force: true });
else console.log(`soak: kept ${work}`);
process.exitCode = failures.length === 0 ? 0 : 1;
