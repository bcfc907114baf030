/** What the composition root (main.ts, or the embedded mode) tells hypervisor-core. */
export class HypervisorCoreSettings {
  constructor(
    /** Names the instance in logs and its own consumer groups. */
    readonly instanceId: string,
    /**
     * Ticks between checkpoints of a shard; undefined for none (one process, nothing to take over).
     * With it, the per-tick exchange also travels on Kafka: the instance takes the demands of the
     * partitions its consumer group gives it (TickDemandsConsumer).
     */
    readonly checkpointTicks: number | undefined,
  ) {}

  /** Whether this instance is one of a group sharing shards over Kafka (the networked mode). */
  get shared(): boolean {
    return this.checkpointTicks !== undefined;
  }
}
