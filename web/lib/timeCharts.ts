/**
 * Charts of per-agent quantities over the steps of one run (a queue, a latency): one line per agent in
 * a colour of its own, its legend entry flagged when the agent is overloaded, x in seconds. Built on
 * lineChart (web/lib/charts.ts), so the axes look like every other chart's.
 *
 * @example
 *   panel.append(agentTimeChart({ title: 'Queue', y: 'queue Q (requests)', names, data: queueData(series, 1) }));
 */
import type uPlot from 'uplot';
import { lineChart } from './charts.js';

/** One colour per agent (the page takes up to 12), distinct from the policies' colours where it can be. */
export const AGENT_COLORS: readonly string[] = [
  '#9467bd',
  '#8c564b',
  '#e377c2',
  '#17becf',
  '#bcbd22',
  '#7f7f7f',
  '#393b79',
  '#637939',
  '#8c6d31',
  '#843c39',
  '#7b4173',
  '#3182bd',
];

export interface AgentTimeChart {
  title: string;
  /** The y axis's label, with its unit. */
  y: string;
  /** The agents' names, in the data's column order. */
  names: readonly string[];
  /** Per agent, a note after its name in the legend (e.g. "load 1.31 ⚠"); empty for none. */
  notes?: readonly string[];
  /** x (seconds), then one column per agent. */
  data: uPlot.AlignedData;
  width?: number;
  height?: number;
}

/** A chart of one per-step quantity, a stepped line per agent (the value holds over its step). */
export function agentTimeChart(spec: AgentTimeChart): HTMLElement {
  return lineChart({
    title: spec.title,
    x: { label: 'time (s)' },
    y: { label: spec.y, zero: true, format: 'si' },
    series: spec.names.map((name, i) => {
      const note = spec.notes?.[i];
      return { label: note ? `${name} (${note})` : name, color: AGENT_COLORS[i % AGENT_COLORS.length]!, stepped: true };
    }),
    data: spec.data,
    width: spec.width ?? 540,
    height: spec.height ?? 300,
  });
}
