/**
 * From a study file to its cells: parses the JSON, validates it, and expands the axes into the grid
 * (the first axis varies slowest). Each cell is the study with its axis values written into it and
 * parsed again, so every cell is checked by the same schema. Problems come back as lines naming the
 * field: a bad axis value is reported at `axes[i].values[j]`, not at the field it sets.
 *
 * @example
 *   const { study, cells } = expandStudy(JSON.parse(text)); // throws StudyError listing every problem
 */
import { formatIssues, formatPath } from './problems.js';
import { z } from 'zod';
import type { TraceLibrary } from '../traces/library.js';
import { MAX_EXPONENTIAL_MEAN } from '../model/batch.js';
import { PAPER_AGENTS } from '../model/paper.js';
import { MAX_POISSON_MEAN } from '../random/poisson.js';
import { type Axis, axisAssignments, axisLabels, axisName, AxisSchema, distRange, type Study, StudySchema } from './schema.js';

/** Every problem of a study file, one line each; the CLI prints them and exits with code 2. */
export class StudyError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(problems.join('\n'));
    this.name = 'StudyError';
  }
}

export type AxisValue = number | string;

export interface Cell {
  index: number;
  values: readonly AxisValue[]; // one per axis
  study: Study; // the study with the values applied
}

export interface ExpandedStudy {
  study: Study; // the base study, defaults filled in
  cells: Cell[];
  /** The traces its cells name, loaded (by the CLI: src/cli/sweep.ts loadStudy); absent: none. */
  traces?: TraceLibrary;
  /** What a user must know before trusting the results (a trace shorter than the run wraps around). */
  notes?: string[];
}

type Key = string | number;

/** `schedule[0].multiplier` → ['schedule', 0, 'multiplier']; null when malformed. */
export function parsePath(path: string): Key[] | null {
  if (!/^[A-Za-z_$][\w$]*(\.[A-Za-z_$][\w$]*|\[\d+\])*$/.test(path)) return null;
  return [...path.matchAll(/([A-Za-z_$][\w$]*)|\[(\d+)\]/g)].map((m) => (m[1] === undefined ? Number(m[2]) : m[1]));
}

/** A copy of `root` with `value` at `path` (objects on the way are created; arrays must have the index). */
function withValue(root: unknown, path: readonly Key[], value: unknown): unknown {
  const copy = structuredClone(root) as Record<Key, unknown>;
  let node: Record<Key, unknown> = copy;
  for (let k = 0; k < path.length - 1; k++) {
    const key = path[k]!;
    if (typeof key === 'number' && (!Array.isArray(node) || key >= node.length)) return null;
    if (node[key] === undefined && typeof key === 'string') node[key] = {};
    const next = node[key];
    if (typeof next !== 'object' || next === null) return null;
    node = next as Record<Key, unknown>;
  }
  const last = path[path.length - 1]!;
  if (typeof last === 'number' && (!Array.isArray(node) || last >= node.length)) return null;
  node[last] = value;
  return copy;
}

function parse(json: unknown): { study: Study } | { problems: string[] } {
  const result = StudySchema.safeParse(json, { reportInput: true });
  return result.success ? { study: result.data } : { problems: formatIssues(result.error.issues) };
}

/** Mixed-radix cell index → the value index on each axis, the first axis varying slowest. */
function cellPosition(axes: readonly Axis[], index: number): number[] {
  const position = new Array<number>(axes.length);
  let rest = index;
  for (let a = axes.length - 1; a >= 0; a--) {
    const size = axisLabels(axes[a]!).length;
    position[a] = rest % size;
    rest = Math.floor(rest / size);
  }
  return position;
}

/** Where the user wrote value j of axis i (for messages). */
const valueAt = (axis: Axis, i: number, j: number): string =>
  'path' in axis ? `axes[${i}].values[${j}]` : `axes[${i}].variants[${j}] ("${axis.variants[j]!.label}")`;

/**
 * Applies the assignments of value j of axis i to `json`; returns the result or the problems, each
 * reported where the user wrote it (the axis's path, or its value).
 */
function applyAxisValue(json: unknown, axis: Axis, i: number, j: number): { json: unknown; problems: string[] } {
  const problems: string[] = [];
  let applied = json;
  for (const [pathText, value] of axisAssignments(axis, j)) {
    const where = 'path' in axis ? `axes[${i}].path` : `${valueAt(axis, i, j)}.set["${pathText}"]`;
    const path = parsePath(pathText);
    if (path === null) {
      problems.push(`${where}: "${pathText}" is not a field path (write it like lmax, fleet.random.load or schedule[0].multiplier)`);
      continue;
    }
    const next = withValue(applied, path, value);
    if (next === null) problems.push(`${where}: ${pathText} does not exist in the study`);
    else applied = next;
  }
  return { json: applied, problems };
}

