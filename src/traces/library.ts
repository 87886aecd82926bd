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
import type { MmppSpec } from '../model/batch.js';
import type { PackedTraces } from '../random/arrivals.js';
import { fitMmpp } from './fit.js';
import { binCounts, type Trace } from './format.js';

/** The bin width of the MMPP fit to a trace's dispersion curve, seconds (its windows run from 1 s to 600 s). */
export const FIT_BIN_WIDTH = 1;

export class TraceLibrary {
  private readonly binned = new Map<string, Uint32Array>();
  private readonly fits = new Map<string, MmppSpec>();

  constructor(private readonly traces: ReadonlyMap<string, Trace> = new Map()) {}

  /** The names of the loaded traces. */
  get names(): string[] {
    return [...this.traces.keys()];
  }

  private trace(name: string, field: string): Trace {
    const trace = this.traces.get(name);
    if (trace === undefined) {
      throw new ConfigError(field, `trace ${JSON.stringify(name.slice(0, 80))} is not loaded (the CLI loads shipped names and files; loaded: ${this.names.join(', ') || 'none'})`);
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
        throw new ConfigError('dt', `must be a whole number of trace ${JSON.stringify(name)}'s resolution ${trace.resolution} s to replay it, got ${dt}`);
      }
      if (counts.length === 0) throw new ConfigError('dt', `is longer than trace ${JSON.stringify(name)} (${trace.duration} s), got ${dt}`);
      this.binned.set(key, counts);
    }
    return counts;
  }

  /** The traces `names` at Δt = dt, concatenated, in that order (the agents' trace indices). */
  pack(names: readonly string[], dt: number): PackedTraces {
    const all = names.map((name) => this.counts(name, dt));
    const counts = new Uint32Array(all.reduce((n, c) => n + c.length, 0));
    const first = new Uint32Array(names.length);
    const length = new Uint32Array(names.length);
    const meanRate = new Float64Array(names.length);
    let at = 0;
    all.forEach((c, k) => {
      counts.set(c, at);
      first[k] = at;
      length[k] = c.length;
      meanRate[k] = c.reduce((n, x) => n + x, 0) / (c.length * dt);
      at += c.length;
    });
    return { names: [...names], counts, first, length, meanRate };
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
