/**
 * The traces a study names, loaded once (by the CLI from shipped names or files: src/traces/load.ts;
 * by the page from the shipped copies), and packed per batch at the batch's Δt: one count per step
 * (MODEL-PART4 §4.2, bin width b = Δt), with the mean rate ρ̄ the agents' scale κ = λ/ρ̄ divides by.
 * Browser-safe.
 *
 * @example
 *   const library = new TraceLibrary(new Map([['azure-llm-2023-conv', trace]]));
 *   const packed = library.pack(['azure-llm-2023-conv'], 1); // PackedTraces for Δt = 1 s
 */
import { ConfigError } from '../model/errors.js';
import { quote } from '../text/quote.js';
import type { MmppSpec } from '../model/batch.js';
import { type PackedTraces, SERVEGEN_WINDOW_WORDS } from '../random/arrivals.js';
import { RENEWAL_CV_RANGE, renewalParams } from '../random/renewal.js';
import { traceSpan } from '../random/replay.js';
import { fitMmpp } from './fit.js';
import { binCounts, type Trace } from './format.js';
import type { ServeGenTrace } from './servegen.js';

/** A ServeGen client's name in a batch's traces: `<file>#<client index>`. */
export const serveGenClientName = (name: string, client: number): string => `${name}#${client}`;

/**
 * The mean of a per-step series x[0 … S) as a run sees it: over its recorded steps t ∈ [warmup, steps)
 * and its offsets o, uniform over [0, traceSpan(S, steps)) (src/random/replay.ts), of x[(o + t) mod S].
 * A run that fits in the trace draws its offsets from the starts that need no wrap-around, which
 * reach the middle of the trace more often than its ends; a run that wraps draws every offset, and
 * sees the plain mean. Summed with prefix sums: O(S).
 */
export function runRate(x: ArrayLike<number>, steps: number, warmup = 0): number {
  const length = x.length;
  const span = traceSpan(length, steps);
  if (span === length) {
    let total = 0;
    for (let j = 0; j < length; j++) total += x[j]!;
    return total / length; // every offset: each step sees every bin once
  }
  const prefix = new Float64Array(length + 1);
  for (let j = 0; j < length; j++) prefix[j + 1] = prefix[j]! + x[j]!;
  let total = 0;
  for (let o = 0; o < span; o++) total += prefix[o + steps]! - prefix[o + warmup]!;
  return total / (span * (steps - warmup));
}

/** The bin width of the MMPP fit to a trace's dispersion curve, seconds (its windows run from 1 s to 600 s). */
export const FIT_BIN_WIDTH = 1;

export class TraceLibrary {
  private readonly binned = new Map<string, Uint32Array>();
  private readonly fits = new Map<string, MmppSpec>();

  constructor(
    private readonly traces: ReadonlyMap<string, Trace> = new Map(),
    private readonly serveGen: ReadonlyMap<string, ServeGenTrace> = new Map(),
  ) {}

  /** The names of the loaded traces and ServeGen files. */
  get names(): string[] {
    return [...this.traces.keys(), ...this.serveGen.keys()];
  }

  /** The clients of ServeGen file `name`. */
  clients(name: string, field = 'arrivals.trace'): number {
    const file = this.serveGen.get(name);
    if (file === undefined) {
      throw new ConfigError(field, `ServeGen file ${quote(name)} is not loaded (loaded: ${this.names.join(', ') || 'none'})`);
    }
    return file.clients.length;
  }

  /** The steps of one client of ServeGen file `name` at Δt = dt (its windows × 600 s / dt). */
  serveGenSteps(name: string, dt: number): number {
    this.clients(name);
    const file = this.serveGen.get(name)!;
    return Math.round(file.window / dt) * Math.min(...file.clients.map((c) => c.windows.length));
  }

  /**
   * ServeGen client `client` of file `name` as window words (SERVEGEN_WINDOW_WORDS per 600 s window,
   * each 600/Δt steps: Δt must divide the window), and its mean rate over the windows.
   */
  private windows(name: string, client: number, dt: number): { words: Uint32Array; stepsPerBin: number; meanRate: number } {
    const file = this.serveGen.get(name);
    if (file === undefined || client >= file.clients.length) this.clients(name);
    const windows = file!.clients[client]!.windows;
    const perWindow = file!.window / dt;
    const stepsPerBin = Math.round(perWindow);
    if (!(stepsPerBin >= 1 && Math.abs(perWindow - stepsPerBin) <= 1e-9 * perWindow)) {
      throw new ConfigError('dt', `must divide ServeGen's ${file!.window} s windows into whole steps for ${quote(name)}, got ${dt}`);
    }
    const words = new Uint32Array(windows.length * SERVEGEN_WINDOW_WORDS);
    const floats = new Float32Array(words.buffer);
    const [lo, hi] = RENEWAL_CV_RANGE;
    let rates = 0;
    windows.forEach((w, k) => {
      const at = k * SERVEGEN_WINDOW_WORDS;
      // An idle window: rate 0 (no arrivals, the residual kept), exponential parameters for form's sake.
      const p = renewalParams(w.family ?? 'gamma', w.family === null ? 1 : Math.min(hi, Math.max(lo, w.cv)));
      words[at] = p.family;
      floats[at + 1] = w.family === null ? 0 : w.rate;
      floats[at + 2] = p.shape;
      floats[at + 3] = p.beta;
      floats[at + 4] = p.scale;
      rates += w.family === null ? 0 : w.rate;
    });
    return { words, stepsPerBin, meanRate: rates / windows.length };
  }

