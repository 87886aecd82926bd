/**
 * The Bench view's pages for the files of `npm run bench:sweep`, `bench:memory`, `bench:slurm` and
 * `bench:peers` (src/results/benchFile.ts): what was measured on what, the figures in tables, and a chart
 * where one reads at a glance (memory against fleet runs, merge time against shard count, fleet runs per
 * second per backend, agent-steps per second per path). Repeated timings are labelled for what they are
 * (centerLabel).
 */
import { median } from 'simple-statistics';
import {
  BENCH_KINDS,
  type MemoryBenchFile,
  type PeersBenchFile,
  type SlurmBenchFile,
  type SweepBenchFile,
} from '../../../src/results/benchFile.js';
import { lineChart } from '../../lib/charts.js';
import { dataTable, el } from '../../lib/dom.js';
import { centerLabel } from './series.js';

const MiB = (x: number): string => `${x.toFixed(0)} MiB`;
const s = (x: number): string => `${x.toFixed(2)} s`;
const count = (x: number): string => Math.round(x).toLocaleString('en-US');
const yes = (b: boolean): string => (b ? 'yes' : 'NO');
/** The memory target of issue 4: a long sweep stays under 1 GiB. */
const MEMORY_TARGET_MIB = 1024;

/** Where and with what a script ran: date, CPU, Node, fleetsim. */
function facts(
  file: { date: string; cpu?: string | undefined; cores?: number | undefined; node?: string | undefined; fleetsim?: string | undefined },
  more: [string, string][] = [],
): HTMLElement {
  const list = el('dl', { class: 'facts' });
  const rows: [string, string][] = [
    ['date', file.date],
    ['CPU', file.cpu ? `${file.cpu}${file.cores ? `, ${file.cores} cores` : ''}` : file.cores ? `${file.cores} cores` : ''],
    ['Node', file.node ?? ''],
    ['fleetsim', file.fleetsim ?? ''],
    ...more,
  ];
  for (const [k, v] of rows) if (v) list.append(el('dt', {}, k), el('dd', {}, v));
  return list;
}

const kindLine = (kind: keyof typeof BENCH_KINDS): HTMLElement =>
  el('p', { class: 'kind' }, `A file of ${BENCH_KINDS[kind].script}: ${BENCH_KINDS[kind].what}.`);

/** A study's name and size, as the script ran it. */
function studyText(study: Record<string, unknown>): string {
  const parts = [typeof study.name === 'string' ? study.name : 'a study'];
  for (const key of ['steps', 'replicates', 'samples'] as const)
    if (typeof study[key] === 'number') parts.push(`${key} ${count(study[key])}`);
  return parts.join(', ');
}

export function sweepPage(file: SweepBenchFile): HTMLElement[] {
  const backends = file.rows.map((r) => r.backend);
  const chart = lineChart({
    title: 'Fleet runs per second through fleetsim sweep, per backend',
    x: { label: 'backend', categories: backends },
    y: { label: 'fleet runs / s', zero: true, format: 'si' },
    series: [{ label: 'fleet runs / s', color: '#1f77b4' }],
    data: [backends.map((_, i) => i), file.rows.map((r) => r.fleetRunsPerSecond)],
    bars: true,
    width: 720,
    height: 300,
  });
  chart.id = 'bench-sweep-chart';
  return [
    kindLine('sweep'),
    facts(file, [['study', studyText(file.study)]]),
    el('div', { class: 'charts' }, chart),
    dataTable(
      'Each backend: the sweep against the bare engine on the same batches (one run each)',
      ['backend', 'adapter', 'fleet runs', 'fleet runs/s', 'M agent-steps/s', 'sweep (s)', 'bare engine (s)', 'overhead', 'peak RSS'],
      file.rows.map((r) => [
        r.backend,
        r.adapter ?? '—',
        count(r.fleetRuns),
        count(r.fleetRunsPerSecond),
        (r.agentSteps / r.totalSeconds / 1e6).toFixed(1),
        r.totalSeconds.toFixed(2),
        r.rawEngineSeconds.toFixed(2),
        `${(100 * r.overhead).toFixed(1)} %`,
        MiB(r.peakRssMiB),
      ]),
    ),
    el(
      'p',
      { class: 'note' },
      'Overhead: the sweep’s wall time less the bare engine’s, over the bare engine’s (planning, packing, statistics, checkpoints and writes).',
    ),
  ];
}

