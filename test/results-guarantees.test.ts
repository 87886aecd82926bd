/**
 * docs/RESULTS.md, sentence by sentence: one test per numbered guarantee, named after it, and a test
 * that fails when a guarantee of the page has no test here. The built CLI runs in child processes
 * (`npm run build` first); the full-disk and read-only cases mount a tmpfs and are skipped where this
 * process may not mount (not root).
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EXIT_ENVIRONMENT, EXIT_USAGE } from '../src/cli/errors.js';
import { LOCK_FILE } from '../src/cli/outDir.js';
import { CHECKPOINT_FORMAT } from '../src/results/checkpoint.js';
import { writeAtomic } from '../src/results/files.js';
import { parseSummaryJson } from '../src/results/tables.js';
import {
  canMount,
  cli,
  CPU,
  differing,
  fleetsim,
  mountTmpfs,
  remountSize,
  start,
  TINY,
  TWO_UNITS,
  unmount,
  waitFor,
  writeStudy,
} from './results-helpers.js';

const DOC = readFileSync(join(import.meta.dirname, '..', 'docs', 'RESULTS.md'), 'utf8');
/** The numbered guarantees of docs/RESULTS.md: number → its bold title. */
const GUARANTEES = new Map([...DOC.matchAll(/^(\d+)\. \*\*(.+?)\*\*/gm)].map((m) => [Number(m[1]), m[2]!.replace(/\.$/, '')]));
const tested = new Set<number>();

/** Registers the test of guarantee `n`, named after the page's sentence. */
function guarantee(n: number, fn: () => Promise<void> | void, options: { skip?: boolean; timeout?: number } = {}): void {
  const title = GUARANTEES.get(n);
  tested.add(n);
  it.skipIf(options.skip ?? false)(`${n}. ${title ?? '(not in docs/RESULTS.md)'}`, fn, options.timeout ?? 60_000);
}

const work = mkdtempSync(join(tmpdir(), 'fleetsim-guarantees-'));
const tiny = writeStudy(work, 'tiny.json', TINY);
const two = writeStudy(work, 'two.json', TWO_UNITS);
const whole = join(work, 'whole');
const mounts = canMount(work);
const oneLine = (stderr: string): void => expect(stderr.trimEnd().split('\n')).toHaveLength(1);

