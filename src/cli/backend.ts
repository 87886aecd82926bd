/**
 * `--backend` and `--threads` for the commands: the choices, and opening the engine
 * (src/platform/nodeEngine.ts) with a missing adapter for `--backend gpu` reported as a usage error.
 */
import type { Engine } from '../platform/engine.js';
import { type EngineChoice, type EngineOptions, NoAdapterError, openEngine } from '../platform/nodeEngine.js';
import { UsageError } from './errors.js';

export { DEFAULT_CPU_THREADS, ENGINE_CHOICES as BACKENDS, MAX_CPU_THREADS } from '../platform/nodeEngine.js';
export type { EngineChoice as BackendChoice } from '../platform/nodeEngine.js';

/** Opens the chosen engine; `notice` receives the one-line fallback message of `auto`. */
export async function openBackend(choice: EngineChoice, notice: (line: string) => void, options: EngineOptions = {}): Promise<Engine> {
  try {
    return await openEngine(choice, notice, options);
  } catch (error) {
    if (error instanceof NoAdapterError) throw new UsageError(`--backend gpu: ${error.message}; use --backend cpu or auto`);
    throw error;
  }
}
