/** Option parsers: each rejects bad input with a message naming the allowed range (commander prints it). */
import { InvalidArgumentError } from 'commander';
import { MAX_STEPS } from '../model/batch.js';
import { LIMITS } from '../study/schema.js';

export function positiveNumber(unit: string): (value: string) => number {
  return (value) => {
    const x = Number(value);
    if (value.trim() === '' || !Number.isFinite(x) || x <= 0) throw new InvalidArgumentError(`Allowed: a number > 0 (${unit}).`);
    return x;
  };
}

export function integerIn(min: number, max: number): (value: string) => number {
  return (value) => {
    const x = Number(value);
    if (!/^\d+$/.test(value.trim()) || x < min || x > max) {
      throw new InvalidArgumentError(`Allowed: an integer from ${min} to ${max}.`);
    }
    return x;
  };
}

export const parseSteps = integerIn(1, MAX_STEPS);

/**
 * `--seed` of `sweep` and `montecarlo`: a study's seed, 0 to 2^53 − 1 (LIMITS.seed), the integers a
 * JSON number holds exactly.
 */
export function parseStudySeed(value: string): number {
  if (!/^\d+$/.test(value.trim()) || Number(value) > LIMITS.seed) {
    throw new InvalidArgumentError(`Allowed: an integer from 0 to 2^53 − 1 = ${LIMITS.seed}.`);
  }
  return Number(value);
}