  private trace(name: string, field: string): Trace {
    const trace = this.traces.get(name);
    if (trace === undefined) {
      throw new ConfigError(
        field,
        `trace ${quote(name)} is not loaded (the CLI loads shipped names and files; loaded: ${this.names.join(', ') || 'none'})`,
      );
    }
    return trace;
  }

  /** Trace `name`'s counts per step of `dt` seconds (a whole number of its resolution, else a ConfigError on `dt`). */
  counts(name: string, dt: number, field = 'arrivals.trace'): Uint32Array {
    const key = `${name}\u0000${dt}`;
    let counts = this.binned.get(key);
    if (counts === undefined) {
      const trace = this.trace(name, field);
      try {
        counts = binCounts(trace, dt);
      } catch (error) {
        if (!(error instanceof ConfigError)) throw error;
        throw new ConfigError(
          'dt',
          `must be a whole number of trace ${quote(name)}'s resolution ${trace.resolution} s to replay it, got ${dt}`,
        );
      }
      if (counts.length === 0) throw new ConfigError('dt', `is longer than trace ${quote(name)} (${trace.duration} s), got ${dt}`);
      this.binned.set(key, counts);
    }
    return counts;
  }

  /**
   * The traces `names` at Δt = dt, concatenated, in that order (the agents' trace indices): request
   * traces by name, ServeGen clients as serveGenClientName(file, client). Each trace's mean rate is
   * the one a run of `steps` steps (recorded from `warmup` on) sees: runRate, so κ = λ/ρ̄ keeps the
   * agent's mean rate λ whatever the part of the trace its offsets can reach.
   */
  pack(names: readonly string[], dt: number, steps: number, warmup = 0): PackedTraces {
    const all = names.map((name) => {
      const client = /^(.*)#(\d+)$/.exec(name);
      if (client !== null) {
        const windows = this.windows(client[1]!, Number(client[2]), dt);
        const rates = new Float64Array(windows.words.length / SERVEGEN_WINDOW_WORDS);
        const floats = new Float32Array(windows.words.buffer, windows.words.byteOffset, windows.words.length);
        rates.forEach((_, w) => (rates[w] = floats[w * SERVEGEN_WINDOW_WORDS + 1]!));
        const perStep = Float64Array.from(
          { length: rates.length * windows.stepsPerBin },
          (_, t) => rates[Math.floor(t / windows.stepsPerBin)]!,
        );
        return { ...windows, serveGen: true, meanRate: runRate(perStep, steps, warmup) };
      }
      const counts = this.counts(name, dt);
      return { words: counts, stepsPerBin: 1, serveGen: false, meanRate: runRate(counts, steps, warmup) / dt };
    });
    const counts = new Uint32Array(all.reduce((n, c) => n + c.words.length, 0));
    const first = new Uint32Array(names.length);
    const length = new Uint32Array(names.length);
    const stepsPerBin = new Uint32Array(names.length);
    const serveGen = Uint8Array.from(all, (c) => (c.serveGen ? 1 : 0));
    const meanRate = new Float64Array(names.length);
    let at = 0;
    all.forEach((c, k) => {
      counts.set(c.words, at);
      first[k] = at;
      const bins = c.serveGen ? c.words.length / SERVEGEN_WINDOW_WORDS : c.words.length;
      length[k] = bins * c.stepsPerBin;
      stepsPerBin[k] = c.stepsPerBin;
      meanRate[k] = c.meanRate;
      at += c.words.length;
    });
    return { names: [...names], counts, first, length, stepsPerBin, serveGen, meanRate };
  }

  /** The MMPP (J, π_H, κ) fitted to trace `name`'s index-of-dispersion curve (src/traces/fit.ts), cached. */
  fitMmpp(name: string, field = 'arrivals.mmpp.fit'): MmppSpec {
    let spec = this.fits.get(name);
    if (spec === undefined) {
      const fit = fitMmpp(binCounts(this.trace(name, field), FIT_BIN_WIDTH), FIT_BIN_WIDTH);
      spec = { idc: fit.J, highFraction: fit.piHigh, peakRatio: fit.kappa };
      this.fits.set(name, spec);
    }
    return spec;
  }
}