beforeAll(() => {
  const run = fleetsim(['sweep', two, '--out', whole, ...CPU]);
  expect(run.status, run.stderr).toBe(0);
}, 60_000);
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('docs/RESULTS.md', () => {
  it('every numbered guarantee has a test here', () => {
    expect(GUARANTEES.size).toBeGreaterThanOrEqual(15);
    expect([...GUARANTEES.keys()].filter((n) => !tested.has(n))).toEqual([]);
    expect([...tested].filter((n) => !GUARANTEES.has(n))).toEqual([]);
  });

  guarantee(1, async () => {
    const dir = join(work, 'atomic');
    mkdirSync(join(dir, 'busy'), { recursive: true });
    writeFileSync(join(dir, 'busy', 'inside'), 'x'); // a non-empty directory: the rename over it fails
    await writeAtomic(join(dir, 'file.json'), 'old');
    await writeAtomic(join(dir, 'file.json'), 'new');
    await expect(writeAtomic(join(dir, 'busy'), 'data')).rejects.toThrow();
    expect(readFileSync(join(dir, 'file.json'), 'utf8')).toBe('new');
    expect(readdirSync(dir).filter((n) => n.endsWith('.tmp'))).toEqual([]); // the failed write left no temporary file
  });

  guarantee(2, async () => {
    const file = join(work, 'a-file');
    writeFileSync(file, 'not a directory');
    const cases: [string, RegExp][] = [
      ['', /^fleetsim: --out: the directory name is empty$/],
      [file, /--out .*a-file: is a file, not a directory$/],
      [join(file, 'below'), /--out .*a-file\/below: a parent of it is a file, not a directory$/],
      ['/proc/fleetsim-x', /--out \/proc\/fleetsim-x: no such file or directory, and none can be created there \(ENOENT\)$/],
    ];
    for (const [out, message] of cases) {
      const run = await cli(['sweep', tiny, '--out', out, ...CPU]); // /proc/x used to spin forever
      expect(run.status, out).toBe(EXIT_USAGE);
      expect(run.stderr.trimEnd()).toMatch(message);
      oneLine(run.stderr);
    }
    expect(readFileSync(file, 'utf8')).toBe('not a directory');
  });

  guarantee(
    3,
    () => {
      const ro = join(work, 'ro');
      expect(mountTmpfs(ro, '1m', true)).toBe(true);
      try {
        const run = fleetsim(['sweep', tiny, '--out', join(ro, 'r'), ...CPU]);
        expect(run.status).toBe(EXIT_ENVIRONMENT);
        expect(run.stderr).toMatch(/^fleetsim: --out .*ro\/r: the file system is read-only \(EROFS\)/);
        oneLine(run.stderr);
      } finally {
        unmount(ro);
      }
    },
    { skip: !mounts },
  );

  guarantee(
    4,
    () => {
      const disk = join(work, 'full');
      expect(mountTmpfs(disk, '30m')).toBe(true); // room for the first unit's Arrow files (fleets/ and agents/, ≈ 21 MB), not the second's
      try {
        const out = join(disk, 'r');
        const full = fleetsim(['sweep', two, '--out', out, ...CPU, '--batch-size', '1']);
        expect(full.status).toBe(EXIT_ENVIRONMENT);
        expect(full.stderr).toMatch(/no space left on the device \(ENOSPC\); the directory holds every batch .* --resume$/m);
        oneLine(full.stderr);
        const checkpoint = JSON.parse(readFileSync(join(out, 'checkpoint.json'), 'utf8')) as { unitsDone: number };
        expect(checkpoint.unitsDone).toBe(1);
        expect(readdirSync(out).filter((n) => n.endsWith('.tmp'))).toEqual([]);
        expect(existsSync(join(out, LOCK_FILE))).toBe(false);
        expect(remountSize(disk, '64m')).toBe(true);
        const resumed = fleetsim(['sweep', two, '--out', out, ...CPU, '--resume']);
        expect(resumed.status, resumed.stderr).toBe(0);
        expect(differing(out, whole)).toEqual([]);
      } finally {
        unmount(disk);
      }
    },
    { skip: !mounts },
  );

  guarantee(5, async () => {
    const out = join(work, 'held');
    mkdirSync(out);
    const holder = spawn('sleep', ['30']); // a live process on this host
    try {
      const lock = { pid: holder.pid, host: hostname(), since: '2026-01-01T00:00:00.000Z', token: 'x' };
      writeFileSync(join(out, LOCK_FILE), JSON.stringify(lock));
      const run = await cli(['sweep', tiny, '--out', out, ...CPU]);
      expect(run.status).toBe(EXIT_USAGE);
      expect(run.stderr).toContain(
        `held: in use by another fleetsim run (pid ${holder.pid} on host ${hostname()} since 2026-01-01T00:00:00.000Z`,
      );
      oneLine(run.stderr);
      expect(readdirSync(out)).toEqual([LOCK_FILE]);
    } finally {
      holder.kill('SIGKILL');
    }
  });

  guarantee(6, async () => {
    // A dead pid on this host: taken over at once.
    const out = join(work, 'dead-holder');
    mkdirSync(out);
    const deadPid = 2 ** 22 + 12_345; // above Linux's pid_max: no such process
    writeFileSync(join(out, LOCK_FILE), JSON.stringify({ pid: deadPid, host: hostname(), since: '2026-01-01T00:00:00.000Z', token: 'x' }));
    expect((await cli(['sweep', tiny, '--out', out, ...CPU])).status).toBe(0);
    expect(existsSync(join(out, LOCK_FILE))).toBe(false);

    // Another host: held while fresh, taken over after 60 s without a refresh.
    const far = join(work, 'far-holder');
    mkdirSync(far);
    const lock = join(far, LOCK_FILE);
    writeFileSync(lock, JSON.stringify({ pid: 1, host: 'another-host', since: '2026-01-01T00:00:00.000Z', token: 'y' }));
    const refused = await cli(['sweep', tiny, '--out', far, ...CPU]);
    expect(refused.status).toBe(EXIT_USAGE);
    expect(refused.stderr).toContain('(pid 1 on host another-host since 2026-01-01T00:00:00.000Z');
    const old = new Date(Date.now() - 61_000);
    utimesSync(lock, old, old);
    expect((await cli(['sweep', tiny, '--out', far, ...CPU])).status).toBe(0);
  });

  guarantee(7, async () => {
    const ended = join(work, 'ended');
    expect((await cli(['sweep', tiny, '--out', ended, ...CPU])).status).toBe(0);
    expect(existsSync(join(ended, LOCK_FILE))).toBe(false);
    const failed = await cli(['sweep', tiny, '--out', ended, ...CPU, '--seed', '6', '--resume']); // refused after the lock was taken
    expect(failed.status).toBe(EXIT_USAGE);
    expect(existsSync(join(ended, LOCK_FILE))).toBe(false);
    for (const signal of ['SIGTERM', 'SIGINT'] as const) {
      const out = join(work, `signal-${signal}`);
      const child = start(['sweep', two, '--out', out, ...CPU, '--batch-size', '1']);
      await waitFor(() => existsSync(join(out, LOCK_FILE)));
      child.kill(signal);
      const run = await child.exited;
      expect(run.signal ?? run.status).toBe(signal);
      expect(existsSync(join(out, LOCK_FILE))).toBe(false);
    }
  });

  guarantee(8, async () => {
    const run = await cli(['sweep', two, '--out', whole, ...CPU]);
    expect(run.status).toBe(EXIT_USAGE);
    expect(run.stderr).toMatch(/whole: already holds a sweep; pass --resume to continue it/);
    const onlyArrow = join(work, 'only-arrow');
    mkdirSync(join(onlyArrow, 'fleets'), { recursive: true });
    writeFileSync(join(onlyArrow, 'fleets', 'unit-00000000.arrow'), 'x');
    expect((await cli(['sweep', tiny, '--out', onlyArrow, ...CPU])).status).toBe(EXIT_USAGE);
  });

  guarantee(9, async () => {
    // Another study's directory, stopped before its first checkpoint: only a manifest and Arrow files.
    const other = join(work, 'other-study');
    mkdirSync(join(other, 'fleets'), { recursive: true });
    const manifest = readFileSync(join(whole, 'manifest.json'), 'utf8').replace('"seed": 5', '"seed": 77');
    writeFileSync(join(other, 'manifest.json'), manifest);
    writeFileSync(join(other, 'fleets', 'unit-00000000.arrow'), readFileSync(join(whole, 'fleets', 'unit-00000000.arrow')));
    const run = await cli(['sweep', two, '--out', other, ...CPU, '--resume']);
    expect(run.status).toBe(EXIT_USAGE);
    expect(run.stderr).toMatch(/--resume: .*other-study holds a different study or seed \(its manifest\.json\)/);
    const shard = await cli(['sweep', two, '--out', whole, ...CPU, '--resume', '--shard', '1/2']);
    expect(shard.status).toBe(EXIT_USAGE);
    expect(shard.stderr).toMatch(/holds shard 0\/1, not 1\/2/);
    const noManifest = join(work, 'no-manifest');
    mkdirSync(noManifest);
    writeFileSync(join(noManifest, 'summary.json'), '{}');
    const bare = await cli(['sweep', tiny, '--out', noManifest, ...CPU, '--resume']);
    expect(bare.status).toBe(EXIT_USAGE);
    expect(bare.stderr).toMatch(/holds result files but no manifest\.json/);
  });

  guarantee(10, async () => {
    const base = JSON.parse(readFileSync(join(whole, 'checkpoint.json'), 'utf8')) as Record<string, unknown>;
    const cases: [string, Record<string, unknown>, RegExp][] = [
      ['negative', { unitsDone: -1, complete: false }, /checkpoint\.json: .*unitsDone: must be ≥ 0/],
      ['beyond', { unitsDone: 3 }, /unitsDone: must be at most unitsTotal \(2\), got 3/],
      ['fraction', { unitsDone: 0.5 }, /unitsDone: /],
      [
        'total',
        { unitsTotal: 5, unitsDone: 5 },
        /unitsTotal: must be this shard's 2 units, got 5; the checkpoint was written under another plan of units \(a fleetsim older/,
      ],
      ['complete', { complete: false }, /complete: must be true when 2 of 2 units are done/],
      ['aggregate', { aggregate: { policies: ['static', 'adaptive'], cells: 'x' } }, /aggregate\.cells/],
      [
        'format',
        { format: 'fleetsim-checkpoint/3' },
        new RegExp(`a checkpoint of another fleetsim version \\("fleetsim-checkpoint/3"; this version reads ${CHECKPOINT_FORMAT}\\)`),
      ],
    ];
    for (const [name, patch, message] of cases) {
      const dir = join(work, `checkpoint-${name}`);
      mkdirSync(dir);
      writeFileSync(join(dir, 'manifest.json'), readFileSync(join(whole, 'manifest.json')));
      writeFileSync(join(dir, 'checkpoint.json'), JSON.stringify({ ...base, ...patch }));
      const run = await cli(['sweep', two, '--out', dir, ...CPU, '--resume']);
      expect(run.status, name).toBe(EXIT_USAGE);
      expect(run.stderr, name).toMatch(message);
      oneLine(run.stderr);
      expect(existsSync(join(dir, 'summary.json'))).toBe(false);
    }
  });

  guarantee(11, async () => {
    const out = join(work, 'killed');
    const child = start(['sweep', two, '--out', out, ...CPU, '--batch-size', '1']);
    await waitFor(() => existsSync(join(out, 'checkpoint.json')));
    child.kill('SIGKILL');
    await child.exited;
    expect(existsSync(join(out, 'summary.json'))).toBe(false);
    const resumed = fleetsim(['sweep', two, '--out', out, ...CPU, '--resume', '--batch-size', '67108864']);
    expect(resumed.status, resumed.stderr).toBe(0);
    expect(differing(out, whole)).toEqual([]);
  });

  guarantee(12, async () => {
    const shards = [join(work, 'shard-0'), join(work, 'shard-1')];
    for (const [i, dir] of shards.entries()) expect((await cli(['sweep', two, '--out', dir, ...CPU, '--shard', `${i}/2`])).status).toBe(0);
    const merged = join(work, 'merged');
    const run = await cli(['merge', ...shards, '--out', merged]);
    expect(run.status, run.stderr).toBe(0);
    expect(differing(merged, whole)).toEqual([]);
    const file = join(work, 'merge-file');
    writeFileSync(file, 'x');
    const onFile = await cli(['merge', ...shards, '--out', file]);
    expect(onFile.status).toBe(EXIT_USAGE);
    expect(onFile.stderr).toMatch(/--out .*merge-file: is a file, not a directory$/m);
    const missing = await cli(['merge', shards[0]!, '--out', join(work, 'merged-1')]);
    expect(missing.status).toBe(EXIT_USAGE);
    expect(existsSync(join(work, 'merged-1'))).toBe(false);
  });

  guarantee(13, () => {
    const out = join(work, 'killed'); // guarantee 11's: killed, resumed with another batch size
    expect(existsSync(join(out, 'summary.json'))).toBe(true);
    const read = (dir: string, file: string): Record<string, unknown> =>
      JSON.parse(readFileSync(join(dir, file), 'utf8')) as Record<string, unknown>;
    const strip = (m: Record<string, unknown>, fields: string[]): Record<string, unknown> =>
      Object.fromEntries(Object.entries(m).filter(([k]) => !fields.includes(k)));
    const made = ['createdAt', 'wallSeconds', 'engineSeconds', 'backends', 'studyFile', 'shardsMerged'];
    expect(strip(read(out, 'manifest.json'), made)).toEqual(strip(read(whole, 'manifest.json'), made));
    expect(strip(read(out, 'checkpoint.json'), ['times'])).toEqual(strip(read(whole, 'checkpoint.json'), ['times']));
    expect(JSON.stringify(read(out, 'checkpoint.json').aggregate)).toBe(JSON.stringify(read(whole, 'checkpoint.json').aggregate));
  });

  guarantee(14, async () => {
    expect([EXIT_USAGE, EXIT_ENVIRONMENT]).toEqual([2, 3]);
    expect((await cli(['sweep', tiny, '--out', join(work, 'ok'), ...CPU])).status).toBe(0);
    expect((await cli(['sweep', tiny, '--out', join(work, 'ok'), ...CPU])).status).toBe(2);
    expect((await cli(['sweep', tiny, '--out', join(work, 'ok2'), '--backend', 'nope'])).status).toBe(2);
    // 3 is checked by guarantees 3 and 4 (where this process may mount a tmpfs).
  });

  guarantee(15, async () => {
    const dir = join(work, 'strict');
    mkdirSync(dir);
    writeFileSync(join(dir, 'manifest.json'), readFileSync(join(whole, 'manifest.json')));
    const text = readFileSync(join(whole, 'checkpoint.json'), 'utf8');
    writeFileSync(join(dir, 'checkpoint.json'), text.replace('{"format"', '{"seed":5,"format"'));
    const twice = await cli(['sweep', two, '--out', dir, ...CPU, '--resume']);
    expect(twice.status).toBe(EXIT_USAGE);
    expect(twice.stderr).toMatch(/checkpoint\.json: line 1, column \d+: the key "seed" appears twice in one object/);
    oneLine(twice.stderr);
    writeFileSync(join(dir, 'checkpoint.json'), `${'['.repeat(100_000)}${']'.repeat(100_000)}`);
    const deep = await cli(['sweep', two, '--out', dir, ...CPU, '--resume']);
    expect(deep.status).toBe(EXIT_USAGE);
    expect(deep.stderr).toMatch(/checkpoint\.json: nested deeper than 64 levels/);
    writeFileSync(join(dir, 'checkpoint.json'), `\uFEFF${text}`); // a byte-order mark is fine
    expect((await cli(['sweep', two, '--out', dir, ...CPU, '--resume'])).status).toBe(0);
    const summary = readFileSync(join(whole, 'summary.json'), 'utf8');
    expect(() => parseSummaryJson(summary.replace('"study": "two-units"', '"study": "two-units", "study": "x"'), 'summary.json')).toThrow(
      /^summary\.json: line \d+, column \d+: the key "study" appears twice/,
    );
  });
});
