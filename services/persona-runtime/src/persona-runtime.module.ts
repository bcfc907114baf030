import { Module, type DynamicModule, type Provider } from '@nestjs/common';
import { CheckpointStore, EventBus, HealthModule, InProcessCheckpointStore, MetricsModule, type RunSecrets } from '@duet/service-kit';
import { Persona } from '@duet/sim-core';
import { TickGrantsConsumer } from './consumers/tick-grants.consumer';
import { GrantInbox } from './domain/grant-inbox';
import { HypervisorPeer, PolicyGateway } from './domain/ports';
import { PersonaRuntimeSettings } from './persona-runtime.settings';
import { PersonaRunsService } from './services/persona-runs.service';

export interface PersonaRuntimeModuleOptions {
  readonly persona: Persona;
  readonly eventBus: EventBus;
  readonly hypervisor: HypervisorPeer;
  /** Required for the business persona (its MDM agent); never given to the personal one. */
  readonly policy?: PolicyGateway;
  readonly instanceId: string;
  /**
   * Shared among instances over Kafka (networked): where checkpoints go, every how many ticks, and
   * the inbox the grants consumer fills for the KafkaHypervisorPeer given as `hypervisor`.
   */
  readonly shared?: { readonly checkpoints: CheckpointStore; readonly checkpointTicks: number; readonly grants: GrantInbox };
  /** Opens sealed enrollment tokens (networked: from RUN_SECRETS_KEY). */
  readonly runSecrets?: RunSecrets;
}

/** One persona runtime as a Nest module; the embedded mode registers it twice, once per persona. */
@Module({})
export class PersonaRuntimeModule {
  static register(options: PersonaRuntimeModuleOptions): DynamicModule {
    if (options.persona === Persona.BUSINESS && options.policy === undefined) throw new Error('the business persona runtime needs a policy gateway');
    if (options.persona === Persona.PERSONAL && options.policy !== undefined)
      throw new Error('the personal persona runtime never talks to the policy authority');
    const providers: Provider[] = [
      { provide: EventBus, useValue: options.eventBus },
      { provide: HypervisorPeer, useValue: options.hypervisor },
      {
        provide: PersonaRuntimeSettings,
        useValue: new PersonaRuntimeSettings(options.persona, options.instanceId, options.shared?.checkpointTicks, options.runSecrets),
      },
      { provide: CheckpointStore, useValue: options.shared?.checkpoints ?? new InProcessCheckpointStore() },
      { provide: GrantInbox, useValue: options.shared?.grants ?? new GrantInbox() },
      PersonaRunsService,
      TickGrantsConsumer,
    ];
    if (options.policy) providers.push({ provide: PolicyGateway, useValue: options.policy });
    return { module: PersonaRuntimeModule, imports: [HealthModule, MetricsModule], providers, exports: [PersonaRunsService] };
  }
}
