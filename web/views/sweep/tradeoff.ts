/**
 * The Sweep view's keep-alive trade-off (MODEL-PART4 §4.3): in a study with a `lifecycle.keepAlive`
 * axis, each policy's mean cost against its mean latency, one point per keep-alive K joined in K order
 * (0 … never), the other axes held at their fixed values. A short K scales idle agents to zero (a low
 * resident cost) and makes requests meet cold agents (a high latency); a long one the reverse: the knee
 * is where the curve turns. The data is pure (tradeoffData, tested in Node); tradeoffFigure draws it
 * as an SVG (text nodes only) with a table of the same points.
 */
import type { SummaryTable } from '../../../src/results/tables.js';
import { policyColor } from '../../lib/charts.js';
import { seriesStyle } from '../../lib/chartLayout.js';
import { dataTable, el } from '../../lib/dom.js';
import { svg } from '../../lib/svg.js';
import { fmt } from './format.js';
import { cellsWhere, METRIC_INFO, routedTable, undefinedEverywhere } from './select.js';

type AxisValue = number | string;

/** The keep-alive axis of a table: `lifecycle.keepAlive` (or any axis whose last part is keepAlive), or undefined. */
export function keepAliveAxis(table: SummaryTable): string | undefined {
  return table.axes.find((a) => a.name === 'lifecycle.keepAlive' || /(^|\.)keepAlive$/.test(a.name))?.name;
}

/** Whether a keep-alive value means K = ∞ (never scale to zero). */
const isNever = (v: AxisValue): boolean =>
  v === Infinity || (typeof v === 'string' && ['never', 'infinity', '∞'].includes(v.trim().toLowerCase()));

/** Keep-alive values in K order: the finite ones ascending (numeric text too), then never. */
export function keepAliveOrder(values: readonly AxisValue[]): AxisValue[] {
  const key = (v: AxisValue): number => (isNever(v) ? Infinity : typeof v === 'number' ? v : Number(v));
  return [...values].sort((a, b) => {
    const [x, y] = [key(a), key(b)];
    if (Number.isNaN(x) || Number.isNaN(y)) return Number.isNaN(x) ? (Number.isNaN(y) ? 0 : 1) : -1;
    return x === y ? 0 : x < y ? -1 : 1;
  });
}

export interface TradeoffPoint {
  keepAlive: AxisValue;
  cost: number;
  latency: number;
  /** The cell's index (its row in the cell table). */
  cell: number;
}

export interface Tradeoff {
  axis: string;
  costMetric: string;
  latencyMetric: string;
  /** Per policy, its points in K order (cells without both means are left out). */
  series: { policy: string; points: TradeoffPoint[] }[];
}

/**
 * The trade-off's metrics: costResident (what the time resident bills) where the table has it defined,
 * else cost; the end-to-end latency in a workflow study, else avgLatency.
 */
export function tradeoffMetrics(table: SummaryTable): { cost: string; latency: string } {
  const has = (m: string): boolean => table.metrics.includes(m) && !undefinedEverywhere(table, m);
  return {
    cost: has('costResident') ? 'costResident' : 'cost',
    latency: routedTable(table) && has('e2eLatency') ? 'e2eLatency' : 'avgLatency',
  };
}

/** Each policy's (cost, latency) means along the keep-alive axis, the other axes at `fixed`; null without such an axis. */
export function tradeoffData(table: SummaryTable, fixed: Readonly<Record<string, AxisValue>>): Tradeoff | null {
  const axis = keepAliveAxis(table);
  if (axis === undefined) return null;
  const { cost, latency } = tradeoffMetrics(table);
  const values = keepAliveOrder(table.axes.find((a) => a.name === axis)!.values);
  const cells = cellsWhere(table, fixed, [axis]);
  return {
    axis,
    costMetric: cost,
    latencyMetric: latency,
    series: table.policies.map((policy) => ({
      policy,
      points: values.flatMap((value) => {
        const cell = cells.find((c) => String(c.values[axis]) === String(value));
        const stats = cell?.policies.find((p) => p.policy === policy)?.metrics;
        const c = stats?.[cost]?.mean;
        const l = stats?.[latency]?.mean;
        return cell && typeof c === 'number' && typeof l === 'number' && Number.isFinite(c) && Number.isFinite(l)
          ? [{ keepAlive: value, cost: c, latency: l, cell: cell.cell }]
          : [];
      }),
    })),
  };
}

