/**
 * A throwaway single-node Slurm cluster for the tests and the bench: munged, slurmctld and slurmd
 * started as child processes of this one, with every file (config, munge key and socket, state,
 * spool, logs, pid files) inside one temporary directory. It installs nothing (.ci/run installs
 * `slurm-wlm` and `munge`) and stops only what it started, by PID: the three daemons, and the job
 * processes they spawned, which are recognised by the SLURM_CONF of this cluster in their environment.
 * A guard process (a shell loop) does the same if this process dies without calling stop().
 *
 * @example
 *   const cluster = await startSlurm();
 *   try { await cluster.run('sbatch', ['--wrap', 'true']); } finally { await cluster.stop(); }
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import {
  accessSync,
  constants,
  existsSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { createServer } from 'node:net';
import { hostname, tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';

/** The programs a cluster needs: the three daemons and the client commands the tests call. */
export const SLURM_PROGRAMS = ['munged', 'slurmctld', 'slurmd', 'sbatch', 'scontrol', 'squeue', 'scancel', 'sinfo'] as const;

/** The absolute path of `program` on PATH (or in /usr/sbin, /sbin, where Debian puts the daemons), or null. */
export function findProgram(program: string): string | null {
  const dirs = [...(process.env.PATH ?? '').split(delimiter), '/usr/sbin', '/sbin', '/usr/bin'];
  for (const dir of dirs) {
    if (dir === '') continue;
    try {
      accessSync(join(dir, program), constants.X_OK);
      return join(dir, program);
    } catch {
      // not here
    }
  }
  return null;
}

/** Why no cluster can be started here (the missing programs, or not root), or null when one can. */
export function slurmUnavailable(): string | null {
  const missing = SLURM_PROGRAMS.filter((p) => findProgram(p) === null);
  if (missing.length > 0) return `${missing.join(', ')} not found (apt-get install slurm-wlm munge)`;
  if (process.getuid?.() !== 0) return 'not root (the throwaway cluster runs its daemons as root, SlurmUser=root)';
  return null;
}

export interface CommandResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** One job record of `scontrol -o show job`: its KEY=VALUE fields. */
export type JobRecord = Record<string, string>;

export interface SlurmCluster {
  /** The temporary directory holding everything; removed by stop(). */
  dir: string;
  /** The node's name (this host's short name). */
  node: string;
  /** The environment for the client commands (SLURM_CONF of this cluster). */
  env: NodeJS.ProcessEnv;
  /** Runs a command with the cluster's environment (and `env` on top); never throws on a non-zero exit. */
  run(command: string, args: readonly string[], options?: { env?: NodeJS.ProcessEnv; cwd?: string }): Promise<CommandResult>;
  /** The records of job `id` (all tasks of an array), from `scontrol -o show job`. */
  jobs(id: string): Promise<JobRecord[]>;
  /** The node's state as sinfo prints it (idle, mixed, allocated, draining, drained …). */
  nodeState(): Promise<string>;
  /** Polls `check` every `everyMs` until it returns a value other than undefined, or throws after `timeoutMs`. */
  waitFor<T>(what: string, check: () => Promise<T | undefined> | T | undefined, timeoutMs?: number, everyMs?: number): Promise<T>;
  /** The PIDs of the processes of this cluster still alive: the daemons, the guard and any job process. */
  processes(): number[];
  /** The daemons' logs, for a failure message. */
  logs(): string;
  /** Cancels every job, stops every process of the cluster by PID and removes `dir`. Idempotent. */
  stop(): Promise<void>;
}

