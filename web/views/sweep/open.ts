/**
 * Opening result files (the file picker and drag-and-drop): each file is checked by name and size
 * before a byte is read, then parsed (JSON strictly: a byte-order mark dropped, deep nesting and
 * duplicate keys refused), then checked against the others: files opened together must be of one
 * sweep (web/views/sweep/belong.ts). Every file gets a fate the page shows: opened, ignored because …,
 * or refused because …; a bug in the page is an internal error, never a problem of the file.
 * Per-fleet Arrow files opened alone attach to the shown result when they are its sweep's, otherwise
 * they make a result of their own (src/stats accumulators over their rows).
 */
import { parseCellsCsv } from '../../../src/results/cellsCsv.js';
import { concatFleetRows, type FleetRows, parseFleetArrow } from '../../../src/results/fleetRows.js';
import { parseSummaryJson, type SummaryTable } from '../../../src/results/tables.js';
import { JsonTextError, parseJsonText } from '../../../src/text/json.js';
import { displayPath, quote } from '../../../src/text/quote.js';
import { internalError, readFailure, userProblem } from '../../lib/problems.js';
import { companionHash, rowsMismatch, tableMismatch } from './belong.js';
import { checkFile, type FileKind, formatBytes, MAX_BYTES } from './files.js';
import { summaryFromFleetRows } from './fleetRows.js';
import type { Loaded } from './results.js';

/** What became of one file: `why` says it in words (the reason, or how it was used). */
export interface FileFate {
  name: string;
  fate: 'opened' | 'ignored' | 'refused' | 'internal';
  why: string;
}

export interface Opened {
  loaded: Loaded | null; // null: nothing usable among the files
  files: FileFate[];
  /** The refusals and internal errors, one line each (name: why), for the view's message. */
  errors: string[];
}

/** A result file's text, checked as strict JSON first (the readers take text; a byte-order mark is dropped). */
function strictJsonText(text: string, name: string): string {
  parseJsonText(text, name);
  return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
}

type Parsed =
  | { kind: 'table'; table: SummaryTable; fromSummary: boolean }
  | { kind: 'rows'; rows: FleetRows }
  | { kind: 'companion'; what: 'manifest' | 'checkpoint'; hash: string };

async function parseFile(file: File, kind: FileKind, name: string): Promise<Parsed> {
  if (kind === 'arrow') {
    const bytes = new Uint8Array(await file.arrayBuffer());
    try {
      return { kind: 'rows', rows: parseFleetArrow(bytes, name) };
    } catch (error) {
      // the Arrow library decoding a user's bytes: its failures are the file's, not the page's
      if (userProblem(error) !== null) throw error;
      throw new JsonTextError([
        `${name}: not a readable Arrow IPC file (${quote(error instanceof Error ? error.message : String(error), 120)})`,
      ]);
    }
  }
  const text = await file.text();
  if (kind === 'csv') return { kind: 'table', table: parseCellsCsv(text, name), fromSummary: false };
  if (kind === 'manifest' || kind === 'checkpoint') {
    const found = companionHash(parseJsonText(text, name), name);
    return { kind: 'companion', what: found.kind, hash: found.hash };
  }
  return { kind: 'table', table: parseSummaryJson(strictJsonText(text, name), name), fromSummary: true };
}

