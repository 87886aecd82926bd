/**
 * The results half of the Sweep view: controls (metric, axes, fixed values, policy pair) whose
 * choices live in the URL hash, the charts (metric against an axis with 95 % bands, the per-fleet
 * latency-change histogram and CDF, which policy wins over two axes) and keyboard-accessible tables.
 * Everything from a file reaches the page through text nodes.
 *
 * A banner above the charts lists the cells whose results depend on run length (stability.ts); the
 * winner map rests on the paired verdicts; one cell is shown in detail (detail.ts: verdicts, per agent).
 *
 * Hash keys: m (metric), x (axis of the line chart), gx/gy (axes of the winner grid and the win map),
 * pa/pb (the pair), wm (the win map's metric), dc (cell of the distribution, or `all`), at.<axis>
 * (value of an axis held fixed), c (the cell in detail), am (the per-agent chart's metric).
 *
 * The pair (pa, pb: any two of the study's policies) also has its win map (winMap.ts): the fraction of
 * paired fleet runs each wins per cell on a metric with verdicts, with the verdicts' sentences.
 *
 * The chosen metric's meaning (RUN_METRIC_INFO's `about`) stands under the controls; the picker marks
 * a metric undefined in every run (forkParents without a fork-join); a workflow study (requests in
 * flight somewhere) opens on its end-to-end latency, e2eLatency.
 */
import { OPTIONAL_METRICS, type RunMetric } from '../../../src/model/metrics.js';
import type { SummaryTable } from '../../../src/results/tables.js';
import type { StatSummary } from '../../../src/stats/index.js';
import { AGENT_METRICS, type AgentMetric } from '../../../src/sweep/aggregate.js';
import { destroyCharts, lineChart, policyColor, type SeriesSpec } from '../../lib/charts.js';
import { seriesStyle } from '../../lib/chartLayout.js';
import { dataTable, el, revokeBlobLinks } from '../../lib/dom.js';
import type { ViewState } from '../../lib/url.js';
import { cellDetail, roundRobinNote } from './detail.js';
import { type FleetRows, latencyChanges } from './fleetRows.js';
import { fmt, meanCi, pct, unstableMark } from './format.js';
import {
  axisOrder,
  cellsWhere,
  ecdf,
  fixedValue,
  histogram,
  logAxis,
  logValues,
  mapCell,
  METRIC_INFO,
  UNDEFINED_STAT,
  metricAbout,
  metricAlong,
  metricTitle,
  routedTable,
  undefinedEverywhere,
  undefinedWhy,
  unstableFraction,
  verdictBetween,
  verdictChange,
  verdictsOf,
} from './select.js';
import { stabilityBanner } from './stability.js';
import { verdictMetrics, winMap } from './winMap.js';
import { tradeoffData, tradeoffFigure } from './tradeoff.js';

export interface Loaded {
  table: SummaryTable;
  rows: FleetRows | null;
  sources: string[]; // what it was read from, for the status line
  /** The table is a summary.json or a run in the page: per-agent statistics wherever the fleet is fixed (cells.csv and per-fleet rows have none). */
  perAgent?: boolean;
  /** Downloads offered with a run made in the page (summary.json, cells.csv). */
  downloads?: { name: string; text: string; type: string }[];
}

function select(
  label: string,
  key: string,
  options: readonly (readonly [string, string])[],
  value: string,
  onChange: (v: string) => void,
): HTMLElement {
  const control = el('select', { name: key, 'data-key': key });
  for (const [v, text] of options) control.append(el('option', { value: v, selected: v === value }, text));
  control.addEventListener('change', () => onChange(control.value));
  return el('label', {}, label, control);
}

