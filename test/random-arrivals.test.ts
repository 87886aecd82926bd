/**
 * Random fleets that draw each agent's arrival process and cv (`fleet.random.arrivals`, src/study/
 * fleets.ts): the draws are a pure function of (seed, sample, agent) through arrivalUniforms
 * (src/model/randomFleets.ts), every listed process occurs, the cv stays in its range, and the rest of
 * the fleet (N, T, R, P, λ) is exactly the fleet the same study draws without `arrivals`, which is
 * itself pinned by test/study.test.ts (the sums below are the same numbers): adding arrival processes
 * to a study never changes its fleets.
 */
import { describe, expect, it } from 'vitest';
import { ARRIVAL_PROCESS_ID } from '../src/model/modes.js';
import { arrivalUniforms } from '../src/model/randomFleets.js';
import { expandStudy } from '../src/study/cells.js';
import { cellFleet } from '../src/study/fleets.js';
import { StudySchema } from '../src/study/schema.js';
import { buildBatch } from '../src/sweep/run.js';

const RANDOM = {
  agents: { min: 2, max: 9 },
  T: { kind: 'logUniform', min: 5, max: 500 },
  R: { kind: 'uniform', min: 0, max: 0.2 },
  P: { kind: 'choice', values: [1, 2, 3] },
  load: { kind: 'uniform', min: 0.5, max: 1.5 },
};
const ARRIVALS = { process: ['poisson', 'gamma'], cv: { kind: 'uniform', min: 1, max: 4 } };
const plain = StudySchema.parse({ name: 'r', seed: 5, fleet: { random: RANDOM } });
const drawing = StudySchema.parse({ name: 'r', seed: 5, fleet: { random: { ...RANDOM, arrivals: ARRIVALS } } });
const SAMPLES = 200;

describe('random fleets drawing the arrival process and cv', () => {
  it('draw per (seed, sample, agent), both processes, cv within range', () => {
    const seen = { poisson: 0, gamma: 0 };
    let cvSum = 0;
    for (let s = 0; s < SAMPLES; s++) {
      const fleet = cellFleet(drawing, s);
      expect(cellFleet(drawing, s)).toEqual(fleet); // a pure function of (seed, sample)
      fleet.agents.forEach((agent, i) => {
        const arrivals = agent.arrivals!;
        const [uProcess, uCv] = arrivalUniforms(5, s, i);
        expect(arrivals.process).toBe(uProcess < 0.5 ? 'poisson' : 'gamma');
        if (arrivals.process === 'gamma') {
          expect(arrivals.cv).toBe(1 + 3 * uCv);
          expect(arrivals.cv).toBeGreaterThanOrEqual(1);
          expect(arrivals.cv).toBeLessThanOrEqual(4);
          cvSum += arrivals.cv!;
          seen.gamma++;
        } else {
          expect(arrivals).toEqual({ process: 'poisson' });
          seen.poisson++;
        }
      });
    }
    const n = seen.poisson + seen.gamma;
    expect(n).toBe(1095);
    // Each agent picks gamma with probability 1/2: the count within 3 SD of n/2 (SD = √n/2 ≈ 16.5).
    expect(Math.abs(seen.gamma - n / 2)).toBeLessThan(3 * Math.sqrt(n) * 0.5);
    // The cv is uniform on [1, 4]: its mean within 3 SE of 2.5 (SD 3/√12).
    expect(Math.abs(cvSum / seen.gamma - 2.5)).toBeLessThan((3 * (3 / Math.sqrt(12))) / Math.sqrt(seen.gamma));
    // Another seed draws other processes.
    const other = StudySchema.parse({ ...drawing, seed: 6 });
    expect(cellFleet(other, 0).agents.map((a) => a.arrivals)).not.toEqual(cellFleet(drawing, 0).agents.map((a) => a.arrivals));
  });

  it('leave the rest of the fleet exactly as the study draws it without `arrivals`', () => {
    const sums = [0, 0, 0, 0, 0];
    for (let s = 0; s < SAMPLES; s++) {
      const a = cellFleet(drawing, s);
      const b = cellFleet(plain, s);
      expect(b.agents.every((agent) => agent.arrivals === undefined)).toBe(true);
      const strip = (f: typeof a) =>
        f.agents.map((agent) => ({ name: agent.name, T: agent.T, R: agent.R, P: agent.P, lambda: agent.lambda, schedule: agent.schedule }));
      expect(strip(a)).toEqual(strip(b));
      expect(a.capacity).toBe(b.capacity);
      for (const agent of a.agents) {
        sums[0]! += 1;
        sums[1]! += agent.T;
        sums[2]! += agent.R;
        sums[3]! += agent.P;
        sums[4]! += agent.lambda;
      }
    }
    // test/study.test.ts's pinned sums of the same 200 fleets (seed 5): the generator is unchanged.
    expect(sums).toEqual([1095, 120907.43880910939, 108.14147942066204, 2214, 23330.250540586145]);
  });

  it('reach the engine: each packed agent runs its drawn process at its cv', () => {
    const { cells } = expandStudy({ name: 'r', seed: 5, samples: 30, fleet: { random: { ...RANDOM, arrivals: ARRIVALS } } });
    const built = buildBatch(
      [{ id: 0, cell: 0, sampleBegin: 0, sampleEnd: 30, replicateBegin: 0, replicateEnd: 1 }],
      new Map([[0, cells[0]!]]),
    );
    const { fleets } = built.batch;
    for (let s = 0; s < 30; s++) {
      cellFleet(cells[0]!.study, s).agents.forEach((agent, i) => {
        const a = fleets.agentOffset[s]! + i;
        expect(fleets.process[a]).toBe(ARRIVAL_PROCESS_ID[agent.arrivals!.process]);
        if (agent.arrivals!.process === 'gamma') expect(fleets.shape[a]).toBe(Math.fround(1 / agent.arrivals!.cv! ** 2));
      });
    }
  });
});