export function memoryPage(file: MemoryBenchFile): HTMLElement[] {
  const points = file.trajectory;
  const chart = lineChart({
    title: `Resident memory against fleet runs done (peak ${MiB(file.peakRssMiB)}; target < ${MEMORY_TARGET_MIB} MiB)`,
    x: { label: 'fleet runs done', format: 'si' },
    y: { label: 'resident memory (MiB)', zero: true },
    series: [
      { label: 'RSS at each tenth of the sweep', color: '#1f77b4', markers: true },
      { label: 'peak RSS', color: '#d62728', dash: [6, 4] },
      { label: `target (${MEMORY_TARGET_MIB} MiB)`, color: '#7f7f7f', dash: [2, 4] },
    ],
    data: [
      points.map((p) => p.fleetRuns),
      points.map((p) => p.rssMiB),
      points.map(() => file.peakRssMiB),
      points.map(() => MEMORY_TARGET_MIB),
    ],
    width: 720,
    height: 320,
  });
  chart.id = 'bench-memory-chart';
  return [
    kindLine('memory'),
    facts(file, [
      ['backend', `${file.backend}${file.adapter ? ` (${file.adapter})` : ''}`],
      ['study', studyText(file.study)],
      ['fleet runs', count(file.fleetRuns)],
      ['time', `${file.seconds.toFixed(0)} s (one run)`],
      [
        'peak RSS',
        `${MiB(file.peakRssMiB)} (${file.peakRssMiB < MEMORY_TARGET_MIB ? 'under' : 'OVER'} the ${MEMORY_TARGET_MIB} MiB target)`,
      ],
    ]),
    el('div', { class: 'charts' }, chart),
    dataTable(
      'Resident memory at each tenth of the sweep',
      ['fleet runs done', 'RSS'],
      points.map((p) => [count(p.fleetRuns), MiB(p.rssMiB)]),
    ),
  ];
}

export function slurmPage(file: SlurmBenchFile): HTMLElement[] {
  const out: HTMLElement[] = [kindLine('slurm'), facts(file, [['study (part 1)', file.study]])];
  if (typeof file.slurm === 'string') {
    out.push(el('p', { class: 'note', id: 'slurm-skipped' }, `Part 1 (through Slurm) was skipped: ${file.slurm}`));
  } else {
    const empty = file.slurm.emptyJobSeconds;
    out.push(
      el(
        'p',
        { id: 'slurm-empty-job' },
        `An empty Slurm job costs ${s(median(empty))} (${centerLabel([empty.length])}; ${s(Math.min(...empty))} to ${s(Math.max(...empty))}); the study run directly: ${s(file.slurm.directSeconds)}.`,
      ),
      dataTable(
        'The study as Slurm array tasks (one run each)',
        ['tasks', 'array (s)', 'longest shard (s)', 'overhead per task (s)', 'merge job (s)', 'equal to the direct run'],
        file.slurm.rows.map((r) => [
          String(r.tasks),
          r.arraySeconds.toFixed(2),
          r.longestShardSeconds.toFixed(2),
          r.overheadPerTaskSeconds.toFixed(2),
          r.mergeJobSeconds.toFixed(2),
          yes(r.equalToDirect),
        ]),
      ),
    );
  }
  const rows = file.merge.rows;
  if (rows.length > 0) {
    const chart = lineChart({
      title: 'fleetsim merge: wall time against shard count (one run each)',
      x: { label: 'shards (log scale)', log: true, format: 'si' },
      y: { label: 'seconds', zero: true },
      series: [
        { label: 'merge (s)', color: '#1f77b4', markers: true },
        { label: 'making the shards (s)', color: '#ff7f0e', markers: true, dash: [4, 4] },
      ],
      data: [rows.map((r) => r.shards), rows.map((r) => r.mergeSeconds), rows.map((r) => r.makeSeconds)],
      width: 720,
      height: 300,
    });
    chart.id = 'bench-slurm-chart';
    out.push(el('div', { class: 'charts' }, chart));
  }
  out.push(
    dataTable(
      'fleetsim merge against shard count',
      ['shards', 'making the shards (s)', 'merge (s)', 'peak RSS', 'equal to the unsharded run'],
      rows.map((r) => [count(r.shards), r.makeSeconds.toFixed(2), r.mergeSeconds.toFixed(2), MiB(r.peakRssMiB), yes(r.equalToUnsharded)]),
    ),
  );
  if (file.merge.refusals.length > 0)
    out.push(
      dataTable(
        'Merges refused (as they should be)',
        ['case', 'seconds', 'message'],
        file.merge.refusals.map((r) => [r.case, r.seconds.toFixed(2), r.message]),
      ),
    );
  return out;
}

