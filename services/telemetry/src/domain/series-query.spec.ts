import { EventKind } from '@duet/sim-core';
import { describe, expect, it } from 'vitest';
import { QueryError } from './errors';
import { parseGrpcSeriesQuery, parseHttpSeriesQuery } from './series-query';

function issuesOf(work: () => unknown): string[] {
  try {
    work();
  } catch (error) {
    if (error instanceof QueryError) return error.issues.map((issue) => `${issue.parameter} [${issue.rule}]`);
    throw error;
  }
  return [];
}

const GRPC_DEFAULTS = { runId: 'r', kpi: '', eventKind: '', filters: [], groupBy: [], fromTick: 0 };

describe('parseHttpSeriesQuery', () => {
  it('reads a KPI over a tick range', () => {
    expect(parseHttpSeriesQuery('r', { kpi: 'guestRunning', from: '0', to: '100' })).toEqual({
      runId: 'r',
      measure: { type: 'kpi', kpi: 'guestRunning' },
      dimension: undefined,
      fromTick: 0,
      toTick: 100,
    });
  });

  it('accepts the proto spelling of a KPI name', () => {
    expect(parseHttpSeriesQuery('r', { kpi: 'guest_running' }).measure).toEqual({ type: 'kpi', kpi: 'guestRunning' });
  });

  it('reads an event series split by a dimension, optionally filtered to some values', () => {
    expect(parseHttpSeriesQuery('r', { event: 'CROSS_PERSONA_FLOW', dimension: 'model' })).toMatchObject({
      measure: { type: 'event', eventKind: EventKind.CROSS_PERSONA_FLOW, eventKindName: 'CROSS_PERSONA_FLOW' },
      dimension: { name: 'model', values: undefined, split: true },
    });
    expect(parseHttpSeriesQuery('r', { event: 'EVENT_KIND_SESSION_STARTED', dimension: 'model=optimus-2x,optimus-one' }).dimension).toEqual({
      name: 'model',
      values: ['optimus-2x', 'optimus-one'],
      split: true,
    });
  });

  it('rejects bad parameters, naming each parameter and rule', () => {
    expect(issuesOf(() => parseHttpSeriesQuery('r', { kpi: 'speed' }))).toEqual(['kpi [enum]']);
    expect(issuesOf(() => parseHttpSeriesQuery('r', { event: 'EXPLODED' }))).toEqual(['event [enum]']);
    expect(issuesOf(() => parseHttpSeriesQuery('r', { event: 'CHECK_IN', dimension: 'colour' }))).toEqual(['dimension [enum]']);
    expect(issuesOf(() => parseHttpSeriesQuery('r', { kpi: 'enrolled', from: '5', to: '3' }))).toEqual(['from [range]']);
    expect(issuesOf(() => parseHttpSeriesQuery('r', { kpi: 'enrolled', from: '1.5', to: '-1' }))).toEqual(['from [integer]', 'to [integer]']);
    expect(issuesOf(() => parseHttpSeriesQuery('r', { kpi: 'enrolled', dimension: 'model' }))).toEqual(['dimension [event-series-only]']);
    expect(issuesOf(() => parseHttpSeriesQuery('r', {}))).toEqual(['kpi [required]']);
    expect(issuesOf(() => parseHttpSeriesQuery('r', { kpi: 'enrolled', event: 'CHECK_IN' }))).toEqual(['kpi [exclusive]']);
    expect(issuesOf(() => parseHttpSeriesQuery('r', { kpi: 'enrolled', tick: '3' }))).toEqual(['tick [unknown]']);
    expect(issuesOf(() => parseHttpSeriesQuery('r', { kpi: ['enrolled', 'compliant'] }))).toEqual(['kpi [single]', 'kpi [required]']);
  });

  it('says what is wrong in the message', () => {
    expect(() => parseHttpSeriesQuery('r', { kpi: 'enrolled', from: '5', to: '3' })).toThrow('from: must not be greater than to (5 > 3) [range]');
  });
});

describe('parseGrpcSeriesQuery', () => {
  it('reads filters and group_by on one dimension', () => {
    expect(parseGrpcSeriesQuery({ ...GRPC_DEFAULTS, eventKind: 'CHECK_IN', filters: [{ dimension: 'region', values: ['emea'] }] }).dimension).toEqual({
      name: 'region',
      values: ['emea'],
      split: false,
    });
    expect(parseGrpcSeriesQuery({ ...GRPC_DEFAULTS, eventKind: 'CHECK_IN', groupBy: ['persona'], toTick: 0 })).toMatchObject({
      dimension: { name: 'persona', split: true },
      toTick: 0,
    });
  });

  it('rejects two dimensions and names the proto fields', () => {
    expect(issuesOf(() => parseGrpcSeriesQuery({ ...GRPC_DEFAULTS, eventKind: 'CHECK_IN', groupBy: ['model', 'region'] }))).toEqual([
      'filters [one-dimension]',
    ]);
    expect(issuesOf(() => parseGrpcSeriesQuery({ ...GRPC_DEFAULTS, kpi: 'enrolled', fromTick: 9, toTick: 2 }))).toEqual(['from_tick [range]']);
    expect(issuesOf(() => parseGrpcSeriesQuery({ ...GRPC_DEFAULTS, eventKind: 'NOPE' }))).toEqual(['event_kind [enum]']);
  });
});
