/**
 * Hostile and careless study files (issue 15, the study's classes): every size is checked before the
 * grid is expanded; no input reaches a prototype; every engine limit is a validation problem that
 * names the field and its range; deep or odd JSON is a problem line; echoed input is quoted and cut;
 * one problem is one line, blamed on the field that causes it.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { loadStudy } from '../src/cli/sweep.js';
import { buildBatch } from '../src/sweep/run.js';
import { planUnits } from '../src/sweep/plan.js';
import { expandStudy, parseStudyBase, parseStudyText, StudyError } from '../src/study/cells.js';
import { LIMITS, type StudyInput } from '../src/study/schema.js';
import { studySize } from '../src/study/size.js';

const base: StudyInput = { name: 't', fleet: { preset: 'paper' }, steps: 20 };
const range = (n: number): number[] => Array.from({ length: n }, (_, i) => i + 1);

function problems(json: unknown): string[] {
  try {
    expandStudy(json);
  } catch (error) {
    if (error instanceof StudyError) return [...error.problems];
    throw error;
  }
  return [];
}

function textProblems(text: string): string[] {
  try {
    parseStudyText(text, 'study.json');
  } catch (error) {
    if (error instanceof StudyError) return [...error.problems];
    throw error;
  }
  return [];
}

/** One line each, printable, short. */
function expectClean(lines: readonly string[]): void {
  for (const line of lines) {
    expect(line).not.toMatch(/[\n\r]/);
    expect(line).not.toContain('\u001b');
    expect(line.length).toBeLessThan(400);
  }
}

describe('size before work', () => {
  it('refuses a grid over the cell limit before expanding it, naming the limit', () => {
    const json = {
      ...base,
      axes: [
        { path: 'lmax', values: range(1500) },
        { path: 'loadScale', values: range(100) },
      ],
    };
    const started = performance.now();
    expect(problems(json)).toEqual([`axes: 150000 cells; at most ${LIMITS.cells}`]);
    expect(performance.now() - started).toBeLessThan(5000); // generous: no expansion happened
  });

  it('refuses more units of work than the plan may hold (samples × replicates), before planning', () => {
    const lines = problems({ ...base, samples: 100_000_000, replicates: 20_000 });
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(
      /^samples: 1 cell\(s\) × 100000000 samples × 20000 replicates make 200000000 units of work .*; at most 1000000$/,
    );
  });

  it('expands a large cheap grid without copying the axes into every cell', () => {
    // One policy and a random fleet (no per-agent statistics): 10,000 cells of the paper's fleet under
    // three policies would need a summary.json longer than V8's longest string (src/sweep/footprint.ts).
    const fleet = { random: { agents: 3, T: { kind: 'uniform', min: 10, max: 20 }, R: 0, P: 1, load: 0.5 } };
    const json = { ...base, fleet, policies: ['static'], axes: [{ path: 'lmax', values: range(10_000) }] };
    const started = performance.now();
    const { cells } = expandStudy(json);
    expect(cells).toHaveLength(10_000);
    expect(cells[9_999]!.study.lmax).toBe(10_000);
    expect(cells[0]!.study.axes).toEqual([]); // the grid is the base study's
    expect(cells[0]!.study.fleet).toBe(cells[1]!.study.fleet); // untouched fields shared
    expect(performance.now() - started).toBeLessThan(20_000); // was 29 s (quadratic)
  });

  it('bounds the fleets the cells must hold when an axis sets the fleet', () => {
    const agents = Array.from({ length: 4096 }, () => ({ T: 10, R: 0.0001, P: 1, lambda: 0.1 }));
    const lines = problems({ ...base, fleet: { agents }, axes: [{ path: 'fleet.agents[0].T', values: range(1000) }] });
    expect(lines).toEqual([
      expect.stringMatching(new RegExp(`^axes: 1000 cells .* 4096000 agents .*; at most ${LIMITS.gridAgents}`)),
      expect.stringMatching(/^axes: 1000 cells × 3 policies .* GiB of statistics in memory; at most 1 GiB/), // 4,096 agents' statistics per cell
    ]);
  });

  it('bounds the packing checks of cells with their own arrival processes', () => {
    const agents = Array.from({ length: 4096 }, () => ({ T: 10, R: 0.0001, P: 1, lambda: 0.1 }));
    const arrivals = { process: 'gamma' as const, cv: 2 };
    const cv = { path: 'arrivals.cv', values: range(1000).map((k) => 1 + k / 1000) };
    expect(problems({ ...base, fleet: { agents }, arrivals, axes: [cv] })).toEqual([
      expect.stringMatching(/^axes: 1000 cells .* 4096000 agents to check; at most 1000000/),
      expect.stringMatching(/^axes: 1000 cells × 3 policies .* GiB of statistics in memory; at most 1 GiB/),
    ]);
    // lmax and price leave the packing alone: one check for the whole axis.
    // (Such a grid is still refused, for its 4,096 agents' statistics per cell, but not for packing.)
    expect(problems({ ...base, fleet: { agents }, arrivals, axes: [{ path: 'lmax', values: range(1000) }] })).toEqual([
      expect.stringMatching(/^axes: 1000 cells × 3 policies .* GiB of statistics in memory; at most 1 GiB/),
    ]);
  });

  it('studySize: O(axes), with the agents and steps an axis can set', () => {
    const study = parseStudyBase({
      ...base,
      samples: 3,
      replicates: 2,
      policies: ['static', 'adaptive'],
      axes: [
        { path: 'steps', values: [10, 50] },
        { name: 'fleet', variants: [{ label: 'big', set: { fleet: { random: { agents: 9, T: 1, R: 0, P: 1, lambda: 1 } } } }] },
      ],
    });
    expect(studySize(study)).toEqual({ cells: 2, fleetRuns: 12, runs: 24, agentSteps: 24 * 9 * 50 });
  });

  it('parseStudyBase refuses without expanding, and expandStudy plans within the limits', () => {
    expect(() => parseStudyBase({ ...base, samples: 100_000_000, replicates: 20_000 })).toThrow(StudyError);
    // 500,000 samples of two replicate blocks each (16,384 and 3,616 replicates): the limit's 10^6 units.
    const { cells } = expandStudy({ ...base, samples: 500_000, replicates: 20_000 });
    expect(planUnits(cells)).toHaveLength(1_000_000);
  });
});

