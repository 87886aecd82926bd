/**
 * A JSON document as the fuzz test builds it: objects are lists of entries (so a key may repeat, or be
 * `__proto__`, as in a hostile file), numbers may be raw text (`-0`, `1e999`), and the serializer
 * writes exactly that text. Mutations (test/helpers/fuzz-gen.ts) work on this tree, not on JS objects,
 * so that nothing the fuzzer builds can itself reach a prototype.
 */

export class JObj {
  constructor(readonly entries: [string, JVal][]) {}
}
/** A number written as its raw text, e.g. `-0`, `1e999`, `1E39`. */
export class JRaw {
  constructor(readonly text: string) {}
}
export type JVal = null | boolean | number | string | JRaw | JObj | JVal[];

/** The tree of an already parsed JSON value (the shipped studies). */
export function fromValue(value: unknown): JVal {
  if (Array.isArray(value)) return value.map(fromValue);
  if (typeof value === 'object' && value !== null) return new JObj(Object.entries(value).map(([k, v]) => [k, fromValue(v)]));
  return value as JVal;
}

/** The JSON text of `v`; `deep` wraps nothing, it is done by the mutation as an explicit array chain. */
export function serialize(v: JVal): string {
  const parts: string[] = [];
  const walk = (x: JVal): void => {
    if (x instanceof JRaw) parts.push(x.text);
    else if (x instanceof JObj) {
      parts.push('{');
      x.entries.forEach(([k, val], i) => {
        if (i > 0) parts.push(',');
        parts.push(JSON.stringify(k), ':');
        walk(val);
      });
      parts.push('}');
    } else if (Array.isArray(x)) {
      parts.push('[');
      x.forEach((val, i) => {
        if (i > 0) parts.push(',');
        walk(val);
      });
      parts.push(']');
    } else if (typeof x === 'number') parts.push(Number.isFinite(x) ? String(x) : 'null');
    else parts.push(JSON.stringify(x));
  };
  walk(v);
  return parts.join('');
}

/** The value at `path` of `v` (keys: the first entry with the name; indices). */
export function get(v: JVal, path: readonly (string | number)[]): JVal | undefined {
  let x: JVal | undefined = v;
  for (const key of path) {
    if (x instanceof JObj) x = x.entries.find(([k]) => k === key)?.[1];
    else if (Array.isArray(x) && typeof key === 'number') x = x[key];
    else return undefined;
  }
  return x;
}

/** Every path inside `v` (objects' entries and arrays' elements), depth first, at most `limit`. */
export function paths(v: JVal, limit = 400): (string | number)[][] {
  const out: (string | number)[][] = [];
  const walk = (x: JVal, at: (string | number)[]): void => {
    if (out.length >= limit) return;
    if (x instanceof JObj)
      for (const [k, val] of x.entries) {
        out.push([...at, k]);
        walk(val, [...at, k]);
      }
    else if (Array.isArray(x))
      x.forEach((val, i) => {
        out.push([...at, i]);
        walk(val, [...at, i]);
      });
  };
  walk(v, []);
  return out;
}

/** A copy of `v` with the value at `path` replaced by `f(old)` (`undefined`: removed). */
export function update(v: JVal, path: readonly (string | number)[], f: (old: JVal | undefined) => JVal | undefined): JVal {
  if (path.length === 0) return f(v) ?? null;
  const [key, ...rest] = path;
  if (v instanceof JObj) {
    const i = v.entries.findIndex(([k]) => k === key);
    const entries = [...v.entries];
    if (i < 0) {
      const made = rest.length === 0 ? f(undefined) : update(new JObj([]), rest, f);
      if (made !== undefined) entries.push([String(key), made]);
    } else {
      const made = rest.length === 0 ? f(entries[i]![1]) : update(entries[i]![1], rest, f);
      if (made === undefined) entries.splice(i, 1);
      else entries[i] = [String(key), made];
    }
    return new JObj(entries);
  }
  if (Array.isArray(v) && typeof key === 'number' && key < v.length) {
    const copy = [...v];
    const made = rest.length === 0 ? f(copy[key]) : update(copy[key]!, rest, f);
    if (made === undefined) copy.splice(key, 1);
    else copy[key] = made;
    return copy;
  }
  return v;
}

/** Plain JS value of a tree without raw numbers or repeated keys (for the fuzzer's own estimates). */
export function plain(v: JVal): unknown {
  if (v instanceof JRaw) return Number(v.text);
  if (v instanceof JObj) {
    const o: Record<string, unknown> = Object.create(null) as Record<string, unknown>;
    for (const [k, val] of v.entries) o[k] = plain(val);
    return o;
  }
  if (Array.isArray(v)) return v.map(plain);
  return v;
}
