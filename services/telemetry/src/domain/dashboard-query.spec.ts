import { describe, expect, it } from 'vitest';
import { QueryError } from './errors';
import { parseCompareQuery, parsePanelsQuery, parseRunsQuery, parseStreamQuery, stepFor } from './dashboard-query';

function issuesOf(parse: () => unknown): { parameter: string; rule: string }[] {
  try {
    parse();
  } catch (error) {
    if (error instanceof QueryError) return error.issues.map(({ parameter, rule }) => ({ parameter, rule }));
    throw error;
  }
  throw new Error('expected a QueryError');
}

describe('dashboard queries', () => {
  it('reads a panels query with defaults', () => {
    expect(parsePanelsQuery('run-1', {})).toEqual({ runId: 'run-1', fromTick: 0, toTick: undefined, step: undefined, breakdown: 'region' });
    expect(parsePanelsQuery('run-1', { from: '10', to: '20', step: '5', breakdown: 'model' })).toEqual({
      runId: 'run-1',
      fromTick: 10,
      toTick: 20,
      step: 5,
      breakdown: 'model',
    });
  });

  it('names every bad parameter at once, with its rule', () => {
    expect(issuesOf(() => parsePanelsQuery('', { from: '-3', step: '0', breakdown: 'planet', colour: 'red' }))).toEqual([
      { parameter: 'runId', rule: 'required' },
      { parameter: 'from', rule: 'integer' },
      { parameter: 'step', rule: 'range' },
      { parameter: 'breakdown', rule: 'enum' },
      { parameter: 'colour', rule: 'unknown' },
    ]);
  });

  it('refuses a range that ends before it starts, and a parameter given twice', () => {
    expect(issuesOf(() => parsePanelsQuery('run-1', { from: '9', to: '3' }))).toEqual([{ parameter: 'from', rule: 'range' }]);
    expect(issuesOf(() => parsePanelsQuery('run-1', { to: ['3', '4'] }))).toEqual([{ parameter: 'to', rule: 'single' }]);
  });

  it('needs two different runs to compare', () => {
    expect(parseCompareQuery({ a: 'x', b: 'y' })).toEqual({ a: 'x', b: 'y' });
    expect(issuesOf(() => parseCompareQuery({}))).toEqual([
      { parameter: 'a', rule: 'required' },
      { parameter: 'b', rule: 'required' },
    ]);
    expect(issuesOf(() => parseCompareQuery({ a: 'x', b: 'x' }))).toEqual([{ parameter: 'b', rule: 'range' }]);
  });

  it('bounds the run list', () => {
    expect(parseRunsQuery({})).toEqual({ limit: 50 });
    expect(issuesOf(() => parseRunsQuery({ limit: '201' }))).toEqual([{ parameter: 'limit', rule: 'range' }]);
  });

  it('resumes a stream from Last-Event-ID unless the query says since', () => {
    expect(parseStreamQuery('run-1', {}, '12')).toEqual({ runId: 'run-1', since: 12 });
    expect(parseStreamQuery('run-1', { since: '3' }, '12')).toEqual({ runId: 'run-1', since: 3 });
    expect(parseStreamQuery('run-1', {}, undefined)).toEqual({ runId: 'run-1', since: undefined });
    expect(issuesOf(() => parseStreamQuery('run-1', {}, 'garbage'))).toEqual([{ parameter: 'since', rule: 'integer' }]);
  });

  it('picks a step that keeps a series within its points', () => {
    expect(stepFor(undefined, 1440)).toBe(1);
    expect(stepFor(undefined, 2520)).toBe(2);
    expect(stepFor(undefined, 0)).toBe(1);
    expect(stepFor(7, 2520)).toBe(7);
  });
});