/** Two distinct free TCP ports on the loopback interface. */
async function freePorts(count: number): Promise<number[]> {
  const servers = Array.from({ length: count }, () => createServer());
  const ports = await Promise.all(
    servers.map(
      (s) =>
        new Promise<number>((resolve, reject) => {
          s.once('error', reject);
          s.listen(0, '127.0.0.1', () => {
            const address = s.address();
            resolve(typeof address === 'object' && address !== null ? address.port : 0);
          });
        }),
    ),
  );
  await Promise.all(servers.map((s) => new Promise((resolve) => s.close(resolve))));
  return ports;
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** The PIDs whose environment holds `marker` (a NAME=value pair): the processes of one cluster. */
function processesWith(marker: string): number[] {
  const found: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    try {
      if (readFileSync(`/proc/${entry}/environ`, 'latin1').split('\0').includes(marker)) found.push(Number(entry));
    } catch {
      // gone, or not ours to read
    }
  }
  return found;
}

/** Whether `pid` runs (a zombie, dead but not yet reaped, does not). */
function alive(pid: number): boolean {
  try {
    return !/^\d+ \(.*\) Z/s.test(readFileSync(`/proc/${pid}/stat`, 'latin1'));
  } catch {
    return false;
  }
}

/**
 * slurm.conf for the cluster. ProctrackType is proctrack/pgid: a job's processes are its task's process
 * group, which every child of `npx fleetsim` stays in. proctrack/linuxproc (Slurm's parent-pid walk)
 * loses them: it parses /proc/PID/stat with sscanf("%ld %s %c %ld"), which skips a process whose
 * command name holds a space, and npm renames itself "npm exec fleetsim …"; so a cancelled task's
 * fleetsim ran on, orphaned, holding its result directory. (proctrack/cgroup, what real clusters use,
 * would write outside the temporary directory.)
 */
function slurmConf(dir: string, node: string, ports: number[], cpus: number, schedulerParameters: string): string {
  return `# A throwaway single-node cluster (test/helpers/slurm.ts); everything lives in ${dir}.
ClusterName=fleetsimtest
SlurmctldHost=${node}(127.0.0.1)
SlurmUser=root
SlurmdUser=root
SlurmctldPort=${ports[0]}
SlurmdPort=${ports[1]}
AuthType=auth/munge
AuthInfo=socket=${dir}/run/munge.sock
CredType=cred/munge
StateSaveLocation=${dir}/state
SlurmdSpoolDir=${dir}/spool
SlurmctldPidFile=${dir}/run/slurmctld.pid
SlurmdPidFile=${dir}/run/slurmd.pid
SlurmctldLogFile=${dir}/log/slurmctld.log
SlurmdLogFile=${dir}/log/slurmd.log
ProctrackType=proctrack/pgid
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
SchedulerType=sched/builtin
${schedulerParameters === '' ? '' : `SchedulerParameters=${schedulerParameters}\n`}AccountingStorageType=accounting_storage/none
JobAcctGatherType=jobacct_gather/none
JobCompType=jobcomp/none
MpiDefault=none
ReturnToService=2
JobRequeue=1
KillWait=2
MinJobAge=3600
SlurmdParameters=config_overrides
NodeName=${node} NodeAddr=127.0.0.1 CPUs=${cpus} State=UNKNOWN
PartitionName=test Nodes=${node} Default=YES MaxTime=INFINITE State=UP
`;
}

export interface SlurmOptions {
  /** The node's declared CPUs (more than the machine has is fine: config_overrides), so that tasks of 1 CPU overlap. Default 8. */
  cpus?: number;
  /** slurm.conf's SchedulerParameters, e.g. `batch_sched_delay=0` (Slurm's default delays a batch job's start up to 3 s). Default: Slurm's. */
  schedulerParameters?: string;
  /** How long to wait for the node to be idle. Default 60 s. */
  timeoutMs?: number;
}

