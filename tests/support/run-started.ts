// A run's STARTED on duet.run-lifecycle.v1, as the `duet` command publishes it: what the service
// integration and fuzz specs send to make a service know their run.
import { events, findTopic, telemetry } from '@duet/contracts';
import type { SimulationConfig } from '@duet/sim-core';

export const RUN_LIFECYCLE = findTopic('duet.run-lifecycle.v1');

/** The keyed message that starts `runId` with `config`, named `scenario`. */
export function runStartedMessage(runId: string, scenario: string, config: SimulationConfig): { key: string; value: Uint8Array } {
  const started = events.RunLifecycle.fromPartial({
    runId,
    phase: telemetry.RunPhase.RUN_PHASE_STARTED,
    scenario,
    seed: config.seed,
    handsets: config.fleet.handsets,
    ticks: config.ticks,
    shards: config.shards,
    configJson: JSON.stringify(config),
  });
  return { key: runId, value: RUN_LIFECYCLE.payload.encode(started).finish() };
}
