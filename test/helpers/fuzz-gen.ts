/**
 * The fuzz test's generators (fast-check): study files (generated from the schema's shape, and mutated
 * copies of the shipped studies), command lines for every command with random and hostile option
 * values, and odd file contents. A case is plain data (test/helpers/fuzz-run.ts runs it); its `desc`
 * says in words how it was made, for the counterexample report.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { fromValue, get, JObj, JRaw, type JVal, paths, serialize, update } from './fuzz-json.js';
import { INIT_DEFAULT_AGENTS } from '../../src/cli/init.js';
import { HUB_MAX_AGENTS } from '../../src/study/workflow.js';

/** A file or directory a case puts in its scratch directory before the run. */
export type FileSpec = { bytes: Uint8Array } | { dir: Record<string, FileSpec> } | { missing: true };

/** A study file: `validate` runs on it, then `sweep` (when it rejects, or when it is small enough to run). */
export interface StudyCase {
  kind: 'study';
  desc: string[];
  file: FileSpec;
}
/**
 * One command line. Arguments `@name` become the path of `name` in the case's scratch directory.
 * `reject`: why the command must exit 2 (an option value outside what is allowed); `env`: exit 3 is
 * also acceptable (a path the machine may refuse).
 */
export interface CommandCase {
  kind: 'command';
  desc: string[];
  argv: string[];
  files: Record<string, FileSpec>;
  reject?: string;
  env?: boolean;
  /** Run as a process even in the in-process groups: the path may hang fleetsim in native code. */
  isolate?: boolean;
}
export type FuzzCase = StudyCase | CommandCase;

const root = join(import.meta.dirname, '..', '..');
const utf8 = (text: string): Uint8Array => new TextEncoder().encode(text);

/** The shipped studies, parsed. */
export const SHIPPED: { name: string; tree: JVal }[] = readdirSync(join(root, 'sweeps'))
  .filter((f) => f.endsWith('.json'))
  .sort()
  .map((f) => ({ name: f, tree: fromValue(JSON.parse(readFileSync(join(root, 'sweeps', f), 'utf8'))) }));

// ---- hostile values ---------------------------------------------------------------------------------

/** Strings that must never reach a terminal or a message raw. */
export const HOSTILE_STRINGS = [
  'a\nfleetsim: study.json: valid. 1 cell(s)',
  '\u001b[2J\u001b[H',
  '\u0000',
  '\r',
  'tab\there',
  '\u202eevil',
  '\u2028',
  '\ud800',
  '=HYPERLINK("http://x","y")',
  '+cmd|calc',
  '__proto__',
  'constructor',
  'toString',
  'x'.repeat(10_000),
  '',
  ' ',
];
/** Numbers at and past the edges of what f32, f64 and the schema hold. */
export const EXTREME_NUMBERS: JVal[] = [
  1e39,
  -1e39,
  1e-46,
  1e308,
  1.7e308,
  1e101,
  new JRaw('-0'),
  new JRaw('1e999'),
  new JRaw('-1e999'),
  new JRaw('1E39'),
  0,
  -1,
  0.5,
  2 ** 53,
  2 ** 53 + 2,
  4097,
  1e9 + 1,
  100_000_001,
  1_000_001,
  100_001,
  1e-300,
  'NaN',
  'Infinity',
  '1e39',
  '0x10',
];
const PROTO_PATHS = [
  'fleet.__proto__.agents',
  '__proto__.polluted',
  'constructor.prototype.polluted',
  'fleet.random.__proto__.T',
  'schedule[0].__proto__.multiplier',
  'fleet.agents[0].constructor.prototype.polluted',
  'lmax.__proto__',
  'toString',
  'hasOwnProperty',
  'allocator.constructor.name',
  'schedule[99999999999].multiplier',
  'schedule[-1].from',
  'fleet.agents[1e9].T',
  'fleet..random',
  'fleet.random.agents[0]',
  'lmax\n\u001b[2J',
  'x'.repeat(10_000),
];
const NUMERIC_PATHS = ['lmax', 'loadScale', 'capacity', 'dt', 'price', 'allocator.emaAlpha'];

// ---- generated studies ------------------------------------------------------------------------------

const small = (lo: number, hi: number): fc.Arbitrary<number> => fc.double({ min: lo, max: hi, noNaN: true, noDefaultInfinity: true });
const dist = (lo: number, hi: number): fc.Arbitrary<JVal> =>
  fc.oneof(
    small(lo, hi),
    fc.tuple(small(lo, hi), small(lo, hi)).map(([a, b]) => obj({ kind: 'uniform', min: Math.min(a, b), max: Math.max(a, b) })),
    fc
      .tuple(small(Math.max(lo, 0.01), hi), small(Math.max(lo, 0.01), hi))
      .map(([a, b]) => obj({ kind: 'logUniform', min: Math.min(a, b), max: Math.max(a, b) })),
    fc.array(small(lo, hi), { minLength: 1, maxLength: 3 }).map((values) => obj({ kind: 'choice', values })),
  );
const obj = (o: Record<string, JVal | undefined>): JObj =>
  new JObj(Object.entries(o).filter((e): e is [string, JVal] => e[1] !== undefined));

