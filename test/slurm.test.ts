/**
 * The sharded sweep on a real scheduler: a throwaway single-node Slurm cluster (test/helpers/slurm.ts)
 * runs the job scripts of docs/SWEEPS.md as written (docs/examples/slurm/, through submit.sh; the
 * array's size, the CPUs per task and the study come from the sbatch command line and the
 * environment, which the scripts allow), and the merge equals an unsharded run byte for byte. Then
 * the failures a cluster has: a task killed and requeued (it resumes from its checkpoint), a task that
 * fails outright (the merge never runs, and a manual merge refuses naming the shard), the same array
 * submitted twice into one results directory (the directory lock stops the second task of each
 * index), and the node drained while a task runs.
 *
 * Skipped, with one line saying why, where Slurm is not installed; under CI=true that is a failure,
 * as is a cluster that does not start. The CPU engine on one thread, so every shard gives exact bits.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fleetsimProject, type JobRecord, type SlurmCluster, slurmUnavailable, startSlurm } from './helpers/slurm.js';

const ROOT = join(import.meta.dirname, '..');
const BIN = join(ROOT, 'bin', 'fleetsim.js');
const SCRIPTS = join(ROOT, 'docs', 'examples', 'slurm');
const unavailable = slurmUnavailable();
const CI = process.env.CI === 'true';

if (unavailable !== null && !CI) console.warn(`test/slurm.test.ts: skipped: ${unavailable}`);

/** sweeps/load-curve.json made small: 12 cells of one unit each, a few seconds per shard on one thread. */
function smallStudy(): object {
  const study = JSON.parse(readFileSync(join(ROOT, 'sweeps', 'load-curve.json'), 'utf8')) as Record<string, unknown>;
  delete study.$schema;
  return {
    ...study,
    name: 'slurm-test',
    samples: 1000,
    steps: 300,
    warmup: 20,
    axes: [{ path: 'fleet.random.load', values: Array.from({ length: 12 }, (_, i) => 0.25 * (i + 1)) }],
  };
}
/** One unit (1,000 fleet runs × 4 agents × 3 policies) per batch: a checkpoint after every unit. */
const FLEETSIM_ARGS = '--backend cpu --batch-size 12000';

const state = (job: JobRecord): string => job.JobState ?? '?';
const ENDED = new Set(['COMPLETED', 'FAILED', 'CANCELLED', 'TIMEOUT', 'NODE_FAIL', 'OUT_OF_MEMORY', 'PREEMPTED', 'BOOT_FAIL', 'DEADLINE']);

