import { Persona } from '@duet/sim-core';

/** What the composition root (main.ts, or the embedded mode) tells a persona runtime. */
export class PersonaRuntimeOptions {
  constructor(
    readonly persona: Persona,
    readonly instanceId: string,
    /** Shards this instance owns; 'all' for a single instance. */
    readonly ownedShards: readonly number[] | 'all',
  ) {}

  get personaName(): 'personal' | 'business' {
    return this.persona === Persona.BUSINESS ? 'business' : 'personal';
  }

  owns(shard: number): boolean {
    return this.ownedShards === 'all' || this.ownedShards.includes(shard);
  }
}
