/**
 * The two generators' WGSL in small compute pipelines of their own, for the known-answer test on the
 * GPU (test/threefry.test.ts) and the generators' benchmark (bench/rng.ts): `blocksKernel` maps input
 * (counter, key) pairs to blocks, `foldKernel` has every invocation generate `blocks` blocks and fold
 * them by exclusive or into one word per invocation, so that no compiler can drop the work.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { withErrorScopes } from '../../src/gpu/errors.js';
import { shaderDir } from '../../src/platform/node.js';

export type Generator = 'philox' | 'threefry';

/** The WGSL of one generator's file (shaders/philox.wgsl or shaders/threefry.wgsl). */
export function generatorSource(generator: Generator): Promise<string> {
  return readFile(join(shaderDir(), `${generator}.wgsl`), 'utf8');
}

/**
 * Input: per invocation i, words 8i … 8i + 7 = counter (4 words) and key (4 words; Philox reads the
 * first 2). Output: the block, 4 words per invocation.
 */
export function blocksKernel(source: string, generator: Generator): string {
  const call = generator === 'philox' ? 'philox4x32(counter, key.xy)' : 'threefry4x32Key(counter, key)';
  return `${source}
@group(0) @binding(0) var<storage, read> input: array<vec4<u32>>;
@group(0) @binding(1) var<storage, read_write> output: array<vec4<u32>>;
@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) id: vec3<u32>) {
  let i = id.x;
  if (i >= arrayLength(&output)) { return; }
  let counter = input[2u * i];
  let key = input[2u * i + 1u];
  output[i] = ${call};
}
`;
}

/**
 * Params: (blocks per invocation, replicate, key word 0, key word 1). Invocation i generates the
 * blocks of counters (i, replicate, j, 0x00050000 | j) for j < blocks, as a kernel draws them for
 * stream i, step j and agent 5, and writes the exclusive or of all their words.
 */
export function foldKernel(source: string, generator: Generator, workgroupSize: number): string {
  const call = generator === 'philox' ? 'philox4x32' : 'threefry4x32';
  return `${source}
struct FoldParams { blocks: u32, replicate: u32, key: vec2<u32> }
@group(0) @binding(0) var<uniform> params: FoldParams;
@group(0) @binding(1) var<storage, read_write> output: array<u32>;
@compute @workgroup_size(${workgroupSize})
fn main(@builtin(global_invocation_id) id: vec3<u32>) {
  let i = id.x;
  if (i >= arrayLength(&output)) { return; }
  var acc = vec4<u32>(0u);
  for (var j = 0u; j < params.blocks; j++) {
    acc ^= ${call}(vec4<u32>(i, params.replicate, j, 0x00050000u | j), params.key);
  }
  output[i] = acc.x ^ acc.y ^ acc.z ^ acc.w;
}
`;
}

/** A compiled pipeline and the dispatch of it over `invocations` invocations, read back as words. */
export interface WordKernel {
  run(bindings: readonly GPUBuffer[], invocations: number, output: GPUBuffer): Promise<Uint32Array>;
}

/** Compiles `code` (entry point `main`, workgroups of `workgroupSize`) into a WordKernel. */
export async function wordKernel(device: GPUDevice, label: string, code: string, workgroupSize = 64): Promise<WordKernel> {
  const pipeline = await withErrorScopes(device, `${label}: compile`, () =>
    device.createComputePipelineAsync({
      label,
      layout: 'auto',
      compute: { module: device.createShaderModule({ label, code }), entryPoint: 'main' },
    }),
  );
  return {
    run: (bindings, invocations, output) =>
      withErrorScopes(device, `${label}: run`, async () => {
        const bindGroup = device.createBindGroup({
          label: `${label}.bindGroup`,
          layout: pipeline.getBindGroupLayout(0),
          entries: bindings.map((buffer, binding) => ({ binding, resource: { buffer } })),
        });
        const readback = device.createBuffer({
          label: `${label}.readback`,
          size: output.size,
          usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST,
        });
        const encoder = device.createCommandEncoder({ label });
        const pass = encoder.beginComputePass({ label });
        pass.setPipeline(pipeline);
        pass.setBindGroup(0, bindGroup);
        pass.dispatchWorkgroups(Math.ceil(invocations / workgroupSize));
        pass.end();
        encoder.copyBufferToBuffer(output, 0, readback, 0, output.size);
        device.queue.submit([encoder.finish()]);
        await readback.mapAsync(GPUMapMode.READ);
        const words = new Uint32Array(readback.getMappedRange().slice(0));
        readback.unmap();
        readback.destroy();
        return words;
      }),
  };
}

/** A buffer holding `words` (usage STORAGE or UNIFORM, plus COPY_SRC/COPY_DST). */
export function wordBuffer(device: GPUDevice, label: string, words: Uint32Array<ArrayBuffer>, usage: number): GPUBuffer {
  const buffer = device.createBuffer({ label, size: words.byteLength, usage: usage | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST });
  device.queue.writeBuffer(buffer, 0, words);
  return buffer;
}

/** Runs blocksKernel for the (counter, key) pairs in `input` (8 words each): 4 words per pair. */
export async function blocksOnGpu(device: GPUDevice, generator: Generator, input: Uint32Array<ArrayBuffer>): Promise<Uint32Array> {
  const kernel = await wordKernel(device, `rng.blocks.${generator}`, blocksKernel(await generatorSource(generator), generator));
  const pairs = input.length / 8;
  const inBuffer = wordBuffer(device, 'rng.blocks.input', input, GPUBufferUsage.STORAGE);
  const outBuffer = wordBuffer(device, 'rng.blocks.output', new Uint32Array(4 * pairs), GPUBufferUsage.STORAGE);
  const words = await kernel.run([inBuffer, outBuffer], pairs, outBuffer);
  inBuffer.destroy();
  outBuffer.destroy();
  return words;
}
