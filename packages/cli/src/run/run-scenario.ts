import { events as contract, telemetry } from '@duet/contracts';
import { RunReporter, type IncomingMessage } from '@duet/service-kit';
import type { RunOutcome, RunRequest, RunTarget } from './run-target';

const ROLES_PER_SHARD = 3; // hypervisor, personal, business

export interface RunProgress {
  readonly ticksCompleted: number;
  readonly ticks: number;
  readonly events: number;
}

/**
 * Runs one scenario on a target: publishes its policy timeline to policy-authority (revisions
 * 1..n in order, as the core numbers them), creates the enrollment token, announces the run on
 * the run-lifecycle topic, follows the tick parts for progress, and returns telemetry's outcome.
 */
/** A run with no tick completed for this long is declared stuck (a service down, a peer lost). */
export const DEFAULT_STALL_SECONDS = 120;

export async function runScenario(
  target: RunTarget,
  request: RunRequest,
  onProgress: (progress: RunProgress) => void = () => undefined,
  stallSeconds = DEFAULT_STALL_SECONDS,
): Promise<RunOutcome> {
  const { runId, config } = request;
  for (const [i, assignment] of (config.policies ?? []).entries()) {
    const revision = await target.publishPolicy(runId, assignment.policy, assignment.groups, assignment.tick);
    if (revision !== i + 1) throw new Error(`policy-authority numbered publish ${i + 1} of run ${runId} as revision ${revision}`);
  }
  const enrollmentToken = await target.createEnrollmentToken(runId, config.ticks);

  const partsPerTick = config.shards * ROLES_PER_SHARD;
  const parts = new Map<number, number>();
  let ticksCompleted = 0;
  let events = 0;
  let settle!: (phase: 'COMPLETED' | 'FAILED') => void;
  const ended = new Promise<'COMPLETED' | 'FAILED'>((resolve) => (settle = resolve));
  let lastProgressAt = Date.now();
  let stalled: string | undefined;
  const watchdog = setInterval(() => {
    if (Date.now() - lastProgressAt > stallSeconds * 1000) {
      stalled = `no tick completed for ${stallSeconds} s (at tick ${ticksCompleted} of ${config.ticks}): are all services of the ${target.name} target up?`;
      settle('FAILED');
    }
  }, 1000);
  watchdog.unref();
  const watcher = `duet-run-${runId}`;
  const progress = await target.bus.subscribe(`${watcher}-ticks`, ['duet.tick-kpis.v1'], async (messages: readonly IncomingMessage[]) => {
    for (const message of messages) {
      const part = contract.TickKpisRecorded.decode(message.value);
      if (part.runId !== runId) continue;
      const count = (parts.get(part.tick) ?? 0) + 1;
      parts.set(part.tick, count);
      events += Number(part.kpis?.events ?? 0);
      while ((parts.get(ticksCompleted) ?? 0) >= partsPerTick) {
        parts.delete(ticksCompleted++);
        lastProgressAt = Date.now();
      }
    }
    onProgress({ ticksCompleted, ticks: config.ticks, events });
  });
  const lifecycle = await target.bus.subscribe(`${watcher}-lifecycle`, ['duet.run-lifecycle.v1'], async (messages) => {
    for (const message of messages) {
      const update = contract.RunLifecycle.decode(message.value);
      if (update.runId !== runId) continue;
      if (update.phase === telemetry.RunPhase.RUN_PHASE_COMPLETED) settle('COMPLETED');
      if (update.phase === telemetry.RunPhase.RUN_PHASE_FAILED) settle('FAILED');
    }
  });
  try {
    await new RunReporter(target.bus).publishLifecycle(
      contract.RunLifecycle.fromPartial({
        runId,
        phase: telemetry.RunPhase.RUN_PHASE_STARTED,
        scenario: request.scenario,
        seed: config.seed,
        handsets: config.fleet.handsets,
        ticks: config.ticks,
        shards: config.shards,
        tickSeconds: config.tickSeconds ?? 60,
        configJson: JSON.stringify(config),
        enrollmentToken,
      }),
    );
    await ended;
    if (stalled !== undefined) return { runId, phase: 'FAILED', digest: '', failure: stalled };
    return await target.outcome(runId);
  } finally {
    clearInterval(watchdog);
    await progress.close();
    await lifecycle.close();
  }
}
