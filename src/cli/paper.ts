/** `fleetsim paper`: the paper's scenario under the three policies, Table II side by side. */
import { runSummary, summarize, type RunSummary } from '../model/metrics.js';
import { MODEL_TABLE_II, PAPER_AGENTS, PAPER_CONFIG, PAPER_TABLE_II, paperBatch } from '../model/paper.js';
import { PAPER_POLICIES, type PaperPolicyName } from '../model/policies.js';
import type { Engine } from '../platform/engine.js';

export interface PaperOptions {
  lmax: number;
  steps: number;
}

export type PaperResult = Record<PaperPolicyName, RunSummary> & { backend: string; adapter: string | null };

export async function runPaper(backend: Engine, options: PaperOptions): Promise<PaperResult> {
  const batch = paperBatch({ ...PAPER_CONFIG, lmax: options.lmax, steps: options.steps });
  const result = summarize(batch, await backend.run(batch));
  const names = PAPER_AGENTS.map((a) => a.name);
  const out = { backend: backend.name, adapter: backend.adapter } as PaperResult;
  PAPER_POLICIES.forEach((name, r) => (out[name] = runSummary(batch, result, r, names)));
  return out;
}

/** The --json object: per policy the metrics and per-agent rows, plus the backend. */
export function paperJson(result: PaperResult): object {
  const json: Record<string, unknown> = { backend: result.backend, adapter: result.adapter };
  for (const name of PAPER_POLICIES) {
    const s = result[name];
    json[name] = {
      avgLatency: s.avgLatency,
      throughput: s.throughput,
      capacityThroughput: s.capacityThroughput,
      cost: s.cost,
      utilization: s.utilization,
      crossAgentStd: s.crossAgentStd,
      perAgent: s.perAgent.map((a) => ({
        name: a.name,
        latency: a.latency,
        throughput: a.throughput,
        share: a.share,
        meanQueue: a.meanQueue,
        finalQueue: a.finalQueue,
      })),
    };
  }
  return json;
}

/**
 * `value` as indented JSON, refusing a number JSON cannot hold: JSON.stringify would print NaN and
 * ±Infinity as `null`, silently. With the options bounded (--lmax ≤ LIMITS.lmax) none arises, so one
 * is a bug and keeps its stack trace, naming the field.
 */
export function finiteJson(value: unknown): string {
  return JSON.stringify(
    value,
    function (this: unknown, key: string, x: unknown) {
      if (typeof x === 'number' && !Number.isFinite(x))
        throw new Error(`--json: the figure ${JSON.stringify(key)} is ${x}, not a finite number`);
      return x;
    },
    2,
  );
}

const pad = (s: string, n: number): string => s.padEnd(n);
// Rounds -0.0000 to 0.0000.
const num = (x: number, digits: number, width: number): string =>
  (Math.abs(x) < 0.5 * 10 ** -digits ? 0 : x).toFixed(digits).padStart(width);

export function paperText(result: PaperResult, options: PaperOptions): string {
  const paperDefaults = options.steps === PAPER_CONFIG.steps && options.lmax === PAPER_CONFIG.lmax;
  const lines = [
    `fleetsim paper: Table II of arXiv 2512.22149 (4 agents, ${options.steps} steps of 1 s, deterministic arrivals, L_max ${options.lmax} s)`,
    `backend: ${result.backend}${result.adapter ? ` (${result.adapter})` : ''}`,
    '',
    `${pad('metric', 22)}${pad('policy', 12)}${'paper'.padStart(9)}${'fleetsim'.padStart(11)}${'diff'.padStart(9)}`,
  ];
  const rows: [string, (s: RunSummary) => number, (p: PaperPolicyName) => number | null, number][] = [
    ['avgLatency (s)', (s) => s.avgLatency, (p) => PAPER_TABLE_II[p].avgLatency, 3],
    ['throughput (rps)', (s) => s.throughput, (p) => PAPER_TABLE_II[p].throughput, 2],
    ['capacityThroughput', (s) => s.capacityThroughput, (p) => PAPER_TABLE_II[p].throughput, 2],
    ['cost ($)', (s) => s.cost, (p) => PAPER_TABLE_II[p].cost, 4],
    ['utilization', (s) => s.utilization, () => null, 3],
    ['crossAgentStd (s) *', (s) => s.crossAgentStd, () => null, 2],
  ];
  for (const [label, get, paper, digits] of rows) {
    for (const p of PAPER_POLICIES) {
      const ours = get(result[p]);
      const theirs = paperDefaults ? paper(p) : null;
      const cells =
        theirs === null
          ? `${'—'.padStart(9)}${num(ours, digits, 11)}${''.padStart(9)}`
          : `${num(theirs, digits, 9)}${num(ours, digits, 11)}${num(ours - theirs, digits, 9)}`;
      lines.push(`${pad(p === 'static' ? label : '', 22)}${pad(p, 12)}${cells}`);
    }
  }
  lines.push(
    `* the paper's latency std-dev row (4.2 / 0.5 / 3.8) matches no definition tried; this is the population`,
    `  std of the per-agent mean latencies (model: ${Object.values(MODEL_TABLE_II.crossAgentStd).join(' / ')}).`,
    '',
  );
  const agents = result.static.perAgent.map((a) => a.name ?? '');
  const header = `${pad('agent', 14)}${PAPER_POLICIES.map((p) => p.padStart(12)).join('')}`;
  const table = (title: string, get: (p: PaperPolicyName, i: number) => number, digits: number): void => {
    lines.push(title, header);
    agents.forEach((name, i) => lines.push(`${pad(name, 14)}${PAPER_POLICIES.map((p) => num(get(p, i), digits, 12)).join('')}`));
    lines.push('');
  };
  table('per-agent latency (s)', (p, i) => result[p].perAgent[i]!.latency, 3);
  table('per-agent throughput (rps)', (p, i) => result[p].perAgent[i]!.throughput, 2);
  table('per-agent mean share (GPUs)', (p, i) => result[p].perAgent[i]!.share, 6);
  return lines.join('\n');
}
