/**
 * Paired comparisons of two policies a and b over the same fleet runs (common random numbers),
 * mergeable and order-independent like StatAccumulator (all counts are integers):
 * - PairAccumulator: win counts on latency and the distribution of the relative latency change (b − a)/a;
 * - DifferenceAccumulator: on any metric, the distribution of the absolute difference b − a (whose
 *   mean and 95 % CI a verdict reports, src/sweep/verdict.ts) and win/tie counts, the better side
 *   being the lower or the higher value.
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
 * Relative tolerance under which two values (latencies, throughputs, costs) tie. The GPU engine keeps totals as Kahan-compensated
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

export const DIFFERENCE_FORMAT = 'fleetsim.difference';
export const DIFFERENCE_VERSION = 1;

/** Which value of a metric is the better one. */
export type Better = 'lower' | 'higher';

export interface DifferenceSummary {
  n: number; // pairs added
  aWins: number;
  bWins: number;
  ties: number; // |b − a| ≤ TIE_RELATIVE·max(|a|, |b|)
  difference: StatSummary | null; // of b − a, in the metric's unit
}

export const differenceJsonSchema = z
  .strictObject({
    format: z.literal(DIFFERENCE_FORMAT),
    version: z.literal(DIFFERENCE_VERSION),
    better: z.enum(['lower', 'higher']),
    aWins: z.int().nonnegative(),
    bWins: z.int().nonnegative(),
    ties: z.int().nonnegative(),
    difference: statJsonSchema,
  })
  .superRefine((j, ctx) => {
    const n = j.aWins + j.bWins + j.ties;
    if (j.difference.n !== n) {
      ctx.addIssue({ code: 'custom', path: ['difference', 'n'], message: `difference.n ${j.difference.n} ≠ ${n} pairs` });
    }
  });

export type DifferenceJson = z.output<typeof differenceJsonSchema>;

/**
 * The paired difference b − a of one metric over fleet runs, with win and tie counts (the better
 * value per `better`). Values must be finite or NaN (a pair left out, see add); a tie is |a − b| ≤ TIE_RELATIVE·max(|a|, |b|) (the
 * engines' rounding noise, see TIE_RELATIVE) and records a difference of exactly 0, so that noise
 * (two policies' costs summed in different orders) never adds up to a "significant" difference.
 * b − a is rounded once per pair, so the summary is a function of the multiset of pairs, as
 * StatAccumulator's is of its values.
 *
 * @example
 *   const d = new DifferenceAccumulator('lower'); d.add(10, 8); d.add(9, 9);
 *   d.summary(); // { n: 2, aWins: 0, bWins: 1, ties: 1, difference: { n: 2, mean: -1, … } }
 */
export class DifferenceAccumulator {
  readonly #difference: StatAccumulator;
  #aWins = 0;
  #bWins = 0;
  #ties = 0;

  constructor(
    readonly better: Better,
    relativeAccuracy?: number,
  ) {
    this.#difference = new StatAccumulator(relativeAccuracy);
  }

  get count(): number {
    return this.#aWins + this.#bWins + this.#ties;
  }

  /**
   * Adds the pair (a, b); a pair with NaN on either side (the metric undefined in that run, e.g.
   * jainIndex without arrivals) is left out, as the per-policy statistics leave out an undefined value,
   * so `n` counts the pairs where both are defined. ±Infinity throws.
   */
  add(a: number, b: number): void {
    if (a !== a || b !== b) return; // NaN: undefined, not a value
    if (!Number.isFinite(a) || !Number.isFinite(b))
      throw new RangeError(`DifferenceAccumulator: ${Number.isFinite(a) ? b : a} is not a finite number`);
    const tie = Math.abs(a - b) <= TIE_RELATIVE * Math.max(Math.abs(a), Math.abs(b));
    this.#difference.add(tie ? 0 : b - a); // throws before counting
    if (tie) this.#ties++;
    else if (a < b === (this.better === 'lower')) this.#aWins++;
    else this.#bWins++;
  }

  merge(o: DifferenceAccumulator): void {
    if (o.better !== this.better)
      throw new RangeError(`DifferenceAccumulator: cannot merge ${o.better}-is-better counts into ${this.better}-is-better ones`);
    this.#difference.merge(o.#difference); // throws first on an accuracy mismatch
    this.#aWins += o.#aWins;
    this.#bWins += o.#bWins;
    this.#ties += o.#ties;
  }

  summary(): DifferenceSummary {
    return { n: this.count, aWins: this.#aWins, bWins: this.#bWins, ties: this.#ties, difference: this.#difference.summary() };
  }

  /** Deterministic, like StatAccumulator.toJSON. */
  toJSON(): DifferenceJson {
    return {
      format: DIFFERENCE_FORMAT,
      version: DIFFERENCE_VERSION,
      better: this.better,
      aWins: this.#aWins,
      bWins: this.#bWins,
      ties: this.#ties,
      difference: this.#difference.toJSON(),
    };
  }

  /** Validates and rebuilds; throws StatsFormatError naming the bad field for anything corrupt. */
  static fromJSON(j: unknown): DifferenceAccumulator {
    const d = parseStatsJson(differenceJsonSchema, j, DIFFERENCE_FORMAT, DIFFERENCE_VERSION);
    const acc = new DifferenceAccumulator(d.better, d.difference.relativeAccuracy);
    acc.#difference.merge(StatAccumulator.fromParsed(d.difference));
    acc.#aWins = d.aWins;
    acc.#bWins = d.bWins;
    acc.#ties = d.ties;
    return acc;
  }
}
