/** Host side of shaders/draws.wgsl: raw Philox blocks and Poisson counts for a list of coordinates. */
import { seedKey } from '../random/philox.js';
import { planGrid } from './dispatch.js';
import { runQueryKernel } from './buffers.js';
import { byteSize, DRAW_PARAMS, DRAW_QUERY, DRAW_RESULT, words } from './layout.js';

export interface DrawQuery {
  stream: number;
  replicate: number;
  step: number;
  agent: number;
  mean: number; // Poisson mean (rounded to f32)
  withWork?: boolean; // also draw the exponential work of the count (default: no)
}

export interface DrawResult {
  block0: [number, number, number, number]; // Philox block 0 of the stream (draws 0..3)
  count: number; // Poisson(mean)
  drawsUsed: number; // 32-bit draws the Poisson sampler consumed
  work: number; // exponential work of the `count` requests, drawn after them (src/random/work.ts); 0 unless asked
}

const Q = words(DRAW_QUERY);
const R = words(DRAW_RESULT);
const P = words(DRAW_PARAMS);

export async function runDraws(
  device: GPUDevice,
  pipeline: GPUComputePipeline,
  workgroupSize: number,
  seed: bigint | number,
  queries: readonly DrawQuery[],
): Promise<DrawResult[]> {
  const qWords = byteSize(DRAW_QUERY) / 4;
  const rWords = byteSize(DRAW_RESULT) / 4;
  const query = new Uint32Array(queries.length * qWords);
  const queryF = new Float32Array(query.buffer);
  queries.forEach((q, i) => {
    query[i * qWords + Q.stream!] = q.stream;
    query[i * qWords + Q.replicate!] = q.replicate;
    query[i * qWords + Q.step!] = q.step;
    query[i * qWords + Q.agent!] = q.agent;
    queryF[i * qWords + Q.mean!] = q.mean;
    query[i * qWords + Q.withWork!] = q.withWork ? 1 : 0;
  });
  const grid = planGrid(queries.length, workgroupSize, device.limits);
  const params = new Uint32Array(byteSize(DRAW_PARAMS) / 4);
  [params[P.seedLo!], params[P.seedHi!]] = seedKey(seed);
  params[P.count!] = queries.length;
  params[P.gridWidth!] = grid.gridWidth;
  const resultBytes = Math.max(16, queries.length * rWords * 4);
  const bytes = await runQueryKernel(device, pipeline, 'Draws', params.buffer, query.buffer, resultBytes, grid);
  const out = new Uint32Array(bytes);
  const outF = new Float32Array(bytes);
  return queries.map((_, i) => {
    const b = i * rWords;
    return {
      block0: [out[b + R.block0!]!, out[b + R.block0! + 1]!, out[b + R.block0! + 2]!, out[b + R.block0! + 3]!],
      count: out[b + R.count!]!,
      drawsUsed: out[b + R.drawsUsed!]!,
      work: outF[b + R.work!]!,
    };
  });
}
