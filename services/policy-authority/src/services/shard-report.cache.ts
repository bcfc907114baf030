import { Injectable } from '@nestjs/common';
import { type DeviceReport, ShardCheckInRepository, type ShardVersion } from '../repositories/shard-check-in.repository';

const MAX_CACHED_SHARDS = 64; // shards (of any runs) whose handsets' reports stay in memory

interface ShardReports {
  version: ShardVersion;
  /** Reports of handsets enrolled from the shard, by handset id. */
  readonly reports: Map<number, DeviceReport>;
}

/** Stored reports of a batch's handsets, and the shard version they are valid for. */
export interface BatchReports {
  readonly version: ShardVersion;
  /** By row of the batch; undefined for a handset not enrolled in the run (before its first check-in, complianceMask is undefined). */
  readonly reports: readonly (DeviceReport | undefined)[];
}

/**
 * The stored report (applied revision, mask) of each handset of a shard, in memory, so a check-in
 * batch finds what changed without reading a row per handset. Valid only for the shard version
 * read with it: storing a batch checks that version, and a refusal makes the caller `forget` the
 * shard and read it again. Handsets not enrolled from the shard are read for every batch.
 */
@Injectable()
export class ShardReportCache {
  private readonly shards = new Map<string, ShardReports>();

  constructor(private readonly checkIns: ShardCheckInRepository) {}

  async reportsOf(runId: string, shard: number, handsetIds: readonly number[]): Promise<BatchReports> {
    const key = keyOf(runId, shard);
    let cached = this.shards.get(key);
    if (cached === undefined) {
      cached = await this.checkIns.shardReports(runId, shard);
      if (this.shards.size >= MAX_CACHED_SHARDS) this.shards.delete(this.shards.keys().next().value!);
      this.shards.set(key, cached);
    }
    const { reports } = cached;
    const batch: (DeviceReport | undefined)[] = new Array(handsetIds.length);
    const unknownRows: number[] = [];
    for (let row = 0; row < handsetIds.length; row++) if ((batch[row] = reports.get(handsetIds[row])) === undefined) unknownRows.push(row);
    if (unknownRows.length > 0) {
      const found = await this.checkIns.reportsOf(
        runId,
        unknownRows.map((row) => handsetIds[row]),
      );
      for (const row of unknownRows) {
        const report = found.get(handsetIds[row]);
        batch[row] = report;
        // Handsets enrolled from the shard after it was read join it; others are not its to keep.
        if (report?.shard === shard) reports.set(handsetIds[row], report);
      }
    }
    return { version: cached.version, reports: batch };
  }

  /** Records a batch stored at `version`'s tick: its handsets' reports are now the batch's. */
  stored(
    runId: string,
    shard: number,
    version: ShardVersion,
    handsetIds: readonly number[],
    appliedRevisions: readonly number[],
    complianceMasks: readonly number[],
  ): void {
    const cached = this.shards.get(keyOf(runId, shard));
    if (cached === undefined) return;
    cached.version = version;
    for (let row = 0; row < handsetIds.length; row++) {
      const report = cached.reports.get(handsetIds[row]);
      if (report?.shard === shard) cached.reports.set(handsetIds[row], { shard, appliedRevision: appliedRevisions[row], complianceMask: complianceMasks[row] });
    }
  }

  forget(runId: string, shard: number): void {
    this.shards.delete(keyOf(runId, shard));
  }
}

function keyOf(runId: string, shard: number): string {
  return `${shard}:${runId}`;
}
