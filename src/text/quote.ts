/**
 * Echoing what a user wrote, safely: a message that repeats input shows it quoted on one line, with
 * every control character escaped (a newline or an escape sequence in a value cannot forge a second
 * line or clear the terminal), and cut to a length (a 10 MB key is not echoed in full). Browser-safe.
 *
 * @example
 *   throw new UsageError(`--shard: must be I/N, got ${quote(value)}`); // --shard: must be I/N, got "1/\u001b[2J"
 */

/** The longest excerpt of a value echoed in a message, in UTF-16 code units. */
export const ECHO_MAX = 60;

/**
 * Characters JSON.stringify leaves as they are but a terminal or an editor acts on: DEL, the C1
 * controls (0x80–0x9f, CSI among them), the line and paragraph separators, and the bidirectional
 * overrides and isolates (which reorder what is displayed).
 */
const UNSAFE = /[\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069\ufeff]/g;

const escape = (c: string): string => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`;

/**
 * `text` as a JSON string literal with every control character escaped, cut to `max` code units
 * (`…` and the full length follow a cut).
 */
function quoteString(text: string, max: number): string {
  let excerpt = text;
  let tail = '';
  if (text.length > max) {
    // Do not split a surrogate pair: JSON.stringify would escape the lone half, which is harmless
    // but reads as garbage.
    const cut = /[\ud800-\udbff]/.test(text[max - 1] ?? '') ? max - 1 : max;
    excerpt = text.slice(0, cut);
    tail = `… (${text.length} characters)`;
  }
  return `${JSON.stringify(excerpt).replace(UNSAFE, escape)}${tail}`;
}

/**
 * A value as it may appear in a one-line message: strings quoted and escaped, numbers and booleans
 * as written, anything else described by its kind (an object is "an object", never dumped).
 */
export function quote(value: unknown, max: number = ECHO_MAX): string {
  if (typeof value === 'string') return quoteString(value, max);
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') return String(value);
  if (value === null) return 'null';
  if (value === undefined) return 'nothing';
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'object' ? 'an object' : typeof value;
}

/** A file or directory name in a message: as it is when plain, quoted (as `quote`) when not. */
export function displayPath(path: string, max = 200): string {
  return /^[\w./@+~:=,-]+$/.test(path) && path.length <= max ? path : quoteString(path, max);
}

/**
 * A name from the user's file (a study's name, an axis label) in running text: as it is when it is
 * short and holds nothing to escape, quoted (as `quote`) when not.
 */
export function displayText(text: string, max = ECHO_MAX): string {
  return text.length <= max && JSON.stringify(text) === `"${text}"` && !new RegExp(UNSAFE.source).test(text)
    ? text
    : quoteString(text, max);
}
