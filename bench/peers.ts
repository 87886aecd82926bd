/**
 * `npm run bench:peers`: fleetsim against what a user would write instead, whole process against whole
 * process, side by side in one run (issue 14). The paths:
 * - `fleetsim sweep STUDY --backend cpu --threads 1`, `--backend cpu` (all cores) and `--backend gpu`
 *   (skipped, with why, when it fails: no adapter), each run as a user runs it (`node bin/fleetsim.js`);
 * - the Numba peer (bench/peers/numba_peer.py, Debian's python3-numba) on one thread and on all cores.
 * The workloads: (a) the issue's: the paper fleet × 3 policies, Poisson arrivals, 1,000 steps, 20,000
 * replicates (2.4×10^8 agent-steps); (b) random 16-agent fleets (a `fleet.random` study, 16 agents,
 * the suite's ranges) of the same agent-steps: F fleet samples × R replicates, and the peer reads the
 * same F fleets, drawn and packed by fleetsim's own code (src/study/fleets.ts, f32 as the engines see
 * them), from a JSON file (its replicate r simulates fleet r mod F, so each fleet runs R times as well).
 *
 * First every path runs once (untimed: the warm-up) and the statistics must agree: each fleetsim path's
 * summary.json mean of avgLatency, throughput and utilisation per policy against each peer's mean,
 * within 4 combined standard errors (different random streams: a statistical check); else nothing is
 * timed and the run exits 1. Then `repeats` rounds, the paths in turn (the first path rotating), each
 * timed from outside as a whole process (bench/peers/timed.py: wall clock, user + system seconds and
 * peak RSS from the finished child's own accounting): Python's and Node's start-up, fleetsim's fleet
 * generation, statistics and writes, the peer's JSON parse all included. Numba compiles once, cached on
 * disk (bench/peers/__pycache__): its compile time is measured apart on an empty cache and excluded;
 * loading the cache stays inside the timed process. Writes bench/results/peers-<date>-<host>.json.
 *
 *   npm run bench:peers -- [--replicates N] [--steps N] [--fleets F] [--repeats N] [--workloads paper,random16] [--quick] [--out DIR]
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus, hostname, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { median } from 'simple-statistics';
import { packageRoot, packageVersion } from '../src/platform/node.js';
import type { PeersBenchFile } from '../src/results/benchFile.js';
import { parseStudyText } from '../src/study/cells.js';
import { cellFleet } from '../src/study/fleets.js';
import {
  comparePeerStats,
  NUMBA_PEER,
  numbaUnavailable,
  PEER_INSTALL,
  PEER_METRICS,
  PEER_PYTHON,
  type PeerStats,
  writePeerFleets,
} from '../src/bench/numbaPeer.js';

const PYTHON = PEER_PYTHON;
const ROOT = packageRoot();
const PEER = NUMBA_PEER;
const TIMED = join(ROOT, 'bench', 'peers', 'timed.py');

function fail(message: string, code = 2): never {
  console.error(`bench:peers: ${message}`);
  process.exit(code);
}

let args;
try {
  args = parseArgs({
    options: {
      replicates: { type: 'string' },
      steps: { type: 'string', default: '1000' },
      fleets: { type: 'string', default: '1000' },
      repeats: { type: 'string' },
      workloads: { type: 'string', default: 'paper,random16' },
      quick: { type: 'boolean', default: false },
      out: { type: 'string' },
    },
  }).values;
} catch (error) {
  fail(
    `${(error as Error).message}; options: --replicates N --steps N --fleets F --repeats N --workloads paper,random16 --quick --out DIR`,
  );
}
const integer = (name: string, text: string, min: number, max: number): number => {
  const x = Number(text);
  if (!Number.isInteger(x) || x < min || x > max) fail(`--${name} must be an integer from ${min} to ${max}, got ${JSON.stringify(text)}`);
  return x;
};
const QUICK = args.quick;
const REPLICATES = integer('replicates', args.replicates ?? (QUICK ? '2000' : '20000'), 4, 1_000_000);
const STEPS = integer('steps', args.steps, 1, 100_000);
const FLEETS = integer('fleets', args.fleets, 1, 100_000);
const REPEATS = integer('repeats', args.repeats ?? (QUICK ? '1' : '3'), 1, 100);
const WANTED = args.workloads.split(',').filter((w) => w !== '');
for (const w of WANTED) if (w !== 'paper' && w !== 'random16') fail(`--workloads: ${JSON.stringify(w)} is not paper or random16`);
const CORES = availableParallelism();

// ---- the workloads: a study file for fleetsim, the same fleets for the peer ----------------------------

interface Prepared {
  name: string;
  description: string;
  study: Record<string, unknown>;
  studyFile: string;
  fleetArg: string; // the peer's FLEET argument: "paper" or the fleet file
  peerReplicates: number;
  fleetRuns: number; // per policy
  agentSteps: number;
}

const work = mkdtempSync(join(tmpdir(), 'fleetsim-peers-'));
process.on('exit', () => rmSync(work, { recursive: true, force: true }));

function prepare(name: string): Prepared {
  if (name === 'paper') {
    const study = { name: 'peers-paper', seed: 1, fleet: { preset: 'paper' }, arrivals: 'poisson', steps: STEPS, replicates: REPLICATES };
    const studyFile = join(work, 'paper.json');
    writeFileSync(studyFile, JSON.stringify(study));
    return {
      name,
      description: `the paper fleet × 3 policies, Poisson, ${STEPS} steps, ${REPLICATES} replicates`,
      study,
      studyFile,
      fleetArg: 'paper',
      peerReplicates: REPLICATES,
      fleetRuns: REPLICATES,
      agentSteps: 3 * 4 * STEPS * REPLICATES,
    };
  }
  // Random 16-agent fleets of the same agent-steps as the paper workload: runs = replicates / 4.
  const runs = Math.max(1, Math.round(REPLICATES / 4));
  const samples = Math.min(FLEETS, runs);
  const replicates = Math.max(1, Math.round(runs / samples));
  const study = {
    name: 'peers-random16',
    seed: 1,
    fleet: {
      random: {
        agents: { min: 16, max: 16 },
        T: { kind: 'logUniform', min: 5, max: 500 },
        R: { kind: 'uniform', min: 0, max: 1 },
        RDividedByN: true,
        P: { kind: 'choice', values: [1, 2, 3] },
        load: { kind: 'uniform', min: 0.3, max: 1.5 },
      },
    },
    arrivals: 'poisson',
    steps: STEPS,
    samples,
    replicates,
  };
  const studyFile = join(work, 'random16.json');
  writeFileSync(studyFile, JSON.stringify(study));
  const cell = parseStudyText(JSON.stringify(study), studyFile).cells[0]!.study;
  const fleetFile = join(work, 'random16-fleets.json');
  writePeerFleets(
    fleetFile,
    Array.from({ length: samples }, (_, s) => cellFleet(cell, s)),
  );
  return {
    name,
    description: `random 16-agent fleets × 3 policies, Poisson, ${STEPS} steps, ${samples} fleets × ${replicates} replicates`,
    study,
    studyFile,
    fleetArg: fleetFile,
    peerReplicates: samples * replicates,
    fleetRuns: samples * replicates,
    agentSteps: 3 * 16 * STEPS * samples * replicates,
  };
}

// ---- the paths ---------------------------------------------------------------------------------------

interface PathSpec {
  name: string;
  label: string;
  peer: boolean;
  command(w: Prepared, out: string): string[];
}

const fleetsim = (name: string, label: string, options: string[]): PathSpec => ({
  name,
  label,
  peer: false,
  command: (w, out) => [process.execPath, join(ROOT, 'bin', 'fleetsim.js'), 'sweep', w.studyFile, '--out', out, '--quiet', ...options],
});
const numba = (threads: number): PathSpec => ({
  name: `numba-${threads}`,
  label: `Numba peer, ${threads === 1 ? '1 thread (range)' : `${threads} threads (prange)`}`,
  peer: true,
  command: (w) => [PYTHON, PEER, String(w.peerReplicates), String(STEPS), String(threads), '1', w.fleetArg],
});

const PATHS: PathSpec[] = [
  fleetsim('cpu-1', 'fleetsim --backend cpu --threads 1', ['--backend', 'cpu', '--threads', '1']),
  fleetsim(`cpu-${CORES}`, `fleetsim --backend cpu (${CORES} threads)`, ['--backend', 'cpu']),
  fleetsim('gpu', 'fleetsim --backend gpu', ['--backend', 'gpu']),
  numba(1),
  ...(CORES > 1 ? [numba(CORES)] : []),
];

interface Timed {
  status: number;
  wall: number;
  user: number;
  system: number;
  maxRssKiB: number;
  stdout: string;
  stderr: string;
}

/** One whole process, timed from outside (bench/peers/timed.py). */
function timed(command: string[], env: NodeJS.ProcessEnv = process.env): Timed {
  const out = join(work, 'stdout.txt');
  const err = join(work, 'stderr.txt');
  const child = spawnSync(PYTHON, [TIMED, out, err, ...command], { encoding: 'utf8', env });
  if (child.status !== 0) fail(`timing ${command.join(' ')} failed: ${child.stderr.trim().split('\n').at(-1) ?? ''}`, 1);
  return {
    ...(JSON.parse(child.stdout) as Omit<Timed, 'stdout' | 'stderr'>),
    stdout: readFileSync(out, 'utf8'),
    stderr: readFileSync(err, 'utf8'),
  };
}