const agentArb = fc.record({
  name: fc.option(fc.constantFrom('a', 'b', 'c', 'coordinator', ...HOSTILE_STRINGS.slice(0, 4)), { nil: undefined }),
  T: small(0.5, 500),
  R: small(0, 0.3),
  P: fc.integer({ min: 1, max: 3 }),
  lambda: small(0, 300),
});
const fleetArb: fc.Arbitrary<JVal> = fc.oneof(
  fc.constant(obj({ preset: 'paper' })),
  fc.array(agentArb, { minLength: 1, maxLength: 4 }).map((agents) => obj({ agents: agents.map((a) => obj(a)) })),
  fc
    .record({
      agents: fc.oneof(
        fc.integer({ min: 1, max: 6 }),
        fc.tuple(fc.integer({ min: 1, max: 6 }), fc.integer({ min: 1, max: 6 })).map(([a, b]) => obj({ min: a, max: b })),
      ),
      T: dist(1, 500),
      R: dist(0, 0.2),
      P: dist(1, 3),
      load: fc.option(dist(0.1, 2), { nil: undefined }),
    })
    .map((r) => obj({ random: obj(r) })),
);
const arrivalsArb: fc.Arbitrary<JVal> = fc.oneof(
  fc.constantFrom('poisson', 'deterministic', 'gamma', 'weibull', 'mmpp', 'replay', 'servegen', 'nope'),
  fc.record({ process: fc.constantFrom('gamma', 'weibull'), cv: small(0, 10) }).map(obj),
  fc.constant(obj({ process: 'replay', trace: 'azure-llm-2023-conv' })),
  fc.constant(obj({ process: 'mmpp', mmpp: obj({ fit: 'azure-llm-2023-conv' }) })),
  fc
    .record({
      process: fc.constant('mmpp'),
      mmpp: fc.record({ idc: small(1, 50), highFraction: small(0, 1), peakRatio: small(1, 5) }).map(obj),
    })
    .map(obj),
);
const scheduleArb: fc.Arbitrary<JVal> = fc.array(
  fc
    .record({
      agents: fc.oneof(
        fc.constant<JVal>('all'),
        fc.array(fc.oneof(fc.integer({ min: 0, max: 8 }), fc.constantFrom('a', 'nlp')), { minLength: 1, maxLength: 2 }),
      ),
      from: small(0, 20),
      to: fc.option(small(0.1, 40), { nil: undefined }),
      multiplier: small(0, 10),
    })
    .map(obj),
  { maxLength: 3 },
);
const axisArb: fc.Arbitrary<JVal> = fc.oneof(
  fc
    .tuple(
      fc.constantFrom(...NUMERIC_PATHS, 'allocator.sees', 'schedule[0].multiplier', 'fleet.random.load'),
      fc.array(small(0.01, 100), { minLength: 1, maxLength: 3 }),
    )
    .map(([path, values]) =>
      obj({ path, values: path === 'allocator.sees' ? ['nominal', 'observed', 'ema'].slice(0, values.length) : values }),
    ),
  fc
    .array(
      fc.tuple(
        fc.constantFrom('a', 'b', 'c', ...HOSTILE_STRINGS.slice(0, 3), '=HYPERLINK("http://x","y")', '+cmd|calc', '@SUM(A1)', '-2+3'),
        fc.constantFrom(...NUMERIC_PATHS),
        small(0.01, 10),
      ),
      {
        minLength: 1,
        maxLength: 3,
      },
    )
    .map((vs) => obj({ name: 'scenario', variants: vs.map(([label, k, v]) => obj({ label, set: obj({ [k]: v }) })) })),
);

/** A study built field by field in the schema's shape: usually valid, small enough to sweep. */
export const generatedStudy: fc.Arbitrary<{ desc: string; tree: JVal }> = fc
  .record({
    name: fc.oneof(fc.constantFrom('fuzz', 'g'), fc.constantFrom(...HOSTILE_STRINGS.slice(0, 8))),
    seed: fc.option(fc.integer({ min: 0, max: 1000 }), { nil: undefined }),
    fleet: fleetArb,
    arrivals: fc.option(arrivalsArb, { nil: undefined }),
    work: fc.option(fc.constantFrom('deterministic', 'exponential'), { nil: undefined }),
    schedule: fc.option(scheduleArb, { nil: undefined }),
    dt: fc.option(small(0.05, 5), { nil: undefined }),
    steps: fc.integer({ min: 1, max: 30 }),
    warmup: fc.option(fc.integer({ min: 0, max: 5 }), { nil: undefined }),
    lmax: fc.option(small(0.1, 2000), { nil: undefined }),
    price: fc.option(small(0, 10), { nil: undefined }),
    capacity: fc.option(small(0.1, 4), { nil: undefined }),
    samples: fc.integer({ min: 1, max: 3 }),
    replicates: fc.integer({ min: 1, max: 2 }),
    policies: fc.option(fc.subarray(['static', 'round-robin', 'adaptive'], { minLength: 1 }), { nil: undefined }),
    axes: fc.option(fc.array(axisArb, { maxLength: 2 }), { nil: undefined }),
    output: fc.option(fc.record({ fleetRows: fc.boolean(), arrivalStats: fc.boolean() }).map(obj), { nil: undefined }),
  })
  .map((r) => ({ desc: 'generated from the schema', tree: obj(r as Record<string, JVal | undefined>) }));

/** Caps a study's sizes (samples, replicates, steps, grid, agents) so that a sweep of it runs in moments. */
export function tiny(tree: JVal): JVal {
  const cap = (path: (string | number)[], max: number): void => {
    const v = get(tree, path);
    if (typeof v === 'number' && v > max) tree = update(tree, path, () => max);
  };
  cap(['samples'], 2);
  cap(['replicates'], 1);
  cap(['steps'], 12);
  cap(['warmup'], 2);
  cap(['fleet', 'random', 'agents'], 6);
  cap(['fleet', 'random', 'agents', 'max'], 6);
  cap(['fleet', 'random', 'agents', 'min'], 6);
  const axes = get(tree, ['axes']);
  if (Array.isArray(axes))
    axes.forEach((_, i) => {
      for (const list of ['values', 'variants']) {
        const v = get(tree, ['axes', i, list]);
        if (Array.isArray(v) && v.length > 2) tree = update(tree, ['axes', i, list], () => v.slice(0, 2));
      }
    });
  return tree;
}

