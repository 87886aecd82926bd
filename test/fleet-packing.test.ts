/**
 * The sweep's batches pack each fleet's agents straight into typed arrays (src/study/fleets.ts
 * cellAgents into src/model/batch.ts FleetPacker, reused from batch to batch, in src/sweep/run.ts
 * buildBatch). They must be the arrays the object path gave: every fleet sample built as a FleetSpec
 * (cellFleet) and packed agent by agent as packFleets did before the packer, written out below as
 * the reference, on random fleets of several families, fixed agent lists and the paper preset, with
 * schedules, load scales and arrival processes of their own.
 */
import { describe, expect, it } from 'vitest';
import { DEFAULT_AGENT_CAP, type FleetSpec, FleetPacker, MIG_SLICES, packFleets, type PackedFleets } from '../src/model/batch.js';
import { ARRIVAL_PROCESS_ID } from '../src/model/modes.js';
import { INHERIT_PROCESS, NO_TRACES } from '../src/random/arrivals.js';
import { checkMmpp, mmppParams } from '../src/random/mmpp.js';
import { renewalParams } from '../src/random/renewal.js';
import { NO_AGENT } from '../src/model/workflow.js';
import { type Cell, expandStudy } from '../src/study/cells.js';
import { cellFleet, loadFactor } from '../src/study/fleets.js';
import { buildBatch } from '../src/sweep/run.js';
import type { Unit } from '../src/sweep/plan.js';

/** packFleets as it was before FleetPacker (traces aside: these studies name none). */
function referencePack(fleets: readonly FleetSpec[], streams: readonly number[]): Omit<PackedFleets, 'traces'> {
  const total = fleets.reduce((n, f) => n + f.agents.length, 0);
  const segments = fleets.reduce((n, f) => n + f.agents.reduce((m, a) => m + (a.schedule?.length ?? 0), 0), 0);
  const p = {
    count: fleets.length,
    agentOffset: new Uint32Array(fleets.length),
    agentCount: new Uint32Array(fleets.length),
    capacity: new Float32Array(fleets.length),
    stream: new Uint32Array(fleets.length),
    T: new Float32Array(total),
    R: new Float32Array(total),
    P: new Float32Array(total),
    lambda: new Float32Array(total),
    cap: new Float32Array(total),
    weight: new Float32Array(total),
    slices: new Float32Array(total),
    // No routes in these fleets: every agent's visit rate is its λ (src/model/workflow.ts).
    routeOffset: new Uint32Array(total),
    routeCount: new Uint32Array(total),
    routeTo: new Uint32Array(0),
    routeP: new Float32Array(0),
    demand: new Float32Array(total),
    fork: new Uint32Array(fleets.length).fill(NO_AGENT),
    join: new Uint32Array(fleets.length).fill(NO_AGENT),
    memoryMB: new Uint32Array(total),
    pinned: new Uint32Array(total),
    // One GPU per fleet (these fleets give no gpus): every agent on GPU 0.
    gpuCount: new Uint32Array(fleets.length).fill(1),
    gpuPool: new Uint32Array(fleets.length),
    gpu: new Uint32Array(total),
    scheduleOffset: new Uint32Array(total),
    scheduleCount: new Uint32Array(total),
    scheduleStart: new Uint32Array(segments),
    scheduleMultiplier: new Float32Array(segments),
    process: new Uint32Array(total).fill(INHERIT_PROCESS),
    shape: new Float32Array(total),
    beta: new Float32Array(total),
    scale: new Float32Array(total),
    psiHigh: new Float32Array(total).fill(1),
    psiLow: new Float32Array(total).fill(1),
    qHighToLow: new Float32Array(total),
    qLowToHigh: new Float32Array(total),
    trace: new Uint32Array(total),
    kappa: new Float32Array(total).fill(1),
  };
  let a = 0;
  let segment = 0;
  fleets.forEach((fleet, f) => {
    p.agentOffset[f] = a;
    p.agentCount[f] = fleet.agents.length;
    p.capacity[f] = fleet.capacity ?? 1;
    p.stream[f] = streams[f]!;
    for (const agent of fleet.agents) {
      p.T[a] = agent.T;
      p.R[a] = agent.R;
      p.P[a] = agent.P;
      p.lambda[a] = agent.lambda;
      p.demand[a] = agent.lambda;
      p.memoryMB[a] = Math.ceil(agent.M ?? 0);
      p.pinned[a] = agent.pinned === true ? 1 : 0;
      p.cap[a] = agent.cap ?? DEFAULT_AGENT_CAP;
      p.weight[a] = agent.weight ?? 1 / agent.P;
      p.slices[a] = agent.slices ?? Math.floor(MIG_SLICES / fleet.agents.length);
      p.scheduleOffset[a] = segment;
      p.scheduleCount[a] = agent.schedule?.length ?? 0;
      for (const { start, multiplier } of agent.schedule ?? []) {
        p.scheduleStart[segment] = start;
        p.scheduleMultiplier[segment++] = multiplier;
      }
      const spec = agent.arrivals;
      if (spec) {
        p.process[a] = ARRIVAL_PROCESS_ID[spec.process];
        if (spec.process === 'gamma' || spec.process === 'weibull') {
          const r = renewalParams(spec.process, spec.cv!);
          [p.shape[a], p.beta[a], p.scale[a]] = [r.shape, r.beta, r.scale];
        }
        if (spec.process === 'mmpp' && agent.lambda > 0) {
          const m = spec.mmpp!;
          expect(checkMmpp(agent.lambda, m.idc, m.highFraction, m.peakRatio)).toBeNull();
          const q = mmppParams(agent.lambda, m.idc, m.highFraction, m.peakRatio);
          [p.psiHigh[a], p.psiLow[a], p.qHighToLow[a], p.qLowToHigh[a]] = [q.psiHigh, q.psiLow, q.qHighToLow, q.qLowToHigh];
        }
      }
      a++;
    }
  });
  return p;
}

