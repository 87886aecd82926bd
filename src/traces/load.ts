/**
 * Reads a trace named in a study or on the command line (Node): a shipped name resolves to
 * `<packageRoot>/traces/<name>.json`, anything else is a path. Every failure is a ConfigError naming
 * `field` (e.g. `arrivals.trace`): unknown name, file not found, not a fleetsim trace.
 *
 * @example
 *   const trace = loadTrace('azure-llm-2023-conv', 'arrivals.trace');
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError } from '../model/errors.js';
import { packageRoot } from '../platform/node.js';
import { parseTrace, type Trace } from './format.js';
import { parseServeGen, type ServeGenTrace } from './servegen.js';
import { SHIPPED_SERVEGEN, SHIPPED_TRACES } from './shipped.js';

/** A name without a path separator or a .json ending is taken as a shipped name, not a path. */
function looksLikePath(nameOrPath: string): boolean {
  return /[\\/]/.test(nameOrPath) || nameOrPath.toLowerCase().endsWith('.json');
}

function readJsonFile(nameOrPath: string, field: string, shipped: readonly string[], kind: string): unknown {
  let path = nameOrPath;
  if (shipped.includes(nameOrPath)) path = join(packageRoot(), 'traces', `${nameOrPath}.json`);
  else if (!looksLikePath(nameOrPath) && !existsSync(nameOrPath)) {
    throw new ConfigError(
      field,
      `unknown ${kind} ${JSON.stringify(nameOrPath.slice(0, 40))}; allowed: ${shipped.join(', ')} or a path to a .json file`,
    );
  }
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    throw new ConfigError(
      field,
      `file ${JSON.stringify(path)} not found or unreadable; allowed: ${shipped.join(', ')} or a path to a .json file`,
    );
  }
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new ConfigError(field, `${JSON.stringify(path)} is not JSON (not a fleetsim ${kind})`);
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
