/**
 * A user's mistake in a configuration: names the field and the allowed range. The CLI prints the
 * message alone (no stack trace) and exits with code 2.
 */
export class ConfigError extends Error {
  constructor(
    readonly field: string,
    readonly problem: string,
  ) {
    super(`${field}: ${problem}`);
    this.name = 'ConfigError';
  }
}
