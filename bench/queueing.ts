/**
 * The discretisation error table of docs/QUEUEING.md: the simulated mean latency of one agent with
 * Poisson arrivals and a fixed share (M/D/1 and M/M/1, service time 1 s) against the
 * Pollaczek–Khinchine mean wait, for Δt from 0.5 to 0.005 s at ρ = 0.3, 0.5, 0.7, 0.9 (GPU engine).
 *
 *   npm run build && node dist/bench/queueing.js
 */
import { GpuEngine } from '../src/gpu/engine.js';
import type { WorkMode } from '../src/model/batch.js';
import { openNodeGpu } from '../src/platform/node.js';
import { DT_SEED, DT_SIZES, DT_VALUES, meanAndSe, pkWait, runQueueCase } from './queueingCases.js';

const gpu = await openNodeGpu();
if (!gpu) throw new Error('bench/queueing: needs a WebGPU adapter');
const engine = await GpuEngine.create(gpu.device, gpu.sources);

for (const work of ['deterministic', 'exponential'] as WorkMode[]) {
  console.log(`\n${work === 'deterministic' ? 'M/D/1' : 'M/M/1'}: relative error of the mean latency against W_q, % (± 1 standard error)`);
  console.log(`| ρ | W_q (s) | ${DT_VALUES.map((dt) => `Δt = ${dt}`).join(' | ')} |`);
  console.log(`|---|---|${DT_VALUES.map(() => '---').join('|')}|`);
  for (const rho of [0.3, 0.5, 0.7, 0.9]) {
    const wq = pkWait(work, rho);
    const cells: string[] = [];
    for (const dt of DT_VALUES) {
      const { mean, se } = meanAndSe((await runQueueCase(engine, { work, rho, dt, ...DT_SIZES[rho]! }, DT_SEED)).avgLatency);
      cells.push(`${((100 * (mean - wq)) / wq).toFixed(1)} ± ${((100 * se) / wq).toFixed(1)}`);
    }
    console.log(`| ${rho} | ${wq.toFixed(3)} | ${cells.join(' | ')} |`);
  }
}
gpu.close();
