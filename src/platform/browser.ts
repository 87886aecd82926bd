/**
 * Opens an Engine in a browser: the GPU engine on navigator.gpu, or, when the browser has no WebGPU
 * adapter (or the CPU is chosen), the CPU reference engine in a Web Worker, so a long run never freezes
 * the page. No Node and no bundler imports: the page passes the WGSL sources and how to start its
 * worker (web/lib/engine.ts), whose side of the protocol is `runWorkerRequest`.
 *
 * @example
 *   const engine = await openBrowserEngine({ sources, startWorker: () => new Worker(url, { type: 'module' }) });
 */
import { runBatchCpu } from '../cpu/engine.js';
import { GpuEngine } from '../gpu/engine.js';
import type { ShaderSources } from '../gpu/kernels.js';
import type { Batch } from '../model/batch.js';
import type { RunTotals } from '../model/metrics.js';
import type { Engine } from './engine.js';

/** A message to the CPU worker: run one batch. */
export interface CpuRequest {
  id: number;
  batch: Batch;
}

/** The worker's answer to request `id`. */
export type CpuReply = { id: number; totals: RunTotals } | { id: number; error: string };

/** The worker's side: runs one request on the CPU reference engine. */
export function runWorkerRequest({ id, batch }: CpuRequest): CpuReply {
  try {
    return { id, totals: runBatchCpu(batch) };
  } catch (error) {
    return { id, error: error instanceof Error ? error.message : String(error) };
  }
}

/** The CPU engine in a worker, started with the first batch; `terminate` stops a run at once (a cancel button). */
export class WorkerEngine implements Engine {
  readonly name = 'cpu';
  readonly adapter = 'a Web Worker';
  readonly fallback?: string;
  private worker: Worker | null = null;
  private nextId = 0;
  private readonly pending = new Map<number, { resolve: (t: RunTotals) => void; reject: (e: Error) => void }>();

  /** `fallback`: why the GPU is not used, when a GPU was wanted. */
  constructor(
    private readonly startWorker: () => Worker,
    fallback?: string,
  ) {
    if (fallback !== undefined) this.fallback = fallback;
  }

  private start(): Worker {
    if (this.worker) return this.worker;
    const worker = this.startWorker();
    worker.onmessage = (event: MessageEvent<CpuReply>) => {
      const reply = event.data;
      const waiter = this.pending.get(reply.id);
      this.pending.delete(reply.id);
      if (!waiter) return;
      if ('error' in reply) waiter.reject(new Error(reply.error));
      else waiter.resolve(reply.totals);
    };
    worker.onerror = (event) => this.fail(new Error(`the CPU worker failed: ${event.message}`));
    this.worker = worker;
    return worker;
  }

  private fail(error: Error): void {
    for (const waiter of this.pending.values()) waiter.reject(error);
    this.pending.clear();
  }

  run(batch: Batch): Promise<RunTotals> {
    const worker = this.start();
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      worker.postMessage({ id, batch } satisfies CpuRequest);
    });
  }

  /** Stops the worker and rejects whatever was running; the next run starts a fresh worker. */
  terminate(): void {
    this.worker?.terminate();
    this.worker = null;
    this.fail(new Error('cancelled'));
  }

  close(): void {
    this.terminate();
  }
}

/** Opens WebGPU; returns why not instead when there is none or it fails. */
async function openWebGpu(gpu: GPU | undefined, sources: ShaderSources): Promise<Engine | string> {
  if (!gpu) return 'this browser has no WebGPU (navigator.gpu)';
  try {
    const adapter = await gpu.requestAdapter();
    if (!adapter) return 'WebGPU found no adapter';
    const device = await adapter.requestDevice({ label: 'fleetsim' });
    const engine = await GpuEngine.create(device, sources);
    const { description, vendor, architecture } = adapter.info;
    return {
      name: 'gpu',
      adapter: description || `${vendor} ${architecture}`.trim() || 'WebGPU adapter',
      run: (batch) => engine.run(batch),
      release: (totals) => engine.release(totals),
      close: () => device.destroy(),
    };
  } catch (error) {
    return `WebGPU failed (${error instanceof Error ? error.message : String(error)})`;
  }
}

export interface BrowserEngineOptions {
  /** 'cpu' skips WebGPU (the page's `backend=cpu`); anything else tries it first. */
  prefer?: string | undefined;
  sources: ShaderSources;
  startWorker: () => Worker;
  /** The WebGPU entry point; default navigator.gpu. */
  gpu?: GPU | undefined;
}

/** WebGPU when available, else the CPU worker (whose `fallback` says why). */
export async function openBrowserEngine(options: BrowserEngineOptions): Promise<Engine> {
  if (options.prefer === 'cpu') return new WorkerEngine(options.startWorker, 'the CPU engine was chosen (backend=cpu)');
  const gpu = await openWebGpu('gpu' in options ? options.gpu : navigator.gpu, options.sources);
  if (typeof gpu !== 'string') return gpu;
  return new WorkerEngine(options.startWorker, `${gpu}; running the CPU reference engine in a Web Worker`);
}
