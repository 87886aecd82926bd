/**
 * Telling the user's problems from the page's own bugs. A problem in a file or a study (a schema
 * violation, bad JSON, a foreign file) is shown as what it is, naming the file or field; anything else
 * thrown while reading or running is a bug in fleetsim and is shown as "internal error: … please
 * report it", never dressed up as a problem in the user's file. No DOM: vitest runs it in Node.
 *
 * @example
 *   message.show(userProblem(error) ?? internalError(error, 'reading summary.json'), 'error');
 */
import { ConfigError } from '../../src/model/errors.js';
import { BenchFileError } from '../../src/results/benchFile.js';
import { InputError } from '../../src/results/errors.js';
import { StudyError } from '../../src/study/cells.js';
import { JsonTextError } from '../../src/text/json.js';
import { quote } from '../../src/text/quote.js';
import { FileProblem } from './files.js';

/** The message of an error that is a problem in what the user gave the page, or null when it is a bug. */
export function userProblem(error: unknown): string | null {
  if (error instanceof StudyError || error instanceof JsonTextError) return error.problems.join('\n');
  if (error instanceof InputError || error instanceof FileProblem || error instanceof BenchFileError || error instanceof ConfigError)
    return error.message;
  return null;
}

/** A browser refusing to read a file (it was moved, or permission was withdrawn): neither the file's fault nor a bug. */
export function readFailure(error: unknown): string | null {
  if (typeof DOMException !== 'undefined' && error instanceof DOMException && error.name !== 'AbortError') {
    return `could not be read (the browser says: ${quote(error.message, 120)})`;
  }
  return null;
}

/** The line shown for a bug: what the page was doing, the error's message (quoted, cut), and a request to report it. */
export function internalError(error: unknown, doing: string): string {
  const what = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  return `internal error while ${doing}: ${quote(what, 200)}. This is a bug in fleetsim, not a problem in your input; please report it.`;
}