// ---- mutations --------------------------------------------------------------------------------------

type Mutation = (tree: JVal) => fc.Arbitrary<{ desc: string; tree: JVal }>;
const at = (tree: JVal): fc.Arbitrary<(string | number)[]> => {
  const all = paths(tree);
  return all.length === 0 ? fc.constant([]) : fc.constantFrom(...all);
};
const pathText = (p: readonly (string | number)[]): string =>
  p.map((k) => (typeof k === 'number' ? `[${k}]` : `.${k}`)).join('') || '(root)';
const objectPaths = (tree: JVal): (string | number)[][] => [[], ...paths(tree).filter((p) => get(tree, p) instanceof JObj)];
const deep = (depth: number): JRaw => new JRaw('['.repeat(depth) + '1' + ']'.repeat(depth));

const MUTATIONS: Mutation[] = [
  (t) => at(t).map((p) => ({ desc: `deleted ${pathText(p)}`, tree: update(t, p, () => undefined) })),
  (t) =>
    fc
      .tuple(at(t), fc.constantFrom<JVal>(null, true, '1', 'abc', [], new JObj([]), 0, -1, new JRaw('-0'), 1.5))
      .map(([p, v]) => ({ desc: `${pathText(p)} set to ${serialize(v)}`, tree: update(t, p, () => v) })),
  (t) =>
    fc
      .tuple(at(t), fc.constantFrom(...EXTREME_NUMBERS))
      .map(([p, v]) => ({ desc: `${pathText(p)} set to ${serialize(v)}`, tree: update(t, p, () => v) })),
  (t) =>
    fc
      .tuple(fc.constantFrom(...NUMERIC_PATHS, 'samples', 'replicates', 'steps', 'seed', 'warmup'), fc.constantFrom(...EXTREME_NUMBERS))
      .map(([k, v]) => ({ desc: `${k} set to ${serialize(v)}`, tree: update(t, k.split('.'), () => v) })),
  (t) =>
    fc.tuple(fc.constantFrom(...objectPaths(t)), fc.constantFrom<JVal>(1, 'dup', null, new JObj([]))).map(([p, v]) => {
      const o = get(t, p) as JObj;
      const key = o.entries[0]?.[0] ?? 'name';
      return {
        desc: `duplicate key ${JSON.stringify(key)} at ${pathText(p)}`,
        tree: update(t, p, () => new JObj([...o.entries, [key, v]])),
      };
    }),
  (t) =>
    fc
      .tuple(
        fc.constantFrom(...objectPaths(t)),
        fc.constantFrom('__proto__', 'constructor', 'prototype', 'x'.repeat(10_000), 'a\n\u001b[2Jb'),
        fc.constantFrom<JVal>(obj({ polluted: 'yes' }), obj({ prototype: obj({ polluted: 'yes' }) }), 1, null),
      )
      .map(([p, k, v]) => ({
        desc: `key ${JSON.stringify(k.slice(0, 20))}${k.length > 20 ? `… (${k.length})` : ''} added at ${pathText(p)}`,
        tree: update(t, p, (o) => new JObj([...(o as JObj).entries, [k, v]])),
      })),
  (t) =>
    fc
      .tuple(fc.constantFrom(...PROTO_PATHS), fc.boolean(), fc.constantFrom<JVal>(1, 'yes', obj({ polluted: 'yes' })))
      .map(([path, asSet, v]) => {
        const axis = asSet
          ? obj({ name: 'hostile', variants: [obj({ label: 'v', set: new JObj([[path, v]]) })] })
          : obj({ path, values: [v] });
        return {
          desc: `axis ${asSet ? 'set' : 'path'} ${JSON.stringify(path.slice(0, 40))}`,
          tree: update(t, ['axes'], (a) => [...(Array.isArray(a) ? a : []), axis]),
        };
      }),
  (t) =>
    fc.constantFrom(1_000, 10_000, 100_001).map((n) => ({
      desc: `an lmax axis of ${n} values`,
      tree: update(t, ['axes'], () => [obj({ path: 'lmax', values: Array.from({ length: n }, (_, i) => i + 1) })]),
    })),
  (t) =>
    fc.constantFrom<[number, number]>([5, 10], [3, 47], [2, 316], [4, 18], [6, 7]).map(([k, m]) => ({
      desc: `a grid of ${k} axes × ${m} values (${m ** k} cells)`,
      tree: update(t, ['axes'], () =>
        Array.from({ length: k }, (_, i) =>
          obj({ path: NUMERIC_PATHS[i]!, values: Array.from({ length: m }, (_, j) => (i === 5 ? (j + 1) / m : j + 1)) }),
        ),
      ),
    })),
  (t) =>
    fc.constantFrom<[number, number]>([100_000_000, 20_000], [100_000_000, 1], [1, 1_000_000], [10_000, 1_000]).map(([s, r]) => ({
      desc: `samples ${s}, replicates ${r}`,
      tree: update(
        update(t, ['samples'], () => s),
        ['replicates'],
        () => r,
      ),
    })),
  (t) =>
    fc.constantFrom(4097, 5000).map((n) => ({
      desc: `${n} fixed agents`,
      tree: update(t, ['fleet'], () => obj({ agents: Array.from({ length: n }, () => obj({ T: 10, R: 0, P: 1, lambda: 1 })) })),
    })),
  (t) =>
    fc.tuple(fc.integer({ min: 8, max: 12 }), fc.constantFrom<JVal>(1e39, 2, 0.5)).map(([n, m]) => ({
      desc: `${n} alternating schedule entries (multiplier ${serialize(m)})`,
      tree: update(t, ['schedule'], () =>
        Array.from({ length: n }, (_, i) => obj({ agents: [0], from: i, to: i + 0.5, multiplier: i % 2 === 0 ? m : 1 })),
      ),
    })),
  (t) =>
    fc.constantFrom(7, 63, 4095).map((i) => ({
      desc: `schedule entry for agent index ${i}`,
      tree: update(t, ['schedule'], () => [obj({ agents: [i], from: 0, multiplier: 2 })]),
    })),
  (t) =>
    fc
      .tuple(at(t), fc.constantFrom(65, 1000, 100_000))
      .map(([p, d]) => ({ desc: `${pathText(p)} nested ${d} deep`, tree: update(t, p, () => deep(d)) })),
  (t) =>
    fc
      .tuple(
        fc.constantFrom(
          ['name'],
          ['description'],
          ['axes', 0, 'variants', 0, 'label'],
          ['fleet', 'agents', 0, 'name'],
          ['arrivals', 'trace'],
        ),
        fc.constantFrom(...HOSTILE_STRINGS),
      )
      .map(([p, s]) => ({ desc: `${pathText(p)} set to ${JSON.stringify(s.slice(0, 30))}`, tree: update(t, p, () => s) })),
  (t) =>
    fc
      .constantFrom('dt', 'lmax', 'price', 'capacity', 'loadScale')
      .chain((k) =>
        fc
          .constantFrom<JVal>(1e308, 1e39, 1e101, 1e-46, 1e-300)
          .map((v) => ({ desc: `${k} set to ${serialize(v)}`, tree: update(t, [k], () => v) })),
      ),
];

