/**
 * A result directory as `fleetsim sweep` and `fleetsim merge` use it (docs/RESULTS.md): checked and
 * created before any work, probed for writing, and locked for the whole run.
 *
 * - File-system faults become one line naming the path and the cause: FS_ERRORS maps each errno code
 *   to a user mistake (UsageError, exit 2: a file where a directory is needed, a path below a file, a
 *   place where no directory can be made) or to a fault of the machine (EnvironmentError, exit 3: a
 *   full disk, a read-only file system, a permission denied, an I/O error).
 * - The lock is the file `.fleetsim.lock` in the directory, created atomically (a hard link of a
 *   complete temporary file, so it never exists half-written) and holding the holder's pid, host and
 *   start time. A second run on the directory exits with code 2 naming the holder. A lock whose
 *   holder is gone is taken over at once on the same host (its pid no longer runs), and on another
 *   host once its time stamp, refreshed every LOCK_REFRESH_MS, is older than LOCK_STALE_MS. It is
 *   removed on a normal exit, on an error, and on SIGINT, SIGTERM and SIGHUP.
 *
 * @example
 *   prepareDirectory('--out', dir); const lock = acquireLock(dir, '--out');
 *   try { ... } finally { lock.release(); }
 */
import { randomBytes } from 'node:crypto';
import { linkSync, readFileSync, rmSync, statSync, unlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join, resolve } from 'node:path';
import { makeDirectory } from '../results/files.js';
import { displayPath } from '../text/quote.js';
import { EnvironmentError, UsageError } from './errors.js';

/** errno code → who is to blame and the cause in words. Codes not listed are faults of the machine. */
export const FS_ERRORS: Readonly<Record<string, { blame: 'user' | 'environment'; cause: string }>> = {
  ENOTDIR: { blame: 'user', cause: 'a file is in the way where a directory is needed' },
  EEXIST: { blame: 'user', cause: 'a file is in the way where a directory is needed' },
  EISDIR: { blame: 'user', cause: 'a directory is in the way where a file is needed' },
  ENOENT: { blame: 'user', cause: 'no such file or directory, and none can be created there' },
  ENAMETOOLONG: { blame: 'user', cause: 'the name is too long' },
  ELOOP: { blame: 'user', cause: 'too many symbolic links' },
  EINVAL: { blame: 'user', cause: 'not a valid name on this file system' },
  ENOSPC: { blame: 'environment', cause: 'no space left on the device' },
  EDQUOT: { blame: 'environment', cause: 'the disk quota is exhausted' },
  EFBIG: { blame: 'environment', cause: 'the file is larger than the file system allows' },
  EROFS: { blame: 'environment', cause: 'the file system is read-only' },
  EACCES: { blame: 'environment', cause: 'permission denied' },
  EPERM: { blame: 'environment', cause: 'operation not permitted' },
  EIO: { blame: 'environment', cause: 'an input/output error of the device' },
  EMFILE: { blame: 'environment', cause: 'too many open files' },
  ENFILE: { blame: 'environment', cause: 'too many open files in the system' },
  EBUSY: { blame: 'environment', cause: 'the file or device is busy' },
  ESTALE: { blame: 'environment', cause: 'a stale network file handle' },
  ENOMEM: { blame: 'environment', cause: 'out of memory' },
  EXDEV: { blame: 'environment', cause: 'a rename across file systems' },
};

/** The errno code of a Node file-system error, or null for anything else. */
export function errnoCode(error: unknown): string | null {
  const code = (error as NodeJS.ErrnoException | null)?.code;
  return typeof error === 'object' && error !== null && typeof code === 'string' && /^E[A-Z0-9]+$/.test(code) ? code : null;
}

/**
 * A file-system error as the error fleetsim reports: one line with `what` (an option and a path) and
 * the cause; `after` is appended for faults of the machine (what the directory holds now). Errors
 * without an errno code are returned as they are.
 */
export function fileSystemError(error: unknown, what: string, after = ''): unknown {
  const code = errnoCode(error);
  if (code === null) return error;
  const known = FS_ERRORS[code];
  const path = (error as NodeJS.ErrnoException).path;
  const where =
    path === undefined ? what : `${what}${resolve(path) === resolve(what.replace(/^--out /, '')) ? '' : ` (at ${displayPath(path)})`}`;
  if (known?.blame === 'user') return new UsageError(`${where}: ${known.cause} (${code})`);
  return new EnvironmentError(`${where}: ${known?.cause ?? 'the file system refused'} (${code})${after}`);
}

