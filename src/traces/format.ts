/**
 * The derived trace format (`fleetsim-trace`, version 1): a real arrival trace as per-bin request
 * counts at a fixed resolution, stored sparsely. Browser-safe (no Node imports): the CLI, the engines'
 * host side and the page read the same files.
 *
 *   resolution  seconds per bin (e.g. 0.001)
 *   duration    seconds = bins · resolution, bins = 1 + the last request's bin index
 *   gaps        the non-empty bins' index deltas; the first one counts from bin 0
 *   counts      those bins' request counts (≥ 1 each); Σ counts = requests
 *
 * @example
 *   const trace = parseTrace(JSON.parse(text), 'arrivals.trace');
 *   const perSecond = binCounts(trace, 1); // Uint32Array, one count per whole second
 *   traceStats(perSecond, 1).idc; // [{ window: 1, idc: 1.39, windows: 3531 }, …]
 */
import { z } from 'zod';
import { ConfigError } from '../model/errors.js';
import { quote } from '../text/quote.js';

export const TRACE_FORMAT = 'fleetsim-trace';
export const TRACE_VERSION = 1;

/** Relative tolerance on "binWidth is an integer multiple of resolution". */
export const MULTIPLE_TOLERANCE = 1e-9;

/** The most bins a trace may span at its resolution (the counts a binCounts at `resolution` allocates). */
export const MAX_BINS = 2 ** 31;

const nonNegativeInteger = z.number().int().nonnegative();

export const TraceSchema = z
  .object({
    format: z.literal(TRACE_FORMAT),
    version: z.literal(TRACE_VERSION),
    name: z.string().min(1),
    description: z.string(),
    source: z.string(),
    licence: z.string(),
    attribution: z.string(),
    resolution: z.number().positive().finite(),
    duration: z.number().positive().finite(),
    requests: z.number().int().positive(),
    gaps: z.array(nonNegativeInteger),
    counts: z.array(z.number().int().positive()),
  })
  .superRefine((trace, ctx) => {
    const bins = Math.round(trace.duration / trace.resolution);
    if (Math.abs(bins * trace.resolution - trace.duration) > MULTIPLE_TOLERANCE * trace.duration || bins > MAX_BINS) {
      ctx.addIssue({
        code: 'custom',
        path: ['duration'],
        message: `must be a whole number of bins of ${trace.resolution} s (at most 2^31)`,
      });
      return;
    }
    if (trace.gaps.length !== trace.counts.length) {
      ctx.addIssue({ code: 'custom', path: ['counts'], message: `has ${trace.counts.length} entries, gaps has ${trace.gaps.length}` });
      return;
    }
    let bin = -1;
    let total = 0;
    for (let i = 0; i < trace.gaps.length; i++) {
      const gap = trace.gaps[i]!;
      if (i > 0 && gap === 0) {
        ctx.addIssue({ code: 'custom', path: ['gaps', i], message: 'must be ≥ 1 after the first (one entry per non-empty bin)' });
        return;
      }
      bin += i === 0 ? gap + 1 : gap;
      total += trace.counts[i]!;
    }
    if (bin >= bins) ctx.addIssue({ code: 'custom', path: ['gaps'], message: `reach bin ${bin}, past the duration's ${bins} bins` });
    if (total !== trace.requests)
      ctx.addIssue({ code: 'custom', path: ['counts'], message: `sum to ${total}, requests says ${trace.requests}` });
  });

export type Trace = z.infer<typeof TraceSchema>;