/** A shipped study, made tiny, with one to three mutations. */
export const mutatedStudy: fc.Arbitrary<{ desc: string; tree: JVal }> = fc
  .tuple(fc.constantFrom(...SHIPPED), fc.boolean())
  .chain(([s, keepSize]) => {
    const start = { desc: `${s.name}${keepSize ? '' : ' (tiny)'}`, tree: keepSize ? s.tree : tiny(s.tree) };
    const step = (acc: fc.Arbitrary<{ desc: string; tree: JVal }>): fc.Arbitrary<{ desc: string; tree: JVal }> =>
      acc.chain((a) => fc.constantFrom(...MUTATIONS).chain((m) => m(a.tree).map((b) => ({ desc: `${a.desc}; ${b.desc}`, tree: b.tree }))));
    return fc.oneof({ weight: 4, arbitrary: fc.constant(1) }, fc.constant(2), fc.constant(3)).chain((n) => {
      let acc: fc.Arbitrary<{ desc: string; tree: JVal }> = fc.constant(start);
      for (let i = 0; i < n; i++) acc = step(acc);
      return acc;
    });
  });

// ---- file contents ----------------------------------------------------------------------------------

/** The bytes of a study text, sometimes damaged: a BOM, bytes that are not UTF-8, cut short, UTF-16. */
const encoded = (text: string): fc.Arbitrary<{ desc: string; bytes: Uint8Array }> =>
  fc.oneof(
    { weight: 6, arbitrary: fc.constant({ desc: '', bytes: utf8(text) }) },
    fc.constant({ desc: 'with a BOM', bytes: utf8(`\ufeff${text}`) }),
    fc.integer({ min: 0, max: Math.max(0, text.length - 1) }).map((i) => ({
      desc: `byte 0xff at ${i}`,
      bytes: Uint8Array.from([...utf8(text.slice(0, i)), 0xff, 0xfe, ...utf8(text.slice(i))]),
    })),
    fc.integer({ min: 0, max: Math.max(0, text.length - 1) }).map((i) => ({ desc: `cut at ${i}`, bytes: utf8(text.slice(0, i)) })),
    fc.constant({ desc: 'UTF-16LE with BOM', bytes: Uint8Array.from([0xff, 0xfe, ...Buffer.from(text, 'utf16le')]) }),
    fc.constant({ desc: 'with // comment and trailing comma', bytes: utf8(`// study\n${text.replace(/}\s*$/, ',}')}`) }),
  );

/** Contents that are not a study at all. */
export const oddFile: fc.Arbitrary<{ desc: string; file: FileSpec }> = fc.oneof(
  fc.constant({ desc: 'empty file', file: { bytes: new Uint8Array() } }),
  fc.uint8Array({ minLength: 1, maxLength: 300 }).map((bytes) => ({ desc: 'random bytes', file: { bytes } })),
  fc.constant({ desc: 'a directory', file: { dir: {} } }),
  fc.constant({ desc: 'missing', file: { missing: true as const } }),
  fc
    .constantFrom('null', '[]', '"study"', '1e999', '{}', '{"__proto__":{"polluted":1}}', '\ufeff', '\u0000{}', '{"a":1}{"b":2}')
    .map((t) => ({
      desc: `the text ${JSON.stringify(t)}`,
      file: { bytes: utf8(t) },
    })),
  fc.constant({ desc: '100,000-deep array', file: { bytes: utf8(deep(100_000).text) } }),
  fc.constant({ desc: '100,000-deep object', file: { bytes: utf8('{"a":'.repeat(100_000) + '1' + '}'.repeat(100_000)) } }),
  fc.constant({ desc: '5 MB string', file: { bytes: utf8(`{"name":"${'x'.repeat(5_000_000)}"}`) } }),
);

