import { Module, type DynamicModule } from '@nestjs/common';
import { CheckpointStore, EventBus, HealthModule, InProcessCheckpointStore, MetricsModule, ServiceIdentities } from '@duet/service-kit';
import { TickDemandsConsumer } from './consumers/tick-demands.consumer';
import { HypervisorGrpcController } from './controllers/hypervisor.grpc';
import { HypervisorCoreSettings } from './hypervisor-core.settings';
import { HypervisorRunsService } from './services/hypervisor-runs.service';

export interface HypervisorCoreAdapters {
  readonly eventBus: EventBus;
  readonly instanceId: string;
  /** Shared among instances over Kafka (networked): where checkpoints go, and every how many ticks. */
  readonly shared?: { readonly checkpoints: CheckpointStore; readonly checkpointTicks: number };
  /** The stack's service key: ExchangeTick and GetShardStatus answer only callers with a service identity (none without it). */
  readonly serviceIdentityKey?: string;
}

/** hypervisor-core as a Nest module: networked (main.ts) or embedded, with the adapters given. */
@Module({})
export class HypervisorCoreModule {
  static register(adapters: HypervisorCoreAdapters): DynamicModule {
    return {
      module: HypervisorCoreModule,
      imports: [HealthModule, MetricsModule],
      controllers: [HypervisorGrpcController],
      providers: [
        { provide: EventBus, useValue: adapters.eventBus },
        { provide: CheckpointStore, useValue: adapters.shared?.checkpoints ?? new InProcessCheckpointStore() },
        { provide: HypervisorCoreSettings, useValue: new HypervisorCoreSettings(adapters.instanceId, adapters.shared?.checkpointTicks) },
        ...(adapters.serviceIdentityKey === undefined ? [] : [{ provide: ServiceIdentities, useValue: new ServiceIdentities(adapters.serviceIdentityKey) }]),
        HypervisorRunsService,
        TickDemandsConsumer,
      ],
      exports: [HypervisorRunsService],
    };
  }
}
