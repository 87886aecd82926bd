/**
 * The Sweep view's stability flags: a banner above the charts listing every cell whose results depend
 * on run length — the sweep's own sentences (CellSummary.warnings, verbatim) — and, for files made
 * before those sentences existed (or cells.csv), the fraction of unstable fleet runs from the run
 * metric `unstable`. Never hidden behind a control: a user reading any chart of the sweep sees it.
 */
import type { SummaryTable } from '../../../src/results/tables.js';
import type { CellSummary } from '../../../src/sweep/aggregate.js';
import { el } from '../../lib/dom.js';
import { unstableMark } from './format.js';
import { unstableFraction } from './select.js';

/** Banner lines shown before the rest are folded under "more". */
const SHOWN = 12;

/** One flagged sentence of a cell: the sweep's warning verbatim (`own`: false) or the page's line from `unstable`. */
export interface CellFlag {
  cell: CellSummary;
  text: string;
  own: boolean;
}

/** The flags of every cell: the summary's warnings; without any (an older file), the policies with unstable fleet runs. */
export function cellFlags(table: SummaryTable): CellFlag[] {
  if (table.cells.some((c) => (c.warnings ?? []).length > 0)) {
    return table.cells.flatMap((cell) => (cell.warnings ?? []).map((text) => ({ cell, text, own: false })));
  }
  return table.cells.flatMap((cell) =>
    table.policies.flatMap((policy) => {
      const f = unstableFraction(cell, policy);
      return f !== null && f > 0
        ? [{ cell, text: `${policy}: ${unstableMark(f)} (a queue grows through the run): its results depend on run length.`, own: true }]
        : [];
    }),
  );
}

/** The banner, or null when no cell is flagged. */
export function stabilityBanner(table: SummaryTable, cellLabel: (cell: CellSummary) => string): HTMLElement | null {
  const flags = cellFlags(table);
  if (flags.length === 0) return null;
  const cells = new Set(flags.map((f) => f.cell.cell)).size;
  const item = (f: CellFlag): HTMLElement =>
    el(
      'li',
      { 'data-cell': f.cell.cell },
      el('span', { class: 'flag-cell' }, `cell ${f.cell.cell} (${cellLabel(f.cell)}): `),
      el('span', { class: 'flag-text' }, f.text),
    );
  const list = el('ul', {}, ...flags.slice(0, SHOWN).map(item));
  const more =
    flags.length > SHOWN
      ? el('details', {}, el('summary', {}, `${flags.length - SHOWN} more`), el('ul', {}, ...flags.slice(SHOWN).map(item)))
      : null;
  return el(
    'section',
    { class: 'stability-banner', role: 'alert', 'data-flags': flags.length, 'data-cells': cells },
    el(
      'p',
      {},
      el('strong', {}, `Results depend on run length in ${cells} of ${table.cells.length} cell(s).`),
      ' A queue grows through the run there: the means (and which policy wins) change with the number of steps, however tight their intervals. Hollow markers and the tables mark these cells.',
    ),
    list,
    more,
  );
}
