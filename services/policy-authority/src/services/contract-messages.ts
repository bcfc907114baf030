// Stored rows → the generated contract messages every transport returns (gRPC, HTTP through
// toJSON, and the embedded mode, which calls the services directly).
import { policy } from '@duet/contracts';
import { describeNonCompliance } from '@duet/sim-core';
import type { PolicyDocument } from '../domain/policy-document';
import type { StoredCommand } from '../repositories/command.repository';
import type { ComplianceRow } from '../repositories/compliance.repository';

export function toPolicyMessage(document: PolicyDocument): policy.Policy {
  return policy.Policy.fromJSON(document);
}

export function toCommandMessage(command: StoredCommand): policy.Command {
  return { commandId: command.commandId, runId: command.runId, handsetId: command.handsetId, type: command.type, tick: command.tick, shard: command.shard };
}

/** AMAPI NonComplianceDetail JSON of a sim-core reason mask, as stored with compliance records. */
export function nonComplianceJson(mask: number): { settingName: string; nonComplianceReason: string }[] {
  return describeNonCompliance(mask).map((detail) => ({ settingName: detail.settingName, nonComplianceReason: detail.nonComplianceReason }));
}

export function toComplianceRecord(runId: string, row: ComplianceRow): policy.ComplianceRecord {
  return {
    runId,
    handsetId: row.handsetId,
    group: row.group,
    policyName: row.policyName ?? '',
    policyVersion: row.policyVersion ?? 0,
    compliant: row.complianceMask === 0,
    nonComplianceDetails: nonComplianceJson(row.complianceMask).map((detail) => policy.NonComplianceDetail.fromJSON(detail)),
    tick: row.tick,
    revision: row.revision,
    complianceMask: row.complianceMask,
  };
}
