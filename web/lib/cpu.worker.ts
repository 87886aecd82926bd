/** The CPU reference engine in a Web Worker (src/platform/browser.ts holds both sides of the protocol). */
import { type CpuRequest, runWorkerRequest } from '../../src/platform/browser.js';

self.onmessage = (event: MessageEvent<CpuRequest>) => {
  self.postMessage(runWorkerRequest(event.data));
};