/** The view's choices, read from the hash and repaired against the table (a stale link still works). */
function choices(table: SummaryTable, state: ViewState) {
  const axes = table.axes.map((a) => a.name);
  const pick = (key: string, allowed: readonly string[], fallback: string | undefined): string | undefined => {
    const v = state.get(key);
    return v !== undefined && allowed.includes(v) ? v : fallback;
  };
  // A workflow study opens on its end-to-end latency (the latency its users feel), any other on avgLatency.
  const first = routedTable(table) && table.metrics.includes('e2eLatency') ? 'e2eLatency' : 'avgLatency';
  const metric = pick('m', table.metrics, table.metrics.includes(first) ? first : table.metrics[0])!;
  const x = pick('x', axes, axes[0]);
  const gx = pick('gx', axes, axes[0]);
  const gy = pick(
    'gy',
    axes.filter((a) => a !== gx),
    axes.find((a) => a !== gx),
  );
  const adaptive = table.policies.includes('adaptive') ? 'adaptive' : table.policies[table.policies.length - 1]!;
  const pa = pick('pa', table.policies, table.policies.find((p) => p !== adaptive) ?? table.policies[0])!;
  const pb = pick(
    'pb',
    table.policies.filter((p) => p !== pa),
    table.policies.find((p) => p !== pa && p === adaptive) ?? table.policies.find((p) => p !== pa),
  );
  const fixed = Object.fromEntries(axes.map((a) => [a, fixedValue(table, a, state.get(`at.${a}`))]));
  const dc = state.get('dc') ?? 'all';
  // the cell in detail: the chosen one, else the cell at the fixed values (the line chart's)
  const atFixed = cellsWhere(table, fixed, [])[0] ?? table.cells[0];
  const detail = table.cells.find((cell) => String(cell.cell) === state.get('c')) ?? atFixed;
  const am = (AGENT_METRICS as readonly string[]).includes(state.get('am') ?? '') ? (state.get('am') as AgentMetric) : 'latency';
  // The win map's metric: one with paired verdicts (the chart's metric when it has them).
  const judged = verdictMetrics(table);
  const wm = pick('wm', judged, judged.includes(metric) ? metric : judged.includes('avgLatency') ? 'avgLatency' : judged[0]);
  return { metric, x, gx, gy, pa, pb, wm, judged, fixed, dc, detail, am };
}

/** Ends what a rendering holds beyond its DOM (uPlot charts, the downloads' blob: URLs). */
export function releaseResults(root: HTMLElement): void {
  destroyCharts(root);
  revokeBlobLinks(root);
}

