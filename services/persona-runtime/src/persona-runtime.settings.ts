import { isSealed, type RunSecrets } from '@duet/service-kit';
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
    /** Opens the enrollment token a run's STARTED carries sealed (RUN_SECRETS_KEY); undefined when none is given. */
    readonly runSecrets?: RunSecrets,
  ) {}

  /** The enrollment token the agents present: as carried when not sealed (the in-process bus), else opened. */
  enrollmentToken(runId: string, carried: string): string {
    if (!isSealed(carried)) return carried;
    if (this.runSecrets === undefined) throw new Error(`run ${runId}: its enrollment token is sealed and this runtime has no RUN_SECRETS_KEY`);
    return this.runSecrets.open(runId, carried);
  }

  get personaName(): 'personal' | 'business' {
    return this.persona === Persona.BUSINESS ? 'business' : 'personal';
  }

  /** Whether this instance is one of a group sharing shards over Kafka (the networked mode). */
  get shared(): boolean {
    return this.checkpointTicks !== undefined;
  }
}
