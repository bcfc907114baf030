import { Injectable } from '@nestjs/common';
import { DeviceRepository } from '../repositories/device.repository';

const MAX_CACHED_RUNS = 8; // runs whose handsets' groups stay in memory

/**
 * The group each enrolled handset of a run belongs to, in memory so a check-in batch needs no query
 * to check enrollment and compute assigned revisions. Enrollment only adds handsets (or moves one
 * to another group, updated here when this instance enrolls it), so a handset known here is
 * enrolled; one not known yet is looked up once.
 */
@Injectable()
export class DeviceGroupCache {
  private readonly runs = new Map<string, Map<number, string>>();

  constructor(private readonly devices: DeviceRepository) {}

  /** Group of each handset, undefined for handsets not enrolled in the run. */
  async groupsOf(runId: string, handsetIds: readonly number[]): Promise<(string | undefined)[]> {
    const run = this.run(runId);
    const groups: (string | undefined)[] = new Array(handsetIds.length);
    const unknownRows: number[] = [];
    for (let row = 0; row < handsetIds.length; row++) if ((groups[row] = run.get(handsetIds[row])) === undefined) unknownRows.push(row);
    if (unknownRows.length > 0) {
      const found = await this.devices.groupsOf(
        runId,
        unknownRows.map((row) => handsetIds[row]),
      );
      // An enrollment recorded meanwhile is newer than what the query read.
      for (const [id, group] of found) if (!run.has(id)) run.set(id, group);
      for (const row of unknownRows) groups[row] = run.get(handsetIds[row]);
    }
    return groups;
  }

  /** Records a committed enrollment. */
  enrolled(runId: string, handsetIds: readonly number[], groups: readonly string[]): void {
    const run = this.runs.get(runId);
    if (run !== undefined) handsetIds.forEach((id, row) => run.set(id, groups[row]));
  }

  private run(runId: string): Map<number, string> {
    let run = this.runs.get(runId);
    if (run === undefined) {
      if (this.runs.size >= MAX_CACHED_RUNS) this.runs.delete(this.runs.keys().next().value!);
      this.runs.set(runId, (run = new Map()));
    }
    return run;
  }
}
