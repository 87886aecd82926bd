/**
 * The properties every fuzz case must keep (issue 15, "What must hold"), and the case runner that
 * checks them:
 *   exit   — fleetsim exits 0 or 2 (3 only where the case lets the machine refuse a path);
 *   stack  — no stack trace and no error escaping main();
 *   quoted — no raw control, bidi or invalid characters in stdout or stderr; no line over
 *            MAX_LINE characters; every stderr line of a failing run starts with `fleetsim: ` or is
 *            commander's usage text;
 *   touched — a failing run (and a command that only reads) changes nothing on disk;
 *   time   — a rejected input within REJECT_MS; an accepted run within a bound proportional to
 *            its declared work; memory within the runner's limits;
 *   agree  — `validate` exits 2 ⇔ `sweep` exits 2 before work, with the same problem lines; a
 *            study `validate` accepts, small enough to run, `sweep` runs (exit 0);
 *   pollution — no prototype gains a key (in process);
 *   reject — an option value outside what is allowed (the generator knows which) exits 2.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { type CommandCase, type FileSpec, type FuzzCase, type StudyCase } from './fuzz-gen.js';
import { changes, type Outcome, processRunner, removeScratch, resolveArgs, type Runner, scratch, snapshot } from './fuzz-run.js';

export const MAX_LINE = 500;
export const REJECT_MS = 10_000;
/** Accepted runs: a fixed allowance plus this many ms per declared agent-step (generous). */
const ACCEPT_BASE_MS = 30_000;
const MS_PER_AGENT_STEP = 0.01;
/**
 * And this many per cell of the grid: each cell has its aggregate, its rows in every result file and its
 * share of the checkpoints, whatever its work. Measured: a 1,000-cell sweep of the tiny paper workflow
 * (6 policies, 288,000 agent-steps; seed 1506's case 86) takes 16 s on the 2-core machine at a load
 * of 5 (20 s with a 1 GiB heap, as the fuzz worker has; 42 s there at a load of 12), most of it the
 * checkpoints and summary.json of 1,000 cells: the allowance stays for loaded machines.
 */
const MS_PER_CELL = 30;
/** Studies above this declared work are validated only (a sweep of them is real work). */
export const SWEEP_WORK_LIMIT = 1_000_000;

export interface Violation {
  property: string;
  detail: string;
}
export interface CaseReport {
  violations: Violation[];
  runs: Outcome[];
  scratchFiles: string[];
}

// What a message must never carry raw (what src/text/quote.ts escapes): C0/C1 controls but \n, the
// line and paragraph separators, bidi marks, overrides and isolates, the BOM, lone surrogates (with /u
// a lone surrogate is its own code point, a pair is not). U+FFFD (bytes that were not UTF-8, decoded)
// is harmless on a terminal and quote() keeps it.
// eslint-disable-next-line no-control-regex -- control characters are what this looks for
const CONTROL = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069\ufeff\ud800-\udfff]/u;
const CONTROL_G = new RegExp(CONTROL.source, 'gu');
const STACK = [/^\s+at .*(:\d+:\d+\)?|\(native\)|<anonymous>\)?)$/, /^\s*(\w+)?Error(\s*\[\w+\])?: /, /node:internal/, /^Node\.js v\d+/];
const COMMANDER = [/^error: /, /^\(run with --help for usage\)$/, /^\(Did you mean .*\?\)$/];
const READ_ONLY = new Set(['validate', 'schema', 'paper', 'montecarlo', 'info', 'help', '--help', '--version', '-V']);

/** A short, escaped form of `s` for reports. */
export const show = (s: string, max = 160): string => {
  const q = JSON.stringify(s.length > max ? s.slice(0, max) : s);
  return s.length > max ? `${q}… (${s.length} characters)` : q;
};

/** The command of `argv` for reports: `sweep`, `trace info`, or the first argument quoted. */
const commandName = (argv: readonly string[]): string => {
  const head = argv[0] === 'trace' && argv[1] !== undefined ? `trace ${argv[1]}` : (argv[0] ?? '(none)');
  return /^[\w -]{1,20}$/.test(head) ? head : show(head, 20);
};

