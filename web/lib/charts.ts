/**
 * uPlot charts with axis titles and units. Every chart in the page goes through `lineChart`, so the
 * axes look alike and the e2e tests can find them (`figure.chart canvas`).
 */
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import { POLICIES, type PolicyName } from '../../src/model/policies.js';
import { el } from './dom.js';

export interface SeriesSpec {
  label: string;
  color: string;
  /** Draw points only (a scatter), no line. */
  points?: boolean;
  /** Line and point markers (so a series with one point still shows). */
  markers?: boolean;
  /** Dashed line (bands, references). */
  dash?: number[];
  /** Fill to the series at this index (a band: lower, upper). */
  fillTo?: number;
  /** A step function: each value holds until the next x (per-step quantities such as GPU shares). */
  stepped?: boolean;
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
  /** `categories`: x is an index 0 … n − 1 and its ticks are these names (one point per category). */
  x: Axis & { categories?: readonly string[] };
  /** `zero`: the axis starts at 0 (shares, rates: sizes read against zero). */
  y: Axis & { zero?: boolean };
  series: readonly SeriesSpec[];
  /** data[0] is x, then one array per series (null = gap). */
  data: uPlot.AlignedData;
  width?: number;
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
 * figure that is only detached stays in memory for the page's lifetime.
 *
 * @example
 *   destroyCharts(panel);
 *   panel.replaceChildren(lineChart(spec));
 */
export function destroyCharts(root: ParentNode): void {
  for (const figure of root.querySelectorAll<ChartFigure>('figure.chart')) {
    figure.plot?.destroy();
    delete figure.plot;
  }
}

type ChartFigure = HTMLElement & { plot?: uPlot };

/** A chart in a <figure class="chart"> with a caption; returns the figure (append it, then it draws; destroyCharts ends it). */
export function lineChart(spec: ChartSpec): HTMLElement {
  const figure = el('figure', { class: 'chart' }, el('figcaption', {}, spec.title));
  const categories = spec.x.categories;
  const categoryAxis: Partial<uPlot.Axis> = categories
    ? { splits: () => categories.map((_, i) => i), values: (_u, splits) => splits.map((i) => categories[i] ?? '') }
    : {};
  const opts: uPlot.Options = {
    width: spec.width ?? 460,
    height: spec.height ?? 280,
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
      { label: spec.y.label, labelSize: 20, size: 70, ...ticks(spec.y.format) },
    ],
    series: [
      { label: spec.x.label },
      ...spec.series.map((s): uPlot.Series => ({
        label: s.label,
        stroke: s.color,
        width: s.points ? 0 : 2,
        ...(s.dash ? { dash: s.dash } : {}),
        ...(s.points || s.markers ? { points: { show: true, size: 7, fill: s.color } } : { points: { show: false } }),
        ...(spec.bars ? { paths: uPlot.paths.bars!({ size: [0.9, 100] }), fill: `${s.color}99` } : {}),
        ...(s.stepped ? { paths: uPlot.paths.stepped!({ align: 1 }) } : {}),
      })),
    ],
    bands: spec.series.flatMap((s, i) =>
      s.fillTo === undefined ? [] : [{ series: [i + 1, s.fillTo + 1] as [number, number], fill: `${s.color}22` }],
    ),
  };
  const plot = new uPlot(opts, spec.data, figure);
  figure.prepend(figure.querySelector('figcaption')!);
  (figure as ChartFigure).plot = plot;
  return figure;
}
