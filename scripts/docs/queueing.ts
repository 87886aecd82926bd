/**
 * docs/QUEUEING.md's tables: the test suite's output and the error against Δt, re-run on the GPU
 * engine (the docs' figures are lavapipe's; the cases and sizes are bench/queueingCases.ts's).
 */
import { DT_SEED, DT_SIZES, DT_VALUES, meanAndSe, pkWait, runQueueCase, SUITE_CASES, SUITE_SEED } from '../../bench/queueingCases.js';
import type { WorkMode } from '../../src/model/batch.js';
import type { Engine } from '../../src/platform/engine.js';
import type { Check } from './figures.js';
import { type Expectation, fig, input } from './figures.js';

interface SuiteRow {
  latency: { mean: number; se: number };
  inSystem: { mean: number; se: number };
}
let suiteRuns: Promise<SuiteRow[]> | undefined;
const suite = (engine: Engine): Promise<SuiteRow[]> =>
  (suiteRuns ??= (async () => {
    const rows: SuiteRow[] = [];
    for (const c of SUITE_CASES) {
      const r = await runQueueCase(engine, c, SUITE_SEED);
      rows.push({ latency: meanAndSe(r.avgLatency), inSystem: meanAndSe(r.meanInSystem) });
    }
    return rows;
  })());

async function dtTable(engine: Engine, work: WorkMode): Promise<Expectation[]> {
  const out: Expectation[] = [];
  for (const rho of [0.3, 0.5, 0.7, 0.9]) {
    const wq = pkWait(work, rho);
    out.push(fig(wq));
    for (const dt of DT_VALUES) {
      const r = meanAndSe((await runQueueCase(engine, { work, rho, dt, ...DT_SIZES[rho]! }, DT_SEED)).avgLatency);
      out.push(fig((100 * (r.mean - wq)) / wq), fig((100 * r.se) / wq));
    }
  }
  return out;
}

const SUITE_CMD = 'npx vitest run test/queueing.test.ts (GPU engine)';
const DT_CMD = 'npm run build && node dist/bench/queueing.js (GPU engine)';

export const QUEUEING_CHECKS: Readonly<Record<string, Check>> = {
  'queueing-suite': {
    command: SUITE_CMD,
    slow: true,
    expect: async (ctx) => {
      const rows = await suite(await ctx.gpu());
      return SUITE_CASES.flatMap((c, k) => {
        const { latency } = rows[k]!;
        const wq = pkWait(c.work, c.rho);
        const error = latency.mean - wq;
        return [
          input(c.dt),
          input(c.replicates),
          input(c.record),
          fig(latency.mean),
          fig(latency.se),
          fig(wq),
          fig((100 * error) / wq),
          fig(error / latency.se),
        ];
      });
    },
  },
  'queueing-little': {
    command: SUITE_CMD,
    slow: true,
    expect: async (ctx) => {
      const rows = await suite(await ctx.gpu());
      return SUITE_CASES.flatMap((c, k) => {
        if (c.work !== 'deterministic') return [];
        const { latency, inSystem } = rows[k]!;
        return [fig(inSystem.mean), fig(c.rho * (latency.mean + 1)), fig(c.rho + (c.rho * c.rho) / (2 * (1 - c.rho)))];
      });
    },
  },
  'queueing-dt-md1': { command: DT_CMD, slow: true, expect: async (ctx) => dtTable(await ctx.gpu(), 'deterministic') },
  'queueing-dt-mm1': { command: DT_CMD, slow: true, expect: async (ctx) => dtTable(await ctx.gpu(), 'exponential') },
};
