/**
 * The benchmark's workloads, shared by the suite (src/bench/suite.ts: `npm run bench`, `fleetsim bench`) and the page's Bench view:
 * the paper's 4-agent fleet under each policy, and random fleets of exactly 16 and 64 agents under all
 * three, with Poisson arrivals. Browser-safe (imports nothing from Node).
 */
import { type Batch, crossRuns, type FleetSpec, makeBatch, packFleets } from '../model/batch.js';
import { PAPER_AGENTS, PAPER_CONFIG } from '../model/paper.js';
import { POLICY, PAPER_POLICIES, type PolicyName } from '../model/policies.js';
import { DEFAULT_RANDOM_FLEETS, randomFleet } from '../model/randomFleets.js';

export interface Workload {
  name: string;
  policies: PolicyName[];
  fleet(index: number): FleetSpec;
  numpy?: PolicyName; // the NumPy peer implements the paper fleet only
}

const paperFleet: FleetSpec = { agents: PAPER_AGENTS };

/** Random fleets of exactly `n` agents (the CLI's random-fleet family). */
export const randomOf =
  (n: number) =>
  (index: number): FleetSpec =>
    randomFleet(1, index, { ...DEFAULT_RANDOM_FLEETS, agents: [n, n] });

export const WORKLOADS: Workload[] = [
  ...PAPER_POLICIES.map((p): Workload => ({ name: `paper-${p}`, policies: [p], fleet: () => paperFleet, numpy: p })),
  { name: 'random16', policies: [...PAPER_POLICIES], fleet: randomOf(16) },
  { name: 'random64', policies: [...PAPER_POLICIES], fleet: randomOf(64) },
];

export function makeWorkloadBatch(w: Workload, fleets: number, steps: number): Batch {
  const specs = Array.from({ length: fleets }, (_, i) => w.fleet(i));
  return makeBatch(
    packFleets(specs),
    crossRuns(
      fleets,
      w.policies.map((p) => POLICY[p]),
      1,
    ),
    {
      ...PAPER_CONFIG,
      arrivals: 'poisson',
      steps,
      seed: 1,
    },
  );
}

/** Agent-steps of a batch: Σ over runs of the fleet's agents × steps. */
export const agentStepsOf = (b: Batch): number => {
  let agents = 0;
  for (let r = 0; r < b.runs.count; r++) agents += b.fleets.agentCount[b.runs.fleet[r]!]!;
  return agents * b.config.steps;
};
