// What a series query asks for, validated once for both adapters (HTTP parameters and the gRPC
// QuerySeriesRequest): every issue names the parameter as that caller spelled it, and the rule.
import { quoted } from '@duet/service-kit';
import { EVENT_KIND_NAMES, KPI_NAMES, type KpiName } from '@duet/sim-core';
import { QueryError, type Issue } from './errors';
import { DIMENSIONS, type Dimension } from './event-aggregation';

export type SeriesMeasure =
  { readonly type: 'kpi'; readonly kpi: KpiName } | { readonly type: 'event'; readonly eventKind: number; readonly eventKindName: string };

export interface SeriesQuery {
  readonly runId: string;
  readonly measure: SeriesMeasure;
  /** Event series only: the dimension to split by or filter on. */
  readonly dimension?: {
    readonly name: Dimension;
    /** Values kept; undefined = every value. */
    readonly values?: readonly string[];
    /** One series per value (true) or their sum (false). */
    readonly split: boolean;
  };
  readonly fromTick: number;
  /** Inclusive; undefined = the last tick stored. */
  readonly toTick?: number;
}

const MAX_TICK = 2 ** 31 - 1; // ticks are stored as PostgreSQL integers
const HTTP_PARAMETERS = ['kpi', 'event', 'dimension', 'from', 'to'] as const;
const EVENT_KIND_PREFIX = 'EVENT_KIND_';
const SNAKE_KPI_NAMES = new Map<string, KpiName>(KPI_NAMES.map((name) => [name.replace(/[A-Z]/g, (letter) => `_${letter.toLowerCase()}`), name]));
const EVENT_KINDS = new Map<string, number>(Object.entries(EVENT_KIND_NAMES).map(([code, name]) => [name, Number(code)]));

interface ParameterNames {
  readonly kpi: string;
  readonly event: string;
  readonly dimension: string;
  readonly from: string;
  readonly to: string;
}

interface Parameters {
  readonly kpi?: string;
  readonly event?: string;
  readonly dimension?: { readonly name: string; readonly values?: readonly string[]; readonly split: boolean };
  readonly from?: number;
  readonly to?: number;
}

/**
 * `GET /v1/runs/:runId/series?kpi=guestRunning&from=0&to=100` or
 * `?event=CROSS_PERSONA_FLOW&dimension=model` (one series per model) or
 * `?event=SESSION_STARTED&dimension=model=optimus-2x,optimus-one` (one series per listed model).
 */
export function parseHttpSeriesQuery(runId: string, query: Readonly<Record<string, unknown>>): SeriesQuery {
  const issues: Issue[] = [];
  for (const name of Object.keys(query)) {
    if (!(HTTP_PARAMETERS as readonly string[]).includes(name))
      issues.push({ parameter: name, rule: 'unknown', message: `is not a parameter; known: ${HTTP_PARAMETERS.join(', ')}` });
  }
  const text = (name: (typeof HTTP_PARAMETERS)[number]): string | undefined => {
    const value = query[name];
    if (value === undefined) return undefined;
    if (typeof value === 'string') return value;
    issues.push({ parameter: name, rule: 'single', message: 'must be given once, as text' });
    return undefined;
  };
  const tick = (name: 'from' | 'to'): number | undefined => {
    const value = text(name);
    if (value === undefined) return undefined;
    if (!/^\d+$/.test(value) || Number(value) > MAX_TICK) {
      issues.push({ parameter: name, rule: 'integer', message: `must be an integer tick in 0..${MAX_TICK}, got ${quoted(String(value))}` });
      return undefined;
    }
    return Number(value);
  };
  const dimensionText = text('dimension');
  let dimension: Parameters['dimension'];
  if (dimensionText !== undefined) {
    const [name, values] = splitOnce(dimensionText, '=');
    dimension = { name, values: values?.split(',').map((value) => value.trim()), split: true };
  }
  const parameters: Parameters = { kpi: text('kpi'), event: text('event'), dimension, from: tick('from'), to: tick('to') };
  return validate(runId, parameters, { kpi: 'kpi', event: 'event', dimension: 'dimension', from: 'from', to: 'to' }, issues);
}

/** The gRPC request's fields, as the generated QuerySeriesRequest holds them. */
export interface SeriesRequestFields {
  readonly runId: string;
  readonly kpi: string;
  readonly eventKind: string;
  readonly filters: readonly { readonly dimension: string; readonly values: readonly string[] }[];
  readonly groupBy: readonly string[];
  readonly fromTick: number;
  readonly toTick?: number | undefined;
}

