/** Buffer helpers shared by the kernels' hosts. */

/** A new buffer holding `data` (padded to 16 bytes), created mapped so no staging copy is needed. */
export function upload(device: GPUDevice, label: string, data: ArrayBufferLike, usage: number): GPUBuffer {
  const size = Math.max(16, Math.ceil(data.byteLength / 16) * 16);
  const buffer = device.createBuffer({ label, size, usage: usage | GPUBufferUsage.COPY_DST, mappedAtCreation: true });
  new Uint8Array(buffer.getMappedRange()).set(new Uint8Array(data));
  buffer.unmap();
  return buffer;
}

/** A zero-initialised storage buffer the kernel writes, and the mappable buffer it is copied into. */
export function outputBuffers(device: GPUDevice, label: string, size: number): { output: GPUBuffer; readback: GPUBuffer } {
  return {
    output: device.createBuffer({ label, size, usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC }),
    readback: device.createBuffer({
      label: `${label}Readback`,
      size,
      usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST,
    }),
  };
}

/** Copies `output` into `readback` after the work `encoder` holds, submits, and returns the bytes. */
export async function submitAndRead(
  device: GPUDevice,
  encoder: GPUCommandEncoder,
  { output, readback }: { output: GPUBuffer; readback: GPUBuffer },
  size: number,
): Promise<ArrayBuffer> {
  encoder.copyBufferToBuffer(output, 0, readback, 0, size);
  device.queue.submit([encoder.finish()]);
  await readback.mapAsync(GPUMapMode.READ);
  const bytes = readback.getMappedRange(0, size).slice(0);
  readback.unmap();
  return bytes;
}

/**
 * One dispatch of a query kernel (the diagnostics kernels draws.wgsl and burstyProbe.wgsl): binding 0
 * the uniform `params`, 1 the `queries`, 2 the results it writes (`resultBytes`); returns their bytes.
 */
export async function runQueryKernel(
  device: GPUDevice,
  pipeline: GPUComputePipeline,
  label: string,
  params: ArrayBufferLike,
  queries: ArrayBufferLike,
  resultBytes: number,
  grid: { x: number; y: number },
): Promise<ArrayBuffer> {
  const inputs = [
    upload(device, `${label}.params`, params, GPUBufferUsage.UNIFORM),
    upload(device, `${label}.queries`, queries, GPUBufferUsage.STORAGE),
  ];
  const results = outputBuffers(device, `${label}.results`, resultBytes);
  try {
    const bindGroup = device.createBindGroup({
      label: `${label}.bindGroup`,
      layout: pipeline.getBindGroupLayout(0),
      entries: [inputs[0]!, inputs[1]!, results.output].map((buffer, binding) => ({ binding, resource: { buffer } })),
    });
    const encoder = device.createCommandEncoder({ label: `${label}.encoder` });
    const pass = encoder.beginComputePass({ label: `${label}.pass` });
    pass.setPipeline(pipeline);
    pass.setBindGroup(0, bindGroup);
    pass.dispatchWorkgroups(grid.x, grid.y);
    pass.end();
    return await submitAndRead(device, encoder, results, resultBytes);
  } finally {
    for (const b of [...inputs, results.output, results.readback]) b.destroy();
  }
}
