// Two runs side by side: every KPI with its difference, and every threshold judged on both, with
// the ones whose verdict flips. A pure function of the two runs, so a comparison is deterministic.
import { KPI_BY_NAME, KPI_REGISTRY, type KpiUnit } from '../thresholds/kpi-registry';
import { evaluateThresholds, type ThresholdSpec } from '../thresholds/threshold';
import type { ComparedRun } from './compared-run';
import { partingOf, type RunParting } from './run-parting';

export interface KpiComparison {
  readonly kpi: string;
  readonly unit: KpiUnit;
  readonly a: number | null;
  readonly b: number | null;
  /** b − a; null when either is missing. */
  readonly delta: number | null;
}

/** A verdict: true pass, false fail, null when the run has no measurement to judge by. */
export type Verdict = boolean | null;

export interface ThresholdComparison {
  readonly kpi: string;
  readonly expression: string;
  readonly a: { readonly value: number | null; readonly passed: Verdict };
  readonly b: { readonly value: number | null; readonly passed: Verdict };
  /** Both judged and the verdicts differ. */
  readonly flipped: boolean;
  /** Passed in A and fails in B. */
  readonly regressed: boolean;
}

/** One line of the "cost of a policy" table: what one persona cost in A and in B. */
export interface CostComparison extends KpiComparison {
  readonly persona: 'personal' | 'business';
  readonly measure: 'energy' | 'data' | 'degraded sessions';
}

export interface RunComparison {
  readonly kpis: readonly KpiComparison[];
  /** Energy, data and degraded sessions by persona, B against A (a subset of `kpis`, by persona). */
  readonly costOfPolicy: readonly CostComparison[];
  readonly thresholds: readonly ThresholdComparison[];
  /** Where the runs' series part; undefined when either has none. */
  readonly parting?: RunParting;
}

/**
 * Compares B against A. Thresholds: `spec` when given (a scenario's), otherwise those either run
 * was judged by, A's first; each is judged anew on both runs' values.
 */
export function compareRuns(a: ComparedRun, b: ComparedRun, spec?: ThresholdSpec): RunComparison {
  // Load KPIs (wall-time figures of the policy calls) only where either run has them.
  const compared = (kpi: (typeof KPI_REGISTRY)[number]) =>
    kpi.source === 'load' ? kpi.name in a.kpis || kpi.name in b.kpis : kpi.source === 'summary' || a.measured || b.measured;
  const kpis = KPI_REGISTRY.filter(compared).map((kpi): KpiComparison => {
    const valueA = a.kpis[kpi.name] ?? null;
    const valueB = b.kpis[kpi.name] ?? null;
    return { kpi: kpi.name, unit: kpi.unit, a: valueA, b: valueB, delta: valueA === null || valueB === null ? null : round(valueB - valueA) };
  });
  const costOfPolicy = (['personal', 'business'] as const).flatMap((persona) =>
    COST_MEASURES.map(({ measure, kpi }): CostComparison => ({ persona, measure, ...kpis.find((row) => row.kpi === kpi(persona))! })),
  );
  const pairs: Record<string, string[]> = {};
  const add = (kpi: string, expression: string) => {
    const list = (pairs[kpi] ??= []);
    if (!list.includes(expression)) list.push(expression);
  };
  if (spec !== undefined) for (const [kpi, expressions] of Object.entries(spec)) for (const expression of expressions ?? []) add(kpi, expression.trim());
  else for (const threshold of [...a.thresholds, ...b.thresholds]) add(threshold.kpi, threshold.expression);
  const judged = (run: ComparedRun) => {
    const results = evaluateThresholds(pairs, run.kpis, run.handsets);
    return results.map((result) => ({
      value: result.value,
      passed: !run.measured && KPI_BY_NAME.get(result.kpi)?.source === 'series' ? null : result.passed,
    }));
  };
  const onA = judged(a);
  const onB = judged(b);
  const thresholds = Object.entries(pairs)
    .flatMap(([kpi, expressions]) => expressions.map((expression) => ({ kpi, expression })))
    .map((threshold, i): ThresholdComparison => {
      const flipped = onA[i].passed !== null && onB[i].passed !== null && onA[i].passed !== onB[i].passed;
      return { ...threshold, a: onA[i], b: onB[i], flipped, regressed: flipped && onA[i].passed === true };
    });
  return { kpis, costOfPolicy, thresholds, parting: partingOf(a, b) };
}

// The registry KPIs the cost table lines up (thresholds/kpi-registry.ts), per persona.
const COST_MEASURES = [
  { measure: 'energy', kpi: (persona: string) => `energy_${persona}_mah` },
  { measure: 'data', kpi: (persona: string) => `data_${persona}_mb` },
  { measure: 'degraded sessions', kpi: (persona: string) => `degraded_sessions_${persona}` },
] as const;

// Differences of rounded figures: keep them free of binary noise (0.1 − 0.3 = −0.19999999999999998).
function round(value: number): number {
  return Math.round(value * 1e9) / 1e9;
}
