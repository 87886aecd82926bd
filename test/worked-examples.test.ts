/**
 * The worked examples of docs/MODEL.md and docs/QUEUEING.md, and the closed forms they state that no
 * other test checks. Each example is a study file in docs/examples/ that a reader runs with
 * `fleetsim sweep docs/examples/<name>.json --out DIR --backend cpu`; here the same file goes through
 * the sweep code in memory on the CPU engine, so the figures the docs quote cannot drift from what
 * the command prints. Per-step values (the signals' shares) come from the engine's series of the
 * batch the sweep builds, and are also recomputed here from the docs' formulas alone.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { runBatchCpu, runSeriesCpu } from '../src/cpu/engine.js';
import type { CellSummary } from '../src/sweep/aggregate.js';
import { planUnits } from '../src/sweep/plan.js';
import { buildBatch, sweepInMemory } from '../src/sweep/run.js';
import { type ExpandedStudy, parseStudyText } from '../src/study/cells.js';

const example = (name: string): ExpandedStudy => {
  const path = `docs/examples/${name}.json`;
  return parseStudyText(readFileSync(path, 'utf8'), path);
};

/** The study run as `fleetsim sweep … --backend cpu` runs it, in memory: summary.json's cells. */
async function sweepCpu(expanded: ExpandedStudy): Promise<CellSummary[]> {
  return (await sweepInMemory(expanded, { run: (batch) => Promise.resolve(runBatchCpu(batch)) })).cells;
}

const metric = (cell: CellSummary, name: string): { mean: number; se: number } => {
  const s = cell.policies[0]!.metrics[name]!;
  return { mean: s.mean, se: (s.std ?? 0) / Math.sqrt(s.n) };
};

/** Algorithm 1 (docs/MODEL.md Part 1) in plain f64, written from the docs alone: the shares for rates λ̂. */
function adaptiveShares(rate: readonly number[], R: readonly number[], P: readonly number[], G = 1): number[] {
  const d = rate.map((l, i) => (l * R[i]!) / P[i]!);
  const D = d.reduce((a, b) => a + b, 0);
  if (D === 0) return d.map(() => 0);
  const g = d.map((di, i) => Math.max(R[i]!, (di / D) * G));
  const sum = g.reduce((a, b) => a + b, 0);
  return sum > G ? g.map((x) => (x * G) / sum) : g;
}

