import { afterEach, describe, expect, it } from 'vitest';
import { events, telemetry } from '@duet/contracts';
import { HealthChecks, InProcessCheckpointStore, InProcessEventBus, Metrics } from '@duet/service-kit';
import type { SimulationConfig } from '@duet/sim-core';
import { HypervisorCoreSettings } from '../hypervisor-core.settings';
import { HypervisorRunsService } from './hypervisor-runs.service';

const CONFIG: SimulationConfig = {
  seed: 7,
  ticks: 4,
  shards: 2,
  fleet: { handsets: 10, models: [{ name: 'optimus-one', weight: 1 }], regions: [{ name: 'emea', weight: 1 }], groups: [{ name: 'sales', weight: 1 }] },
};
const MINUTE = 60_000;

describe('HypervisorRunsService', () => {
  let sut: HypervisorRunsService | undefined;

  afterEach(async () => {
    await sut?.onModuleDestroy();
  });

  it('lets go of a run no demand reached for 30 minutes (its driver died without a FAILED), not of one still going', async () => {
    const bus = new InProcessEventBus(new Metrics());
    await bus.publish('duet.run-lifecycle.v1', [
      {
        key: 'idle',
        value: events.RunLifecycle.encode(
          events.RunLifecycle.fromPartial({ runId: 'idle', phase: telemetry.RunPhase.RUN_PHASE_STARTED, configJson: JSON.stringify(CONFIG) }),
        ).finish(),
      },
    ]);
    sut = new HypervisorRunsService(bus, new HypervisorCoreSettings('spec', undefined), new HealthChecks(), new Metrics(), new InProcessCheckpointStore());
    await sut.onModuleInit();
    await bus.drain();
    await sut.shard('idle', 0);
    await sut.shard('idle', 1);
    expect(sut.ownedShards()).toEqual([0, 1]);
    sut.evictIdleRuns(Date.now() + 29 * MINUTE);
    expect(sut.ownedShards()).toEqual([0, 1]);
    sut.evictIdleRuns(Date.now() + 31 * MINUTE);
    expect(sut.ownedShards()).toEqual([]);
    // A demand that comes back builds the shard again.
    await sut.shard('idle', 0);
    expect(sut.ownedShards()).toEqual([0]);
  });
});
