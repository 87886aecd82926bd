/**
 * Starting the CPU worker pool early (CpuWorkerPool.warm, Engine.warm): workers start only for work
 * big enough to share, a warmed pool gives the single thread's bits on the workers it started, and
 * idle warmed workers do not keep Node alive. The workers run the built module
 * (dist/src/cpu/worker.js), which `npm test` builds first.
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { runBatchCpu } from '../src/cpu/engine.js';
import { CpuWorkerPool, MIN_SHARED_AGENT_STEPS } from '../src/cpu/workers.js';
import { crossRuns, makeBatch, packFleets } from '../src/model/batch.js';
import { TOTAL_FIELDS } from '../src/model/metrics.js';
import { PAPER_CONFIG } from '../src/model/paper.js';
import { POLICY } from '../src/model/policies.js';
import { cpuEngine } from '../src/platform/nodeEngine.js';
import { testFleet } from './helpers/fleets.js';

const pools: CpuWorkerPool[] = [];
const pool = (threads: number): CpuWorkerPool => {
  const p = new CpuWorkerPool(threads, { minSharedAgentSteps: 1000, minRangeAgentSteps: 1 });
  pools.push(p);
  return p;
};
afterAll(async () => {
  await Promise.all(pools.map((p) => p.close()));
});

describe('warming the CPU worker pool', () => {
  it('starts no worker for work below the sharing threshold, on one thread, or once closed', async () => {
    const small = pool(2);
    small.warm(999);
    expect(small.workersStarted).toBe(0);
    const one = pool(1);
    one.warm();
    expect(one.workersStarted).toBe(0);
    const closed = pool(2);
    await closed.close();
    closed.warm();
    expect(closed.workersStarted).toBe(0);
  });

  it('starts its workers once for enough work, and runs the next batches on them with the single thread’s bits', async () => {
    const warmed = pool(2);
    warmed.warm(1000);
    warmed.warm(1e9); // a second call starts nothing more
    expect(warmed.workersStarted).toBe(2);
    const batch = makeBatch(
      packFleets(Array.from({ length: 20 }, (_, f) => testFleet(33, f))),
      crossRuns(20, [POLICY.static, POLICY.adaptive], 2),
      { ...PAPER_CONFIG, arrivals: 'poisson', seed: 7, steps: 60 },
    );
    const expected = runBatchCpu(batch);
    const totals = await warmed.run(batch);
    for (const field of TOTAL_FIELDS) expect(Array.from(totals[field])).toEqual(Array.from(expected[field]));
    expect(warmed.workersStarted).toBe(2);
  });

  it('is offered by the CPU engine of several threads, with the default threshold', () => {
    const engine = cpuEngine(2);
    expect('warm' in engine).toBe(true);
    engine.warm?.(MIN_SHARED_AGENT_STEPS - 1); // too little: nothing starts (nothing to observe but no error)
    engine.close();
    expect('warm' in cpuEngine(1)).toBe(false);
  });

  it('leaves Node free to exit while its warmed workers idle', () => {
    const workers = fileURLToPath(new URL('../dist/src/cpu/workers.js', import.meta.url));
    const script = `const { CpuWorkerPool } = await import(${JSON.stringify(workers)}); const p = new CpuWorkerPool(2); p.warm(); console.log(p.workersStarted);`;
    const started = Date.now();
    const child = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8', timeout: 20_000 });
    expect(child.status).toBe(0);
    expect(child.stdout.trim()).toBe('2');
    expect(Date.now() - started).toBeLessThan(10_000);
  });
});
