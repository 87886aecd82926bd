/**
 * The sweep's own cost: a 100,000-fleet paper-fleet study (the paper's four agents, Poisson arrivals,
 * the paper's 100 steps, three policies; or other fleet runs and steps) run through `fleetsim sweep`'s code path on the GPU and the
 * CPU backends side by side, each into a fresh temporary directory. Reports fleet runs per second and
 * the sweep's overhead over the raw engine: the sweep's wall time minus the time the bare engine takes
 * for the same batches (built beforehand, untimed; timed on the second of two passes, so that the
 * workers' start and the first compiles count against neither), as a fraction of the latter. It covers planning,
 * fleet generation, packing, streaming statistics, checkpoints and the atomic writes. Target: < 10 %.
 * Writes the figures to bench/results/sweep-<date>-<host>.json (…-<steps>steps.json for other steps).
 * Issue 14's workload (1,000 steps, 20,000 fleet runs) is `npm run bench:sweep -- 20000 1000`.
 *
 *   npm run bench:sweep -- [fleet runs, default 100000] [steps, default 100]
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { hostname, tmpdir, cpus } from 'node:os';
import { join } from 'node:path';
import { openEngine } from '../src/platform/nodeEngine.js';
import { runSweepCommand, studyHash } from '../src/cli/sweep.js';
import { planBatches, planUnits } from '../src/sweep/plan.js';
import { autoBatchAgentRuns, buildBatch } from '../src/sweep/run.js';
import { packageRoot, packageVersion } from '../src/platform/node.js';
import { expandStudy } from '../src/study/cells.js';

const fleetRuns = Number(process.argv[2] ?? 100_000);
const steps = Number(process.argv[3] ?? 100);
for (const [name, value] of [
  ['fleet runs', fleetRuns],
  ['steps', steps],
] as const) {
  if (!(Number.isSafeInteger(value) && value >= 1)) {
    console.error(`bench:sweep: ${name} must be a positive integer (usage: npm run bench:sweep -- [fleet runs] [steps])`);
    process.exit(2);
  }
}
const study = {
  name: steps === 100 ? 'bench-paper-100k' : `bench-paper-${steps}steps`,
  seed: 1,
  fleet: { preset: 'paper' },
  arrivals: 'poisson',
  steps,
  replicates: fleetRuns,
};
const expanded = expandStudy(study);
const loaded = { ...expanded, hash: studyHash(expanded.study) };

interface Row {
  backend: string;
  adapter: string | null;
  fleetRuns: number;
  agentSteps: number;
  totalSeconds: number;
  engineSeconds: number; // inside the engine during the sweep
  rawEngineSeconds: number; // the bare engine on the same batches
  fleetRunsPerSecond: number;
  overhead: number; // (total − raw engine) / raw engine
  peakRssMiB: number; // the process's peak resident memory so far
}

/** The bare engine on the sweep's batches: each built first, only the engine call timed. */
async function rawEngineSeconds(run: (b: ReturnType<typeof buildBatch>['batch']) => Promise<unknown>): Promise<number> {
  const cells = new Map(loaded.cells.map((c) => [c.index, c]));
  let seconds = 0;
  const units = planUnits(loaded.cells);
  for (const batchUnits of planBatches(units, loaded.cells, autoBatchAgentRuns(units, cells))) {
    const { batch } = buildBatch(batchUnits, cells);
    const t0 = performance.now();
    await run(batch);
    seconds += (performance.now() - t0) / 1000;
  }
  return seconds;
}

const rows: Row[] = [];
console.log(`paper fleet × 3 policies, Poisson arrivals, ${steps} steps, ${fleetRuns} fleet runs per backend (fleetsim sweep)`);
for (const choice of ['gpu', 'cpu'] as const) {
  let backend;
  try {
    backend = await openEngine(choice, () => undefined);
  } catch (error) {
    console.log(`${choice}: skipped (${(error as Error).message})`);
    continue;
  }
  const out = await mkdtemp(join(tmpdir(), 'fleetsim-bench-'));
  try {
    // Warm first (untimed): the CPU pool's workers start and both engines' code is compiled, as in
    // the sweep that follows, so that start-up counts against neither.
    // Each batch's totals handed back as the sweep hands them back (the engine reuses their memory).
    const bare = (b: Parameters<typeof backend.run>[0]): Promise<void> => backend.run(b).then((t) => backend.release?.(t));
    await rawEngineSeconds(bare);
    const raw = await rawEngineSeconds(bare);
    const outcome = await runSweepCommand('(bench)', loaded, backend, { out, shard: { index: 0, count: 1 }, resume: false, quiet: true });
    const t = outcome.times;
    const row: Row = {
      backend: backend.name,
      adapter: backend.adapter,
      fleetRuns: t.fleetRuns,
      agentSteps: t.agentSteps,
      totalSeconds: t.totalSeconds,
      engineSeconds: t.engineSeconds,
      rawEngineSeconds: raw,
      fleetRunsPerSecond: t.fleetRuns / t.totalSeconds,
      overhead: (t.totalSeconds - raw) / raw,
      peakRssMiB: process.resourceUsage().maxRSS / 1024,
    };
    rows.push(row);
    console.log(
      `${`${row.backend}${row.adapter ? ` (${row.adapter.slice(0, 30)})` : ''}`.padEnd(40)} ${row.fleetRunsPerSecond.toFixed(0).padStart(8)} fleet runs/s  ` +
        `${(row.agentSteps / row.totalSeconds / 1e6).toFixed(1).padStart(6)} M agent-steps/s  sweep ${row.totalSeconds.toFixed(2)} s, bare engine ${row.rawEngineSeconds.toFixed(2)} s, overhead ${(100 * row.overhead).toFixed(1)} %, peak RSS ${row.peakRssMiB.toFixed(0)} MiB`,
    );
  } finally {
    backend.close();
    await rm(out, { recursive: true, force: true });
  }
}
if (rows.length === 2) console.log(`gpu / cpu: ${(rows[0]!.fleetRunsPerSecond / rows[1]!.fleetRunsPerSecond).toFixed(1)}×`);

const date = new Date().toISOString().slice(0, 10);
const dir = join(packageRoot(), 'bench', 'results');
await mkdir(dir, { recursive: true });
const file = join(dir, `sweep-${date}-${hostname()}${steps === 100 ? '' : `-${steps}steps`}.json`);
await writeFile(
  file,
  `${JSON.stringify({ bench: 'sweep', date, fleetsim: packageVersion(), node: process.version, cpu: cpus()[0]?.model, cores: cpus().length, study, rows }, null, 2)}\n`,
);
console.log(`wrote ${file}`);
