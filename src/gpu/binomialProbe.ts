/**
 * Host side of shaders/binomialProbe.wgsl: one binomial draw or one sequential split
 * (shaders/binomial.wgsl) per query on the GPU, returned with the draws consumed, for
 * test/binomial.test.ts to compare with src/random/binomial.ts. The structs hold only 4-byte scalars
 * and f32/u32 arrays (no padding rules), so their word offsets are written out here.
 *
 * @example
 *   const pipeline = await binomialProbePipeline(device, sources);
 *   const [r] = await runBinomialProbe(device, pipeline, [{ seed: 1, stream: 0, replicate: 0, step: 0, agent: 0, n: 100, probs: [0.3] }]);
 */
import { seedKey } from '../random/philox.js';
import { runQueryKernel } from './buffers.js';
import { planGrid } from './dispatch.js';
import { BINOMIAL_PROBE_KERNEL, kernelSource, type ShaderSources } from './kernels.js';

/**
 * One probe: Binomial(n, probs[0]) by default; splitCompletions(n, probs) with `split`; with `values`,
 * the f32 bits of [log1mf32(p), logBinomialPmf at k = probs[1 … 3], e^{n·log1mf32(p)}] for p = probs[0] ≤ ½.
 */
export interface BinomialProbeQuery {
  seed: bigint | number;
  stream: number;
  replicate: number;
  step: number; // counter word 2 as drawn: (purpose << 28) | step
  agent: number;
  n: number;
  probs: readonly number[]; // 1 … 8 probabilities (f32)
  split?: boolean;
  values?: boolean;
}

/** What the GPU drew for one query. */
export interface BinomialProbeResult {
  counts: number[]; // [k] for a binomial; one count per successor for a split; f32 bits for `values`
  drawsUsed: number;
}

const QUERY_WORDS = 16; // BinomialQuery: 8 scalars, probs[8]
const RESULT_WORDS = 12; // BinomialResult: counts[8], drawsUsed, 3 pads
const WORKGROUP_SIZE = 64;
const PROBE_VALUES = 9; // BinomialQuery.successors selecting probeValues (shaders/binomialProbe.wgsl)
const VALUE_WORDS = 5;

/** The probe's compute pipeline on `device`. */
export function binomialProbePipeline(device: GPUDevice, sources: ShaderSources): Promise<GPUComputePipeline> {
  const module = device.createShaderModule({ label: 'binomialProbe', code: kernelSource(BINOMIAL_PROBE_KERNEL, sources) });
  return device.createComputePipelineAsync({
    label: 'binomialProbePipeline',
    layout: 'auto',
    compute: { module, entryPoint: BINOMIAL_PROBE_KERNEL.entryPoint, constants: { WORKGROUP_SIZE } },
  });
}

/** Runs `queries` on the GPU; result q belongs to query q. */
export async function runBinomialProbe(
  device: GPUDevice,
  pipeline: GPUComputePipeline,
  queries: readonly BinomialProbeQuery[],
): Promise<BinomialProbeResult[]> {
  const query = new Uint32Array(Math.max(1, queries.length) * QUERY_WORDS);
  const queryF = new Float32Array(query.buffer);
  queries.forEach((q, i) => {
    const b = i * QUERY_WORDS;
    [query[b], query[b + 1]] = seedKey(q.seed);
    query[b + 2] = q.stream;
    query[b + 3] = q.replicate;
    query[b + 4] = q.step;
    query[b + 5] = q.agent;
    query[b + 6] = q.n;
    query[b + 7] = q.values ? PROBE_VALUES : q.split ? q.probs.length : 0;
    q.probs.forEach((p, j) => (queryF[b + 8 + j] = p));
  });
  const grid = planGrid(queries.length, WORKGROUP_SIZE, device.limits);
  const params = new Uint32Array([queries.length, grid.gridWidth, 0, 0]);
  const resultBytes = Math.max(16, queries.length * RESULT_WORDS * 4);
  const out = new Uint32Array(await runQueryKernel(device, pipeline, 'BinomialProbe', params.buffer, query.buffer, resultBytes, grid));
  return queries.map((q, i) => {
    const b = i * RESULT_WORDS;
    const counts = Array.from(out.subarray(b, b + (q.values ? VALUE_WORDS : q.split ? q.probs.length : 1)));
    return { counts, drawsUsed: out[b + 8]! };
  });
}
