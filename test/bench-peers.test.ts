/**
 * The Numba peer (bench/peers/numba_peer.py) against fleetsim's CPU engine on small workloads, so that
 * the peer the benchmarks time cannot drift from the model: the paper fleet on one thread, random
 * 16-agent fleets read from a fleet file on all cores (prange), the three policies each, means of
 * avgLatency, throughput and utilisation within 4 combined standard errors (the peer draws its own
 * random numbers). CI installs the peer (.ci/run: python3-numba), so there its absence fails; elsewhere
 * the tests skip with the reason printed.
 */
import { availableParallelism } from 'node:os';
import { describe, expect, it } from 'vitest';
import { batchStats, comparePeerStats, numbaUnavailable, runNumbaPeer } from '../src/bench/numbaPeer.js';
import { makeWorkloadBatch, type Workload, WORKLOADS } from '../src/bench/workloads.js';
import { runBatchCpu } from '../src/cpu/engine.js';

const why = numbaUnavailable();
const inCI = process.env.CI === 'true';
if (why !== null && !inCI) console.log(`test/bench-peers.test.ts skipped: ${why}`);
const workload = (name: string): Workload => WORKLOADS.find((w) => w.name === name)!;

describe('the Numba peer is installed on CI', () => {
  it.runIf(inCI)('python3-numba is importable', () => {
    expect(why).toBeNull();
  });
});

describe.skipIf(why !== null)('the Numba peer gives fleetsim’s statistics', () => {
  it('the paper fleet, one thread', () => {
    const batch = makeWorkloadBatch(workload('paper'), 1000, 200);
    const peer = runNumbaPeer({ replicates: 1000, steps: 200, threads: 1 });
    expect(peer.agentSteps).toBe(3 * 4 * 200 * 1000);
    const mine = batchStats(batch, runBatchCpu(batch));
    expect(comparePeerStats(mine, peer.stats)).toEqual([]);
    // The check can fail: the paper fleet at 1.1× its arrival rates is a different model.
    const heavier = makeWorkloadBatch(
      {
        ...workload('paper'),
        fleet: () => ({
          agents: workload('paper')
            .fleet(0)
            .agents.map((a) => ({ ...a, lambda: a.lambda * 1.1 })),
        }),
      },
      1000,
      200,
    );
    expect(comparePeerStats(batchStats(heavier, runBatchCpu(heavier)), peer.stats).length).toBeGreaterThan(0);
  }, 60_000);

  it('random 16-agent fleets from a fleet file, all cores', () => {
    const w = workload('random16');
    const batch = makeWorkloadBatch(w, 200, 200);
    const fleets = Array.from({ length: 200 }, (_, i) => w.fleet(i));
    const peer = runNumbaPeer({ replicates: 200, steps: 200, threads: Math.min(2, availableParallelism()), fleets });
    expect(peer.agentSteps).toBe(3 * 16 * 200 * 200);
    expect(comparePeerStats(batchStats(batch, runBatchCpu(batch)), peer.stats)).toEqual([]);
  }, 60_000);
});
