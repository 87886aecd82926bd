/**
 * Order-independent, mergeable, serialisable statistics for sweeps: exact sums (ExactSum), per-metric
 * summaries with mean/std/CI/quantiles (StatAccumulator) and paired policy comparisons
 * (PairAccumulator, DifferenceAccumulator). Same multiset of values → bit-identical summary() and toJSON() string, however
 * the values were batched, sharded, checkpointed and merged.
 *
 * @example
 *   const acc = new StatAccumulator(); acc.addMany(latencies);
 *   writeFileSync(path, JSON.stringify(acc)); StatAccumulator.fromJSON(JSON.parse(readFileSync(path, 'utf8')));
 */
export { ExactSum } from './exactSum.js';
export { DEFAULT_RELATIVE_ACCURACY, QuantileSketch, type SketchJson, type StoreJson } from './sketch.js';
export {
  MAX_MAGNITUDE,
  STAT_FORMAT,
  STAT_VERSION,
  StatAccumulator,
  statJsonSchema,
  type StatJson,
  type StatSummary,
} from './accumulator.js';
export {
  type Better,
  DIFFERENCE_FORMAT,
  DIFFERENCE_VERSION,
  DifferenceAccumulator,
  differenceJsonSchema,
  type DifferenceJson,
  type DifferenceSummary,
  PAIR_FORMAT,
  PAIR_VERSION,
  PairAccumulator,
  pairJsonSchema,
  TIE_RELATIVE,
  type PairJson,
  type PairSummary,
} from './pairwise.js';
export { StatsFormatError } from './json.js';
