import { describe, expect, it } from 'vitest';
import { SweepParameterError, parseSweepParameters, sweepCombinations } from './sweep-grid';

describe('sweep grid', () => {
  it('numbers every combination with the last parameter varying fastest', () => {
    const sut = sweepCombinations(parseSweepParameters(['fleet.handsets=100,200', 'seed=1,2,3']));
    expect(sut.map((combination) => combination.label)).toEqual([
      'fleet.handsets=100, seed=1',
      'fleet.handsets=100, seed=2',
      'fleet.handsets=100, seed=3',
      'fleet.handsets=200, seed=1',
      'fleet.handsets=200, seed=2',
      'fleet.handsets=200, seed=3',
    ]);
    expect(sut[4]).toMatchObject({ index: 4, parameters: { 'fleet.handsets': '200', seed: '2' }, overrides: ['fleet.handsets=200', 'seed=2'] });
  });

  it('keeps commas inside brackets, braces and quotes in one value', () => {
    const [parameter] = parseSweepParameters(['policies.1.groups=[sales,field],[engineering],"a,b"']);
    expect(parameter.values).toEqual(['[sales,field]', '[engineering]', '"a,b"']);
  });

  it('reports every malformed parameter at once', () => {
    let error: SweepParameterError | undefined;
    try {
      parseSweepParameters(['no-equals', 'seed=1,,2', 'fleet.handsets=1', 'fleet.handsets=2']);
    } catch (caught) {
      error = caught as SweepParameterError;
    }
    expect(error).toBeInstanceOf(SweepParameterError);
    expect(error!.problems).toHaveLength(3);
    expect(error!.problems.join('\n')).toMatch(/no-equals: must be path=v1,v2/);
    expect(error!.problems.join('\n')).toMatch(/a value is empty/);
    expect(error!.problems.join('\n')).toMatch(/fleet.handsets is swept twice/);
  });
});
