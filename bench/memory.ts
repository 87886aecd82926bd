/**
 * Host memory of a long sweep: `fleetsim sweep`'s code path on a study of 10^7 fleet runs (random fleets
 * of 2–8 agents, Poisson arrivals, 20 steps (memory depends on fleet runs, not steps), three policies: 3×10^7 runs), streamed in batches.
 * Samples the process's resident memory every 250 ms and reports its peak and its value at each tenth
 * of the sweep, so a leak (growth with fleet runs) shows apart from the batches' fixed working set.
 * Target (issue 14): under 512 MiB (issue 4: under 1 GiB). Writes bench/results/memory-<date>-<host>.json.
 *
 *   npm run bench:memory -- [fleet runs, default 10000000] [backend: cpu | gpu, default cpu]
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { cpus, hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { openEngine } from '../src/platform/nodeEngine.js';
import { runSweepCommand, studyHash } from '../src/cli/sweep.js';
import { packageRoot, packageVersion } from '../src/platform/node.js';
import { expandStudy } from '../src/study/cells.js';

const fleetRuns = Number(process.argv[2] ?? 10_000_000);
const choice = (process.argv[3] ?? 'cpu') as 'cpu' | 'gpu';
const study = {
  name: 'bench-memory',
  seed: 1,
  fleet: {
    random: {
      agents: { min: 2, max: 8 },
      T: { kind: 'logUniform', min: 10, max: 500 },
      R: { kind: 'uniform', min: 0, max: 0.1 },
      P: { kind: 'choice', values: [1, 2, 3] },
      load: { kind: 'uniform', min: 0.3, max: 1.2 },
    },
  },
  arrivals: 'poisson',
  steps: 20,
  samples: fleetRuns,
  replicates: 1,
};
const expanded = expandStudy(study);
const loaded = { ...expanded, hash: studyHash(expanded.study) };
const MiB = 2 ** 20;

const backend = await openEngine(choice, () => undefined);
const out = await mkdtemp(join(tmpdir(), 'fleetsim-memory-'));
let peak = process.memoryUsage().rss;
// The peaks of the JS heap and of ArrayBuffers (typed arrays, SharedArrayBuffers), to say what the RSS holds.
let peakHeap = 0;
let peakBuffers = 0;
const sample = (): number => {
  const m = process.memoryUsage();
  peak = Math.max(peak, m.rss);
  peakHeap = Math.max(peakHeap, m.heapUsed);
  peakBuffers = Math.max(peakBuffers, m.arrayBuffers);
  return m.rss;
};
const sampler = setInterval(sample, 250);
const trajectory: { fleetRuns: number; rssMiB: number }[] = [];
let nextTenth = 0.1;
console.log(
  `${fleetRuns.toLocaleString('en-US')} fleet runs × 3 policies on ${backend.name} (${backend.adapter ?? ''}), random fleets of 2–8 agents, 20 steps`,
);
try {
  const started = performance.now();
  const outcome = await runSweepCommand('(bench)', loaded, backend, {
    out,
    shard: { index: 0, count: 1 },
    resume: false,
    quiet: true,
    onProgress: (done: number) => {
      const rss = sample();
      if (done >= nextTenth * fleetRuns) {
        trajectory.push({ fleetRuns: done, rssMiB: rss / MiB });
        console.log(
          `  ${done.toLocaleString('en-US').padStart(12)} fleet runs: RSS ${(rss / MiB).toFixed(0)} MiB (${((performance.now() - started) / 1000).toFixed(0)} s)`,
        );
        while (nextTenth * fleetRuns <= done) nextTenth += 0.1;
      }
    },
  });
  clearInterval(sampler);
  peak = Math.max(peak, process.resourceUsage().maxRSS * 1024);
  const seconds = (performance.now() - started) / 1000;
  console.log(
    `done: ${outcome.times.fleetRuns.toLocaleString('en-US')} fleet runs in ${seconds.toFixed(0)} s; peak RSS ${(peak / MiB).toFixed(0)} MiB (target < 512 MiB); peaks of the JS heap ${(peakHeap / MiB).toFixed(0)} MiB, ArrayBuffers ${(peakBuffers / MiB).toFixed(0)} MiB`,
  );
  const date = new Date().toISOString().slice(0, 10);
  const dir = join(packageRoot(), 'bench', 'results');
  await mkdir(dir, { recursive: true });
  const file = join(dir, `memory-${date}-${hostname()}.json`);
  const result = {
    bench: 'memory',
    date,
    fleetsim: packageVersion(),
    node: process.version,
    cpu: cpus()[0]?.model,
    cores: cpus().length,
    backend: backend.name,
    adapter: backend.adapter,
    study,
    fleetRuns: outcome.times.fleetRuns,
    seconds,
    peakRssMiB: peak / MiB,
    peakHeapUsedMiB: peakHeap / MiB,
    peakArrayBuffersMiB: peakBuffers / MiB,
    trajectory,
  };
  await writeFile(file, `${JSON.stringify(result, null, 2)}\n`);
  console.log(`wrote ${file}`);
} finally {
  clearInterval(sampler);
  backend.close();
  await rm(out, { recursive: true, force: true });
}
