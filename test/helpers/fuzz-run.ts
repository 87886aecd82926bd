/**
 * Runs fuzz cases against the built CLI (dist/): in process, through `main(argv)` inside a worker
 * thread (fast; the worker is terminated on a time-out or when it ran out of its heap, and replaced
 * after any case that polluted a prototype), or as a real `node bin/fleetsim.js` process (the whole
 * process: exit code, what Node itself prints for an uncaught error, resident memory).
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { FileSpec } from './fuzz-gen.js';

const root = join(import.meta.dirname, '..', '..');
const MAIN = pathToFileURL(join(root, 'dist', 'src', 'cli', 'main.js')).href;
const BIN = join(root, 'bin', 'fleetsim.js');

/** What one run did. */
export interface Outcome {
  argv: string[];
  code: number | null; // null: killed (time-out, memory)
  stdout: string;
  stderr: string;
  ms: number;
  timedOut: boolean;
  /** An error that escaped main() (in process) or that killed the worker (out of memory…). */
  thrown?: string;
  /** Own keys that Object.prototype, Array.prototype or Function.prototype gained (in process). */
  pollution?: string[];
  /** Peak resident memory, MiB (subprocess), and whether the run was killed for it. */
  rssMiB?: number;
  memoryKilled?: boolean;
}

export interface Runner {
  /** Runs `argv` with `cwd` as the working directory (relative paths, like an empty --out, land there). */
  run(argv: string[], timeoutMs: number, cwd: string): Promise<Outcome>;
  close(): Promise<void>;
}