/** Renders `loaded` into `root` (replacing what was there, released first); controls re-render it. */
export function renderResults(root: HTMLElement, loaded: Loaded, state: ViewState): void {
  releaseResults(root);
  const { table } = loaded;
  const c = choices(table, state);
  const rerender = (values: Record<string, string | undefined>): void => {
    state.set(values);
    renderResults(root, loaded, state);
  };
  const fleetRuns = table.cells.reduce((n, cell) => n + cell.fleetRuns, 0);
  const shape = table.axes.map((a) => `${a.values.length} ${a.name}`).join(' × ') || 'no axes';
  const heading = el(
    'p',
    { class: 'loaded', 'data-cells': table.cells.length },
    el('strong', {}, table.study || '(unnamed study)'),
    ` — ${table.cells.length} cell(s) (${shape}), ${table.policies.join(' / ')}, ${fleetRuns.toLocaleString('en')} fleet runs; from ${loaded.sources.join(', ')}`,
    loaded.rows ? ` (${loaded.rows.count.toLocaleString('en')} per-fleet rows)` : '',
  );
  const downloads = (loaded.downloads ?? []).map((d) => {
    const link = el(
      'a',
      { download: d.name, href: URL.createObjectURL(new Blob([d.text], { type: d.type })), 'data-download': d.name },
      `download ${d.name}`,
    );
    return link;
  });

  // ---- controls
  const axisOptions = table.axes.map((a) => [a.name, a.name] as const);
  const controls = el('form', { class: 'params', 'aria-label': 'what the charts show' });
  controls.addEventListener('submit', (e) => e.preventDefault());
  controls.append(
    select(
      'metric',
      'm',
      table.metrics.map((m) => [m, `${metricTitle(m)}${undefinedEverywhere(table, m) ? ' — undefined in every run' : ''}`] as const),
      c.metric,
      (v) => rerender({ m: v }),
    ),
  );
  const about = metricAbout(c.metric);
  if (c.x !== undefined) controls.append(select('x axis', 'x', axisOptions, c.x, (v) => rerender({ x: v })));
  for (const axis of table.axes) {
    const values = axisOrder(axis.values).map((v) => [String(v), String(v)] as const);
    controls.append(
      select(`${axis.name} (when fixed)`, `at.${axis.name}`, values, String(c.fixed[axis.name]), (v) =>
        rerender({ [`at.${axis.name}`]: v }),
      ),
    );
  }
  const policyOptions = table.policies.map((p) => [p, p] as const);
  controls.append(select('policy a', 'pa', policyOptions, c.pa, (v) => rerender({ pa: v, pb: v === c.pb ? c.pa : c.pb })));
  if (c.pb !== undefined)
    controls.append(
      select(
        'policy b',
        'pb',
        policyOptions.filter(([p]) => p !== c.pa),
        c.pb,
        (v) => rerender({ pb: v }),
      ),
    );
  if (c.wm !== undefined)
    controls.append(
      select(
        'win map metric',
        'wm',
        c.judged.map((m) => [m, metricTitle(m)] as const),
        c.wm,
        (v) => rerender({ wm: v }),
      ),
    );
  if (c.gx !== undefined)
    controls.append(select('grid columns', 'gx', axisOptions, c.gx, (v) => rerender({ gx: v, gy: v === c.gy ? c.gx : c.gy })));
  if (c.gy !== undefined)
    controls.append(
      select(
        'grid rows',
        'gy',
        axisOptions.filter(([a]) => a !== c.gx),
        c.gy,
        (v) => rerender({ gy: v }),
      ),
    );
  const cellOptions: [string, string][] = [
    ['all', 'all cells'],
    ...table.cells
      .slice(0, 500)
      .map((cell) => [String(cell.cell), `cell ${cell.cell}: ${cellLabel(table, cell.values)}`] as [string, string]),
  ];
  controls.append(
    select('distribution over', 'dc', cellOptions, cellOptions.some(([v]) => v === c.dc) ? c.dc : 'all', (v) => rerender({ dc: v })),
  );
  if (c.detail) controls.append(select('cell in detail', 'c', cellOptions.slice(1), String(c.detail.cell), (v) => rerender({ c: v })));

  // ---- charts
  const charts = el('div', { class: 'charts' });
  const notes: string[] = [];
  if (c.x !== undefined) {
    const figure = metricFigure(table, c.metric, c.x, c.fixed);
    if (figure) charts.append(figure);
    else notes.push(`No line chart of ${c.metric}: it is undefined in every run of these cells (${undefinedWhy(c.metric)}).`);
  }
  if (c.pb !== undefined) {
    const distribution = changeFigures(loaded, c.pa, c.pb, c.dc);
    charts.append(...distribution.figures);
    if (distribution.note) notes.push(distribution.note);
  }
  const held = (free: readonly string[]): string =>
    table.axes
      .filter((a) => !free.includes(a.name))
      .map((a) => `${a.name} = ${String(c.fixed[a.name])}`)
      .join(', ');
  // A study with a keep-alive axis: cost against latency as K varies (the serverless lifecycle's trade-off).
  const tradeoff = tradeoffData(table, c.fixed);
  const tradeoffNode = tradeoff ? tradeoffFigure(tradeoff, held([tradeoff.axis])) : null;
  const banner = stabilityBanner(table, (cell) => cellLabel(table, cell.values));
  const rr = c.metric === 'avgLatency' ? roundRobinNote(table, c.detail) : null;
  root.replaceChildren(
    heading,
    ...(downloads.length > 0 ? [el('p', { class: 'downloads' }, ...downloads.flatMap((d, i) => (i === 0 ? [d] : [' · ', d])))] : []),
    controls,
    ...(about !== undefined ? [el('p', { class: 'note metric-about', id: 'metric-about' }, `${c.metric}: ${about}.`)] : []),
    ...(banner ? [banner] : []),
    ...(c.x !== undefined && held([c.x]) ? [el('p', { class: 'note' }, `The line chart holds ${held([c.x])}.`)] : []),
    charts,
    ...notes.map((n) => el('p', { class: 'note' }, n)),
    ...(tradeoffNode ? [tradeoffNode] : []),
    winnerGrid(table, c.metric, c.gx, c.gy, c.fixed),
    ...(c.gx !== undefined && held([c.gx, c.gy ?? '']) ? [el('p', { class: 'note' }, `The grid holds ${held([c.gx, c.gy ?? ''])}.`)] : []),
    ...(c.pb !== undefined ? [pairTable(table, c.pa, c.pb)] : []),
    ...(c.pb !== undefined && c.wm !== undefined
      ? [winMap(table, c.pa, c.pb, c.wm, c.gx, c.gy, c.fixed, (cell) => cellLabel(table, cell.values))]
      : []),
    ...(c.detail
      ? [
          cellDetail(table, loaded.perAgent === true, c.detail, c.metric, cellLabel(table, c.detail.values), c.am, (m) =>
            rerender({ am: m === 'latency' ? undefined : m }),
          ),
        ]
      : []),
    cellTable(table, c.metric),
    ...(rr ? [el('p', { class: 'note rr-note' }, rr)] : []),
  );
}

