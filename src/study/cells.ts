/**
 * From a study file to its cells: parses the JSON strictly, validates the base study and checks the
 * grid's size (src/study/size.ts) before anything is expanded, then expands the axes into the grid
 * (the first axis varies slowest). A cell is the base study with the top-level fields its axis values
 * set parsed again and the checks across fields run on the whole, so every cell is checked by the same
 * schema while sharing the fields no axis sets. Axis paths must name schema fields (src/study/paths.ts:
 * no prototype is ever reached), and each cell keeps the engine's bounds (src/study/bounds.ts).
 * Problems come back as lines naming the field: a bad axis value is reported at `axes[i].values[j]`,
 * not at the field it sets.
 *
 * @example
 *   const { study, cells } = parseStudyText(text, 'study.json'); // throws StudyError listing every problem
 */
import { formatIssues, formatPath } from './problems.js';
import { z } from 'zod';
import { JSON_MAX_DEPTH, JsonTextError, parseJsonText } from '../text/json.js';
import { quote } from '../text/quote.js';
import { gridCells, sizeProblems } from './size.js';
import { own, parsePath, setOwn, unknownSegment, withValue } from './paths.js';
import { cellProblem } from './bounds.js';
import type { TraceLibrary } from '../traces/library.js';
import {
  type Axis,
  axisAssignments,
  axisLabels,
  axisName,
  AxisSchema,
  LIMITS,
  type Study,
  StudyFieldsSchema,
  StudySchema,
  refineStudy,
} from './schema.js';

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

function parse(json: unknown): { study: Study } | { problems: string[] } {
  const result = StudySchema.safeParse(json, { reportInput: true });
  return result.success ? { study: result.data } : { problems: formatIssues(result.error.issues) };
}

/**
 * A cell's study: the base study (parsed once) with the top-level fields in `touched` parsed again
 * from `applied` (the study's JSON with the cell's axis values written in), then the checks across
 * fields run on the whole. The result equals parsing `applied` whole, at the cost of the fields the
 * axes set: a cell of a 4,096-agent fleet whose axes leave the fleet alone does not parse the fleet.
 */
function parseCell(base: Study, applied: unknown, touched: ReadonlySet<string>): { study: Study } | { problems: string[] } {
  const shape = StudyFieldsSchema.shape as Record<string, z.ZodType>;
  const study: Record<string, unknown> = { ...base };
  const issues: z.core.$ZodIssue[] = [];
  for (const key of touched) {
    const result = shape[key]!.safeParse(own(applied as object, key), { reportInput: true });
    if (result.success) study[key] = result.data;
    else issues.push(...result.error.issues.map((issue) => ({ ...issue, path: [key, ...issue.path] })));
  }
  if (issues.length === 0) {
    refineStudy(study as Study, {
      addIssue: (issue) => {
        if (typeof issue === 'string') issues.push({ code: 'custom', path: [], message: issue, input: undefined });
        else issues.push({ ...issue, path: issue.path ?? [], message: issue.message ?? '' });
      },
    });
  }
  return issues.length === 0 ? { study: study as Study } : { problems: formatIssues(issues) };
}

