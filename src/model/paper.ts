/**
 * The paper's scenario (arXiv 2512.22149, Table I and the workload) and the Table II figures it must
 * reproduce, both as published and as MODEL.md derives them from the model.
 */
import { type AgentSpec, type Batch, crossRuns, makeBatch, packFleets, type SimConfig } from './batch.js';
import { POLICY, PAPER_POLICIES, type PaperPolicyName } from './policies.js';

export const PAPER_AGENTS: readonly (AgentSpec & { name: string })[] = [
  { name: 'coordinator', M: 500, T: 100, R: 0.1, P: 1, lambda: 80 },
  { name: 'nlp', M: 2000, T: 50, R: 0.3, P: 2, lambda: 40 },
  { name: 'vision', M: 1500, T: 60, R: 0.25, P: 2, lambda: 45 },
  { name: 'reasoning', M: 3000, T: 30, R: 0.35, P: 1, lambda: 25 },
];

/**
 * The shipped workflow of the paper's agents (MODEL-PART4 §4.6's example; docs/workflows.md), written
 * as a study's `workflow` between named agents: requests enter at the coordinator, which sends 30 % of
 * its completed requests to each specialist (10 % leave), and each specialist returns half of its
 * completions to the coordinator (half leave). Visit rates: γ_coordinator = Λ/0.55, γ_specialist =
 * 0.3·γ_coordinator. `sweeps/paper-workflow.json` writes the same graph (a test holds them equal).
 */
export const PAPER_WORKFLOW: {
  readonly entry: readonly string[];
  readonly routes: Readonly<Record<string, Readonly<Record<string, number>>>>;
} = Object.freeze({
  entry: Object.freeze(['coordinator']),
  routes: Object.freeze({
    coordinator: Object.freeze({ nlp: 0.3, vision: 0.3, reasoning: 0.3 }),
    nlp: Object.freeze({ coordinator: 0.5 }),
    vision: Object.freeze({ coordinator: 0.5 }),
    reasoning: Object.freeze({ coordinator: 0.5 }),
  }),
});

/** Paper mode: Δt = 1 s, 100 steps, deterministic arrivals, a T4 at $0.72/GPU-hour, L_max = 999 s. */
export const PAPER_CONFIG: SimConfig = {
  dt: 1,
  steps: 100,
  lmax: 999,
  price: 0.72,
  arrivals: 'deterministic',
  seed: 0,
};

export interface TableIIRow {
  avgLatency: number;
  throughput: number;
  cost: number;
}

/** The paper's fleet under static, roundRobin and adaptive (runs 0, 1, 2), one replicate. */
export function paperBatch(config: SimConfig = PAPER_CONFIG): Batch {
  const policies = PAPER_POLICIES.map((name) => POLICY[name]);
  return makeBatch(packFleets([{ agents: PAPER_AGENTS }]), crossRuns(1, policies, 1), config);
}

/** Table II as printed in the paper. */
export const PAPER_TABLE_II: Readonly<Record<PaperPolicyName, TableIIRow>> = {
  static: { avgLatency: 110.3, throughput: 60.0, cost: 0.02 },
  roundRobin: { avgLatency: 756.1, throughput: 60.0, cost: 0.02 },
  adaptive: { avgLatency: 111.9, throughput: 58.1, cost: 0.02 },
};

/** What the model of MODEL.md gives for Table II (the reproduction targets, L_max = 999 s, 100 steps). */
export const MODEL_TABLE_II = {
  avgLatency: { static: 110.258, roundRobin: 756.061, adaptive: 111.927 },
  perAgentLatency: {
    static: [111.1, 111.1, 101.0, 117.833],
    roundRobin: [755.85, 756.0, 755.562, 756.833],
    adaptive: [118.864, 108.668, 128.564, 91.614],
  },
  throughput: { static: 60.0, roundRobin: 59.8, adaptive: 58.12 },
  capacityThroughput: { static: 60.0, roundRobin: 60.0, adaptive: 58.12 },
  cost: { static: 0.02, roundRobin: 0.02, adaptive: 0.02 },
  adaptiveShares: [0.238539, 0.25382, 0.211517, 0.296124],
  crossAgentStd: { static: 6.01, roundRobin: 0.47, adaptive: 13.68 },
} as const;