/** Maps a cell's problem line onto the axis value that caused it, when it concerns a field the axis sets. */
function blame(line: string, axis: Axis, i: number, j: number): string {
  for (const [pathText] of axisAssignments(axis, j)) {
    const target = formatPath(parsePath(pathText) ?? [pathText]);
    const unknown = /^(.*): unknown field$/.exec(line)?.[1];
    if (unknown !== undefined && (target === unknown || target.startsWith(`${unknown}.`) || target.startsWith(`${unknown}[`))) {
      return 'path' in axis
        ? `axes[${i}].path: ${target} is not a study field`
        : `${valueAt(axis, i, j)}.set: ${target} is not a study field`;
    }
    if (line.startsWith(`${target}:`)) return `${valueAt(axis, i, j)}: ${line.slice(target.length + 2)}`;
    if (line.startsWith(`${target}.`) || line.startsWith(`${target}[`)) return `${valueAt(axis, i, j)}: ${line}`;
  }
  return `${valueAt(axis, i, j)}: ${line}`;
}

/** Applies each axis value alone to the study; problems name the axis value or path. */
function axisProblems(json: unknown, axes: readonly Axis[]): string[] {
  const problems: string[] = [];
  axes.forEach((axis, i) => {
    axisLabels(axis).forEach((_, j) => {
      const applied = applyAxisValue(json, axis, i, j);
      problems.push(...applied.problems);
      if (applied.problems.length > 0) return;
      const cell = parse(applied.json);
      if ('problems' in cell) problems.push(...cell.problems.map((line) => blame(line, axis, i, j)));
    });
  });
  return [...new Set(problems)];
}

const AxisListSchema = z.array(AxisSchema);

/** Validates `json` and expands its grid; throws StudyError with every problem found. */
export function expandStudy(json: unknown): ExpandedStudy {
  const base = parse(json);
  if ('problems' in base) {
    // Report the axes' own problems too, when the axes themselves are well formed.
    const axes = AxisListSchema.safeParse((json as { axes?: unknown } | null)?.axes ?? []);
    const more = axes.success ? axisProblems(json, axes.data).filter((p) => !base.problems.some((b) => p.endsWith(b))) : [];
    throw new StudyError([...base.problems, ...more]);
  }
  const { study } = base;

  // Each axis value on its own first, so a bad value is reported where the user wrote it.
  const problems = axisProblems(json, study.axes);
  if (problems.length > 0) throw new StudyError(problems);

  // Then every combination (axes can conflict with each other, e.g. steps and warmup).
  const count = study.axes.reduce((n, a) => n * axisLabels(a).length, 1);
  const cells: Cell[] = [];
  for (let c = 0; c < count; c++) {
    const position = cellPosition(study.axes, c);
    let applied: unknown = json;
    position.forEach((j, a) => (applied = applyAxisValue(applied, study.axes[a]!, a, j).json));
    const values = position.map((j, a) => axisLabels(study.axes[a]!)[j]!);
    const cell = parse(applied);
    if ('problems' in cell) {
      const where = values.map((v, a) => `${axisName(study.axes[a]!)} = ${JSON.stringify(v)}`).join(', ');
      problems.push(...cell.problems.map((line) => `cell ${c} (${where}): ${line}`));
      if (problems.length >= 20) break;
      continue;
    }
    const limit = rateLimitProblem(cell.study);
    if (limit !== null) {
      const where = values.map((v, a) => `${axisName(study.axes[a]!)} = ${JSON.stringify(v)}`).join(', ');
      problems.push(study.axes.length > 0 ? `cell ${c} (${where}): ${limit}` : limit);
      if (problems.length >= 20) break;
      continue;
    }
    cells.push({ index: c, values, study: cell.study });
  }
  if (problems.length > 0) throw new StudyError(problems);
  return { study, cells };
}

/** Parses a study file's text (JSON); syntax errors name the file and position. */
export function parseStudyText(text: string, source: string): ExpandedStudy {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new StudyError([`${source}: not valid JSON (${(error as Error).message})`]);
  }
  return expandStudy(json);
}

/**
 * The engine's bound on arrivals per agent-step (src/model/batch.ts), checked on the largest rate a
 * cell can produce: max λ × loadScale × the largest product of schedule multipliers × Δt. With a
 * load factor, λ_i = ρ·T_i·w_i/Σw ≤ ρ_max·T_max.
 */
function rateLimitProblem(study: Study): string | null {
  const f = study.fleet;
  let lambda: number;
  let field: string;
  if ('random' in f) {
    const r = f.random;
    field = r.load === undefined ? 'fleet.random.lambda' : 'fleet.random.load';
    lambda = r.load === undefined ? distRange(r.lambda!)[1] : distRange(r.load)[1] * distRange(r.T)[1];
  } else {
    const agents = 'preset' in f ? PAPER_AGENTS : f.agents;
    lambda = Math.max(...agents.map((a) => a.lambda));
    field = 'preset' in f ? 'loadScale' : 'fleet.agents[].lambda';
  }
  const spike = study.schedule.reduce((m, e) => m * Math.max(1, e.multiplier), 1);
  const mean = lambda * study.loadScale * spike * study.dt;
  const limit = study.work === 'exponential' ? MAX_EXPONENTIAL_MEAN : MAX_POISSON_MEAN;
  if (mean <= limit) return null;
  return `${field}: arrivals per agent-step can reach ${mean.toPrecision(3)} (λ × loadScale × schedule × dt); the engine allows at most ${limit}${study.work === 'exponential' ? ' with exponential work' : ''}`;
}