describe('MODEL.md worked example: the observed and ema signals (docs/examples/signals.json)', () => {
  const expanded = example('signals');
  // The paper's fleet (coordinator, nlp, vision, reasoning), Δt = 0.5 s, deterministic arrivals, the
  // coordinator ×10 at steps 2 and 3 (1 s to 2 s): arrivals per step a_t = λ·Δt·m(t).
  const lambda = [80, 40, 45, 25];
  const R = [0.1, 0.3, 0.25, 0.35];
  const P = [1, 2, 2, 1];
  const dt = 0.5;
  const multiplier = (i: number, t: number): number => (i === 0 && (t === 2 || t === 3) ? 10 : 1);
  const TABLE_II_SHARES = ['0.238539', '0.253820', '0.211517', '0.296124'];
  // What the docs print: the coordinator's λ̂_t and the four shares g_t, steps 0 … 5.
  const DOCS: Record<'observed' | 'ema', { coordinatorRate: number[]; shares: string[][] }> = {
    observed: {
      coordinatorRate: [80, 80, 80, 800, 800, 80],
      shares: [
        TABLE_II_SHARES,
        TABLE_II_SHARES,
        TABLE_II_SHARES,
        ['0.469656', '0.176781', '0.147318', '0.206245'],
        ['0.469656', '0.176781', '0.147318', '0.206245'],
        TABLE_II_SHARES,
      ],
    },
    ema: {
      coordinatorRate: [80, 80, 80, 224, 339.2, 287.36],
      shares: [
        TABLE_II_SHARES,
        TABLE_II_SHARES,
        TABLE_II_SHARES,
        ['0.367831', '0.210723', '0.175602', '0.245843'],
        ['0.409734', '0.196755', '0.163963', '0.229548'],
        ['0.393990', '0.202003', '0.168336', '0.235671'],
      ],
    },
  };

  it.each(['observed', 'ema'] as const)('%s: the engine gives the shares the docs print, and so do the docs’ formulas', (signal) => {
    const cell = expanded.cells.find((c) => c.values[0] === signal)!;
    const { batch } = buildBatch(planUnits([cell]), new Map([[cell.index, cell]]));
    const s = runSeriesCpu(batch, 0);
    const want = DOCS[signal];
    // λ̂_0 = λ; then λ̂_{t+1} = a_t/Δt (observed) or α·(a_t/Δt) + (1 − α)·λ̂_t (ema, α = 0.2), for every agent.
    let rate = [...lambda];
    for (let t = 0; t < s.steps; t++) {
      const arrived = lambda.map((l, i) => l * dt * multiplier(i, t));
      const hand = adaptiveShares(rate, R, P);
      expect(rate[0], `λ̂ at step ${t}`).toBeCloseTo(want.coordinatorRate[t]!, 9);
      for (let i = 0; i < 4; i++) {
        expect(s.arrivals[i * s.steps + t], `a_${t} of agent ${i}`).toBe(arrived[i]);
        expect(s.share[i * s.steps + t]!.toFixed(6), `engine: g_${t} of agent ${i}`).toBe(want.shares[t]![i]);
        expect(hand[i]!.toFixed(6), `docs' formulas: g_${t} of agent ${i}`).toBe(want.shares[t]![i]);
      }
      rate = rate.map((l, i) => (signal === 'observed' ? arrived[i]! / dt : 0.2 * (arrived[i]! / dt) + 0.8 * l));
    }
  });

  it('nominal keeps Table II’s shares; the sweep’s avgLatency is 8.280 / 7.406 / 7.091 s (nominal / observed / ema)', async () => {
    const cell = expanded.cells.find((c) => c.values[0] === 'nominal')!;
    const s = runSeriesCpu(buildBatch(planUnits([cell]), new Map([[cell.index, cell]])).batch, 0);
    for (let t = 0; t < s.steps; t++) for (let i = 0; i < 4; i++) expect(s.share[i * s.steps + t]!.toFixed(6)).toBe(TABLE_II_SHARES[i]);
    const cells = await sweepCpu(expanded);
    expect(cells.map((c) => metric(c, 'avgLatency').mean.toFixed(3))).toEqual(['8.280', '7.406', '7.091']);
  });
});

/**
 * fleetsim's discrete-time M/D/1 (μ = 1) solved exactly: work counted in units of 1/`perRequest` of a
 * request, of which a step serves `perStep` (so Δt = perStep/perRequest), the backlog X is an integer
 * and X' = max(X + perRequest·A − perStep, 0) with A ~ Poisson(λΔt); ℓ = X/perRequest (seconds, as
 * T·g = 1) and ⌈Q − 2^-10⌉ = ⌈X/perRequest⌉. Its stationary law by iterating the chain from empty, in
 * f64, truncated where the tail is far below 1e-15.
 */
function discreteMD1(rho: number, perRequest: number, perStep = 1): { latency: number; inSystem: number } {
  const m = (rho * perStep) / perRequest; // λΔt
  const pmf: number[] = [Math.exp(-m)];
  while (pmf.length < 60) pmf.push((pmf[pmf.length - 1]! * m) / pmf.length);
  const size = perRequest * 120;
  let pi = new Float64Array(size);
  pi[0] = 1;
  for (let iteration = 0; iteration < 200_000; iteration++) {
    const next = new Float64Array(size);
    for (let x = 0; x < size; x++) {
      const p = pi[x]!;
      if (p < 1e-300) continue;
      for (let a = 0; a < pmf.length; a++) {
        const y = Math.max(x + perRequest * a - perStep, 0);
        if (y < size) next[y]! += p * pmf[a]!;
      }
    }
    let change = 0;
    for (let x = 0; x < size; x++) change += Math.abs(next[x]! - pi[x]!);
    pi = next;
    if (change < 1e-15) break;
  }
  let latency = 0;
  let inSystem = 0;
  for (let x = 0; x < size; x++) {
    latency += (pi[x]! * x) / perRequest;
    inSystem += pi[x]! * Math.ceil(x / perRequest);
  }
  return { latency, inSystem };
}

