/**
 * Paired comparison of two policies a and b over the same fleet runs (common random numbers): win
 * counts and the distribution of the relative latency change (b − a)/a, mergeable and
 * order-independent like StatAccumulator (all counts are integers).
 *
 * Cases per pair (latencies are finite and ≥ 0, anything else is a RangeError):
 *   a > 0          change (b − a)/a recorded (negative: b is faster)
 *   a = 0 = b      change 0 recorded (both idle: no difference)
 *   a = 0 < b      no finite change: counted in `undefinedChange`, left out of `change`
 * Wins: a tie when |a − b| ≤ TIE_RELATIVE·max(a, b), else the lower latency wins. Win fractions are
 * over all n pairs (ties included), null when n = 0.
 *
 * @example
 *   const p = new PairAccumulator(); p.add(10, 8); p.add(0, 0); p.add(0, 3);
 *   p.summary(); // { n: 3, aWins: 1, bWins: 1, ties: 1, change: { n: 2, mean: -0.1, … }, undefinedChange: 1, … }
 */
import { z } from 'zod';
import { StatAccumulator, statJsonSchema, type StatSummary } from './accumulator.js';
import { parseStatsJson } from './json.js';

/**
 * Relative tolerance under which two latencies tie. The GPU engine keeps totals as Kahan-compensated
 * f32 sums (unit roundoff 2^-24 ≈ 6e-8), so two policies that give a fleet identical shares can still
 * report latencies that differ by a few f32 ulps; 1e-6 (≈ 8 ulps at 2^-23) absorbs that noise while
 * staying far below any difference worth calling a win. On the f64 CPU engine such pairs are equal.
 */
export const TIE_RELATIVE = 1e-6;
export const PAIR_FORMAT = 'fleetsim.pair';
export const PAIR_VERSION = 1;

export interface PairSummary {
  n: number; // pairs added, undefinedChange included
  aWins: number;
  bWins: number;
  ties: number;
  aWinFraction: number | null; // aWins / n
  bWinFraction: number | null; // bWins / n
  change: StatSummary | null; // of (b − a)/a over the n − undefinedChange pairs with a finite change
  undefinedChange: number; // pairs with a = 0 < b
}

export const pairJsonSchema = z
  .strictObject({
    format: z.literal(PAIR_FORMAT),
    version: z.literal(PAIR_VERSION),
    aWins: z.int().nonnegative(),
    bWins: z.int().nonnegative(),
    ties: z.int().nonnegative(),
    undefinedChange: z.int().nonnegative(),
    change: statJsonSchema,
  })
  .superRefine((j, ctx) => {
    const n = j.aWins + j.bWins + j.ties;
    if (j.change.n + j.undefinedChange !== n) {
      ctx.addIssue({
        code: 'custom',
        path: ['change', 'n'],
        message: `change.n ${j.change.n} + undefinedChange ${j.undefinedChange} ≠ ${n} pairs`,
      });
    }
  });

export type PairJson = z.output<typeof pairJsonSchema>;

const notLatency = (x: number): RangeError => new RangeError(`PairAccumulator: latency ${x} is not a finite number ≥ 0`);

export class PairAccumulator {
  readonly #change: StatAccumulator;
  #aWins = 0;
  #bWins = 0;
  #ties = 0;
  #undefinedChange = 0;

  constructor(relativeAccuracy?: number) {
    this.#change = new StatAccumulator(relativeAccuracy);
  }

  get count(): number {
    return this.#aWins + this.#bWins + this.#ties;
  }

  add(latencyA: number, latencyB: number): void {
    // x ≥ 0 && x < Infinity: finite and ≥ 0 (NaN fails both); no array per call, this is per fleet run
    if (!(latencyA >= 0 && latencyA < Infinity)) throw notLatency(latencyA);
    if (!(latencyB >= 0 && latencyB < Infinity)) throw notLatency(latencyB);
    if (latencyA > 0)
      this.#change.add((latencyB - latencyA) / latencyA); // throws before counting
    else if (latencyB === 0) this.#change.add(0);
    else this.#undefinedChange++;
    if (Math.abs(latencyA - latencyB) <= TIE_RELATIVE * Math.max(latencyA, latencyB)) this.#ties++;
    else if (latencyA < latencyB) this.#aWins++;
    else this.#bWins++;
  }

  merge(o: PairAccumulator): void {
    this.#change.merge(o.#change); // throws first on an accuracy mismatch
    this.#aWins += o.#aWins;
    this.#bWins += o.#bWins;
    this.#ties += o.#ties;
    this.#undefinedChange += o.#undefinedChange;
  }

  summary(): PairSummary {
    const n = this.count;
    return {
      n,
      aWins: this.#aWins,
      bWins: this.#bWins,
      ties: this.#ties,
      aWinFraction: n > 0 ? this.#aWins / n : null,
      bWinFraction: n > 0 ? this.#bWins / n : null,
      change: this.#change.summary(),
      undefinedChange: this.#undefinedChange,
    };
  }

  /** Deterministic, like StatAccumulator.toJSON. */
  toJSON(): PairJson {
    return {
      format: PAIR_FORMAT,
      version: PAIR_VERSION,
      aWins: this.#aWins,
      bWins: this.#bWins,
      ties: this.#ties,
      undefinedChange: this.#undefinedChange,
      change: this.#change.toJSON(),
    };
  }

  /** Validates and rebuilds; throws StatsFormatError naming the bad field for anything corrupt. */
  static fromJSON(j: unknown): PairAccumulator {
    const d = parseStatsJson(pairJsonSchema, j, PAIR_FORMAT, PAIR_VERSION);
    const p = new PairAccumulator(d.change.relativeAccuracy);
    p.#change.merge(StatAccumulator.fromParsed(d.change));
    p.#aWins = d.aWins;
    p.#bWins = d.bWins;
    p.#ties = d.ties;
    p.#undefinedChange = d.undefinedChange;
    return p;
  }
}
