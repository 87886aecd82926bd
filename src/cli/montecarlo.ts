/**
 * `fleetsim montecarlo`: a small Monte Carlo study: random fleets under the three policies with
 * Poisson arrivals and common random numbers (every policy sees the same fleet and arrival stream).
 */
import { mean, sampleStandardDeviation } from 'simple-statistics';
import { crossRuns, makeBatch, packFleets } from '../model/batch.js';
import { summarize } from '../model/metrics.js';
import { POLICY, POLICY_NAMES, type PolicyName } from '../model/policies.js';
import { PAPER_CONFIG } from '../model/paper.js';
import { DEFAULT_RANDOM_FLEETS, randomFleets } from '../model/randomFleets.js';
import type { Backend } from './backend.js';

export interface MonteCarloOptions {
  fleets: number;
  steps: number;
  seed: bigint;
  lmax: number;
}

interface PolicyStats {
  avgLatency: { mean: number; ci95: number };
  throughput: number;
  utilization: number;
  cost: number;
}

export interface MonteCarloResult {
  seed: string; // decimal (JSON has no 64-bit integers)
  steps: number;
  lmax: number;
  backend: string;
  adapter: string | null;
  fleets: number;
  runs: number;
  agentSteps: number;
  seconds: number;
  policies: Record<PolicyName, PolicyStats>;
  adaptiveBeats: { static: number; roundRobin: number }; // fraction of fleets with lower avgLatency
}

export async function runMonteCarlo(backend: Backend, options: MonteCarloOptions): Promise<MonteCarloResult> {
  const fleets = randomFleets(options.seed, 0, options.fleets, DEFAULT_RANDOM_FLEETS);
  const policies = POLICY_NAMES.map((p) => POLICY[p]);
  const config = { ...PAPER_CONFIG, arrivals: 'poisson' as const, steps: options.steps, lmax: options.lmax, seed: options.seed };
  const batch = makeBatch(packFleets(fleets), crossRuns(fleets.length, policies, 1), config);
  const started = performance.now();
  const result = summarize(batch, await backend.run(batch));
  const seconds = (performance.now() - started) / 1000;
  const k = policies.length; // runs of one fleet are adjacent, in POLICY_NAMES order
  const column = (metric: 'avgLatency' | 'throughput' | 'utilization' | 'cost', p: number): number[] =>
    Array.from({ length: fleets.length }, (_, f) => result[metric][f * k + p]!);
  const stats = {} as Record<PolicyName, PolicyStats>;
  POLICY_NAMES.forEach((name, p) => {
    const latency = column('avgLatency', p);
    stats[name] = {
      avgLatency: { mean: mean(latency), ci95: (1.96 * sampleStandardDeviation(latency)) / Math.sqrt(latency.length) },
      throughput: mean(column('throughput', p)),
      utilization: mean(column('utilization', p)),
      cost: mean(column('cost', p)),
    };
  });
  const beats = (other: number): number => {
    let wins = 0;
    for (let f = 0; f < fleets.length; f++) if (result.avgLatency[f * k + POLICY.adaptive]! < result.avgLatency[f * k + other]!) wins++;
    return wins / fleets.length;
  };
  let agents = 0;
  for (const f of fleets) agents += f.agents.length;
  return {
    seed: options.seed.toString(),
    steps: options.steps,
    lmax: options.lmax,
    backend: backend.name,
    adapter: backend.adapter,
    fleets: fleets.length,
    runs: batch.runs.count,
    agentSteps: agents * k * options.steps,
    seconds,
    policies: stats,
    adaptiveBeats: { static: beats(POLICY.static), roundRobin: beats(POLICY.roundRobin) },
  };
}

export function monteCarloText(r: MonteCarloResult, options: MonteCarloOptions): string {
  const lines = [
    `fleetsim montecarlo: ${r.fleets} random fleets (1–64 agents, load factor 0.3–1.5) × 3 policies, Poisson arrivals, ${options.steps} steps, seed ${options.seed}`,
    `backend: ${r.backend}${r.adapter ? ` (${r.adapter})` : ''}; ${r.runs} fleet runs, ${(r.agentSteps / 1e6).toFixed(1)} M agent-steps in ${r.seconds.toFixed(2)} s (${(r.agentSteps / r.seconds / 1e6).toFixed(1)} M agent-steps/s)`,
    '',
    `${'policy'.padEnd(12)}${'avgLatency (s) ± 95% CI'.padStart(26)}${'throughput (rps)'.padStart(18)}${'utilization'.padStart(13)}${'cost ($)'.padStart(10)}`,
  ];
  for (const name of POLICY_NAMES) {
    const s = r.policies[name];
    const latency = `${s.avgLatency.mean.toFixed(2)} ± ${s.avgLatency.ci95.toFixed(2)}`;
    lines.push(
      `${name.padEnd(12)}${latency.padStart(26)}${s.throughput.toFixed(2).padStart(18)}${s.utilization.toFixed(3).padStart(13)}${s.cost.toFixed(4).padStart(10)}`,
    );
  }
  lines.push(
    '',
    `adaptive has the lower avgLatency on ${(100 * r.adaptiveBeats.static).toFixed(1)} % of fleets against static, ${(100 * r.adaptiveBeats.roundRobin).toFixed(1)} % against roundRobin`,
  );
  return lines.join('\n');
}
