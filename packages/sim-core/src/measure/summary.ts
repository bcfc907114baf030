// The run summary: the same figures whether a run was simulated in one process or measured by
// the telemetry service from the services' parts.
import { KPI_NAMES, Kpi, type KpiName } from './tick-kpis';
import { ledgerEntries, type LeakLedgerColumns, type LeakLedgerEntry } from '../model/leak-ledger';

/** What one persona cost over a run (model/persona-cost.ts). */
export interface PersonaCost {
  /** Battery drain this world caused. */
  readonly energyMicroAh: number;
  /** Radio traffic this world sent and received. */
  readonly dataKilobytes: number;
  /** Sessions of this world degraded by a CPU or memory grant below their demand. */
  readonly degradedSessions: number;
}

export interface RunSummary {
  readonly handsets: number;
  readonly ticks: number;
  readonly shards: number;
  readonly seed: number;
  readonly tickSeconds: number;
  readonly digest: string;
  readonly kpis: {
    readonly complianceRate: number;
    readonly enrolled: number;
    readonly batteryMeanPercent: number;
    readonly batteryEmptyHandsets: number;
    readonly guestRunning: number;
    readonly sessions: number;
    readonly degradedSessionRate: number;
    readonly blockedSessions: number;
    readonly flowsAllowed: number;
    readonly flowsBlocked: number;
    readonly businessItemsInPersonal: number;
    readonly checkIns: number;
    readonly policiesApplied: number;
    readonly enforcementActions: number;
    readonly commandsExecuted: number;
  };
  /** Energy, data and degraded sessions by persona (docs/design.md#the-domain). */
  readonly cost: {
    readonly personal: PersonaCost;
    readonly business: PersonaCost;
    /** Data as the platform billed it to the host: its own and the guest's, counted against the MVP app. */
    readonly dataBilledToHostKilobytes: number;
  };
  /** Business items that reached the personal persona, by flow and the policy revision that let them through. */
  readonly leakLedger: readonly LeakLedgerEntry[];
  /** Counters summed over the run (events). */
  readonly totals: Readonly<Record<KpiName, number>>;
}
export interface SummaryInputs {
  readonly handsets: number;
  readonly ticks: number;
  readonly shards: number;
  readonly seed: number;
  readonly tickSeconds: number;
  /** Every KPI summed over the ticks done. */
  readonly totals: ArrayLike<number>;
  /** The last tick's KPIs (gauges at the end). */
  readonly last: ArrayLike<number>;
  /** Final per-handset state columns indexed by handset id. */
  readonly finalState: Readonly<Record<string, ArrayLike<number>>>;
  readonly digest: string;
  /** The data-leak ledger, every shard's merged (model/leak-ledger.ts mergeLedger). */
  readonly ledger: LeakLedgerColumns;
}

export function summarizeRun(inputs: SummaryInputs): RunSummary {
  const totals = Object.fromEntries(KPI_NAMES.map((name, k) => [name, inputs.totals[k]])) as Record<KpiName, number>;
  const last = inputs.last;
  let emptyHandsets = 0;
  let personalItems = 0;
  const emptyCount = inputs.finalState.emptyCount;
  const personalBusinessItems = inputs.finalState.personalBusinessItems;
  for (let id = 0; id < inputs.handsets; id++) {
    if (emptyCount[id] > 0) emptyHandsets++;
    personalItems += personalBusinessItems[id];
  }
  const enrolled = last[Kpi.enrolled];
  // The run as its inputs name it, then what was measured.
  const { handsets, ticks, shards, seed, tickSeconds, digest } = inputs;
  const run = { handsets, ticks, shards, seed, tickSeconds, digest };
  return {
    ...run,
    kpis: {
      complianceRate: enrolled === 0 ? 0 : round(last[Kpi.compliant] / enrolled, 4),
      enrolled,
      batteryMeanPercent: round(last[Kpi.batteryPermilleSum] / inputs.handsets / 10, 2),
      batteryEmptyHandsets: emptyHandsets,
      guestRunning: last[Kpi.guestRunning],
      sessions: totals.sessionsStarted,
      degradedSessionRate: totals.sessionsStarted === 0 ? 0 : round(totals.sessionsDegraded / totals.sessionsStarted, 4),
      blockedSessions: totals.sessionsBlocked,
      flowsAllowed: totals.flowsAllowed,
      flowsBlocked: totals.flowsBlocked,
      businessItemsInPersonal: personalItems,
      checkIns: totals.checkIns,
      policiesApplied: totals.policiesApplied,
      enforcementActions: totals.enforcementActions,
      commandsExecuted: totals.commandsExecuted,
    },
    cost: {
      personal: { energyMicroAh: totals.energyPersonalMicroAh, dataKilobytes: totals.dataPersonalKilobytes, degradedSessions: totals.sessionsDegradedPersonal },
      business: { energyMicroAh: totals.energyBusinessMicroAh, dataKilobytes: totals.dataBusinessKilobytes, degradedSessions: totals.sessionsDegradedBusiness },
      dataBilledToHostKilobytes: totals.dataPersonalKilobytes + totals.dataBusinessKilobytes,
    },
    leakLedger: ledgerEntries(inputs.ledger),
    totals,
  };
}

function round(value: number, digits: number): number {
  const scale = 10 ** digits;
  return Math.round(value * scale) / scale;
}
