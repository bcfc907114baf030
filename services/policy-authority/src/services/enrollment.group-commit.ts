import { Injectable } from '@nestjs/common';
import { DeviceRepository } from '../repositories/device.repository';
import { PublicationRepository } from '../repositories/publication.repository';
import { DeviceGroupCache } from './device-group.cache';
import { GroupCommitQueue } from './group-commit.queue';
import { RevisionTimelineCache } from './revision-timeline.cache';

const MAX_GROUP = 512; // enrollments per statement
const MAX_GROUPS_IN_FLIGHT = 2;

/** One accepted enrollment: its token checked, its group resolved. */
export interface AcceptedEnrollment {
  readonly runId: string;
  readonly tick: number;
  readonly handsetId: number;
  readonly group: string;
  readonly model: string;
}

/**
 * One-at-a-time enrollments (the Enroll RPC), stored by group commit: those of one run and tick
 * that arrive while earlier groups are stored go into one statement, as an EnrollBatch's rows do,
 * and share one read of the run's last revision. Answers each handset's assigned revision.
 */
@Injectable()
export class EnrollmentGroupCommit {
  private readonly queue = new GroupCommitQueue<AcceptedEnrollment, number>({
    maxGroup: MAX_GROUP,
    maxInFlight: MAX_GROUPS_IN_FLIGHT,
    sameGroup: (first, enrollment) => enrollment.runId === first.runId && enrollment.tick === first.tick,
    handsetOf: (enrollment) => enrollment.handsetId,
    commit: (group) => this.store(group),
  });

  constructor(
    private readonly devices: DeviceRepository,
    private readonly deviceGroups: DeviceGroupCache,
    private readonly timelines: RevisionTimelineCache,
    private readonly publications: PublicationRepository,
  ) {}

  /** Stores the enrollment with the next group; answers the revision assigned to the handset. */
  submit(enrollment: AcceptedEnrollment): Promise<number> {
    return this.queue.submit(enrollment);
  }

  private async store(group: readonly AcceptedEnrollment[]): Promise<number[]> {
    const { runId, tick } = group[0];
    const handsetIds = group.map((enrollment) => enrollment.handsetId);
    const groups = group.map((enrollment) => enrollment.group);
    await this.devices.enroll({ runId, shard: undefined, tick, handsetIds, groups, models: group.map((enrollment) => enrollment.model) });
    this.deviceGroups.enrolled(runId, handsetIds, groups);
    // At least as recent as the stored last revision: another instance may have published.
    const timeline = await this.timelines.timeline(runId, undefined, await this.publications.lastRevision(runId));
    return groups.map((name) => timeline.revisionFor(name, tick));
  }
}