/** Reads `files` and combines them with what is shown (`current`, kept when nothing new is usable). */
export async function openFiles(files: readonly File[], current: Loaded | null): Promise<Opened> {
  const fates = new Map<File, FileFate>();
  const fate = (file: File, f: FileFate['fate'], why: string): void => void fates.set(file, { name: displayPath(file.name), fate: f, why });
  const tables: { file: File; name: string; table: SummaryTable; fromSummary: boolean }[] = [];
  const arrows: { file: File; name: string; rows: FleetRows }[] = [];
  const companions: { file: File; name: string; what: 'manifest' | 'checkpoint'; hash: string }[] = [];

  const total = files.reduce((n, f) => n + f.size, 0);
  if (files.length > 1 && total > MAX_BYTES.total) {
    const why = `the ${files.length} files hold ${formatBytes(total)} in all; the page reads at most ${formatBytes(MAX_BYTES.total)} at once (open fewer per-fleet files, or read them with pandas); nothing was read`;
    const list = files.map((f) => ({ name: displayPath(f.name), fate: 'refused' as const, why }));
    return { loaded: null, files: list, errors: [why] };
  }

  for (const file of files) {
    const name = displayPath(file.name);
    try {
      const parsed = await parseFile(file, checkFile(file.name, file.size, name), name);
      if (parsed.kind === 'rows') arrows.push({ file, name, rows: parsed.rows });
      else if (parsed.kind === 'table') tables.push({ file, name, table: parsed.table, fromSummary: parsed.fromSummary });
      else companions.push({ file, name, what: parsed.what, hash: parsed.hash });
    } catch (error) {
      const problem = userProblem(error);
      const unreadable = readFailure(error);
      if (problem !== null)
        fate(
          file,
          'refused',
          problem
            .split('\n')
            .map((line) => line.replace(`${name}: `, ''))
            .join('; '),
        );
      else if (unreadable !== null) fate(file, 'refused', unreadable);
      else fate(file, 'internal', internalError(error, `reading ${name}`));
    }
  }

  // One table is shown: summary.json before cells.csv (it also holds the latency-change statistics).
  const shown = tables.find((t) => t.fromSummary) ?? tables[0] ?? null;
  if (shown) fate(shown.file, 'opened', 'shown');
  for (const t of tables) {
    if (t === shown) continue;
    const why = tableMismatch(shown!.table, shown!.name, t.table);
    if (why !== null) fate(t.file, 'refused', `${why}; open one sweep's files at a time`);
    else fate(t.file, 'ignored', `the same table as ${shown!.name}, which is shown`);
  }

  // manifest.json and checkpoint.json hold no statistics; with a summary they check its study hash.
  const hash = shown?.table.studyHash ?? '';
  for (const c of companions) {
    if (hash === '')
      fate(c.file, 'ignored', `a sweep's ${c.what} holds no statistics; open summary.json (or cells.csv) of the same directory`);
    else if (c.hash !== hash)
      fate(
        c.file,
        'refused',
        `another study (study hash ${quote(c.hash.slice(0, 12))}, ${shown!.name}'s is ${quote(hash.slice(0, 12))}); the files are not of one sweep directory`,
      );
    else fate(c.file, 'ignored', `holds no statistics; its study hash is ${shown!.name}'s (the same sweep)`);
  }

  // The per-fleet rows: with a table, each file must be its sweep's; alone, they attach to the shown
  // result when they are its sweep's, else they make a result of their own.
  const against = shown
    ? { table: shown.table, name: shown.name }
    : current && !current.downloads
      ? { table: current.table, name: current.sources[0] ?? 'the result shown' }
      : null;
  let accepted = arrows;
  let attach = false;
  if (against && arrows.length > 0) {
    const checked = arrows.map((a) => ({ a, why: rowsMismatch(against.table, a.rows, against.name) }));
    const agree = checked.filter((c) => c.why === null).map((c) => c.a);
    if (shown || agree.length > 0) {
      attach = true;
      accepted = agree;
      for (const c of checked) if (c.why !== null) fate(c.a.file, 'refused', `not the per-fleet rows of ${against.name}: ${c.why}`);
    }
  }
  let rows: FleetRows | null = null;
  if (accepted.length > 0) {
    try {
      rows = concatFleetRows(accepted.map(({ name, rows }) => ({ name, rows })));
      const note = attach
        ? `per-fleet rows of ${against!.name} (checked by axes, cells and means: Arrow files carry no study hash)`
        : against
          ? `shown as a result of their own: not the per-fleet rows of ${against.name} (${rowsMismatch(against.table, accepted[0]!.rows, against.name)})`
          : 'shown';
      for (const a of accepted) fate(a.file, 'opened', note);
    } catch (error) {
      const problem = userProblem(error) ?? internalError(error, 'combining the Arrow files');
      for (const a of accepted) fate(a.file, userProblem(error) !== null ? 'refused' : 'internal', problem);
    }
  }

  const arrowSource = rows ? `${accepted.length} Arrow file${accepted.length === 1 ? '' : 's'}` : null;
  let loaded: Loaded | null = null;
  if (shown)
    loaded = { table: shown.table, rows, sources: [shown.name, ...(arrowSource ? [arrowSource] : [])], perAgent: shown.fromSummary };
  else if (rows && attach && current) {
    loaded = { ...current, rows, sources: [...current.sources.filter((s) => !/Arrow file/.test(s)), arrowSource!] };
  } else if (rows) {
    try {
      loaded = {
        table: summaryFromFleetRows(rows, accepted.length === 1 ? accepted[0]!.name : `${accepted.length} per-fleet files`),
        rows,
        sources: [arrowSource!],
      };
    } catch (error) {
      const problem = userProblem(error);
      for (const a of accepted)
        fate(a.file, problem !== null ? 'refused' : 'internal', problem ?? internalError(error, 'summarising the Arrow files'));
    }
  }
  const list = files.map(
    (f) => fates.get(f) ?? { name: displayPath(f.name), fate: 'internal' as const, why: internalError('no fate', 'opening the files') },
  );
  return {
    loaded,
    files: list,
    errors: list.filter((f) => f.fate === 'refused' || f.fate === 'internal').map((f) => `${f.name}: ${f.why}`),
  };
}
