/**
 * What the Sweep view computes from per-fleet rows (src/results/fleetRows.ts reads and makes them): the
 * per-fleet latency changes, and the summary statistics, verdicts and warnings through the same
 * src/stats accumulators and src/sweep/verdict.ts as the CLI. Pure, no DOM: vitest runs it in Node.
 */
import { InputError } from '../../../src/results/errors.js';
import type { FleetRows } from '../../../src/results/fleetRows.js';
import { SUMMARY_FORMAT, type SummaryTable } from '../../../src/results/tables.js';
import { OPTIONAL_METRICS, type RunMetric } from '../../../src/model/metrics.js';
import { type DifferenceAccumulator, PairAccumulator, StatAccumulator } from '../../../src/stats/index.js';
import type { AgentRows } from '../../../src/results/agentRows.js';
import {
  AGENT_METRICS,
  type AgentMetric,
  type AgentStats,
  agentStats,
  type CellSummary,
  diffKey,
  newDiffs,
  pairStats,
  policyPairs,
} from '../../../src/sweep/aggregate.js';
import { cellVerdicts, cellWarnings, VERDICT_METRICS } from '../../../src/sweep/verdict.js';

export type { FleetRows } from '../../../src/results/fleetRows.js';

/** Row indices of each fleet run (cell, sample, replicate) by policy. */
function fleetRuns(rows: FleetRows): Map<string, Map<string, number>> {
  const runs = new Map<string, Map<string, number>>();
  for (let r = 0; r < rows.count; r++) {
    const key = `${rows.cell[r]}:${rows.sample[r]}:${rows.replicate[r]}`;
    let run = runs.get(key);
    if (!run) runs.set(key, (run = new Map<string, number>()));
    run.set(rows.policy[r]!, r);
  }
  return runs;
}

/**
 * The per-fleet relative latency change (latency_b − latency_a)/latency_a over the fleet runs that
 * ran both policies (in `cells`, when given), as PairAccumulator counts it: a = 0 = b is 0, a = 0 < b
 * has no finite change and is left out.
 */
export function latencyChanges(rows: FleetRows, a: string, b: string, cells?: ReadonlySet<number>): Float64Array {
  const latency = rows.metrics.avgLatency!;
  const out: number[] = [];
  for (const run of fleetRuns(rows).values()) {
    const ra = run.get(a);
    const rb = run.get(b);
    if (ra === undefined || rb === undefined) continue;
    if (cells && !cells.has(rows.cell[ra]!)) continue;
    const la = latency[ra]!;
    const lb = latency[rb]!;
    if (la > 0) out.push((lb - la) / la);
    else if (lb === 0) out.push(0);
  }
  return Float64Array.from(out);
}

/**
 * Per cell, the per-agent statistics of the agent rows with a name (fixed fleets: agents/unit-*.arrow
 * names no agent of a random fleet), as the CLI's aggregate makes them.
 */
function agentStatsByCell(rows: AgentRows, policies: readonly string[], name: string): Map<number, AgentStats[]> {
  const byCell = new Map<number, { names: string[]; accs: Record<string, Record<AgentMetric, StatAccumulator>[]> }>();
  for (let r = 0; r < rows.count; r++) {
    const agentName = rows.agentName[r];
    if (agentName === null || agentName === undefined) continue;
    const index = rows.cell[r]!;
    let cell = byCell.get(index);
    if (!cell) byCell.set(index, (cell = { names: [], accs: Object.fromEntries(policies.map((p) => [p, []])) }));
    const agent = rows.agent[r]!;
    cell.names[agent] ??= agentName;
    const perAgent = cell.accs[rows.policy[r]!];
    if (perAgent === undefined)
      throw new InputError(`${name}: row ${r}: the policy ${rows.policy[r]} is not among the per-fleet rows' policies`);
    const accs = (perAgent[agent] ??= Object.fromEntries(AGENT_METRICS.map((m) => [m, new StatAccumulator()])) as Record<
      AgentMetric,
      StatAccumulator
    >);
    for (const m of AGENT_METRICS) {
      const x = rows.metrics[m][r]!;
      if (Number.isFinite(x)) accs[m].add(x); // an untested run's unstable, an infinite load: left out, as the sweep leaves them
    }
  }
  return new Map([...byCell].map(([index, cell]) => [index, agentStats(policies, cell.accs, cell.names)]));
}

