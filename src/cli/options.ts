/**
 * Option parsers and commander's messages. Each parser reads its value strictly (decimal notation
 * only: no hex `0x10`, no binary, no `Infinity`, no surrounding whitespace) and rejects a value
 * outside its range with a message naming the allowed range; commander prefixes the option, and
 * `commanderMessage` makes whatever commander prints one line with every echoed value quoted
 * (src/text/quote.ts), so an argument holding a newline or an escape sequence cannot forge a line.
 */
import { InvalidArgumentError } from 'commander';
import { MAX_STEPS } from '../model/batch.js';
import { LIMITS } from '../study/schema.js';
import { quote } from '../text/quote.js';

/** A non-negative decimal number as a person writes it: 12, 0.5, .5, 1e-3, +2. Nothing else. */
const DECIMAL = /^\+?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;
/** A non-negative integer in digits. */
const DIGITS = /^\+?\d+$/;

/** "1000000000" → "1,000,000,000": ranges in messages read at a glance. */
const grouped = (x: number): string => x.toLocaleString('en-US', { maximumFractionDigits: 20 });

/** A number > 0 and ≤ `max` (`unit` names what it counts), in decimal notation. */
export function positiveNumber(unit: string, max: number): (value: string) => number {
  return (value) => {
    const x = DECIMAL.test(value) ? Number(value) : NaN;
    if (!(x > 0 && x <= max)) throw new InvalidArgumentError(`Allowed: a number > 0 and ≤ ${grouped(max)} (${unit}), in decimal notation.`);
    return x;
  };
}

/** A number from `min` to `max` (`unit` names what it counts), in decimal notation. */
export function numberIn(min: number, max: number, unit: string): (value: string) => number {
  return (value) => {
    const x = DECIMAL.test(value) ? Number(value) : NaN;
    if (!(x >= min && x <= max))
      throw new InvalidArgumentError(`Allowed: a number of ${unit} from ${min} to ${grouped(max)}, in decimal notation.`);
    return x;
  };
}

/** An integer from `min` to `max`, in digits. */
export function integerIn(min: number, max: number): (value: string) => number {
  return (value) => {
    const x = DIGITS.test(value) ? Number(value) : NaN;
    if (!(x >= min && x <= max)) throw new InvalidArgumentError(`Allowed: an integer from ${min} to ${grouped(max)}.`);
    return x;
  };
}

export const parseSteps = integerIn(1, MAX_STEPS);

/** `--lmax` of `paper` and `montecarlo`: seconds, > 0 and at most LIMITS.lmax (the study files' bound). */
export const parseLmax = positiveNumber('seconds', LIMITS.lmax);

/**
 * `--seed` of `sweep` and `montecarlo`: a study's seed, 0 to 2^53 − 1 (LIMITS.seed), the integers a
 * JSON number holds exactly.
 */
export function parseStudySeed(value: string): number {
  const x = DIGITS.test(value) ? Number(value) : NaN;
  if (!(x >= 0 && x <= LIMITS.seed)) throw new InvalidArgumentError(`Allowed: an integer from 0 to 2^53 − 1 = ${LIMITS.seed}.`);
  return x;
}

/**
 * `--shard`: only its shape here (I/N or N, in digits); src/cli/sweep.ts `parseShard` checks the
 * ranges and reads the index from the environment for N alone.
 */
export function parseShardText(value: string): string {
  if (!/^\d{1,15}(\/\d{1,15})?$/.test(value)) throw new InvalidArgumentError('Allowed: I/N (0 ≤ I < N ≤ 100000) or N alone, in digits.');
  return value;
}

/** Escaped wherever text is echoed: C0/C1 controls, DEL and the bidi and separator characters, escaped. */
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069\ufeff]/g;
const escapeControls = (text: string): string => text.replace(CONTROL, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
/** Whether `text` holds a character a terminal acts on (a line break, an escape, a bidi override). */
export const hasControls = (text: string): boolean => text.search(CONTROL) >= 0;

/** The longest message commander may print, in UTF-16 code units, once its values are quoted. */
export const MESSAGE_MAX = 400;

/**
 * A message of commander (`error: …`, ending in a newline) as fleetsim prints it: one line, every
 * value it echoes from the command line quoted and cut (src/text/quote.ts), the "(Did you mean …?)"
 * suggestion on the same line, and the pointer to --help at the end. Commander's messages quote
 * values as '…' raw; those that echo one are rewritten, any other has its control characters escaped
 * and is cut at MESSAGE_MAX.
 */
export function commanderMessage(message: string): string {
  let text = message.replace(/\n$/, '');
  let suggestion = '';
  const similar = /\n\(Did you mean ([\w-]{1,80})\?\)$/.exec(text);
  if (similar) {
    suggestion = ` (did you mean ${similar[1]}?)`;
    text = text.slice(0, similar.index);
  }
  const patterns: [RegExp, (m: string[]) => string][] = [
    [
      /^error: option '([^']*)' argument '([\s\S]*)' is invalid\.( [\s\S]*)?$/,
      (m) => `error: option '${m[1]}' argument ${quote(m[2])} is invalid.${escapeControls(m[3] ?? '')}`,
    ],
    [
      /^error: command-argument value '([\s\S]*)' is invalid for argument '([\w-]*)'\.( [\s\S]*)?$/,
      (m) => `error: argument '${m[2]}': ${quote(m[1])} is invalid.${escapeControls(m[3] ?? '')}`,
    ],
    [/^error: unknown option '([\s\S]*)'$/, (m) => `error: unknown option ${quote(m[1])}`],
    [/^error: unknown command '([\s\S]*)'$/, (m) => `error: unknown command ${quote(m[1])}`],
  ];
  let line: string | undefined;
  for (const [pattern, rewrite] of patterns) {
    const m = pattern.exec(text);
    if (m) {
      line = rewrite([...m]);
      break;
    }
  }
  line ??= escapeControls(text);
  if (line.length > MESSAGE_MAX) line = `${line.slice(0, MESSAGE_MAX)}… (cut)`;
  return `${line}${suggestion} (run with --help for usage)\n`;
}
