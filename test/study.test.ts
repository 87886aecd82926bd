/**
 * Study files: every bad input gets one line per problem naming its path; the grid expands in the
 * documented order; random fleets are a pure function of (seed, sample); schedules turn into step
 * breakpoints; the published JSON Schema is the one the code generates; the shipped studies are valid.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { describe, expect, it } from 'vitest';
import { studyHash } from '../src/cli/sweep.js';
import { expandStudy, parseStudyText, StudyError } from '../src/study/cells.js';
import type { AgentSpec } from '../src/model/batch.js';
import { randomFleets } from '../src/model/randomFleets.js';
import { agentSchedule, cellFleet, loadFactor, randomStudyFleet } from '../src/study/fleets.js';
import { DEFAULT_ALLOCATOR, type StudyInput, StudySchema, studyJsonSchema } from '../src/study/schema.js';
import { POLICY_NAMES } from '../src/model/policies.js';

const base: StudyInput = { name: 't', fleet: { preset: 'paper' }, steps: 20 };

function problems(json: unknown): string[] {
  try {
    expandStudy(json);
  } catch (error) {
    if (error instanceof StudyError) return [...error.problems];
    throw error;
  }
  return [];
}

describe('study validation', () => {
  const cases: [string, unknown, string[]][] = [
    ['wrong type', { ...base, steps: 'many' }, ['steps: must be a number, got "many"']],
    ['not an integer', { ...base, replicates: 2.5 }, ['replicates: must be an integer, got 2.5']],
    ['missing field', { fleet: { preset: 'paper' } }, ['name: is required']],
    [
      'negative rate',
      { ...base, fleet: { agents: [{ T: 10, R: 0.1, P: 1, lambda: -1 }] } },
      ['fleet.agents[0].lambda: must be ≥ 0, got -1'],
    ],
    ['R outside [0, 1]', { ...base, fleet: { agents: [{ T: 10, R: 1.5, P: 1, lambda: 1 }] } }, ['fleet.agents[0].R: must be ≤ 1, got 1.5']],
    [
      'unknown policy',
      { ...base, policies: ['static', 'greedy'] },
      [`policies[1]: must be one of ${POLICY_NAMES.map((n) => `"${n}"`).join(', ')}, got "greedy"`],
    ],
    ['empty axis', { ...base, axes: [{ path: 'lmax', values: [] }] }, ['axes[0].values: must have at least 1 item']],
    [
      'bad axis value',
      {
        ...base,
        axes: [
          { path: 'lmax', values: [1] },
          { path: 'loadScale', values: [2, -1] },
        ],
      },
      ['axes[1].values[1]: must be ≥ 0, got -1'],
    ],
    ['axis on an unknown field', { ...base, axes: [{ path: 'lamda', values: [1] }] }, ['axes[0].path: lamda is not a study field']],
    [
      'axis on a fixed field',
      { ...base, axes: [{ path: 'seed', values: [1] }] },
      ['axes[0].path: an axis cannot set seed (allowed: the workload and fleet fields)'],
    ],
    ['unknown field', { ...base, stepz: 3 }, ['stepz: unknown field']],
    ['warmup ≥ steps', { ...base, warmup: 20 }, ['warmup: must be < steps (20)']],
    [
      'exponential work needs a counting process',
      { ...base, arrivals: 'deterministic', work: 'exponential' },
      ['work: exponential work needs arrivals that count requests (not deterministic)'],
    ],
    [
      'distribution bounds',
      {
        ...base,
        fleet: { random: { agents: 3, T: { kind: 'uniform', min: 10, max: 5 }, R: { kind: 'uniform', min: 0, max: 2 }, P: 1, load: 1 } },
      },
      ['fleet.random.T.max: must be ≥ min (10)', 'fleet.random.R: every value must be in [0, 1], got values from 0 to 2'],
    ],
    [
      'unknown distribution',
      { ...base, fleet: { random: { agents: 3, T: { kind: 'normal' }, R: 0, P: 1, load: 1 } } },
      ['fleet.random.T.kind: must be one of "fixed", "uniform", "logUniform", "choice"'],
    ],
    [
      'schedule agent name',
      { ...base, schedule: [{ agents: ['coordinater'], from: 0, multiplier: 2 }] },
      ['schedule[0].agents[0]: no agent is named "coordinater" (agents: coordinator, nlp, vision, reasoning)'],
    ],
    [
      'conflicting axes',
      {
        ...base,
        axes: [
          { path: 'steps', values: [10, 30] },
          { path: 'warmup', values: [0, 15] },
        ],
      },
      ['cell 1 (steps = 10, warmup = 15): warmup: must be < steps (10)'],
    ],
    [
      'variant axis',
      {
        ...base,
        axes: [
          {
            name: 'scenario',
            variants: [
              { label: 'ok', set: { loadScale: 2 } },
              { label: 'bad', set: { dt: -1 } },
            ],
          },
        ],
      },
      ['axes[0].variants[1] ("bad"): must be > 0, got -1'],
    ],
    [
      'rate beyond the sampler',
      { ...base, loadScale: 1e6 },
      [
        'loadScale: arrivals per agent-step can reach 8.00e+7 (λ 80 × loadScale 1000000 × peak schedule multiplier 1 × dt 1); the engine allows at most 10000000',
      ],
    ],
    ['overflow', JSON.parse('{"name": "t", "fleet": {"preset": "paper"}, "lmax": 1e400}'), ['lmax: must be a finite number, got Infinity']],
  ];
  it.each(cases)('%s', (_, json, expected) => {
    expect(problems(json)).toEqual(expected);
  });

  it('reports every problem of a file at once', () => {
    const json = { name: 't', fleet: { agents: [{ T: 0, R: 0, P: 1, lambda: 1 }] }, dt: 0, arrivals: 'bursty' };
    expect(problems(json)).toEqual([
      'fleet.agents[0].T: must be > 0, got 0',
      'arrivals: must be "deterministic" or "poisson" or "gamma" or "weibull" or "mmpp" or "replay" or "servegen" or an object, got "bursty"',
      'dt: must be > 0, got 0',
    ]);
  });

  it('names the file and position of a JSON syntax error', () => {
    expect(() => parseStudyText('{"name": ', 'x.json')).toThrow(/x\.json: not valid JSON/);
  });
});

describe('grid expansion', () => {
  it('varies the first axis slowest and applies the values', () => {
    const { cells } = expandStudy({
      ...base,
      axes: [
        { path: 'lmax', values: [10, 20] },
        { path: 'allocator.sees', values: ['nominal', 'ema', 'observed'] },
      ],
    });
    expect(cells.map((c) => c.values)).toEqual([
      [10, 'nominal'],
      [10, 'ema'],
      [10, 'observed'],
      [20, 'nominal'],
      [20, 'ema'],
      [20, 'observed'],
    ]);
    expect(cells[4]!.study.lmax).toBe(20);
    expect(cells[4]!.study.allocator).toEqual({ ...DEFAULT_ALLOCATOR, sees: 'ema' });
  });

  it('applies every assignment of a variant', () => {
    const { cells } = expandStudy({
      ...base,
      axes: [
        {
          name: 's',
          variants: [
            { label: 'a', set: {} },
            { label: 'b', set: { loadScale: 3, lmax: 5 } },
          ],
        },
      ],
    });
    expect(cells.map((c) => [c.values[0], c.study.loadScale, c.study.lmax])).toEqual([
      ['a', 1, 999],
      ['b', 3, 5],
    ]);
  });
});

describe('study fleets', () => {
  const random = StudySchema.parse({
    name: 'r',
    fleet: {
      random: {
        agents: { min: 2, max: 9 },
        T: { kind: 'logUniform', min: 5, max: 500 },
        R: { kind: 'uniform', min: 0, max: 0.2 },
        P: { kind: 'choice', values: [1, 2, 3] },
        load: { kind: 'uniform', min: 0.5, max: 1.5 },
      },
    },
  });

  it('draws each sample as a pure function of (seed, sample), within the ranges', () => {
    const spec = 'random' in random.fleet ? random.fleet.random : null;
    for (let s = 0; s < 200; s++) {
      const a = randomStudyFleet(5, s, spec!);
      expect(randomStudyFleet(5, s, spec!)).toEqual(a);
      expect(a.length).toBeGreaterThanOrEqual(2);
      expect(a.length).toBeLessThanOrEqual(9);
      const rho = loadFactor({ agents: a });
      expect(rho).toBeGreaterThanOrEqual(0.5 - 1e-12);
      expect(rho).toBeLessThanOrEqual(1.5 + 1e-12);
      for (const agent of a) {
        expect(agent.T).toBeGreaterThanOrEqual(5);
        expect(agent.T).toBeLessThanOrEqual(500);
        expect([1, 2, 3]).toContain(agent.P);
      }
    }
    expect(randomStudyFleet(6, 0, spec!)).not.toEqual(randomStudyFleet(5, 0, spec!));
  });

  it('keeps both draw layouts of the one generator: the fleets of a seed never change', () => {
    // Sums over 200 fleets of N, T, R, P and λ: any change to a layout's draw order or arithmetic
    // (src/model/randomFleets.ts) moves them.
    const sums = (fleets: readonly (readonly AgentSpec[])[]): number[] =>
      fleets.flat().reduce((s, a) => [s[0]! + 1, s[1]! + a.T, s[2]! + a.R, s[3]! + a.P, s[4]! + a.lambda], [0, 0, 0, 0, 0]);
    const spec = 'random' in random.fleet ? random.fleet.random : null;
    const study = Array.from({ length: 200 }, (_, s) => randomStudyFleet(5, s, spec!));
    expect(sums(study)).toEqual([1095, 120907.43880910939, 108.14147942066204, 2214, 23330.250540586145]);
    const ranges = randomFleets(5, 0, 200).map((f) => f.agents);
    expect(sums(ranges)).toEqual([6484, 695334.8837927359, 100.97504043158943, 12900, 20813.496531765202]);
  });

  it("with RDividedByN, divides each agent's R by its fleet's agent count and changes nothing else", () => {
    const spec = 'random' in random.fleet ? random.fleet.random : null;
    expect(spec!.RDividedByN).toBe(false); // the default
    for (let s = 0; s < 50; s++) {
      const plain = randomStudyFleet(5, s, spec!);
      const divided = randomStudyFleet(5, s, { ...spec!, RDividedByN: true });
      expect(divided).toEqual(plain.map((a) => ({ ...a, R: a.R / plain.length })));
    }
  });

  it('applies the load scale and capacity', () => {
    const study = StudySchema.parse({ ...base, loadScale: 2, capacity: 3 });
    const fleet = cellFleet(study, 0);
    expect(fleet.capacity).toBe(3);
    expect(fleet.agents.map((a) => a.lambda)).toEqual([160, 80, 90, 50]);
  });

  it('turns schedules into step breakpoints, multiplying overlaps', () => {
    const study = StudySchema.parse({
      ...base,
      dt: 0.1,
      steps: 1000,
      schedule: [
        { agents: ['coordinator'], from: 40, to: 60, multiplier: 10 },
        { agents: 'all', from: 50, multiplier: 2 },
        { agents: [3], from: 95, to: 200, multiplier: 0 },
      ],
    });
    expect(agentSchedule(study, 0, 'coordinator')).toEqual([
      { start: 400, multiplier: 10 },
      { start: 500, multiplier: 20 },
      { start: 600, multiplier: 2 },
    ]);
    expect(agentSchedule(study, 1, 'nlp')).toEqual([{ start: 500, multiplier: 2 }]);
    expect(agentSchedule(study, 3, 'reasoning')).toEqual([
      { start: 500, multiplier: 2 },
      { start: 950, multiplier: 0 },
    ]);
  });
});

describe('published schema and shipped studies', () => {
  it('schema/study.schema.json is current (regenerate: npm run schema)', () => {
    const published = JSON.parse(readFileSync(join(import.meta.dirname, '..', 'schema', 'study.schema.json'), 'utf8')) as unknown;
    expect(published).toEqual(JSON.parse(JSON.stringify(studyJsonSchema())));
  });

  it('the published schema accepts the shipped studies and rejects a bad one (as an editor would, with Ajv)', () => {
    const schema = JSON.parse(readFileSync(join(import.meta.dirname, '..', 'schema', 'study.schema.json'), 'utf8')) as object;
    const validate = new Ajv2020({ allErrors: true, strict: false }).compile(schema);
    for (const file of readdirSync(join(import.meta.dirname, '..', 'sweeps'))) {
      expect(validate(JSON.parse(readFileSync(join(import.meta.dirname, '..', 'sweeps', file), 'utf8'))), file).toBe(true);
    }
    expect(validate({ name: 'x', fleet: { preset: 'paper' }, policies: ['greedy'] })).toBe(false);
    expect(validate({ name: 'x', fleet: { agents: [{ T: 1, R: 2, P: 1, lambda: 1 }] } })).toBe(false);
  });

  it('keeps the hash of every study written before RDividedByN existed (the field is left out of the identity at its default)', () => {
    // The shipped studies' hashes as recorded in their summary.json before the field was added.
    const hashes: Record<string, string> = {
      'load-curve.json': '481ae8be53f2c720a8119df2b26aaa1e6065785941140c9d50aa5f6aaaf82620',
      'paper-robustness.json': 'c84d411d45842e8557194e15e18a6ba661272467753e4ad778d6627ae16d62f8',
      'random-fleets.json': '1c10d0d8a720788ec70e58450f85873d21992e8b8dd3d8c1f55bcc0f9602031a',
    };
    const text = (file: string): string => readFileSync(join(import.meta.dirname, '..', 'sweeps', file), 'utf8');
    for (const [file, hash] of Object.entries(hashes)) expect(studyHash(parseStudyText(text(file), file).study), file).toBe(hash);
    const json = JSON.parse(text('random-fleets.json')) as { fleet: { random: Record<string, unknown> } };
    const withField = (value: boolean): string => {
      const copy = structuredClone(json);
      copy.fleet.random.RDividedByN = value;
      return studyHash(expandStudy(copy).study);
    };
    expect(withField(false)).toBe(hashes['random-fleets.json']); // the default written out means the same study
    expect(withField(true)).not.toBe(hashes['random-fleets.json']);
  });

  const dir = join(import.meta.dirname, '..', 'sweeps');
  it.each(readdirSync(dir).filter((f) => f.endsWith('.json')))('sweeps/%s is valid', (file) => {
    const { cells } = parseStudyText(readFileSync(join(dir, file), 'utf8'), file);
    expect(cells.length).toBeGreaterThan(0);
  });
});
