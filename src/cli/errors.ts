/**
 * How `fleetsim` ends (docs/RESULTS.md, guarantee 14):
 * - 0: done;
 * - 1: an internal error, a bug (printed with its stack trace, to be reported);
 * - 2 (EXIT_USAGE): a mistake the user can fix — a bad option, study or path — one line per problem,
 *   before any work starts or any file is touched;
 * - 3 (EXIT_ENVIRONMENT): the machine refused — a full disk, a permission denied, a GPU that failed —
 *   one line naming the path or the device and the cause; a result directory stays resumable.
 */

/** Mistakes a user can fix: printed as one line without a stack trace, exit code 2. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

/** Faults of the machine, not of the input (disk full, permission denied): one line, exit code 3. */
export class EnvironmentError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'EnvironmentError';
  }
}

export const EXIT_USAGE = 2;
export const EXIT_ENVIRONMENT = 3;
