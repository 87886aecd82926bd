/**
 * `fleetsim report DIR [--out FILE]`: one self-contained HTML file of a finished sweep, the page's
 * Sweep view with the sweep's files embedded (web/lib/preload.ts reads them): it opens from the file
 * system, with no server, no build and no network request (its Content-Security-Policy allows none,
 * web/vite.report.config.ts). The template is the page built as one file, shipped in the npm package
 * (web/dist/report/index.html, `npm run build:web`). Per-fleet Arrow rows go in only under a size
 * limit (--rows-limit); what is left out is printed and said in the page.
 *
 * Also the sweep directory checks and the listing that `fleetsim view` (src/cli/view.ts) serves.
 *
 * @example
 *   fleetsim report results/load-curve            # results/load-curve/report.html
 *   fleetsim report results/load-curve --out ~/load-curve.html --rows-limit 0
 */
import { closeSync, existsSync, openSync, readdirSync, readFileSync, readSync, statSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { type Command, Option } from 'commander';
import { packageRoot, packageVersion } from '../platform/node.js';
import { InputError } from '../results/errors.js';
import { FILES, readJson, writeAtomic } from '../results/files.js';
import { parseManifest } from '../results/manifest.js';
import { parseSummaryJson } from '../results/tables.js';
import { displayPath } from '../text/quote.js';
import { EnvironmentError, UsageError } from './errors.js';
import { integerIn } from './options.js';
import { errnoCode, fileSystemError } from './outDir.js';

/** The listing format of web/lib/preload.ts (PreloadSchema checks it in the page and in the tests). */
export const PRELOAD_FORMAT = 'fleetsim-preload/1';
/** The empty element of the report template that the sweep fills (web/vite.report.config.ts DATA_SLOT). */
const DATA_SLOT = '<script type="application/json" id="fleetsim-data"></script>';
/** The template puts the data element before <title>, within this many bytes of the start. */
const REPORT_HEAD_BYTES = 4096;

const MiB = 1024 * 1024;
/** Default of --rows-limit, in MiB of Arrow files (a third more in the HTML: base64). */
export const DEFAULT_ROWS_LIMIT_MIB = 16;
/** --rows-limit at most: the page reads at most 512 MiB of files at once (web/views/sweep/files.ts MAX_BYTES.total). */
export const MAX_ROWS_LIMIT_MIB = 256;

/** The missing-viewer line: a checkout where `npm run build:web` has not run (the npm package ships the build). */
export const VIEWER_MISSING = 'the built viewer is missing: run `npm run build:web`';

/** A path of the built page (web/dist/…); EnvironmentError (exit 3) when the build is not there. */
export function viewerPath(...parts: string[]): string {
  const path = join(packageRoot(), 'web', 'dist', ...parts);
  if (!existsSync(path)) throw new EnvironmentError(VIEWER_MISSING);
  return path;
}

/** One file of a sweep directory as the page gets it: `name` relative to the directory (fleets/unit-….arrow). */
export interface SweepFile {
  name: string;
  path: string;
  size: number;
  binary: boolean;
}

/** A finished sweep directory, checked: its files for the page and what was left out (sentences). */
export interface SweepDir {
  dir: string;
  files: SweepFile[];
  omitted: string[];
}

/** The listing of web/lib/preload.ts: with the files' content when embedded, without when served. */
export interface PreloadListing {
  format: typeof PRELOAD_FORMAT;
  sweep: string;
  fleetsim: string;
  createdAt: string;
  files: { name: string; size: number; text?: string; base64?: string }[];
  omitted: string[];
}

const formatMiB = (bytes: number): string => (bytes >= MiB ? `${(bytes / MiB).toFixed(1)} MiB` : `${(bytes / 1024).toFixed(1)} kiB`);

function fileSize(path: string): number | null {
  try {
    const stat = statSync(path);
    return stat.isFile() ? stat.size : null;
  } catch (error) {
    if (errnoCode(error) === 'ENOENT') return null;
    throw error;
  }
}

/** How many bytes of per-fleet rows go in, the limit's name and what to do about it, for the sentence that says they were left out. */
export interface RowsLimit {
  bytes: number;
  name: string;
  advice: string;
}

/**
 * Checks `dir` is a finished, unsharded sweep (manifest.json complete, summary.json of the same study)
 * and lists its files: summary.json, cells.csv, manifest.json, and fleets/*.arrow when they hold at most
 * `rowsLimit` bytes in all (else none, and a sentence says so: a part of the rows would misstate the
 * distributions). UsageError naming the directory for anything else; EnvironmentError when the file
 * system refuses.
 */
export async function readSweepDir(dir: string, rows: RowsLimit): Promise<SweepDir> {
  const what = displayPath(dir);
  try {
    let stat;
    try {
      stat = statSync(dir);
    } catch (error) {
      if (errnoCode(error) === 'ENOENT' || errnoCode(error) === 'ENOTDIR') throw new UsageError(`${what}: no such directory`);
      throw error;
    }
    if (!stat.isDirectory()) throw new UsageError(`${what}: not a directory (give the result directory of a sweep)`);
    const manifestPath = join(dir, FILES.manifest);
    if (fileSize(manifestPath) === null) throw new UsageError(`${what}: not a sweep result directory (no ${FILES.manifest})`);
    const manifestJson = await readJson(manifestPath);
    const manifest = parseManifest(manifestJson, manifestPath);
    if (manifest.shard.count > 1) {
      throw new UsageError(
        `${what}: shard ${manifest.shard.index}/${manifest.shard.count} of a sweep; merge the shards first (fleetsim merge) and use the merged directory`,
      );
    }
    const summaryPath = join(dir, FILES.summary);
    const summarySize = fileSize(summaryPath);
    if (summarySize === null)
      throw new UsageError(`${what}: an incomplete sweep (no ${FILES.summary}); finish it with fleetsim sweep --resume`);
    if ((manifestJson as { complete?: unknown }).complete !== true) {
      throw new UsageError(
        `${what}: an incomplete sweep (${FILES.manifest} says it did not finish); finish it with fleetsim sweep --resume`,
      );
    }
    // the page reads it with the same reader; a damaged file is refused here, not in the report
    const table = parseSummaryJson(await readFile(summaryPath, 'utf8'), join(dir, FILES.summary));
    if (table.studyHash !== '' && table.studyHash !== manifest.studyHash) {
      throw new UsageError(`${displayPath(summaryPath)}: of another study than ${displayPath(manifestPath)} (their study hashes differ)`);
    }
    const files: SweepFile[] = [{ name: FILES.summary, path: summaryPath, size: summarySize, binary: false }];
    const cellsPath = join(dir, FILES.cells);
    const cellsSize = fileSize(cellsPath);
    if (cellsSize !== null) files.push({ name: FILES.cells, path: cellsPath, size: cellsSize, binary: false });
    files.push({ name: FILES.manifest, path: manifestPath, size: fileSize(manifestPath)!, binary: false });

    const omitted: string[] = [];
    const fleetsDir = join(dir, FILES.fleets);
    const arrows = existsSync(fleetsDir)
      ? readdirSync(fleetsDir)
          .filter((n) => /^unit-\d+\.arrow$/.test(n))
          .sort()
          .flatMap((n) => {
            const size = fileSize(join(fleetsDir, n));
            return size === null ? [] : [{ name: `${FILES.fleets}/${n}`, path: join(fleetsDir, n), size, binary: true }];
          })
      : [];
    const rowBytes = arrows.reduce((n, f) => n + f.size, 0);
    if (arrows.length > 0 && rowBytes <= rows.bytes) files.push(...arrows);
    else if (arrows.length > 0) {
      omitted.push(
        `Left out: the per-fleet rows (${FILES.fleets}/, ${arrows.length} file${arrows.length === 1 ? '' : 's'}, ${formatMiB(rowBytes)}), over the ${rows.name} of ${formatMiB(rows.bytes)}; the latency-change charts need them (${rows.advice}).`,
      );
    }
    return { dir, files, omitted };
  } catch (error) {
    if (error instanceof UsageError || error instanceof InputError) throw error;
    throw fileSystemError(error, what);
  }
}

/** The listing of `sweep`; with `embed`, each file's content (text, or base64 for the Arrow files). */
export function preloadListing(sweep: SweepDir, embed: boolean): PreloadListing {
  return {
    format: PRELOAD_FORMAT,
    sweep: sweep.dir,
    fleetsim: packageVersion(),
    createdAt: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
    files: sweep.files.map((f) => {
      if (!embed) return { name: f.name, size: f.size };
      const bytes = readFileSync(f.path);
      return f.binary
        ? { name: f.name, size: f.size, base64: bytes.toString('base64') }
        : { name: f.name, size: f.size, text: bytes.toString('utf8') };
    }),
    omitted: sweep.omitted,
  };
}

/**
 * The report: the template with the listing in its data element. The JSON's `<` are written `\u003c`,
 * so no file's content can end the element (`</script>`) or open a comment in it.
 */
export function reportHtml(template: string, listing: PreloadListing): string {
  const at = template.indexOf(DATA_SLOT);
  if (at < 0 || template.indexOf(DATA_SLOT, at + 1) >= 0)
    throw new EnvironmentError(`the built viewer is damaged (no single data element): run \`npm run build:web\``);
  const json = JSON.stringify(listing).replace(/</g, '\\u003c');
  return `${template.slice(0, at)}<script type="application/json" id="fleetsim-data">${json}</script>${template.slice(at + DATA_SLOT.length)}`;
}

/** Whether `path` is a report (the data element within its first kilobytes): the only file --out overwrites. */
function isReport(path: string): boolean {
  const fd = openSync(path, 'r');
  try {
    const head = Buffer.alloc(REPORT_HEAD_BYTES);
    const read = readSync(fd, head, 0, head.length, 0);
    return head.subarray(0, read).toString('utf8').includes(DATA_SLOT.replace('</script>', ''));
  } finally {
    closeSync(fd);
  }
}

export interface ReportOptions {
  out?: string;
  /** Arrow bytes embedded at most (else none). */
  rowsLimit: number;
}

/** `fleetsim report`: writes the HTML (atomically) and returns the lines to print. */
export async function reportCommand(dir: string, options: ReportOptions): Promise<string[]> {
  const template = viewerPath('report', 'index.html');
  const sweep = await readSweepDir(dir, {
    bytes: options.rowsLimit,
    name: '--rows-limit',
    advice: 'raise --rows-limit, or open the sweep with fleetsim view',
  });
  const out = options.out ?? join(dir, 'report.html');
  const outWhat = options.out === undefined ? displayPath(out) : `--out ${displayPath(out)}`;
  if (out.trim() === '') throw new UsageError('--out: the file name is empty');
  // refused before any work: a directory, or a parent that does not exist (nothing is created)
  try {
    if (statSync(out).isDirectory()) throw new UsageError(`${outWhat}: is a directory; name the HTML file to write`);
    if (!isReport(out))
      throw new UsageError(`${outWhat}: exists and is not a fleetsim report; choose another name (only a report is overwritten)`);
  } catch (error) {
    if (error instanceof UsageError) throw error;
    if (errnoCode(error) === 'ENOTDIR') throw new UsageError(`${outWhat}: a parent of it is a file, not a directory`);
    if (errnoCode(error) !== 'ENOENT') throw fileSystemError(error, outWhat);
  }
  const parent = dirname(resolve(out));
  const parentStat = (() => {
    try {
      return statSync(parent);
    } catch (error) {
      if (errnoCode(error) === 'ENOENT' || errnoCode(error) === 'ENOTDIR') return null;
      throw fileSystemError(error, outWhat);
    }
  })();
  if (parentStat === null || !parentStat.isDirectory())
    throw new UsageError(`${outWhat}: the directory ${displayPath(parent)} does not exist`);

  let templateText: string;
  try {
    templateText = readFileSync(template, 'utf8');
  } catch (error) {
    throw fileSystemError(error, displayPath(template));
  }
  let listing: PreloadListing;
  try {
    listing = preloadListing(sweep, true);
  } catch (error) {
    throw fileSystemError(error, displayPath(dir));
  }
  const html = reportHtml(templateText, listing);
  try {
    await writeAtomic(out, html);
  } catch (error) {
    throw fileSystemError(error, outWhat, '; nothing was written');
  }
  const rows = sweep.files.filter((f) => f.binary).length;
  const shown = sweep.files.filter((f) => !f.binary).map((f) => f.name);
  return [
    `report: ${displayPath(out)} (${formatMiB(Buffer.byteLength(html))}; ${[...shown, ...(rows > 0 ? [`${rows} per-fleet file${rows === 1 ? '' : 's'}`] : [])].join(', ')}): open it in a browser, no server needed`,
    ...sweep.omitted,
  ];
}

/** Registers `fleetsim report` on the program (src/cli/main.ts). */
export function addReportCommand(cli: Command): void {
  cli
    .command('report')
    .description("write one self-contained HTML file of a finished sweep: the page's Sweep view, opened with no server")
    .argument('<dir>', "a finished sweep's result directory")
    .option('--out <file>', 'the HTML file to write, atomically (default: DIR/report.html)')
    .addOption(
      new Option(
        '--rows-limit <MiB>',
        `embed the per-fleet rows (fleets/*.arrow) when they hold at most this many MiB in all, 0 to ${MAX_ROWS_LIMIT_MIB} (else none; 0: never)`,
      )
        .argParser(integerIn(0, MAX_ROWS_LIMIT_MIB))
        .default(DEFAULT_ROWS_LIMIT_MIB),
    )
    .action(async (dir: string, opts: { out?: string; rowsLimit: number }) => {
      const lines = await reportCommand(dir, { ...(opts.out === undefined ? {} : { out: opts.out }), rowsLimit: opts.rowsLimit * MiB });
      process.stdout.write(`${lines.join('\n')}\n`);
    });
}
