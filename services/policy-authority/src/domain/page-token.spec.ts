import { describe, expect, it } from 'vitest';
import { decodePageToken, encodePageToken, pageSize } from './page-token';
import { RequestError } from './request-error';

describe('page tokens', () => {
  it('round-trip the position after a page', () => {
    expect(decodePageToken(encodePageToken([17, 240]), ['number', 'number'] as const)).toEqual([17, 240]);
    expect(decodePageToken(encodePageToken(['policies/a']), ['string'] as const)).toEqual(['policies/a']);
    expect(decodePageToken('', ['number'] as const)).toBeUndefined();
  });

  it('refuse a token this listing did not return, naming page_token', () => {
    for (const token of ['not-base64-json', encodePageToken(['policies/a']), encodePageToken([1, 2, 3])]) {
      let caught: unknown;
      try {
        decodePageToken(token, ['number'] as const);
      } catch (error) {
        caught = error;
      }
      expect(caught).toBeInstanceOf(RequestError);
      expect((caught as RequestError).issues[0]).toMatchObject({ path: 'page_token', rule: 'page-token' });
    }
  });

  it('use the default for 0 and clamp to the maximum', () => {
    expect(pageSize(0, 100, 1000)).toBe(100);
    expect(pageSize(5_000, 100, 1000)).toBe(1000);
    expect(pageSize(7, 100, 1000)).toBe(7);
  });
});