describe('no input reaches a prototype', () => {
  const hostile: [string, unknown][] = [
    ['an axis path through __proto__', { ...base, axes: [{ path: 'fleet.__proto__.agents', values: [1, 2] }] }],
    ['an axis path through constructor', { ...base, axes: [{ path: 'constructor.prototype.polluted', values: [1] }] }],
    ['a set key through __proto__', { ...base, axes: [{ name: 'v', variants: [{ label: 'a', set: { 'allocator.__proto__.x': 1 } }] }] }],
    [
      'a set key __proto__ itself',
      {
        ...base,
        axes: [{ name: 'v', variants: [{ label: 'a', set: JSON.parse('{"__proto__": {"polluted": 1}}') as Record<string, unknown> }] }],
      },
    ],
    ['a top-level __proto__ key', JSON.parse('{"name": "t", "fleet": {"preset": "paper"}, "__proto__": {"polluted": 1}}')],
    [
      'a constructor key in a fleet',
      JSON.parse('{"name": "t", "fleet": {"preset": "paper", "constructor": {"prototype": {"polluted": 1}}}}'),
    ],
    ['an array path', { ...base, axes: [{ path: 'schedule.__proto__', values: [1] }] }],
  ];
  const before = { object: Object.keys(Object.prototype), array: Object.keys(Array.prototype) };
  afterEach(() => {
    expect(Object.keys(Object.prototype)).toEqual(before.object);
    expect(Object.keys(Array.prototype)).toEqual(before.array);
    expect(({} as { polluted?: unknown }).polluted).toBeUndefined();
  });

  it.each(hostile)('%s: a problem line, nothing polluted', (_, json) => {
    const lines = problems(json);
    expect(lines.length).toBeGreaterThan(0);
    expectClean(lines);
    expect(lines.join('\n')).toMatch(/is not a study field|unknown field/);
  });

  it('names the unknown segment of an axis path', () => {
    expect(problems({ ...base, axes: [{ path: 'fleet.__proto__.agents', values: [1] }] })).toEqual([
      'axes[0].path: fleet.__proto__ is not a study field',
    ]);
    expect(
      problems({
        ...base,
        axes: [{ name: 'v', variants: [{ label: 'a', set: JSON.parse('{"__proto__": {"x": 1}}') as Record<string, unknown> }] }],
      }),
    ).toEqual(['axes[0].variants[0] ("a").set["__proto__"]: __proto__ is not a study field']);
  });

  it('the same through the text parser and loadStudy', async () => {
    const text = '{"name": "t", "fleet": {"preset": "paper"}, "axes": [{"path": "fleet.__proto__.agents", "values": [1]}]}';
    expect(textProblems(text)).toEqual(['axes[0].path: fleet.__proto__ is not a study field']);
    const dir = mkdtempSync(join(tmpdir(), 'fleetsim-hostile-'));
    const file = join(dir, 'study.json');
    writeFileSync(file, '{"name": "t", "fleet": {"preset": "paper"}, "__proto__": {"seed": 5}}');
    await expect(loadStudy(file, { seed: 3 })).rejects.toThrow(/__proto__: unknown field/);
  });
});

