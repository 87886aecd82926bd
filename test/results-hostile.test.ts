/**
 * Issue 15, classes 4 to 6 for result directories, one regression test per case: file-system faults
 * are one line with exit code 2 (the user's mistake) or 3 (the machine's), never a stack trace or a
 * hang; a directory is locked against a second run; a checkpoint is checked field by field; per-fleet
 * Arrow files do not depend on batching or on the process; every JSON result reader is strict.
 * docs/RESULTS.md's guarantees have their own tests in test/results-guarantees.test.ts.
 */
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { tableToIPC } from 'apache-arrow';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EnvironmentError, UsageError } from '../src/cli/errors.js';
import { acquireLock, FS_ERRORS, fileSystemError, LOCK_FILE } from '../src/cli/outDir.js';
import { loadStudy, runSweepCommand } from '../src/cli/sweep.js';
import { runBatchCpu } from '../src/cpu/engine.js';
import { cpuEngine } from '../src/platform/nodeEngine.js';
import { parseBenchFile } from '../src/results/benchFile.js';
import { CHECKPOINT_FORMAT, checkpointAggregate, checkpointText, parseCheckpoint } from '../src/results/checkpoint.js';
import { InputError } from '../src/results/errors.js';
import { makeDirectory, readJson } from '../src/results/files.js';
import { fleetRowsTable } from '../src/results/fleetRows.js';
import { parseSummaryJson } from '../src/results/tables.js';
import { expandStudy } from '../src/study/cells.js';
import { SweepAggregate } from '../src/sweep/aggregate.js';
import { planUnits } from '../src/sweep/plan.js';
import { type BatchDone, runSweep } from '../src/sweep/run.js';
import { cli, CPU, fleetsim, start, TINY, TWO_UNITS, waitFor, writeStudy } from './results-helpers.js';

const work = mkdtempSync(join(tmpdir(), 'fleetsim-hostile-'));
const tiny = writeStudy(work, 'tiny.json', TINY);
const two = writeStudy(work, 'two.json', TWO_UNITS);
const done = join(work, 'done');
const stackTrace = /\n\s+at /;

beforeAll(async () => {
  expect((await cli(['sweep', tiny, '--out', done, ...CPU])).status).toBe(0);
});
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('file-system faults (class 4)', () => {
  it('--out /proc/x ends at once with exit code 2 (Node’s recursive mkdir spun forever)', () => {
    const started = performance.now();
    const run = fleetsim(['sweep', tiny, '--out', '/proc/fleetsim/x/y', ...CPU], 20_000);
    expect(run.status).toBe(2);
    expect(run.stderr).toBe(
      'fleetsim: --out /proc/fleetsim/x/y (at /proc/fleetsim): no such file or directory, and none can be created there (ENOENT)\n',
    );
    expect(performance.now() - started).toBeLessThan(20_000);
    expect(() => makeDirectory('/proc/fleetsim-x')).toThrow(expect.objectContaining({ code: 'ENOENT' }) as Error);
  });

  it('a file, a path below a file, an empty name: one line, exit code 2, nothing written', async () => {
    const file = join(work, 'plain');
    writeFileSync(file, 'x');
    for (const out of [file, join(file, 'a', 'b'), '', '   ']) {
      const run = await cli(['sweep', tiny, '--out', out, ...CPU]);
      expect(run.status, out).toBe(2);
      expect(run.stderr.split('\n')).toHaveLength(2);
      expect(run.stderr).not.toMatch(stackTrace);
    }
    expect(readFileSync(file, 'utf8')).toBe('x');
  });

  it('a hostile --out is echoed quoted, on one line', async () => {
    const file = join(work, 'evil\n\u001b[2Jname');
    writeFileSync(file, 'x');
    const run = await cli(['sweep', tiny, '--out', file, ...CPU]);
    expect(run.status).toBe(2);
    expect(run.stderr.trimEnd().split('\n')).toHaveLength(1);
    expect(run.stderr).not.toContain('\u001b');
  });

  it('merge --out onto a file, or below one: exit code 2 after the shards are checked', async () => {
    const file = join(work, 'merge-target');
    writeFileSync(file, 'x');
    for (const out of [file, join(file, 'below')]) {
      const run = await cli(['merge', done, '--out', out]);
      expect(run.status).toBe(2);
      expect(run.stderr).toMatch(/^fleetsim: --out .*merge-target(\/below)?: (is a file|a parent of it is a file)/);
    }
  });

  it('errno codes map to exit code 2 or 3 in one table, naming the path', () => {
    const fault = (code: string, path = '/data/out/x.tmp'): unknown =>
      fileSystemError(Object.assign(new Error(code), { code, path }), '--out /data/out', '; resumable');
    for (const code of ['ENOSPC', 'EDQUOT', 'EROFS', 'EACCES', 'EPERM', 'EIO', 'ESOMETHINGNEW']) {
      const error = fault(code);
      expect(error, code).toBeInstanceOf(EnvironmentError);
      expect((error as Error).message).toMatch(new RegExp(`^--out /data/out \\(at /data/out/x\\.tmp\\): .* \\(${code}\\); resumable$`));
    }
    for (const code of ['ENOTDIR', 'EEXIST', 'ENAMETOOLONG']) expect(fault(code), code).toBeInstanceOf(UsageError);
    expect(FS_ERRORS.ENOSPC!.blame).toBe('environment');
    const plain = new Error('not a file-system error');
    expect(fileSystemError(plain, '--out x')).toBe(plain);
  });
});

