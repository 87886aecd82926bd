/** Buffer helpers shared by the kernels' hosts. */

/** A new buffer holding `data` (padded to 16 bytes), created mapped so no staging copy is needed. */
export function upload(device: GPUDevice, label: string, data: ArrayBufferLike, usage: number): GPUBuffer {
  const size = Math.max(16, Math.ceil(data.byteLength / 16) * 16);
  const buffer = device.createBuffer({ label, size, usage: usage | GPUBufferUsage.COPY_DST, mappedAtCreation: true });
  new Uint8Array(buffer.getMappedRange()).set(new Uint8Array(data));
  buffer.unmap();
  return buffer;
}
