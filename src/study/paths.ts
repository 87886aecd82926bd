/**
 * Field paths of a study, as axes write them (`fleet.random.load`, `schedule[0].multiplier`): parsed,
 * checked against the study schema segment by segment (only schema fields may be written, so no path
 * reaches a prototype such as `__proto__`), and applied to a JSON value by copying the objects on the
 * way and writing own properties only. Browser-safe.
 *
 * @example
 *   const path = parsePath('fleet.random.load'); // ['fleet', 'random', 'load']
 *   if (path && unknownSegment(path) === null) json = withValue(json, path, 1.5);
 */
import type { z } from 'zod';
import { formatPath } from './problems.js';
import { StudySchema } from './schema.js';

export type Key = string | number;

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
    case 'record':
      // A record's keys are the user's (workflow.routes.<agent>.<agent>): any name but one that would
      // reach a prototype when the parsed record is built.
      return typeof key === 'string' && key !== '__proto__' ? [def.valueType as z.core.$ZodType] : [];
    default:
      return [];
  }
}

/**
 * Whether `path` names a field of the study schema (each segment an own field of an object schema, a
 * key of a record schema but `__proto__`, or an index into an array schema): null when it does, else the first segment that does not, as text.
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
export function setOwn(node: Record<Key, unknown>, key: Key, value: unknown): void {
  Object.defineProperty(node, key, { value, writable: true, enumerable: true, configurable: true });
}

/** An own property's value (undefined when the object has none of its own). */
export const own = (node: object, key: Key): unknown => (Object.hasOwn(node, key) ? (node as Record<Key, unknown>)[key] : undefined);

/**
 * A copy of `root` with `value` at `path`: only the objects on the path are copied (the rest is
 * shared, never mutated); objects on the way are created; arrays must have the index. Null when the
 * path does not fit the value. Writes own properties only.
 */
export function withValue(root: unknown, path: readonly Key[], value: unknown): unknown {
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
