/**
 * ServeGen per-client arrival windows (`fleetsim-servegen`, version 1). Browser-safe. Each client's day
 * is a list of 600-second windows, each with a mean rate, the inter-arrival CV and the inter-arrival
 * distribution (Gamma or Weibull shape and scale as ServeGen fitted them, before rescaling to the
 * window's rate; for Gamma cv = 1/√shape). Idle windows have family, shape and scale null.
 *
 * @example
 *   const windows = parseServeGenChunk(text, 'chunk-3-trace.csv'); // one client's rows
 */
import { z } from 'zod';
import { ConfigError } from '../model/errors.js';
import { displayPath, quote } from '../text/quote.js';
import { issueLine } from './format.js';

export const SERVEGEN_FORMAT = 'fleetsim-servegen';
export const SERVEGEN_VERSION = 1;
export const SERVEGEN_FAMILIES = ['gamma', 'weibull'] as const;

const WindowSchema = z
  .object({
    /** Seconds from the start of the client's trace. */
    start: z.number().nonnegative(),
    /** Requests per second. */
    rate: z.number().nonnegative(),
    /** Inter-arrival coefficient of variation. */
    cv: z.number().nonnegative(),
    family: z.enum(SERVEGEN_FAMILIES).nullable(),
    shape: z.number().positive().nullable(),
    scale: z.number().positive().nullable(),
  })
  .refine((w) => (w.family === null) === (w.shape === null) && (w.family === null) === (w.scale === null), {
    message: 'family, shape and scale are null together (idle windows) or all set',
  });

export type ServeGenWindow = z.infer<typeof WindowSchema>;

export const ServeGenSchema = z.object({
  format: z.literal(SERVEGEN_FORMAT),
  version: z.literal(SERVEGEN_VERSION),
  name: z.string().min(1),
  description: z.string(),
  source: z.string(),
  licence: z.string(),
  attribution: z.string(),
  /** Seconds per window. */
  window: z.number().positive(),
  clients: z.array(z.object({ id: z.number().int().nonnegative(), windows: z.array(WindowSchema).min(1) })).min(1),
});

export type ServeGenTrace = z.infer<typeof ServeGenSchema>;

export function parseServeGen(json: unknown, field: string): ServeGenTrace {
  const result = ServeGenSchema.safeParse(json);
  if (!result.success) throw new ConfigError(field, `not a valid fleetsim ServeGen file (${issueLine(result.error.issues[0]!)})`);
  return result.data;
}

/** Rounds to 6 significant digits: keeps the files small, far below the fits' own precision. */
const round = (x: number): number => Number(x.toPrecision(6));

/**
 * One client's chunk file (no header; `window_start_s, rate_rps, cv, family, param1, param2`, family
 * empty for an idle window) → its windows. Errors name the file and line.
 */
export function parseServeGenChunk(text: string, file: string): ServeGenWindow[] {
  const windows: ServeGenWindow[] = [];
  const where = displayPath(file);
  text.split(/\r?\n/).forEach((line, i) => {
    if (line.trim() === '') return;
    const cells = line.split(',').map((c) => c.trim());
    const numbers = [0, 1, 2, 4, 5].map((k) => Number(cells[k]));
    if (cells.length !== 6 || numbers.some((x) => cells[0] === '' || !Number.isFinite(x) || x < 0)) {
      throw new ConfigError(where, `line ${i + 1}: allowed: 6 fields, window_start_s, rate_rps, cv, family, param1, param2 (numbers ≥ 0)`);
    }
    const [start, rate, cv, shape, scale] = numbers as [number, number, number, number, number];
    const family = cells[3]!.toLowerCase();
    if (family !== '' && family !== 'gamma' && family !== 'weibull') {
      throw new ConfigError(where, `line ${i + 1}: family ${quote(cells[3]!)}; allowed: Gamma, Weibull or empty`);
    }
    windows.push(
      family === ''
        ? { start, rate: round(rate), cv: round(cv), family: null, shape: null, scale: null }
        : { start, rate: round(rate), cv: round(cv), family, shape: round(shape), scale: round(scale) },
    );
  });
  return windows;
}

/** The file text of a ServeGen document: the metadata one field a line, one client a line. */
export function serveGenJson(doc: ServeGenTrace): string {
  const { clients, ...meta } = doc;
  const head = JSON.stringify(meta, null, 2).replace(/\n}$/, '');
  return `${head},\n  "clients": [\n${clients.map((c) => `    ${JSON.stringify(c)}`).join(',\n')}\n  ]\n}\n`;
}