const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const protos = { Object: Object.prototype, Array: Array.prototype, Function: Function.prototype };
const before = Object.fromEntries(Object.entries(protos).map(([n, p]) => [n, new Set(Reflect.ownKeys(p).map(String))]));
const polluted = () => Object.entries(protos).flatMap(([n, p]) => Reflect.ownKeys(p).map(String).filter((k) => !before[n].has(k)).map((k) => n + '.prototype.' + k));
const text = (c) => (typeof c === 'string' ? c : Buffer.from(c).toString('utf8'));
import(workerData.main).then(({ main }) => {
  parentPort.on('message', async (argv) => {
    const out = [], err = [];
    const ow = process.stdout.write, ew = process.stderr.write;
    const capture = (into) => (c, ...rest) => { into.push(text(c)); const cb = rest.find((f) => typeof f === 'function'); if (cb) cb(); return true; };
    process.stdout.write = capture(out);
    process.stderr.write = capture(err);
    let code = null, thrown;
    try { code = await main(['node', 'fleetsim', ...argv]); }
    catch (e) { code = 1; thrown = (e && e.stack) || String(e); }
    finally { process.stdout.write = ow; process.stderr.write = ew; }
    parentPort.postMessage({ code, stdout: out.join(''), stderr: err.join(''), thrown, pollution: polluted() });
  });
  parentPort.postMessage('ready');
});
`;

/** In-process runs in one worker thread with a bounded heap, replaced when it dies or is polluted. */
export function workerRunner(heapMiB = 1024): Runner {
  let worker: Worker | undefined;
  let ready: Promise<void> | undefined;
  const start = (): Promise<void> => {
    worker = new Worker(WORKER_SOURCE, {
      eval: true,
      workerData: { main: MAIN },
      resourceLimits: { maxOldGenerationSizeMb: heapMiB },
      stdout: true,
      stderr: true,
      env: { ...process.env, XDG_RUNTIME_DIR: process.env.XDG_RUNTIME_DIR ?? '/tmp' },
    });
    worker.stdout.resume();
    worker.stderr.resume();
    const w = worker;
    return new Promise((resolve, reject) => {
      w.once('message', () => resolve());
      w.once('error', reject);
    });
  };
  const stop = async (): Promise<void> => {
    const w = worker;
    worker = undefined;
    ready = undefined;
    // terminate() cannot stop a thread stuck in native code (a recursive mkdir under /proc loops
    // in C++): give it 5 s, then abandon the thread (such cases are run as processes, see isolate).
    if (w) await Promise.race([w.terminate(), new Promise((resolve) => setTimeout(resolve, 5000).unref())]);
    w?.unref();
  };
  return {
    async run(argv, timeoutMs, cwd) {
      ready ??= start();
      await ready;
      const w = worker!;
      // A worker thread shares the process's working directory (vitest runs test files in forks, where
      // chdir is allowed).
      const home = process.cwd();
      process.chdir(cwd);
      const t0 = performance.now();
      const result = await new Promise<Omit<Outcome, 'argv' | 'ms'>>((resolve) => {
        const timer = setTimeout(() => resolve({ code: null, stdout: '', stderr: '', timedOut: true }), timeoutMs);
        const done = (r: Omit<Outcome, 'argv' | 'ms'>): void => {
          clearTimeout(timer);
          w.off('message', onMessage);
          w.off('error', onError);
          w.off('exit', onExit);
          resolve(r);
        };
        const onMessage = (m: { code: number; stdout: string; stderr: string; thrown?: string; pollution: string[] }): void =>
          done({
            code: m.code,
            stdout: m.stdout,
            stderr: m.stderr,
            timedOut: false,
            ...(m.thrown ? { thrown: m.thrown } : {}),
            pollution: m.pollution,
          });
        const onError = (e: Error): void =>
          done({
            code: 1,
            stdout: '',
            stderr: '',
            timedOut: false,
            thrown: `${(e as NodeJS.ErrnoException).code ?? ''} ${e.stack ?? String(e)}`,
          });
        const onExit = (c: number): void => done({ code: 1, stdout: '', stderr: '', timedOut: false, thrown: `the worker exited (${c})` });
        w.on('message', onMessage);
        w.on('error', onError);
        w.on('exit', onExit);
        w.postMessage(argv);
      });
      const ms = performance.now() - t0;
      process.chdir(home);
      if (result.timedOut || result.thrown !== undefined || (result.pollution?.length ?? 0) > 0) await stop();
      return { argv, ms, ...result };
    },
    close: stop,
  };
}

/**
 * Real processes: `node bin/fleetsim.js argv…`, killed past the time-out or past `rssLimitMiB`. An
 * argument holding NUL cannot reach a process (exec's arguments are C strings): it is cut there, as a
 * shell would pass it.
 */
export function processRunner(rssLimitMiB = 2048): Runner {
  return {
    run(given, timeoutMs, cwd) {
      const argv = given.map((a) => a.split('\0')[0]!);
      return new Promise((resolve) => {
        const t0 = performance.now();
        const child = spawn(process.execPath, [BIN, ...argv], {
          env: { ...process.env, XDG_RUNTIME_DIR: process.env.XDG_RUNTIME_DIR ?? '/tmp', FORCE_COLOR: '0' },
          stdio: ['ignore', 'pipe', 'pipe'],
          cwd,
        });
        const out: Buffer[] = [];
        const err: Buffer[] = [];
        child.stdout.on('data', (b: Buffer) => out.push(b));
        child.stderr.on('data', (b: Buffer) => err.push(b));
        let timedOut = false;
        let memoryKilled = false;
        let rssMiB = 0;
        const poll = setInterval(() => {
          try {
            const kb = /VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'))?.[1];
            rssMiB = Math.max(rssMiB, Number(kb ?? 0) / 1024);
            if (rssMiB > rssLimitMiB) {
              memoryKilled = true;
              child.kill('SIGKILL');
            }
          } catch {
            // the process has ended
          }
        }, 100);
        const timer = setTimeout(() => {
          timedOut = true;
          child.kill('SIGKILL');
        }, timeoutMs);
        child.on('close', (code) => {
          clearInterval(poll);
          clearTimeout(timer);
          resolve({
            argv,
            code,
            stdout: Buffer.concat(out).toString('utf8'),
            stderr: Buffer.concat(err).toString('utf8'),
            ms: performance.now() - t0,
            timedOut,
            rssMiB: Math.round(rssMiB),
            memoryKilled,
          });
        });
      });
    },
    close: () => Promise.resolve(),
  };
}

// ---- scratch directories ----------------------------------------------------------------------------

/** A fresh scratch directory holding `files`. */
export function scratch(files: Record<string, FileSpec>): string {
  const dir = mkdtempSync(join(tmpdir(), 'fleetsim-fuzz-'));
  const put = (at: string, spec: FileSpec): void => {
    if ('bytes' in spec) writeFileSync(at, spec.bytes);
    else if ('dir' in spec) {
      mkdirSync(at);
      for (const [name, inner] of Object.entries(spec.dir)) put(join(at, name), inner);
    }
  };
  for (const [name, spec] of Object.entries(files)) put(join(dir, name), spec);
  return dir;
}
export const removeScratch = (dir: string): void => rmSync(dir, { recursive: true, force: true });

/** `@name` arguments → paths in `dir`. */
export const resolveArgs = (argv: readonly string[], dir: string): string[] =>
  argv.map((a) => (/^@[^@]/.test(a) ? join(dir, a.slice(1)) : a));

/** Every entry under `dir` with its kind, size, mtime and a hash of its bytes: what "touched" compares. */
export function snapshot(dir: string): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (at: string, rel: string): void => {
    for (const name of readdirSync(at)) {
      const path = join(at, name);
      const st = lstatSync(path);
      const key = `${rel}${name}`;
      if (st.isDirectory()) {
        out.set(key, 'dir');
        walk(path, `${key}/`);
      } else
        out.set(key, `${st.size} ${st.mtimeMs} ${st.isFile() ? createHash('sha1').update(readFileSync(path)).digest('hex') : 'other'}`);
    }
  };
  if (existsSync(dir)) walk(dir, '');
  return out;
}

/** What changed between two snapshots, as lines. */
export function changes(before: Map<string, string>, after: Map<string, string>): string[] {
  const lines: string[] = [];
  for (const [k, v] of after)
    if (!before.has(k)) lines.push(`created ${k}`);
    else if (before.get(k) !== v) lines.push(`modified ${k}`);
  for (const k of before.keys()) if (!after.has(k)) lines.push(`removed ${k}`);
  return lines;
}