const RANDOM = {
  T: { kind: 'logUniform', min: 5, max: 500 },
  R: { kind: 'uniform', min: 0, max: 1 },
  RDividedByN: true,
  P: { kind: 'choice', values: [1, 2, 3] },
  load: { kind: 'uniform', min: 0.3, max: 1.5 },
};

/** Studies of several fleet families; each has 2 cells, so a batch spans cells. */
const STUDIES: Record<string, object> = {
  'random 16 agents': { fleet: { random: { ...RANDOM, agents: { min: 16, max: 16 } } }, samples: 60 },
  'random 1–64 agents': { fleet: { random: { ...RANDOM, agents: { min: 1, max: 64 } } }, samples: 60 },
  'random, drawn processes and cv, a schedule': {
    fleet: {
      random: {
        ...RANDOM,
        agents: { min: 2, max: 8 },
        arrivals: { process: ['poisson', 'gamma', 'weibull', 'deterministic'], cv: { kind: 'uniform', min: 0.5, max: 3 } },
      },
    },
    schedule: [{ agents: [0, 3], from: 3, to: 6, multiplier: 2.5 }],
    samples: 80,
  },
  'random, lambda weights, mmpp for all, capacity 2': {
    fleet: { random: { ...RANDOM, agents: { min: 3, max: 5 }, T: 40, lambda: { kind: 'uniform', min: 0.5, max: 1 } } },
    arrivals: { process: 'mmpp', mmpp: { idc: 4, highFraction: 0.2, peakRatio: 3 } },
    capacity: 2,
    samples: 40,
  },
  'fixed agents with their own processes': {
    fleet: {
      agents: [
        { name: 'a', T: 100, R: 0.1, P: 1, lambda: 30, arrivals: { process: 'gamma', cv: 2 } },
        { name: 'b', T: 50, R: 0.2, P: 2, lambda: 10 },
        { name: 'c', T: 80, R: 0.05, P: 3, lambda: 0, arrivals: { process: 'weibull', cv: 0.7 } },
      ],
    },
    schedule: [{ agents: ['b'], from: 2, multiplier: 3 }],
    replicates: 3,
  },
  'paper preset': { fleet: { preset: 'paper' }, replicates: 4 },
};