describe('validate runs every check sweep runs', () => {
  const agent = { T: 10, R: 0.1, P: 1, lambda: 1 };
  const cases: [string, unknown, RegExp][] = [
    [
      'T beyond f32',
      { ...base, fleet: { agents: [{ ...agent, T: 1e39 }] } },
      /^fleet\.agents\[0\]\.T: must be ≤ 1000000000000000, got 1e\+39$/,
    ],
    ['P below f32', { ...base, fleet: { agents: [{ ...agent, P: 1e-46 }] } }, /^fleet\.agents\[0\]\.P: must be ≥ 1e-15 .*got 1e-46$/],
    [
      'a schedule multiplier beyond f32',
      { ...base, schedule: [{ agents: 'all', from: 0, multiplier: 1e39 }] },
      /^schedule\[0\]\.multiplier: must be ≤/,
    ],
    ['lmax', { ...base, lmax: 1e101 }, new RegExp(`^lmax: must be ≤ ${LIMITS.lmax}, got 1e\\+101$`)],
    ['price', { ...base, price: 1e308 }, new RegExp(`^price: must be ≤ ${LIMITS.price}, got 1e\\+308$`)],
    ['dt', { ...base, dt: 1e308 }, /^dt: must be ≤/],
    [
      'a random fleet distribution',
      { ...base, fleet: { random: { agents: 4, T: { kind: 'uniform', min: 1, max: 1e39 }, R: 0.1, P: 1, lambda: 1 } } },
      /^fleet\.random\.T: every value must be 0 or have a magnitude from 1e-15/,
    ],
    [
      'nine alternating schedule entries',
      { ...base, schedule: range(9).map((k) => ({ agents: 'all', from: 2 * k, to: 2 * k + 1, multiplier: 2 })) },
      new RegExp(`^schedule: agent 0's rate changes 18 times .*; at most ${LIMITS.scheduleSegments} per agent$`),
    ],
    [
      'too many schedule entries',
      { ...base, schedule: range(65).map(() => ({ agents: [0], from: 0, multiplier: 1 })) },
      /^schedule: must have at most 64 items$/,
    ],
  ];
  it.each(cases)('%s', (_, json, line) => {
    const lines = problems(json);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(line);
  });

  it('every study validate accepts packs: the engine limits hold at their edges', () => {
    const edge = {
      ...base,
      lmax: LIMITS.lmax,
      price: LIMITS.price,
      capacity: LIMITS.small,
      fleet: {
        agents: [
          { T: LIMITS.small, R: LIMITS.small, P: LIMITS.large, lambda: 0 },
          { T: LIMITS.large, R: 1, P: LIMITS.small, lambda: 1 },
        ],
      },
      schedule: range(8).map((k) => ({ agents: 'all' as const, from: 2 * k, to: 2 * k + 1, multiplier: 2 })),
    };
    const { cells } = expandStudy(edge);
    expect(() =>
      buildBatch(
        [{ id: 0, cell: 0, sampleBegin: 0, sampleEnd: 1, replicateBegin: 0, replicateEnd: 1 }],
        new Map(cells.map((c) => [c.index, c])),
      ),
    ).not.toThrow();
  });

  it('multiplies schedule multipliers only where the entries overlap', () => {
    const spikes = range(8).map((k) => ({ agents: 'all' as const, from: 2 * k, to: 2 * k + 1, multiplier: 100 }));
    // 8 × 100 apart: peak 100 (λ 80 × 100 = 8000 per step); multiplied, they would be 100^8.
    expect(problems({ ...base, loadScale: 1000, schedule: spikes })).toEqual([]);
    const overlapping = [
      { agents: 'all' as const, from: 0, multiplier: 400 },
      { agents: 'all' as const, from: 5, to: 8, multiplier: 400 },
    ];
    expect(problems({ ...base, schedule: overlapping })).toEqual([
      expect.stringMatching(/^schedule\[0\]\.multiplier: arrivals per agent-step can reach 1\.28e\+7 .*peak schedule multiplier 160000/),
    ]);
  });
  it('a bare process name that needs a trace or parameters is a problem in validate, not a packing error in sweep', () => {
    expect(problems({ ...base, arrivals: 'replay' })).toEqual([
      'arrivals: the replay process needs a trace: write {"process": "replay", "trace": …}',
    ]);
    expect(problems({ ...base, arrivals: 'servegen' })).toEqual([
      'arrivals: the servegen process needs a trace: write {"process": "servegen", "trace": …}',
    ]);
    expect(problems({ ...base, arrivals: 'mmpp' })).toEqual([
      'arrivals: the mmpp process needs parameters: write {"process": "mmpp", "mmpp": {idc, highFraction, peakRatio}}',
    ]);
    const agent = { name: 'a', T: 10, R: 0.1, P: 1, lambda: 1, arrivals: 'replay' as const };
    expect(problems({ ...base, fleet: { agents: [agent] } })).toEqual([
      'fleet.agents[0].arrivals: the replay process needs a trace: write {"process": "replay", "trace": …}',
    ]);
  });
});

