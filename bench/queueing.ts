/**
 * The discretisation error table of docs/QUEUEING.md: the simulated mean latency of one agent with
 * Poisson arrivals and a fixed share (M/D/1 and M/M/1, service time 1 s) against the
 * Pollaczek–Khinchine mean wait, for Δt from 0.5 to 0.005 s at ρ = 0.3, 0.5, 0.7, 0.9 (GPU engine).
 *
 *   npm run build && node dist/bench/queueing.js
 */
import { GpuEngine } from '../src/gpu/engine.js';
import { crossRuns, makeBatch, packFleets, type WorkMode } from '../src/model/batch.js';
import { summarize } from '../src/model/metrics.js';
import { POLICY } from '../src/model/policies.js';
import { openNodeGpu } from '../src/platform/node.js';

const gpu = await openNodeGpu();
if (!gpu) throw new Error('bench/queueing: needs a WebGPU adapter');
const engine = await GpuEngine.create(gpu.device, gpu.sources);
const DTS = [0.5, 0.2, 0.1, 0.05, 0.02, 0.01, 0.005];
const SIZE: Record<number, { warm: number; record: number; replicates: number }> = {
  0.3: { warm: 20, record: 300, replicates: 512 },
  0.5: { warm: 50, record: 400, replicates: 512 },
  0.7: { warm: 200, record: 800, replicates: 512 },
  0.9: { warm: 1000, record: 4000, replicates: 256 },
};

for (const work of ['deterministic', 'exponential'] as WorkMode[]) {
  console.log(`\n${work === 'deterministic' ? 'M/D/1' : 'M/M/1'}: relative error of the mean latency against W_q, % (± 1 standard error)`);
  console.log(`| ρ | W_q (s) | ${DTS.map((dt) => `Δt = ${dt}`).join(' | ')} |`);
  console.log(`|---|---|${DTS.map(() => '---').join('|')}|`);
  for (const rho of [0.3, 0.5, 0.7, 0.9]) {
    const wq = (rho * (work === 'exponential' ? 2 : 1)) / (2 * (1 - rho));
    const cells: string[] = [];
    for (const dt of DTS) {
      const { warm, record, replicates } = SIZE[rho]!;
      const steps = Math.round((warm + record) / dt);
      const batch = makeBatch(packFleets([{ agents: [{ T: 1, R: 0, P: 1, lambda: rho }] }]), crossRuns(1, [POLICY.static], replicates), {
        dt,
        steps,
        warmup: Math.round(warm / dt),
        lmax: 999,
        price: 0,
        arrivals: 'poisson',
        work,
        seed: 7,
      });
      const xs = summarize(batch, await engine.run(batch)).avgLatency;
      const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
      const se = Math.sqrt(xs.reduce((a, b) => a + (b - mean) ** 2, 0) / (xs.length - 1) / xs.length);
      cells.push(`${((100 * (mean - wq)) / wq).toFixed(1)} ± ${((100 * se) / wq).toFixed(1)}`);
    }
    console.log(`| ${rho} | ${wq.toFixed(3)} | ${cells.join(' | ')} |`);
  }
}
gpu.close();