/**
 * Checks that `dir` can be a result directory and creates it (with its parents): not empty, not a
 * file, not below a file, creatable and writable (a probe file is written, flushed and removed).
 * Throws UsageError or EnvironmentError with one line naming the path; nothing is left behind.
 */
export function prepareDirectory(option: string, dir: string): void {
  if (dir.trim() === '') throw new UsageError(`${option}: the directory name is empty`);
  const what = `${option} ${displayPath(dir)}`;
  try {
    const stat = statSync(dir);
    if (!stat.isDirectory()) throw new UsageError(`${what}: is a file, not a directory`);
  } catch (error) {
    if (error instanceof UsageError) throw error;
    if (errnoCode(error) === 'ENOTDIR') throw new UsageError(`${what}: a parent of it is a file, not a directory`);
    if (errnoCode(error) !== 'ENOENT') throw fileSystemError(error, what);
  }
  try {
    makeDirectory(dir);
  } catch (error) {
    if (errnoCode(error) === 'ENOTDIR') throw new UsageError(`${what}: a parent of it is a file, not a directory`);
    throw fileSystemError(error, what);
  }
  const probe = join(dir, `.fleetsim-probe.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
  try {
    writeFileSync(probe, 'fleetsim: can this directory be written?\n', { flush: true });
  } catch (error) {
    throw fileSystemError(error, what, '; nothing was written');
  } finally {
    rmSync(probe, { force: true });
  }
}

export const LOCK_FILE = '.fleetsim.lock';
/** How often a holder refreshes its lock's time stamp. */
export const LOCK_REFRESH_MS = 10_000;
/** A lock held on another host whose time stamp is older than this is stale. */
export const LOCK_STALE_MS = 60_000;

interface Holder {
  pid: number;
  host: string;
  since: string;
  token: string;
}

export interface DirectoryLock {
  readonly path: string;
  /** Refreshes the time stamp (also done by a timer); cheap. */
  touch(): void;
  /** Removes the lock (only if it is still this process's); idempotent. */
  release(): void;
}

function readHolder(path: string): Holder | null {
  try {
    const json = JSON.parse(readFileSync(path, 'utf8')) as Partial<Holder> | null;
    if (typeof json?.pid !== 'number' || typeof json.host !== 'string' || typeof json.since !== 'string' || typeof json.token !== 'string')
      return null;
    return { pid: json.pid, host: json.host, since: json.since, token: json.token };
  } catch {
    return null;
  }
}

function running(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return errnoCode(error) !== 'ESRCH';
  }
}

/** Age of a file's time stamp in ms, or null when it is gone. */
function age(path: string): number | null {
  try {
    return Date.now() - statSync(path).mtimeMs;
  } catch {
    return null;
  }
}

/** Whether the lock's holder is gone (see the module's comment). */
function stale(holder: Holder | null, ageMs: number): boolean {
  if (holder === null) return ageMs > LOCK_REFRESH_MS; // unreadable: stale unless it is being written right now
  // Same host: stale when its pid is gone, or is this process's without being one of its locks (a
  // container restarted with the same pid).
  if (holder.host === hostname()) return !running(holder.pid) || (holder.pid === process.pid && !tokens.has(holder.token));
  return ageMs > LOCK_STALE_MS;
}

/**
 * Creates `path` holding `text`, atomically and only if it does not exist; false when it exists. The
 * temporary file may be removed by the holder's clean-up of temporaries (src/results/files.ts's
 * removeTemporaries) between its write and its link: then it is written again.
 */
function createExclusive(path: string, text: string): boolean {
  for (let attempt = 0; ; attempt++) {
    const temporary = `${path}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
    writeFileSync(temporary, text, { flush: true });
    try {
      linkSync(temporary, path);
      return true;
    } catch (error) {
      const code = errnoCode(error);
      if (code === 'EEXIST') return false;
      if (code === 'ENOENT' && attempt < 5) continue;
      if (code !== 'EPERM' && code !== 'ENOTSUP') throw error;
      try {
        writeFileSync(path, text, { flag: 'wx', flush: true }); // a file system without hard links
        return true;
      } catch (inner) {
        if (errnoCode(inner) === 'EEXIST') return false;
        throw inner;
      }
    } finally {
      rmSync(temporary, { force: true });
    }
  }
}

