/**
 * The pure layout decisions of the page's charts (no DOM, no uPlot: vitest runs them in Node): how a
 * categorical axis fits its labels, how far series on one category are dodged apart, and each series'
 * line and marker style, so two series never look alike even where they coincide.
 *
 * @example
 *   categoryLayout(['coordinator', 'nlp', 'vision'], 400) // { step: 1, rotate: 0, size: 40, … }
 */

export type MarkerShape = 'circle' | 'square' | 'triangle' | 'diamond' | 'cross';

/** Marker shapes in series order: a series is told apart by shape as well as colour. */
export const MARKER_SHAPES: readonly MarkerShape[] = ['circle', 'square', 'triangle', 'diamond', 'cross'];

/** Dash patterns in series order (canvas setLineDash, CSS pixels): solid, dashed, dotted, dash-dot, long dash. */
export const DASHES: readonly (readonly number[])[] = [[], [9, 4], [2, 3], [9, 3, 2, 3], [14, 4]];

/** The style of the i-th of several comparable series (policies): its dash pattern and marker shape. */
export function seriesStyle(i: number): { dash: number[]; shape: MarkerShape } {
  return { dash: [...DASHES[i % DASHES.length]!], shape: MARKER_SHAPES[i % MARKER_SHAPES.length]! };
}

/** Approximate width of a tick label's character at the axes' 12 px font, in CSS pixels. */
const CHAR_PX = 7;
/** Labels that do not fit their slot are cut to this length with an ellipsis (the readout and tables give them whole). */
export const MAX_TICK_CHARS = 22;
/** The angle of rotated labels (degrees; uPlot rotates counter-clockwise for negative angles). */
const ROTATE = -35;

export interface CategoryLayout {
  /** Label every step-th category (1: every one). */
  step: number;
  /** Degrees (0: horizontal). */
  rotate: number;
  /** The axis' height in CSS pixels (tick labels and their gap; the axis title is extra). */
  size: number;
  /** The tick label of each category: cut to MAX_TICK_CHARS. */
  labels: string[];
}

/** A label cut to MAX_TICK_CHARS characters with an ellipsis. */
export const shortLabel = (label: string): string => (label.length > MAX_TICK_CHARS ? `${label.slice(0, MAX_TICK_CHARS - 1)}…` : label);

/**
 * How `labels` fit under a plot `width` CSS pixels wide: horizontal and whole when each fits its
 * category's slot; else cut to MAX_TICK_CHARS, and rotated when still too long, and thinned to every step-th label when even rotated ones would overlap (a
 * rotated label needs about one line height across).
 */
export function categoryLayout(labels: readonly string[], width: number): CategoryLayout {
  const n = Math.max(1, labels.length);
  const slot = Math.max(1, width) / n;
  if (Math.max(1, ...labels.map((l) => l.length)) * CHAR_PX + 10 <= slot) return { step: 1, rotate: 0, size: 40, labels: [...labels] };
  const cut = labels.map(shortLabel);
  const longest = Math.max(1, ...cut.map((l) => l.length)) * CHAR_PX;
  if (longest + 10 <= slot) return { step: 1, rotate: 0, size: 40, labels: cut };
  const across = 16 / Math.sin((-ROTATE * Math.PI) / 180); // a rotated line's footprint along the axis
  const step = Math.max(1, Math.ceil(across / slot));
  const size = Math.ceil(20 + longest * Math.sin((-ROTATE * Math.PI) / 180) + 14 * Math.cos((ROTATE * Math.PI) / 180));
  return { step, rotate: ROTATE, size, labels: cut };
}

/**
 * The horizontal offset (CSS pixels) of the k-th of m series on a categorical axis whose categories are
 * `slot` pixels apart: the series spread over at most half the slot, at most 12 px apart, centred.
 */
export function dodge(k: number, m: number, slot: number): number {
  if (m <= 1) return 0;
  const gap = Math.min(12, (0.5 * slot) / (m - 1));
  return (k - (m - 1) / 2) * gap;
}
