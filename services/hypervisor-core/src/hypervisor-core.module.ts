import { Module, type DynamicModule } from '@nestjs/common';
import { Transport, type MicroserviceOptions } from '@nestjs/microservices';
import { GRPC_LOADER_OPTIONS, PROTO_ROOT } from '@duet/contracts';
import { join } from 'node:path';
import {
  CheckpointStore,
  EventBus,
  HealthModule,
  InProcessCheckpointStore,
  MetricsModule,
  ServiceIdentities,
  acceptMalformedRequests,
} from '@duet/service-kit';
import { TickDemandsConsumer } from './consumers/tick-demands.consumer';
import { HypervisorGrpcController } from './controllers/hypervisor.grpc';
import { HypervisorCoreOptions } from './hypervisor-core.options';
import { HypervisorRunsService } from './services/hypervisor-runs.service';

export { HypervisorCoreOptions } from './hypervisor-core.options';
export { HypervisorRunsService } from './services/hypervisor-runs.service';

export interface HypervisorCoreAdapters {
  readonly eventBus: EventBus;
  readonly instanceId: string;
  /** Shared among instances over Kafka (networked): where checkpoints go, and every how many ticks. */
  readonly shared?: { readonly checkpoints: CheckpointStore; readonly checkpointTicks: number };
  /** The stack's service key: ExchangeTick and GetShardStatus answer only callers with a service identity (none without it). */
  readonly serviceIdentityKey?: string;
}

const MAX_MESSAGE_BYTES = 64 * 1024 * 1024; // a shard's columnar batch; 25,000 handsets take ~1 MB

/** The gRPC server options of duet.hypervisor.v1.HypervisorService at host:port. */
export function hypervisorCoreGrpcOptions(url: string): MicroserviceOptions {
  return {
    transport: Transport.GRPC,
    options: {
      package: 'duet.hypervisor.v1',
      protoPath: join(PROTO_ROOT, 'duet/hypervisor/v1/hypervisor.proto'),
      url,
      loader: { ...GRPC_LOADER_OPTIONS, includeDirs: [...GRPC_LOADER_OPTIONS.includeDirs] },
      maxReceiveMessageLength: MAX_MESSAGE_BYTES,
      maxSendMessageLength: MAX_MESSAGE_BYTES,
      onLoadPackageDefinition: (definition) => acceptMalformedRequests(definition),
    },
  };
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
        { provide: HypervisorCoreOptions, useValue: new HypervisorCoreOptions(adapters.instanceId, adapters.shared?.checkpointTicks) },
        ...(adapters.serviceIdentityKey === undefined ? [] : [{ provide: ServiceIdentities, useValue: new ServiceIdentities(adapters.serviceIdentityKey) }]),
        HypervisorRunsService,
        TickDemandsConsumer,
      ],
      exports: [HypervisorRunsService],
    };
  }
}
