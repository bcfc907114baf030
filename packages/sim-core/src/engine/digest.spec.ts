import { describe, expect, it } from 'vitest';
import { DigestBuilder } from './digest';

describe('DigestBuilder', () => {
  it('gives the same 64-digit hex for the same inputs', () => {
    const sut = new DigestBuilder().integer(1).integer(-2).column([3, 4]).text('duet');
    const again = new DigestBuilder().integer(1).integer(-2).column([3, 4]).text('duet');
    const hex = sut.hex();
    expect(hex).toMatch(/^[0-9a-f]{64}$/);
    expect(again.hex()).toBe(hex);
  });

  it('gives a different digest when the order of the inputs changes', () => {
    expect(new DigestBuilder().integer(1).integer(2).hex()).not.toBe(new DigestBuilder().integer(2).integer(1).hex());
    expect(new DigestBuilder().column([1, 2, 3]).hex()).not.toBe(new DigestBuilder().column([3, 2, 1]).hex());
  });

  it('gives a different digest for a different value', () => {
    expect(new DigestBuilder().integer(1).hex()).not.toBe(new DigestBuilder().integer(2).hex());
    expect(new DigestBuilder().integer(0).hex()).not.toBe(new DigestBuilder().hex());
  });

  it('encodes a column exactly as the same integers added one by one, whatever the array type', () => {
    const expected = new DigestBuilder().integer(7).integer(65535).integer(0).hex();
    expect(new DigestBuilder().column([7, 65535, 0]).hex()).toBe(expected);
    expect(new DigestBuilder().column(new Uint16Array([7, 65535, 0])).hex()).toBe(expected);
    expect(new DigestBuilder().column(new Float64Array([7, 65535, 0])).hex()).toBe(expected);
  });

  it('prefixes text with its length so boundaries between strings matter', () => {
    expect(new DigestBuilder().text('ab').text('c').hex()).not.toBe(new DigestBuilder().text('a').text('bc').hex());
  });

  it('continues a copy independently of the original', () => {
    const sut = new DigestBuilder().integer(1);
    const copy = sut.copy();
    copy.integer(2);
    sut.integer(3);
    expect(copy.hex()).toBe(new DigestBuilder().integer(1).integer(2).hex());
    expect(sut.hex()).toBe(new DigestBuilder().integer(1).integer(3).hex());
  });

  it.each([1.5, Number.NaN, Number.POSITIVE_INFINITY, 2 ** 53])('rejects %s as an integer', (value) => {
    expect(() => new DigestBuilder().integer(value)).toThrow(RangeError);
  });

  it('rejects a column holding a non-integer and names its position', () => {
    expect(() => new DigestBuilder().column([1, 2, 0.25])).toThrow(/at 2/);
  });
});
