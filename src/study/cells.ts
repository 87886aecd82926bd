/**
 * From a study file to its cells: parses the JSON strictly, validates the base study and checks the
 * grid's size (src/study/size.ts) before anything is expanded, then expands the axes into the grid
 * (the first axis varies slowest). A cell is the base study with the top-level fields its axis values
 * set parsed again and the checks across fields run on the whole, so every cell is checked by the same
 * schema while sharing the fields no axis sets. Axis paths must name schema fields (no prototype is
 * ever reached). Problems come back as lines naming the field: a bad axis value is reported at
 * `axes[i].values[j]`, not at the field it sets.
 *
 * @example
 *   const { study, cells } = parseStudyText(text, 'study.json'); // throws StudyError listing every problem
 */
import { formatIssues, formatPath } from './problems.js';
import { z } from 'zod';
import { JSON_MAX_DEPTH, JsonTextError, parseJsonText } from '../text/json.js';
import { quote } from '../text/quote.js';
import { gridCells, sizeProblems } from './size.js';
import type { TraceLibrary } from '../traces/library.js';
import { MAX_EXPONENTIAL_MEAN } from '../model/batch.js';
import { PAPER_AGENTS } from '../model/paper.js';
import { MAX_POISSON_MEAN } from '../random/poisson.js';
import { stepMean } from '../random/arrivals.js';
import type { ScheduleSegment } from '../model/schedule.js';
import { agentSchedule } from './fleets.js';
import {
  type Axis,
  axisAssignments,
  axisLabels,
  axisName,
  AxisSchema,
  distRange,
  LIMITS,
  type RandomFleet,
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

type Key = string | number;

/** `schedule[0].multiplier` → ['schedule', 0, 'multiplier']; null when malformed. */
export function parsePath(path: string): Key[] | null {
  if (path.length > 1000 || !/^[A-Za-z_$][\w$]*(\.[A-Za-z_$][\w$]*|\[\d{1,9}\])*$/.test(path)) return null;
  return [...path.matchAll(/([A-Za-z_$][\w$]*)|\[(\d+)\]/g)].map((m) => (m[1] === undefined ? Number(m[2]) : m[1]));
}

/** The zod schemas a value at `key` of a value of `schema` may have (through unions, defaults, optionals). */
function childSchemas(schema: z.core.$ZodType, key: Key): z.core.$ZodType[] {
  const def = schema._zod.def as unknown as Record<string, unknown> & { type: string };
  switch (def.type) {
    case 'optional':
    case 'default':
    case 'prefault':
    case 'nullable':
    case 'readonly':
      return childSchemas(def.innerType as z.core.$ZodType, key);
    case 'pipe':
      return childSchemas(def.in as z.core.$ZodType, key);
    case 'union':
      return (def.options as z.core.$ZodType[]).flatMap((o) => childSchemas(o, key));
    case 'object': {
      const shape = def.shape as Record<string, z.core.$ZodType>;
      return typeof key === 'string' && Object.hasOwn(shape, key) ? [shape[key]!] : [];
    }
    case 'array':
      return typeof key === 'number' ? [def.element as z.core.$ZodType] : [];
    default:
      return [];
  }
}

/**
 * Whether `path` names a field of the study schema (each segment an own field of an object schema, or
 * an index into an array schema): null when it does, else the first segment that does not, as text.
 * Nothing else may be written by an axis, so no path reaches a prototype (`__proto__`, `constructor`).
 */
export function unknownSegment(path: readonly Key[]): string | null {
  let schemas: z.core.$ZodType[] = [StudySchema];
  for (let k = 0; k < path.length; k++) {
    schemas = schemas.flatMap((s) => childSchemas(s, path[k]!));
    if (schemas.length === 0) return formatPath(path.slice(0, k + 1));
  }
  return null;
}

/** Sets an own property (never a setter, never a prototype). */
function setOwn(node: Record<Key, unknown>, key: Key, value: unknown): void {
  Object.defineProperty(node, key, { value, writable: true, enumerable: true, configurable: true });
}

/** An own property's value (undefined when the object has none of its own). */
const own = (node: object, key: Key): unknown => (Object.hasOwn(node, key) ? (node as Record<Key, unknown>)[key] : undefined);

/**
 * A copy of `root` with `value` at `path`: only the objects on the path are copied (the rest is
 * shared, never mutated); objects on the way are created; arrays must have the index. Null when the
 * path does not fit the value. Writes own properties only.
 */
function withValue(root: unknown, path: readonly Key[], value: unknown): unknown {
  if (path.length === 0) return value;
  const [key, ...rest] = path as [Key, ...Key[]];
  if (typeof key === 'number') {
    if (!Array.isArray(root) || key >= root.length) return null;
    const next = withValue(root[key], rest, value);
    if (next === null) return null;
    const copy = root.slice();
    copy[key] = next;
    return copy;
  }
  if (typeof root !== 'object' || root === null || Array.isArray(root)) return null;
  const child = own(root, key);
  const next = withValue(rest.length > 0 && child === undefined ? {} : child, rest, value);
  if (next === null) return null;
  const copy: Record<Key, unknown> = {};
  for (const k of Object.keys(root)) setOwn(copy, k, (root as Record<Key, unknown>)[k]);
  setOwn(copy, key, next);
  return copy;
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

/** A set of agents that the same schedule entries cover: their largest λ and their rate changes. */
interface ScheduleGroup {
  agent: number; // a representative agent index (0-based)
  lambda: number; // the largest nominal λ of the group (an upper bound for random fleets), before loadScale
  lambdaField: string;
  segments: ScheduleSegment[];
  entries: number[]; // the schedule entries covering the group
}

/** The largest nominal λ of a random fleet's agents: λ_max, or ρ_max·T_max with a load factor. */
function randomLambda(r: RandomFleet): { lambda: number; field: string } {
  return r.load === undefined
    ? { lambda: distRange(r.lambda!)[1], field: 'fleet.random.lambda' }
    : { lambda: distRange(r.load)[1] * distRange(r.T)[1], field: 'fleet.random.load' };
}

/**
 * The cell's agents grouped by the schedule entries that cover them (every agent of a fixed fleet
 * lies in one group; a random fleet's agents the entries name are each a group, the others one), so
 * a large fleet costs one schedule per group. Cached on the (shared) schedule and fleet objects.
 */
const groupCache = new WeakMap<object, WeakMap<object, Map<string, ScheduleGroup[]>>>();
/** A fixed fleet's agents by name and by λ (largest first), kept per fleet object. */
const fleetIndexCache = new WeakMap<object, { byName: Map<string, number[]>; byLambda: number[] }>();
function fleetIndex(agents: readonly { name?: string | undefined; lambda: number }[]): {
  byName: Map<string, number[]>;
  byLambda: number[];
} {
  const cached = fleetIndexCache.get(agents);
  if (cached) return cached;
  const byName = new Map<string, number[]>();
  agents.forEach((a, i) => {
    if (a.name !== undefined) byName.set(a.name, [...(byName.get(a.name) ?? []), i]);
  });
  const byLambda = agents.map((_, i) => i).sort((a, b) => agents[b]!.lambda - agents[a]!.lambda || a - b);
  const index = { byName, byLambda };
  fleetIndexCache.set(agents, index);
  return index;
}

function scheduleGroups(study: Study): ScheduleGroup[] {
  const key = `${study.dt} ${study.steps}`;
  const byFleet = groupCache.get(study.schedule) ?? new WeakMap<object, Map<string, ScheduleGroup[]>>();
  groupCache.set(study.schedule, byFleet);
  const byKey = byFleet.get(study.fleet) ?? new Map<string, ScheduleGroup[]>();
  byFleet.set(study.fleet, byKey);
  const cached = byKey.get(key);
  if (cached) return cached;
  const f = study.fleet;
  const covers = (e: Study['schedule'][number], i: number, name: string | undefined): boolean =>
    e.agents === 'all' || e.agents.some((a) => a === i || (name !== undefined && a === name));
  const groups = new Map<string, ScheduleGroup>();
  const add = (i: number, name: string | undefined, lambda: number, lambdaField: string): void => {
    const entries = study.schedule.flatMap((e, k) => (covers(e, i, name) ? [k] : []));
    const signature = entries.join(',');
    const group = groups.get(signature);
    if (group === undefined) groups.set(signature, { agent: i, lambda, lambdaField, segments: agentSchedule(study, i, name), entries });
    else if (lambda > group.lambda) Object.assign(group, { lambda, lambdaField });
  };
  if ('random' in f) {
    const { lambda, field } = randomLambda(f.random);
    const most = typeof f.random.agents === 'number' ? f.random.agents : f.random.agents.max;
    const named = new Set(
      study.schedule.flatMap((e) => (e.agents === 'all' ? [] : e.agents.filter((a): a is number => typeof a === 'number'))),
    );
    for (const i of named) if (i < most) add(i, undefined, lambda, field);
    const other = Array.from({ length: Math.min(most, named.size + 1) }, (_, i) => i).find((i) => !named.has(i));
    if (other !== undefined) add(other, undefined, lambda, field);
  } else {
    // The agents an entry names are groups of their own; every other agent has exactly the entries
    // for "all", so the one with the largest λ stands for them (a cell of a large fleet costs the
    // entries, not the fleet).
    const agents = 'preset' in f ? PAPER_AGENTS : f.agents;
    const info = fleetIndex(agents);
    const field = (i: number): string => ('preset' in f ? 'loadScale' : `fleet.agents[${i}].lambda`);
    const named = new Set<number>();
    for (const e of study.schedule) {
      if (e.agents === 'all') continue;
      for (const a of e.agents)
        for (const i of typeof a === 'number' ? (a < agents.length ? [a] : []) : (info.byName.get(a) ?? [])) named.add(i);
    }
    for (const i of named) add(i, agents[i]!.name, agents[i]!.lambda, field(i));
    const other = info.byLambda.find((i) => !named.has(i));
    if (other !== undefined) add(other, agents[other]!.name, agents[other]!.lambda, field(other));
  }
  const result = [...groups.values()];
  byKey.set(key, result);
  return result;
}

/** Schedule indices a random fleet's agents may not reach: problems (no fleet has the agent) and notes (only larger fleets do). */
function randomIndexProblems(study: Study): { problems: string[]; notes: string[] } {
  const f = study.fleet;
  const problems: string[] = [];
  const notes: string[] = [];
  if (!('random' in f)) return { problems, notes };
  const [least, most] =
    typeof f.random.agents === 'number' ? [f.random.agents, f.random.agents] : [f.random.agents.min, f.random.agents.max];
  study.schedule.forEach((e, k) => {
    if (e.agents === 'all') return;
    e.agents.forEach((a, j) => {
      if (typeof a !== 'number') return;
      if (a >= most)
        problems.push(`schedule[${k}].agents[${j}]: must be an agent index below ${most} (the random fleet's most agents), got ${a}`);
      else if (a >= least)
        notes.push(
          `note: schedule[${k}].agents[${j}]: agent ${a} exists only in fleets of more than ${a} agents (the random fleet has ${least} to ${most}); smaller fleets ignore it`,
        );
    });
  });
  return { problems, notes };
}

/**
 * The engine's bounds that the schema cannot state field by field, checked on a cell the way the
 * packer (src/model/batch.ts) will check its fleets: each agent's rate changes at most
 * MAX_SCHEDULE_SEGMENTS times, and its arrivals per step, λ × loadScale × its peak multiplier (entries
 * multiply only where they overlap) × Δt, stay within the sampler's bound. The line names the field
 * that pushes the product up the most. Null: none broken.
 */
function cellProblem(study: Study, notes?: Set<string>): string | null {
  const indices = randomIndexProblems(study);
  for (const note of indices.notes) notes?.add(note);
  if (indices.problems.length > 0) return indices.problems[0]!;
  const limit = study.work === 'exponential' ? MAX_EXPONENTIAL_MEAN : MAX_POISSON_MEAN;
  for (const group of scheduleGroups(study)) {
    if (group.segments.length > LIMITS.scheduleSegments) {
      return `schedule: agent ${group.agent}'s rate changes ${group.segments.length} times (entries ${group.entries.join(', ')} cover it); at most ${LIMITS.scheduleSegments} per agent`;
    }
    const peak = group.segments.reduce((m, s) => Math.max(m, s.multiplier), 1);
    const lambda = group.lambda * study.loadScale;
    const mean = Math.max(stepMean(lambda, study.dt, 1), stepMean(lambda, study.dt, peak));
    if (mean <= limit) continue;
    // Blame the factor furthest above 1 (λ itself when none is).
    const peakEntry = group.entries.reduce((b, k) => (b < 0 || study.schedule[k]!.multiplier > study.schedule[b]!.multiplier ? k : b), -1);
    const factors: [string, number][] = [
      ['loadScale', study.loadScale],
      ['dt', study.dt],
      [`schedule[${peakEntry}].multiplier`, peakEntry >= 0 ? peak : 1],
    ];
    const top = factors.reduce((a, b) => (b[1] > a[1] ? b : a));
    const field = top[1] > 1 ? top[0] : group.lambdaField;
    return `${field}: arrivals per agent-step can reach ${mean.toPrecision(3)} (λ ${group.lambda} × loadScale ${study.loadScale} × peak schedule multiplier ${peak} × dt ${study.dt}); the engine allows at most ${limit}${study.work === 'exponential' ? ' with exponential work' : ''}`;
  }
  return null;
}