/**
 * A small valid study with one number at an edge: past f32 (1e39, 1e-46), past the documented limits,
 * or huge (1e101, 1e308) — the values the schema may take but the engines and statistics cannot hold.
 */
export const edgeStudy: fc.Arbitrary<{ desc: string; tree: JVal }> = fc
  .tuple(
    fc.constantFrom<[string, JVal]>(
      ['paper', obj({ preset: 'paper' })],
      ['agents', obj({ agents: [obj({ name: 'a', T: 50, R: 0.1, P: 1, lambda: 20 }), obj({ T: 20, R: 0, P: 2, lambda: 5 })] })],
      ['random', obj({ random: obj({ agents: 3, T: obj({ kind: 'uniform', min: 10, max: 100 }), R: 0.1, P: 1, load: 0.8 }) })],
    ),
    fc.constantFrom(
      ['lmax'],
      ['price'],
      ['dt'],
      ['capacity'],
      ['loadScale'],
      ['allocator', 'emaAlpha'],
      ['fleet', 'agents', 0, 'T'],
      ['fleet', 'agents', 0, 'P'],
      ['fleet', 'agents', 0, 'lambda'],
      ['fleet', 'agents', 1, 'R'],
      ['fleet', 'random', 'T', 'max'],
      ['fleet', 'random', 'load'],
      ['schedule', 0, 'multiplier'],
      ['schedule', 0, 'from'],
      ['schedule', 0, 'agents', 0],
      ['arrivals', 'cv'],
    ),
    fc.constantFrom<JVal>(1e39, 1e-46, 1e101, 1e308, 1.7e308, 3.5e38, 1e-39, 1e9, 1e9 + 1, 1e10, 4095, 4096, 0, new JRaw('-0'), 1e-300),
    fc.boolean(),
  )
  .map(([[fleetName, fleet], path, value, withSchedule]) => {
    let tree: JVal = obj({
      name: 'edge',
      fleet,
      steps: 5,
      ...(path[0] === 'arrivals' ? { arrivals: obj({ process: 'gamma', cv: 1 }) } : {}),
      ...(withSchedule || path[0] === 'schedule' ? { schedule: [obj({ agents: [0], from: 1, to: 3, multiplier: 2 })] } : {}),
    });
    tree = update(tree, path, () => value);
    return { desc: `edge: ${fleetName} fleet, ${pathText(path)} = ${serialize(value)}`, tree };
  });

/** Every study case: generated, mutated (both damaged at the byte level sometimes), or an odd file. */
export const studyCase: fc.Arbitrary<StudyCase> = fc
  .oneof(
    { weight: 3, arbitrary: generatedStudy },
    { weight: 3, arbitrary: edgeStudy },
    { weight: 6, arbitrary: mutatedStudy },
    { weight: 1, arbitrary: oddFile },
  )
  .chain((s) => {
    if ('file' in s) return fc.constant<StudyCase>({ kind: 'study', desc: [s.desc], file: s.file });
    const text = serialize(s.tree);
    return encoded(text).map((e) => ({ kind: 'study' as const, desc: [s.desc, ...(e.desc ? [e.desc] : [])], file: { bytes: e.bytes } }));
  });

// ---- command lines ----------------------------------------------------------------------------------

/** Values that parse as no number: every integer or number option must refuse them. */
const NOT_A_NUMBER = [
  '0x10',
  '0b11',
  '0o7',
  'Infinity',
  '-Infinity',
  'NaN',
  '',
  '  ',
  'abc',
  '1,000',
  '١٢',
  '1_000',
  '\u001b[2J',
  'a\nb',
  'x'.repeat(10_000),
];
const BAD_INTEGER = [...NOT_A_NUMBER, '1e308', '-1', '1.5', '99999999999999999999999'];
const BAD_POSITIVE = [...NOT_A_NUMBER, '-1', '0', '-0', '1e-400'];
/** Values with no verdict here (fleetsim may take or refuse them): only the general properties apply. */
const ODD = ['+1', '01', '2 ', '1e3', '0.0', '1.0'];

