// Simulated durations in scenario files: "90s", "15m", "2h", "1d", or a bare number of ticks.

const UNIT_SECONDS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86400 };
export const DURATION_PATTERN = /^(\d+(?:\.\d+)?)(s|m|h|d)$/;

/** Seconds of a duration string, or undefined when it is not one. */
export function durationSeconds(value: string): number | undefined {
  const match = DURATION_PATTERN.exec(value.trim());
  return match ? Number(match[1]) * UNIT_SECONDS[match[2]] : undefined;
}

/** Ticks of a tick count or a duration, rounded down. */
export function toTicks(value: number | string, tickSeconds: number): number {
  return typeof value === 'number' ? value : Math.floor(durationSeconds(value)! / tickSeconds);
}