describe('axis names and the result files', () => {
  it('an axis may not take the name of a result column or __proto__ (its column would be lost)', () => {
    const variants = [
      { label: 'a', set: { lmax: 5 } },
      { label: 'b', set: { lmax: 6 } },
    ];
    for (const name of ['__proto__', 'policy', 'cell', 'avgLatency', 'avgLatency_p99', 'winFraction_vs_static']) {
      expect(problems({ ...base, axes: [{ name, variants }] })).toEqual([
        `axes[0].name: "${name}" is reserved (a column of the result files, or __proto__); choose another axis name`,
      ]);
    }
    expect(problems({ ...base, axes: [{ name: 'size', variants }] })).toEqual([]);
  });
});

describe('deep or strange JSON', () => {
  it('a byte-order mark is dropped', () => {
    expect(parseStudyText('\ufeff{"name": "t", "fleet": {"preset": "paper"}}', 'study.json').cells).toHaveLength(1);
  });
  it('duplicate keys are a problem with their position', () => {
    expect(textProblems('{"name": "a", "name": "b", "fleet": {"preset": "paper"}}')).toEqual([
      expect.stringMatching(/^study\.json: line 1, column \d+: the key "name" appears twice in one object$/),
    ]);
  });
  it('a deep value parsed elsewhere (the page, a manifest) is one line too', () => {
    let deep: unknown = 1;
    for (let k = 0; k < 100_000; k++) deep = [deep];
    expect(problems({ ...base, axes: [{ name: 'v', variants: [{ label: 'a', set: { loadScale: deep } }] }] })).toEqual([
      '(the study): nested deeper than 64 levels of objects and arrays',
    ]);
  });
  it('100,000-deep nesting is one line, no stack overflow', () => {
    const lines = textProblems(`{"name": "t", "fleet": ${'['.repeat(100_000)}${']'.repeat(100_000)}}`);
    expect(lines).toEqual([expect.stringMatching(/^study\.json: nested deeper than 64 levels/)]);
  });
});