interface OptionSpec {
  name: string;
  good: string[]; // accepted values that keep the run small
  bad: string[]; // values that must be refused (exit 2)
  odd?: string[];
  flag?: boolean;
}
const OPT = {
  backendCpu: { name: '--backend', good: ['cpu'], bad: ['GPU', 'cuda', '', '\u001b[31mred', 'x'.repeat(10_000), '__proto__'] },
  threads: { name: '--threads', good: ['1', '2'], bad: [...BAD_INTEGER, '0'], odd: ODD },
  lmax: { name: '--lmax', good: ['999', '0.5', '1e9'], bad: [...BAD_POSITIVE, '1.7e308', '1e308', '1e10'], odd: ODD },
  steps: { name: '--steps', good: ['1', '3'], bad: [...BAD_INTEGER, '0', '1000000001'], odd: ODD },
  fleets: { name: '--fleets', good: ['1', '2'], bad: [...BAD_INTEGER, '0', '100000001'], odd: ODD },
  seed: { name: '--seed', good: ['0', '7', '9007199254740991'], bad: [...BAD_INTEGER, '9007199254740992'], odd: ODD },
  json: { name: '--json', good: [], bad: [], flag: true },
  quiet: { name: '--quiet', good: [], bad: [], flag: true },
  verbose: { name: '--verbose', good: [], bad: [], flag: true },
  agents: {
    name: '--agents',
    good: ['1', '3', 'planner,coder,critic', ' a , b '],
    bad: [
      '0',
      '65',
      '-1',
      '1.5',
      'a,a',
      'x y',
      '',
      ',',
      'a,,b',
      'x'.repeat(10_000),
      '__proto__,__proto__',
      ...HOSTILE_STRINGS.filter((h) => !/^[\w.-]{1,64}$/.test(h)),
    ],
    odd: ['01', '__proto__', 'constructor', '64'],
  },
  shard: {
    name: '--shard',
    good: ['0/1', '1/2', '0/2'],
    bad: ['2/2', '-1/2', '1/0', '0/0', 'a/b', '0x1/2', '', '1/2/3', '\u001b[2J'],
    odd: ['1', '99999999999999999999/1e309'],
  },
  batch: { name: '--batch-size', good: ['1', '7', '100000'], bad: [...BAD_INTEGER, '0'], odd: ODD },
  budget: { name: '--budget', good: ['1'], bad: BAD_POSITIVE, odd: ODD },
  repeats: { name: '--repeats', good: ['1'], bad: [...BAD_INTEGER, '0', '1001'], odd: ODD },
  format: { name: '--format', good: ['auto', 'seconds', 'datetime'], bad: ['SECONDS', '', '\u0000', 'x'.repeat(10_000)] },
  resolution: { name: '--resolution', good: ['1', '0.5'], bad: BAD_POSITIVE, odd: ODD },
  column: {
    name: '--timestamp-column',
    good: ['0', 'ts', 'timestamp'],
    bad: [],
    odd: ['-1', '1e308', '0x1', '\u001b[2J', 'x'.repeat(10_000), '__proto__', '99999999999'],
  },
  name: { name: '--name', good: ['t'], bad: [], odd: HOSTILE_STRINGS },
  benchOut: { name: '--out', good: [], bad: [], odd: ['', '/proc/fleetsim-fuzz', '\u001b[2J', 'x'.repeat(10_000)] },
  workloads: { name: '--workloads', good: ['paper'], bad: [], odd: ['', ',', 'nope*', '*', '\u001b[2J', 'x'.repeat(10_000)] },
  rowsLimit: { name: '--rows-limit', good: ['0', '16', '256'], bad: [...BAD_INTEGER, '257'], odd: ODD },
  reportOut: {
    name: '--out',
    good: [],
    bad: [],
    odd: ['', '@r.html', '@afile', '@busy', '@nodir/r.html', '/proc/fleetsim-fuzz.html', '\u001b[2J'],
  },
  port: { name: '--port', good: ['0'], bad: [...BAD_INTEGER, '65536'], odd: ODD },
  noOpen: { name: '--no-open', good: [], bad: [], flag: true },
  workflow: { name: '--workflow', good: [], bad: [], flag: true },
  serverless: { name: '--serverless', good: [], bad: [], flag: true },
} satisfies Record<string, OptionSpec>;

