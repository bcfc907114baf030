/** What the composition root (main.ts, or the embedded mode) tells hypervisor-core. */
export class HypervisorCoreOptions {
  constructor(
    /** Names this instance's consumer groups, so every instance sees every run. */
    readonly instanceId: string,
    /** Shards this instance owns; 'all' for a single instance. */
    readonly ownedShards: readonly number[] | 'all',
  ) {}

  owns(shard: number): boolean {
    return this.ownedShards === 'all' || this.ownedShards.includes(shard);
  }
}