const cellLabel = (table: SummaryTable, values: Readonly<Record<string, number | string>>): string =>
  table.axes.map((a) => `${a.name} = ${String(values[a.name])}`).join(', ') || 'the only cell';

/**
 * The metric along axis x per policy, or null when no cell there has a value of it (an IDC undefined
 * in every run). Each policy: its mean with markers (a line on a numeric axis, points dodged apart on a
 * label axis) and its 95 % interval (a shaded band, or whiskers); a hollow marker where some of the
 * cell's fleet runs have a growing queue.
 */
function metricFigure(table: SummaryTable, metric: string, x: string, fixed: Record<string, number | string>): HTMLElement | null {
  const line = metricAlong(table, metric, x, fixed);
  if (line.series.every((s) => s.mean.every((m) => m === null))) return null;
  const info = METRIC_INFO[metric];
  const series: SeriesSpec[] = line.series.flatMap((s, i): SeriesSpec[] => {
    const color = policyColor(s.policy, i);
    const style = seriesStyle(i);
    return [
      { label: `${s.policy} 95 % low`, color, bound: true },
      { label: `${s.policy} 95 % high`, color, bound: true },
      {
        label: s.policy,
        color,
        markers: true,
        dash: style.dash,
        shape: style.shape,
        interval: [3 * i, 3 * i + 1],
        hollow: s.unstable.map((f) => f !== null && f > 0),
        hollowMeans: 'a queue grows in some runs',
      },
    ];
  });
  const axis = table.axes.find((a) => a.name === x)!;
  const logY = logValues(line.series.flatMap((s) => [...s.mean, ...s.low]));
  const unstable = line.series.some((s) => s.unstable.some((f) => f !== null && f > 0));
  return lineChart({
    title: `${metric} against ${x}: mean over fleet runs and 95 % interval per policy${unstable ? ' (hollow: results depend on run length)' : ''}`,
    x: { label: x, ...(line.ticks ? { categories: line.ticks } : { log: logAxis(axis.values) }) },
    y: { label: `${info ? `${info.label} (${info.unit})` : metric}${logY ? ', log scale' : ''}`, log: logY },
    series,
    data: [line.x, ...line.series.flatMap((s) => [s.low, s.high, s.mean])],
    width: 'fill',
    height: 320,
  });
}

