/**
 * The policies of MODEL-PARTt4 §4.7 where a user meets them in a study and on the command line: the
 * allocator settings (queueTau, sliceOverhead, maxMinFloor) and the per-agent fields (cap, weight,
 * slices) in the schema, their way into the engine's config and packed fleets, the refusals (one line
 * naming the field and its range, exit 2, nothing written), axes over the new settings, the help text
 * that lists the registry, and `validate`'s nominal load column for the policies that read the queues.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { agentLoads, SATURATED_STEPS } from '../src/cli/validate.js';
import { packFleets } from '../src/model/batch.js';
import { POLICIES, POLICY_NAMES } from '../src/model/policies.js';
import { expandStudy } from '../src/study/cells.js';
import { cellFleet } from '../src/study/fleets.js';
import { studyIdentityText } from '../src/study/identity.js';
import { hasPolicySummary, policyHelpLines, SETTING_READERS } from '../src/study/policyInfo.js';
import { refineStudy, type Study, StudySchema } from '../src/study/schema.js';
import { formatPath } from '../src/study/problems.js';
import { simConfig } from '../src/sweep/plan.js';
import { buildBatch } from '../src/sweep/run.js';
import { planUnits } from '../src/sweep/plan.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const BIN = join(ROOT, 'bin', 'fleetsim.js');
const BUILT = join(ROOT, 'dist', 'src', 'cli', 'main.js');
const dir = mkdtempSync(join(tmpdir(), 'fleetsim-policies-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function fleetsim(args: string[]): { status: number | null; stdout: string; stderr: string } {
  if (!existsSync(BUILT)) throw new Error(`${BUILT} is missing: run \`npm run build\` first (npm test does)`);
  const child = spawnSync(process.execPath, [BIN, ...args], {
    cwd: ROOT,
    env: { ...process.env, XDG_RUNTIME_DIR: '/tmp' },
    encoding: 'utf8',
    timeout: 60_000,
  });
  if (child.error) throw child.error;
  return { status: child.status, stdout: child.stdout, stderr: child.stderr };
}

const AGENTS = [
  { name: 'a', T: 10, R: 0.2, P: 1, lambda: 2 },
  { name: 'b', T: 20, R: 0.1, P: 2, lambda: 4 },
  { name: 'c', T: 5, R: 0.1, P: 1, lambda: 1 },
];
const base = (extra: Record<string, unknown> = {}, agents: Record<string, unknown>[] = AGENTS): Record<string, unknown> => ({
  name: 'policies',
  fleet: { agents },
  steps: 20,
  dt: 1,
  policies: ['static', 'adaptive'],
  ...extra,
});
const withAgent = (i: number, fields: Record<string, unknown>): Record<string, unknown>[] =>
  AGENTS.map((a, k) => (k === i ? { ...a, ...fields } : a));

let files = 0;
const studyFile = (json: unknown): string => {
  const file = join(dir, `study-${files++}.json`);
  writeFileSync(file, JSON.stringify(json));
  return file;
};

describe('the registry on the command line', () => {
  it('every registered policy has a one-line description (src/study/policyInfo.ts)', () => {
    const missing = POLICY_NAMES.filter((name) => !hasPolicySummary(name));
    expect(missing, 'add a line for each to SUMMARIES in src/study/policyInfo.ts').toEqual([]);
    expect(policyHelpLines()).toHaveLength(POLICY_NAMES.length);
  });

  it.each(['sweep', 'validate', 'init'])('`fleetsim %s --help` lists every policy with its description', (command) => {
    const run = fleetsim([command, '--help']);
    expect(run.status, run.stderr).toBe(0);
    for (const line of policyHelpLines()) expect(run.stdout).toContain(line);
    for (const name of POLICY_NAMES) {
      const row = run.stdout.split('\n').find((l) => l.trimStart().startsWith(`${name} `))!;
      expect(row.includes("the paper's"), name).toBe(POLICIES[name].paper);
      expect(row.includes('reads the queues'), name).toBe(POLICIES[name].readsBacklog);
    }
  });
});

describe('docs/policies.md follows the registry', () => {
  const doc = readFileSync(join(ROOT, 'docs', 'policies.md'), 'utf8');
  const rows = new Map(
    doc
      .split('\n')
      .filter((l) => /^\| \d+ \| `\w+` \|/.test(l))
      .map((l) => {
        const cells = l.split(' | ').map((c) => c.replace(/^\| /, '').trim());
        return [cells[1]!.replaceAll('`', ''), cells] as const;
      }),
  );

  it.each(POLICY_NAMES.map((name) => [name]))('%s has its row, with the registry’s traits', (name) => {
    const row = rows.get(name);
    expect(row, `docs/policies.md has no row for ${name}`).toBeDefined();
    expect(row![2], 'the paper’s').toBe(POLICIES[name].paper ? 'yes' : 'no');
    expect(row![4], 'reads the signal').toMatch(POLICIES[name].readsSignal ? /^yes/ : /^no/);
    expect(row![5], 'reads the queues').toMatch(POLICIES[name].readsBacklog ? /^yes/ : /^no/);
    expect(doc).toContain(`**\`${name}\`**`); // its paragraph under "Each policy"
  });

  it('each allocator setting has its row naming the policies that read it', () => {
    for (const [setting, readers] of Object.entries(SETTING_READERS)) {
      const row = doc.split('\n').find((l) => l.startsWith(`| \`allocator.${setting}\``));
      expect(row, setting).toBeDefined();
      for (const p of readers) expect(row, `${setting} read by ${p}`).toContain(`\`${p}\``);
    }
  });
});

describe('bad policy settings: one line naming the field and its range, exit 2, nothing written', () => {
  it.each([
    {
      what: 'queueTau above 600 s',
      json: base({ allocator: { queueTau: 601 } }),
      line: /^allocator\.queueTau: must be from the study's dt to 600 \(seconds\), got 601$/,
    },
    {
      what: 'sliceOverhead 1',
      json: base({ allocator: { sliceOverhead: 1 } }),
      line: /^allocator\.sliceOverhead: must be in \[0, 1\) .*, got 1$/,
    },
    {
      what: 'sliceOverhead < 0',
      json: base({ allocator: { sliceOverhead: -0.1 } }),
      line: /^allocator\.sliceOverhead: must be in \[0, 1\) .*, got -0\.1$/,
    },
    {
      what: 'maxMinFloor unknown',
      json: base({ allocator: { maxMinFloor: 'half' } }),
      line: /^allocator\.maxMinFloor: must be one of "zero", "minimum", got "half"$/,
    },
    {
      what: 'cap 0',
      json: base({}, withAgent(1, { cap: 0 })),
      line: /^fleet\.agents\[1\]\.cap: must be > 0 and at most the study's capacity \(GPUs\), got 0$/,
    },
    {
      what: 'cap above the capacity',
      json: base({ capacity: 2 }, withAgent(0, { cap: 2.5 })),
      line: /^fleet\.agents\[0\]\.cap: must be > 0 and at most the study's capacity \(2 GPUs\), got 2\.5$/,
    },
    {
      what: 'weight 0',
      json: base({}, withAgent(2, { weight: 0 })),
      line: /^fleet\.agents\[2\]\.weight: must be in \[0\.000001, 1000000\] .*, got 0$/,
    },
    {
      what: 'weight too large',
      json: base({}, withAgent(2, { weight: 1e7 })),
      line: /^fleet\.agents\[2\]\.weight: must be in \[0\.000001, 1000000\]/,
    },
    {
      what: 'queueTau 0',
      json: base({ allocator: { queueTau: 0 } }),
      line: /^allocator\.queueTau: must be from the study's dt to 600 \(seconds\), got 0$/,
    },
    { what: 'slices 8', json: base({}, withAgent(0, { slices: 8 })), line: /^fleet\.agents\[0\]\.slices: must be in \[0, 7\] .*, got 8$/ },
    {
      what: 'slices 1.5',
      json: base({}, withAgent(0, { slices: 1.5 })),
      line: /^fleet\.agents\[0\]\.slices: must be an integer, got 1\.5$/,
    },
    {
      what: 'slices summing above 7 (defaults counted)',
      json: base({}, withAgent(0, { slices: 6 })),
      line: /^fleet\.agents\[0\]\.slices: the fleet's MIG slices sum to 10 \(the 2 agent\(s\) without slices count ⌊7\/3⌋ = 2 each\); they must sum to at most 7/,
    },
  ])('$what', ({ json, line }) => {
    const file = studyFile(json);
    const run = fleetsim(['validate', file]);
    const lines = run.stderr.split('\n').filter((l) => l.trim() !== '');
    expect(run.status, run.stderr).toBe(2);
    expect(run.stdout).toBe('');
    expect(lines, run.stderr).toHaveLength(1);
    expect(lines[0]!.replace(`fleetsim: ${file}: `, '')).toMatch(line);
  });

  it('queueTau below dt: refused where a policy reads τ (adaptiveQueue), and only there', () => {
    const issues: string[] = [];
    const parsed = StudySchema.parse(base({ dt: 20, allocator: { queueTau: 5 } }));
    expect(parsed.allocator.queueTau).toBe(5); // no policy reads it: valid
    expect(simConfig(parsed).queueTau).toBe(20); // and the engine gets a τ within its range
    const readers = { ...parsed, policies: [...SETTING_READERS.queueTau] } as unknown as Study;
    refineStudy(readers, {
      addIssue: (i) => issues.push(`${formatPath((i as { path: PropertyKey[] }).path)}: ${(i as { message: string }).message}`),
    });
    expect(issues).toEqual(["allocator.queueTau: must be from the study's dt (20) to 600 (seconds) for adaptiveQueue, got 5"]);
    // the default τ (10 s) with dt = 20 s and the paper's policies: valid on the command line too
    const run = fleetsim(['validate', studyFile(base({ dt: 20 }))]);
    expect(run.status, run.stderr).toBe(0);
  });

  it.skipIf(!(POLICY_NAMES as readonly string[]).includes('adaptiveQueue'))(
    'queueTau below dt with adaptiveQueue: exit 2, one line',
    () => {
      const run = fleetsim(['validate', studyFile(base({ dt: 2, policies: ['adaptiveQueue'], allocator: { queueTau: 1 } }))]);
      expect(run.status, run.stderr).toBe(2);
      expect(run.stderr.trim().split('\n')).toHaveLength(1);
      expect(run.stderr).toContain("allocator.queueTau: must be from the study's dt (2) to 600 (seconds) for adaptiveQueue, got 1");
    },
  );

  it('`fleetsim sweep` refuses the same with exit 2 and writes nothing', () => {
    const out = join(dir, 'never-written');
    const run = fleetsim(['sweep', studyFile(base({}, withAgent(0, { slices: 7 }))), '--out', out, '--backend', 'cpu']);
    expect(run.status, run.stderr).toBe(2);
    expect(run.stderr).toMatch(/fleet\.agents\[0\]\.slices: the fleet's MIG slices sum to 11/);
    expect(existsSync(out)).toBe(false);
  });

  it('an axis value out of range is refused naming the axis value', () => {
    const run = fleetsim(['validate', studyFile(base({ axes: [{ path: 'allocator.sliceOverhead', values: [0, 1.5] }] }))]);
    expect(run.status, run.stderr).toBe(2);
    expect(run.stderr).toContain('axes[0].values[1]');
    expect(run.stderr).toContain('axes[0].values[1]: must be in [0, 1) (the fraction of the GPU lost to switching), got 1.5');
  });
});

describe('the settings reach the engine', () => {
  it('allocator settings default, map into SimConfig, and leave the study hash of an older study alone', () => {
    const plain = StudySchema.parse(base());
    expect(plain.allocator).toEqual({ sees: 'nominal', emaAlpha: 0.2, queueTau: 10, sliceOverhead: 0, maxMinFloor: 'zero' });
    const explicit = StudySchema.parse(base({ allocator: { queueTau: 10, sliceOverhead: 0, maxMinFloor: 'zero' } }));
    expect(studyIdentityText(explicit)).toBe(studyIdentityText(plain));
    expect(studyIdentityText(plain)).not.toContain('queueTau');
    const set = StudySchema.parse(base({ allocator: { queueTau: 30, sliceOverhead: 0.25, maxMinFloor: 'minimum' } }));
    expect(studyIdentityText(set)).not.toBe(studyIdentityText(plain));
    expect(simConfig(set)).toMatchObject({ queueTau: 30, sliceOverhead: 0.25, maxMinFloor: 'minimum' });
    expect(simConfig(plain)).toMatchObject({ queueTau: 10, sliceOverhead: 0, maxMinFloor: 'zero' });
  });

  it('axes vary allocator.queueTau, sliceOverhead and maxMinFloor; each cell gets its own batch settings', () => {
    const { cells } = expandStudy(
      base({
        axes: [
          { path: 'allocator.queueTau', values: [5, 60] },
          { path: 'allocator.maxMinFloor', values: ['zero', 'minimum'] },
        ],
      }),
    );
    expect(cells.map((c) => [c.study.allocator.queueTau, c.study.allocator.maxMinFloor])).toEqual([
      [5, 'zero'],
      [5, 'minimum'],
      [60, 'zero'],
      [60, 'minimum'],
    ]);
    expect(new Set(cells.map((c) => JSON.stringify(simConfig(c.study)))).size).toBe(4);
  });

  it("a fixed fleet's cap, weight and slices reach the FleetSpec and the packed batch; absent ones take the defaults", () => {
    const agents = [{ ...AGENTS[0]!, cap: 0.5, weight: 3, slices: 3 }, { ...AGENTS[1]!, weight: 0.5 }, AGENTS[2]!];
    const study = StudySchema.parse(base({}, agents));
    const fleet = cellFleet(study, 0);
    expect(fleet.agents.map((a) => [a.cap, a.weight, a.slices])).toEqual([
      [0.5, 3, 3],
      [undefined, 0.5, undefined],
      [undefined, undefined, undefined],
    ]);
    const expected = packFleets([fleet]);
    const { cells } = expandStudy(base({}, agents));
    const built = buildBatch(planUnits(cells), new Map(cells.map((c) => [c.index, c])));
    const { fleets } = built.batch;
    for (const key of ['cap', 'weight', 'slices'] as const) expect(Array.from(fleets[key]), key).toEqual(Array.from(expected[key]));
    // the packer's defaults: cap 1, weight 1/P, slices ⌊7/N⌋
    expect(Array.from(fleets.cap)).toEqual([0.5, 1, 1]);
    expect(Array.from(fleets.weight)).toEqual([3, 0.5, 1]);
    expect(Array.from(fleets.slices)).toEqual([3, 2, 2]);
  });

  it('random fleets keep the defaults (the schema has no per-agent fields for them)', () => {
    const random = { random: { agents: 3, T: 10, R: 0.1, P: 1, load: 0.5 } };
    expect(StudySchema.safeParse({ ...base(), fleet: { random: { ...random.random, cap: 0.5 } } }).success).toBe(false);
    const { cells } = expandStudy({ ...base(), fleet: random });
    const built = buildBatch(planUnits(cells), new Map(cells.map((c) => [c.index, c])));
    expect(Array.from(built.batch.fleets.cap)).toEqual([1, 1, 1]);
    expect(Array.from(built.batch.fleets.slices)).toEqual([2, 2, 2]);
  });
});

describe('`fleetsim validate`: the load table under policies that read the queues', () => {
  it('timeSlice: every agent saturated, (1 − η)·G/N each, and the column is marked nominal', () => {
    const study = StudySchema.parse(base({ policies: ['static', 'timeSlice'], allocator: { sliceOverhead: 0.25 } }));
    const loads = agentLoads(study);
    AGENTS.forEach((a, i) => {
      expect(loads[i]!.load.static).toBeCloseTo(a.lambda / (a.T / 3), 12);
      expect(loads[i]!.load.timeSlice).toBeCloseTo(a.lambda / ((a.T * 0.75) / 3), 12);
    });
    expect(SATURATED_STEPS).toBeGreaterThan(1e6);
    const run = fleetsim(['validate', studyFile(base({ policies: ['static', 'timeSlice'] }))]);
    expect(run.status, run.stderr).toBe(0);
    expect(run.stdout).toMatch(
      /timeSlice: its shares read the queues, so its column is nominal: each agent's share when every agent is backlogged/,
    );
    const plain = fleetsim(['validate', studyFile(base())]);
    expect(plain.stdout).not.toContain('nominal: each agent');
  });
});
