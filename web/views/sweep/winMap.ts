/**
 * The Sweep view's pair win map: for the chosen policies a and b (any two of the study's) and a metric
 * with paired verdicts, the fraction of a cell's paired fleet runs in which a beat b, laid out over two
 * axes (the winner grid's) as a heat map — a's colour where a wins more often, b's where b does, the
 * stronger the larger the margin — with each cell's verdict sentence, verbatim, in its title and in
 * the list under it. Built from summary.json's `verdicts` only (their aWins, bWins, ties and n: the
 * same paired runs the sentence counts), so the map and the text cannot disagree.
 *
 * @example
 *   root.append(winMap(table, 'static', 'adaptive', 'avgLatency', 'fleet.random.load', undefined, fixed));
 */
import type { SummaryTable } from '../../../src/results/tables.js';
import type { CellSummary, Verdict } from '../../../src/sweep/aggregate.js';
import { policyColor } from '../../lib/charts.js';
import { el } from '../../lib/dom.js';
import { pct } from './format.js';
import { axisOrder, cellsWhere, verdictBetween } from './select.js';

/** A cell's paired record of a against b on one metric, oriented as the page's pair (a, b). */
export interface PairWins {
  aWins: number; // paired fleet runs where a's value was the better one (beyond the tie tolerance)
  bWins: number;
  ties: number;
  n: number;
  /** aWins / n, null without paired runs. */
  aFraction: number | null;
  bFraction: number | null;
  /** The verdict it comes from (its sentence is shown verbatim). */
  verdict: Verdict;
}

/** The metrics with paired verdicts in the table, in the order the cells list them (avgLatency, throughput, cost, …). */
export function verdictMetrics(table: SummaryTable): string[] {
  const seen: string[] = [];
  for (const cell of table.cells) for (const v of cell.verdicts ?? []) if (!seen.includes(v.metric)) seen.push(v.metric);
  return seen;
}

/** The paired wins of a over b on `metric` in one cell, from its verdict (either order); null without one. */
export function pairWins(cell: CellSummary | undefined, metric: string, a: string, b: string): PairWins | null {
  const v = verdictBetween(cell, metric, a, b);
  if (!v) return null;
  const forward = v.a === a;
  const aWins = forward ? v.aWins : v.bWins;
  const bWins = forward ? v.bWins : v.aWins;
  return {
    aWins,
    bWins,
    ties: v.ties,
    n: v.n,
    aFraction: v.n > 0 ? aWins / v.n : null,
    bFraction: v.n > 0 ? bWins / v.n : null,
    verdict: v,
  };
}

/** `#rrggbb` with an alpha byte for a margin in [0, 1]: from faint (a near tie) to strong (one side always wins). */
const shade = (color: string, margin: number): string =>
  `${color.slice(0, 7)}${Math.round(0x18 + (0xb0 - 0x18) * Math.min(1, Math.max(0, margin)))
    .toString(16)
    .padStart(2, '0')}`;

/**
 * The win map of a over b on `metric` over gx (columns) × gy (rows), the other axes held at `fixed`;
 * a note in place of the map when the table has no verdict on the metric for the pair.
 */
export function winMap(
  table: SummaryTable,
  a: string,
  b: string,
  metric: string,
  gx: string | undefined,
  gy: string | undefined,
  fixed: Readonly<Record<string, number | string>>,
  cellLabel: (cell: CellSummary) => string,
): HTMLElement {
  const xs = gx === undefined ? [''] : axisOrder(table.axes.find((x) => x.name === gx)!.values);
  const ys = gy === undefined ? [''] : axisOrder(table.axes.find((x) => x.name === gy)!.values);
  const cells = cellsWhere(table, fixed, [gx ?? '', gy ?? '']);
  const section = el('section', { class: 'winmap-block', id: 'win-map', 'data-a': a, 'data-b': b, 'data-metric': metric });
  const heading = el('h4', {}, `${a} against ${b} on ${metric}: the fraction of paired fleet runs each wins`);
  if (!cells.some((cell) => pairWins(cell, metric, a, b))) {
    section.append(
      heading,
      el(
        'p',
        { class: 'note' },
        `No paired verdict on ${metric} between ${a} and ${b} in these cells: the win map reads summary.json's verdicts (a run made in this page has them; cells.csv and the per-fleet files alone do not).`,
      ),
    );
    return section;
  }
  const grid = el('table', { class: 'data winmap', tabindex: 0 });
  grid.createCaption().textContent = `Win map: ${a} wins / ${b} wins (ties the rest) on ${metric}, per cell${gx ? ` over ${gx}` : ''}${gy ? ` × ${gy}` : ''}`;
  const head = grid.createTHead().insertRow();
  head.append(el('th', { scope: 'col' }, gy && gx ? `${gy} \\ ${gx}` : (gx ?? '')));
  for (const x of xs) head.append(el('th', { scope: 'col' }, String(x)));
  const body = grid.createTBody();
  const texts: HTMLElement[] = [];
  const colorA = policyColor(a, table.policies.indexOf(a));
  const colorB = policyColor(b, table.policies.indexOf(b));
  for (const y of ys) {
    const tr = body.insertRow();
    tr.append(el('th', { scope: 'row' }, String(y)));
    for (const x of xs) {
      const cell = cells.find(
        (c) => (gx === undefined || String(c.values[gx]) === String(x)) && (gy === undefined || String(c.values[gy]) === String(y)),
      );
      const td = tr.insertCell();
      const wins = pairWins(cell, metric, a, b);
      if (!cell || !wins || wins.aFraction === null || wins.bFraction === null) {
        td.textContent = '–';
        continue;
      }
      const margin = wins.aFraction - wins.bFraction; // > 0: a wins more often
      td.textContent = `${pct(wins.aFraction)} / ${pct(wins.bFraction)}`;
      td.dataset.cell = String(cell.cell);
      td.dataset.aFraction = String(wins.aFraction);
      td.dataset.winner = wins.verdict.winner ?? '';
      td.style.background = margin === 0 ? 'transparent' : shade(margin > 0 ? colorA : colorB, Math.abs(margin));
      if (wins.verdict.winner === null) td.textContent = `≈ ${td.textContent}`;
      if (wins.verdict.unstable) td.textContent = `⚠ ${td.textContent}`;
      td.title = `cell ${cell.cell}: ${wins.verdict.text}`;
      texts.push(
        el('li', { class: 'verdict-text', 'data-cell': cell.cell }, `cell ${cell.cell} (${cellLabel(cell)}): ${wins.verdict.text}`),
      );
    }
  }
  section.append(
    heading,
    grid,
    el(
      'p',
      { class: 'legend' },
      el('span', { class: 'swatch', style: `background:${shade(colorA, 1)}` }, `${a} wins more often`),
      ' ',
      el('span', { class: 'swatch', style: `background:${shade(colorB, 1)}` }, `${b} wins more often`),
    ),
    el(
      'p',
      { class: 'note' },
      '≈: the paired difference’s 95 % interval includes 0 (no winner); ⚠: results depend on run length. The verdicts, verbatim:',
    ),
    el('ol', { class: 'winmap-verdicts' }, ...texts),
  );
  return section;
}
