/**
 * What a sweep's statistics cost before it runs: the aggregate keeps every cell's accumulators until
 * the end (aggregate.ts), and writes them whole into checkpoint.json and summary.json, each one string
 * in memory. From the grid's numbers alone (cells, policies, fleet runs per cell, agents of a fixed
 * fleet), so a study is refused before anything is expanded (src/study/size.ts). Browser-safe.
 *
 * The figures per accumulator are measured (Node 22, V8), not derived: `node --expose-gc` on
 * StatAccumulators of n values (src/stats/accumulator.ts), and the 1,000-cell grid of the tiny paper
 * workflow (6 policies, one fleet run per cell: 807 accumulators per cell, 223 MB of aggregate,
 * summary.json 279 MB, checkpoint.json 184 MB). They are upper-side estimates of typical cells, not
 * bounds: a metric spread over many decades grows its sketch (at most 64 KiB).
 *
 * @example
 *   const f = aggregateFootprint({ cells: 1000, policies: 6, fleetRuns: 1, fixedAgents: 4 });
 *   f.heapBytes; // ≈ 0.3e9
 */
import { BUFFERED_VALUES } from '../stats/accumulator.js';
import { AGENT_METRICS, SWEEP_METRICS } from './aggregate.js';
import { VERDICT_METRICS } from './verdict.js';

/** Heap of one accumulator holding n ≤ BUFFERED_VALUES values (measured ~170 + 11·n), with its share of the cell's records. */
const BUFFERED_BYTES = 300;
const BYTES_PER_BUFFERED_VALUE = 12;
/** …and once built (sketch window of a few hundred bins, the two sums' bins, the objects). */
const BUILT_BYTES = 4096;
/** Characters of summary.json per accumulator (its StatSummary, pretty-printed, with the cell's verdict text): measured 345. */
const SUMMARY_CHARS = 400;
/** Characters of checkpoint.json per accumulator: measured 212 + ~10·n while buffered; a built one's sketch has at most one bin per value. */
const CHECKPOINT_CHARS = 320;
const CHECKPOINT_CHARS_PER_VALUE = 10;
const CHECKPOINT_MAX_CHARS = 4096;

/** The most heap a sweep's aggregate may take (a Node of 2 GiB heap still writes its files). */
export const AGGREGATE_HEAP_BYTES = 2 ** 30;
/** The longest summary.json / checkpoint.json text: V8's longest string is 2^29 − 24 characters; room for the estimate's error. */
export const AGGREGATE_TEXT_CHARS = 400_000_000;

export interface GridShape {
  cells: number;
  policies: number;
  /** Fleet runs (samples × replicates) per cell: the values each accumulator can get. */
  fleetRuns: number;
  /** Agents of a fixed fleet (per-agent statistics), the most over the grid; 0 for random fleets. */
  fixedAgents: number;
}

export interface AggregateFootprint {
  accumulators: number; // StatAccumulators over the grid
  heapBytes: number;
  summaryChars: number;
  checkpointChars: number;
}

/** Accumulators of one cell: per policy and metric, per pair (its latency change and verdict metrics), per policy, agent and agent metric. */
export function cellAccumulators(policies: number, fixedAgents: number): number {
  const pairs = (policies * (policies - 1)) / 2;
  return policies * SWEEP_METRICS.length + pairs * (1 + VERDICT_METRICS.length) + policies * fixedAgents * AGENT_METRICS.length;
}

/** The estimated cost of a grid's statistics (see the header). */
export function aggregateFootprint(grid: GridShape): AggregateFootprint {
  const accumulators = grid.cells * cellAccumulators(grid.policies, grid.fixedAgents);
  const n = grid.fleetRuns;
  const perHeap = n <= BUFFERED_VALUES ? BUFFERED_BYTES + BYTES_PER_BUFFERED_VALUE * n : BUILT_BYTES;
  const perCheckpoint = Math.min(CHECKPOINT_MAX_CHARS, CHECKPOINT_CHARS + CHECKPOINT_CHARS_PER_VALUE * n);
  return {
    accumulators,
    heapBytes: accumulators * perHeap,
    summaryChars: accumulators * SUMMARY_CHARS,
    checkpointChars: accumulators * perCheckpoint,
  };
}

/** The problem of a grid whose statistics do not fit (one line naming the grid and the limit), or null. */
export function footprintProblem(grid: GridShape): string | null {
  const f = aggregateFootprint(grid);
  const text = Math.max(f.summaryChars, f.checkpointChars);
  if (f.heapBytes <= AGGREGATE_HEAP_BYTES && text <= AGGREGATE_TEXT_CHARS) return null;
  const agents = grid.fixedAgents > 0 ? `, ${grid.fixedAgents} agents of a fixed fleet` : '';
  const what =
    f.heapBytes > AGGREGATE_HEAP_BYTES
      ? `about ${(f.heapBytes / 2 ** 30).toFixed(1)} GiB of statistics in memory; at most ${AGGREGATE_HEAP_BYTES / 2 ** 30} GiB`
      : `result files (summary.json, checkpoint.json) of about ${Math.round(text / 1e6)} million characters; at most ${AGGREGATE_TEXT_CHARS / 1e6} million`;
  return `axes: ${grid.cells} cells × ${grid.policies} policies (${grid.fleetRuns} fleet run${grid.fleetRuns === 1 ? '' : 's'} per cell${agents}) hold ${f.accumulators} accumulators, ${what} (fewer cells, policies or agents, or split the grid into several studies)`;
}
