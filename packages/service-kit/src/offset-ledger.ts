// Which offsets of a consumer's partitions may be committed. A role consumes its input (demands,
// grants) per shard and tick, and folds it into its shard state; a message is covered once a
// checkpoint holds the tick it carried (or it needs no state: a run that ended, a repeat). The
// committed offset of a partition is its first message not covered, so the shard's next owner,
// starting there, reads every input that the latest checkpoints lack (and some they hold, which
// it skips by tick).

interface Entry {
  readonly offset: number;
  readonly unit: string;
  readonly tick: number;
}

interface PartitionLedger {
  entries: Entry[];
  /** Offset after the last message received. */
  end: number;
  committed: number;
}

export class OffsetLedger {
  private readonly partitions = new Map<string, PartitionLedger>();
  /** Last tick checkpointed per unit (run and shard). */
  private readonly checkpointed = new Map<string, number>();

  /** A message of `unit` (run and shard) carrying `tick`, or one that needs no state (`tick` undefined). */
  received(topic: string, partition: number, offset: number, unit: string, tick: number | undefined): void {
    const ledger = this.ledgerOf(topic, partition);
    ledger.end = Math.max(ledger.end, offset + 1);
    if (tick === undefined || tick <= (this.checkpointed.get(unit) ?? -1)) return;
    ledger.entries.push({ offset, unit, tick });
  }

  /** The unit's state is durable up to `tick` (a checkpoint, or its final state when it ended). */
  covered(unit: string, tick: number): void {
    if ((this.checkpointed.get(unit) ?? -1) >= tick) return;
    this.checkpointed.set(unit, tick);
    for (const ledger of this.partitions.values()) ledger.entries = ledger.entries.filter((entry) => entry.unit !== unit || entry.tick > tick);
  }

  /** Forgets a unit whose run ended: its messages are covered for good. */
  forget(unit: string): void {
    this.covered(unit, Number.MAX_SAFE_INTEGER);
  }

  /** The offset to commit for a partition when it moved since the last commit, else undefined. */
  committable(topic: string, partition: number): number | undefined {
    const ledger = this.partitions.get(`${topic}/${partition}`);
    if (ledger === undefined) return undefined;
    const offset = ledger.entries.length > 0 ? ledger.entries.reduce((least, entry) => Math.min(least, entry.offset), Infinity) : ledger.end;
    return offset > ledger.committed ? offset : undefined;
  }

  markCommitted(topic: string, partition: number, offset: number): void {
    const ledger = this.ledgerOf(topic, partition);
    ledger.committed = Math.max(ledger.committed, offset);
  }

  /** Partitions with something to commit, as topic/partition pairs. */
  pending(): { topic: string; partition: number; offset: number }[] {
    const pending: { topic: string; partition: number; offset: number }[] = [];
    for (const key of this.partitions.keys()) {
      const slash = key.lastIndexOf('/');
      const topic = key.slice(0, slash);
      const partition = Number(key.slice(slash + 1));
      const offset = this.committable(topic, partition);
      if (offset !== undefined) pending.push({ topic, partition, offset });
    }
    return pending;
  }

  /** A partition this member no longer holds: its new owner keeps its own ledger. */
  dropPartition(topic: string, partition: number): void {
    this.partitions.delete(`${topic}/${partition}`);
  }

  private ledgerOf(topic: string, partition: number): PartitionLedger {
    const key = `${topic}/${partition}`;
    let ledger = this.partitions.get(key);
    if (ledger === undefined) this.partitions.set(key, (ledger = { entries: [], end: 0, committed: 0 }));
    return ledger;
  }
}