describe('echoed input is quoted and cut', () => {
  it('a 10 MB key with a newline and an escape sequence is one short line', () => {
    const key = `x\n\u001b[2Jfleetsim: valid.${'k'.repeat(10_000_000)}`;
    const lines = problems({ ...base, [key]: 1 });
    expect(lines).toHaveLength(1);
    expectClean(lines);
    expect(lines[0]).toMatch(/^\["x\\n\\u001b\[2Jfleetsim: valid\.k+"… \(\d+ characters\)\]: unknown field$/);
  });
  it('a hostile value is quoted', () => {
    const lines = problems({ ...base, work: 'a\n\u001b[31mvalid' });
    expectClean(lines);
    expect(lines).toEqual(['work: must be one of "deterministic", "exponential", "exponentialCount", got "a\\n\\u001b[31mvalid"']);
  });
  it('a hostile variant label is quoted in the blame', () => {
    const lines = problems({ ...base, axes: [{ name: 'v', variants: [{ label: 'l\n\u001b[2J', set: { lmax: -1 } }] }] });
    expectClean(lines);
    expect(lines[0]).toMatch(/^axes\[0\]\.variants\[0\] \("l\\n\\u001b\[2J"\): must be > 0, got -1$/);
  });
});

describe('noise and blame', () => {
  it('a study without its fleet is one line, whatever its axes', () => {
    const noFleet: Record<string, unknown> = { ...base };
    delete noFleet.fleet;
    expect(problems({ ...noFleet, axes: [{ path: 'lmax', values: range(60) }] })).toEqual(['fleet: is required']);
  });
  it('a rate too high is blamed on dt when dt pushes it', () => {
    expect(problems({ ...base, dt: 1e9 })).toEqual([expect.stringMatching(/^dt: arrivals per agent-step can reach 8\.00e\+10/)]);
  });
  it('a schedule index no random fleet reaches is a problem; one only larger fleets reach is a note', () => {
    const random = { random: { agents: { min: 2, max: 4 }, T: 10, R: 0.1, P: 1, lambda: 1 } };
    expect(problems({ ...base, fleet: random, schedule: [{ agents: [7], from: 0, multiplier: 2 }] })).toEqual([
      "schedule[0].agents[0]: must be an agent index below 4 (the random fleet's most agents), got 7",
    ]);
    const { notes } = expandStudy({ ...base, fleet: random, schedule: [{ agents: [3], from: 0, multiplier: 2 }] });
    expect(notes).toEqual([
      expect.stringMatching(/^note: schedule\[0\]\.agents\[0\]: agent 3 exists only in fleets of more than 3 agents/),
    ]);
  });
});

describe('fleetsim validate (end to end)', () => {
  const cli = join(import.meta.dirname, '..', 'bin', 'fleetsim.js');
  const dir = mkdtempSync(join(tmpdir(), 'fleetsim-validate-'));
  const run = (json: unknown): { status: number | null; stdout: string; stderr: string } => {
    const file = join(dir, `s${Math.random().toString(36).slice(2)}.json`);
    writeFileSync(file, typeof json === 'string' ? json : JSON.stringify(json));
    const r = spawnSync('node', [cli, 'validate', file], { encoding: 'utf8', timeout: 60_000 });
    return { status: r.status, stdout: r.stdout, stderr: r.stderr };
  };
  execFileSync('node', [cli, '--version']); // dist/ is built (npm run build)

  it('prints the size of a valid study', () => {
    const r = run({ ...base, samples: 5, replicates: 2, axes: [{ path: 'lmax', values: [1, 2, 3] }] });
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/valid\. 3 cell\(s\) × 5 sample\(s\) × 2 replicate\(s\) = 30 fleet runs × 3 policies, 3 unit\(s\)\n/);
    expect(r.stdout).toMatch(/^size: 3 cells, 30 fleet runs, 90 runs, at most 7200 agent-steps$/m);
  });

  it('a prototype path and a huge sample count: exit 2, no stack trace', () => {
    for (const json of [
      { ...base, axes: [{ path: 'fleet.__proto__.agents', values: [1, 2] }] },
      { ...base, samples: 100_000_000, replicates: 20_000 },
      { ...base, lmax: 1e101 },
    ]) {
      const r = run(json);
      expect(r.status).toBe(2);
      expect(r.stderr).not.toMatch(/\n\s+at /);
      expect(r.stdout).toBe('');
    }
  });
});