type Picked = { args: string[]; desc: string; reject?: string };
/** One option with a value: mostly good, often bad, sometimes odd. */
const option = (o: OptionSpec): fc.Arbitrary<Picked> => {
  if (o.flag) return fc.constant({ args: [o.name], desc: o.name });
  const arbs: fc.Arbitrary<Picked>[] = [];
  if (o.good.length > 0) arbs.push(fc.constantFrom(...o.good).map((v) => ({ args: [o.name, v], desc: `${o.name} ${JSON.stringify(v)}` })));
  if (o.bad.length > 0)
    arbs.push(
      fc.constantFrom(...o.bad).map((v) => ({
        args: [o.name, v],
        desc: `${o.name} ${JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}…` : v)}`,
        reject: `${o.name} ${JSON.stringify(v.slice(0, 40))} is outside what is allowed`,
      })),
    );
  if (o.odd && o.odd.length > 0)
    arbs.push(fc.constantFrom(...o.odd).map((v) => ({ args: [o.name, v], desc: `${o.name} ${JSON.stringify(v.slice(0, 40))}` })));
  return fc.oneof(...arbs);
};
const unknownOption: fc.Arbitrary<Picked> = fc
  .constantFrom('--nope', '-z', '--\u001b[2J', `--${'x'.repeat(10_000)}`, '--__proto__', '--constructor')
  .map((o) => ({
    args: [o],
    desc: `unknown option ${JSON.stringify(o.slice(0, 20))}`,
    reject: 'an unknown option',
  }));

const options = (specs: OptionSpec[], max = 3): fc.Arbitrary<Picked[]> =>
  fc.array(fc.oneof({ weight: 8, arbitrary: fc.constantFrom(...specs).chain(option) }, { weight: 1, arbitrary: unknownOption }), {
    maxLength: max,
  });

const command = (
  name: string[],
  base: string[],
  extra: fc.Arbitrary<Picked[]>,
  files: Record<string, FileSpec> = {},
  more: Partial<CommandCase> = {},
): fc.Arbitrary<CommandCase> =>
  extra.map((picked) => {
    const reject = picked.find((p) => p.reject)?.reject;
    return {
      kind: 'command',
      desc: [[...name, ...base].join(' '), ...picked.map((p) => p.desc)],
      argv: [...name, ...base, ...picked.flatMap((p) => p.args)],
      files,
      ...(reject ? { reject } : {}),
      ...more,
    };
  });

const tinyStudyText = serialize(obj({ name: 'tiny', fleet: obj({ preset: 'paper' }), steps: 3, samples: 1, replicates: 1 }));
const tinyStudy: FileSpec = { bytes: utf8(tinyStudyText) };
const csv: fc.Arbitrary<{ desc: string; file: FileSpec }> = fc.oneof(
  fc.constant({ desc: 'a good CSV', file: { bytes: utf8('timestamp,x\n0.5,a\n1.25,b\n3,c\n') } }),
  fc.constant({ desc: 'datetime CSV', file: { bytes: utf8('timestamp\n2023-01-01 00:00:00\n2023-01-01 00:00:01\n') } }),
  fc
    .array(fc.constantFrom('1e308', '-5', 'NaN', '1e39', '0x10', '\u001b[2J', '', '2023-13-45 99:99:99', '"a,b"', '9'.repeat(400)), {
      minLength: 1,
      maxLength: 6,
    })
    .map((vs) => ({
      desc: `CSV of ${JSON.stringify(vs.map((v) => v.slice(0, 12)))}`,
      file: { bytes: utf8(`timestamp\n${vs.join('\n')}\n`) },
    })),
  oddFile,
);

/** A result directory that is not one: garbage where fleetsim's files go. */
const fakeResults: fc.Arbitrary<{ desc: string; file: FileSpec }> = fc.oneof(
  fc.constant({ desc: 'empty dir', file: { dir: {} } }),
  oddFile,
  fc
    .constantFrom('{}', 'garbage', '{"study":{"__proto__":{"polluted":1}}}', '{"format":1,"shard":{"index":-1,"count":1e308}}')
    .map((m) => ({ desc: `manifest.json ${JSON.stringify(m)}`, file: { dir: { 'manifest.json': { bytes: utf8(m) } } } })),
);

/** `--out` values: the usual new directory, or one the file system will refuse. */
const outDir: fc.Arbitrary<Picked & { env: boolean }> = fc.oneof(
  { weight: 4, arbitrary: fc.constant<Picked & { env: boolean }>({ args: ['--out', '@out'], desc: '--out @out', env: false }) },
  fc
    .constantFrom('', '@afile', '@afile/sub', '/proc/fleetsim-fuzz', '/dev/null', '@out\n\u001b[2J', `@${'o'.repeat(300)}`, '@busy', '/')
    .map((v) => ({
      args: ['--out', v],
      desc: `--out ${JSON.stringify(v.slice(0, 30))}`,
      env: true,
    })),
);
const outFiles: Record<string, FileSpec> = { afile: { bytes: utf8('x') }, busy: { dir: { 'keep.txt': { bytes: utf8('mine') } } } };

/**
 * The options each command's generator draws (with -h/--help, and -V/--version at the top level): the
 * fuzz test checks this against every command's --help, so that a new option is fuzzed too.
 */
export const FUZZED_OPTIONS: Record<string, string[]> = {
  '': ['--version', '--help'],
  paper: ['--backend', '--threads', '--lmax', '--steps', '--json', '--verbose', '--help'],
  montecarlo: ['--backend', '--threads', '--fleets', '--steps', '--seed', '--lmax', '--json', '--verbose', '--help'],
  sweep: ['--out', '--backend', '--threads', '--seed', '--shard', '--resume', '--quiet', '--verbose', '--batch-size', '--help'],
  demo: ['--backend', '--threads', '--verbose', '--help'],
  bench: ['--budget', '--repeats', '--quick', '--out', '--workloads', '--help'],
  validate: ['--help'],
  init: ['--agents', '--workflow', '--serverless', '--help'],
  merge: ['--out', '--help'],
  report: ['--out', '--rows-limit', '--help'],
  view: ['--port', '--no-open', '--help'],
  trace: ['--help'],
  'trace import': ['--timestamp-column', '--format', '--resolution', '--name', '--out', '--force', '--help'],
  'trace info': ['--help'],
  schema: ['--help'],
};

/**
 * Command lines for every command. Commands that do real work (paper, montecarlo, sweep) get small
 * sizes and `--backend cpu` so that an accepted line runs in moments; demo and bench (minutes of work)
 * always carry an unknown option, so that only their parsing runs.
 */
export const commandCase: fc.Arbitrary<CommandCase> = fc.oneof(
  command(
    ['paper'],
    ['--backend', 'cpu', '--threads', '1', '--steps', '3'],
    options([OPT.threads, OPT.lmax, OPT.steps, OPT.json, OPT.verbose, OPT.backendCpu]),
  ),
  command(
    ['montecarlo'],
    ['--backend', 'cpu', '--threads', '1', '--fleets', '2', '--steps', '3'],
    options([OPT.threads, OPT.lmax, OPT.steps, OPT.fleets, OPT.seed, OPT.json, OPT.verbose, OPT.backendCpu]),
  ),
  fc
    .tuple(outDir, options([OPT.threads, OPT.seed, OPT.shard, OPT.quiet, OPT.verbose, OPT.batch, OPT.backendCpu]), fc.boolean())
    .chain(([out, extra, resume]) =>
      command(
        ['sweep', '@study.json'],
        ['--backend', 'cpu', '--threads', '1', ...out.args, ...(resume ? ['--resume'] : [])],
        fc.constant(extra),
        { 'study.json': tinyStudy, ...outFiles },
        { env: out.env },
      ),
    ),
  fc
    .tuple(studyCase, fc.constantFrom('gpu', 'auto', 'cpu', '0x10', 'Infinity', '-1', '\u001b[2J'))
    .map(([s, v]) => ({
      kind: 'command' as const,
      desc: ['sweep @study.json --out @out (backend/threads on a study file)', `--threads or --backend ${JSON.stringify(v)}`, ...s.desc],
      argv: [
        'sweep',
        '@study.json',
        '--out',
        '@out',
        ...(/^[a-z]+$/.test(v) ? ['--backend', v, '--threads', '1'] : ['--backend', 'cpu', '--threads', v]),
      ],
      files: { 'study.json': s.file },
      ...(v === 'cpu' || /^[a-z]+$/.test(v) ? {} : { reject: `--threads ${JSON.stringify(v)}` }),
    }))
    .filter((c) => c.reject !== undefined || 'missing' in (c.files['study.json'] as object)),
  command(
    ['demo'],
    [],
    options([OPT.threads, OPT.verbose, OPT.backendCpu], 2).map((o) => [
      ...o,
      { args: ['--nope'], desc: '--nope', reject: 'an unknown option' },
    ]),
  ),
  command(
    ['bench'],
    [],
    options([OPT.budget, OPT.repeats, OPT.benchOut, OPT.workloads], 2).map((o) => [
      ...o,
      { args: ['--quick', '--nope'], desc: '--quick --nope', reject: 'an unknown option' },
    ]),
  ),
  command(['validate', '@study.json'], [], options([OPT.json, OPT.threads], 1), { 'study.json': tinyStudy }),
  // init: a new file, stdout, or a path that exists (never overwritten: exit 2) or that the machine refuses
  fc
    .tuple(
      fc.constantFrom('@new.json', '-', '@afile', '@busy', '/proc/fleetsim-fuzz.json', '@nodir/x.json'),
      options([OPT.agents, OPT.workflow, OPT.serverless], 2),
    )
    .map(([file, extra]) => {
      // --workflow routes from the first agent to each other: 2 to HUB_MAX_AGENTS agents (the last --agents counts; default 4).
      const last = extra.filter((p) => p.args[0] === '--agents').at(-1)?.args[1];
      const count = last === undefined ? INIT_DEFAULT_AGENTS : /^\s*\d+\s*$/.test(last) ? Number(last) : last.split(',').length;
      const workflow = extra.some((p) => p.args[0] === '--workflow') && (count < 2 || count > HUB_MAX_AGENTS);
      const reject =
        extra.find((p) => p.reject)?.reject ??
        (workflow ? `--workflow with ${count} agents` : file === '@afile' || file === '@busy' ? 'an existing file' : undefined);
      return {
        kind: 'command' as const,
        desc: [`init ${JSON.stringify(file)}`, ...extra.map((p) => p.desc)],
        argv: ['init', file, ...extra.flatMap((p) => p.args)],
        files: outFiles,
        env: file.startsWith('/proc') || file === '@nodir/x.json',
        ...(reject ? { reject } : {}),
      };
    }),
  // report and view of a directory that is not a finished sweep: refused (exit 2) before anything is
  // written or served; exit 3 passes too (a checkout without the built page); view never starts serving
  fc.tuple(fakeResults, options([OPT.rowsLimit, OPT.reportOut], 2)).map(([dir, extra]) => ({
    kind: 'command' as const,
    desc: [`report of ${dir.desc}`, ...extra.map((p) => p.desc)],
    argv: ['report', '@sweep', ...extra.flatMap((p) => p.args)],
    files: { sweep: dir.file, ...outFiles },
    env: true,
  })),
  fc.tuple(fakeResults, options([OPT.port, OPT.noOpen], 2)).map(([dir, extra]) => ({
    kind: 'command' as const,
    desc: [`view of ${dir.desc}`, ...extra.map((p) => p.desc)],
    argv: ['view', '@sweep', '--no-open', ...extra.flatMap((p) => p.args)],
    files: { sweep: dir.file },
    env: true,
  })),
  fc.tuple(fc.array(fakeResults, { minLength: 1, maxLength: 3 }), outDir).map(([dirs, out]) => ({
    kind: 'command' as const,
    desc: [`merge of ${dirs.map((d) => d.desc).join(', ')}`, out.desc],
    argv: ['merge', ...dirs.map((_, i) => `@shard${i}`), ...out.args],
    files: { ...Object.fromEntries(dirs.map((d, i) => [`shard${i}`, d.file])), ...outFiles },
    env: out.env,
  })),
  fc
    .tuple(
      csv,
      options([OPT.column, OPT.format, OPT.resolution, OPT.name], 3),
      fc.constantFrom('@t.json', '@afile', '', '/proc/fleetsim-fuzz.json', '@busy'),
      fc.boolean(),
    )
    .map(([file, extra, out, force]) => {
      const reject = extra.find((p) => p.reject)?.reject;
      return {
        kind: 'command' as const,
        desc: [`trace import of ${file.desc} --out ${JSON.stringify(out)}${force ? ' --force' : ''}`, ...extra.map((p) => p.desc)],
        argv: [
          'trace',
          'import',
          '@in.csv',
          '--timestamp-column',
          '0',
          '--out',
          out,
          ...(force ? ['--force'] : []),
          ...extra.flatMap((p) => p.args),
        ],
        files: { 'in.csv': file.file, ...outFiles },
        env: out !== '@t.json',
        ...(reject ? { reject } : {}),
      };
    }),
  fc
    .tuple(
      fc.constantFrom(
        'azure-llm-2023-conv',
        'servegen-deepseek-r1',
        '@tr.json',
        '../../../etc/passwd',
        '__proto__',
        'constructor',
        'toString',
        '\u001b[2J',
        'x'.repeat(10_000),
        '',
      ),
      oddFile,
    )
    .map(([name, file]) => ({
      kind: 'command' as const,
      desc: [`trace info ${JSON.stringify(name.slice(0, 30))}`, name === '@tr.json' ? file.desc : ''],
      argv: ['trace', 'info', name],
      files: { 'tr.json': file.file },
    })),
  fc
    .constantFrom(
      [],
      ['--version'],
      ['--help'],
      ['-V'],
      ['nocommand'],
      [''],
      ['\u001b[2J'],
      ['schema', '--nope'],
      ['trace'],
      ['trace', 'nope'],
      ['help', 'sweep'],
      ['sweep', '--help'],
      ['x'.repeat(10_000)],
    )
    .map((argv) => ({ kind: 'command' as const, desc: ['top level'], argv: [...argv], files: {} })),
);
