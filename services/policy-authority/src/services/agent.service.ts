import { Injectable } from '@nestjs/common';
import { policy } from '@duet/contracts';
import { Observable, filter, map } from 'rxjs';
import {
  checkBattery,
  checkBatteryColumn,
  checkColumns,
  checkComplianceMask,
  checkComplianceMaskColumn,
  checkName,
  checkRevisionColumn,
  checkRunId,
  checkUniqueHandsets,
} from '../domain/columnar-batch';
import { checkInBatchDigest } from '../domain/batch-digest';
import { DeviceCredentials } from '../domain/device-credential';
import { IssueList, notEnrolledMessage, RequestError } from '../domain/request-error';
import type { RevisionTimeline } from '../domain/revision-timeline';
import { DeviceRepository } from '../repositories/device.repository';
import { PublicationRepository } from '../repositories/publication.repository';
import { type DeviceReport, ShardCheckInRepository } from '../repositories/shard-check-in.repository';
import { DeviceGroupCache } from './device-group.cache';
import { CheckInGroupCommit } from './check-in.group-commit';
import { EnrollmentGroupCommit } from './enrollment.group-commit';
import { nonComplianceJson, toPolicyMessage } from './contract-messages';
import { EnrollmentTokenService } from './enrollment-token.service';
import { PublicationService } from './publication.service';
import { RevisionTimelineCache } from './revision-timeline.cache';
import { RevisionPolicyCache } from './revision-policy.cache';
import { ShardReportCache } from './shard-report.cache';

/**
 * The agent-facing application service (PolicyService): enrollment, check-ins and policy-change
 * notices. The gRPC controller and the embedded mode call the same methods with the same messages.
 */
@Injectable()
export class AgentService {
  constructor(
    private readonly credentials: DeviceCredentials,
    private readonly enrollmentTokens: EnrollmentTokenService,
    private readonly publicationService: PublicationService,
    private readonly timelines: RevisionTimelineCache,
    private readonly deviceGroups: DeviceGroupCache,
    private readonly devices: DeviceRepository,
    private readonly shardCheckIns: ShardCheckInRepository,
    private readonly shardReports: ShardReportCache,
    private readonly publications: PublicationRepository,
    private readonly revisionPolicies: RevisionPolicyCache,
    private readonly checkIns: CheckInGroupCommit,
    private readonly enrollments: EnrollmentGroupCommit,
  ) {}

  /**
   * Enrolls the handsets of one shard at one tick; answers their credentials and assigned revisions.
   * Enrolling a handset again (a re-provisioned business world) moves it and answers its credential,
   * so it takes `reEnrollAllowed`: the gRPC controller grants it to the admin and to persona-runtime;
   * the embedded mode, the application itself, calls with the default.
   */
  async enrollBatch(request: policy.EnrollBatchRequest, reEnrollAllowed = true): Promise<policy.EnrollBatchResponse> {
    const subject = 'EnrollBatchRequest';
    const issues = new IssueList();
    checkRunId(issues, request.runId);
    if (checkColumns(issues, request.handsetIds, { groups: request.groups, models: request.models })) {
      checkUniqueHandsets(issues, request.handsetIds);
      request.models.forEach((model, row) => checkName(issues, `models[${row}]`, model, true));
      request.groups.forEach((group, row) => checkName(issues, `groups[${row}]`, group, false));
    }
    issues.throwIfAny('invalid-argument', subject);
    const token = await this.enrollmentTokens.accept(request.runId, request.enrollmentToken, request.tick, subject);
    if (!reEnrollAllowed) await this.refuseReEnrollment(request.runId, request.handsetIds, (row) => `handset_ids[${row}]`, subject);
    const groups = request.groups.map((group, row) => this.groupOf(group, token.group, `groups[${row}]`, subject));

    await this.devices.enroll({
      runId: request.runId,
      shard: request.shard,
      tick: request.tick,
      handsetIds: request.handsetIds,
      groups,
      models: request.models,
    });
    this.deviceGroups.enrolled(request.runId, request.handsetIds, groups);
    const timeline = await this.currentTimeline(request.runId);
    return {
      deviceCredentials: request.handsetIds.map((id) => this.credentials.derive(request.runId, id)),
      assignedRevision: revisionsFor(timeline, groups, request.tick),
    };
  }

