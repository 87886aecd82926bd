/**
 * Reading a JSON file a user gave us (a study, a trace, a result file), strictly and safely:
 * - a UTF-8 byte-order mark at the start is dropped (editors on Windows write one);
 * - nesting deeper than JSON_MAX_DEPTH is refused before anything recursive touches the value
 *   (100,000 nested arrays would overflow the stack of JSON.stringify or structuredClone);
 * - a key written twice in one object is a problem, not silently the last one;
 * - syntax errors name the line and column.
 * Keys such as `__proto__` come back as own properties (JSON.parse never sets a prototype); the
 * schemas then reject them as unknown fields. Browser-safe.
 *
 * @example
 *   const json = parseJsonText(text, 'study.json'); // throws JsonTextError with one line per problem
 */
import { type ParseError, printParseErrorCode, visit } from 'jsonc-parser';
import { quote } from './quote.js';

/** The deepest nesting of objects and arrays accepted (a study needs about 6). */
export const JSON_MAX_DEPTH = 64;

/** Every problem of a JSON text, one line each, each starting with the source's name. */
export class JsonTextError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(problems.join('\n'));
    this.name = 'JsonTextError';
  }
}

/** The deepest nesting of `[` and `{` outside strings, found without recursion. */
function maxDepth(text: string): number {
  let depth = 0;
  let deepest = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c)
        i++; // backslash: skip the escaped character
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x5b || c === 0x7b) deepest = Math.max(deepest, ++depth);
    else if (c === 0x5d || c === 0x7d) depth--;
  }
  return deepest;
}

/** Line and column (1-based) of `offset` in `text`. */
function position(text: string, offset: number): string {
  let line = 1;
  let column = 1;
  for (let i = 0; i < offset && i < text.length; i++) {
    if (text.charCodeAt(i) === 0x0a) {
      line++;
      column = 1;
    } else column++;
  }
  return `line ${line}, column ${column}`;
}

/**
 * Parses `text` as strict JSON (no comments, no trailing commas). Throws JsonTextError naming
 * `source` and where each problem is.
 */
export function parseJsonText(text: string, source: string, options: { maxDepth?: number } = {}): unknown {
  const limit = options.maxDepth ?? JSON_MAX_DEPTH;
  const body = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  if (body.trim() === '') throw new JsonTextError([`${source}: empty (expected a JSON value)`]);
  if (maxDepth(body) > limit) {
    throw new JsonTextError([`${source}: nested deeper than ${limit} levels of objects and arrays (not a file fleetsim writes or reads)`]);
  }
  const problems: string[] = [];
  const keys: Set<string>[] = [];
  const syntax: ParseError[] = [];
  visit(
    body,
    {
      onObjectBegin: () => void keys.push(new Set()),
      onObjectEnd: () => void keys.pop(),
      onObjectProperty: (property, offset) => {
        const seen = keys[keys.length - 1];
        if (seen === undefined) return;
        if (seen.has(property))
          problems.push(`${source}: ${position(body, offset)}: the key ${quote(property)} appears twice in one object`);
        seen.add(property);
      },
      onError: (error, offset, length) => void syntax.push({ error, offset, length }),
    },
    { disallowComments: true, allowTrailingComma: false, allowEmptyContent: false },
  );
  if (syntax.length > 0) {
    const first = syntax[0]!;
    const what = printParseErrorCode(first.error)
      .replace(/([a-z])([A-Z])/g, '$1 $2')
      .toLowerCase();
    throw new JsonTextError([`${source}: not valid JSON (${what} at ${position(body, first.offset)})`]);
  }
  if (problems.length > 0) throw new JsonTextError(problems);
  return JSON.parse(body) as unknown;
}