const pkWait = (rho: number): number => rho / (2 * (1 - rho)); // M/D/1, μ = 1

describe('QUEUEING.md: the Δt correction of Pollaczek–Khinchine, exact for M/D/1 when 1/(μΔt) is an integer', () => {
  it.each([
    [0.3, 1],
    [0.5, 2],
    [0.5, 10],
    [0.7, 4],
  ])('ρ = %s, 1/(μΔt) = %s: mean ℓ = W_q − ρΔt/2 and mean ⌈Q⌉ = λ(W_q + 1/μ − Δt)', (rho, k) => {
    const dt = 1 / k;
    const exact = discreteMD1(rho, k);
    expect(exact.latency).toBeCloseTo(pkWait(rho) - (rho * dt) / 2, 10);
    expect(exact.inSystem).toBeCloseTo(rho * (pkWait(rho) + 1 - dt), 10);
  });

  it('ρ = 0.5, Δt = 0.4 s (1/(μΔt) = 2.5): mean ℓ = 0.4074, not the 0.4000 of W_q − ρΔt/2', () => {
    expect(discreteMD1(0.5, 5, 2).latency.toFixed(4)).toBe('0.4074');
  });
});

describe('QUEUEING.md worked example: M/D/1, ρ = 0.5, Δt = 0.5 s (docs/examples/md1.json)', () => {
  it('mean latency 0.3757 ± 0.0012 against W_q − ρΔt/2 = 0.375; meanInSystem 0.5007 ± 0.0013 against 0.5', async () => {
    const [cell] = await sweepCpu(example('md1'));
    const latency = metric(cell!, 'avgLatency');
    const inSystem = metric(cell!, 'meanInSystem');
    expect([latency.mean.toFixed(4), latency.se.toFixed(4)]).toEqual(['0.3757', '0.0012']);
    expect([inSystem.mean.toFixed(4), inSystem.se.toFixed(4)]).toEqual(['0.5007', '0.0013']);
    expect(Math.abs(latency.mean - (pkWait(0.5) - (0.5 * 0.5) / 2))).toBeLessThanOrEqual(3 * latency.se);
    expect(Math.abs(inSystem.mean - 0.5 * (pkWait(0.5) + 1 - 0.5))).toBeLessThanOrEqual(3 * inSystem.se);
  });
});

describe('MODEL.md: parameters are f32 (docs/examples/f32-lambda.json)', () => {
  it('λ = 15.000001 against T·G = 15: avgLatency 3.2107e-6 s, 4.63 % below the f64 model’s 3.3667e-6 s', async () => {
    const [cell] = await sweepCpu(example('f32-lambda'));
    const latency = metric(cell!, 'avgLatency').mean;
    const finalQueue = metric(cell!, 'finalQueue').mean;
    // f64 model: the queue grows by λΔt − TΔt = 1e-6 a step, so Q_t = t·1e-6 after step t (1-based)
    // and ℓ_t = Q_t/15; the mean of ℓ over 100 steps is 50.5e-6/15.
    const f64Latency = (50.5 * (15.000001 - 15)) / 15;
    const f32Lambda = Math.fround(15.000001);
    expect(f32Lambda).toBe(15 + 2 ** -20);
    expect(latency / ((50.5 * 2 ** -20) / 15) - 1).toBeCloseTo(0, 12);
    expect(finalQueue).toBe(100 * 2 ** -20);
    expect([latency.toExponential(4), f64Latency.toExponential(4), ((100 * (latency - f64Latency)) / f64Latency).toFixed(2)]).toEqual([
      '3.2107e-6',
      '3.3667e-6',
      '-4.63',
    ]);
  });
});