describe.runIf(unavailable === null)('fleetsim on a real Slurm cluster', () => {
  let cluster: SlurmCluster;
  let study: string;
  let reference: string;
  let project: string; // where the scripts are submitted from: a project with fleetsim installed
  let run = 0;

  beforeAll(async () => {
    // Jobs start as soon as they are submitted (Slurm's default waits up to 3 s to batch them).
    cluster = await startSlurm({ cpus: 8, schedulerParameters: 'batch_sched_delay=0' });
    project = fleetsimProject(cluster.dir, ROOT);
    study = join(cluster.dir, 'study.json');
    writeFileSync(study, JSON.stringify(smallStudy()));
    reference = join(cluster.dir, 'reference');
    execFileSync(process.execPath, [BIN, 'sweep', study, '--out', reference, '--quiet', '--threads', '1', ...FLEETSIM_ARGS.split(' ')]);
  }, 120_000);

  afterAll(async () => {
    if (cluster === undefined) return;
    const dir = cluster.dir;
    await cluster.stop();
    expect(cluster.processes()).toEqual([]);
    expect(existsSync(dir)).toBe(false);
  }, 60_000);

  /** A fresh results directory in the cluster's temp dir, and the environment the scripts read. */
  function results(): { dir: string; env: NodeJS.ProcessEnv } {
    const dir = join(cluster.dir, `results-${++run}`);
    return { dir, env: { STUDY: study, RESULTS: dir, FLEETSIM_ARGS, SBATCH_OUTPUT: join(cluster.dir, 'out', '%x-%A_%a.out') } };
  }

  /** docs/examples/slurm/submit.sh with `args` for the array's sbatch; the array's and the merge's job ids. */
  async function submit(env: NodeJS.ProcessEnv, args: string[]): Promise<{ array: string; merge: string }> {
    const r = await cluster.run(join(SCRIPTS, 'submit.sh'), args, { env, cwd: project });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const [array, merge] = r.stdout.trim().split('\n');
    return { array: array!, merge: merge! };
  }

  /** The records of `id` once every one has ended. */
  const ended = (id: string, timeoutMs = 90_000): Promise<JobRecord[]> =>
    cluster.waitFor(
      `job ${id} to end`,
      async () => {
        const jobs = await cluster.jobs(id);
        return jobs.every((j) => ENDED.has(state(j))) ? jobs : undefined;
      },
      timeoutMs,
    );

  const task = async (array: string, index: number): Promise<JobRecord> => (await cluster.jobs(`${array}_${index}`))[0]!;

  const checkpoint = (dir: string): { unitsDone: number; complete: boolean } | null => {
    try {
      return JSON.parse(readFileSync(join(dir, 'checkpoint.json'), 'utf8')) as { unitsDone: number; complete: boolean };
    } catch {
      return null;
    }
  };

  /** The pid in the lock file of a result directory, or null when there is none. */
  const lockHolder = (dir: string): number | null => {
    try {
      return (JSON.parse(readFileSync(join(dir, '.fleetsim.lock'), 'utf8')) as { pid: number }).pid;
    } catch {
      return null;
    }
  };

  /** Whether `pid` runs (a zombie does not). */
  const running = (pid: number): boolean => {
    try {
      return !/^\d+ \(.*\) Z/s.test(readFileSync(`/proc/${pid}/stat`, 'latin1'));
    } catch {
      return false;
    }
  };

  function expectSameAsReference(merged: string): void {
    for (const file of ['summary.json', 'cells.csv']) {
      expect(
        readFileSync(join(merged, file)).equals(readFileSync(join(reference, file))),
        `${merged}/${file} differs from the unsharded run`,
      ).toBe(true);
    }
  }

  const output = (job: JobRecord): string => readFileSync(job.StdOut!, 'utf8');

  /** The merge job `id` pending for ever: afterok saw a task fail. Cancels it. */
  async function expectMergeNeverRuns(id: string): Promise<void> {
    const [job] = await cluster.waitFor(`merge ${id} to be marked never satisfied`, async () => {
      const jobs = await cluster.jobs(id);
      return jobs[0]?.Reason === 'DependencyNeverSatisfied' ? jobs : undefined;
    });
    expect(state(job!)).toBe('PENDING');
    await cluster.run('scancel', [id]);
  }

  /** `fleetsim merge` by hand, as a user does after a requeue or a failure. */
  function mergeByHand(dirs: string[], out: string): { code: number; stderr: string } {
    try {
      execFileSync(process.execPath, [BIN, 'merge', ...dirs, '--out', out], { stdio: 'pipe' });
      return { code: 0, stderr: '' };
    } catch (error) {
      const e = error as { status: number; stderr: Buffer };
      return { code: e.status, stderr: e.stderr.toString() };
    }
  }

  it('runs the documented job array and merge: three shards equal the unsharded run', async () => {
    const { dir, env } = results();
    const { array, merge } = await submit(env, ['--array=0-2', '--cpus-per-task=1']);
    const tasks = await ended(array);
    expect(tasks.map((t) => `${t.ArrayTaskId} ${state(t)} ${t.ExitCode}`).sort()).toEqual([
      '0 COMPLETED 0:0',
      '1 COMPLETED 0:0',
      '2 COMPLETED 0:0',
    ]);
    const [mergeJob] = await ended(merge);
    expect(state(mergeJob!), output(mergeJob!)).toBe('COMPLETED');
    expect(output(mergeJob!)).toMatch(/^merged 3 shards \(12000 fleet runs\) into /);
    expectSameAsReference(join(dir, 'merged'));
  });

  it('a task killed mid-run and requeued resumes from its checkpoint', async () => {
    const { dir, env } = results();
    const { array, merge } = await submit(env, ['--array=0-1', '--cpus-per-task=1']);
    const shard = join(dir, 'shard-1');
    const done = await cluster.waitFor(
      `a checkpoint in ${shard}`,
      () => {
        const c = checkpoint(shard);
        return c !== null && c.unitsDone > 0 ? c : undefined;
      },
      90_000,
      50,
    );
    const victim = lockHolder(shard); // the fleetsim process of task 1
    expect(victim, 'task 1 holds the lock of its shard').not.toBeNull();
    await cluster.run('scancel', ['--signal=KILL', `${array}_1`]);
    // Ended, not COMPLETING: the step's processes are gone and slurmd has revoked the job's credential.
    const killed = await cluster.waitFor('task 1 to end', async () => {
      const t = await task(array, 1);
      return ENDED.has(state(t)) ? t : undefined;
    });
    expect(state(killed)).toMatch(/CANCELLED|FAILED/);
    expect(running(victim!), `the killed task's fleetsim (pid ${victim}) still runs`).toBe(false);
    const atKill = checkpoint(shard)!;
    expect(done.complete).toBe(false);
    expect(atKill.complete).toBe(false);

    // slurmd revoked the job's credential when the kill reached it, before the task ended; it refuses
    // to launch the job again with a credential made in that second or earlier (ctime <= revoked:
    // "Job … already killed, do not launch batch job"), and slurmctld then ends it FAILED 1:0 without
    // running it. So the requeue waits for the next second of the clock.
    const endedAt = Math.floor(Date.now() / 1000);
    await cluster.waitFor('the second of the kill to pass', () => (Math.floor(Date.now() / 1000) > endedAt ? true : undefined), 5000, 20);
    expect((await cluster.run('scontrol', ['requeue', `${array}_1`])).code).toBe(0);
    // A requeued job waits about two minutes before it is eligible; let it start now.
    expect((await cluster.run('scontrol', ['update', `jobid=${array}_1`, 'starttime=now'])).code).toBe(0);
    // It resumes: its checkpoint never goes back below the units done when it was killed.
    let lowest = atKill.unitsDone;
    await cluster.waitFor('the requeued task to start', async () =>
      /PENDING|RUNNING/.test(state(await task(array, 1))) ? true : undefined,
    );
    const requeued = await cluster.waitFor(
      'the requeued task to end',
      async () => {
        lowest = Math.min(lowest, checkpoint(shard)?.unitsDone ?? 0);
        const t = await task(array, 1);
        return ENDED.has(state(t)) ? t : undefined;
      },
      90_000,
      50,
    );
    expect(state(requeued), output(requeued)).toBe('COMPLETED');
    expect(lowest).toBe(atKill.unitsDone);
    expect(checkpoint(shard)?.complete).toBe(true);
    await ended(array);

    // Slurm still counts the array as failed, so its afterok merge never runs; the merge by hand
    // (merge.sbatch without the dependency) checks every shard itself.
    await expectMergeNeverRuns(merge);
    const again = await cluster.run('sbatch', ['--parsable', join(SCRIPTS, 'merge.sbatch')], { env, cwd: project });
    expect(again.code, again.stderr).toBe(0);
    const [mergeJob] = await ended(again.stdout.trim());
    expect(state(mergeJob!), output(mergeJob!)).toBe('COMPLETED');
    expectSameAsReference(join(dir, 'merged'));
  });

  it('a task that fails outright: the merge never runs, and a merge by hand refuses naming the shard', async () => {
    const { dir, env } = results();
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'shard-1'), 'not a directory\n'); // task 1's --out
    const { array, merge } = await submit(env, ['--array=0-1', '--cpus-per-task=1']);
    const tasks = await ended(array);
    const byIndex = (i: string): JobRecord => tasks.find((t) => t.ArrayTaskId === i)!;
    expect(state(byIndex('0'))).toBe('COMPLETED');
    expect(state(byIndex('1'))).toBe('FAILED');
    expect(byIndex('1').ExitCode).not.toBe('0:0');
    await expectMergeNeverRuns(merge);
    expect(existsSync(join(dir, 'merged'))).toBe(false);

    const all = mergeByHand([join(dir, 'shard-0'), join(dir, 'shard-1')], join(dir, 'merged'));
    expect(all.code).toBe(2);
    expect(all.stderr).toBe(`fleetsim: ${join(dir, 'shard-1')}: no checkpoint.json; not a sweep result directory\n`);
    const some = mergeByHand([join(dir, 'shard-0')], join(dir, 'merged'));
    expect(some.code).toBe(2);
    expect(some.stderr).toBe('fleetsim: missing shard(s) 1 of 2\n');
    expect(existsSync(join(dir, 'merged'))).toBe(false);
  });

  it('the same array submitted twice into one results directory: the lock stops the second task of each index', async () => {
    const { dir, env } = results();
    // Held, then released together, so that the two tasks of each index start at the same time.
    const first = await submit(env, ['--array=0-1', '--cpus-per-task=1', '--hold']);
    const second = await submit(env, ['--array=0-1', '--cpus-per-task=1', '--hold']);
    expect((await cluster.run('scontrol', ['release', first.array, second.array])).code).toBe(0);
    const tasks = [...(await ended(first.array)), ...(await ended(second.array))];
    for (const index of ['0', '1']) {
      const pair = tasks.filter((t) => t.ArrayTaskId === index);
      expect(pair.map((t) => `${state(t)} ${t.ExitCode}`).sort(), `task ${index}`).toEqual(['COMPLETED 0:0', 'FAILED 2:0']);
      const loser = pair.find((t) => state(t) === 'FAILED')!;
      const text = output(loser);
      expect(text).toMatch(/^fleetsim: [^\n]*\n$/); // one line, no stack trace
      expect(text).toContain(join(dir, `shard-${index}`));
    }
    // A merge whose array lost no task runs; the others never do.
    for (const { array, merge } of [first, second]) {
      const lost = tasks.some((t) => t.ArrayJobId === array && state(t) !== 'COMPLETED');
      if (lost) await expectMergeNeverRuns(merge);
      else expect(state((await ended(merge))[0]!)).toBe('COMPLETED');
    }
    const merged = join(dir, 'merged');
    if (!existsSync(join(merged, 'summary.json'))) expect(mergeByHand([join(dir, 'shard-0'), join(dir, 'shard-1')], merged).code).toBe(0);
    expectSameAsReference(merged);
  });

  it('the node drained while a task runs: the running task finishes, the rest waits for resume', async () => {
    const { dir, env } = results();
    const { array, merge } = await submit(env, ['--array=0-1%1', '--cpus-per-task=1']); // one task at a time
    await cluster.waitFor(
      'a checkpoint of task 0',
      () => ((checkpoint(join(dir, 'shard-0'))?.unitsDone ?? 0) > 0 ? true : undefined),
      90_000,
      50,
    );
    const drain = await cluster.run('scontrol', ['update', `nodename=${cluster.node}`, 'state=drain', 'reason=fleetsim test drain']);
    expect(drain.code, drain.stderr).toBe(0);
    expect(await cluster.nodeState()).toMatch(/^drain/);
    await cluster.waitFor('task 0 to end', async () => (ENDED.has(state(await task(array, 0))) ? true : undefined));
    expect(state(await task(array, 0))).toBe('COMPLETED');
    expect(
      await cluster.waitFor('the node to be drained', async () => ((await cluster.nodeState()) === 'drained' ? 'drained' : undefined)),
    ).toBe('drained');
    expect(state(await task(array, 1))).toBe('PENDING');
    const resume = await cluster.run('scontrol', ['update', `nodename=${cluster.node}`, 'state=resume']);
    expect(resume.code, resume.stderr).toBe(0);
    const tasks = await ended(array);
    expect(tasks.map((t) => state(t))).toEqual(['COMPLETED', 'COMPLETED']);
    const [mergeJob] = await ended(merge);
    expect(state(mergeJob!), output(mergeJob!)).toBe('COMPLETED');
    expectSameAsReference(join(dir, 'merged'));
  });
});

describe.runIf(unavailable !== null && CI)('fleetsim on a real Slurm cluster (CI=true)', () => {
  it('has Slurm to run on', () => {
    expect.fail(`CI=true but no Slurm cluster can start: ${unavailable}`);
  });
});
