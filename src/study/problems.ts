/**
 * Turns zod issues into one line per problem, each naming the path of the offending field the way a
 * user would write it (`axes[1].values[0]: must be ≥ 0`), with the allowed range.
 *
 * @example
 *   const r = StudySchema.safeParse(json, { reportInput: true });
 *   if (!r.success) for (const line of formatIssues(r.error.issues)) console.error(line);
 */
import type { z } from 'zod';
import { quote } from '../text/quote.js';

type Path = readonly PropertyKey[];

/**
 * `['axes', 1, 'values', 0]` → `axes[1].values[0]`. A key that is not a plain name (a user's unknown
 * field: any text, any length) is written quoted and cut, `fleet["a\u001b…"]`, so a line stays one line.
 */
export function formatPath(path: Path): string {
  let out = '';
  for (const key of path) {
    if (typeof key === 'number') out += `[${key}]`;
    else if (typeof key === 'string' && /^[A-Za-z_$][\w$]{0,63}$/.test(key)) out += out === '' ? key : `.${key}`;
    else out += `[${quote(typeof key === 'string' ? key : String(key))}]`;
  }
  return out === '' ? '(the study)' : out;
}

/** An input value in a message: quoted, escaped and cut (src/text/quote.ts). */
const describeValue = (x: unknown): string => quote(x);

const ARTICLE: Record<string, string> = {
  number: 'a number',
  int: 'an integer',
  string: 'a string',
  boolean: 'true or false',
  object: 'an object',
  array: 'an array',
};

/** zod's own wording of a bound ("Too big: expected …"); any other message was given by the schema (its whole range). */
const DEFAULT_BOUND_MESSAGE = /^Too (small|big)\b/;

function message(issue: z.core.$ZodIssue): string {
  // A bound whose schema words the whole allowed range (src/study/schema.ts `inRange`): that, and the value.
  if ((issue.code === 'too_small' || issue.code === 'too_big') && !DEFAULT_BOUND_MESSAGE.test(issue.message))
    return `${issue.message}, got ${describeValue(issue.input)}`;
  switch (issue.code) {
    case 'invalid_type': {
      if (issue.input === undefined) return 'is required';
      if (typeof issue.input === 'number' && issue.expected === 'number') return `must be a finite number, got ${issue.input}`;
      const expected = ARTICLE[issue.expected] ?? issue.expected;
      return `must be ${expected}, got ${describeValue(issue.input)}`;
    }
    case 'too_small': {
      const min = Number(issue.minimum);
      if (issue.origin === 'array') return `must have at least ${min} item${min === 1 ? '' : 's'}`;
      if (issue.origin === 'string') return 'must not be empty';
      return `must be ${issue.inclusive ? '≥' : '>'} ${min}, got ${describeValue(issue.input)}`;
    }
    case 'too_big': {
      const max = Number(issue.maximum);
      if (issue.origin === 'array') return `must have at most ${max} items`;
      if (issue.origin === 'string') return `must be at most ${max} characters`;
      return `must be ${issue.inclusive ? '≤' : '<'} ${max}, got ${describeValue(issue.input)}`;
    }
    case 'invalid_key': // a record's key (workflow.routes' agent names): what its own schema says of it
      return `as a key: ${issue.issues.map((inner) => message(inner)).join('; ') || issue.message}`;
    case 'invalid_value':
      return `must be ${issue.values.length === 1 ? '' : 'one of '}${issue.values.map((v) => quote(v)).join(', ')}, got ${describeValue(issue.input)}`;
    default:
      return issue.message;
  }
}

/**
 * Picks the union branch that matches the input's shape (so `{kind: "uniform", min: -1}` reports the
 * min, not "expected number"); when no branch gets past the type check, names the accepted shapes.
 */
function unionLines(issue: z.core.$ZodIssueInvalidUnion, path: Path): string[] {
  if ((issue as { note?: string }).note === 'No matching discriminator') {
    const options = (issue as unknown as { options?: unknown[] }).options ?? [];
    return [`${formatPath(path)}: must be one of ${options.map((o) => JSON.stringify(o)).join(', ')}`];
  }
  const typeOnly = (branch: readonly z.core.$ZodIssue[]): boolean =>
    branch.every((i) => (i.code === 'invalid_type' || (i.code === 'invalid_value' && i.path.length === 0)) && i.path.length === 0);
  if (issue.input === undefined) return [`${formatPath(path)}: is required`];
  const informative = issue.errors.filter((branch) => !typeOnly(branch));
  if (informative.length > 0) {
    // The branch the user most likely meant: fewest fields unknown to it or missing from the input
    // (a shape mismatch), then fewest problems.
    const mismatch = (branch: readonly z.core.$ZodIssue[]): number =>
      branch.filter((i) => i.path.length <= 1 && (i.code === 'unrecognized_keys' || (i.code === 'invalid_type' && i.input === undefined)))
        .length;
    const best = informative.reduce((a, b) => (mismatch(b) < mismatch(a) || (mismatch(b) === mismatch(a) && b.length < a.length) ? b : a));
    return best.flatMap((i) => lines(i, path));
  }
  const shapes = issue.errors.flatMap((branch) =>
    branch.map((i) =>
      i.code === 'invalid_type'
        ? (ARTICLE[i.expected] ?? i.expected)
        : i.code === 'invalid_value'
          ? i.values.map((v) => JSON.stringify(v)).join(' or ')
          : i.message,
    ),
  );
  return [`${formatPath(path)}: must be ${[...new Set(shapes)].join(' or ')}, got ${describeValue(issue.input)}`];
}

function lines(issue: z.core.$ZodIssue, prefix: Path): string[] {
  const path = [...prefix, ...issue.path];
  if (issue.code === 'invalid_union') return unionLines(issue, path);
  if (issue.code === 'unrecognized_keys') return issue.keys.map((key) => `${formatPath([...path, key])}: unknown field`);
  return [`${formatPath(path)}: ${message(issue)}`];
}

/** One line per problem, in document order, without duplicates. */
export function formatIssues(issues: readonly z.core.$ZodIssue[], prefix: Path = []): string[] {
  return [...new Set(issues.flatMap((issue) => lines(issue, prefix)))];
}