/** The histogram and CDF of (latency_b − latency_a)/latency_a: exact from per-fleet rows, else the summary's quantiles. */
function changeFigures(loaded: Loaded, a: string, b: string, dc: string): { figures: HTMLElement[]; note?: string } {
  const { table, rows } = loaded;
  const cell = table.cells.find((x) => String(x.cell) === dc);
  const where = cell ? `cell ${cell.cell} (${cellLabel(table, cell.values)})` : 'all cells';
  const xLabel = `(latency ${b} − latency ${a}) / latency ${a} (%)`;
  if (rows && rows.metrics.avgLatency) {
    const values = latencyChanges(rows, a, b, cell ? new Set([cell.cell]) : undefined);
    if (values.length === 0) return { figures: [], note: `The per-fleet rows hold no fleet run with both ${a} and ${b} in ${where}.` };
    const h = histogram(values);
    const cdf = ecdf(values, 400, true);
    const color = policyColor(b);
    const outside =
      h.below + h.above > 0 ? `; the charts draw the quartiles ± 3 interquartile ranges, ${h.below} lie below and ${h.above} above` : '';
    return {
      figures: [
        lineChart({
          title: `Per-fleet latency change, ${b} against ${a}: histogram over ${where}`,
          x: { label: xLabel },
          y: { label: 'fleet runs' },
          series: [{ label: 'fleet runs', color }],
          data: [h.centers.map((v) => 100 * v), h.counts],
          bars: true,
          width: 'fill',
          height: 240,
        }),
        lineChart({
          title: `Per-fleet latency change, ${b} against ${a}: CDF over ${where}`,
          x: { label: xLabel },
          y: { label: 'fraction of fleet runs ≤ x' },
          series: [{ label: 'fraction', color }],
          data: [cdf.x.map((v) => 100 * v), cdf.p],
          width: 'fill',
          height: 240,
        }),
      ],
      note: `Latency change from ${values.length.toLocaleString('en')} per-fleet pairs${outside}. Negative: ${b} is faster.`,
    };
  }
  // Summary only: the pair's quantiles (DDSketch, ±0.5 %) of one cell, in the orientation the sweep stored.
  const target = cell ?? table.cells[0];
  const pair = target?.pairs.find((p) => (p.a === a && p.b === b) || (p.a === b && p.b === a));
  const s: StatSummary | null | undefined = pair?.latencyChange;
  if (!target || !pair || !s) {
    return {
      figures: [],
      note: `No latency-change distribution for ${a} and ${b}: open the sweep's summary.json or its fleets/unit-*.arrow files (output.fleetRows) for it.`,
    };
  }
  // min to p99: the maximum of a heavy tail would squash the rest (it is given in the note)
  const points: [number, number][] = [
    [s.min, 0],
    [s.p50, 0.5],
    [s.p90, 0.9],
    [s.p99, 0.99],
  ];
  return {
    figures: [
      lineChart({
        title: `Latency change, ${pair.b} against ${pair.a}: CDF through the summary's quantiles, cell ${target.cell}`,
        x: { label: `(latency ${pair.b} − latency ${pair.a}) / latency ${pair.a} (%)` },
        y: { label: 'fraction of fleet runs ≤ x' },
        series: [{ label: 'quantile', color: policyColor(pair.b), points: true }],
        data: [points.map(([x]) => 100 * x), points.map(([, p]) => p)],
        width: 'fill',
        height: 240,
      }),
    ],
    note: `From summary.json only: min, p50, p90 and p99 of cell ${target.cell} (mean ${pct(s.mean)}, max ${pct(s.max)}). Open the sweep's fleets/unit-*.arrow files for the histogram and the full CDF.`,
  };
}

/**
 * Which policy has the best mean of `metric` in each cell of the grid gx × gy (keyboard-accessible,
 * coloured). ≈ marks a cell whose paired verdict against the runner-up has no winner (the 95 % CI of
 * the paired difference includes 0); hovering a cell shows the verdicts verbatim. ⚠ marks a cell whose
 * result depends on run length. Files without verdicts fall back to the means' unpaired intervals.
 */