/** A keep-alive value as the figure labels it: `K = 60 s`, `K = ∞`. */
export const keepAliveText = (v: AxisValue): string => (isNever(v) ? 'K = ∞' : `K = ${String(v)}${typeof v === 'number' ? ' s' : ''}`);

/** Ticks: about five round values spanning [lo, hi]. */
function niceTicks(lo: number, hi: number): number[] {
  const span = hi - lo || Math.abs(hi) || 1;
  const raw = span / 5;
  const pow = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * pow).find((m) => m >= raw) ?? raw;
  const out: number[] = [];
  for (let v = Math.ceil(lo / step) * step; v <= hi + step * 1e-9; v += step) out.push(Number(v.toPrecision(12)));
  return out;
}

/** A tick's text: four significant digits at most. */
const tickText = (v: number): string => String(Number(v.toPrecision(4)));

const WIDTH = 760;
const HEIGHT = 380;
const MARGIN = { left: 78, right: 24, top: 16, bottom: 48 };

/**
 * The trade-off as a figure: x the cost, y the latency, each policy a line through its points in K
 * order, each point marked and labelled with its K; with the same points in a table. Null when no
 * policy has two points (nothing to trade off).
 */
export function tradeoffFigure(data: Tradeoff, held: string): HTMLElement | null {
  const shown = data.series.filter((s) => s.points.length > 0);
  if (!shown.some((s) => s.points.length >= 2)) return null;
  const all = shown.flatMap((s) => s.points);
  const [x0, x1] = [Math.min(0, ...all.map((p) => p.cost)), Math.max(...all.map((p) => p.cost))];
  const [y0, y1] = [Math.min(0, ...all.map((p) => p.latency)), Math.max(...all.map((p) => p.latency))];
  const xt = niceTicks(x0, x1);
  const yt = niceTicks(y0, y1);
  const xMax = Math.max(x1, xt[xt.length - 1] ?? x1) || 1;
  const yMax = Math.max(y1, yt[yt.length - 1] ?? y1) || 1;
  const plotW = WIDTH - MARGIN.left - MARGIN.right;
  const plotH = HEIGHT - MARGIN.top - MARGIN.bottom;
  const px = (v: number): number => MARGIN.left + ((v - x0) / (xMax - x0)) * plotW;
  const py = (v: number): number => MARGIN.top + plotH - ((v - y0) / (yMax - y0)) * plotH;
  const costInfo = METRIC_INFO[data.costMetric];
  const latencyInfo = METRIC_INFO[data.latencyMetric];
  const xLabel = `${data.costMetric}${costInfo ? `: ${costInfo.label} (${costInfo.unit})` : ''}`;
  const yLabel = `${data.latencyMetric}${latencyInfo ? ` (${latencyInfo.unit})` : ''}`;
  const title = `Cost against latency as the keep-alive varies: mean ${data.costMetric} and mean ${data.latencyMetric} per policy, one point per ${data.axis}${held ? ` (${held})` : ''}`;
  const root = svg('svg', {
    viewBox: `0 0 ${WIDTH} ${HEIGHT}`,
    width: WIDTH,
    height: HEIGHT,
    role: 'img',
    class: 'tradeoff',
    'aria-labelledby': 'tradeoff-title',
  });
  const words = shown.map(
    (s) => `${s.policy}: ${s.points.map((p) => `${keepAliveText(p.keepAlive)} ${fmt(p.cost)} / ${fmt(p.latency)}`).join(', ')}`,
  );
  root.append(svg('title', { id: 'tradeoff-title' }, `${title}. ${words.join('; ')}.`));
  const axes = svg('g', { class: 'axes' });
  for (const v of xt) {
    axes.append(svg('line', { x1: px(v), x2: px(v), y1: MARGIN.top, y2: MARGIN.top + plotH, class: 'grid' }));
    axes.append(svg('text', { x: px(v), y: MARGIN.top + plotH + 16, 'text-anchor': 'middle', class: 'tick' }, tickText(v)));
  }
  for (const v of yt) {
    axes.append(svg('line', { x1: MARGIN.left, x2: MARGIN.left + plotW, y1: py(v), y2: py(v), class: 'grid' }));
    axes.append(svg('text', { x: MARGIN.left - 6, y: py(v) + 4, 'text-anchor': 'end', class: 'tick' }, tickText(v)));
  }
  axes.append(svg('text', { x: MARGIN.left + plotW / 2, y: HEIGHT - 8, 'text-anchor': 'middle', class: 'axis-label' }, xLabel));
  axes.append(
    svg(
      'text',
      {
        x: 14,
        y: MARGIN.top + plotH / 2,
        'text-anchor': 'middle',
        class: 'axis-label',
        transform: `rotate(-90 14 ${MARGIN.top + plotH / 2})`,
      },
      yLabel,
    ),
  );
  root.append(axes);
  // One label per spot: policies that share a point (the same K costs the same) are labelled once.
  const labelled = new Set<string>();
  shown.forEach((s) => {
    const i = data.series.indexOf(s);
    const color = policyColor(s.policy, i);
    const g = svg('g', { class: 'policy', 'data-policy': s.policy });
    g.append(
      svg('polyline', {
        points: s.points.map((p) => `${px(p.cost)},${py(p.latency)}`).join(' '),
        fill: 'none',
        stroke: color,
        'stroke-width': 2,
        ...(seriesStyle(i).dash.length > 0 ? { 'stroke-dasharray': seriesStyle(i).dash.join(' ') } : {}),
      }),
    );
    for (const p of s.points) {
      const point = svg('circle', {
        cx: px(p.cost),
        cy: py(p.latency),
        r: 4,
        fill: color,
        class: 'point',
        'data-keep-alive': String(p.keepAlive),
      });
      point.append(
        svg(
          'title',
          {},
          `${s.policy}, ${keepAliveText(p.keepAlive)}: ${data.costMetric} ${fmt(p.cost)}, ${data.latencyMetric} ${fmt(p.latency)}`,
        ),
      );
      g.append(point);
      const spot = `${Math.round(px(p.cost) / 4)},${Math.round(py(p.latency) / 4)}`;
      if (labelled.has(spot)) continue;
      labelled.add(spot);
      // left of the point near the right edge, so the label stays inside the figure
      const right = px(p.cost) > MARGIN.left + plotW - 60;
      g.append(
        svg(
          'text',
          { x: px(p.cost) + (right ? -6 : 6), y: py(p.latency) - 6, 'text-anchor': right ? 'end' : 'start', class: 'point-label' },
          keepAliveText(p.keepAlive),
        ),
      );
    }
    root.append(g);
  });
  const legend = el(
    'p',
    { class: 'legend' },
    ...shown.map((s) => el('span', { class: 'swatch', style: `background:${policyColor(s.policy, data.series.indexOf(s))}77` }, s.policy)),
  );
  const table = dataTable(
    `The trade-off’s points: ${data.costMetric} and ${data.latencyMetric} per policy and ${data.axis}`,
    ['policy', data.axis, `${data.costMetric}${costInfo ? ` (${costInfo.unit})` : ''}`, yLabel, 'cell'],
    shown.flatMap((s) => s.points.map((p) => [s.policy, String(p.keepAlive), fmt(p.cost), fmt(p.latency), String(p.cell)])),
  );
  table.id = 'tradeoff-table';
  return el('figure', { class: 'tradeoff-figure', id: 'keepalive-tradeoff' }, el('figcaption', {}, title), root, legend, table);
}
