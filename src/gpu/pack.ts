/**
 * What the GPU engine uploads for a chunk of runs, and what it reads back: the host's side of the
 * simulate kernels' buffers (src/gpu/layout.ts). `ChunkPacker.pack` writes a chunk's runs, its agents'
 * parameters and rate segments (agent-run major: a fleet's later runs copy its first run's words), its
 * Poisson tables and workflow edges after the traces (`traceCounts`), and its groups of runs sharing
 * their arrivals (`runGroups`); `unpackStates` turns the kernels' Kahan pairs back into f64 totals in
 * the batch's run order. Browser-safe; no GPU calls (src/gpu/engine.ts makes the buffers).
 *
 * @example
 *   const packed = new ChunkPacker().pack(batch, chunk); // packed.params, packed.runWords, …
 */
import { type Batch } from '../model/batch.js';
import { type RunTotals, TOTALS } from '../model/metrics.js';
import { lifecycleParams, loadSteps } from '../model/lifecycle.js';
import { gpuCapacity } from '../model/placement.js';
import { isWorkflow, NO_AGENT, routesFluidly, steppedAsWorkflow } from '../model/workflow.js';
import { generalArrivals, poissonTableMean, processOf } from '../random/arrivals.js';
import { GPU_GUIDE_BITS, NO_TABLE, PoissonTablePack } from '../random/poissonTable.js';
import { traceSpan } from '../random/replay.js';
import {
  AGENT_PARAM_FIELDS,
  AGENT_PARAMS,
  AGENT_STATE,
  AGENT_STATE_PAIRS,
  ARRIVAL_STATS,
  ARRIVAL_STATS_PAIRS,
  FLOW_STATE,
  FLOW_STATE_PAIRS,
  ROUTE_WORDS,
  RUN,
  RUN_FLOW,
  SEGMENT,
} from './layout.js';
import { type KernelPolicySet, kernelPolicySet } from './wgsl.js';

const PARAMS_BYTES = AGENT_PARAMS.bytes;
const RUN_BYTES = RUN.bytes;
const SEGMENT_BYTES = SEGMENT.bytes;
const RUN_WORD = RUN.word;
const PARAMS_WORD = AGENT_PARAMS.word;
const SEGMENT_WORD = SEGMENT.word;

/**
 * Runs one invocation of the narrow kernel advances at most: adjacent runs of one fleet and replicate
 * (crossRuns puts a fleet replicate's policies next to each other) draw their arrivals once. The
 * kernel keeps each member's state in registers (MAX_GROUP_RUNS in shaders/simulate.wgsl).
 */
export const MAX_GROUP_RUNS = 4;

export type KernelName = 'narrow' | 'wide';

/** Runs of one kernel small enough for one set of buffers, in batch order (not necessarily adjacent); GpuEngine.planChunks. */
export interface Chunk {
  kernel: KernelName;
  /** Its runs take the workflow path (Run.flow's step bit: workflows, exponentialCount), on the kernel's flow twin. */
  flow: boolean;
  runs: Uint32Array; // indices into the batch's runs, ascending
  agents: number; // agent-runs
  segments: number; // rate segments of those agent-runs (each run carries its own copy)
}

/** A chunk's words for the simulate kernels' input buffers. */
export interface PackedChunk {
  runWords: Uint32Array; // RUN per run
  params: Uint32Array; // AGENT_PARAMS per agent-run
  segments: Uint32Array; // SEGMENT per rate segment
  /** The traces, then the chunk's Poisson tables, then its workflow edges (at least one word). */
  traceCounts: ArrayBuffer;
  /** Group g is chunk runs [groups[g], groups[g + 1]) (runGroups). */
  groups: Uint32Array;
  /** An agent of the chunk needs the general arrival path (ARRIVAL_FLAG.general). */
  general: boolean;
  /** Every policy a run of the chunk takes: the kernel's policy switches. */
  policies: KernelPolicySet;
}

/** Packs chunks one after another, reusing its table pack and scratch between them. */
export class ChunkPacker {
  /** The chunk's Poisson tables (one per distinct mean, with the GPU's finer guide), the buffer reused from chunk to chunk. */
  readonly #tables = new PoissonTablePack(GPU_GUIDE_BITS);
  /** The table offsets of the last fleet packed (its runs are adjacent), reused for its next runs. */
  #tableOffsets = new Uint32Array(0);
  /** The chunk's workflow edges (traceCounts after the tables), reused from chunk to chunk. */
  readonly #routes: number[] = [];