/** The top-level fields the assignments of value j of an axis set. */
const touchedFields = (axis: Axis, j: number): string[] => axisAssignments(axis, j).map(([path]) => path.split(/[.[]/)[0]!);

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
  'path' in axis ? `axes[${i}].values[${j}]` : `axes[${i}].variants[${j}] (${quote(axis.variants[j]!.label)})`;

/** Where the user wrote the path of assignment `pathText` of value j of axis i (for messages). */
const pathAt = (axis: Axis, i: number, j: number, pathText: string): string =>
  'path' in axis ? `axes[${i}].path` : `${valueAt(axis, i, j)}.set[${quote(pathText)}]`;

/**
 * The problems of the axes' paths, found without applying anything: each must be a field path that
 * names a schema field (not a fixed one: the schema reports those). One line per axis path or `set` key.
 */
function pathProblems(axes: readonly Axis[]): string[] {
  const problems = new Set<string>();
  axes.forEach((axis, i) => {
    const count = axisLabels(axis).length;
    for (let j = 0; j < count; j++) {
      for (const [pathText] of axisAssignments(axis, j)) {
        const where = pathAt(axis, i, j, pathText);
        const path = parsePath(pathText);
        if (path === null) {
          problems.add(
            `${where}: ${quote(pathText)} is not a field path (write it like lmax, fleet.random.load or schedule[0].multiplier)`,
          );
          continue;
        }
        const unknown = unknownSegment(path);
        if (unknown !== null) problems.add(`${where}: ${unknown} is not a study field`); // formatPath quotes odd keys
      }
      if ('path' in axis) break; // one path for every value
    }
  });
  return [...problems];
}

/**
 * Applies the assignments of value j of axis i to `json` (its paths already checked); returns the
 * result or the problems, each reported where the user wrote it (the axis's path, or its value).
 */
function applyAxisValue(json: unknown, axis: Axis, i: number, j: number): { json: unknown; problems: string[] } {
  const problems: string[] = [];
  let applied = json;
  for (const [pathText, value] of axisAssignments(axis, j)) {
    const path = parsePath(pathText);
    const next = path === null ? null : withValue(applied, path, value);
    if (next === null) problems.push(`${pathAt(axis, i, j, pathText)}: ${quote(pathText)} does not exist in the study`);
    else applied = next;
  }
  return { json: applied, problems };
}

/** Maps a cell's problem line onto the axis value that caused it, when it concerns a field the axis sets. */
function blame(line: string, axis: Axis, i: number, j: number): string {
  for (const [pathText] of axisAssignments(axis, j)) {
    const target = formatPath(parsePath(pathText) ?? [pathText]);
    if (line.startsWith(`${target}:`)) return `${valueAt(axis, i, j)}: ${line.slice(target.length + 2)}`;
    if (line.startsWith(`${target}.`) || line.startsWith(`${target}[`)) return `${valueAt(axis, i, j)}: ${line}`;
  }
  return `${valueAt(axis, i, j)}: ${line}`;
}

/** Applies each axis value alone to the study; problems name the axis value or path. */
function axisProblems(json: unknown, base: Study, axes: readonly Axis[]): string[] {
  const problems: string[] = [];
  axes.forEach((axis, i) => {
    axisLabels(axis).forEach((_, j) => {
      const applied = applyAxisValue(json, axis, i, j);
      problems.push(...applied.problems);
      if (applied.problems.length > 0) return;
      const cell = parseCell(base, applied.json, new Set(touchedFields(axis, j)));
      if ('problems' in cell) problems.push(...cell.problems.map((line) => blame(line, axis, i, j)));
      else {
        const limit = cellProblem(cell.study);
        if (limit !== null) problems.push(blame(limit, axis, i, j));
      }
    });
  });
  return [...new Set(problems)];
}

const AxisListSchema = z.array(AxisSchema).max(LIMITS.axes);

/**
 * The keys of the variants' `set` objects as the file wrote them: a record's parse drops a key such as
 * `__proto__` (assigning it sets the parsed object's prototype), so those keys are checked on the raw
 * JSON (own properties only) and reported as what they are, not study fields.
 */
function rawSetProblems(axes: unknown): string[] {
  const problems: string[] = [];
  if (!Array.isArray(axes)) return problems;
  axes.forEach((axis: unknown, i) => {
    const variants = typeof axis === 'object' && axis !== null ? own(axis, 'variants') : undefined;
    if (!Array.isArray(variants)) return;
    variants.forEach((variant: unknown, j) => {
      const set = typeof variant === 'object' && variant !== null ? own(variant, 'set') : undefined;
      if (typeof set !== 'object' || set === null) return;
      for (const key of Object.keys(set)) {
        if (key !== '__proto__') continue; // the parsed record keeps every other key: pathProblems reports it
        const label = own(variant as object, 'label');
        const named = typeof label === 'string' ? ` (${quote(label)})` : '';
        problems.push(`axes[${i}].variants[${j}]${named}.set[${quote(key)}]: ${formatPath([key])} is not a study field`);
      }
    });
  });
  return problems;
}

/** Whether `value` nests objects and arrays deeper than `limit` (an explicit stack, no recursion). */
function deeperThan(value: unknown, limit: number): boolean {
  const stack: [unknown, number][] = [[value, 0]];
  while (stack.length > 0) {
    const [node, depth] = stack.pop()!;
    if (typeof node !== 'object' || node === null) continue;
    if (depth + 1 > limit) return true;
    for (const key of Object.keys(node)) stack.push([(node as Record<string, unknown>)[key], depth + 1]);
  }
  return false;
}

/**
 * Validates the base study without expanding its grid (the axes' own values are checked, not their
 * combinations) and checks its size first thing after; throws StudyError with every problem found.
 */
export function parseStudyBase(json: unknown): Study {
  // A value parsed elsewhere (the page, a manifest) gets the text parser's depth bound too, found
  // without recursion: nothing below recurses on a deeper value.
  if (deeperThan(json, JSON_MAX_DEPTH))
    throw new StudyError([`(the study): nested deeper than ${JSON_MAX_DEPTH} levels of objects and arrays`]);
  const axesJson = typeof json === 'object' && json !== null && !Array.isArray(json) ? own(json, 'axes') : undefined;
  const axes = AxisListSchema.safeParse(axesJson ?? []);
  // The axes' paths are checked on their own, so a bad path is reported even when the rest fails.
  const paths = [...rawSetProblems(axesJson), ...(axes.success ? pathProblems(axes.data) : [])];
  const base = parse(json);
  if ('problems' in base) throw new StudyError([...new Set([...base.problems, ...paths])]);
  const size = sizeProblems(base.study);
  if (paths.length > 0 || size.length > 0) throw new StudyError([...paths, ...size]);
  return base.study;
}

/** `json` without its axes (a cell's study holds none: the grid is the base study's). */
function withoutAxes(json: unknown): unknown {
  const copy: Record<string, unknown> = {};
  for (const k of Object.keys(json as object)) if (k !== 'axes') setOwn(copy, k, (json as Record<string, unknown>)[k]);
  return copy;
}

/** Validates `json` and expands its grid; throws StudyError with every problem found. */
export function expandStudy(json: unknown): ExpandedStudy {
  const study = parseStudyBase(json); // every size checked before anything is expanded
  // Cells start from the study without its axes (copying the axes into each cell is quadratic), and
  // share every part of it that no axis sets.
  const bare = withoutAxes(json);

  const baseCell = parse(bare);
  if ('problems' in baseCell) throw new StudyError(baseCell.problems);
  // Each axis value on its own first, so a bad value is reported where the user wrote it.
  const problems = axisProblems(bare, baseCell.study, study.axes);
  if (problems.length > 0) throw new StudyError(problems);

  // Then every combination (axes can conflict with each other, e.g. steps and warmup).
  const count = gridCells(study.axes);
  const cells: Cell[] = [];
  const notes = new Set<string>();
  const labels = study.axes.map(axisLabels);
  for (let c = 0; c < count; c++) {
    const position = cellPosition(study.axes, c);
    const values = position.map((j, a) => labels[a]![j]!);
    let cellStudy: Study;
    if (study.axes.length === 0) cellStudy = baseCell.study;
    else {
      let applied: unknown = bare;
      const touched = new Set<string>();
      position.forEach((j, a) => {
        applied = applyAxisValue(applied, study.axes[a]!, a, j).json;
        for (const key of touchedFields(study.axes[a]!, j)) touched.add(key);
      });
      const cell = parseCell(baseCell.study, applied, touched);
      if ('problems' in cell) {
        const where = values.map((v, a) => `${axisName(study.axes[a]!)} = ${quote(v)}`).join(', ');
        problems.push(...cell.problems.map((line) => `cell ${c} (${where}): ${line}`));
        if (problems.length >= 20) break;
        continue;
      }
      cellStudy = cell.study; // the fields no axis of this cell sets are the base's (one copy in memory)
    }
    const limit = cellProblem(cellStudy, notes);
    if (limit !== null) {
      const where = values.map((v, a) => `${axisName(study.axes[a]!)} = ${quote(v)}`).join(', ');
      problems.push(study.axes.length > 0 ? `cell ${c} (${where}): ${limit}` : limit);
      if (problems.length >= 20) break;
      continue;
    }
    cells.push({ index: c, values, study: cellStudy });
  }
  if (problems.length > 0) throw new StudyError(problems);
  return { study, cells, ...(notes.size > 0 ? { notes: [...notes] } : {}) };
}

/** Parses a study file's text (strict JSON: a BOM dropped, depth bounded, duplicate keys refused). */
export function parseStudyText(text: string, source: string): ExpandedStudy {
  return expandStudy(parseStudyJson(text, source));
}

/** A study file's JSON value; syntax errors, depth and duplicate keys as StudyError lines naming the file. */
export function parseStudyJson(text: string, source: string): unknown {
  try {
    return parseJsonText(text, source);
  } catch (error) {
    if (error instanceof JsonTextError) throw new StudyError(error.problems);
    throw error;
  }
}