/** The general properties of one run. `code3` lets exit 3 pass; `boundMs`: the time bound. */
export function checkRun(o: Outcome, opts: { code3: boolean; boundMs: number; touched: string[]; readOnly: boolean }): Violation[] {
  const v: Violation[] = [];
  const cmd = commandName(o.argv);
  if (o.timedOut) v.push({ property: 'time', detail: `${cmd}: did not finish within ${Math.round(opts.boundMs / 1000)} s (killed)` });
  else if (o.memoryKilled) v.push({ property: 'time', detail: `${cmd}: resident memory passed ${o.rssMiB} MiB (killed)` });
  else if (o.code === 2 && o.ms > REJECT_MS)
    v.push({ property: 'time', detail: `${cmd}: rejected after ${Math.round(o.ms)} ms (bound ${REJECT_MS} ms)` });
  else if (o.ms > opts.boundMs) v.push({ property: 'time', detail: `${cmd}: took ${Math.round(o.ms)} ms (bound ${opts.boundMs} ms)` });
  if (o.thrown !== undefined) v.push({ property: 'stack', detail: `${cmd}: an error escaped: ${o.thrown.split('\n')[0]}` });
  if (!o.timedOut && !o.memoryKilled && !(o.code === 0 || o.code === 2 || (o.code === 3 && opts.code3)))
    v.push({ property: 'exit', detail: `${cmd}: exit code ${o.code}` });
  for (const [name, text] of [
    ['stdout', o.stdout],
    ['stderr', o.stderr],
  ] as const) {
    const lines = text.split('\n');
    const stack = lines.find((l) => STACK.some((re) => re.test(l)));
    if (stack !== undefined)
      v.push({ property: 'stack', detail: `${cmd}: ${name} holds a stack trace or Node error: ${show(stack, 100)}` });
    const ctl = lines.find((l) => CONTROL.test(l));
    if (ctl !== undefined) {
      const chars = [...new Set(ctl.match(CONTROL_G))].map((c) => `U+${c.codePointAt(0)!.toString(16).padStart(4, '0')}`);
      v.push({ property: 'quoted', detail: `${cmd}: ${name} has raw ${chars.join(' ')}: ${show(ctl, 100)}` });
    }
    const long = lines.find((l) => l.length > MAX_LINE);
    if (long !== undefined && !(name === 'stdout' && o.argv[0] === 'schema'))
      v.push({ property: 'quoted', detail: `${cmd}: ${name} has a line of ${long.length} characters: ${show(long, 80)}` });
  }
  if (o.code !== 0 && o.code !== null) {
    const lines = o.stderr.split('\n').filter((l) => l !== '');
    const help = lines.some((l) => /^Usage: fleetsim/.test(l));
    const stray = lines.find((l) => !l.startsWith('fleetsim: ') && !COMMANDER.some((re) => re.test(l)));
    if (!help && stray !== undefined) v.push({ property: 'quoted', detail: `${cmd}: stderr line not from fleetsim: ${show(stray, 100)}` });
    if (lines.length === 0 && o.thrown === undefined)
      v.push({ property: 'quoted', detail: `${cmd}: exit ${o.code} with nothing on stderr` });
  }
  // A run killed for time or memory is reported as such; what it had written by then is not a second finding.
  if (o.code !== null && (o.code !== 0 || opts.readOnly) && opts.touched.length > 0)
    v.push({
      property: 'touched',
      detail: `${cmd}: exit ${o.code} but ${opts.touched.slice(0, 3).join(', ')}${opts.touched.length > 3 ? ', …' : ''}`,
    });
  if (o.pollution && o.pollution.length > 0) v.push({ property: 'pollution', detail: `${cmd}: ${o.pollution.slice(0, 3).join(', ')}` });
  return v;
}

/** Declared work of a study text, in agent-steps (cells × samples × replicates × steps × agents × policies). */
export function declaredWork(bytes: Uint8Array): { work: number; cells: number } {
  try {
    const text = new TextDecoder().decode(bytes).replace(/^\ufeff/, '');
    const s = JSON.parse(text) as Record<string, unknown>;
    const num = (x: unknown, d: number): number => (typeof x === 'number' && Number.isFinite(x) ? Math.max(1, x) : d);
    const axes = Array.isArray(s.axes) ? (s.axes as Record<string, unknown>[]) : [];
    const cells = axes.reduce(
      (n, a) => n * (Array.isArray(a?.values) ? a.values.length : Array.isArray(a?.variants) ? a.variants.length : 1),
      1,
    );
    const fleet = (s.fleet ?? {}) as Record<string, unknown>;
    const random = fleet.random as Record<string, unknown> | undefined;
    const agents = Array.isArray(fleet.agents)
      ? fleet.agents.length
      : random
        ? typeof random.agents === 'object' && random.agents !== null
          ? num((random.agents as Record<string, unknown>).max, 4096)
          : num(random.agents, 4096)
        : 4;
    const policies = Array.isArray(s.policies) ? s.policies.length : 3;
    return { work: cells * num(s.samples, 1) * num(s.replicates, 1) * num(s.steps, 100) * agents * policies, cells };
  } catch {
    return { work: Infinity, cells: 1 };
  }
}