describe('the serverless lifecycle (issue 12): one line naming the field and what is allowed', () => {
  const agent = { T: 10, R: 0.1, P: 1, lambda: 1 };
  const random = { agents: 4, T: 10, R: 0.1, P: 1, lambda: 1 };
  const cases: [string, unknown, RegExp][] = [
    [
      'a negative keep-alive',
      { ...base, lifecycle: { keepAlive: -1 } },
      /^lifecycle\.keepAlive: must be in \[0, 3600\] \(seconds, or "never"\), got -1$/,
    ],
    ['an absurd keep-alive', { ...base, lifecycle: { keepAlive: 1e9 } }, /^lifecycle\.keepAlive: must be in \[0, 3600\] .*got 1000000000$/],
    [
      'keep-alive as a word',
      { ...base, lifecycle: { keepAlive: 'forever' } },
      /^lifecycle\.keepAlive: must be a number or "never", got "forever"$/,
    ],
    [
      'a negative cold start',
      { ...base, lifecycle: { coldStart: -5 } },
      /^lifecycle\.coldStart: must be in \[0, 240\] \(seconds\), got -5$/,
    ],
    [
      'an absurd cold start',
      { ...base, lifecycle: { coldStart: 1e300 } },
      /^lifecycle\.coldStart: must be in \[0, 240\] \(seconds\), got 1e\+300$/,
    ],
    [
      'a zero bandwidth',
      { ...base, lifecycle: { loadBandwidth: 0 } },
      /^lifecycle\.loadBandwidth: must be in \[0\.2, 25\] \(GB\/s\), got 0$/,
    ],
    [
      'an absurd bandwidth',
      { ...base, lifecycle: { loadBandwidth: 1e6 } },
      /^lifecycle\.loadBandwidth: must be in \[0\.2, 25\] \(GB\/s\), got 1000000$/,
    ],
    [
      'a fractional load slot',
      { ...base, lifecycle: { loadSlots: 1.5 } },
      /^lifecycle\.loadSlots: must be an integer from 1 to 256, or "unlimited", got 1\.5$/,
    ],
    ['no load slot', { ...base, lifecycle: { loadSlots: 0 } }, /^lifecycle\.loadSlots: must be in \[1, 256\] .*got 0$/],
    [
      'an unknown eligibility',
      { ...base, lifecycle: { eligible: 'idle' } },
      /^lifecycle\.eligible: must be one of "all", "warm", "backlogged", got "idle"$/,
    ],
    [
      'an unknown card',
      { ...base, lifecycle: { memory: { gpu: 'T5' } } },
      /^lifecycle\.memory\.gpu: must be one of "T4", "L4", .*"H200", got "T5"$/,
    ],
    [
      'a card by name and by size',
      { ...base, lifecycle: { memory: { gpu: 'T4', gb: 16 } } },
      /^lifecycle\.memory\.gb: give exactly one of memory\.gpu \(T4, .*\) or memory\.gb \(1 to 1024\)$/,
    ],
    ['neither', { ...base, lifecycle: { memory: { usable: 0.9 } } }, /^lifecycle\.memory\.gpu: give exactly one of memory\.gpu/],
    [
      'a card of 0 GB',
      { ...base, lifecycle: { memory: { gb: 0 } } },
      /^lifecycle\.memory\.gb: must be in \[1, 1024\] \(GB of GPU memory\), got 0$/,
    ],
    [
      'usable above 1',
      { ...base, lifecycle: { memory: { gpu: 'T4', usable: 1.5 } } },
      /^lifecycle\.memory\.usable: must be in \[0\.05, 1\] .*got 1\.5$/,
    ],
    [
      'an unknown eviction rule',
      { ...base, lifecycle: { memory: { gpu: 'T4', evict: 'random' } } },
      /^lifecycle\.memory\.evict: must be one of "lru", "lowestPriority", "largestFirst", got "random"$/,
    ],
    ['an unknown lifecycle field', { ...base, lifecycle: { keepalive: 60 } }, /^lifecycle\.keepalive: unknown field$/],
    [
      'a model larger than the card names the agent',
      { ...base, fleet: { agents: [agent, { ...agent, name: 'big', M: 20_000 }] }, lifecycle: { memory: { gpu: 'T4' } } },
      /^fleet\.agents\[1\]\.M: agent 1 \(big\): its model \(20000 MB\) must fit the GPU's usable memory, lifecycle\.memory: T4 \(16 GB\) = 16000 MB$/,
    ],
    [
      "the paper's reasoning agent on a 2 GB card",
      { ...base, lifecycle: { memory: { gb: 2 } } },
      /^lifecycle\.memory: agent 3 \(reasoning\): its model \(3000 MB\) must fit the GPU's usable memory, lifecycle\.memory: 2 GB = 2000 MB$/,
    ],
    [
      'an absurd model size',
      { ...base, fleet: { agents: [{ ...agent, M: 1e9 }] }, lifecycle: {} },
      /^fleet\.agents\[0\]\.M: agent 0: must be a model size from 0 to 1024000 \(MB\), got 1000000000$/,
    ],
    [
      'a pinned set that does not fit',
      {
        ...base,
        fleet: {
          agents: [
            { ...agent, M: 9000, pinned: true },
            { ...agent, M: 9000, pinned: true },
            { ...agent, M: 9000 },
          ],
        },
        lifecycle: { memory: { gpu: 'T4' } },
      },
      /^fleet\.agents\[1\]\.pinned: the pinned agents' models \(18000 MB together\) must fit the GPU's usable memory, lifecycle\.memory: T4 \(16 GB\) = 16000 MB$/,
    ],
    [
      "a random fleet's models beyond the card",
      { ...base, fleet: { random: { ...random, M: { kind: 'uniform', min: 1000, max: 30_000 } } }, lifecycle: { memory: { gpu: 'L4' } } },
      /^fleet\.random\.M: every model must fit the GPU's usable memory, lifecycle\.memory: L4 \(24 GB\) = 24000 MB, got models up to 30000 MB$/,
    ],
    [
      "a random fleet's negative models",
      { ...base, fleet: { random: { ...random, M: -1 } } },
      /^fleet\.random\.M: every value must be in \[0, 1024000\]/,
    ],
    [
      'an axis value out of range is blamed on the axis',
      { ...base, lifecycle: {}, axes: [{ path: 'lifecycle.keepAlive', values: [60, -3] }] },
      /^axes\[0\]\.values\[1\]: must be in \[0, 3600\] \(seconds, or "never"\), got -3$/,
    ],
    [
      'an axis card too small for a model is blamed on the axis',
      { ...base, lifecycle: { memory: { gb: 16 } }, axes: [{ path: 'lifecycle.memory.gb', values: [16, 2] }] },
      /^axes\[0\]\.values\[1\]: lifecycle\.memory: agent 3 \(reasoning\): its model \(3000 MB\) must fit .* 2 GB = 2000 MB$/,
    ],
    [
      'an axis that names a card beside a size is blamed on the axis',
      { ...base, lifecycle: { memory: { gpu: 'T4' } }, axes: [{ path: 'lifecycle.memory.gb', values: [24] }] },
      /^axes\[0\]\.values\[0\]: give exactly one of memory\.gpu/,
    ],
  ];
  it.each(cases)('%s', (_, json, line) => {
    const lines = problems(json);
    expectClean(lines);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(line);
  });

  it('the edges are accepted: K = 0 and "never", C0 = 0 and 240, B_load 0.2 and 25, unlimited slots, a model exactly the card', () => {
    for (const lifecycle of [
      { keepAlive: 0, coldStart: 0, loadBandwidth: 0.2, loadSlots: 'unlimited' },
      { keepAlive: 'never', coldStart: 240, loadBandwidth: 25, loadSlots: 256, initialPhase: 'cold', eligible: 'backlogged' },
      { keepAlive: 3600, memory: { gb: 1024, usable: 0.05, evict: 'largestFirst' } },
    ])
      expect(problems({ ...base, lifecycle }), JSON.stringify(lifecycle)).toEqual([]);
    const exact = { ...base, fleet: { agents: [{ ...agent, M: 16_000, pinned: true }] }, lifecycle: { memory: { gpu: 'T4' } } };
    expect(problems(exact)).toEqual([]);
    expect(problems({ ...exact, lifecycle: { memory: { gpu: 'T4', usable: 0.999 } } })).toHaveLength(1);
  });
});

