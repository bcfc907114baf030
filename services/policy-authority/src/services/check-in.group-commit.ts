import { Injectable } from '@nestjs/common';
import { policy } from '@duet/contracts';
import { Database, type Queryable } from '@duet/service-kit';
import { checkRevisionColumn } from '../domain/columnar-batch';
import { DeviceCredentials } from '../domain/device-credential';
import { IssueList, notEnrolledMessage, RequestError } from '../domain/request-error';
import { CommandRepository, type StoredCommand } from '../repositories/command.repository';
import { type DeviceState, DeviceRepository } from '../repositories/device.repository';
import { PublicationRepository } from '../repositories/publication.repository';
import { nonComplianceJson, toCommandMessage } from './contract-messages';
import { GroupCommitQueue } from './group-commit.queue';
import { RevisionTimelineCache } from './revision-timeline.cache';

// At most this many check-ins share a transaction: big enough that a fleet's check-ins cost a few
// statements per hundred handsets, small enough that one group's row locks are held briefly.
const MAX_GROUP = 512;
// Groups committing at once. While they commit, new check-ins queue and form the next group, so
// the group size follows the load (one check-in alone commits at once) and the pool keeps
// connections for batches and the admin API.
const MAX_GROUPS_IN_FLIGHT = 3;

/** What a stored check-in answers before its policy is attached. */
export interface CheckInAnswer {
  readonly assignedRevision: number;
  readonly commands: policy.Command[];
}

/**
 * One-at-a-time check-ins (the CheckIn RPC), stored by group commit: the check-ins that arrive
 * while earlier groups commit are stored together in one transaction, with one statement per table
 * for the whole group instead of about seven round trips per handset. Each check-in is judged on
 * its own, as if alone: a refused one gets its own error and the others of its group are stored.
 * A group holds one run's check-ins and at most one per handset.
 */
@Injectable()
export class CheckInGroupCommit {
  private readonly queue = new GroupCommitQueue<policy.CheckInRequest, CheckInAnswer>({
    maxGroup: MAX_GROUP,
    maxInFlight: MAX_GROUPS_IN_FLIGHT,
    sameGroup: (first, request) => request.runId === first.runId,
    handsetOf: (request) => request.handsetId,
    commit: (group) => this.database.transaction((client) => this.store(client, group)),
  });

  constructor(
    private readonly database: Database,
    private readonly credentials: DeviceCredentials,
    private readonly timelines: RevisionTimelineCache,
    private readonly publications: PublicationRepository,
    private readonly devices: DeviceRepository,
    private readonly commands: CommandRepository,
  ) {}

  /** Stores a validated check-in with the next group; answers its assigned revision and the commands due. */
  submit(request: policy.CheckInRequest): Promise<CheckInAnswer> {
    return this.queue.submit(request);
  }

  // One transaction: lock the group's devices in id order, judge each check-in, store the accepted.
  private async store(client: Queryable, requests: readonly policy.CheckInRequest[]): Promise<(CheckInAnswer | RequestError)[]> {
    const runId = requests[0].runId;
    const devices = await this.devices.lockAll(
      client,
      runId,
      requests.map((request) => request.handsetId),
    );
    const timeline = await this.timelines.timeline(runId, client, await this.publications.lastRevision(runId, client));
    const refusals = requests.map((request) => this.refusal(request, devices.get(request.handsetId), timeline.lastRevision));
    const accepted = requests.filter((_, index) => refusals[index] === undefined);

    // A check-in at the handset's last tick again (a redelivery) stores nothing new.
    const changed = accepted.filter((request) => devices.get(request.handsetId)!.lastCheckInTick !== request.tick);
    const shards = new Set<number>();
    const details = new Map<policy.CheckInRequest, unknown[]>();
    for (const request of changed) {
      const device = devices.get(request.handsetId)!;
      if (device.shard !== undefined) shards.add(device.shard);
      if (device.complianceMask !== request.complianceMask) details.set(request, nonComplianceJson(request.complianceMask));
    }
    await this.devices.recordCheckIns(client, runId, changed, shards, details);
    await this.commands.acknowledge(
      client,
      runId,
      accepted.map((request) => ({ handsetId: request.handsetId, commandIds: request.executedCommandIds, tick: request.tick })),
    );
    const pending =
      accepted.length === 0
        ? []
        : await this.commands.pendingFor(
            client,
            runId,
            accepted.map((request) => request.handsetId),
          );
    const pendingByHandset = new Map<number, StoredCommand[]>();
    for (const command of pending) {
      const commands = pendingByHandset.get(command.handsetId);
      if (commands === undefined) pendingByHandset.set(command.handsetId, [command]);
      else commands.push(command);
    }

    return requests.map((request, index) => {
      const refusal = refusals[index];
      if (refusal !== undefined) return refusal;
      const due = (pendingByHandset.get(request.handsetId) ?? []).filter((command) => command.tick <= request.tick);
      return {
        assignedRevision: timeline.revisionFor(devices.get(request.handsetId)!.group, request.tick),
        commands: due.map(toCommandMessage),
      };
    });
  }

  // Why the check-in is refused, in the order a lone check-in is judged; undefined to store it.
  private refusal(request: policy.CheckInRequest, device: DeviceState | undefined, lastRevision: number): RequestError | undefined {
    const subject = 'CheckInRequest';
    const { runId, handsetId, tick } = request;
    if (device === undefined) {
      return RequestError.invalid(subject, 'handset_id', 'enrolled', notEnrolledMessage(handsetId, runId));
    }
    if (!this.credentials.matches(runId, handsetId, request.credential)) {
      return new RequestError('unauthenticated', subject, [
        { path: 'credential', rule: 'credential', message: `is not the credential of handset ${handsetId}` },
      ]);
    }
    if (device.lastCheckInTick !== undefined && tick < device.lastCheckInTick) {
      return new RequestError('failed-precondition', subject, [
        { path: 'tick', rule: 'tick-order', message: `handset ${handsetId} already checked in at tick ${device.lastCheckInTick}; ticks only go forward` },
      ]);
    }
    const issues = new IssueList();
    checkRevisionColumn(issues, () => 'applied_revision', [request.appliedRevision], lastRevision);
    return issues.issues.length === 0 ? undefined : new RequestError('invalid-argument', subject, issues.issues);
  }
}