  /**
   * Stores the check-ins of one shard at one tick (all rows or none) and answers each handset's
   * assigned revision. A batch received again for the same shard and tick (a redelivery after a
   * lost response), or for an earlier tick whose batch was stored with the same rows (a shard
   * re-simulated after it moved to another instance), changes nothing and gets the same answer.
   */
  async checkInBatch(request: policy.CheckInBatchRequest): Promise<policy.CheckInBatchResponse> {
    const subject = 'CheckInBatchRequest';
    const { runId, shard, tick, handsetIds } = request;
    const issues = new IssueList();
    checkRunId(issues, runId);
    const columns = {
      device_credentials: request.deviceCredentials,
      applied_revision: request.appliedRevision,
      compliance_mask: request.complianceMask,
      battery_permille: request.batteryPermille,
    };
    if (checkColumns(issues, handsetIds, columns)) {
      checkUniqueHandsets(issues, handsetIds);
      checkComplianceMaskColumn(issues, 'compliance_mask', request.complianceMask);
      checkBatteryColumn(issues, 'battery_permille', request.batteryPermille);
    }
    issues.throwIfAny('invalid-argument', subject);
    await this.enrollmentTokens.checkRunTick(runId, tick, subject);
    // Enrollment first: an agent that never enrolled learns that, not only that its credential is wrong.
    const groups = await this.enrolledGroups(runId, handsetIds, subject);
    this.checkCredentials(runId, handsetIds, request.deviceCredentials, subject);

    const batchSha256 = checkInBatchDigest(request);
    let timeline = await this.timelines.timeline(runId);
    for (let attempt = 1; attempt <= STORE_ATTEMPTS; attempt++) {
      this.checkAppliedRevisions(request.appliedRevision, timeline.lastRevision, subject);
      const assignedRevision = revisionsFor(timeline, groups, tick);
      const before = await this.shardReports.reportsOf(runId, shard, handsetIds);
      const changes = changesOf(before.reports, request.appliedRevision, request.complianceMask);
      const detailsByMask: Record<number, unknown> = {};
      for (const row of changes.maskChangedRows) detailsByMask[request.complianceMask[row]] ??= nonComplianceJson(request.complianceMask[row]);
      const stored = await this.shardCheckIns.record({
        runId,
        shard,
        tick,
        batchSha256,
        assignedRevisions: assignedRevision,
        lastRevision: timeline.lastRevision,
        expected: before.version,
        handsetIds,
        appliedRevisions: request.appliedRevision,
        complianceMasks: request.complianceMask,
        batteryPermille: request.batteryPermille,
        ...changes,
        detailsByMask,
      });
      if (stored) {
        this.shardReports.stored(
          runId,
          shard,
          { tick, deviceWrites: before.version.deviceWrites },
          handsetIds,
          request.appliedRevision,
          request.complianceMask,
        );
        return { assignedRevision };
      }
      // Nothing was stored: the shard holds this tick or a later one, another instance stored a
      // batch or wrote a device row this one has not seen, or published a revision.
      const last = await this.shardCheckIns.last(runId, shard);
      if (last !== undefined && tick < last.tick) {
        // A shard taken over by another runtime instance re-simulates from its checkpoint: the
        // batch it sends again is the one stored, and its answer is a function of the timeline.
        const rows = {
          handsetIds,
          appliedRevisions: request.appliedRevision,
          complianceMasks: request.complianceMask,
          batteryPermille: request.batteryPermille,
        };
        if (await this.shardCheckIns.holdsBatch(runId, shard, tick, rows)) return { assignedRevision };
        throw tickOutOfOrder(subject, shard, tick, last.tick);
      }
      if (last !== undefined && tick === last.tick) {
        if (last.batchSha256.equals(batchSha256)) return { assignedRevision: [...last.assignedRevisions] };
        throw new RequestError('failed-precondition', subject, [
          { path: 'tick', rule: 'one-batch-per-tick', message: `shard ${shard} already checked in a different batch at tick ${tick}` },
        ]);
      }
      this.shardReports.forget(runId, shard);
      timeline = await this.currentTimeline(runId);
    }
    throw new Error(
      `CheckInBatch of run "${runId}" shard ${shard} tick ${tick}: the run kept publishing, or the shard's devices kept being written, while the batch was stored`,
    );
  }

