/**
 * `fleetsim montecarlo`: the shipped study sweeps/montecarlo.json (random fleets under the three
 * policies, Poisson arrivals, common random numbers) run in memory by the sweep loop (src/sweep/run.ts)
 * on the given Engine, with the command's options overriding the study's fields, and summarised from
 * the sweep's own statistics. Nothing is written; `fleetsim sweep sweeps/montecarlo.json --out DIR`
 * writes the same figures as result files.
 */
import { join } from 'node:path';
import type { Engine } from '../platform/engine.js';
import { packageRoot } from '../platform/node.js';
import type { CellSummary, PairStats } from '../sweep/aggregate.js';
import { sweepInMemory } from '../sweep/run.js';
import { distRange, type Study } from '../study/schema.js';
import { UsageError } from './errors.js';
import { loadStudy } from './sweep.js';

/** The study the command runs. */
export const MONTECARLO_STUDY = join(packageRoot(), 'sweeps', 'montecarlo.json');

/** The command's options: each one given overrides a study field, one left out keeps the file's value. */
export interface MonteCarloOptions {
  fleets?: number; // samples
  steps?: number;
  seed?: number;
  lmax?: number;
}

interface PolicyStats {
  avgLatency: { mean: number; ci95: number | null }; // ci95: half-width of the t interval; null for one fleet
  throughput: number; // means over the fleet runs
  utilization: number;
  cost: number;
}

export interface MonteCarloResult {
  study: string; // the study's name
  studyHash: string; // SHA-256 of the study with the overrides applied (as a sweep's manifest records it)
  seed: string; // decimal
  steps: number;
  lmax: number;
  backend: string;
  adapter: string | null;
  fleets: number;
  runs: number;
  agentSteps: number;
  seconds: number;
  policies: Record<string, PolicyStats>; // the study's policies, in its order
  /** Fraction of fleet runs where adaptive has the lower avgLatency (ties within 1e-6 relative count for neither); null without the pair. */
  adaptiveBeats: { static: number | null; roundRobin: number | null };
}

/** How often `policy` beat `other` in a cell, from the sweep's pairwise win counts. */
function winFraction(pairs: readonly PairStats[], policy: string, other: string): number | null {
  const pair = pairs.find((p) => (p.a === policy && p.b === other) || (p.a === other && p.b === policy));
  if (pair === undefined) return null;
  return pair.a === policy ? pair.aWinFraction : pair.bWinFraction;
}

function policyStats(cell: CellSummary, policy: string): PolicyStats {
  const metrics = cell.policies.find((p) => p.policy === policy)!.metrics;
  const mean = (metric: string): number => metrics[metric]!.mean;
  const [low, high] = metrics.avgLatency!.ci95;
  return {
    avgLatency: { mean: mean('avgLatency'), ci95: low === null || high === null ? null : (high - low) / 2 },
    throughput: mean('throughput'),
    utilization: mean('utilization'),
    cost: mean('cost'),
  };
}

/** Runs the study with `options` applied; returns the summary and the study as run. */
export async function runMonteCarlo(engine: Engine, options: MonteCarloOptions): Promise<{ result: MonteCarloResult; study: Study }> {
  const loaded = await loadStudy(MONTECARLO_STUDY, {
    samples: options.fleets,
    steps: options.steps,
    seed: options.seed,
    lmax: options.lmax,
  });
  const { study, cells } = loaded;
  if (cells.length !== 1) throw new UsageError(`${MONTECARLO_STUDY}: montecarlo runs a single-cell study (no axes)`);
  const { cells: summary, times } = await sweepInMemory(loaded, engine);
  const cell = summary[0]!;
  const result: MonteCarloResult = {
    study: study.name,
    studyHash: loaded.hash,
    seed: String(study.seed),
    steps: study.steps,
    lmax: study.lmax,
    backend: engine.name,
    adapter: engine.adapter,
    fleets: study.samples,
    runs: times.runs,
    agentSteps: times.agentSteps,
    seconds: times.totalSeconds,
    policies: Object.fromEntries(study.policies.map((p) => [p, policyStats(cell, p)])),
    adaptiveBeats: { static: winFraction(cell.pairs, 'adaptive', 'static'), roundRobin: winFraction(cell.pairs, 'adaptive', 'roundRobin') },
  };
  return { result, study };
}

/** "1–64 agents, load factor 0.3–1.5": the study's fleet in a few words. */
function fleetWords(study: Study): string {
  const f = study.fleet;
  if (!('random' in f)) return 'preset' in f ? "the paper's fleet" : `a fixed fleet of ${f.agents.length} agents`;
  const range = ([a, b]: [number, number]): string => (a === b ? `${a}` : `${a}–${b}`);
  const agents = typeof f.random.agents === 'number' ? `${f.random.agents}` : range([f.random.agents.min, f.random.agents.max]);
  return `random fleets (${agents} agents${f.random.load === undefined ? '' : `, load factor ${range(distRange(f.random.load))}`})`;
}

export function monteCarloText(r: MonteCarloResult, study: Study): string {
  const percent = (x: number | null): string => (x === null ? '–' : `${(100 * x).toFixed(1)} %`);
  const lines = [
    `fleetsim montecarlo: ${r.fleets} ${fleetWords(study)} × ${study.policies.length} policies, ${study.arrivals === 'poisson' ? 'Poisson' : typeof study.arrivals === 'string' ? study.arrivals : study.arrivals.process} arrivals, ${r.steps} steps, L_max ${r.lmax} s, seed ${r.seed}`,
    `study: ${r.study} (sweeps/montecarlo.json with the options applied; sha256 ${r.studyHash.slice(0, 12)}…)`,
    `backend: ${r.backend}${r.adapter ? ` (${r.adapter})` : ''}; ${r.runs} runs, ${(r.agentSteps / 1e6).toFixed(1)} M agent-steps in ${r.seconds.toFixed(2)} s (${(r.agentSteps / Math.max(r.seconds, 1e-9) / 1e6).toFixed(1)} M agent-steps/s)`,
    '',
    `${'policy'.padEnd(12)}${'avgLatency (s) ± 95% CI'.padStart(26)}${'throughput (rps)'.padStart(18)}${'utilization'.padStart(13)}${'cost ($)'.padStart(10)}`,
  ];
  for (const [name, s] of Object.entries(r.policies)) {
    const latency = `${s.avgLatency.mean.toFixed(2)}${s.avgLatency.ci95 === null ? '' : ` ± ${s.avgLatency.ci95.toFixed(2)}`}`;
    lines.push(
      `${name.padEnd(12)}${latency.padStart(26)}${s.throughput.toFixed(2).padStart(18)}${s.utilization.toFixed(3).padStart(13)}${s.cost.toFixed(4).padStart(10)}`,
    );
  }
  lines.push(
    '',
    `adaptive has the lower avgLatency on ${percent(r.adaptiveBeats.static)} of fleets against static, ${percent(r.adaptiveBeats.roundRobin)} against roundRobin`,
  );
  return lines.join('\n');
}
