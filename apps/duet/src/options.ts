import { InvalidArgumentError } from 'commander';

/** Parses an integer option with bounds, naming the option and rule in the error. */
export function integerOption(name: string, min: number, max = Number.MAX_SAFE_INTEGER): (value: string) => number {
  return (value) => {
    const parsed = Number(value);
    if (!/^-?\d+$/.test(value.trim()) || !Number.isSafeInteger(parsed)) throw new InvalidArgumentError(`${name} must be an integer, got "${value}"`);
    if (parsed < min || parsed > max) throw new InvalidArgumentError(`${name} must be in ${min}..${max}, got ${parsed}`);
    return parsed;
  };
}
