/**
 * uPlot charts with axis titles and units. Every chart in the page goes through `lineChart`, so the
 * axes look alike and the e2e tests can find them (`figure.chart canvas`).
 */
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import { POLICIES, type PolicyName } from '../../src/model/policies.js';
import { categoryLayout, dodge, MARKER_SHAPES, type MarkerShape } from './chartLayout.js';
import { el } from './dom.js';

export interface SeriesSpec {
  label: string;
  color: string;
  /** Draw points only (a scatter), no line. */
  points?: boolean;
  /** Line and point markers (so a series with one point still shows). */
  markers?: boolean;
  /** Dashed line (bands, references; a dash pattern also tells comparable series apart: seriesStyle). */
  dash?: number[];
  /** Fill to the series at this index (a band: lower, upper). */
  fillTo?: number;
  /** A step function: each value holds until the next x (per-step quantities such as GPU shares). */
  stepped?: boolean;
  /** The marker's shape (default: by the series' order among those with markers). */
  shape?: MarkerShape;
  /** Per point: a hollow marker (a mark on the point, e.g. a result that depends on run length). */
  hollow?: readonly boolean[];
  /** What a hollow marker means, said in the hover readout beside its value (default "marked"). */
  hollowMeans?: string;
  /**
   * The indices (in `series`) of this series' lower and upper bound (its 95 % interval): shaded
   * between them in a translucent fill of the colour on a numeric x axis, a whisker on a categorical one.
   */
  interval?: readonly [number, number];
  /** A bound of another series' interval: drawn only as that interval, never as a line nor in the legend. */
  bound?: boolean;
}

export interface Axis {
  label: string;
  log?: boolean;
  /** Tick labels: default uPlot's, or `si` (12 k, 3.4 M, 1.2 G). */
  format?: 'si' | ((value: number) => string);
}

/** 1,234,567 → "1.23 M": short tick labels for rates and counts. */
export function si(value: number): string {
  const abs = Math.abs(value);
  for (const [scale, unit] of [
    [1e9, ' G'],
    [1e6, ' M'],
    [1e3, ' k'],
  ] as const) {
    if (abs >= scale) return `${Number((value / scale).toPrecision(3))}${unit}`;
  }
  return String(Number(value.toPrecision(3)));
}

function ticks(format: Axis['format']): Pick<uPlot.Axis, 'values'> {
  if (format === undefined) return {};
  const f = format === 'si' ? si : format;
  return { values: (_u: uPlot, splits: number[]) => splits.map((v) => (v == null ? '' : f(v))) };
}

export interface ChartSpec {
  title: string;
  /**
   * `categories`: x is an index 0 … n − 1 and its ticks are these names (one point per category): the
   * series are drawn as points (or bars), dodged apart, with their intervals as whiskers; long labels
   * are rotated and thinned (chartLayout.ts).
   */
  x: Axis & { categories?: readonly string[] };
  /** `zero`: the axis starts at 0 (shares, rates: sizes read against zero). */
  y: Axis & { zero?: boolean };
  series: readonly SeriesSpec[];
  /** data[0] is x, then one array per series (null = gap). */
  data: uPlot.AlignedData;
  /** CSS pixels, or `fill`: the container's width, following it as the window resizes. */
  width?: number | 'fill';
  height?: number;
  /** Bars (histograms) instead of lines. */
  bars?: boolean;
}

const FALLBACK_COLORS = ['#9467bd', '#8c564b', '#e377c2', '#7f7f7f'];

/** A policy's colour from the registry (src/model/policies.ts) by its study name; a name not registered gets a fallback by index. */
export function policyColor(policy: string, index = 0): string {
  return Object.hasOwn(POLICIES, policy) ? POLICIES[policy as PolicyName].colour : FALLBACK_COLORS[index % FALLBACK_COLORS.length]!;
}

/** A policy's label from the registry (`round-robin`), or the name itself when it is not registered. */
export function policyLabel(policy: string): string {
  return Object.hasOwn(POLICIES, policy) ? POLICIES[policy as PolicyName].label : policy;
}

/**
 * Destroys every chart under `root`. Call it before a chart's figure leaves the page (a redraw, a view
 * left): uPlot keeps each chart in its cursor registry and a window listener until destroy(), so a
 * figure that is only detached stays in memory for the page's lifetime (and so would a full-width
 * chart's ResizeObserver).
 *
 * @example
 *   destroyCharts(panel);
 *   panel.replaceChildren(lineChart(spec));
 */
export function destroyCharts(root: ParentNode): void {
  for (const figure of root.querySelectorAll<ChartFigure>('figure.chart')) {
    figure.resizer?.disconnect();
    delete figure.resizer;
    figure.plot?.destroy();
    delete figure.plot;
  }
}

