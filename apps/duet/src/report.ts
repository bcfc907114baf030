import type { RunSummary, ValidationError } from '@duet/sim-core';
import type { Output } from './output';

export function printSummary(output: Output, summary: RunSummary): void {
  const k = summary.kpis;
  const simulatedHours = (summary.ticks * summary.tickSeconds) / 3600;
  output.line(`handsets     ${summary.handsets.toLocaleString('en-US')} over ${summary.shards} shard(s), seed ${summary.seed}`);
  output.line(`ticks        ${summary.ticks} (${simulatedHours.toFixed(1)} simulated hours)`);
  output.line(
    `compliance   ${(k.complianceRate * 100).toFixed(2)} % of ${k.enrolled.toLocaleString('en-US')} enrolled; ${k.enforcementActions} enforcement actions`,
  );
  output.line(`battery      mean ${k.batteryMeanPercent.toFixed(1)} %; ${k.batteryEmptyHandsets} handsets ran flat`);
  output.line(
    `sessions     ${k.sessions.toLocaleString('en-US')} (${(k.degradedSessionRate * 100).toFixed(2)} % degraded, ${k.blockedSessions} blocked by policy)`,
  );
  output.line(
    `flows        ${k.flowsAllowed.toLocaleString('en-US')} allowed, ${k.flowsBlocked.toLocaleString('en-US')} blocked; ${k.businessItemsInPersonal} business items reached personal`,
  );
  const { cost, totals } = summary;
  const t = totals;
  const mah = (micro: number) => `${(micro / 1000).toLocaleString('en-US', { maximumFractionDigits: 1 })} mAh`;
  const mb = (kilo: number) => `${(kilo / 1000).toLocaleString('en-US', { maximumFractionDigits: 1 })} MB`;
  output.line(
    `cost         personal ${mah(cost.personal.energyMicroAh)}, ${mb(cost.personal.dataKilobytes)}; business ${mah(cost.business.energyMicroAh)}, ${mb(cost.business.dataKilobytes)} (all ${mb(cost.dataBilledToHostKilobytes)} billed to the host)`,
  );
  output.line(
    `leaks        copy ${totals.leaksCopyWorkToPersonal}, share ${totals.leaksShareWorkToPersonal}, work contacts ${totals.leaksWorkContactLookup}, screenshots ${totals.leaksScreenCaptureWorkToPersonal}; ${summary.leakLedger.length} ledger row(s) by flow and policy revision`,
  );
  output.line(
    `check-ins    ${k.checkIns.toLocaleString('en-US')} (${t.checkInsUnreachable.toLocaleString('en-US')} failed); ${t.enrollmentFailures.toLocaleString('en-US')} enrollments failed; ${k.policiesApplied} policies applied; ${k.commandsExecuted} commands`,
  );
  output.line(`digest       ${summary.digest}`);
}

export function printValidationError(output: Output, error: ValidationError): void {
  output.error(`duet: ${error.message.split(':')[0]}:`);
  for (const issue of error.issues) output.error(`  ${issue.path || '(root)'}: ${issue.message} [${issue.rule}]`);
}
