/**
 * The browser page (skeleton): runs the paper's scenario with the CLI's engines — WebGPU through
 * navigator.gpu when an adapter exists, else the CPU reference engine — and shows Table II beside the
 * paper's figures. Node-free: the shaders are bundled by Vite, and the backend choice lives here
 * because src/cli/backend.ts opens Dawn.
 */
import agentStep from '../shaders/agentStep.wgsl?raw';
import allocate from '../shaders/allocate.wgsl?raw';
import common from '../shaders/common.wgsl?raw';
import draws from '../shaders/draws.wgsl?raw';
import f32math from '../shaders/f32math.wgsl?raw';
import philox from '../shaders/philox.wgsl?raw';
import poisson from '../shaders/poisson.wgsl?raw';
import simulate from '../shaders/simulate.wgsl?raw';
import simulateWide from '../shaders/simulateWide.wgsl?raw';
import work from '../shaders/work.wgsl?raw';
import { runBatchCpu } from '../src/cpu/engine.js';
import { GpuEngine } from '../src/gpu/engine.js';
import type { ShaderSources } from '../src/gpu/kernels.js';
import type { Batch } from '../src/model/batch.js';
import { type RunTotals, summarize } from '../src/model/metrics.js';
import { PAPER_TABLE_II, paperBatch } from '../src/model/paper.js';
import { POLICY_NAMES } from '../src/model/policies.js';

// Keyed by SHADER_FILES: the type makes a missing or extra file a compile error (add new shaders here).
const SOURCES: ShaderSources = { common, philox, f32math, poisson, work, allocate, agentStep, simulate, simulateWide, draws };

interface Ran {
  backend: 'gpu' | 'cpu';
  detail: string; // the adapter, or why the GPU was not used
  totals: RunTotals;
}

/** Runs on WebGPU; returns why not instead when there is no adapter or the GPU fails. */
async function runGpu(batch: Batch): Promise<Ran | string> {
  const gpu: GPU | undefined = navigator.gpu;
  if (!gpu) return 'this browser has no navigator.gpu';
  const adapter = await gpu.requestAdapter();
  if (!adapter) return 'navigator.gpu found no adapter';
  const device = await adapter.requestDevice({ label: 'fleetsim' });
  try {
    const engine = await GpuEngine.create(device, SOURCES);
    const { description, vendor, architecture } = adapter.info;
    return { backend: 'gpu', detail: description || `${vendor} ${architecture}`.trim(), totals: await engine.run(batch) };
  } catch (error) {
    return `the GPU run failed (${error instanceof Error ? error.message : String(error)})`;
  } finally {
    device.destroy();
  }
}

async function runPaper(batch: Batch): Promise<Ran> {
  const gpu = await runGpu(batch).catch((error: unknown) => `WebGPU failed (${String(error)})`);
  if (typeof gpu !== 'string') return gpu;
  return { backend: 'cpu', detail: `${gpu}; ran the CPU reference engine`, totals: runBatchCpu(batch) };
}

function cell(row: HTMLTableRowElement, text: string): void {
  row.insertCell().textContent = text;
}

async function main(): Promise<void> {
  const batch = paperBatch();
  const ran = await runPaper(batch);
  const result = summarize(batch, ran.totals);

  const badge = document.querySelector<HTMLElement>('#backend')!;
  badge.textContent = ran.backend === 'gpu' ? 'WebGPU' : 'CPU';
  badge.dataset.backend = ran.backend;
  document.querySelector('#status')!.textContent = ran.detail;

  const table = document.querySelector<HTMLTableElement>('#results')!;
  const body = table.tBodies[0]!;
  POLICY_NAMES.forEach((name, r) => {
    const paper = PAPER_TABLE_II[name];
    const row = body.insertRow();
    cell(row, name);
    cell(row, result.avgLatency[r]!.toFixed(3));
    cell(row, paper.avgLatency.toFixed(1));
    cell(row, result.throughput[r]!.toFixed(2));
    cell(row, paper.throughput.toFixed(1));
    cell(row, result.cost[r]!.toFixed(4));
    cell(row, paper.cost.toFixed(2));
  });
  table.hidden = false;
  document.body.dataset.state = 'done'; // for headless checks
}

main().catch((error: unknown) => {
  document.querySelector('#status')!.textContent = `fleetsim failed: ${error instanceof Error ? error.message : String(error)}`;
  document.body.dataset.state = 'error';
});
