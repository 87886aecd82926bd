/**
 * CSV arrival traces → the derived format (src/traces/format.ts). One column holds each request's
 * timestamp; timestamps are shifted so the first is at 0 and binned at `resolution`. Every mistake in
 * the file is one ConfigError naming the file, the line, the column and what is allowed; input is only
 * ever echoed quoted, escaped and cut (src/text/quote.ts). A file is bounded before it is read
 * (MAX_CSV_BYTES, checked by the CLI on its size) and before it is parsed (MAX_CSV_ROWS).
 *
 * @example
 *   const trace = importTraceCsv(readFileSync('conv.csv', 'utf8'), { file: 'conv.csv', timestampColumn: 'TIMESTAMP' });
 */
import { parse } from 'csv-parse/sync';
import { ConfigError } from '../model/errors.js';
import { displayPath, quote as quoteText } from '../text/quote.js';
import { encodeBins, MAX_BINS, type Trace, TRACE_FORMAT, TRACE_VERSION } from './format.js';

export const TIMESTAMP_FORMATS = ['auto', 'seconds', 'milliseconds', 'datetime'] as const;
export type TimestampFormat = (typeof TIMESTAMP_FORMATS)[number];

export const DEFAULT_RESOLUTION = 0.001;
/** Allowed resolutions, seconds. */
export const RESOLUTION_RANGE = [1e-6, 3600] as const;

/**
 * The largest CSV `fleetsim trace import` reads (checked on the file's size before reading it) and
 * the most lines it parses (checked before parsing): the text and every parsed row are held in
 * memory, about 850 bytes a row (1 million rows: 0.84 GB, 3.6 s), so these keep an import within
 * about 2 GB. A longer trace: split it, or keep only the timestamp column.
 */
export const MAX_CSV_BYTES = 256 * 2 ** 20;
export const MAX_CSV_ROWS = 2_000_000;

export interface ImportOptions {
  /** A header name, or a 0-based column index (then a first row whose cell is no timestamp is a header). */
  timestampColumn: string | number;
  /** Default 'auto': datetime when the first value looks like one, else seconds. */
  format?: TimestampFormat;
  /** Seconds per bin; default 0.001. */
  resolution?: number;
  /** Default: the file's base name without extension. */
  name?: string;
  /** The file's name in messages (default 'input'). */
  file?: string;
  description?: string;
  source?: string;
  licence?: string;
  attribution?: string;
}

export interface ImportResult {
  trace: Trace;
  /** The format used: `auto` resolved to seconds or datetime. */
  format: Exclude<TimestampFormat, 'auto'>;
  detected: boolean;
}