/** A zod issue as one line: `path: message`. */
export function issueLine(issue: z.core.$ZodIssue): string {
  // Keys and messages may repeat the file's text: quoted (src/text/quote.ts) unless plain and short.
  const path = issue.path.map((key) => (typeof key === 'string' && !/^[\w$]{1,60}$/.test(key) ? quote(key) : String(key))).join('.');
  // eslint-disable-next-line no-control-regex
  const plain = issue.message.length <= 200 && !/[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/.test(issue.message);
  const message = plain ? issue.message : quote(issue.message, 200);
  return path === '' ? message : `${path}: ${message}`;
}

/**
 * Validates a parsed JSON document as a derived trace; `field` names where it came from in the
 * message (`arrivals.trace`, a file name).
 */
export function parseTrace(json: unknown, field: string): Trace {
  const result = TraceSchema.safeParse(json);
  if (!result.success) throw new ConfigError(field, `not a valid fleetsim trace (${issueLine(result.error.issues[0]!)})`);
  return result.data;
}

/** The number of bins of width `resolution` the trace spans. */
export function traceBins(trace: Pick<Trace, 'duration' | 'resolution'>): number {
  return Math.round(trace.duration / trace.resolution);
}

/**
 * How many `base`-wide bins make one `width`-wide bin; throws a ConfigError naming `field` unless
 * `width` is an integer multiple of `base` (within MULTIPLE_TOLERANCE, relative).
 */
export function binMultiple(width: number, base: number, field: string): number {
  const ratio = width / base;
  const j = Math.round(ratio);
  if (!Number.isFinite(width) || j < 1 || Math.abs(ratio - j) > MULTIPLE_TOLERANCE * ratio) {
    throw new ConfigError(field, `${width} s is not a whole multiple of ${base} s; allowed: j · ${base} s for an integer j ≥ 1`);
  }
  return j;
}

/** The sparse (gaps, counts) of sorted bin indices: one entry per distinct bin. */
export function encodeBins(sortedBins: ArrayLike<number>): { gaps: number[]; counts: number[] } {
  const gaps: number[] = [];
  const counts: number[] = [];
  let last = -1;
  for (let i = 0; i < sortedBins.length; i++) {
    const bin = sortedBins[i]!;
    if (bin === last) counts[counts.length - 1]!++;
    else {
      gaps.push(last < 0 ? bin : bin - last);
      counts.push(1);
      last = bin;
    }
  }
  return { gaps, counts };
}

/**
 * Request counts per bin of width `binWidth` (seconds), an integer multiple j of the trace's
 * resolution: L = ⌊duration / binWidth⌋ bins. The last partial bin (fewer than j resolution bins) is
 * dropped, so Σ counts can be less than `requests` by the requests in that tail.
 */
export function binCounts(trace: Trace, binWidth: number): Uint32Array {
  const j = binMultiple(binWidth, trace.resolution, 'binWidth');
  const length = Math.floor(traceBins(trace) / j);
  const out = new Uint32Array(length);
  let bin = -1;
  for (let i = 0; i < trace.gaps.length; i++) {
    bin += i === 0 ? trace.gaps[i]! + 1 : trace.gaps[i]!;
    const k = Math.floor(bin / j);
    if (k >= length) break;
    out[k]! += trace.counts[i]!;
  }
  return out;
}

/** Moments of counts summed over non-overlapping windows of `m` bins (a partial last window dropped). */
export interface WindowMoments {
  /** Complete windows. */
  n: number;
  mean: number;
  /** Population variance (divided by n). */
  variance: number;
  /** Third central moment (divided by n). */
  third: number;
}

export function windowMoments(counts: ArrayLike<number>, m: number): WindowMoments {
  const n = Math.floor(counts.length / m);
  const sums = new Float64Array(n);
  for (let w = 0; w < n; w++) {
    let s = 0;
    for (let i = w * m; i < (w + 1) * m; i++) s += counts[i]!;
    sums[w] = s;
  }
  let mean = 0;
  for (const s of sums) mean += s;
  mean /= n;
  let variance = 0;
  let third = 0;
  for (const s of sums) {
    const d = s - mean;
    variance += d * d;
    third += d * d * d;
  }
  return { n, mean, variance: variance / n, third: third / n };
}

export interface TraceStats {
  /** L, the bins. */
  bins: number;
  binWidth: number;
  /** Σc over the L bins. */
  requests: number;
  /** ρ̄ = Σc / (L·b), requests per second. */
  meanRate: number;
  /** The index of dispersion of counts (variance / mean over non-overlapping windows), per window length. */
  idc: { window: number; idc: number; windows: number }[];
}

export const DEFAULT_IDC_WINDOWS = [1, 10, 60, 300] as const;

/**
 * Mean rate and IDC of binned counts. Each window (seconds) must be an integer multiple of binWidth;
 * windows longer than half the trace (fewer than 2 complete windows) are left out.
 */
export function traceStats(counts: ArrayLike<number>, binWidth: number, windows: readonly number[] = DEFAULT_IDC_WINDOWS): TraceStats {
  let requests = 0;
  for (let i = 0; i < counts.length; i++) requests += counts[i]!;
  const idc: TraceStats['idc'] = [];
  for (const window of windows) {
    const m = binMultiple(window, binWidth, 'windows');
    const moments = windowMoments(counts, m);
    if (moments.n < 2 || moments.mean === 0) continue;
    idc.push({ window, idc: moments.variance / moments.mean, windows: moments.n });
  }
  return { bins: counts.length, binWidth, requests, meanRate: requests / (counts.length * binWidth), idc };
}

/** The file text of a trace: the metadata one field a line, gaps and counts each on one line (compact). */
export function traceJson(trace: Trace): string {
  const { gaps, counts, ...meta } = trace;
  const head = JSON.stringify(meta, null, 2).replace(/\n}$/, '');
  return `${head},\n  "gaps": ${JSON.stringify(gaps)},\n  "counts": ${JSON.stringify(counts)}\n}\n`;
}
