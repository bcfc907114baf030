// The threshold verdicts of a run as `duet run` prints them.
import { KPI_BY_NAME } from '../thresholds/kpi-registry';
import type { ThresholdResult } from '../thresholds/threshold';
import { textTable } from './console-table';
import { formatKpiValue } from './kpi-format';

export function thresholdTableLines(results: readonly ThresholdResult[]): string[] {
  if (results.length === 0) return ['thresholds   none set'];
  const failed = results.filter((result) => !result.passed).length;
  const rows = results.map((result) => [
    result.passed ? 'pass' : 'FAIL',
    result.kpi,
    result.expression,
    formatKpiValue(KPI_BY_NAME.get(result.kpi)?.unit ?? 'count', result.value),
  ]);
  return [
    `thresholds   ${results.length - failed} of ${results.length} pass${failed > 0 ? `; ${failed} FAILED` : ''}`,
    ...textTable(['', 'KPI', 'threshold', 'value'], rows, 3).map((line) => `  ${line}`),
  ];
}
