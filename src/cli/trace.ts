/**
 * `fleetsim trace import` and `fleetsim trace info`: the CLI over src/traces/. Import writes the
 * derived JSON atomically and never overwrites without --force; every mistake is one line, exit 2.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { InvalidArgumentError } from 'commander';
import { writeAtomic } from '../results/files.js';
import { binCounts, binMultiple, DEFAULT_IDC_WINDOWS, type Trace, traceJson, traceStats } from '../traces/format.js';
import { fitMmpp } from '../traces/fit.js';
import { importTraceCsv, MAX_CSV_BYTES, RESOLUTION_RANGE, type TimestampFormat } from '../traces/import.js';
import { loadAnyTrace } from '../traces/load.js';
import type { ServeGenTrace } from '../traces/servegen.js';
import { displayPath, quote } from '../text/quote.js';
import { EnvironmentError, UsageError } from './errors.js';
import { hasControls, numberIn } from './options.js';

export interface TraceImportOptions {
  timestampColumn: string;
  format: TimestampFormat;
  resolution: number;
  name?: string;
  out: string;
  force?: boolean;
}

/** `--name` of `trace import`: what studies name the trace by, so printable and short. */
export function parseTraceName(value: string): string {
  if (value.length < 1 || value.length > 200 || hasControls(value)) {
    throw new InvalidArgumentError('Allowed: 1 to 200 characters, no control characters.');
  }
  return value;
}

export const parseResolution = numberIn(RESOLUTION_RANGE[0], RESOLUTION_RANGE[1], 'seconds');

/**
 * Text read from a trace file (its name, description, licence…) as printed: as it is when it holds
 * no control character and is short, else quoted and cut (src/text/quote.ts), so a file cannot
 * forge a line or drive the terminal.
 */
export function shown(text: string, max = 200): string {
  return text.length <= max && !hasControls(text) ? text : quote(text, max);
}

/** A column given as digits is a 0-based index; anything else a header name. */
export function parseColumn(value: string): string | number {
  return /^\d+$/.test(value.trim()) ? Number(value) : value;
}

/** Refusals of the machine (exit 3); any other errno when writing --out is a mistake in the path (exit 2). */
const ENVIRONMENT_CODES = new Set(['EACCES', 'EPERM', 'EROFS', 'ENOSPC', 'EDQUOT', 'EIO', 'EMFILE', 'ENFILE', 'EBUSY']);

/** Writes the trace to --out atomically; a file-system refusal is one line naming the path and the cause. */
async function writeOut(out: string, text: string): Promise<void> {
  try {
    await writeAtomic(out, text);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (typeof code !== 'string' || !/^E[A-Z]+$/.test(code)) throw error;
    const message = `--out ${displayPath(out)}: cannot write the trace (${code})`;
    throw ENVIRONMENT_CODES.has(code)
      ? new EnvironmentError(message)
      : new UsageError(`${message}; allowed: a file in an existing, writable directory`);
  }
}

/** Imports `file` to `opts.out`; returns the lines to print. */
export async function traceImportCommand(file: string, opts: TraceImportOptions): Promise<string> {
  if (opts.out === '') throw new UsageError('--out is empty; allowed: the path of the JSON file to write');
  let outIsDirectory = false;
  try {
    outIsDirectory = statSync(opts.out).isDirectory();
  } catch {
    // absent, or unreachable: writing says which
  }
  if (outIsDirectory) throw new UsageError(`--out ${displayPath(opts.out)} is a directory; allowed: the path of the JSON file to write`);
  if (existsSync(opts.out) && !opts.force)
    throw new UsageError(`--out ${displayPath(opts.out)} exists; allowed: a new file, or --force to overwrite`);
  let size: number;
  try {
    const stat = statSync(file);
    if (!stat.isFile()) throw new Error('not a file');
    size = stat.size;
  } catch {
    throw new UsageError(`${displayPath(file)}: not found or not a readable file`);
  }
  // Checked before reading: the whole text and its parsed rows are held in memory.
  if (size > MAX_CSV_BYTES) {
    throw new UsageError(
      `${displayPath(file)}: ${size} bytes; allowed: a CSV of at most ${MAX_CSV_BYTES} bytes (${MAX_CSV_BYTES / 2 ** 20} MiB; split it, or keep only the timestamp column)`,
    );
  }
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    throw new UsageError(`${displayPath(file)}: not found or not a readable file`);
  }
  const { trace, format, detected } = importTraceCsv(text, {
    file,
    timestampColumn: parseColumn(opts.timestampColumn),
    format: opts.format,
    resolution: opts.resolution,
    ...(opts.name === undefined ? {} : { name: opts.name }),
  });
  await writeOut(opts.out, traceJson(trace));
  return [
    `timestamps read as ${format}${detected ? ' (auto-detected)' : ''}`,
    `${shown(trace.name)}: ${trace.requests} requests over ${trace.duration.toFixed(3)} s, ${trace.counts.length} non-empty bins of ${trace.resolution} s → ${displayPath(opts.out)}`,
  ].join('\n');
}

