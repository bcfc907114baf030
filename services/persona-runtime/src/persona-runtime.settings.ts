import { Persona } from '@duet/sim-core';

/** What the composition root (main.ts, or the embedded mode) tells a persona runtime. */
export class PersonaRuntimeSettings {
  constructor(
    readonly persona: Persona,
    /** Names the instance in logs and its own consumer groups. */
    readonly instanceId: string,
    /**
     * Ticks between checkpoints of a shard; undefined for none (one process drives every shard).
     * With it, the instance drives the shards its consumer group gives it (TickGrantsConsumer).
     */
    readonly checkpointTicks: number | undefined,
  ) {}

  get personaName(): 'personal' | 'business' {
    return this.persona === Persona.BUSINESS ? 'business' : 'personal';
  }

  /** Whether this instance is one of a group sharing shards over Kafka (the networked mode). */
  get shared(): boolean {
    return this.checkpointTicks !== undefined;
  }
}