  /**
   * Enrolls one handset (by group commit with the enrollments of its run and tick arriving at the
   * same time); answers its credential, group, assigned revision and that revision's policy (see
   * enrollBatch for `reEnrollAllowed`).
   */
  async enroll(request: policy.EnrollRequest, reEnrollAllowed = true): Promise<policy.EnrollResponse> {
    const subject = 'EnrollRequest';
    const issues = new IssueList();
    checkRunId(issues, request.runId);
    checkName(issues, 'model', request.model, true);
    checkName(issues, 'group', request.group, false);
    issues.throwIfAny('invalid-argument', subject);
    const token = await this.enrollmentTokens.accept(request.runId, request.enrollmentToken, request.tick, subject);
    if (!reEnrollAllowed) await this.refuseReEnrollment(request.runId, [request.handsetId], () => 'handset_id', subject);
    const group = this.groupOf(request.group, token.group, 'group', subject);

    const assignedRevision = await this.enrollments.submit({
      runId: request.runId,
      tick: request.tick,
      handsetId: request.handsetId,
      group,
      model: request.model,
    });
    return {
      credential: this.credentials.derive(request.runId, request.handsetId),
      group,
      policy: await this.revisionPolicies.policyOf(request.runId, assignedRevision),
      assignedRevision,
    };
  }

  /**
   * One agent's check-in: stored like a batch row (by group commit with the check-ins arriving at
   * the same time), acknowledges executed commands, and answers the assigned revision, its policy
   * when the agent holds another, and the commands due. A check-in at the handset's last tick again
   * (a redelivery) stores nothing new.
   */
  async checkIn(request: policy.CheckInRequest): Promise<policy.CheckInResponse> {
    const subject = 'CheckInRequest';
    const { runId } = request;
    const issues = new IssueList();
    checkRunId(issues, runId);
    checkComplianceMask(issues, 'compliance_mask', request.complianceMask);
    checkBattery(issues, 'battery_permille', request.batteryPermille);
    issues.throwIfAny('invalid-argument', subject);
    await this.enrollmentTokens.checkRunTick(runId, request.tick, subject);

    const answer = await this.checkIns.submit(request);
    const policyMessage =
      answer.assignedRevision === request.appliedRevision ? undefined : await this.revisionPolicies.policyOf(runId, answer.assignedRevision);
    return { policy: policyMessage, commands: answer.commands, assignedRevision: answer.assignedRevision };
  }

  /** Publications of the run (stored ones first, then live ones) for the groups asked, empty = every group. */
  streamPolicyChanges(request: policy.StreamPolicyChangesRequest): Observable<policy.StreamPolicyChangesResponse> {
    const wanted = new Set(request.groups);
    return this.publicationService.changes(request.runId).pipe(
      filter((publication) => wanted.size === 0 || publication.groups === undefined || publication.groups.some((group) => wanted.has(group))),
      map((publication) => ({
        policy: toPolicyMessage(publication.document),
        groups: publication.groups === undefined ? [] : [...publication.groups],
        effectiveTick: publication.effectiveTick,
        revision: publication.revision,
      })),
    );
  }

