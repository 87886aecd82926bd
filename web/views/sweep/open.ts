/**
 * Opening result files (the file picker and drag-and-drop): each file is checked by name and size
 * before a byte is read, then parsed; a bad file gives a message and is skipped, the good ones load.
 * Per-fleet Arrow files opened alone attach to the shown result when they have its axes, otherwise
 * they make a result of their own (src/stats accumulators over their rows).
 */
import { parseCellsCsv } from '../../../src/results/cellsCsv.js';
import { InputError } from '../../../src/results/errors.js';
import { concatFleetRows, type FleetRows, parseFleetArrow } from '../../../src/results/fleetRows.js';
import { parseSummaryJson, type SummaryTable } from '../../../src/results/tables.js';
import { checkFile } from './files.js';
import { summaryFromFleetRows } from './fleetRows.js';
import type { Loaded } from './results.js';

export interface Opened {
  loaded: Loaded | null; // null: nothing usable among the files
  errors: string[];
}

/** Reads `files` and combines them with what is shown (`current`, kept when nothing new is usable). */
export async function openFiles(files: readonly File[], current: Loaded | null): Promise<Opened> {
  const errors: string[] = [];
  let table: { table: SummaryTable; name: string; fromSummary: boolean } | null = null;
  const arrows: { name: string; rows: FleetRows }[] = [];
  for (const file of files) {
    try {
      const kind = checkFile(file.name, file.size);
      if (kind === 'arrow') arrows.push({ name: file.name, rows: parseFleetArrow(new Uint8Array(await file.arrayBuffer()), file.name) });
      else if (kind === 'csv') {
        // summary.json has everything cells.csv has, and the latency-change statistics too
        if (!table?.fromSummary) table = { table: parseCellsCsv(await file.text(), file.name), name: file.name, fromSummary: false };
      } else table = { table: parseSummaryJson(await file.text(), file.name), name: file.name, fromSummary: true };
    } catch (error) {
      errors.push(
        error instanceof InputError
          ? error.message
          : `${file.name}: could not be read (${error instanceof Error ? error.message : String(error)})`,
      );
    }
  }
  let rows: FleetRows | null = null;
  if (arrows.length > 0) {
    try {
      rows = concatFleetRows(arrows);
    } catch (error) {
      errors.push((error as Error).message);
    }
  }
  const arrowSource = rows ? `${arrows.length} Arrow file${arrows.length === 1 ? '' : 's'}` : null;
  if (table) {
    return { loaded: { table: table.table, rows, sources: [table.name, ...(arrowSource ? [arrowSource] : [])] }, errors };
  }
  if (rows) {
    const axes = rows.axes.map((a) => a.name).join(',');
    if (current && current.table.axes.map((a) => a.name).join(',') === axes && !current.downloads) {
      return { loaded: { ...current, rows, sources: [...current.sources.filter((s) => !/Arrow file/.test(s)), arrowSource!] }, errors };
    }
    try {
      return {
        loaded: {
          table: summaryFromFleetRows(rows, arrows.length === 1 ? arrows[0]!.name : `${arrows.length} per-fleet files`),
          rows,
          sources: [arrowSource!],
        },
        errors,
      };
    } catch (error) {
      errors.push((error as Error).message);
    }
  }
  return { loaded: null, errors };
}