function cellsOf(extra: object): Cell[] {
  return expandStudy({
    name: 'packing',
    seed: 9,
    arrivals: 'poisson',
    steps: 10,
    ...extra,
    axes: [{ path: 'loadScale', values: [0.5, 1.7] }],
  }).cells;
}

/** The units of `cells`, samples [begin, end) of each. */
const unitsOf = (cells: readonly Cell[], begin: number, end: number): Unit[] =>
  cells.map((c, id) => ({
    id,
    cell: c.index,
    sampleBegin: begin,
    sampleEnd: Math.min(end, c.study.samples),
    replicateBegin: 0,
    replicateEnd: c.study.replicates,
  }));

describe('packing a batch straight into typed arrays', () => {
  for (const [family, extra] of Object.entries(STUDIES)) {
    it(`gives the object path's arrays: ${family}`, () => {
      const cells = cellsOf(extra);
      const byIndex = new Map(cells.map((c) => [c.index, c]));
      const packer = new FleetPacker();
      // Two batches through one packer (the second smaller: its reused columns must not leak the first's).
      for (const [begin, end] of [
        [0, 1000],
        [1, 3],
      ] as const) {
        const units = unitsOf(cells, begin, end);
        const built = buildBatch(units, byIndex, undefined, packer);
        const specs: FleetSpec[] = [];
        const streams: number[] = [];
        for (const u of units)
          for (let s = u.sampleBegin; s < u.sampleEnd; s++) {
            specs.push(cellFleet(byIndex.get(u.cell)!.study, s));
            streams.push(s);
          }
        const { traces, ...packed } = built.batch.fleets;
        expect(traces.names).toEqual([]);
        expect(packed).toEqual(referencePack(specs, streams));
        const { traces: alsoNone, ...viaPackFleets } = packFleets(specs, streams);
        expect(alsoNone).toBe(NO_TRACES);
        expect(viaPackFleets).toEqual(packed);
        expect([...built.fleetSample]).toEqual(streams);
        expect([...built.fleetAgents]).toEqual(specs.map((f) => f.agents.length));
        expect([...built.fleetLoad]).toEqual(specs.map(loadFactor)); // the same f64 sums, bit for bit
        expect([...built.fleetCell]).toEqual(units.flatMap((u) => Array.from({ length: u.sampleEnd - u.sampleBegin }, () => u.cell)));
      }
    });
  }

  it('names the agent of a bad schedule or process as packFleets did', () => {
    const packer = new FleetPacker();
    packer.fleet(1, 0);
    packer.agent(10, 0, 1, 1, undefined, undefined);
    packer.fleet(1, 1);
    expect(() =>
      packer.agent(
        10,
        0,
        1,
        1,
        [
          { start: 5, multiplier: 2 },
          { start: 5, multiplier: 3 },
        ],
        undefined,
      ),
    ).toThrow(/^fleets\[1\]\.agents\[0\]\.schedule\[1\]\.start: /);
    packer.reset();
    packer.fleet(1, 0);
    packer.agent(10, 0, 1, 1, undefined, { process: 'gamma', cv: 500 });
    expect(() => packer.finish()).toThrow(/^fleets\[0\]\.agents\[0\]\.arrivals\.cv: /);
    // After a failed finish the packer starts over.
    packer.fleet(2, 7);
    packer.agent(10, 0.5, 1, 1, undefined, undefined);
    const packed = packer.finish();
    expect([packed.count, packed.stream[0], packed.capacity[0], packed.R[0]]).toEqual([1, 7, 2, 0.5]);
  });
});