/**
 * The first field of a CSV file that a spreadsheet would run as a formula (starting with =, +, @, a
 * tab or CR, or with - unless the field is a number; quoted or not); undefined if none.
 */
function csvFormula(path: string): string | undefined {
  if (!existsSync(path)) return undefined;
  const text = readFileSync(path, 'utf8');
  const field = /(?:^|,)(?:"((?:[^"]|"")*)"|([^,\n]*))/gm;
  for (const m of text.matchAll(field)) {
    const value = (m[1] ?? m[2] ?? '').replace(/""/g, '"');
    if (/^[=+@\t\r]/.test(value) || (value.startsWith('-') && !/^-(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i.test(value))) return value;
  }
  return undefined;
}

const problemLines = (o: Outcome): string[] =>
  o.stderr
    .split('\n')
    .filter((l) => l.startsWith('fleetsim: '))
    .sort();

/** Runs `argv` in a fresh copy of the scratch directory `files` and checks the general properties. */
async function runChecked(
  runner: Runner,
  argv: string[],
  files: Record<string, FileSpec>,
  opts: { code3: boolean; boundMs: number },
): Promise<{ outcome: Outcome; violations: Violation[]; dir: string; touched: string[] }> {
  const dir = scratch(files);
  const before = snapshot(dir);
  const outcome = await runner.run(resolveArgs(argv, dir), opts.boundMs, dir);
  const touched = changes(before, snapshot(dir));
  // Paths in the output are the scratch directory's; the report shows them as @name again.
  const unscratch = (s: string): string =>
    s
      .split(dir + '/')
      .join('@')
      .split(dir)
      .join('@');
  const shown: Outcome = { ...outcome, argv, stdout: unscratch(outcome.stdout), stderr: unscratch(outcome.stderr) };
  const head = argv[0] === 'trace' ? argv[1]! : argv[0]!;
  const violations = checkRun(shown, { ...opts, touched, readOnly: READ_ONLY.has(head) });
  return { outcome: shown, violations, dir, touched };
}

/** Runs one case (a study case: validate, then sweep) and returns every property it broke. */
export async function runCase(c: FuzzCase, runner: Runner): Promise<CaseReport> {
  return c.kind === 'study' ? runStudyCase(c, runner) : runCommandCase(c, runner);
}

let isolated: Runner | undefined;
async function runCommandCase(c: CommandCase, runner: Runner): Promise<CaseReport> {
  if (c.isolate || c.argv.some((a) => a.includes('/proc/'))) runner = isolated ??= processRunner();
  const r = await runChecked(runner, c.argv, c.files, { code3: c.env === true, boundMs: c.reject ? REJECT_MS : ACCEPT_BASE_MS });
  removeScratch(r.dir);
  const violations = [...r.violations];
  if (c.reject && r.outcome.code !== 2 && !r.outcome.timedOut)
    violations.push({ property: 'reject', detail: `${commandName(c.argv)}: exit ${r.outcome.code} for ${c.reject}` });
  return { violations, runs: [r.outcome], scratchFiles: Object.keys(c.files) };
}

