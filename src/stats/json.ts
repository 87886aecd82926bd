/**
 * Validation of the statistics JSON (checkpoint and shard files): a zod schema per format, a version
 * tag, and one error type whose message names the format and every offending field.
 *
 * @example
 *   const data = parseStatsJson(statJsonSchema, JSON.parse(text), STAT_FORMAT, STAT_VERSION);
 */
import type { z } from 'zod';

/** A statistics file that is not what this build writes: truncated, edited, or from another version. */
export class StatsFormatError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'StatsFormatError';
  }
}

/** Formats zod issues as `path: message; path: message` (path `(root)` for the top level). */
export function describeIssues(issues: readonly z.core.$ZodIssue[]): string {
  return issues
    .slice(0, 5)
    .map((i) => `${i.path.length > 0 ? i.path.map(String).join('.') : '(root)'}: ${i.message}`)
    .join('; ');
}

/** Parses `j` with `schema`, throwing a StatsFormatError that says what is wrong. */
export function parseStatsJson<S extends z.ZodType>(schema: S, j: unknown, format: string, version: number): z.output<S> {
  if (typeof j === 'object' && j !== null && (j as { format?: unknown }).format === format) {
    const v = (j as { version?: unknown }).version;
    if (v !== version) {
      throw new StatsFormatError(`${format}: unsupported version ${JSON.stringify(v)} (this build reads ${version})`);
    }
  }
  const r = schema.safeParse(j);
  if (!r.success) throw new StatsFormatError(`corrupt ${format} v${version} JSON: ${describeIssues(r.error.issues)}`);
  return r.data;
}
