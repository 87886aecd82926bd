/**
 * Which result files of `fleetsim sweep` the page opens: a file's kind from its name, and the size
 * limits checked before a byte is read. The formats themselves are read by src/results/ (tables.ts:
 * summary.json, cellsCsv.ts: cells.csv, fleetRows.ts: the per-fleet Arrow files), the same readers
 * the CLI's tests check against its writers. Every problem is an InputError whose message names the
 * file; the view shows it as text and keeps what it had loaded. No DOM: vitest runs it in Node.
 *
 * @example
 *   const kind = checkFile(file.name, file.size); // then parseSummaryJson(await file.text(), file.name)
 */
import { InputError } from '../../../src/results/errors.js';

const MiB = 1024 * 1024;

/**
 * Largest file the page reads, by kind, checked on File.size before a byte is read: a browser tab has
 * a few GB at most, and JSON/CSV parse into several times their size. A sweep's summary.json is about
 * 16 kB per cell (100,000 cells, the study limit, would be ~1.6 GB: read those with pandas instead).
 * `total` bounds the files opened at once (many per-fleet files), checked on their sizes before any is read.
 */
export const MAX_BYTES = { json: 64 * MiB, csv: 64 * MiB, arrow: 256 * MiB, study: 1 * MiB, total: 512 * MiB } as const;

export type FileKind = 'summary' | 'csv' | 'arrow' | 'parquet' | 'manifest' | 'checkpoint' | 'json' | 'unknown';

/** What a file is, from its name (the content is checked when it is parsed). */
export function fileKind(name: string): FileKind {
  const lower = name.toLowerCase();
  if (lower.endsWith('manifest.json')) return 'manifest';
  if (lower.endsWith('checkpoint.json')) return 'checkpoint';
  if (lower.endsWith('summary.json')) return 'summary';
  if (lower.endsWith('.json')) return 'json';
  if (lower.endsWith('.csv')) return 'csv';
  if (lower.endsWith('.arrow') || lower.endsWith('.feather') || lower.endsWith('.ipc')) return 'arrow';
  if (lower.endsWith('.parquet')) return 'parquet';
  return 'unknown';
}

export function formatBytes(bytes: number): string {
  if (bytes >= 1024 * MiB) return `${(bytes / (1024 * MiB)).toFixed(1)} GB`;
  if (bytes >= MiB) return `${(bytes / MiB).toFixed(1)} MB`;
  if (bytes >= 1024) return `${(bytes / 1024).toFixed(1)} kB`;
  return `${bytes} bytes`;
}

/**
 * Refuses a file before reading it: an unknown kind, Parquet, a file over the size limit. `shown` is
 * the name as messages show it (displayPath: quoted when it holds odd characters).
 */
export function checkFile(file: string, size: number, name = file): FileKind {
  const kind = fileKind(file);
  switch (kind) {
    case 'unknown':
      throw new InputError(`${name}: not a sweep result file (the page opens summary.json, cells.csv and fleets/unit-*.arrow)`);
    case 'parquet':
      throw new InputError(
        `${name}: Parquet is not supported in the page (no Parquet reader is bundled); open the sweep's fleets/unit-*.arrow files instead`,
      );
  }
  // manifest.json and checkpoint.json hold no statistics: opened beside summary.json, they check its study hash
  const limit = kind === 'csv' ? MAX_BYTES.csv : kind === 'arrow' ? MAX_BYTES.arrow : MAX_BYTES.json;
  if (size > limit) {
    throw new InputError(
      `${name}: ${formatBytes(size)} is too large for the page (at most ${formatBytes(limit)} for this kind of file); nothing was read`,
    );
  }
  return kind;
}