describe('result-directory integrity (class 5)', () => {
  it('a second run on a directory in use exits with code 2 naming the holder; the first finishes', async () => {
    const out = join(work, 'contested');
    const first = start(['sweep', two, '--out', out, ...CPU, '--batch-size', '1']);
    await waitFor(() => existsSync(join(out, LOCK_FILE)));
    const second = await cli(['sweep', two, '--out', out, ...CPU, '--resume']);
    expect(second.status).toBe(2);
    expect(second.stderr).toMatch(new RegExp(`contested: in use by another fleetsim run \\(pid ${first.pid} on host `));
    const merge = await cli(['merge', done, '--out', out]);
    expect(merge.status).toBe(2); // merge --out takes the lock too
    const ended = await first.exited;
    expect(ended.status, ended.stderr).toBe(0);
    expect(existsSync(join(out, LOCK_FILE))).toBe(false);
    expect(readdirSync(out).filter((n) => n.endsWith('.tmp'))).toEqual([]);
  });

  it('the lock: exclusive within a process too, released only by its holder', () => {
    const dir = join(work, 'lock-unit');
    mkdirSync(dir);
    const lock = acquireLock(dir, '--out');
    expect(() => acquireLock(dir, '--out')).toThrow(UsageError);
    lock.release();
    lock.release(); // idempotent
    const again = acquireLock(dir, '--out');
    writeFileSync(join(dir, LOCK_FILE), JSON.stringify({ pid: 1, host: 'elsewhere', since: 'now', token: 'theirs' }));
    again.release(); // not ours any more: left alone
    expect(existsSync(join(dir, LOCK_FILE))).toBe(true);
  });

  it('a kill -9 leaves a lock that the next --resume takes over at once', async () => {
    const out = join(work, 'killed');
    const child = start(['sweep', two, '--out', out, ...CPU, '--batch-size', '1']);
    await waitFor(() => existsSync(join(out, LOCK_FILE)));
    child.kill('SIGKILL');
    await child.exited;
    expect(existsSync(join(out, LOCK_FILE))).toBe(true);
    const resumed = await cli(['sweep', two, '--out', out, ...CPU, '--resume']);
    expect(resumed.status, resumed.stderr).toBe(0);
    expect(existsSync(join(out, LOCK_FILE))).toBe(false);
  });

  it("--resume refuses another study's manifest and Arrow files when no checkpoint was written yet", async () => {
    const out = join(work, 'foreign');
    mkdirSync(join(out, 'fleets'), { recursive: true });
    writeFileSync(join(out, 'manifest.json'), readFileSync(join(done, 'manifest.json'))); // the tiny study's
    writeFileSync(join(out, 'fleets', 'unit-00000000.arrow'), readFileSync(join(done, 'fleets', 'unit-00000000.arrow')));
    const run = await cli(['sweep', two, '--out', out, ...CPU, '--resume']);
    expect(run.status).toBe(2);
    expect(run.stderr).toMatch(/holds a different study or seed \(its manifest\.json\)/);
    expect(readFileSync(join(out, 'fleets', 'unit-00000000.arrow')).equals(readFileSync(join(done, 'fleets', 'unit-00000000.arrow')))).toBe(
      true,
    );
  });

  it('a broken checkpoint is refused naming the field; a negative unitsDone no longer counts cells twice', async () => {
    const base = JSON.parse(readFileSync(join(done, 'checkpoint.json'), 'utf8')) as Record<string, unknown>;
    const stat = (base.aggregate as { cells: { policies: Record<string, Record<string, { n: number }>> }[] }).cells[0]!.policies.static!
      .avgLatency!;
    const cases: [string, unknown, RegExp][] = [
      ['unitsDone -1', { ...base, unitsDone: -1, complete: false }, /unitsDone: must be ≥ 0/],
      ['seed text', { ...base, seed: '5' }, /seed: /],
      ['shard', { ...base, shard: { index: 3, count: 2 } }, /shard\.index: must be below shard\.count \(2\), got 3/],
      ['times', { ...base, times: { ...(base.times as object), engineSeconds: -1 } }, /times\.engineSeconds/],
      ['extra', { ...base, extra: 1 }, /extra: unknown field/],
      ['hash', { ...base, studyHash: 'abc' }, /studyHash: must be a SHA-256 in hex/],
      [
        'fleet runs',
        { ...base, times: { ...(base.times as object), fleetRuns: 1 } },
        /times\.fleetRuns: must equal the aggregate's fleet runs/,
      ],
      ['accumulator', JSON.parse(JSON.stringify(base).replace(`"n":${stat.n},`, '"n":-4,')), /aggregate: /],
      ['array', [], /not a fleetsim checkpoint \(the document is an array/],
    ];
    for (const [name, checkpoint, message] of cases) {
      const out = join(work, `broken-${name.replace(/ /g, '-')}`);
      mkdirSync(out);
      writeFileSync(join(out, 'manifest.json'), readFileSync(join(done, 'manifest.json')));
      writeFileSync(join(out, 'checkpoint.json'), JSON.stringify(checkpoint));
      const run = await cli(['sweep', tiny, '--out', out, ...CPU, '--resume']);
      expect(run.status, name).toBe(2);
      expect(run.stderr, name).toMatch(/checkpoint\.json: /);
      expect(run.stderr, name).toMatch(message);
      expect(run.stderr.trimEnd().split('\n'), name).toHaveLength(1);
      expect(existsSync(join(out, 'summary.json')), name).toBe(false);
    }
    expect(() => parseCheckpoint({ ...base, unitsDone: -1 }, 'c.json')).toThrow(InputError);
  });

  it('a checkpoint keeps the per-agent statistics of a fixed fleet, for --resume and merge to read back', async () => {
    const { study, cells } = expandStudy({ ...TINY, fleet: { preset: 'paper' } });
    const aggregate = new SweepAggregate(study.policies);
    await runSweep({ cells, units: planUnits(cells) }, { run: (b) => Promise.resolve(runBatchCpu(b)) }, aggregate);
    const times = { engineSeconds: 0, totalSeconds: 0, fleetRuns: 8, runs: 16, agentSteps: 0 };
    const checkpoint = {
      format: CHECKPOINT_FORMAT as typeof CHECKPOINT_FORMAT,
      studyHash: '0'.repeat(64),
      seed: 5,
      shard: { index: 0, count: 1 },
    };
    const text = checkpointText({
      ...checkpoint,
      unitsDone: 1,
      unitsTotal: 1,
      complete: true,
      times,
      aggregate: aggregate.toJSON() as never,
    });
    const back = checkpointAggregate(parseCheckpoint(JSON.parse(text), 'c.json'), 'c.json');
    expect(aggregate.summary(cells, [])[0]!.agents).toHaveLength(2);
    expect(back.summary(cells, [])).toEqual(aggregate.summary(cells, []));
  });

  it('per-fleet Arrow files: the same bytes whatever the batch size or the process history', async () => {
    const loaded = await loadStudy(two);
    const dirs = [];
    for (const batchAgentRuns of [1, 1 << 26]) {
      const out = join(work, `arrow-${batchAgentRuns}`);
      await runSweepCommand(two, loaded, cpuEngine(1), { out, shard: { index: 0, count: 1 }, resume: false, quiet: true, batchAgentRuns });
      dirs.push(out);
    }
    const names = readdirSync(join(dirs[0]!, 'fleets'));
    expect(names).toHaveLength(2);
    for (const name of names) {
      expect(readFileSync(join(dirs[0]!, 'fleets', name)).equals(readFileSync(join(dirs[1]!, 'fleets', name))), name).toBe(true);
    }
  }, 60_000);

  it('a table of the same rows has the same bytes when built twice in one process (dictionary ids)', async () => {
    const { cells } = expandStudy({ ...TINY, samples: 3 });
    const cellMap = new Map(cells.map((c) => [c.index, c]));
    const batches: BatchDone[] = [];
    const engine = { run: (b: Parameters<typeof runBatchCpu>[0]) => Promise.resolve(runBatchCpu(b)) };
    await runSweep({ cells, units: planUnits(cells) }, engine, new SweepAggregate(cells[0]!.study.policies), {
      afterBatch: (b) => void batches.push(b),
    });
    const bytes = (): Uint8Array => tableToIPC(fleetRowsTable(batches[0]!, cellMap, []), 'file');
    expect(Buffer.from(bytes()).equals(Buffer.from(bytes()))).toBe(true);
    const one = tableToIPC(fleetRowsTable(batches[0]!, cellMap, [], 1, 2), 'file'); // one fleet run's rows alone
    expect(one.length).toBeLessThan(bytes().length);
  });
});

describe('JSON result files (class 6)', () => {
  it('readJson: a byte-order mark is fine; duplicate keys, deep nesting and garbage are InputErrors naming the file', async () => {
    const file = (name: string, text: string): string => {
      const path = join(work, name);
      writeFileSync(path, text);
      return path;
    };
    expect(await readJson(file('bom.json', '\uFEFF{"a": 1}'))).toEqual({ a: 1 });
    await expect(readJson(file('dup.json', '{"a": 1, "a": 2}'))).rejects.toThrow(
      /dup\.json: line 1, column \d+: the key "a" appears twice/,
    );
    await expect(readJson(file('deep.json', '['.repeat(100_000)))).rejects.toThrow(/deep\.json: nested deeper than 64 levels/);
    await expect(readJson(file('junk.json', '{"a": '))).rejects.toThrow(InputError);
  });

  it('summary.json and bench files: BOM accepted, duplicate keys refused', () => {
    const summary = readFileSync(join(done, 'summary.json'), 'utf8');
    expect(parseSummaryJson(`\uFEFF${summary}`, 'summary.json').study).toBe('tiny');
    expect(() => parseSummaryJson(summary.replace('"seed": 5', '"seed": 5, "seed": 6'), 'summary.json')).toThrow(/appears twice/);
    expect(() => parseBenchFile('{"environment": {}, "environment": {}}')).toThrow(/not JSON \(.*appears twice/);
  });

  it('a manifest nested 100,000 deep is refused in one line, no stack overflow', async () => {
    const out = join(work, 'deep-manifest');
    mkdirSync(out);
    writeFileSync(join(out, 'manifest.json'), `${'{"a":'.repeat(100_000)}1${'}'.repeat(100_000)}`);
    const run = await cli(['sweep', tiny, '--out', out, ...CPU, '--resume']);
    expect(run.status).toBe(2);
    expect(run.stderr).toMatch(/manifest\.json: nested deeper than 64 levels/);
  });
});
