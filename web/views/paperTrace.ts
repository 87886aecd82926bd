/**
 * The trace the Paper view replays or modulates its arrivals with: the shipped derived copy of the
 * Azure LLM inference trace 2023, conversation service (traces/azure-llm-2023-conv.json, CC-BY-4.0),
 * bundled by Vite as text and parsed on first use with the browser-safe parseTrace.
 *
 * @example
 *   const batch = scenarioBatch(scenario, pageTraces());
 */
import { parseTrace } from '../../src/traces/format.js';
import { TraceLibrary } from '../../src/traces/library.js';
import azure from '../../traces/azure-llm-2023-conv.json?raw';
import { PAGE_TRACE } from './paperScenario.js';

let library: TraceLibrary | undefined;

/** The page's trace library (PAGE_TRACE only), parsed once. */
export function pageTraces(): TraceLibrary {
  library ??= new TraceLibrary(new Map([[PAGE_TRACE, parseTrace(JSON.parse(azure), `traces/${PAGE_TRACE}.json`)]]));
  return library;
}
