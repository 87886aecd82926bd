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
import { AxisSchema, type Study, StudySchema } from './schema.js';

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
}

type Key = string | number;

/** `schedule[0].multiplier` → ['schedule', 0, 'multiplier']; null when malformed. */
export function parsePath(path: string): Key[] | null {
  if (!/^[A-Za-z_$][\w$]*(\.[A-Za-z_$][\w$]*|\[\d+\])*$/.test(path)) return null;
  return [...path.matchAll(/([A-Za-z_$][\w$]*)|\[(\d+)\]/g)].map((m) => (m[1] === undefined ? Number(m[2]) : m[1]));
}

/** A copy of `root` with `value` at `path` (objects on the way are created; arrays must have the index). */
function withValue(root: unknown, path: readonly Key[], value: AxisValue): unknown | null {
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

/** Mixed-radix index → one value per axis, the first axis varying slowest. */
function cellValues(study: Study, index: number): AxisValue[] {
  const values: AxisValue[] = new Array<AxisValue>(study.axes.length);
  let rest = index;
  for (let a = study.axes.length - 1; a >= 0; a--) {
    const axis = study.axes[a]!.values;
    values[a] = axis[rest % axis.length]!;
    rest = Math.floor(rest / axis.length);
  }
  return values;
}

/** Validates `json` and expands its grid; throws StudyError with every problem found. */
export function expandStudy(json: unknown): ExpandedStudy {
  const base = parse(json);
  if ('problems' in base) {
    // Report the axes' own problems too, when the axes themselves are well formed.
    const axes = AxisListSchema.safeParse((json as { axes?: unknown } | null)?.axes ?? []);
    const more = axes.success ? axisProblems(json, axes.data, []).problems.filter((p) => !base.problems.some((b) => p.endsWith(b))) : [];
    throw new StudyError([...base.problems, ...more]);
  }
  const { study } = base;

  // Each axis value on its own first, so a bad value is reported where the user wrote it.
  const { problems, paths } = axisProblems(json, study.axes, []);
  if (problems.length > 0) throw new StudyError([...new Set(problems)]);

  // Then every combination (axes can conflict with each other, e.g. steps and warmup).
  const count = study.axes.reduce((n, a) => n * a.values.length, 1);
  const cells: Cell[] = [];
  for (let c = 0; c < count; c++) {
    const values = cellValues(study, c);
    let applied: unknown = json;
    values.forEach((v, a) => (applied = withValue(applied, paths[a]!, v)));
    const cell = parse(applied);
    if ('problems' in cell) {
      const where = values.map((v, a) => `${study.axes[a]!.path} = ${JSON.stringify(v)}`).join(', ');
      problems.push(...cell.problems.map((line) => `cell ${c} (${where}): ${line}`));
      if (problems.length >= 20) break;
      continue;
    }
    cells.push({ index: c, values, study: cell.study });
  }
  if (problems.length > 0) throw new StudyError(problems);
  return { study, cells };
}

const AxisListSchema = z.array(AxisSchema);

/** Applies each axis value alone to the study; problems are reported at axes[i].values[j] / .path. */
function axisProblems(json: unknown, axes: readonly z.output<typeof AxisSchema>[], problems: string[]): { problems: string[]; paths: Key[][] } {
  const paths: Key[][] = [];
  axes.forEach((axis, i) => {
    const path = parsePath(axis.path);
    if (path === null) {
      problems.push(`axes[${i}].path: "${axis.path}" is not a field path (write it like lmax, fleet.random.load or schedule[0].multiplier)`);
      return;
    }
    paths.push(path);
    const target = formatPath(path);
    axis.values.forEach((value, j) => {
      const applied = withValue(json, path, value);
      if (applied === null) {
        problems.push(`axes[${i}].path: ${target} does not exist in the study`);
        return;
      }
      const cell = parse(applied);
      if ('problems' in cell) {
        for (const line of cell.problems) {
          const unknown = /^(.*): unknown field$/.exec(line)?.[1];
          if (unknown !== undefined && (target === unknown || target.startsWith(`${unknown}.`) || target.startsWith(`${unknown}[`))) {
            problems.push(`axes[${i}].path: ${target} is not a study field`);
          }
          else if (line.startsWith(`${target}:`) || line.startsWith(`${target}.`) || line.startsWith(`${target}[`)) {
            problems.push(`axes[${i}].values[${j}]: ${line.slice(target.length).replace(/^[.[\]\w]*: /, '')}`);
          } else problems.push(`axes[${i}].values[${j}] (${target} = ${JSON.stringify(value)}): ${line}`);
        }
      }
    });
  });
  return { problems, paths };
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
