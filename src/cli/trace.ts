/**
 * `fleetsim trace import` and `fleetsim trace info`: the CLI over src/traces/. Import writes the
 * derived JSON atomically and never overwrites without --force; every mistake is one line, exit 2.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { InvalidArgumentError } from 'commander';
import { writeAtomic } from '../results/files.js';
import { binCounts, binMultiple, DEFAULT_IDC_WINDOWS, type Trace, traceJson, traceStats } from '../traces/format.js';
import { fitMmpp } from '../traces/fit.js';
import { importTraceCsv, RESOLUTION_RANGE, type TimestampFormat } from '../traces/import.js';
import { loadAnyTrace } from '../traces/load.js';
import type { ServeGenTrace } from '../traces/servegen.js';
import { UsageError } from './errors.js';

export interface TraceImportOptions {
  timestampColumn: string;
  format: TimestampFormat;
  resolution: number;
  name?: string;
  out: string;
  force?: boolean;
}

export function parseResolution(value: string): number {
  const x = Number(value);
  if (value.trim() === '' || !(x >= RESOLUTION_RANGE[0] && x <= RESOLUTION_RANGE[1])) {
    throw new InvalidArgumentError(`Allowed: a number of seconds from ${RESOLUTION_RANGE[0]} to ${RESOLUTION_RANGE[1]}.`);
  }
  return x;
}

/** A column given as digits is a 0-based index; anything else a header name. */
export function parseColumn(value: string): string | number {
  return /^\d+$/.test(value.trim()) ? Number(value) : value;
}

/** Imports `file` to `opts.out`; returns the lines to print. */
export async function traceImportCommand(file: string, opts: TraceImportOptions): Promise<string> {
  if (existsSync(opts.out) && !opts.force)
    throw new UsageError(`--out ${JSON.stringify(opts.out)} exists; allowed: a new file, or --force to overwrite`);
  let text: string;
  try {
    if (statSync(file).isDirectory()) throw new Error('directory');
    text = readFileSync(file, 'utf8');
  } catch {
    throw new UsageError(`${JSON.stringify(file)}: not found or not a readable file`);
  }
  const { trace, format, detected } = importTraceCsv(text, {
    file,
    timestampColumn: parseColumn(opts.timestampColumn),
    format: opts.format,
    resolution: opts.resolution,
    ...(opts.name === undefined ? {} : { name: opts.name }),
  });
  await writeAtomic(opts.out, traceJson(trace));
  return [
    `timestamps read as ${format}${detected ? ' (auto-detected)' : ''}`,
    `${trace.name}: ${trace.requests} requests over ${trace.duration.toFixed(3)} s, ${trace.counts.length} non-empty bins of ${trace.resolution} s → ${opts.out}`,
  ].join('\n');
}

function traceInfo(trace: Trace): string {
  const lines = [
    `name:        ${trace.name}`,
    `description: ${trace.description}`,
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
  lines.push(`source:      ${trace.source}`, `licence:     ${trace.licence}`, `attribution: ${trace.attribution}`);
  return lines.join('\n');
}

function serveGenInfo(doc: ServeGenTrace): string {
  const windows = doc.clients.flatMap((c) => c.windows);
  const active = windows.filter((w) => w.family !== null);
  const cvs = active.map((w) => w.cv).sort((a, b) => a - b);
  const median = cvs.length === 0 ? NaN : cvs[Math.floor(cvs.length / 2)]!;
  return [
    `name:        ${doc.name}`,
    `description: ${doc.description}`,
    `clients:     ${doc.clients.length}, ${windows.length} windows of ${doc.window} s (${active.length} active)`,
    `CV:          median ${median.toFixed(2)} over active windows; Gamma ${active.filter((w) => w.family === 'gamma').length}, Weibull ${active.filter((w) => w.family === 'weibull').length}`,
    `source:      ${doc.source}`,
    `licence:     ${doc.licence}`,
    `attribution: ${doc.attribution}`,
  ].join('\n');
}

/** `fleetsim trace info NAME|FILE.json`. */
export function traceInfoCommand(nameOrPath: string): string {
  const loaded = loadAnyTrace(nameOrPath, nameOrPath);
  return loaded.kind === 'trace' ? traceInfo(loaded.trace) : serveGenInfo(loaded.trace);
}
