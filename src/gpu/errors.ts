/** GPU errors as exceptions: every GPU operation of fleetsim runs inside validation and OOM scopes. */

export class GpuError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'GpuError';
  }
}

/**
 * Runs `work` inside out-of-memory and validation error scopes; throws GpuError naming `label` and
 * the error a scope caught (a GPU error outranks an exception thrown by `work` itself).
 */
export async function withErrorScopes<T>(device: GPUDevice, label: string, work: () => T | Promise<T>): Promise<T> {
  device.pushErrorScope('out-of-memory');
  device.pushErrorScope('validation');
  let outcome: { ok: true; value: T } | { ok: false; error: unknown };
  try {
    outcome = { ok: true, value: await work() };
  } catch (error) {
    outcome = { ok: false, error };
  }
  const validation = await device.popErrorScope();
  const oom = await device.popErrorScope();
  if (validation) throw new GpuError(`${label}: validation error: ${validation.message}`);
  if (oom) throw new GpuError(`${label}: out-of-memory error: ${oom.message}`);
  if (!outcome.ok) throw outcome.error;
  return outcome.value;
}