export function peersPage(file: PeersBenchFile): HTMLElement[] {
  const versions = [
    file.python && `Python ${file.python}`,
    file.numba && `Numba ${file.numba}`,
    file.numpy && `NumPy ${file.numpy}`,
  ].filter(Boolean);
  const compile = Object.entries(file.compileSeconds).map(([k, v]) => `${k} ${s(v)}`);
  const out: HTMLElement[] = [
    kindLine('peers'),
    facts(file, [
      ['peer', versions.length ? versions.join(', ') : 'not installed (apt-get install python3-numpy python3-numba)'],
      ['peer compile', compile.length ? `${compile.join(', ')} on an empty cache; cached on disk and excluded from the runs` : ''],
    ]),
  ];
  file.workloads.forEach((w, i) => {
    const labels = w.rows.map((r) => r.path); // short: cpu-1, gpu, numba-1 …; the table spells out each command
    const chart = lineChart({
      title: `${w.name}: agent-steps per second, whole process (${centerLabel(w.rows.map((r) => r.wallSeconds.length))})`,
      x: { label: 'path', categories: labels },
      y: { label: 'agent-steps / s', zero: true, format: 'si' },
      series: [{ label: 'agent-steps / s', color: '#1f77b4' }],
      data: [labels.map((_, k) => k), w.rows.map((r) => r.agentStepsPerSecond)],
      bars: true,
      width: 720,
      height: 300,
    });
    chart.id = `bench-peers-chart-${i}`;
    const checks = w.checks.map(
      (c) => `${c.path} against ${c.peer}: ${c.agree ? 'same statistics' : `DIFFERENT (${c.problems.join('; ')})`}`,
    );
    out.push(
      el('h4', {}, `${w.name}: ${w.description}`),
      el(
        'p',
        { class: 'note' },
        `Statistics checked first (means within 4 standard errors): ${checks.length ? checks.join('; ') : 'no peer ran'}.`,
      ),
      ...(w.skipped.length ? [el('p', { class: 'note' }, `Skipped: ${w.skipped.join('; ')}`)] : []),
      el('div', { class: 'charts' }, chart),
      dataTable(
        `${w.name}: each path as a whole process, ${count(w.agentSteps)} agent-steps a run`,
        [
          'path',
          'command',
          'M agent-steps/s',
          'wall (s): centre [fastest, slowest]',
          'CPU (s)',
          'peak RSS',
          'peer loop alone (M agent-steps/s)',
        ],
        w.rows.map((r) => [
          r.path,
          r.label,
          (r.agentStepsPerSecond / 1e6).toFixed(1),
          `${median(r.wallSeconds).toFixed(2)} (${centerLabel([r.wallSeconds.length])}) [${Math.min(...r.wallSeconds).toFixed(2)}, ${Math.max(...r.wallSeconds).toFixed(2)}]`,
          median(r.cpuSeconds).toFixed(2),
          MiB(r.peakRssMiB),
          r.kernelSeconds?.length ? (w.agentSteps / median(r.kernelSeconds) / 1e6).toFixed(1) : '—',
        ]),
      ),
    );
  });
  return out;
}
