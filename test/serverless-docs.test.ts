/**
 * docs/serverless.md's timeline of one agent (COLD → LOADING → WARM → COLD, K = 3 s, C = 2 s, Δt = 1 s)
 * is what the CPU engine does: the arrivals, phases, served work and queues the diagram prints, read
 * from the page, against runSeriesCpu on the same setup (deterministic arrivals shaped by a schedule),
 * and the counts its bullets name (cold starts, cold hits, their delay, the idle-warm and resident steps).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runBatchCpu, runSeriesCpu } from '../src/cpu/engine.js';
import { crossRuns, makeBatch, packFleets, type SimConfig } from '../src/model/batch.js';
import { PHASES } from '../src/model/lifecycle.js';
import { POLICY } from '../src/model/policies.js';

const PAGE = readFileSync(join(import.meta.dirname, '..', 'docs', 'serverless.md'), 'utf8');

/** A row of the page's timeline (the fenced block that starts with `step t`): its cells after the label. */
function row(label: string): string[] {
  const block = /```\n(step t[^]*?)```/.exec(PAGE)?.[1];
  if (block === undefined) throw new Error('docs/serverless.md: no timeline block');
  const line = block.split('\n').find((l) => l.startsWith(label));
  if (line === undefined) throw new Error(`docs/serverless.md: the timeline has no row "${label}"`);
  return line.slice(label.length).trim().split(/\s+/);
}

describe("docs/serverless.md's timeline", () => {
  const arrivals = row('arrivals a').map(Number);
  const steps = arrivals.length;
  // Deterministic arrivals of λ·m·Δt per step: λ = 1/s and a schedule whose multiplier is each step's count.
  const schedule = arrivals.map((a, t) => ({ start: t, multiplier: a }));
  const config: SimConfig = {
    dt: 1,
    steps,
    lmax: 999,
    price: 0.72,
    arrivals: 'deterministic',
    seed: 1,
    lifecycle: { keepAlive: 3, coldStart: 2, loadBandwidth: 2, initialPhase: 'cold' },
  };
  const batch = makeBatch(
    packFleets([{ agents: [{ T: 100, R: 0, P: 1, lambda: 1, M: 0, schedule }] }]),
    crossRuns(1, [POLICY.static], 1),
    config,
  );

  it('the arrivals, phases, served work and queues are the engine’s', () => {
    const series = runSeriesCpu(batch, 0);
    const short = { cold: 'COLD', loading: 'LOAD', warm: 'WARM' } as const;
    expect(Array.from(series.arrivals)).toEqual(arrivals);
    expect(Array.from(series.phase, (p) => short[PHASES[p]!])).toEqual(row('phase'));
    expect(Array.from(series.served)).toEqual(row('served').map(Number));
    expect(Array.from(series.queue)).toEqual(row('queue after').map(Number));
    const resident = row('resident').map((x) => (x === '#' ? 1 : 0));
    expect(Array.from(series.phase, (p) => (PHASES[p] === 'cold' ? 0 : 1))).toEqual(resident);
  });

  it('the counts the bullets name: two cold starts, three cold hits with 2 s of load ahead each, three idle-warm steps', () => {
    const totals = runBatchCpu(batch);
    expect(totals.coldStartSum[0]).toBe(2);
    expect(totals.coldHitSum[0]).toBe(3);
    expect(totals.coldDelaySum[0]).toBe(6);
    expect(totals.idleWarmStepSum[0]).toBe(3);
    expect(totals.loadStepSum[0]).toBe(4);
    expect(totals.residentStepSum[0]).toBe(row('resident').filter((x) => x === '#').length);
  });
});
