import { Inject, Injectable } from '@nestjs/common';
import { events, findTopic, telemetry } from '@duet/contracts';
import { Outbox, type Queryable } from '@duet/service-kit';
import type { RunRow } from '../repositories/runs.repository';

const RUN_LIFECYCLE = findTopic('duet.run-lifecycle.v1');

/**
 * Tells every consumer of duet.run-lifecycle.v1 that a run completed, with its digest, or that
 * telemetry failed it. Through the outbox: enqueued in the transaction that stores the outcome,
 * published by `relay` after the commit.
 */
@Injectable()
export class RunLifecyclePublisher {
  constructor(@Inject(Outbox) private readonly outbox: Outbox) {}

  async completed(client: Queryable, run: RunRow, digest: string): Promise<void> {
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
    await this.outbox.enqueue(client, RUN_LIFECYCLE.name, [{ key: run.runId, value: RUN_LIFECYCLE.payload.encode(message).finish() }]);
  }

  async failed(client: Queryable, runId: string, failure: string): Promise<void> {
    const message = events.RunLifecycle.fromPartial({ runId, phase: telemetry.RunPhase.RUN_PHASE_FAILED, failure: `telemetry: ${failure}` });
    await this.outbox.enqueue(client, RUN_LIFECYCLE.name, [{ key: runId, value: RUN_LIFECYCLE.payload.encode(message).finish() }]);
  }

  /** Publishes what the committed transactions enqueued (a failure is retried by the relay). */
  relay(): Promise<void> {
    return this.outbox.relay();
  }
}