function winnerGrid(
  table: SummaryTable,
  metric: string,
  gx: string | undefined,
  gy: string | undefined,
  fixed: Record<string, number | string>,
): HTMLElement {
  const better = METRIC_INFO[metric]?.better ?? 'lower';
  const xs = gx === undefined ? [''] : axisOrder(table.axes.find((a) => a.name === gx)!.values);
  const ys = gy === undefined ? [''] : axisOrder(table.axes.find((a) => a.name === gy)!.values);
  const cells = cellsWhere(table, fixed, [gx ?? '', gy ?? '']);
  const paired = cells.some((cell) => verdictsOf(cell, metric).length > 0);
  const grid = el('table', { class: 'data winners', tabindex: 0, 'data-metric': metric, 'data-paired': paired });
  grid.createCaption().textContent = `Which policy wins on ${metric} (${better} is better)${gx ? ` over ${gx}` : ''}${gy ? ` × ${gy}` : ''}`;
  const key = el(
    'p',
    { class: 'note grid-key' },
    paired
      ? '≈: no winner — the paired difference with the runner-up (on the same fleet runs) has a 95 % interval that includes 0. Hover a cell for the verdicts. '
      : '≈: the runner-up’s 95 % interval overlaps the winner’s (unpaired: this file has no paired verdicts for this metric). ',
    '⚠ (dashed outline): results depend on run length.',
  );
  const head = grid.createTHead().insertRow();
  head.append(el('th', { scope: 'col' }, gy && gx ? `${gy} \\ ${gx}` : (gx ?? '')));
  for (const x of xs) head.append(el('th', { scope: 'col' }, String(x)));
  const body = grid.createTBody();
  for (const y of ys) {
    const tr = body.insertRow();
    tr.append(el('th', { scope: 'row' }, String(y)));
    for (const x of xs) {
      const cell = cells.find(
        (c) => (gx === undefined || String(c.values[gx]) === String(x)) && (gy === undefined || String(c.values[gy]) === String(y)),
      );
      const w = cell ? mapCell(cell, metric) : null;
      const td = tr.insertCell();
      if (!w) {
        td.textContent = cell ? UNDEFINED_STAT : '–'; // a cell whose runs all leave the metric undefined: —
        if (cell) td.title = `cell ${cell.cell}: ${metric} is undefined in every run (${undefinedWhy(metric)})`;
        continue;
      }
      const unstable = w.unstable || table.policies.some((p) => (unstableFraction(cell, p) ?? 0) > 0);
      const color = policyColor(w.policy, table.policies.indexOf(w.policy));
      td.textContent = `${unstable ? '⚠ ' : ''}${w.unresolved ? '≈ ' : ''}${w.policy} ${fmt(w.mean)}`;
      td.dataset.policy = w.policy;
      td.dataset.resolved = String(!w.unresolved);
      if (unstable) td.dataset.unstable = 'true';
      td.style.background = `${color}${w.unresolved ? '33' : '77'}`;
      const why =
        w.texts.length > 0
          ? w.texts.join('\n')
          : `${w.policy} has the ${better === 'lower' ? 'lowest' : 'highest'} mean ${metric}${w.unresolved ? ', within the runner-up’s 95 % interval' : ''}`;
      td.title = `cell ${cell!.cell}: ${why}${unstable ? '\nResults depend on run length in this cell (see the banner).' : ''}`;
    }
  }
  const legend = el(
    'p',
    { class: 'legend' },
    ...table.policies.map((p, i) => el('span', { class: 'swatch', style: `background:${policyColor(p, i)}77` }, p)),
  );
  return el('div', { class: 'grid' }, grid, legend, key);
}

/**
 * Policies a and b on the same fleet runs, per cell: who has the lower avgLatency, and the change of b
 * against a from the paired verdict — relative only where the verdict gives one (its baseline away
 * from zero), else the absolute difference with its unit (a relative change near a zero baseline
 * explodes). Files without verdicts give the difference of the means.
 */
