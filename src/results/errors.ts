/**
 * A result file or directory that is not what fleetsim reads (not JSON, the wrong columns, another
 * format or version, an incomplete shard). The message names the file and the problem; the page shows
 * it as text, the CLI prints it and exits with code 2. Browser-safe.
 *
 * @example
 *   throw new InputError(`${name}: not a fleetsim summary.json (no "format" field)`);
 */
export class InputError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InputError';
  }
}