/**
 * The table from per-fleet rows alone (and per-agent rows, when given), with the sweep's own
 * accumulators: the same statistics, verdicts and warnings as the CLI's summary.json for the fleet
 * runs in the files (all of a sweep's files give all of its cells).
 */
export function summaryFromFleetRows(rows: FleetRows, name: string, agentRows?: AgentRows): SummaryTable {
  const policies = [...new Set(rows.policy)];
  const metrics = Object.keys(rows.metrics);
  const byCell = new Map<
    number,
    {
      values: Record<string, number | string>;
      runs: number;
      stats: Map<string, Map<string, StatAccumulator>>;
      pairs: Map<string, PairAccumulator>;
      diffs: Record<string, DifferenceAccumulator>;
    }
  >();
  const axisValues = rows.axes.map(() => [] as (number | string)[]);
  for (let r = 0; r < rows.count; r++) {
    const index = rows.cell[r]!;
    let cell = byCell.get(index);
    if (!cell) {
      // own properties only (an axis named "__proto__" from a file is a key, never the prototype)
      const values: Record<string, number | string> = Object.fromEntries(rows.axes.map((axis) => [axis.name, axis.values[r]!]));
      rows.axes.forEach((axis, a) => {
        const v = axis.values[r]!;
        if (!axisValues[a]!.includes(v)) axisValues[a]!.push(v);
      });
      const stats = new Map(policies.map((p) => [p, new Map(metrics.map((m) => [m, new StatAccumulator()]))]));
      const pairs = new Map(policyPairs(policies).map(([a, b]) => [`${a}|${b}`, new PairAccumulator()]));
      byCell.set(index, (cell = { values, runs: 0, stats, pairs, diffs: newDiffs(policies) }));
    }
    const policy = rows.policy[r]!;
    if (policy === policies[0]) cell.runs++;
    for (const m of metrics) {
      const x = rows.metrics[m]![r]!;
      if (Number.isNaN(x) && OPTIONAL_METRICS.has(m as RunMetric)) continue; // an undefined IDC, left out as the sweep leaves it
      try {
        cell.stats.get(policy)!.get(m)!.add(x);
      } catch (error) {
        throw new InputError(`${name}: row ${r}, column ${m}: ${(error as Error).message}`);
      }
    }
  }
  const latency = rows.metrics.avgLatency!;
  for (const run of fleetRuns(rows).values()) {
    for (const [a, b] of policyPairs(policies)) {
      const ra = run.get(a);
      const rb = run.get(b);
      if (ra === undefined || rb === undefined) continue;
      try {
        const cell = byCell.get(rows.cell[ra]!)!;
        cell.pairs.get(`${a}|${b}`)!.add(latency[ra]!, latency[rb]!);
        for (const { metric } of VERDICT_METRICS) {
          const values = rows.metrics[metric];
          if (values) cell.diffs[diffKey(a, b, metric)]!.add(values[ra]!, values[rb]!);
        }
      } catch (error) {
        throw new InputError(`${name}: row ${ra}: ${(error as Error).message}`);
      }
    }
  }
  const agents = agentRows === undefined ? new Map<number, AgentStats[]>() : agentStatsByCell(agentRows, policies, name);
  const cells: CellSummary[] = [...byCell.entries()]
    .sort(([x], [y]) => x - y)
    .map(([index, cell]) => {
      const stats = policies.map((policy) => ({
        policy,
        metrics: Object.fromEntries(metrics.map((m) => [m, cell.stats.get(policy)!.get(m)!.summary()])),
      }));
      return {
        cell: index,
        values: cell.values,
        fleetRuns: cell.runs,
        policies: stats,
        pairs: policyPairs(policies).map(([a, b]) => pairStats(a, b, cell.pairs.get(`${a}|${b}`)!)),
        ...(agents.has(index) ? { agents: agents.get(index)! } : {}),
        // Only the verdict metrics the file has rows of: an older file has no columns for the newer metrics.
        verdicts: cellVerdicts(
          policyPairs(policies),
          stats,
          (a, b, m) => cell.diffs[diffKey(a, b, m)]!.summary(),
          new Set(Object.keys(rows.metrics)),
        ),
        warnings: cellWarnings(stats),
      };
    });
  return {
    format: SUMMARY_FORMAT,
    study: name,
    studyHash: '',
    seed: 0,
    axes: rows.axes.map((axis, a) => ({ name: axis.name, values: axisValues[a]! })),
    policies,
    metrics,
    quantiles: 'p50/p90/p99 from a DDSketch with 0.5 % relative accuracy, clamped to [min, max]',
    cells,
  };
}
