/**
 * Reads a trace named in a study or on the command line (Node): a shipped name resolves to
 * `<packageRoot>/traces/<name>.json`, anything else is a path. Every failure is a ConfigError naming
 * `field` (e.g. `arrivals.trace`): unknown name, file not found, not a fleetsim trace.
 *
 * @example
 *   const trace = loadTrace('azure-llm-2023-conv', 'arrivals.trace');
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError } from '../model/errors.js';
import { packageRoot } from '../platform/node.js';
import { JsonTextError, parseJsonText } from '../text/json.js';
import { displayPath, quote } from '../text/quote.js';
import { parseTrace, type Trace } from './format.js';
import { parseServeGen, type ServeGenTrace } from './servegen.js';
import { SHIPPED_SERVEGEN, SHIPPED_TRACES } from './shipped.js';

/**
 * The largest trace file read (its size checked before reading): the shipped ones hold under 1 MB, a
 * trace imported from MAX_CSV_ROWS rows at most about 30 MB (2 million bins: 20 MB read in 3.5 s,
 * 0.2 GB); 64 MiB keeps reading one within seconds and 1 GB.
 */
export const MAX_TRACE_FILE_BYTES = 64 * 2 ** 20;

/** A name without a path separator or a .json ending is taken as a shipped name, not a path. */
function looksLikePath(nameOrPath: string): boolean {
  return /[\\/]/.test(nameOrPath) || nameOrPath.toLowerCase().endsWith('.json');
}

function readJsonFile(nameOrPath: string, field: string, shipped: readonly string[], kind: string): unknown {
  let path = nameOrPath;
  if (shipped.includes(nameOrPath)) path = join(packageRoot(), 'traces', `${nameOrPath}.json`);
  else if (!looksLikePath(nameOrPath) && !existsSync(nameOrPath)) {
    throw new ConfigError(field, `unknown ${kind} ${quote(nameOrPath)}; allowed: ${shipped.join(', ')} or a path to a .json file`);
  }
  let text: string;
  try {
    const size = statSync(path).size;
    if (size > MAX_TRACE_FILE_BYTES) {
      throw new ConfigError(
        field,
        `file ${displayPath(path)} holds ${size} bytes; allowed: a ${kind} of at most ${MAX_TRACE_FILE_BYTES} bytes`,
      );
    }
    text = readFileSync(path, 'utf8');
  } catch (error) {
    if (error instanceof ConfigError) throw error;
    throw new ConfigError(
      field,
      `file ${displayPath(path)} not found or unreadable; allowed: ${shipped.join(', ')} or a path to a .json file`,
    );
  }
  try {
    return parseJsonText(text, displayPath(path));
  } catch (error) {
    if (!(error instanceof JsonTextError)) throw error;
    // The problem names the file, the line and the column.
    throw new ConfigError(field, `not a fleetsim ${kind}: ${error.problems[0] ?? `${displayPath(path)} is not valid JSON`}`);
  }
}

/** The derived trace (src/traces/format.ts) of a shipped name or a file path. */
export function loadTrace(nameOrPath: string, field: string): Trace {
  return parseTrace(readJsonFile(nameOrPath, field, SHIPPED_TRACES, 'trace'), field);
}

/** The ServeGen windows (src/traces/servegen.ts) of a shipped name or a file path. */
export function loadServeGen(nameOrPath: string, field: string): ServeGenTrace {
  return parseServeGen(readJsonFile(nameOrPath, field, SHIPPED_SERVEGEN, 'ServeGen file'), field);
}

/** Either kind of file, told apart by its `format` field (for `fleetsim trace info`). */
export function loadAnyTrace(
  nameOrPath: string,
  field: string,
): { kind: 'trace'; trace: Trace } | { kind: 'servegen'; trace: ServeGenTrace } {
  const shipped = [...SHIPPED_TRACES, ...SHIPPED_SERVEGEN];
  const json = readJsonFile(nameOrPath, field, shipped, 'trace');
  const format = (json as { format?: unknown } | null)?.format;
  if (format === 'fleetsim-servegen') return { kind: 'servegen', trace: parseServeGen(json, field) };
  return { kind: 'trace', trace: parseTrace(json, field) };
}