type ChartFigure = HTMLElement & { plot?: uPlot; resizer?: ResizeObserver };

const SVG = 'http://www.w3.org/2000/svg';

/** Traces a marker of `shape` centred on (x, y) with radius r into the context's current path. */
function markerPath(ctx: CanvasRenderingContext2D, shape: MarkerShape, x: number, y: number, r: number): void {
  ctx.beginPath();
  if (shape === 'circle') ctx.arc(x, y, r, 0, 2 * Math.PI);
  else if (shape === 'square') ctx.rect(x - 0.85 * r, y - 0.85 * r, 1.7 * r, 1.7 * r);
  else if (shape === 'triangle') {
    ctx.moveTo(x, y - 1.15 * r);
    ctx.lineTo(x + r, y + 0.75 * r);
    ctx.lineTo(x - r, y + 0.75 * r);
    ctx.closePath();
  } else if (shape === 'diamond') {
    ctx.moveTo(x, y - 1.2 * r);
    ctx.lineTo(x + r, y);
    ctx.lineTo(x, y + 1.2 * r);
    ctx.lineTo(x - r, y);
    ctx.closePath();
  } else {
    ctx.moveTo(x - r, y - r);
    ctx.lineTo(x + r, y + r);
    ctx.moveTo(x + r, y - r);
    ctx.lineTo(x - r, y + r);
  }
}

/** Draws one marker: filled, or hollow (white inside, a thicker outline). */
function drawMarker(
  ctx: CanvasRenderingContext2D,
  shape: MarkerShape,
  x: number,
  y: number,
  r: number,
  color: string,
  hollow: boolean,
  px: number,
): void {
  markerPath(ctx, shape, x, y, r);
  ctx.strokeStyle = color;
  if (shape === 'cross') {
    ctx.lineWidth = (hollow ? 1.2 : 2.2) * px;
    ctx.stroke();
    return;
  }
  ctx.fillStyle = hollow ? '#fff' : color;
  ctx.fill();
  ctx.lineWidth = (hollow ? 2 : 1) * px;
  ctx.stroke();
}

/** A legend swatch: a short stretch of the series' line (with its dash) and its marker, as SVG. */
function swatch(s: SeriesSpec, shape: MarkerShape | null, bars: boolean): SVGSVGElement {
  const svg = document.createElementNS(SVG, 'svg');
  svg.setAttribute('width', '30');
  svg.setAttribute('height', '12');
  svg.setAttribute('aria-hidden', 'true');
  const add = (tag: string, attrs: Record<string, string>): void => {
    const node = document.createElementNS(SVG, tag);
    for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v);
    svg.append(node);
  };
  if (bars) add('rect', { x: '8', y: '1', width: '14', height: '10', fill: `${s.color}99`, stroke: s.color });
  else if (!s.points) {
    if (s.interval) add('rect', { x: '0', y: '2', width: '30', height: '8', fill: `${s.color}33` });
    add('line', {
      x1: '0',
      y1: '6',
      x2: '30',
      y2: '6',
      stroke: s.color,
      'stroke-width': '2',
      ...(s.dash?.length ? { 'stroke-dasharray': s.dash.join(' ') } : {}),
    });
  } else if (s.interval) add('line', { x1: '15', y1: '0', x2: '15', y2: '12', stroke: s.color, 'stroke-width': '1.5' });
  if (shape) {
    const d: Record<MarkerShape, string> = {
      circle: 'M11 6a4 4 0 1 0 8 0a4 4 0 1 0 -8 0',
      square: 'M11.6 2.6h6.8v6.8h-6.8z',
      triangle: 'M15 1.4l4 7.6h-8z',
      diamond: 'M15 1.2l4 4.8l-4 4.8l-4 -4.8z',
      cross: 'M11 2l8 8M19 2l-8 8',
    };
    add('path', {
      d: d[shape],
      fill: shape === 'cross' ? 'none' : s.color,
      stroke: s.color,
      'stroke-width': shape === 'cross' ? '2' : '1',
    });
  }
  return svg;
}

const readoutNumber = (v: number): string =>
  Math.abs(v) >= 1e5 || (v !== 0 && Math.abs(v) < 1e-3) ? v.toExponential(2) : String(Number(v.toPrecision(4)));

/**
 * The spec with every bound series first (uPlot draws series in order, a band with its upper bound), so
 * no band is drawn over a line; `interval` and `fillTo` indices follow. The legend keeps the given order.
 */
