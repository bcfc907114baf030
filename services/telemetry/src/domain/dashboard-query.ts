// What the dashboard API asks for (GET /v1/dashboard/...), validated with zod once per request:
// every problem becomes an Issue naming the query parameter as the caller spelled it and the rule
// it broke, so a bad URL answers 400 with the reason instead of reaching PostgreSQL (docs/design.md#quality-bars).
import * as z from 'zod';
import { QueryError, type Issue } from './errors';
import { MAX_RUN_ID_LENGTH, runIdProblem } from './run-id';

export const BREAKDOWN_DIMENSIONS = ['region', 'group', 'model'] as const;
export type BreakdownDimension = (typeof BREAKDOWN_DIMENSIONS)[number];

const MAX_TICK = 2 ** 31 - 1; // ticks are stored as PostgreSQL integers
const MAX_STEP = 100_000; // ticks per point; more than any run's length in practice
const MAX_RUNS_LISTED = 200;
/** Points per series when the caller gives no step: enough for a simulated day of minute ticks. */
export const DEFAULT_MAX_POINTS = 1_440;

const tick = () =>
  z
    .string({ error: 'must be given once, as text' })
    .regex(/^\d{1,10}$/, { error: `must be an integer tick in 0..${MAX_TICK}` })
    .transform(Number)
    .refine((value) => value <= MAX_TICK, { error: `must be an integer tick in 0..${MAX_TICK}` });

const positive = (max: number) =>
  z
    .string({ error: 'must be given once, as text' })
    .regex(/^\d{1,9}$/, { error: `must be an integer in 1..${max}` })
    .transform(Number)
    .refine((value) => value >= 1 && value <= max, { error: `must be an integer in 1..${max}` });

const runId = () =>
  z
    .string({ error: 'must be given once, as text' })
    .min(1, { error: 'must name a run' })
    .max(MAX_RUN_ID_LENGTH, { error: `must be at most ${MAX_RUN_ID_LENGTH} characters` })
    .refine((value) => runIdProblem(value)?.rule !== 'characters', { error: 'must not hold control characters (NUL, line breaks, ...)' });

const RUNS_QUERY = z.strictObject({ limit: positive(MAX_RUNS_LISTED).optional() });

const PANELS_QUERY = z
  .strictObject({
    from: tick().optional(),
    to: tick().optional(),
    step: positive(MAX_STEP).optional(),
    breakdown: z.enum(BREAKDOWN_DIMENSIONS, { error: `must be one of ${BREAKDOWN_DIMENSIONS.join(', ')}` }).optional(),
  })
  .refine((query) => typeof query.from !== 'number' || typeof query.to !== 'number' || query.from <= query.to, {
    error: 'must not be greater than to',
    path: ['from'],
  });

const COMPARE_QUERY = z
  .strictObject({ a: runId(), b: runId(), step: positive(MAX_STEP).optional() })
  .refine((query) => query.a !== query.b, { error: 'must name another run than a', path: ['b'] });

const STREAM_QUERY = z.strictObject({ since: tick().optional() });

export interface RunsQuery {
  readonly limit: number;
}

export interface PanelsQuery {
  readonly runId: string;
  readonly fromTick: number;
  /** Inclusive; undefined = the last final tick. */
  readonly toTick?: number;
  /** Ticks per point; undefined = chosen so a series has at most DEFAULT_MAX_POINTS points. */
  readonly step?: number;
  readonly breakdown: BreakdownDimension;
}

export interface CompareQuery {
  readonly a: string;
  readonly b: string;
  readonly step?: number;
}

export interface StreamQuery {
  readonly runId: string;
  /** Final ticks the client holds already (ticks 0..since-1); undefined = send none of the past. */
  readonly since?: number;
}

export function parseRunsQuery(query: Readonly<Record<string, unknown>>): RunsQuery {
  const parsed = check(RUNS_QUERY, query);
  return { limit: parsed.limit ?? 50 };
}

export function parsePanelsQuery(id: unknown, query: Readonly<Record<string, unknown>>): PanelsQuery {
  const [run, parsed] = checkBoth(id, PANELS_QUERY, query);
  return { runId: run, fromTick: parsed.from ?? 0, toTick: parsed.to, step: parsed.step, breakdown: parsed.breakdown ?? 'region' };
}

export function parseCompareQuery(query: Readonly<Record<string, unknown>>): CompareQuery {
  return check(COMPARE_QUERY, query);
}

export function parseStreamQuery(id: unknown, query: Readonly<Record<string, unknown>>, lastEventId?: unknown): StreamQuery {
  // A reconnecting EventSource says where it stopped in Last-Event-ID; the query wins when both are given.
  const merged = query.since === undefined && typeof lastEventId === 'string' && lastEventId !== '' ? { ...query, since: lastEventId } : query;
  const [run, parsed] = checkBoth(id, STREAM_QUERY, merged);
  return { runId: run, since: parsed.since };
}

/** Ticks per point: the caller's step, or the smallest that keeps a range within `maxPoints`. */
export function stepFor(requested: number | undefined, ticks: number, maxPoints = DEFAULT_MAX_POINTS): number {
  return requested ?? Math.max(1, Math.ceil(ticks / maxPoints));
}

function checkBoth<T>(id: unknown, schema: z.ZodType<T>, query: Readonly<Record<string, unknown>>): [string, T] {
  const issues: Issue[] = [];
  const run = runId().safeParse(id);
  if (!run.success) issues.push(...toIssues(run.error, { runId: id }, 'runId'));
  const parsed = schema.safeParse(query);
  if (!parsed.success) issues.push(...toIssues(parsed.error, query));
  if (!run.success || !parsed.success) throw new QueryError(issues);
  return [run.data, parsed.data];
}

function check<T>(schema: z.ZodType<T>, query: Readonly<Record<string, unknown>>): T {
  const parsed = schema.safeParse(query);
  if (!parsed.success) throw new QueryError(toIssues(parsed.error, query));
  return parsed.data;
}

function toIssues(error: z.ZodError, query: Readonly<Record<string, unknown>>, parameter?: string): Issue[] {
  return error.issues.flatMap((issue): Issue[] => {
    if (issue.code === 'unrecognized_keys') return issue.keys.map((key) => ({ parameter: key, rule: 'unknown', message: 'is not a parameter of this query' }));
    const name = parameter ?? String(issue.path[0] ?? 'query');
    if (issue.code === 'invalid_type' && query[name] === undefined) return [{ parameter: name, rule: 'required', message: 'is required' }];
    return [{ parameter: name, rule: RULES[issue.code] ?? issue.code, message: issue.message }];
  });
}

const RULES: Partial<Record<string, string>> = {
  invalid_type: 'single',
  invalid_format: 'integer',
  invalid_value: 'enum',
  too_small: 'required',
  too_big: 'length',
  custom: 'range',
};
