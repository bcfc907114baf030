// k6-style thresholds: in a scenario, `thresholds: { compliance_rate: ['> 0.95'], battery_empty_handsets: ['< 1%'] }`.
// An expression is `<operator> <number>[%]`; a KPI may carry several, and every one must hold.
import { KPI_BY_NAME, type KpiDefinition } from './kpi-registry';

export const THRESHOLD_PATTERN = /^\s*(<=|>=|==|!=|<|>)\s*(-?\d+(?:\.\d+)?)\s*(%?)\s*$/;
export const THRESHOLD_SYNTAX = 'must be "<operator> <number>" or "<operator> <number>%", operator one of < <= > >= == !=, e.g. "> 0.95" or "< 1%"';

type Operator = '<' | '<=' | '>' | '>=' | '==' | '!=';

export interface ThresholdExpression {
  readonly operator: Operator;
  readonly bound: number;
  readonly percent: boolean;
}

/** A threshold's outcome for one run, as `duet run --json` and reports carry it. */
export interface ThresholdResult {
  readonly kpi: string;
  readonly expression: string;
  /** The KPI's value in its own unit; null when the run has none (e.g. a share never reached). */
  readonly value: number | null;
  readonly passed: boolean;
}

/** KPI name → expressions, as the scenario's `thresholds` holds them. */
export type ThresholdSpec = Readonly<Record<string, readonly string[] | undefined>>;

export function parseThresholdExpression(expression: string): ThresholdExpression | undefined {
  const match = THRESHOLD_PATTERN.exec(expression);
  return match ? { operator: match[1] as Operator, bound: Number(match[2]), percent: match[3] === '%' } : undefined;
}

/** Why an expression cannot apply to a KPI, or undefined when it can. */
export function expressionProblem(kpi: KpiDefinition, expression: string): string | undefined {
  const parsed = parseThresholdExpression(expression);
  if (parsed === undefined) return THRESHOLD_SYNTAX;
  if (parsed.percent && !(kpi.unit === 'ratio' || kpi.unit === 'percent' || kpi.unit === 'handsets'))
    return `a % bound needs a KPI measured as a ratio, a percent or in handsets; ${kpi.name} is in ${kpi.unit}`;
  return undefined;
}

/**
 * Evaluates every threshold against a run's KPI values, in the scenario's order. `handsets` is the
 * fleet size, the whole that a `%` bound on a handset count refers to.
 */
export function evaluateThresholds(spec: ThresholdSpec, values: Readonly<Record<string, number | null>>, handsets: number): ThresholdResult[] {
  const results: ThresholdResult[] = [];
  for (const [name, expressions] of Object.entries(spec)) {
    const kpi = KPI_BY_NAME.get(name);
    for (const expression of expressions ?? []) {
      const value = values[name] ?? null;
      const parsed = parseThresholdExpression(expression);
      if (kpi === undefined || parsed === undefined) throw new RangeError(`threshold ${name}: ${expression} was not validated`);
      results.push({ kpi: name, expression: expression.trim(), value, passed: value !== null && holds(parsed, comparable(kpi, parsed, value, handsets)) });
    }
  }
  return results;
}

/** The value on the scale the bound is written in: a percentage when the bound has `%`. */
export function comparable(kpi: KpiDefinition, expression: ThresholdExpression, value: number, handsets: number): number {
  if (!expression.percent || kpi.unit === 'percent') return value;
  const percent = kpi.unit === 'ratio' ? value * 100 : (value / handsets) * 100;
  return Math.round(percent * 1e9) / 1e9; // so 0.95 is 95 %, not 95.00000000000001 %
}

function holds(expression: ThresholdExpression, value: number): boolean {
  const bound = expression.bound;
  switch (expression.operator) {
    case '<':
      return value < bound;
    case '<=':
      return value <= bound;
    case '>':
      return value > bound;
    case '>=':
      return value >= bound;
    case '==':
      return value === bound;
    case '!=':
      return value !== bound;
  }
}

export function allPassed(results: readonly ThresholdResult[]): boolean {
  return results.every((result) => result.passed);
}