  // Group of each handset; INVALID_ARGUMENT naming every row whose handset is not enrolled.
  private async enrolledGroups(runId: string, handsetIds: readonly number[], subject: string): Promise<string[]> {
    const groups = await this.deviceGroups.groupsOf(runId, handsetIds);
    const issues = new IssueList();
    groups.forEach((group, row) => {
      if (group === undefined) issues.add(`handset_ids[${row}]`, 'enrolled', notEnrolledMessage(handsetIds[row], runId));
    });
    issues.throwIfAny('invalid-argument', subject);
    return groups as string[];
  }

  // PERMISSION_DENIED naming every row whose handset is enrolled already: the enrollment token of a
  // run is shared by all its handsets, so it alone must not move a handset or hand out its credential.
  private async refuseReEnrollment(runId: string, handsetIds: readonly number[], pathOf: (row: number) => string, subject: string): Promise<void> {
    const groups = await this.deviceGroups.groupsOf(runId, handsetIds);
    const issues = new IssueList();
    groups.forEach((group, row) => {
      if (group !== undefined) {
        issues.add(pathOf(row), 're-enroll', `handset ${handsetIds[row]} is enrolled already; enrolling it again takes the admin token`);
      }
    });
    issues.throwIfAny('permission-denied', subject);
  }

  private checkAppliedRevisions(appliedRevisions: readonly number[], lastRevision: number, subject: string): void {
    const issues = new IssueList();
    checkRevisionColumn(issues, (row) => `applied_revision[${row}]`, appliedRevisions, lastRevision);
    issues.throwIfAny('invalid-argument', subject);
  }

  private checkCredentials(runId: string, handsetIds: readonly number[], credentials: readonly string[], subject: string): void {
    const issues = new IssueList();
    for (const row of this.credentials.mismatchedRows(runId, handsetIds, credentials)) {
      issues.add(`device_credentials[${row}]`, 'credential', `is not the credential of handset_ids[${row}] = ${handsetIds[row]}`);
    }
    issues.throwIfAny('unauthenticated', subject);
  }

  private groupOf(group: string, tokenGroup: string, path: string, subject: string): string {
    if (group !== '') return group;
    if (tokenGroup !== '') return tokenGroup;
    throw RequestError.invalid(subject, path, 'required', 'is required: the enrollment token names no group');
  }

  // The run's timeline, at least as recent as the stored last revision (another instance may have published).
  private async currentTimeline(runId: string): Promise<RevisionTimeline> {
    return this.timelines.timeline(runId, undefined, await this.publications.lastRevision(runId));
  }
}

const STORE_ATTEMPTS = 3; // a batch computed with a stale timeline is recomputed and stored again

function revisionsFor(timeline: RevisionTimeline, groups: readonly string[], tick: number): number[] {
  // A shard's handsets share a few groups: one timeline lookup per group.
  const byGroup = new Map<string, number>();
  return groups.map((group) => {
    let revision = byGroup.get(group);
    if (revision === undefined) byGroup.set(group, (revision = timeline.revisionFor(group, tick)));
    return revision;
  });
}

/**
 * Rows whose applied revision or mask differ from the stored report, and of those the rows whose
 * mask differs; a handset's first check-in is both.
 */
function changesOf(
  reports: readonly (DeviceReport | undefined)[],
  appliedRevisions: readonly number[],
  complianceMasks: readonly number[],
): { changedRows: number[]; maskChangedRows: number[] } {
  const changedRows: number[] = [];
  const maskChangedRows: number[] = [];
  for (let row = 0; row < reports.length; row++) {
    const report = reports[row];
    const maskChanged = report?.complianceMask !== complianceMasks[row];
    if (maskChanged) maskChangedRows.push(row);
    if (maskChanged || report!.appliedRevision !== appliedRevisions[row]) changedRows.push(row);
  }
  return { changedRows, maskChangedRows };
}

function tickOutOfOrder(subject: string, shard: number, tick: number, lastTick: number): RequestError {
  return new RequestError('failed-precondition', subject, [
    { path: 'tick', rule: 'tick-order', message: `shard ${shard} already checked in at tick ${lastTick}, after ${tick}; a shard's ticks only go forward` },
  ]);
}