function fleetsimStats(out: string): PeerStats {
  const summary = JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8')) as {
    cells: { policies: { policy: string; metrics: Record<string, { n: number; mean: number; std: number; ci95: [number, number] }> }[] }[];
  };
  const stats: PeerStats = {};
  for (const p of summary.cells[0]!.policies)
    stats[p.policy] = Object.fromEntries(
      PEER_METRICS.map((m) => {
        const s = p.metrics[m]!;
        return [m, { mean: s.mean, sem: s.n > 1 ? s.std / Math.sqrt(s.n) : 0, ci95: s.ci95 }];
      }),
    );
  return stats;
}

// ---- run ---------------------------------------------------------------------------------------------

if (!existsSync(PYTHON)) fail(`needs ${PYTHON} (the Numba peer and the timer); add it with \`${PEER_INSTALL}\``, 1);
const probe = spawnSync(
  PYTHON,
  ['-c', 'import json, numba, numpy, sys; print(json.dumps([sys.version.split()[0], numba.__version__, numpy.__version__]))'],
  {
    encoding: 'utf8',
  },
);
const versions = probe.status === 0 ? (JSON.parse(probe.stdout) as [string, string, string]) : null;
const started = new Date();
console.log(
  `fleetsim bench:peers ${packageVersion()} — ${started.toISOString()} — ${cpus()[0]?.model ?? 'cpu'} × ${cpus().length}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}`,
);
const paths = PATHS.filter((p) => !p.peer || versions !== null);
if (versions === null) console.log(`Numba peer: skipped: ${numbaUnavailable() ?? 'its version probe failed'}`);
else console.log(`Python ${versions[0]}, Numba ${versions[1]}, NumPy ${versions[2]}`);