function boundsFirst(spec: ChartSpec): ChartSpec {
  const order = spec.series.map((_, i) => i).sort((a, b) => Number(!spec.series[a]!.bound) - Number(!spec.series[b]!.bound));
  if (order.every((v, k) => v === k)) return spec;
  const at = new Map(order.map((old, k) => [old, k]));
  const series = order.map((old) => {
    const s = spec.series[old]!;
    return {
      ...s,
      ...(s.interval ? { interval: [at.get(s.interval[0])!, at.get(s.interval[1])!] as const } : {}),
      ...(s.fillTo !== undefined ? { fillTo: at.get(s.fillTo)! } : {}),
    };
  });
  return { ...spec, series, data: [spec.data[0], ...order.map((old) => spec.data[old + 1]!)] as uPlot.AlignedData };
}

/**
 * A chart in a <figure class="chart"> with a caption, a compact static legend (one entry per series
 * drawn, its line and marker; an interval's bounds are part of their series' entry) and a one-line
 * readout of the values under the cursor; returns the figure (append it, then it draws; destroyCharts
 * ends it). Series with an interval are drawn above every band, markers above everything.
 */
export function lineChart(given: ChartSpec): HTMLElement {
  const spec = boundsFirst(given);
  const figure = el('figure', { class: spec.width === 'fill' ? 'chart fill' : 'chart' }, el('figcaption', {}, spec.title));
  const categories = spec.x.categories;
  const height = spec.height ?? 280;
  const initialWidth = typeof spec.width === 'number' ? spec.width : spec.width === 'fill' ? 720 : 460;
  const yAxisSize = 70;
  const layout = (u: uPlot) => categoryLayout(categories ?? [], u.width - yAxisSize - 20);
  const categoryAxis: Partial<uPlot.Axis> = categories
    ? {
        splits: (u) => categories.map((_, i) => i).filter((i) => i % layout(u).step === 0),
        values: (u, splits) => splits.map((i) => layout(u).labels[i] ?? ''),
        rotate: (u) => layout(u).rotate,
        size: (u) => layout(u).size,
        gap: 6,
      }
    : {};
  // Marker shapes by order among the series that show markers, unless the spec names them.
  const marked = spec.series.map((s, i) => ({ s, i })).filter(({ s }) => !s.bound && (s.points || s.markers));
  const shapeOf = new Map(marked.map(({ s, i }, k) => [i, s.shape ?? MARKER_SHAPES[k % MARKER_SHAPES.length]!]));
  const hiddenPath = (): null => null;

  /** Markers (dodged on a categorical axis) and, on a categorical axis, interval whiskers: drawn last. */
  const drawMarks = (u: uPlot): void => {
    const ctx = u.ctx;
    const px = uPlot.pxRatio;
    const { left, top, width, height: h } = u.bbox;
    ctx.save();
    ctx.beginPath();
    ctx.rect(left - 8 * px, top - 8 * px, width + 16 * px, h + 16 * px);
    ctx.clip();
    ctx.setLineDash([]);
    const slot = categories ? u.valToPos(1, 'x') - u.valToPos(0, 'x') : 0;
    const xs = u.data[0];
    marked.forEach(({ s, i }, k) => {
      if (!u.series[i + 1]?.show) return;
      const ys = u.data[i + 1]!;
      const dx = categories ? dodge(k, marked.length, slot) * px : 0;
      const shape = shapeOf.get(i)!;
      for (let j = 0; j < xs.length; j++) {
        const y = ys[j];
        if (y === null || y === undefined || !Number.isFinite(y)) continue;
        const X = u.valToPos(xs[j]!, 'x', true) + dx;
        if (categories && s.interval) {
          const lo = u.data[s.interval[0] + 1]![j];
          const hi = u.data[s.interval[1] + 1]![j];
          if (typeof lo === 'number' && typeof hi === 'number' && Number.isFinite(lo) && Number.isFinite(hi)) {
            const [Y0, Y1] = [u.valToPos(lo, 'y', true), u.valToPos(hi, 'y', true)];
            ctx.beginPath();
            ctx.moveTo(X, Y0);
            ctx.lineTo(X, Y1);
            ctx.moveTo(X - 4 * px, Y0);
            ctx.lineTo(X + 4 * px, Y0);
            ctx.moveTo(X - 4 * px, Y1);
            ctx.lineTo(X + 4 * px, Y1);
            ctx.strokeStyle = s.color;
            ctx.lineWidth = 1.5 * px;
            ctx.stroke();
          }
        }
        drawMarker(ctx, shape, X, u.valToPos(y, 'y', true), 4.5 * px, s.color, s.hollow?.[j] === true, px);
      }
    });
    ctx.restore();
  };

  // The compact readout: the values at the cursor, one line ("x: a 12.3 (11.9–12.7) · b …").
  const readout = el('p', { class: 'chart-readout', 'aria-hidden': 'true' }, 'hover for values');
  const yText = (v: number): string =>
    spec.y.format === 'si' ? si(v) : typeof spec.y.format === 'function' ? spec.y.format(v) : readoutNumber(v);
  const showReadout = (u: uPlot): void => {
    const j = u.cursor.idx;
    if (j === null || j === undefined) {
      readout.textContent = 'hover for values';
      return;
    }
    const x = u.data[0][j]!;
    const xText = categories
      ? (categories[x] ?? String(x))
      : spec.x.format === 'si'
        ? si(x)
        : typeof spec.x.format === 'function'
          ? spec.x.format(x)
          : readoutNumber(x);
    const parts = spec.series.flatMap((s, i) => {
      const v = u.data[i + 1]![j];
      if (s.bound || v === null || v === undefined || !Number.isFinite(v)) return [];
      const lo = s.interval ? u.data[s.interval[0] + 1]![j] : null;
      const hi = s.interval ? u.data[s.interval[1] + 1]![j] : null;
      const ci = typeof lo === 'number' && typeof hi === 'number' ? ` (${yText(lo)}–${yText(hi)})` : '';
      return [`${s.label} ${yText(v)}${ci}${s.hollow?.[j] ? ` (${s.hollowMeans ?? 'marked'})` : ''}`];
    });
    readout.textContent = `${spec.x.label} ${xText}: ${parts.join(' · ') || 'no value'}`;
  };

  const bands: uPlot.Band[] = [];
  spec.series.forEach((s, i) => {
    if (s.fillTo !== undefined) bands.push({ series: [i + 1, s.fillTo + 1], fill: `${s.color}22` });
    if (s.interval && !categories && !spec.bars) bands.push({ series: [s.interval[1] + 1, s.interval[0] + 1], fill: `${s.color}33` });
  });
  const opts: uPlot.Options = {
    width: initialWidth,
    height,
    legend: { show: false },
    scales: {
      x: {
        time: false,
        distr: spec.x.log ? 3 : 1,
        ...(categories ? { range: [-0.5, categories.length - 0.5] as uPlot.Range.MinMax } : {}),
      },
      y: {
        distr: spec.y.log ? 3 : 1,
        ...(spec.y.zero ? { range: (_u: uPlot, _min: number, max: number): uPlot.Range.MinMax => [0, max > 0 ? max * 1.05 : 1] } : {}),
      },
    },
    axes: [
      { label: spec.x.label, labelSize: 20, ...ticks(spec.x.format), ...categoryAxis },
      { label: spec.y.label, labelSize: 20, size: yAxisSize, ...ticks(spec.y.format) },
    ],
    series: [
      { label: spec.x.label },
      ...spec.series.map((s): uPlot.Series => {
        if (s.bound) {
          // an interval's edge: a hairline on a numeric axis (the band between shows it), nothing on a categorical one
          return {
            label: s.label,
            stroke: `${s.color}66`,
            width: 1,
            points: { show: false },
            ...(categories ? { paths: hiddenPath } : {}),
          };
        }
        const pointsOnly = s.points === true || (categories !== undefined && !spec.bars);
        return {
          label: s.label,
          stroke: s.color,
          width: pointsOnly ? 0 : 2,
          ...(s.dash?.length ? { dash: s.dash } : {}),
          points: { show: false }, // drawMarks draws them, with their shapes
          ...(pointsOnly && !spec.bars ? { paths: hiddenPath } : {}),
          ...(spec.bars ? { paths: uPlot.paths.bars!({ size: [0.9, 100] }), fill: `${s.color}99` } : {}),
          ...(s.stepped ? { paths: uPlot.paths.stepped!({ align: 1 }) } : {}),
        };
      }),
    ],
    bands,
    hooks: { draw: [drawMarks], setCursor: [showReadout] },
  };
  const plot = new uPlot(opts, spec.data, figure);
  const legendEntries = spec.series.filter((s) => !s.bound);
  const legend = el(
    'ul',
    { class: 'chart-legend', 'data-entries': legendEntries.length },
    ...spec.series.flatMap((s, i) =>
      s.bound ? [] : [el('li', { 'data-series': s.label }, swatch(s, shapeOf.get(i) ?? null, spec.bars === true), s.label)],
    ),
  );
  figure.prepend(figure.querySelector('figcaption')!);
  figure.append(legend, readout);
  const chart = figure as ChartFigure;
  chart.plot = plot;
  if (spec.width === 'fill' && typeof ResizeObserver !== 'undefined') {
    chart.resizer = new ResizeObserver((entries) => {
      const width = Math.floor(entries[0]!.contentRect.width);
      if (width > 0 && Math.abs(width - plot.width) >= 1) plot.setSize({ width: Math.max(240, width), height });
    });
    chart.resizer.observe(figure);
  }
  return figure;
}
