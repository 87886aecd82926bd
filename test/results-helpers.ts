/**
 * Shared by test/results-guarantees.test.ts and test/results-hostile.test.ts: tiny studies and the
 * built CLI in child processes (run `npm run build` first), CPU backend on one thread.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export const ROOT = join(import.meta.dirname, '..');
export const BIN = join(ROOT, 'bin', 'fleetsim.js');

const fleet = {
  random: {
    agents: { min: 1, max: 2 },
    T: { kind: 'logUniform', min: 10, max: 300 },
    R: { kind: 'uniform', min: 0, max: 0.2 },
    P: { kind: 'choice', values: [1, 2] },
    load: { kind: 'uniform', min: 0.3, max: 1.5 },
  },
};

/** One unit, a fraction of a second: for the checks of paths, locks and files. */
export const TINY = {
  name: 'tiny',
  seed: 5,
  fleet,
  arrivals: 'poisson',
  steps: 5,
  samples: 4,
  replicates: 2,
  policies: ['static', 'adaptive'],
  output: { fleetRows: true },
};

/** Two cells of one unit each (16,384 fleet runs, about 10 MB of Arrow per unit, per-fleet and per-agent): for resume, merge and bytes. */
export const TWO_UNITS = { ...TINY, name: 'two-units', samples: 8, replicates: 2048, axes: [{ path: 'loadScale', values: [0.5, 1] }] };

export interface Run {
  status: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export const CPU = ['--backend', 'cpu', '--threads', '1', '--quiet'];

export function fleetsim(args: readonly string[], timeout = 60_000): Run {
  const child = spawnSync(process.execPath, [BIN, ...args], {
    cwd: ROOT,
    env: { ...process.env, XDG_RUNTIME_DIR: '/tmp' },
    encoding: 'utf8',
    timeout,
  });
  if (child.error) throw child.error;
  return { status: child.status, signal: child.signal, stdout: child.stdout, stderr: child.stderr };
}

/** Starts the CLI in the background; `exited` resolves with its code and signal. */
export function start(args: readonly string[]): { pid: number; kill: (s: NodeJS.Signals) => void; exited: Promise<Run> } {
  const child = spawn(process.execPath, [BIN, ...args], { cwd: ROOT, env: { ...process.env, XDG_RUNTIME_DIR: '/tmp' } });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<Run>((resolve) => child.on('exit', (status, signal) => resolve({ status, signal, stdout, stderr })));
  return { pid: child.pid!, kill: (s) => child.kill(s), exited };
}

export async function waitFor(check: () => boolean, ms = 30_000): Promise<void> {
  for (let waited = 0; !check(); waited += 20) {
    if (waited > ms) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 20));
  }
}

export function writeStudy(dir: string, name: string, study: object): string {
  mkdirSync(dir, { recursive: true });
  const path = join(dir, name);
  writeFileSync(path, JSON.stringify(study));
  return path;
}

/** Every file a result directory's bytes must match on: the tables, the per-fleet and the per-agent files. */
export function resultFiles(dir: string): string[] {
  const rows = ['fleets', 'agents'].flatMap((sub) =>
    existsSync(join(dir, sub)) ? readdirSync(join(dir, sub)).map((n) => `${sub}/${n}`) : [],
  );
  return ['summary.json', 'cells.csv', ...rows.sort()];
}

/** The files of `a` and `b` that differ in bytes (or exist in one only). */
export function differing(a: string, b: string): string[] {
  const names = [...new Set([...resultFiles(a), ...resultFiles(b)])];
  return names.filter((n) => {
    const pa = join(a, n);
    const pb = join(b, n);
    return !existsSync(pa) || !existsSync(pb) || !readFileSync(pa).equals(readFileSync(pb));
  });
}

/** Mounts a tmpfs of `size` at `dir` (root only); false where that is not possible. */
export function mountTmpfs(dir: string, size: string, readOnly = false): boolean {
  mkdirSync(dir, { recursive: true });
  const r = spawnSync('mount', ['-t', 'tmpfs', '-o', `${readOnly ? 'ro,' : ''}size=${size}`, 'tmpfs', dir]);
  return r.status === 0;
}

export function unmount(dir: string): void {
  spawnSync('umount', [dir]);
}

export function remountSize(dir: string, size: string): boolean {
  return spawnSync('mount', ['-o', `remount,size=${size}`, dir]).status === 0;
}

/** Whether this process may mount file systems (root in a container that allows it). */
export function canMount(scratch: string): boolean {
  const probe = join(scratch, 'mount-probe');
  if (!mountTmpfs(probe, '64k')) return false;
  unmount(probe);
  return true;
}

/**
 * The CLI in this process (src/cli/main.ts's main), for runs that are refused before any work: much
 * faster than a child process. Captures stdout and stderr.
 */
export async function cli(args: readonly string[]): Promise<Run> {
  const { main } = await import('../src/cli/main.js');
  let stdout = '';
  let stderr = '';
  const out = process.stdout.write.bind(process.stdout);
  const err = process.stderr.write.bind(process.stderr);
  process.stdout.write = (chunk: string | Uint8Array) => ((stdout += String(chunk)), true);
  process.stderr.write = (chunk: string | Uint8Array) => ((stderr += String(chunk)), true);
  try {
    const status = await main([process.execPath, BIN, ...args]);
    return { status, signal: null, stdout, stderr };
  } finally {
    process.stdout.write = out;
    process.stderr.write = err;
  }
}
