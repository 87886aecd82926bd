/**
 * Scale-out on a real scheduler, two parts.
 *
 * 1. Through a throwaway single-node Slurm cluster (test/helpers/slurm.ts; skipped with a line when
 *    Slurm is not installed): the scheduler's own cost per job (an empty `sbatch --wrap true`, from
 *    submission to its end as `scontrol` reports it), then the study run by the documented scripts
 *    (docs/examples/slurm/submit.sh) as N = 1 and 2 array tasks of one CPU each, against the same
 *    study run directly. Per task, the overhead is the array's wall time (submission to the last task's
 *    end) less the longest shard's own `wallSeconds`: scheduling, `npx` and Node's start, the study's
 *    expansion.
 * 2. `fleetsim merge` against the number of shards: a small study of 1,000 cells (one unit each) split
 *    into 10, 100 and 1,000 shard directories (made in this process with `--shard I/N`'s code path, no
 *    Slurm), each merged by the CLI in a child process under /usr/bin/time (wall time and peak RSS).
 *    Then the refusals at 1,000: one shard missing, one shard of another seed.
 *
 * Writes the figures to bench/results/slurm-<date>-<host>.json.
 *
 *   npm run bench:slurm -- [study for part 1, default sweeps/load-curve.json]
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { median as medianOf } from 'simple-statistics';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { cpus, hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadStudy, runSweepCommand } from '../src/cli/sweep.js';
import { packageRoot, packageVersion } from '../src/platform/node.js';
import { cpuEngine } from '../src/platform/nodeEngine.js';
import { fleetsimProject, type JobRecord, type SlurmCluster, slurmUnavailable, startSlurm } from '../test/helpers/slurm.js';

const ROOT = packageRoot();
const BIN = join(ROOT, 'bin', 'fleetsim.js');
const studyFile = process.argv[2] ?? join(ROOT, 'sweeps', 'load-curve.json');
const work = mkdtempSync(join(tmpdir(), 'fleetsim-bench-slurm-'));
const ENDED = /^(COMPLETED|FAILED|CANCELLED|TIMEOUT|NODE_FAIL|OUT_OF_MEMORY)$/;

const median = (xs: number[]): number => medianOf(xs); // the mean of the middle two for an even count
const wallSecondsOf = (dir: string): number =>
  (JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8')) as { wallSeconds: number }).wallSeconds;

async function endedAt(cluster: SlurmCluster, id: string): Promise<{ seconds: number; jobs: JobRecord[] }> {
  const jobs = await cluster.waitFor(
    `job ${id}`,
    async () => {
      const records = await cluster.jobs(id);
      return records.every((j) => ENDED.test(j.JobState ?? '')) ? records : undefined;
    },
    1_800_000,
    50,
  );
  return { seconds: performance.now() / 1000, jobs };
}

interface SlurmRow {
  tasks: number;
  arraySeconds: number; // submission to the last task's end
  longestShardSeconds: number; // the longest shard's own wallSeconds
  overheadPerTaskSeconds: number; // arraySeconds − longestShardSeconds
  mergeJobSeconds: number; // the array's end to the merge job's end
  equalToDirect: boolean;
}

async function throughSlurm(): Promise<{ emptyJobSeconds: number[]; directSeconds: number; rows: SlurmRow[] } | string> {
  const why = slurmUnavailable();
  if (why !== null) return why;
  const cluster = await startSlurm({ cpus: 8 });
  try {
    const emptyJobSeconds: number[] = [];
    for (let i = 0; i < 5; i++) {
      const t0 = performance.now() / 1000;
      const id = (await cluster.run('sbatch', ['--parsable', '--output=/dev/null', '--wrap', 'true'])).stdout.trim();
      emptyJobSeconds.push((await endedAt(cluster, id)).seconds - t0);
    }
    console.log(`an empty job (sbatch --wrap true), submission to end: median ${median(emptyJobSeconds).toFixed(2)} s of 5`);

    const direct = join(cluster.dir, 'direct');
    const t0 = performance.now();
    execFileSync(process.execPath, [BIN, 'sweep', studyFile, '--out', direct, '--quiet', '--backend', 'cpu', '--threads', '1']);
    const directSeconds = (performance.now() - t0) / 1000;
    console.log(
      `${studyFile} run directly (node bin/fleetsim.js, cpu, 1 thread): ${directSeconds.toFixed(2)} s, its own wallSeconds ${wallSecondsOf(direct).toFixed(2)} s`,
    );

    const rows: SlurmRow[] = [];
    const project = fleetsimProject(cluster.dir, ROOT); // submitted from a project with fleetsim installed
    for (const tasks of [1, 2]) {
      const results = join(cluster.dir, `results-${tasks}`);
      const env = {
        STUDY: studyFile,
        RESULTS: results,
        FLEETSIM_ARGS: '--backend cpu',
        SBATCH_OUTPUT: join(cluster.dir, 'out', '%x-%A_%a.out'),
      };
      const start = performance.now() / 1000;
      const submitted = await cluster.run(
        join(ROOT, 'docs', 'examples', 'slurm', 'submit.sh'),
        [`--array=0-${tasks - 1}`, '--cpus-per-task=1'],
        { env, cwd: project },
      );
      const [array, merge] = submitted.stdout.trim().split('\n');
      const arrayEnd = await endedAt(cluster, array!);
      const mergeEnd = await endedAt(cluster, merge!);
      const states = [...arrayEnd.jobs, ...mergeEnd.jobs].map((j) => j.JobState);
      if (states.some((s) => s !== 'COMPLETED')) throw new Error(`N = ${tasks}: jobs ended ${states.join(', ')}`);
      const shards = Array.from({ length: tasks }, (_, i) => wallSecondsOf(join(results, `shard-${i}`)));
      const row: SlurmRow = {
        tasks,
        arraySeconds: arrayEnd.seconds - start,
        longestShardSeconds: Math.max(...shards),
        overheadPerTaskSeconds: arrayEnd.seconds - start - Math.max(...shards),
        mergeJobSeconds: mergeEnd.seconds - arrayEnd.seconds,
        equalToDirect: ['summary.json', 'cells.csv'].every((f) =>
          readFileSync(join(results, 'merged', f)).equals(readFileSync(join(direct, f))),
        ),
      };
      rows.push(row);
      console.log(
        `N = ${tasks}: array ${row.arraySeconds.toFixed(2)} s (longest shard ${row.longestShardSeconds.toFixed(2)} s, overhead per task ${row.overheadPerTaskSeconds.toFixed(2)} s), ` +
          `merge job ${row.mergeJobSeconds.toFixed(2)} s, merged = direct: ${row.equalToDirect}`,
      );
    }
    return { emptyJobSeconds, directSeconds, rows };
  } finally {
    await cluster.stop();
  }
}

interface MergeRow {
  shards: number;
  makeSeconds: number; // making the shard directories in process
  mergeSeconds: number; // the CLI's wall time
  peakRssMiB: number;
  equalToUnsharded: boolean;
}

/** `fleetsim merge DIRS --out OUT` under /usr/bin/time: exit code, stderr, wall seconds and peak RSS. */
function timedMerge(dirs: string[], out: string): { code: number; stderr: string; seconds: number; peakRssMiB: number } {
  const r = spawnSync('/usr/bin/time', ['-f', 'TIME %e %M', process.execPath, BIN, 'merge', ...dirs, '--out', out], { encoding: 'utf8' });
  const lines = r.stderr
    .trimEnd()
    .split('\n')
    .filter((line) => !line.startsWith('Command exited with non-zero status'));
  const [, seconds, kib] = /^TIME ([\d.]+) (\d+)$/.exec(lines.pop() ?? '') ?? [];
  return { code: r.status ?? 1, stderr: lines.join('\n'), seconds: Number(seconds), peakRssMiB: Number(kib) / 1024 };
}

