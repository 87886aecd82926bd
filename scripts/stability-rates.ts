/**
 * `npm run stability:rates`: the false-alarm and miss rates of the stability test (src/model/stability.ts,
 * docs/STABILITY.md) on M/D/1 queues through the CPU engine: one agent, Poisson arrivals at rate ρ,
 * deterministic work, the whole GPU (share 1) at T = 1 request/s and Δt = 1 s, so one request is served
 * per step. Per load ρ and run length S′ it runs `--replicates` independent replicates and prints, as a
 * Markdown table, the fraction flagged unstable with its 95 % Wilson score interval: a false alarm below
 * ρ = 1, the complement of a miss above it (ρ = 1 itself, the boundary, is neither).
 *
 *   node dist/scripts/stability-rates.js [--replicates 2000] [--seed 2026]
 */
import { parseArgs } from 'node:util';
import { runBatchCpu } from '../src/cpu/engine.js';
import { crossRuns, makeBatch, packFleets } from '../src/model/batch.js';
import { POLICY } from '../src/model/policies.js';
import { agentStability } from '../src/model/stability.js';

export const LOADS = [0.7, 0.95, 1, 1.05, 1.3] as const;
export const RUN_LENGTHS = [600, 3_000, 30_000] as const;

/** The 95 % Wilson score interval of k successes in n trials. */
export function wilson(k: number, n: number): [number, number] {
  const z = 1.959963984540054;
  const p = k / n;
  const centre = (p + (z * z) / (2 * n)) / (1 + (z * z) / n);
  const half = (z / (1 + (z * z) / n)) * Math.sqrt((p * (1 - p)) / n + (z * z) / (4 * n * n));
  return [Math.max(0, centre - half), Math.min(1, centre + half)];
}

/** Replicates of an M/D/1 queue at load `rho` over `steps` recorded steps that the test flags. */
export function flaggedRuns(rho: number, steps: number, replicates: number, seed: number): number {
  const fleets = packFleets([{ agents: [{ T: 1, R: 0.1, P: 1, lambda: rho }] }]);
  const batch = makeBatch(fleets, crossRuns(1, [POLICY.static], replicates), {
    dt: 1,
    steps,
    lmax: 999,
    price: 1,
    arrivals: 'poisson',
    seed,
  });
  const totals = runBatchCpu(batch);
  let flagged = 0;
  for (let r = 0; r < replicates; r++) if (agentStability(batch, totals, r, 0).unstable) flagged++;
  return flagged;
}

const percent = (x: number): string => (100 * x).toFixed(1);

function main(): void {
  const { values } = parseArgs({
    options: { replicates: { type: 'string', default: '2000' }, seed: { type: 'string', default: '2026' } },
  });
  const int = (name: keyof typeof values, min: number, max: number): number => {
    const v = Number(values[name]);
    if (!Number.isInteger(v) || v < min || v > max) {
      console.error(`stability:rates: --${name} must be an integer from ${min} to ${max}, got ${String(values[name])}`);
      process.exit(2);
    }
    return v;
  };
  const replicates = int('replicates', 10, 1_000_000);
  const seed = int('seed', 0, 2 ** 31);
  console.log(`M/D/1, T·Δt = 1 request per step, Δt = 1 s, ${replicates} replicates per cell (seed ${seed}):`);
  console.log('fraction of runs flagged unstable, % (95 % Wilson interval)\n');
  console.log(`| ρ | ${RUN_LENGTHS.map((s) => `S′ = ${s.toLocaleString('en')}`).join(' | ')} |`);
  console.log(`|---|${RUN_LENGTHS.map(() => '---').join('|')}|`);
  for (const rho of LOADS) {
    const what = rho < 1 ? 'false alarms' : rho > 1 ? 'detections' : 'boundary';
    const cells = RUN_LENGTHS.map((steps) => {
      const k = flaggedRuns(rho, steps, replicates, seed);
      const [lo, hi] = wilson(k, replicates);
      return `${percent(k / replicates)} (${percent(lo)}–${percent(hi)})`;
    });
    console.log(`| ${rho} (${what}) | ${cells.join(' | ')} |`);
  }
}

main();