function pairTable(table: SummaryTable, a: string, b: string): HTMLTableElement {
  const rows = table.cells.slice(0, 500).map((cell) => {
    const pair = cell.pairs.find((p) => (p.a === a && p.b === b) || (p.a === b && p.b === a));
    if (!pair) return [String(cell.cell), cellLabel(table, cell.values), '–', '–', '–', '–'];
    const forward = pair.a === a;
    const aWins = forward ? pair.aWinFraction : pair.bWinFraction;
    const bWins = forward ? pair.bWinFraction : pair.aWinFraction;
    const ties = pair.n > 0 ? pair.ties / pair.n : null;
    const verdict = verdictBetween(cell, 'avgLatency', a, b);
    const meanOf = (p: string): number | undefined => cell.policies.find((x) => x.policy === p)?.metrics.avgLatency?.mean;
    const [ma, mb] = [meanOf(a), meanOf(b)];
    const change = verdict
      ? verdictChange(verdict, a, b)
      : ma !== undefined && mb !== undefined
        ? `${b} − ${a} = ${mb - ma >= 0 ? '+' : '−'}${fmt(Math.abs(mb - ma))} s`
        : '–';
    return [String(cell.cell), cellLabel(table, cell.values), pct(aWins), pct(bWins), pct(ties), change];
  });
  return dataTable(
    `${a} against ${b}, on the same fleet runs: who has the lower avgLatency, and the paired change (relative to the worse policy’s mean only where that mean is away from zero, else the difference in seconds ± the 95 % half-width)`,
    ['cell', 'axis values', `${a} wins`, `${b} wins`, 'ties', `change in avgLatency`],
    rows,
  );
}

/**
 * Mean ± 95 % half-width of `metric` per cell and policy, with the mark "unstable in N % of runs" where
 * some fleet runs have a growing queue, and beside it each pair's verdict on the metric, verbatim.
 */
function cellTable(table: SummaryTable, metric: string): HTMLTableElement {
  const info = METRIC_INFO[metric];
  const shown = table.cells.slice(0, 500);
  const withVerdicts = shown.some((cell) => verdictsOf(cell, metric).length > 0);
  const rows = shown.map((cell) => [
    String(cell.cell),
    ...table.axes.map((a) => String(cell.values[a.name])),
    String(cell.fleetRuns),
    ...table.policies.map((p) => {
      const s = cell.policies.find((x) => x.policy === p)?.metrics[metric];
      if (s === null) return UNDEFINED_STAT; // undefined in every run of the cell (an IDC on too few steps)
      if (!s) return '–';
      const f = unstableFraction(cell, p);
      return `${meanCi(s)}${f !== null && f > 0 ? ` (${unstableMark(f)})` : ''}`;
    }),
    ...(withVerdicts ? [''] : []),
  ]);
  const more = table.cells.length > 500 ? ` (the first 500 of ${table.cells.length} cells)` : '';
  const optional = OPTIONAL_METRICS.has(metric as RunMetric) ? `; ${UNDEFINED_STAT}: undefined in every run (${undefinedWhy(metric)})` : '';
  const t = dataTable(
    `Mean ${metric}${info ? ` (${info.unit})` : ''} over fleet runs ± the 95 % half-width per cell and policy${withVerdicts ? ', and the paired verdicts' : ''}${more}${optional}`,
    ['cell', ...table.axes.map((a) => a.name), 'fleet runs', ...table.policies, ...(withVerdicts ? [`verdicts on ${metric}`] : [])],
    rows,
  );
  t.classList.add('cells');
  const bodyRows = t.tBodies[0]!.rows;
  shown.forEach((cell, r) => {
    const tr = bodyRows[r]!;
    tr.dataset.cell = String(cell.cell);
    if (table.policies.some((p) => (unstableFraction(cell, p) ?? 0) > 0) || (cell.warnings ?? []).length > 0) tr.dataset.unstable = 'true';
    if (!withVerdicts) return;
    const td = tr.cells[tr.cells.length - 1]!;
    td.className = 'verdict-cell';
    td.replaceChildren(...verdictsOf(cell, metric).map((v) => el('div', { class: 'verdict-text', 'data-pair': `${v.a}|${v.b}` }, v.text)));
  });
  return t;
}
