// How a KPI value reads in a table, by its unit (thresholds/kpi-registry.ts).
import type { KpiUnit } from '../thresholds/kpi-registry';

const INTEGER = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 });
const TWO_DIGITS = new Intl.NumberFormat('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 });

/**
 * A value in its unit; `—` for none (a series KPI of a run known only by its summary, a share never
 * reached). `compact` writes ratios as percentages only, for tables with many columns.
 */
export function formatKpiValue(unit: KpiUnit, value: number | null | undefined, compact = false): string {
  if (value === null || value === undefined) return '—';
  switch (unit) {
    case 'ratio':
      return compact ? `${TWO_DIGITS.format(value * 100)} %` : `${value.toFixed(4)} (${TWO_DIGITS.format(value * 100)} %)`;
    case 'percent':
      return `${TWO_DIGITS.format(value)} %`;
    case 'handsets':
    case 'count':
      return INTEGER.format(value);
    case 'minutes':
      return `${formatNumber(value)} min`;
    case 'per-minute':
      return `${formatNumber(value)}/min`;
    case 'milliseconds':
      return `${formatNumber(value)} ms`;
    case 'mAh':
    case 'MB':
      return `${formatNumber(value)} ${unit}`;
  }
}

/**
 * A signed difference B − A in the KPI's unit (percentage points for ratios and percents), with the
 * relative change when A is not zero.
 */
export function formatDelta(unit: KpiUnit, a: number | null, b: number | null): { delta: string; relative: string } {
  if (a === null || b === null) return { delta: '—', relative: '—' };
  const difference = b - a;
  const sign = difference > 0 ? '+' : difference < 0 ? '−' : '±';
  const magnitude = Math.abs(difference);
  const delta =
    unit === 'ratio'
      ? `${sign}${TWO_DIGITS.format(magnitude * 100)} pp`
      : unit === 'percent'
        ? `${sign}${TWO_DIGITS.format(magnitude)} pp`
        : unit === 'handsets' || unit === 'count'
          ? `${sign}${INTEGER.format(magnitude)}`
          : `${sign}${formatNumber(magnitude)}${UNIT_SUFFIX[unit]}`;
  const relative = difference === 0 ? '±0.00 %' : a === 0 ? '—' : `${sign}${TWO_DIGITS.format(Math.abs(difference / a) * 100)} %`;
  return { delta, relative };
}

const UNIT_SUFFIX: Record<'minutes' | 'per-minute' | 'milliseconds' | 'mAh' | 'MB', string> = {
  minutes: ' min',
  'per-minute': '/min',
  milliseconds: ' ms',
  mAh: ' mAh',
  MB: ' MB',
};

export function formatNumber(value: number): string {
  return Number.isInteger(value) ? INTEGER.format(value) : TWO_DIGITS.format(value);
}

export function formatInteger(value: number): string {
  return INTEGER.format(value);
}