function traceInfo(trace: Trace): string {
  const lines = [
    `name:        ${shown(trace.name)}`,
    `description: ${shown(trace.description, 400)}`,
    `requests:    ${trace.requests}`,
    `duration:    ${trace.duration.toFixed(3)} s (resolution ${trace.resolution} s)`,
  ];
  // 1 s bins when the resolution divides 1 s, else the resolution's own bins.
  let binWidth = trace.resolution;
  try {
    binMultiple(1, trace.resolution, 'binWidth');
    if (trace.resolution < 1) binWidth = 1;
  } catch {
    // keep the resolution
  }
  const counts = binCounts(trace, binWidth);
  const windows = DEFAULT_IDC_WINDOWS.filter((w) => {
    try {
      binMultiple(w, binWidth, 'windows');
      return true;
    } catch {
      return false;
    }
  });
  const stats = traceStats(counts, binWidth, windows);
  lines.push(`mean rate:   ${stats.meanRate.toFixed(4)} requests/s over L = ${stats.bins} bins of ${binWidth} s`);
  lines.push(`IDC:         ${stats.idc.map((p) => `${p.idc.toFixed(2)} at ${p.window} s`).join(', ') || 'n/a (trace too short)'}`);
  try {
    const fit = fitMmpp(counts, binWidth);
    lines.push(
      `MMPP fit:    J = ${fit.J.toFixed(2)}, π_H = ${fit.piHigh.toFixed(3)}, κ = ${fit.kappa.toFixed(3)} (ν = ${fit.nu.toPrecision(3)}/s, rms log IDC ${fit.rms.toFixed(3)}${fit.constrained ? ', at κπ_H = 1' : ''})`,
    );
  } catch {
    lines.push('MMPP fit:    n/a (too short or not bursty)');
  }
  lines.push(
    `source:      ${shown(trace.source, 400)}`,
    `licence:     ${shown(trace.licence)}`,
    `attribution: ${shown(trace.attribution, 400)}`,
  );
  return lines.join('\n');
}

function serveGenInfo(doc: ServeGenTrace): string {
  const windows = doc.clients.flatMap((c) => c.windows);
  const active = windows.filter((w) => w.family !== null);
  const cvs = active.map((w) => w.cv).sort((a, b) => a - b);
  const median = cvs.length === 0 ? NaN : cvs[Math.floor(cvs.length / 2)]!;
  return [
    `name:        ${shown(doc.name)}`,
    `description: ${shown(doc.description, 400)}`,
    `clients:     ${doc.clients.length}, ${windows.length} windows of ${doc.window} s (${active.length} active)`,
    `CV:          median ${median.toFixed(2)} over active windows; Gamma ${active.filter((w) => w.family === 'gamma').length}, Weibull ${active.filter((w) => w.family === 'weibull').length}`,
    `source:      ${shown(doc.source, 400)}`,
    `licence:     ${shown(doc.licence)}`,
    `attribution: ${shown(doc.attribution, 400)}`,
  ].join('\n');
}

/** `fleetsim trace info NAME|FILE.json`. */
export function traceInfoCommand(nameOrPath: string): string {
  const loaded = loadAnyTrace(nameOrPath, displayPath(nameOrPath));
  return loaded.kind === 'trace' ? traceInfo(loaded.trace) : serveGenInfo(loaded.trace);
}