// Numba's compile time, on an empty cache (excluded from the timings below, which load the cache).
const compileSeconds: Record<string, number> = {};
for (const p of paths.filter((x) => x.peer)) {
  const cache = mkdtempSync(join(work, 'numba-cache-'));
  const run = timed([PYTHON, PEER, '2', '2', p.name.slice('numba-'.length)], { ...process.env, NUMBA_CACHE_DIR: cache });
  if (run.status !== 0) fail(`${p.name}: the peer failed: ${run.stderr.trim().split('\n').at(-1) ?? ''}`, 1);
  compileSeconds[p.name] = (JSON.parse(run.stdout) as { compileSeconds: number }).compileSeconds;
}
if (Object.keys(compileSeconds).length > 0)
  console.log(
    `Numba compile on an empty cache (excluded; the timed runs load it from bench/peers/__pycache__): ${Object.entries(compileSeconds)
      .map(([k, v]) => `${k} ${v.toFixed(2)} s`)
      .join(', ')}`,
  );

const results: PeersBenchFile['workloads'] = [];
for (const name of WANTED) {
  const w = prepare(name);
  console.log(`\n${w.name}: ${w.description} (${(w.agentSteps / 1e6).toFixed(0)} M agent-steps per run)`);
  const out = join(work, 'out');
  const runOnce = (p: PathSpec): Timed => {
    rmSync(out, { recursive: true, force: true });
    return timed(p.command(w, out));
  };
  // The warm-up, and the statistics check on its output.
  const skipped: string[] = [];
  const live: PathSpec[] = [];
  const stats = new Map<string, PeerStats>();
  for (const p of paths) {
    const run = runOnce(p);
    if (run.status !== 0) {
      const why = `${p.label} exited ${run.status}: ${run.stderr.trim().split('\n')[0] ?? ''}`;
      if (p.name === 'gpu') {
        skipped.push(why);
        console.log(`  skipped: ${why}`);
        continue;
      }
      fail(why, 1);
    }
    if (p.peer) {
      const peer = JSON.parse(run.stdout) as { stats: PeerStats; agentSteps: number };
      if (peer.agentSteps !== w.agentSteps) fail(`${p.name} ran ${peer.agentSteps} agent-steps, fleetsim ${w.agentSteps}`, 1);
      stats.set(p.name, peer.stats);
    } else stats.set(p.name, fleetsimStats(out));
    live.push(p);
  }
  const checks: PeersBenchFile['workloads'][number]['checks'] = [];
  for (const f of live.filter((p) => !p.peer))
    for (const q of live.filter((p) => p.peer)) {
      const problems = comparePeerStats(stats.get(f.name)!, stats.get(q.name)!);
      checks.push({ path: f.name, peer: q.name, agree: problems.length === 0, problems });
      console.log(
        `  check ${f.name} against ${q.name}: ${problems.length === 0 ? 'same statistics (within 4 standard errors)' : `DIFFERENT: ${problems.join('; ')}`}`,
      );
    }
  if (checks.some((c) => !c.agree)) fail('the statistics differ: nothing timed', 1);

  const samples = new Map<string, Timed[]>(live.map((p) => [p.name, []]));
  for (let round = 0; round < REPEATS; round++)
    for (let k = 0; k < live.length; k++) {
      const p = live[(k + round) % live.length]!;
      const run = runOnce(p);
      if (run.status !== 0) fail(`${p.label} exited ${run.status}: ${run.stderr.trim().split('\n')[0] ?? ''}`, 1);
      samples.get(p.name)!.push(run);
    }

  console.log(
    `  ${'path'.padEnd(40)}${'M a-s/s'.padStart(9)}   wall s: median [min–max] of ${REPEATS}   cpu s (M a-s per cpu s)   peak RSS`,
  );
  const rows = live.map((p) => {
    const runs = samples.get(p.name)!;
    const wall = runs.map((r) => r.wall);
    const cpu = runs.map((r) => r.user + r.system);
    const peer = p.peer ? runs.map((r) => JSON.parse(r.stdout) as { seconds: number; compileSeconds: number }) : [];
    const row = {
      path: p.name,
      label: p.label,
      command: p
        .command(w, 'OUT')
        .map((a) => a.replace(ROOT + '/', '').replace(work, 'TMP'))
        .join(' '),
      wallSeconds: wall,
      cpuSeconds: cpu,
      agentStepsPerSecond: w.agentSteps / median(wall),
      peakRssMiB: Math.max(...runs.map((r) => r.maxRssKiB)) / 1024,
      ...(p.peer ? { kernelSeconds: peer.map((x) => x.seconds), cacheLoadSeconds: peer.map((x) => x.compileSeconds) } : {}),
    };
    const kernel = p.peer
      ? `  (kernel alone ${(w.agentSteps / median(row.kernelSeconds!) / 1e6).toFixed(1)} M/s, cache load ${median(row.cacheLoadSeconds!).toFixed(2)} s)`
      : '';
    console.log(
      `  ${p.label.padEnd(40)}${(row.agentStepsPerSecond / 1e6).toFixed(1).padStart(9)}   ${median(wall).toFixed(2)} [${Math.min(...wall).toFixed(2)}–${Math.max(...wall).toFixed(2)}]`.padEnd(
        84,
      ) +
        `${median(cpu).toFixed(2).padStart(6)} (${(w.agentSteps / median(cpu) / 1e6).toFixed(1).padStart(5)})  ${row.peakRssMiB.toFixed(0).padStart(5)} MiB${kernel}`,
    );
    return row;
  });
  // The issue's targets: each fleetsim path against the peer it must beat.
  const speed = (name: string): number | undefined => rows.find((r) => r.path === name)?.agentStepsPerSecond;
  const against = [
    ['cpu-1', 'numba-1'],
    [`cpu-${CORES}`, `numba-${CORES}`],
    ['gpu', `numba-${CORES}`],
  ].flatMap(([a, b]) => {
    const x = speed(a!);
    const y = speed(b!);
    return x !== undefined && y !== undefined ? [`${a} ÷ ${b} ${(x / y).toFixed(2)}×`] : [];
  });
  if (against.length > 0) console.log(`  whole process, fleetsim ÷ peer: ${against.join(', ')}`);
  results.push({
    name: w.name,
    description: w.description,
    study: w.study,
    fleetRuns: w.fleetRuns,
    agentSteps: w.agentSteps,
    checks,
    skipped,
    rows,
  });
}

const file: PeersBenchFile = {
  bench: 'peers',
  date: started.toISOString(),
  fleetsim: packageVersion(),
  node: process.version,
  cpu: cpus()[0]?.model,
  cores: cpus().length,
  host: hostname(),
  ...(versions === null ? {} : { python: versions[0], numba: versions[1], numpy: versions[2] }),
  options: { replicates: REPLICATES, steps: STEPS, fleets: FLEETS, repeats: REPEATS, quick: QUICK },
  compileSeconds,
  workloads: results,
};
const dir = args.out ?? join(ROOT, 'bench', 'results');
mkdirSync(dir, { recursive: true });
const path = join(dir, `peers-${started.toISOString().slice(0, 10)}-${hostname()}${QUICK ? '-quick' : ''}.json`);
writeFileSync(path, `${JSON.stringify(file, null, 2)}\n`);
console.log(`\nwrote ${path}`);
