// Callers' values in error messages. A refusal repeats what was wrong so the caller can find it,
// but a reply's message travels in gRPC trailers (16 KB by default): a 1 MB value echoed whole
// would make the reply itself fail, as RESOURCE_EXHAUSTED instead of the refusal.

const MAX_QUOTED_LENGTH = 64; // characters of a caller's value shown in a message

/** A caller's value for a message: quoted, at most 64 characters (and its length when cut), control characters escaped. */
export function quoted(value: string): string {
  const shown = value.length > MAX_QUOTED_LENGTH ? `${value.slice(0, MAX_QUOTED_LENGTH)}… (${value.length} characters)` : value;
  return JSON.stringify(shown);
}