describe('several GPUs (issue 12, MODEL-PART4 §4.5): one line naming the field and what is allowed', () => {
  const agent = { T: 10, R: 0.1, P: 1, lambda: 1 };
  const cases: [string, unknown, RegExp][] = [
    ['no GPU', { ...base, fleet: { preset: 'paper', gpus: 0 } }, /^fleet\.gpus: must be in \[1, 8\] \(GPUs per fleet\), got 0$/],
    ['nine GPUs', { ...base, fleet: { preset: 'paper', gpus: 9 } }, /^fleet\.gpus: must be in \[1, 8\] \(GPUs per fleet\), got 9$/],
    [
      'a fraction of a GPU',
      { ...base, fleet: { random: { agents: 4, T: 10, R: 0.1, P: 1, lambda: 1 }, gpus: 2.5 } },
      /^fleet\.gpus: must be an integer, got 2\.5$/,
    ],
    [
      'a GPU the fleet does not have',
      { ...base, fleet: { agents: [agent, { ...agent, gpu: 2 }], gpus: 2 } },
      /^fleet\.agents\[1\]\.gpu: must be an integer from 0 to 1 \(the fleet's gpus − 1\), got 2$/,
    ],
    [
      'a second GPU on a one-GPU fleet',
      { ...base, fleet: { agents: [{ ...agent, gpu: 1 }] } },
      /^fleet\.agents\[0\]\.gpu: must be an integer from 0 to 0 \(the fleet's gpus − 1\), got 1$/,
    ],
    [
      'a negative GPU index',
      { ...base, fleet: { agents: [{ ...agent, gpu: -1 }], gpus: 2 } },
      /^fleet\.agents\[0\]\.gpu: must be in \[0, 7\] \(an integer GPU index below the fleet's gpus\), got -1$/,
    ],
    [
      'an axis of nine GPUs is blamed on the axis',
      { ...base, axes: [{ path: 'fleet.gpus', values: [2, 9] }] },
      /^axes\[0\]\.values\[1\]: must be in \[1, 8\] \(GPUs per fleet\), got 9$/,
    ],
  ];
  it.each(cases)('%s', (_, json, line) => {
    const lines = problems(json);
    expectClean(lines);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(line);
  });

  it('an agent that fits no GPU (LPT under the memory limit) and a GPU whose pinned agents do not fit: named before anything runs', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'fleetsim-gpus-'));
    const big = { ...agent, M: 9_000 };
    for (const [study, line] of [
      [
        { ...base, fleet: { agents: [big, big, big], gpus: 2 }, lifecycle: { memory: { gpu: 'T4' } } },
        /fleets\[0\]\.agents\[2\]\.M: must fit one of the fleet's 2 GPUs beside the agents placed there first \(16000 MB each; LPT by γ\/T\), got 9000 MB/,
      ],
      [
        {
          ...base,
          fleet: { agents: [{ ...big, pinned: true, gpu: 1 }, { ...big, pinned: true, gpu: 1 }, agent], gpus: 2 },
          lifecycle: { memory: { gpu: 'T4' } },
        },
        /fleets\[0\]\.agents: the pinned agents on GPU 1 must fit its usable memory together, 16000 MB, got 18000 MB/,
      ],
    ] as const) {
      const file = join(dir, 'study.json');
      writeFileSync(file, JSON.stringify(study));
      expect(problems(study)).toEqual([]); // the schema's checks pass: the placement is the packer's
      await expect(loadStudy(file, {})).rejects.toThrow(line);
    }
    // Three 9 GB models on two 16 GB cards: one GPU given two of them is allowed (it evicts); two GPUs of 18 GB place them.
    expect(
      problems({
        ...base,
        fleet: { agents: [{ ...big, gpu: 0 }, { ...big, gpu: 0 }, big], gpus: 2 },
        lifecycle: { memory: { gpu: 'T4' } },
      }),
    ).toEqual([]);
  });

  it('the edges are accepted: 1 and 8 GPUs, gpu 7 of 8, the capacity defaulting to gpus', () => {
    expect(problems({ ...base, fleet: { preset: 'paper', gpus: 1 } })).toEqual([]);
    expect(problems({ ...base, fleet: { preset: 'paper', gpus: 8 } })).toEqual([]);
    expect(problems({ ...base, fleet: { agents: [{ ...agent, gpu: 7 }], gpus: 8 } })).toEqual([]);
    const { cells } = expandStudy({ ...base, fleet: { preset: 'paper', gpus: 4 } });
    expect(cells[0]!.study.capacity).toBeUndefined();
  });
});
