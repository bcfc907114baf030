// Opaque page tokens (AMAPI's nextPageToken): base64url of the position after the page's last row,
// so a listing resumes by key, never by offset, and rows stored meanwhile do not shift pages.
import { hasControlCharacter } from '@duet/service-kit';
import { RequestError } from './request-error';

const MAX_PAGE_TOKEN_LENGTH = 1024; // characters; the tokens this service makes are far shorter

export function encodePageToken(position: readonly (string | number)[]): string {
  return Buffer.from(JSON.stringify(position), 'utf8').toString('base64url');
}

/** The position a token encodes, checked against the kinds expected; undefined for the first page. */
export function decodePageToken<const Kinds extends readonly ('string' | 'number')[]>(
  token: string,
  kinds: Kinds,
  path = 'page_token',
): { [K in keyof Kinds]: Kinds[K] extends 'string' ? string : number } | undefined {
  if (token === '') return undefined;
  let position: unknown;
  try {
    position = token.length > MAX_PAGE_TOKEN_LENGTH ? undefined : JSON.parse(Buffer.from(token, 'base64url').toString('utf8'));
  } catch {
    position = undefined;
  }
  const valid =
    Array.isArray(position) &&
    position.length === kinds.length &&
    position.every((value, index) => typeof value === kinds[index] && !(typeof value === 'string' && hasControlCharacter(value)));
  if (!valid) throw RequestError.invalid('page request', path, 'page-token', 'is not a next_page_token this listing returned');
  return position as { [K in keyof Kinds]: Kinds[K] extends 'string' ? string : number };
}

/** Page size from a request: 0 = the default, anything above the maximum is clamped. */
export function pageSize(requested: number, fallback: number, maximum: number): number {
  return requested === 0 ? fallback : Math.min(requested, maximum);
}
