// What an id a caller or a message names may hold, for every service alike: a run id that one
// service stores must pass every other service's check, from Kafka or from an API.

/** Longest run id (or other id) a message or a request may carry, in characters. */
export const MAX_ID_LENGTH = 128;

/** Control characters (NUL among them, which PostgreSQL text refuses) have no place in an id or a name. */
export function hasControlCharacter(value: string): boolean {
  for (let i = 0; i < value.length; i++) {
    const code = value.charCodeAt(i);
    if (code < 0x20 || code === 0x7f) return true;
  }
  return false;
}
