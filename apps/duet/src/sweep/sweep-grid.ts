// The grid of a sweep: `--param path=v1,v2,v3` per parameter, every combination of their values,
// numbered in a fixed order (the first parameter varies slowest), so results line up run after run.

export interface SweepParameter {
  readonly path: string;
  /** Values as written: each is parsed as YAML, like a `--set` value. */
  readonly values: readonly string[];
}

export interface SweepCombination {
  /** 0-based, in grid order. */
  readonly index: number;
  /** Parameter path → value as written. */
  readonly parameters: Readonly<Record<string, string>>;
  /** The `--set` assignments that make this combination. */
  readonly overrides: readonly string[];
  /** `path=value, path=value`, for people. */
  readonly label: string;
}

export class SweepParameterError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(problems.join('\n'));
    this.name = 'SweepParameterError';
  }
}

export const MAX_COMBINATIONS = 1000; // a bound on one command's grid, not on what the core can run

/** Parses every `--param`, reporting all problems at once. */
export function parseSweepParameters(texts: readonly string[]): SweepParameter[] {
  const problems: string[] = [];
  const parameters: SweepParameter[] = [];
  const paths = new Set<string>();
  if (texts.length === 0) problems.push('--param: give at least one, e.g. --param fleet.handsets=1000,5000');
  for (const text of texts) {
    const equals = text.indexOf('=');
    const path = equals > 0 ? text.slice(0, equals).trim() : '';
    if (path === '' || !/^[A-Za-z0-9_.-]+$/.test(path)) {
      problems.push(`--param ${text}: must be path=v1,v2,..., e.g. fleet.handsets=1000,5000`);
      continue;
    }
    const values = splitValues(text.slice(equals + 1));
    if (values.some((value) => value === '')) problems.push(`--param ${text}: a value is empty`);
    if (paths.has(path)) problems.push(`--param ${text}: ${path} is swept twice`);
    if (new Set(values).size !== values.length) problems.push(`--param ${text}: a value is listed twice`);
    paths.add(path);
    parameters.push({ path, values });
  }
  const size = parameters.reduce((product, parameter) => product * parameter.values.length, 1);
  if (size > MAX_COMBINATIONS) problems.push(`--param: ${size} combinations; at most ${MAX_COMBINATIONS}`);
  if (problems.length > 0) throw new SweepParameterError(problems);
  return parameters;
}

/** Every combination, the last parameter varying fastest. */
export function sweepCombinations(parameters: readonly SweepParameter[]): SweepCombination[] {
  let combinations: Record<string, string>[] = [{}];
  for (const parameter of parameters)
    combinations = combinations.flatMap((partial) => parameter.values.map((value) => ({ ...partial, [parameter.path]: value })));
  return combinations.map((values, index) => {
    const entries = Object.entries(values);
    return {
      index,
      parameters: values,
      overrides: entries.map(([path, value]) => `${path}=${value}`),
      label: entries.map(([path, value]) => `${path}=${value}`).join(', '),
    };
  });
}

/** Splits on commas outside brackets, braces and quotes, so `[a,b]` and `"x,y"` stay one value. */
function splitValues(text: string): string[] {
  const values: string[] = [];
  let depth = 0;
  let quote: string | undefined;
  let current = '';
  for (const character of text) {
    if (quote !== undefined) {
      if (character === quote) quote = undefined;
    } else if (character === '"' || character === "'") quote = character;
    else if (character === '[' || character === '{') depth++;
    else if (character === ']' || character === '}') depth--;
    else if (character === ',' && depth === 0) {
      values.push(current.trim());
      current = '';
      continue;
    }
    current += character;
  }
  values.push(current.trim());
  return values;
}