export function parseGrpcSeriesQuery(request: SeriesRequestFields): SeriesQuery {
  const issues: Issue[] = [];
  const named = new Set([...request.filters.map((filter) => filter.dimension), ...request.groupBy]);
  let dimension: Parameters['dimension'];
  if (named.size > 1 || request.groupBy.length > 1) {
    issues.push({
      parameter: 'filters',
      rule: 'one-dimension',
      message: `an event series is split or filtered by one dimension at most, got ${[...named].join(', ')}`,
    });
  } else if (named.size === 1) {
    const values = request.filters.flatMap((filter) => filter.values);
    dimension = { name: [...named][0], values: request.filters.length > 0 ? values : undefined, split: request.groupBy.length > 0 };
  }
  const parameters: Parameters = {
    kpi: request.kpi || undefined,
    event: request.eventKind || undefined,
    dimension,
    from: request.fromTick,
    to: request.toTick ?? undefined,
  };
  return validate(request.runId, parameters, { kpi: 'kpi', event: 'event_kind', dimension: 'filters', from: 'from_tick', to: 'to_tick' }, issues);
}

function validate(runId: string, parameters: Parameters, names: ParameterNames, issues: Issue[]): SeriesQuery {
  let measure: SeriesMeasure | undefined;
  if (parameters.kpi !== undefined && parameters.event !== undefined) {
    issues.push({ parameter: names.kpi, rule: 'exclusive', message: `give either ${names.kpi} or ${names.event}, not both` });
  } else if (parameters.kpi !== undefined) {
    const kpi = (KPI_NAMES as readonly string[]).includes(parameters.kpi) ? (parameters.kpi as KpiName) : SNAKE_KPI_NAMES.get(parameters.kpi);
    if (kpi === undefined)
      issues.push({ parameter: names.kpi, rule: 'enum', message: `unknown KPI ${quoted(parameters.kpi)}; known: ${KPI_NAMES.join(', ')}` });
    else measure = { type: 'kpi', kpi };
  } else if (parameters.event !== undefined) {
    const upper = parameters.event.toUpperCase();
    const name = upper.startsWith(EVENT_KIND_PREFIX) ? upper.slice(EVENT_KIND_PREFIX.length) : upper;
    const eventKind = EVENT_KINDS.get(name);
    if (eventKind === undefined)
      issues.push({
        parameter: names.event,
        rule: 'enum',
        message: `unknown event kind ${quoted(parameters.event)}; known: ${[...EVENT_KINDS.keys()].join(', ')}`,
      });
    else measure = { type: 'event', eventKind, eventKindName: name };
  } else {
    issues.push({ parameter: names.kpi, rule: 'required', message: `give ${names.kpi}=<KPI name> or ${names.event}=<event kind>` });
  }
  let dimension: SeriesQuery['dimension'];
  if (parameters.dimension !== undefined) {
    const { name, values, split } = parameters.dimension;
    if (parameters.kpi !== undefined) {
      issues.push({ parameter: names.dimension, rule: 'event-series-only', message: 'KPIs are fleet-wide; dimensions split or filter event series only' });
    } else if (!(DIMENSIONS as readonly string[]).includes(name)) {
      issues.push({ parameter: names.dimension, rule: 'enum', message: `unknown dimension ${quoted(name)}; known: ${DIMENSIONS.join(', ')}` });
    } else if (values !== undefined && (values.length === 0 || values.some((value) => value.length === 0))) {
      issues.push({ parameter: names.dimension, rule: 'values', message: `values of ${name} must be non-empty` });
    } else {
      dimension = { name: name as Dimension, values, split };
    }
  }
  const fromTick = parameters.from ?? 0;
  if (parameters.to !== undefined && fromTick > parameters.to)
    issues.push({ parameter: names.from, rule: 'range', message: `must not be greater than ${names.to} (${fromTick} > ${parameters.to})` });
  if (runId.length === 0) issues.push({ parameter: 'run_id', rule: 'required', message: 'must name a run' });
  if (issues.length > 0 || measure === undefined) throw new QueryError(issues);
  return { runId, measure, dimension, fromTick, toTick: parameters.to };
}

function splitOnce(text: string, separator: string): [string, string | undefined] {
  const at = text.indexOf(separator);
  return at < 0 ? [text.trim(), undefined] : [text.slice(0, at).trim(), text.slice(at + separator.length)];
}
