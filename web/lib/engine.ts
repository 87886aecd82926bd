/**
 * The page's engine (src/platform/engine.ts), opened by src/platform/browser.ts with the page's WGSL
 * sources and CPU worker: the same GPU engine and shaders as Node through navigator.gpu, or the CPU
 * reference engine in a Web Worker. Every view runs batches through `pageEngine()` and shows it in
 * the badge.
 */
import type { Engine } from '../../src/platform/engine.js';
import { openBrowserEngine, WorkerEngine } from '../../src/platform/browser.js';
import { SOURCES } from './shaders.js';

/** vite bundles the worker from this literal URL. */
const startWorker = (): Worker => new Worker(new URL('./cpu.worker.ts', import.meta.url), { type: 'module' });

/** The CPU engine in this page's worker; `fallback`: why the GPU is not used, when one was wanted. */
export class CpuWorkerEngine extends WorkerEngine {
  constructor(fallback?: string) {
    super(startWorker, fallback);
  }
}

let shared: Promise<Engine> | null = null;
let sharedBackend: string | undefined;

/**
 * The page's engine, opened once: WebGPU when available, else the CPU worker (whose `fallback` says
 * why). `prefer` = 'cpu' skips WebGPU (the URL's `backend=cpu`).
 */
export function pageEngine(prefer?: string): Promise<Engine> {
  if (shared && sharedBackend === prefer) return shared;
  sharedBackend = prefer;
  shared = openBrowserEngine({ prefer, sources: SOURCES, startWorker });
  return shared;
}

/** The badge text for an engine. */
export function backendBadge(engine: Engine): string {
  return engine.name === 'gpu' ? 'WebGPU' : 'CPU (Web Worker)';
}
