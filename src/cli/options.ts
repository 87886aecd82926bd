/** Option parsers: each rejects bad input with a message naming the allowed range (commander prints it). */
import { InvalidArgumentError } from 'commander';
import { MAX_STEPS } from '../model/batch.js';

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

export function parseSeed(value: string): bigint {
  if (!/^\d+$/.test(value.trim()) || BigInt(value) >= 1n << 64n) {
    throw new InvalidArgumentError('Allowed: an integer from 0 to 2^64 − 1.');
  }
  return BigInt(value);
}
