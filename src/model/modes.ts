/**
 * The model's enumerations, each written once: the study schema's zod enums, the engines' ids and the
 * WGSL constants (generated into every kernel by src/gpu/wgsl.ts) all come from these lists. A mode's
 * id is its index in its list, so a new mode goes at the end and existing ids never move.
 *
 * @example
 *   ARRIVAL_PROCESS_ID.poisson; // 1, the `ARRIVALS_POISSON` the kernels read
 */

import { ARRIVAL_PROCESSES } from '../random/arrivals.js';

/** How requests arrive in a step: listed with their CPU code in src/random/arrivals.ts (↔ shaders/arrivals.wgsl). */
export { ARRIVAL_PROCESS_INFO, ARRIVAL_PROCESSES, type ArrivalMode } from '../random/arrivals.js';

/**
 * Work per request, in units of one request's mean work (1/T s of the whole GPU): exactly 1; Exp(1)
 * drawn per request into a fluid queue; or `exponentialCount` (MODEL-PART4 §4.6), an integer queue of
 * requests whose completions in a step are min(n + a, Poisson(T·g·Δt)), the same law by memorylessness,
 * with whole requests to route.
 */
export const WORK_MODES = ['deterministic', 'exponential', 'exponentialCount'] as const;
export type WorkMode = (typeof WORK_MODES)[number];

/** The rate λ̂_i a policy that reads the signal (adaptive) sees: λ_i, the last step's arrivals / Δt, or their EMA. */
export const SIGNALS = ['nominal', 'observed', 'ema'] as const;
export type SignalMode = (typeof SIGNALS)[number];

/** `{ name: index }` of a list of names: the ids both engines use. */
export function idsOf<const N extends string>(names: readonly N[]): Readonly<Record<N, number>> {
  return Object.fromEntries(names.map((name, id) => [name, id])) as Record<N, number>;
}

export const ARRIVAL_PROCESS_ID = idsOf(ARRIVAL_PROCESSES);
export const WORK_MODE_ID = idsOf(WORK_MODES);
export const SIGNAL_ID = idsOf(SIGNALS);

/**
 * The WGSL constant prefix of each enumeration, with its names and their comments: `ARRIVALS_POISSON`
 * is ARRIVAL_PROCESS_ID.poisson. src/gpu/wgsl.ts writes them; test/layout.test.ts reads them back.
 */
export const WGSL_ENUMS: readonly { prefix: string; names: readonly string[]; about: string }[] = [
  { prefix: 'ARRIVALS', names: ARRIVAL_PROCESSES, about: 'arrival process (AgentParams.process)' },
  {
    prefix: 'WORK',
    names: WORK_MODES,
    about: 'work per request (SimParams.workMode): 1 unit, Exp(1) units, or whole requests served by a Poisson count',
  },
  { prefix: 'SIGNAL', names: SIGNALS, about: 'the rate λ̂ a signal-reading policy sees (SimParams.signalMode)' },
];

/** `roundRobin` → `ROUND_ROBIN`: a name as the suffix of its WGSL constant. */
export function constantCase(name: string): string {
  return name.replace(/[A-Z]/g, (c) => `_${c}`).toUpperCase();
}
