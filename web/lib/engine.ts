/**
 * The page's engines: the same GPU engine and shaders as Node, through navigator.gpu; or, when the
 * browser has no WebGPU adapter (or the URL says `backend=cpu`), the CPU reference engine in a Web
 * Worker. Every view runs batches through `pageEngine()` and shows `engine.label` as its badge.
 */
import { GpuEngine } from '../../src/gpu/engine.js';
import type { Batch } from '../../src/model/batch.js';
import type { RunTotals } from '../../src/model/metrics.js';
import type { CpuRequest } from './cpu.worker.js';
import { SOURCES } from './shaders.js';

export interface PageEngine {
  backend: 'gpu' | 'cpu';
  /** The adapter, or why the GPU is not used. */
  detail: string;
  run(batch: Batch): Promise<RunTotals>;
}

type WorkerReply = { id: number; totals: RunTotals } | { id: number; error: string };

/** The CPU engine in a worker; `terminate` stops a run at once (the sweep view's cancel button). */
export class CpuWorkerEngine implements PageEngine {
  readonly backend = 'cpu';
  private worker: Worker | null = null;
  private nextId = 0;
  private readonly pending = new Map<number, { resolve: (t: RunTotals) => void; reject: (e: Error) => void }>();

  constructor(readonly detail: string) {}

  private start(): Worker {
    if (this.worker) return this.worker;
    const worker = new Worker(new URL('./cpu.worker.ts', import.meta.url), { type: 'module' });
    worker.onmessage = (event: MessageEvent<WorkerReply>) => {
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
}

class WebGpuEngine implements PageEngine {
  readonly backend = 'gpu';
  constructor(
    readonly detail: string,
    private readonly engine: GpuEngine,
  ) {}

  run(batch: Batch): Promise<RunTotals> {
    return this.engine.run(batch);
  }
}

/** Opens WebGPU; returns why not instead when there is none or it fails. */
async function openGpu(): Promise<PageEngine | string> {
  const gpu: GPU | undefined = navigator.gpu;
  if (!gpu) return 'this browser has no WebGPU (navigator.gpu)';
  try {
    const adapter = await gpu.requestAdapter();
    if (!adapter) return 'WebGPU found no adapter';
    const device = await adapter.requestDevice({ label: 'fleetsim' });
    const engine = await GpuEngine.create(device, SOURCES);
    const { description, vendor, architecture } = adapter.info;
    return new WebGpuEngine(description || `${vendor} ${architecture}`.trim() || 'WebGPU adapter', engine);
  } catch (error) {
    return `WebGPU failed (${error instanceof Error ? error.message : String(error)})`;
  }
}

let shared: Promise<PageEngine> | null = null;
let sharedBackend: string | undefined;

/**
 * The page's engine, opened once: WebGPU when available, else the CPU worker (whose `detail` says
 * why). `prefer` = 'cpu' skips WebGPU (the URL's `backend=cpu`).
 */
export function pageEngine(prefer?: string): Promise<PageEngine> {
  if (shared && sharedBackend === prefer) return shared;
  sharedBackend = prefer;
  shared = (async () => {
    if (prefer === 'cpu') return new CpuWorkerEngine('the CPU engine was chosen (backend=cpu)');
    const gpu = await openGpu();
    return typeof gpu === 'string' ? new CpuWorkerEngine(`${gpu}; running the CPU reference engine in a Web Worker`) : gpu;
  })();
  return shared;
}

/** The badge text for an engine. */
export function backendBadge(engine: PageEngine): string {
  return engine.backend === 'gpu' ? 'WebGPU' : 'CPU (Web Worker)';
}