/** Starts the cluster and waits for its node to be idle. */
export async function startSlurm(options: SlurmOptions = {}): Promise<SlurmCluster> {
  const why = slurmUnavailable();
  if (why !== null) throw new Error(`no Slurm cluster: ${why}`);
  const dir = mkdtempSync(join(tmpdir(), 'fleetsim-slurm-'));
  for (const sub of ['state', 'spool', 'log', 'run', 'out']) mkdirSync(join(dir, sub));
  const node = hostname().split('.')[0]!;
  const conf = join(dir, 'slurm.conf');
  const marker = `SLURM_CONF=${conf}`;
  writeFileSync(conf, slurmConf(dir, node, await freePorts(2), options.cpus ?? 8, options.schedulerParameters ?? ''));
  writeFileSync(join(dir, 'run', 'munge.key'), randomBytes(1024), { mode: 0o400 });
  // npm's cache and logs (npx writes them) stay in the cluster's directory too.
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    SLURM_CONF: conf,
    npm_config_cache: join(dir, 'npm-cache'),
    npm_config_update_notifier: 'false',
  };
  // Leftovers of the user's own Slurm settings would change what the client commands do.
  for (const k of Object.keys(env)) if (/^(SBATCH|SLURM|SQUEUE|SINFO|SCONTROL)_/.test(k) && k !== 'SLURM_CONF') delete env[k];

  const children: ChildProcess[] = [];
  const daemon = (program: string, args: string[]): ChildProcess => {
    const log = openSync(join(dir, 'log', `${program}.out`), 'a');
    const child = spawn(findProgram(program)!, args, { env, stdio: ['ignore', log, log] });
    child.on('error', () => undefined); // reported through the wait for the idle node
    children.push(child);
    return child;
  };

  // If this process dies without stop() (SIGKILL, a crash), the guard kills the cluster and removes it.
  const guard = spawn(
    '/bin/sh',
    [
      '-c',
      `while kill -0 ${process.pid} 2>/dev/null; do sleep 1; done
       for p in /proc/[0-9]*; do if tr '\\0' '\\n' < "$p/environ" 2>/dev/null | grep -qxF "$1"; then kill -9 "\${p#/proc/}" 2>/dev/null; fi; done
       rm -rf "$2"`,
      'guard',
      marker,
      dir,
    ],
    { stdio: 'ignore', detached: true, env: { PATH: process.env.PATH ?? '/usr/bin:/bin' } },
  );
  guard.unref();

  let stopped = false;
  const killAll = (): void => {
    for (const pid of [...children.map((c) => c.pid), ...processesWith(marker)]) {
      if (pid !== undefined && alive(pid)) process.kill(pid, 'SIGKILL');
    }
    if (guard.pid !== undefined && alive(guard.pid)) process.kill(guard.pid, 'SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  };
  const onSignal = (signal: NodeJS.Signals): void => {
    killAll();
    process.kill(process.pid, signal);
  };
  const onExit = (): void => {
    if (!stopped) killAll();
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  process.once('exit', onExit);

  const run: SlurmCluster['run'] = (command, args, opts = {}) =>
    new Promise((resolve) => {
      execFile(
        findProgram(command) ?? command,
        args,
        { env: { ...env, ...opts.env }, cwd: opts.cwd, maxBuffer: 64 << 20 },
        (error, stdout, stderr) => {
          const code = error === null ? 0 : typeof error.code === 'number' ? error.code : 1;
          resolve({ code, stdout, stderr });
        },
      );
    });

  const logs = (): string =>
    readdirSync(join(dir, 'log'))
      .map(
        (f) =>
          `--- ${f}\n${readFileSync(join(dir, 'log', f), 'utf8')
            .split('\n')
            .slice(-15)
            .join('\n')}`,
      )
      .join('\n');

  const waitFor: SlurmCluster['waitFor'] = async (what, check, timeoutMs = 60_000, everyMs = 200) => {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const value = await check();
      if (value !== undefined) return value;
      if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs / 1000} s waiting for ${what}`);
      await sleep(everyMs);
    }
  };

  const cluster: SlurmCluster = {
    dir,
    node,
    env,
    run,
    logs,
    waitFor,
    async jobs(id) {
      const r = await run('scontrol', ['-o', 'show', 'job', id]);
      if (r.code !== 0) throw new Error(`scontrol show job ${id}: ${r.stderr.trim()}`);
      return r.stdout
        .split('\n')
        .filter((line) => line.trim() !== '')
        .map((line) => Object.fromEntries(line.split(' ').map((f) => [f.slice(0, f.indexOf('=')), f.slice(f.indexOf('=') + 1)])));
    },
    async nodeState() {
      return (await run('sinfo', ['-h', '-n', node, '-o', '%T'])).stdout.trim();
    },
    processes() {
      const pids = [...children.map((c) => c.pid), guard.pid, ...processesWith(marker)];
      return [...new Set(pids.filter((p): p is number => p !== undefined && alive(p)))];
    },
    async stop() {
      if (stopped) return;
      stopped = true;
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
      process.off('exit', onExit);
      try {
        if (children.every((c) => c.exitCode === null)) {
          await run('scancel', ['--quiet', '--user', 'root']);
          await waitFor(
            'the jobs to end',
            async () => ((await run('squeue', ['-h'])).stdout.trim() === '' ? true : undefined),
            15_000,
            250,
          ).catch(() => undefined);
        }
      } finally {
        // The daemons in reverse order, politely first; then anything of the cluster still alive.
        for (const child of [...children].reverse()) {
          if (child.exitCode !== null || child.signalCode !== null) continue;
          const exited = new Promise((resolve) => child.once('exit', resolve));
          child.kill('SIGTERM');
          await Promise.race([exited, sleep(5000)]);
          if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
        }
        for (let i = 0; i < 20 && processesWith(marker).length > 0; i++) {
          for (const pid of processesWith(marker)) if (alive(pid)) process.kill(pid, 'SIGKILL');
          await sleep(100);
        }
        if (guard.exitCode === null && guard.signalCode === null) {
          const exited = new Promise((resolve) => guard.once('exit', resolve));
          guard.kill('SIGKILL');
          await Promise.race([exited, sleep(2000)]);
        }
        rmSync(dir, { recursive: true, force: true });
      }
    },
  };

  daemon('munged', [
    '--foreground',
    '--force',
    `--key-file=${dir}/run/munge.key`,
    `--socket=${dir}/run/munge.sock`,
    `--pid-file=${dir}/run/munged.pid`,
    `--log-file=${dir}/log/munged.log`,
    `--seed-file=${dir}/run/munged.seed`,
  ]);
  try {
    await waitFor('munged to open its socket', () => (existsSync(join(dir, 'run', 'munge.sock')) ? true : undefined), 15_000, 50);
    daemon('slurmctld', ['-D', '-f', conf]);
    daemon('slurmd', ['-D', '-f', conf, '-N', node]);
    await waitFor(
      `node ${node} to be idle`,
      async () => {
        const dead = children.find((c) => c.exitCode !== null || c.signalCode !== null);
        if (dead) throw new Error(`${dead.spawnfile} exited (${dead.exitCode ?? dead.signalCode})`);
        return (await cluster.nodeState()) === 'idle' ? true : undefined;
      },
      options.timeoutMs ?? 60_000,
      200,
    );
  } catch (error) {
    const message = `the Slurm cluster did not start: ${(error as Error).message}\n${logs()}`;
    await cluster.stop();
    throw new Error(message);
  }
  return cluster;
}

/**
 * A user's project with this checkout of fleetsim installed in it, as `npm install fleetsim` leaves it
 * (node_modules/fleetsim and node_modules/.bin/fleetsim), made under `dir`: the directory to submit
 * the job scripts from. There `npx fleetsim` runs the installed command at once; in the fleetsim
 * checkout itself npx would first link the package into npm's cache (about 20 s, and files outside
 * the temporary directory).
 */
export function fleetsimProject(dir: string, root: string): string {
  const project = join(dir, 'project');
  mkdirSync(join(project, 'node_modules', '.bin'), { recursive: true });
  symlinkSync(root, join(project, 'node_modules', 'fleetsim'));
  symlinkSync(join('..', 'fleetsim', 'bin', 'fleetsim.js'), join(project, 'node_modules', '.bin', 'fleetsim'));
  return project;
}
