/**
 * `--backend` and `--threads` for the commands: the choices, and opening the engine
 * (src/platform/nodeEngine.ts) with a missing adapter for `--backend gpu` reported as a usage error.
 */
import { availableParallelism } from 'node:os';
import type { Engine } from '../platform/engine.js';
import { type EngineChoice, type EngineOptions, MAX_CPU_THREADS, NoAdapterError, openEngine } from '../platform/nodeEngine.js';
import { UsageError } from './errors.js';

export { DEFAULT_CPU_THREADS, ENGINE_CHOICES as BACKENDS } from '../platform/nodeEngine.js';

/**
 * The most `--threads` the command line accepts on this machine: twice its cores, at least 4 (so
 * that a test or a CI script passing 2 or 3 runs on a small runner), at most the engine's
 * MAX_CPU_THREADS. More threads than cores do not change the results and buy no speed, and each
 * worker holds its own copy of a batch: 1024 threads on 2 cores took 12.8 GB before finishing.
 */
export const MAX_THREADS = Math.min(MAX_CPU_THREADS, Math.max(4, 2 * availableParallelism()));
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