async function runStudyCase(c: StudyCase, runner: Runner): Promise<CaseReport> {
  const files = { 'study.json': c.file };
  const { work, cells } = 'bytes' in c.file ? declaredWork(c.file.bytes) : { work: 0, cells: 1 };
  const validate = await runChecked(runner, ['validate', '@study.json'], files, { code3: false, boundMs: REJECT_MS + cells * 0.2 });
  removeScratch(validate.dir);
  const violations = [...validate.violations];
  const runs = [validate.outcome];
  const v = validate.outcome.code;
  if (v === 2 || (v === 0 && work <= SWEEP_WORK_LIMIT)) {
    const argv = ['sweep', '@study.json', '--out', '@out', '--backend', 'cpu', '--threads', '1'];
    const bound = v === 2 ? REJECT_MS : ACCEPT_BASE_MS + work * MS_PER_AGENT_STEP + cells * MS_PER_CELL;
    const sweep = await runChecked(runner, argv, files, { code3: false, boundMs: bound });
    violations.push(...sweep.violations);
    runs.push(sweep.outcome);
    const s = sweep.outcome;
    if (s.code === 0) {
      const stray = sweep.touched.filter((t) => !/^created out(\/|$)/.test(t));
      if (stray.length > 0) violations.push({ property: 'touched', detail: `sweep: wrote outside --out: ${stray.slice(0, 3).join(', ')}` });
      const formula = csvFormula(join(sweep.dir, 'out', 'cells.csv'));
      if (formula !== undefined) violations.push({ property: 'quoted', detail: `sweep: cells.csv holds a formula: ${show(formula, 80)}` });
    }
    if (v === 2 && s.code !== 2 && !s.timedOut)
      violations.push({ property: 'agree', detail: `validate exits 2 but sweep exits ${s.code}` });
    else if (v === 2 && s.code === 2) {
      const a = problemLines(validate.outcome);
      const b = problemLines(s);
      if (a.join('\n') !== b.join('\n')) {
        const only = b.find((l) => !a.includes(l)) ?? a.find((l) => !b.includes(l)) ?? '';
        violations.push({ property: 'agree', detail: `validate and sweep print different problems, e.g. ${show(only, 120)}` });
      }
    } else if (v === 0 && s.code !== 0 && !s.timedOut) {
      const line = s.stderr.split('\n').find((l) => l !== '') ?? s.thrown?.split('\n')[0] ?? '';
      // Unquoted (escaped only), so that each distinct message is its own class in a campaign's report.
      violations.push({
        property: 'agree',
        detail: `validate accepts but sweep exits ${s.code}: ${JSON.stringify(line.slice(0, 160)).slice(1, -1)}`,
      });
    }
    removeScratch(sweep.dir);
  }
  return { violations, runs, scratchFiles: ['study.json'] };
}

// ---- reports ----------------------------------------------------------------------------------------

/** A violation with its case-specific parts (numbers, quoted values, paths) blanked: its class. */
export const signature = (v: Violation): string =>
  `${v.property}: ${v.detail
    .replace(/"(?:[^"\\]|\\.)*"(… \(\d+ characters\))?/g, '"…"')
    .replace(/'[^']*'/g, "'…'")
    .replace(/@[\w./-]*/g, '@…')
    .replace(/\d+(\.\d+)?(e[+-]?\d+)?/g, '#')}`;

const fileText = (spec: FileSpec, name: string): string[] => {
  if ('missing' in spec) return [`  ${name}: (missing)`];
  if ('dir' in spec) return [`  ${name}/: a directory`, ...Object.entries(spec.dir).flatMap(([n, s]) => fileText(s, `${name}/${n}`))];
  const text = Buffer.from(spec.bytes).toString('utf8');
  return [`  ${name}: ${spec.bytes.length} bytes: ${show(text, 600)}`];
};

/** The case, its runs and what they broke, readable. */
export function describeCase(c: FuzzCase, report: CaseReport): string {
  const files = c.kind === 'study' ? { 'study.json': c.file } : c.files;
  const lines = [
    `case: ${c.desc.filter((d) => d !== '').join('; ')}`,
    ...(c.kind === 'command' ? [`command: fleetsim ${c.argv.map((a) => (/^[\w@./:-]+$/.test(a) ? a : show(a, 40))).join(' ')}`] : []),
    `files (@name is the scratch directory's ${'name'}):`,
    ...Object.entries(files).flatMap(([n, s]) => fileText(s, n)),
    ...report.runs.flatMap((o) => [
      `run: fleetsim ${o.argv.map((a) => (/^[\w@./:-]+$/.test(a) ? a : show(a, 40))).join(' ')} → exit ${o.code}${o.timedOut ? ' (timed out)' : ''} in ${Math.round(o.ms)} ms`,
      ...o.stderr
        .split('\n')
        .filter((l) => l !== '')
        .slice(0, 6)
        .map((l) => `  stderr ${show(l, 200)}`),
      ...o.stdout
        .split('\n')
        .filter((l) => l !== '')
        .slice(0, 2)
        .map((l) => `  stdout ${show(l, 200)}`),
      ...(o.thrown ? [`  thrown ${show(o.thrown.split('\n').slice(0, 3).join(' | '), 300)}`] : []),
    ]),
    'violated:',
    ...report.violations.map((v) => `  [${v.property}] ${v.detail}`),
  ];
  return lines.join('\n');
}

export const scratchPath = (dir: string, name: string): string => join(dir, name);