async function mergeScaling(): Promise<{ rows: MergeRow[]; refusals: { case: string; seconds: number; message: string }[] }> {
  const small = {
    name: 'bench-merge',
    seed: 5,
    fleet: {
      random: {
        agents: 4,
        T: { kind: 'logUniform', min: 20, max: 200 },
        R: { kind: 'uniform', min: 0.05, max: 0.25 },
        P: { kind: 'choice', values: [1, 2, 3] },
        load: 1,
      },
    },
    arrivals: 'poisson',
    steps: 20,
    warmup: 0,
    samples: 8,
    axes: [{ path: 'fleet.random.load', values: Array.from({ length: 1000 }, (_, i) => Number((0.2 + 0.002 * i).toFixed(3))) }],
  };
  const file = join(work, 'small.json');
  writeFileSync(file, JSON.stringify(small));
  const engine = cpuEngine(1);
  const makeShards = async (count: number, dir: string, seed?: number, only?: number): Promise<number> => {
    const loaded = await loadStudy(file, seed === undefined ? {} : { seed });
    const t0 = performance.now();
    for (let index = 0; index < count; index++) {
      if (only !== undefined && index !== only) continue;
      await runSweepCommand(file, loaded, engine, {
        out: join(dir, `shard-${index}`),
        shard: { index, count },
        resume: false,
        quiet: true,
      });
    }
    return (performance.now() - t0) / 1000;
  };
  const shardDirs = (dir: string, count: number): string[] => Array.from({ length: count }, (_, i) => join(dir, `shard-${i}`));
  try {
    await makeShards(1, join(work, 'whole'));
    const rows: MergeRow[] = [];
    for (const count of [10, 100, 1000]) {
      const dir = join(work, `n${count}`);
      const makeSeconds = await makeShards(count, dir);
      const m = timedMerge(shardDirs(dir, count), join(dir, 'merged'));
      if (m.code !== 0) throw new Error(`merge of ${count} shards: exit ${m.code}: ${m.stderr}`);
      const equalToUnsharded = ['summary.json', 'cells.csv'].every((f) =>
        readFileSync(join(dir, 'merged', f)).equals(readFileSync(join(work, 'whole', 'shard-0', f))),
      );
      rows.push({ shards: count, makeSeconds, mergeSeconds: m.seconds, peakRssMiB: m.peakRssMiB, equalToUnsharded });
      console.log(
        `merge of ${String(count).padStart(4)} shards (1,000 cells): ${m.seconds.toFixed(2)} s, peak RSS ${m.peakRssMiB.toFixed(0)} MiB, equal to the unsharded run: ${equalToUnsharded} (shards made in ${makeSeconds.toFixed(1)} s)`,
      );
    }
    const dir = join(work, 'n1000');
    const refusals: { case: string; seconds: number; message: string }[] = [];
    const missing = timedMerge(
      shardDirs(dir, 1000).filter((_, i) => i !== 537),
      join(work, 'refused-1'),
    );
    refusals.push({ case: 'shard 537 of 1,000 missing', seconds: missing.seconds, message: missing.stderr });
    await makeShards(1000, join(work, 'foreign'), 6, 537);
    const foreign = timedMerge(
      shardDirs(dir, 1000).map((d, i) => (i === 537 ? join(work, 'foreign', 'shard-537') : d)),
      join(work, 'refused-2'),
    );
    refusals.push({ case: 'shard 537 of another seed', seconds: foreign.seconds, message: foreign.stderr });
    for (const r of refusals) console.log(`refused (${r.case}) in ${r.seconds.toFixed(2)} s: ${r.message}`);
    return { rows, refusals };
  } finally {
    engine.close();
  }
}

try {
  const slurm = await throughSlurm();
  if (typeof slurm === 'string') console.log(`part 1 skipped: ${slurm}`);
  const merge = await mergeScaling();
  const date = new Date().toISOString().slice(0, 10);
  const dir = join(ROOT, 'bench', 'results');
  await mkdir(dir, { recursive: true });
  const out = join(dir, `slurm-${date}-${hostname()}.json`);
  await writeFile(
    out,
    `${JSON.stringify({ bench: 'slurm', date, fleetsim: packageVersion(), node: process.version, cpu: cpus()[0]?.model, cores: cpus().length, study: studyFile, slurm, merge }, null, 2)}\n`,
  );
  console.log(`wrote ${out}`);
} finally {
  rmSync(work, { recursive: true, force: true });
}
