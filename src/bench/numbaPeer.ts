/**
 * The Numba peer (bench/peers/numba_peer.py) seen from Node: whether it can run here, one run of it on
 * the paper fleet or on given fleets, and the statistical check of its figures against fleetsim's. Its
 * random numbers are Numba's Mersenne Twister, not fleetsim's Philox, so the check is statistical: the
 * mean avgLatency, throughput and utilisation per policy within 4 combined standard errors. Used by the
 * suite (src/bench/suite.ts), `npm run bench:peers` (bench/peers.ts) and test/bench-peers.test.ts. Node only.
 *
 * @example
 *   const why = numbaUnavailable(); // null, or why the peer cannot run (with how to install it)
 *   const run = runNumbaPeer({ replicates: 2000, steps: 200, threads: 1 });
 *   const problems = comparePeerStats(batchStats(batch, runBatchCpu(batch)), run.stats); // [] when they agree
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Batch, FleetSpec } from '../model/batch.js';
import { type RunTotals, summarize } from '../model/metrics.js';
import { PAPER_POLICIES, POLICY } from '../model/policies.js';
import { packageRoot } from '../platform/node.js';

/** The Python the peers run on: Debian's, whose numba and numpy come from apt (FLEETSIM_PYTHON overrides). */
export const PEER_PYTHON = process.env.FLEETSIM_PYTHON ?? '/usr/bin/python3';
/** How to add the peers, for the skip lines. */
export const PEER_INSTALL = 'apt-get install python3-numpy python3-numba';
export const NUMBA_PEER = join(packageRoot(), 'bench', 'peers', 'numba_peer.py');
/** The metrics the check compares. */
export const PEER_METRICS = ['avgLatency', 'throughput', 'utilization'] as const;

/** A mean and its standard error; fleetsim's also carry the summary's 95 % interval. */
export interface PeerStat {
  mean: number;
  sem: number;
  ci95?: readonly [number, number];
}
/** policy → metric → statistic. */
export type PeerStats = Record<string, Record<string, PeerStat>>;

export interface NumbaPeerRun {
  numba: string;
  threads: number;
  replicates: number;
  steps: number;
  agentSteps: number;
  compileSeconds: number; // the first call on a tiny input: compiling, or loading the disk cache
  seconds: number; // the loop alone
  stats: PeerStats;
}

/** Null when the peer can run here; else why not, with how to add it. */
export function numbaUnavailable(): string | null {
  if (!existsSync(PEER_PYTHON)) return `${PEER_PYTHON} not found; add the peers with \`${PEER_INSTALL}\``;
  const probe = spawnSync(PEER_PYTHON, ['-c', 'import numba, numpy'], { encoding: 'utf8' });
  return probe.status === 0 ? null : `${PEER_PYTHON} cannot import numba; add it with \`${PEER_INSTALL}\``;
}

/**
 * The peer's fleet file: T, R, P and λ per agent, as the engines see them (f32). All fleets must have
 * the same number of agents (the peer's arrays are rectangular).
 */
export function writePeerFleets(path: string, fleets: readonly FleetSpec[]): void {
  const n = fleets[0]?.agents.length ?? 0;
  if (fleets.some((f) => f.agents.length !== n || (f.capacity ?? 1) !== 1))
    throw new Error('the Numba peer simulates fleets of one size at capacity G = 1');
  const column = (key: 'T' | 'R' | 'P' | 'lambda'): number[][] => fleets.map((f) => f.agents.map((a) => Math.fround(a[key])));
  writeFileSync(path, JSON.stringify({ T: column('T'), R: column('R'), P: column('P'), lambda: column('lambda') }));
}

/**
 * One run of the peer: `replicates` fleet runs per policy of the paper fleet, or of `fleets` (run r
 * simulates fleet r mod fleets.length; a string: a fleet file already written by writePeerFleets),
 * under the three policies on shared Poisson arrivals. Throws with the peer's last line of stderr when
 * it fails. `cacheDir` moves Numba's compile cache (default: bench/peers/__pycache__).
 */
export function runNumbaPeer(options: {
  replicates: number;
  steps: number;
  threads: number;
  seed?: number;
  fleets?: readonly FleetSpec[] | string;
  cacheDir?: string;
}): NumbaPeerRun {
  const { fleets } = options;
  const dir = fleets !== undefined && typeof fleets !== 'string' ? mkdtempSync(join(tmpdir(), 'fleetsim-numba-')) : null;
  try {
    const fleetArg = typeof fleets === 'string' ? fleets : dir ? join(dir, 'fleets.json') : 'paper';
    if (dir) writePeerFleets(fleetArg, fleets as readonly FleetSpec[]);
    const args = [NUMBA_PEER, options.replicates, options.steps, options.threads, options.seed ?? 1, fleetArg].map(String);
    const env = options.cacheDir === undefined ? process.env : { ...process.env, NUMBA_CACHE_DIR: options.cacheDir };
    const child = spawnSync(PEER_PYTHON, args, { encoding: 'utf8', env, maxBuffer: 1 << 24 });
    if (child.status !== 0)
      throw new Error(`the Numba peer failed (exit ${child.status}): ${child.stderr.trim().split('\n').at(-1) ?? ''}`);
    return JSON.parse(child.stdout) as NumbaPeerRun;
  } finally {
    if (dir) rmSync(dir, { recursive: true, force: true });
  }
}

/** fleetsim's statistics of a batch run, per policy (all runs of that policy), as the check reads them. */
export function batchStats(batch: Batch, totals: RunTotals): PeerStats {
  const result = summarize(batch, totals);
  const stats: PeerStats = {};
  for (const policy of PAPER_POLICIES) {
    const runs = [...batch.runs.policy.keys()].filter((r) => batch.runs.policy[r] === POLICY[policy]);
    if (runs.length === 0) continue;
    stats[policy] = Object.fromEntries(
      PEER_METRICS.map((m) => {
        const xs = runs.map((r) => result[m][r]!);
        const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
        const variance = xs.length > 1 ? xs.reduce((a, b) => a + (b - mean) ** 2, 0) / (xs.length - 1) : 0;
        return [m, { mean, sem: Math.sqrt(variance / xs.length) }];
      }),
    );
  }
  return stats;
}

/**
 * Where fleetsim's statistics and the peer's disagree, one line each: |Δ mean| > 4 combined standard
 * errors, plus 1e-6 relative (fleetsim packs T, R, P and λ as f32, so a metric without noise, such as
 * a saturated fleet's throughput, differs by ~1e-7 relative). Every policy of `policies` must be there.
 */
export function comparePeerStats(mine: PeerStats, peer: PeerStats, policies: readonly string[] = PAPER_POLICIES): string[] {
  const problems: string[] = [];
  for (const policy of policies)
    for (const m of PEER_METRICS) {
      const a = mine[policy]?.[m];
      const b = peer[policy]?.[m];
      if (!a || !b) {
        problems.push(`${policy} ${m}: missing from ${a ? 'the peer' : 'fleetsim'}`);
        continue;
      }
      const bound = 4 * Math.hypot(a.sem, b.sem) + 1e-6 * Math.abs(a.mean);
      if (!(Math.abs(a.mean - b.mean) <= bound)) {
        const ci = a.ci95 ? ` [${a.ci95.map((x) => x.toPrecision(7)).join(', ')}]` : ` ± ${a.sem.toPrecision(2)}`;
        problems.push(`${policy} ${m}: fleetsim ${a.mean.toPrecision(7)}${ci}, peer ${b.mean.toPrecision(7)} ± ${b.sem.toPrecision(2)}`);
      }
    }
  return problems;
}
