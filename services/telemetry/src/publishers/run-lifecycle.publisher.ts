import { Inject, Injectable } from '@nestjs/common';
import { events, findTopic, telemetry } from '@duet/contracts';
import { EventBus } from '@duet/service-kit';
import type { RunRow } from '../repositories/runs.repository';

const RUN_LIFECYCLE = findTopic('duet.run-lifecycle.v1');

/** Tells every consumer of duet.run-lifecycle.v1 that a run completed, with its digest. */
@Injectable()
export class RunLifecyclePublisher {
  constructor(@Inject(EventBus) private readonly eventBus: EventBus) {}

  async completed(run: RunRow, digest: string): Promise<void> {
    const message = events.RunLifecycle.fromPartial({
      runId: run.runId,
      phase: telemetry.RunPhase.RUN_PHASE_COMPLETED,
      scenario: run.scenario,
      seed: run.seed,
      handsets: run.handsets,
      ticks: run.ticks,
      shards: run.shards,
      tickSeconds: run.tickSeconds,
      digest,
    });
    await this.eventBus.publish(RUN_LIFECYCLE.name, [{ key: run.runId, value: RUN_LIFECYCLE.payload.encode(message).finish() }]);
  }
}