/** Every lock this process holds, released on exit and on the signals below. */
const held = new Set<DirectoryLock>();
const tokens = new Set<string>();
const SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;
const onSignal = (signal: NodeJS.Signals): void => {
  for (const lock of [...held]) lock.release();
  process.kill(process.pid, signal); // the default action, now that the handlers are gone
};
const onExit = (): void => {
  for (const lock of [...held]) lock.release();
};

function watch(lock: DirectoryLock): void {
  if (held.size === 0) {
    for (const signal of SIGNALS) process.once(signal, onSignal);
    process.once('exit', onExit);
  }
  held.add(lock);
}

function unwatch(lock: DirectoryLock): void {
  held.delete(lock);
  if (held.size === 0) {
    for (const signal of SIGNALS) process.removeListener(signal, onSignal);
    process.removeListener('exit', onExit);
  }
}

/**
 * Locks the existing directory `dir` for this process. Throws UsageError naming the directory and the
 * holder when another live run holds it, EnvironmentError when the lock cannot be written.
 */
export function acquireLock(dir: string, option: string): DirectoryLock {
  const path = join(dir, LOCK_FILE);
  const what = `${option} ${displayPath(dir)}`;
  const me: Holder = { pid: process.pid, host: hostname(), since: new Date().toISOString(), token: randomBytes(8).toString('hex') };
  const text = `${JSON.stringify(me)}\n`;
  let timer: NodeJS.Timeout | null = null;
  const lock: DirectoryLock = {
    path,
    touch() {
      try {
        const now = new Date();
        utimesSync(path, now, now);
      } catch {
        // the next refresh tries again; a lost lock is noticed by nobody but the other host
      }
    },
    release() {
      if (timer !== null) clearInterval(timer);
      timer = null;
      if (!held.has(lock)) return;
      unwatch(lock);
      tokens.delete(me.token);
      if (readHolder(path)?.token === me.token) rmSync(path, { force: true });
    },
  };
  // Watched before the lock file exists: a signal that arrives just after it is created removes it.
  tokens.add(me.token);
  watch(lock);
  try {
    for (let attempt = 0; ; attempt++) {
      let created: boolean;
      try {
        created = createExclusive(path, text);
      } catch (error) {
        throw fileSystemError(error, what, '; nothing was written');
      }
      if (created) break;
      const holder = readHolder(path);
      const ageMs = age(path);
      if (ageMs === null) continue; // released meanwhile
      if (!stale(holder, ageMs) || attempt >= 3) {
        const who = holder ? `pid ${holder.pid} on host ${displayPath(holder.host)} since ${holder.since}` : 'another process';
        throw new UsageError(
          `${what}: in use by another fleetsim run (${who}; lock ${LOCK_FILE}); wait for it to end, or choose another directory`,
        );
      }
      takeOver(path, holder, what);
    }
  } catch (error) {
    lock.release();
    throw error;
  }
  timer = setInterval(() => lock.touch(), LOCK_REFRESH_MS);
  timer.unref();
  return lock;
}

/**
 * Removes a stale lock, under a short-lived guard file so that of two processes that both found it
 * stale only one removes it (the other then finds the winner's fresh lock and stops).
 */
function takeOver(path: string, seen: Holder | null, what: string): void {
  const guard = `${path}.takeover`;
  let created: boolean;
  try {
    created = createExclusive(guard, `${process.pid}\n`);
  } catch (error) {
    throw fileSystemError(error, what);
  }
  if (!created) {
    if ((age(guard) ?? 0) > LOCK_REFRESH_MS) rmSync(guard, { force: true }); // its taker died in between
    return;
  }
  try {
    const now = readHolder(path);
    if ((now?.token ?? null) === (seen?.token ?? null)) unlinkSync(path);
  } catch (error) {
    if (errnoCode(error) !== 'ENOENT') throw fileSystemError(error, what);
  } finally {
    rmSync(guard, { force: true });
  }
}