  pack(batch: Batch, chunk: Chunk): PackedChunk {
    const { config, fleets, runs } = batch;
    const runCount = chunk.runs.length;

    // Runs, their agents' parameters and rate segments, agent-run major (a fleet's parameters and
    // segments repeat per policy/replicate).
    const runWords = new Uint32Array((runCount * RUN_BYTES) / 4);
    const runFloats = new Float32Array(runWords.buffer);
    const params = new Uint32Array((chunk.agents * PARAMS_BYTES) / 4);
    const paramFloats = new Float32Array(params.buffer);
    const segments = new Uint32Array((chunk.segments * SEGMENT_BYTES) / 4);
    const segmentFloats = new Float32Array(segments.buffer);
    let agentOffset = 0;
    let segmentOffset = 0;
    let general = false; // an agent of the chunk needs the general arrival path (ARRIVAL_FLAG.general)
    // The kernel's policy switches hold every policy a run of the chunk takes (else a run would get the switches' fallback).
    const policies = kernelPolicySet(Array.from(chunk.runs, (r) => runs.policy[r]!));
    // The Poisson tables follow the traces in `traceCounts`: an agent's offset counts from there.
    const tables = this.#tables;
    tables.clear();
    const tableBase = fleets.traces.counts.length;
    let tableFleet = -1;
    // Workflows: each fleet's edges (ROUTE_WORDS words each), once per stretch of its adjacent runs,
    // after the tables; agents' routeOffset counts from here until the tables' length is known.
    const routes = this.#routes;
    routes.length = 0;
    let fleetRoutes = 0; // the current stretch's first edge word in `routes`
    let routeAgents = false; // an agent of the chunk has successors (its routeOffset is fixed up below)
    let flow = 0; // the current fleet's RUN_FLOW bits
    // The stretch's first run's agents and rate segments: its later runs copy their words from there.
    let stretchAgents = 0;
    let stretchSegments = 0;
    let runSegments = 0; // rate segments of each of the stretch's runs
    // The lifecycle's integers (src/model/lifecycle.ts), null when it is off; its runs are all on the workflow path.
    const lifecycle = lifecycleParams(config);
    for (let k = 0; k < runCount; k++) {
      const r = chunk.runs[k]!;
      const f = runs.fleet[r]!;
      const n = fleets.agentCount[f]!;
      const repeat = f === tableFleet; // not the stretch's first run
      if (!repeat) {
        // A fleet's runs are adjacent (crossRuns): its tables are looked up once per stretch of them.
        if (this.#tableOffsets.length < n) this.#tableOffsets = new Uint32Array(Math.max(n, 2 * this.#tableOffsets.length));
        for (let i = 0; i < n; i++) {
          const mu = poissonTableMean(fleets, config, fleets.agentOffset[f]! + i);
          this.#tableOffsets[i] = mu > 0 ? tableBase + tables.add(mu) : NO_TABLE;
        }
        tableFleet = f;
        stretchAgents = agentOffset;
        stretchSegments = segmentOffset;
        fleetRoutes = routes.length;
        const a0 = fleets.agentOffset[f]!;
        const e0 = fleets.routeOffset[a0]!;
        const e1 = fleets.routeOffset[a0 + n - 1]! + fleets.routeCount[a0 + n - 1]!;
        for (let e = e0; e < e1; e++) routes.push(fleets.routeTo[e]!, f32Bits(fleets.routeP[e]!));
        routeAgents ||= e1 > e0;
        flow = runFlow(batch, f);
      }
      const base = k * (RUN_BYTES / 4);
      runWords[base + RUN_WORD.agentOffset] = agentOffset;
      runWords[base + RUN_WORD.agentCount] = n;
      runWords[base + RUN_WORD.policy] = runs.policy[r]!;
      runWords[base + RUN_WORD.stream] = fleets.stream[f]!;
      runWords[base + RUN_WORD.replicate] = runs.replicate[r]!;
      // The allocator's capacity: each GPU's, f32(G/n_G) from the host (G itself with one GPU), or G in a
      // pool (src/model/pool.ts), whose roundRobin turns read one GPU's, f32(G/n_G); the kernels never divide.
      runFloats[base + RUN_WORD.capacity] = fleets.gpuPool[f] === 1 ? fleets.capacity[f]! : gpuCapacity(fleets, f);
      runFloats[base + RUN_WORD.gpuCapacity] = gpuCapacity(fleets, f);
      runWords[base + RUN_WORD.gpus] = fleets.gpuCount[f]!;
      runWords[base + RUN_WORD.flow] = flow;
      runWords[base + RUN_WORD.fork] = fleets.fork[f]!;
      runWords[base + RUN_WORD.join] = fleets.join[f]!;
      if (repeat) {
        // A later run of the fleet (another policy or replicate): its agents' words are the first run's,
        // but for where their own copy of the rate segments starts.
        const PW = PARAMS_BYTES / 4;
        const SW = SEGMENT_BYTES / 4;
        params.copyWithin(agentOffset * PW, stretchAgents * PW, (stretchAgents + n) * PW);
        segments.copyWithin(segmentOffset * SW, stretchSegments * SW, (stretchSegments + runSegments) * SW);
        for (let i = 0; i < n; i++) params[(agentOffset + i) * PW + PARAMS_WORD.scheduleOffset]! += segmentOffset - stretchSegments;
        agentOffset += n;
        segmentOffset += runSegments;
        continue;
      }
      for (let i = 0; i < n; i++) {
        const a = fleets.agentOffset[f]! + i;
        const p = ((agentOffset + i) * PARAMS_BYTES) / 4;
        const count = fleets.scheduleCount[a]!;
        for (const [name, type, , source] of AGENT_PARAM_FIELDS) {
          if (source !== null) (type === 'f32' ? paramFloats : params)[p + PARAMS_WORD[name]] = fleets[source][a]!;
        }
        params[p + PARAMS_WORD.scheduleOffset] = segmentOffset;
        if (lifecycle !== null) params[p + PARAMS_WORD.loadSteps] = loadSteps(fleets.memoryMB[a]!, config);
        const process = processOf(fleets, config.arrivals, a);
        params[p + PARAMS_WORD.process] = process;
        params[p + PARAMS_WORD.poissonTable] = this.#tableOffsets[i]!;
        params[p + PARAMS_WORD.routeOffset] =
          fleetRoutes + ROUTE_WORDS * (fleets.routeOffset[a]! - fleets.routeOffset[fleets.agentOffset[f]!]!);
        general ||= generalArrivals(fleets, config.arrivals, a);
        const trace = fleets.trace[a]!;
        if (trace > 0) {
          const length = fleets.traces.length[trace - 1]!;
          params[p + PARAMS_WORD.traceFirst] = fleets.traces.first[trace - 1]!;
          params[p + PARAMS_WORD.traceLength] = length;
          params[p + PARAMS_WORD.traceStepsPerBin] = fleets.traces.stepsPerBin[trace - 1]!;
          params[p + PARAMS_WORD.traceSpan] = traceSpan(length, config.steps);
        }
        for (let k = 0; k < count; k++) {
          const s = ((segmentOffset + k) * SEGMENT_BYTES) / 4;
          segments[s + SEGMENT_WORD.start] = fleets.scheduleStart[fleets.scheduleOffset[a]! + k]!;
          segmentFloats[s + SEGMENT_WORD.multiplier] = fleets.scheduleMultiplier[fleets.scheduleOffset[a]! + k]!;
        }
        segmentOffset += count;
      }
      agentOffset += n;
      runSegments = segmentOffset - stretchSegments;
    }
    // The edges follow the tables in `traceCounts`: every routeOffset moves past them.
    const routeBase = tableBase + tables.words().length;
    if (routeAgents) {
      for (let j = 0; j < chunk.agents; j++) {
        const w = (j * PARAMS_BYTES) / 4 + PARAMS_WORD.routeOffset;
        params[w] = params[w]! + routeBase;
      }
    }

    return {
      runWords,
      params,
      segments,
      traceCounts: traceWords(fleets.traces.counts, tables.words(), routes),
      groups: runGroups(batch, chunk.runs),
      general,
      policies,
    };
  }
}

/**
 * The groups of `chunkRuns` (indices into the batch's runs) that the narrow kernel advances together:
 * maximal stretches of adjacent runs of the same fleet and replicate, cut every MAX_GROUP_RUNS runs.
 * Returns the first chunk run of each group and, last, the chunk's run count.
 */
export function runGroups(batch: Batch, chunkRuns: Uint32Array): Uint32Array {
  const { fleet, replicate } = batch.runs;
  const firsts: number[] = [];
  for (let k = 0; k < chunkRuns.length; k++) {
    const r = chunkRuns[k]!;
    const previous = chunkRuns[k - 1];
    const joins = previous !== undefined && fleet[previous] === fleet[r] && replicate[previous] === replicate[r];
    if (!joins || k - firsts.at(-1) >= MAX_GROUP_RUNS) firsts.push(k);
  }
  firsts.push(chunkRuns.length);
  return Uint32Array.from(firsts);
}

/**
 * Kahan pairs (sum, compensation) → f64 totals: true value = sum − compensation. The chunk's state
 * holds its runs' agents back to back; each run's go to its own place in `totals`.
 */
export function unpackStates(state: Float32Array, arrival: Float32Array, totals: RunTotals, chunkRuns: Uint32Array, flow: boolean): void {
  const layout = flow ? FLOW_STATE : AGENT_STATE;
  const word = layout.word as Record<string, number>;
  // Each column and its words looked up once per chunk, not per agent-run: totals whose fields were
  // set by computed name are a V8 dictionary, a hash lookup per read.
  const pairs = (flow ? FLOW_STATE_PAIRS : AGENT_STATE_PAIRS).map(({ field, sum, comp }) => ({ column: totals[field], sum, comp }));
  const finals = (flow ? FINAL_TOTALS : FINAL_TOTALS.filter((t) => !('stepped' in t))).map((t) => ({
    column: totals[t.field],
    at: word[t.state]!,
  }));
  const arrivalPairs = ARRIVAL_STATS_PAIRS.map(({ field, sum, comp }) => ({ column: totals[field], sum, comp }));
  const arrivalFinals = FINAL_ARRIVAL_TOTALS.map((t) => ({ column: totals[t.field], at: ARRIVAL_STATS.word[t.state] }));
  const { agentOffset, agentCount } = totals;
  let k = 0;
  for (const r of chunkRuns) {
    const first = agentOffset[r]!;
    for (let j = first; j < first + agentCount[r]!; j++, k++) {
      const s = k * layout.words;
      for (const { column, sum, comp } of pairs) column[j] = state[s + sum]! - state[s + comp]!;
      for (const { column, at } of finals) column[j] = state[s + at]!;
      const x = k * ARRIVAL_STATS.words;
      for (const { column, sum, comp } of arrivalPairs) column[j] = arrival[x + sum]! - arrival[x + comp]!;
      for (const { column, at } of arrivalFinals) column[j] = arrival[x + at]!;
    }
  }
}

/** The totals read from a state field after the last step (finalQueue; maxArrivals of ArrivalState). */
const FINAL_TOTALS = TOTALS.flatMap((t) => (t.kind === 'final' && t.home === 'agent' ? [t] : []));
const FINAL_ARRIVAL_TOTALS = TOTALS.flatMap((t) => (t.kind === 'final' && t.home === 'arrivals' ? [t] : []));

/** A storage buffer's words for the traces, the Poisson tables and the workflows' edges after them, or one zero when there are none. */
function traceWords(counts: Uint32Array, tables: Uint32Array, routes: readonly number[]): ArrayBuffer {
  const words = new Uint32Array(Math.max(1, counts.length + tables.length + routes.length));
  words.set(counts);
  words.set(tables, counts.length);
  words.set(routes, counts.length + tables.length);
  return words.buffer;
}

const F32_BITS = new DataView(new ArrayBuffer(4));

/** The bits of x as an f32 (a routing probability as traceCounts holds it). */
function f32Bits(x: number): number {
  F32_BITS.setFloat32(0, x, true);
  return F32_BITS.getUint32(0, true);
}

/**
 * Run.flow of fleet f's runs (RUN_FLOW): stepped on the workflow path, routing fluidly, routing at all, a pool.
 * The CPU engine decides the same by the same functions (src/cpu/workflow.ts).
 */
export function runFlow(batch: Batch, f: number): number {
  const { fleets, config } = batch;
  if (!steppedAsWorkflow(fleets, config, f)) return 0;
  const routes = isWorkflow(fleets, f) || fleets.fork[f] !== NO_AGENT;
  const pool = fleets.gpuPool[f] === 1 ? RUN_FLOW.pool : 0;
  return RUN_FLOW.step | (routesFluidly(fleets, config, f) ? RUN_FLOW.fluid : 0) | (routes ? RUN_FLOW.routes : 0) | pool;
}

/** The words of fleet f's edges in `traceCounts` (ROUTE_WORDS per edge). */
export function routeWords(fleets: Batch['fleets'], f: number): number {
  const a0 = fleets.agentOffset[f]!;
  const n = fleets.agentCount[f]!;
  return ROUTE_WORDS * (fleets.routeOffset[a0 + n - 1]! + fleets.routeCount[a0 + n - 1]! - fleets.routeOffset[a0]!);
}
