import { Module, type DynamicModule } from '@nestjs/common';
import { EventBus, HealthModule, MetricsModule } from '@duet/service-kit';
import { HypervisorGrpcController } from './controllers/hypervisor.grpc';
import { HypervisorCoreOptions } from './hypervisor-core.options';
import { HypervisorRunsService } from './services/hypervisor-runs.service';

export { HypervisorCoreOptions } from './hypervisor-core.options';
export { HypervisorRunsService } from './services/hypervisor-runs.service';

/** hypervisor-core as a Nest module: networked (main.ts) or embedded, with the adapters given. */
@Module({})
export class HypervisorCoreModule {
  static register(options: { eventBus: EventBus; instanceId: string; ownedShards?: readonly number[] | 'all' }): DynamicModule {
    return {
      module: HypervisorCoreModule,
      imports: [HealthModule, MetricsModule],
      controllers: [HypervisorGrpcController],
      providers: [
        { provide: EventBus, useValue: options.eventBus },
        { provide: HypervisorCoreOptions, useValue: new HypervisorCoreOptions(options.instanceId, options.ownedShards ?? 'all') },
        HypervisorRunsService,
      ],
      exports: [HypervisorRunsService],
    };
  }
}
