import { describe, expect, it } from 'vitest';
import { columnsOf, decodeCheckpointState, encodeCheckpointState, restoreColumns } from './checkpoint.codec';

class Shard {
  readonly battery = new Int32Array([1, -2, 3]);
  readonly state = new Uint8Array([7, 8, 9]);
  readonly consumed = new Float64Array([0.5, 1e12, -3]);
  readonly label = 'not a column';
}

describe('checkpoint codec', () => {
  it('gives back every column, number and string list it was given', () => {
    const state = { ...columnsOf('shard', new Shard()), nextTick: 120, credentials: ['a', 'é', ''] };
    const decoded = decodeCheckpointState(encodeCheckpointState(state));
    expect(decoded.nextTick).toBe(120);
    expect(decoded.credentials).toEqual(['a', 'é', '']);
    expect(Object.keys(decoded).sort()).toEqual(['credentials', 'nextTick', 'shard.battery', 'shard.consumed', 'shard.state']);
    const sut = new Shard();
    sut.battery.fill(0);
    sut.consumed.fill(0);
    restoreColumns('shard', sut, decoded);
    expect([...sut.battery, ...sut.state, ...sut.consumed]).toEqual([1, -2, 3, 7, 8, 9, 0.5, 1e12, -3]);
  });

  it("refuses a checkpoint of another shard's size, or one that lacks a column, naming the column", () => {
    const other = { ...columnsOf('shard', new Shard()), 'shard.battery': new Int32Array(4) };
    expect(() => restoreColumns('shard', new Shard(), decodeCheckpointState(encodeCheckpointState(other)))).toThrow(/shard\.battery has 4/);
    const lacking = columnsOf('shard', new Shard());
    delete lacking['shard.state'];
    expect(() => restoreColumns('shard', new Shard(), lacking)).toThrow(/lacks column shard\.state/);
  });
});