const DATETIME = /^(\d{4})-(\d{2})-(\d{2})[ T](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?Z?$/;
const NUMBER = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

/** A value from the file, safe to print: quoted, control characters escaped, cut to about 40 characters (src/text/quote.ts). */
export function quote(value: string, max = 40): string {
  return quoteText(value, max);
}

/** A timestamp as whole seconds plus a fraction, so sub-microsecond digits survive the shift to 0. */
interface Stamp {
  whole: number;
  fraction: number;
}

function parseDatetime(value: string): Stamp | null {
  const m = DATETIME.exec(value);
  if (!m) return null;
  const [year, month, day, hour, minute, second] = m.slice(1, 7).map(Number) as [number, number, number, number, number, number];
  const ms = Date.UTC(year, month - 1, day, hour, minute, second);
  const date = new Date(ms);
  if (date.getUTCMonth() !== month - 1 || date.getUTCDate() !== day || hour > 23 || minute > 59 || second > 59) return null;
  return { whole: ms / 1000, fraction: m[7] === undefined ? 0 : Number(`0.${m[7]}`) };
}

function parseNumber(value: string, scale: number): Stamp | null {
  if (!NUMBER.test(value)) return null;
  const x = Number(value) / scale;
  if (!Number.isFinite(x)) return null;
  const whole = Math.floor(x);
  return { whole, fraction: x - whole };
}

/**
 * Reads the timestamps of a CSV text into a derived trace. Throws a ConfigError (field: the file) for
 * an empty file, a missing column, an unparseable, negative or out-of-order timestamp, or fewer than
 * 2 requests.
 */
export function importTraceCsv(text: string, options: ImportOptions): ImportResult {
  const file = options.file ?? 'input';
  const fail = (problem: string): never => {
    throw new ConfigError(displayPath(file), problem);
  };
  const resolution = options.resolution ?? DEFAULT_RESOLUTION;
  if (!(resolution >= RESOLUTION_RANGE[0] && resolution <= RESOLUTION_RANGE[1])) {
    throw new ConfigError('resolution', `${resolution} s is out of range; allowed: ${RESOLUTION_RANGE[0]} to ${RESOLUTION_RANGE[1]} s`);
  }

  let lines = 0;
  for (let at = text.indexOf('\n'); at >= 0; at = text.indexOf('\n', at + 1)) {
    if (++lines > MAX_CSV_ROWS) return fail(`more than ${MAX_CSV_ROWS} lines; allowed: at most ${MAX_CSV_ROWS} (split the file)`);
  }

  let rows: { record: string[]; info: { lines: number } }[];
  try {
    rows = parse(text, { info: true, skip_empty_lines: true, relax_column_count: true, trim: true, bom: true }) as unknown as typeof rows;
  } catch (error) {
    const e = error as { lines?: number; code?: string };
    return fail(`line ${e.lines ?? '?'}: not valid CSV (${quote(e.code ?? 'parse error')})`);
  }
  if (rows.length === 0) return fail('the file is empty; allowed: a CSV file with a timestamp column and at least 2 requests');

  const column = options.timestampColumn;
  let index: number;
  let columnName: string;
  let first = 0;
  if (typeof column === 'string') {
    const header = rows[0]!.record;
    index = header.indexOf(column);
    if (index < 0) {
      const shown = header.slice(0, 12).map((h) => quote(h, 24));
      const more = header.length > 12 ? `, … (${header.length} columns)` : '';
      return fail(`line ${rows[0]!.info.lines}: no column ${quote(column)} in the header; allowed: ${shown.join(', ')}${more}`);
    }
    columnName = quote(column);
    first = 1;
  } else {
    if (!Number.isSafeInteger(column) || column < 0) return fail(`column ${quote(String(column))}: allowed: a header name or an index ≥ 0`);
    index = column;
    columnName = `${column}`;
  }

  const cell = (r: number): string => {
    const { record, info } = rows[r]!;
    if (index >= record.length) fail(`line ${info.lines}: has ${record.length} column(s), no column ${columnName}`);
    return record[index]!;
  };
  const requested = options.format ?? 'auto';
  const looksLikeStamp = (v: string): boolean => DATETIME.test(v) || NUMBER.test(v);
  if (typeof column === 'number' && rows.length > 0 && !looksLikeStamp(cell(0))) first = 1; // a header row
  if (rows.length <= first) return fail('no data rows; allowed: a CSV file with a timestamp column and at least 2 requests');

  const format = requested === 'auto' ? (DATETIME.test(cell(first)) ? 'datetime' : 'seconds') : requested;
  const read =
    format === 'datetime'
      ? parseDatetime
      : format === 'milliseconds'
        ? (v: string) => parseNumber(v, 1000)
        : (v: string) => parseNumber(v, 1);
  const allowed =
    format === 'datetime' ? 'YYYY-MM-DD HH:MM:SS[.fraction] (UTC; a T separator and a trailing Z accepted)' : `a number of ${format} ≥ 0`;

  const count = rows.length - first;
  const bins = new Float64Array(count);
  let origin: Stamp | null = null;
  let previous = -Infinity;
  for (let r = first; r < rows.length; r++) {
    const value = cell(r);
    const line = rows[r]!.info.lines;
    const stamp = read(value);
    if (stamp === null) return fail(`line ${line}, column ${columnName}: ${quote(value)} is not a timestamp; allowed: ${allowed}`);
    if (stamp.whole + stamp.fraction < 0)
      return fail(`line ${line}, column ${columnName}: ${quote(value)} is negative; allowed: ${allowed}`);
    origin ??= stamp;
    const t = stamp.whole - origin.whole + (stamp.fraction - origin.fraction);
    if (t < previous) {
      return fail(`line ${line}, column ${columnName}: ${quote(value)} is earlier than the line before; allowed: timestamps in order`);
    }
    previous = t;
    bins[r - first] = Math.floor(t / resolution + 1e-9);
  }
  if (count < 2) return fail(`${count} request(s); allowed: at least 2`);
  const total = bins[count - 1]! + 1;
  if (total > MAX_BINS) return fail(`the trace spans ${total} bins of ${resolution} s; allowed: at most 2^31 (a coarser --resolution)`);

  const { gaps, counts } = encodeBins(bins);
  const name = options.name ?? file.replace(/^.*[\\/]/, '').replace(/\.[^.]*$/, '');
  const trace: Trace = {
    format: TRACE_FORMAT,
    version: TRACE_VERSION,
    name,
    description:
      options.description ??
      `imported from ${file}: column ${columnName}, ${format}${requested === 'auto' ? ' (auto-detected)' : ''}, ${resolution} s bins`,
    source: options.source ?? file,
    licence: options.licence ?? 'unknown',
    attribution: options.attribution ?? '',
    resolution,
    duration: total * resolution,
    requests: count,
    gaps,
    counts,
  };
  return { trace, format, detected: requested === 'auto' };
}
