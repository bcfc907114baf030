import { events as contract, telemetry } from '@duet/contracts';
import { RunReporter, decodeChecked, identityViolation, lifecycleViolation, type IncomingMessage } from '@duet/service-kit';
import { DEFAULT_TICK_SECONDS } from '@duet/sim-core';
import type { RunOutcome, RunRequest, RunTarget } from './run-target';

const ROLES_PER_SHARD = 3; // hypervisor, personal, business

export interface RunProgress {
  readonly ticksCompleted: number;
  readonly ticks: number;
  readonly events: number;
  /** Handsets powered on at the last completed tick. */
  readonly handsetsOnline: number;
  /** How late the last completed tick started against a real-time schedule, in wall milliseconds (0 unpaced). */
  readonly lagMilliseconds: number;
}

/** A run's outcome with the wall-time figures of its ticks, which the digest leaves out. */
export interface ScenarioOutcome extends RunOutcome {
  /** Per tick, how late its latest role started it (the most any shard or persona was behind), in wall milliseconds. */
  readonly tickLagsMilliseconds: readonly number[];
  /** Wall seconds from the run's start until its last tick completed on every shard and role. */
  readonly tickWallSeconds: number;
}

/**
 * Runs one scenario on a target: publishes its policy timeline to policy-authority (revisions
 * 1..n in order, as the core numbers them), creates the enrollment token, announces the run on
 * the run-lifecycle topic, follows the tick parts for progress, and returns telemetry's outcome.
 */
/** A run with no tick completed for this long is declared stuck (a service down, a peer lost). */
export const DEFAULT_STALL_SECONDS = 120;
const PROGRESS_POLL_MS = 2_000; // between two reads of telemetry's stored run, where the target has one
const FAILED_PUBLISH_BUDGET_MS = 30_000; // the FAILED of a run given up is tried this long (the command is ending)

export async function runScenario(
  target: RunTarget,
  request: RunRequest,
  onProgress: (progress: RunProgress) => void = () => undefined,
  stallSeconds = DEFAULT_STALL_SECONDS,
): Promise<ScenarioOutcome> {
  const { runId, config } = request;
  for (const [i, assignment] of (config.policies ?? []).entries()) {
    const revision = await target.publishPolicy(runId, assignment.policy, assignment.groups, assignment.tick);
    if (revision !== i + 1) throw new Error(`policy-authority numbered publish ${i + 1} of run ${runId} as revision ${revision}`);
  }
  const enrollmentToken = await target.createEnrollmentToken(runId, config.ticks);

  const partsPerTick = config.shards * ROLES_PER_SHARD;
  // Per tick not yet complete: parts received (by shard and role: a shard taken over by another
  // instance publishes the ticks after its checkpoint again), the most lag and the handsets online.
  const parts = new Map<number, { received: Set<number>; lag: number; online: number }>();
  const tickLagsMilliseconds: number[] = [];
  let ticksCompleted = 0;
  let events = 0;
  let handsetsOnline = 0;
  let startedAt = performance.now();
  let ticksDoneAt: number | undefined;
  let settle!: (phase: 'COMPLETED' | 'FAILED') => void;
  const ended = new Promise<'COMPLETED' | 'FAILED'>((resolve) => (settle = resolve));
  let lastProgressAt = Date.now();
  /** Why the driver gave the run up (a stall, Ctrl-C), when it did. */
  let abandoned: string | undefined;
  // A real-time run waits for each tick's due time: that wait is not a stall.
  const pacedTickMs = config.pacing?.mode === 'real-time' ? ((config.tickSeconds ?? DEFAULT_TICK_SECONDS) * 1000) / config.pacing.speedFactor : 0;
  // Telemetry's stored run, polled: the consumers below miss what is published while they rejoin
  // after a broker restart (they start at the topics' end), telemetry's record does not.
  let storedTicks = 0;
  const poll =
    target.progress === undefined
      ? undefined
      : setInterval(() => {
          void target.progress!(runId)
            .then((stored) => {
              if (stored === undefined) return;
              if (stored.ticksCompleted > storedTicks) {
                storedTicks = stored.ticksCompleted;
                lastProgressAt = Date.now();
              }
              if (stored.phase !== 'STARTED') settle(stored.phase);
            })
            .catch(() => undefined);
        }, PROGRESS_POLL_MS);
  poll?.unref();
  const watchdog = setInterval(() => {
    if (Date.now() - lastProgressAt > stallSeconds * 1000 + pacedTickMs) {
      abandoned = `no tick completed for ${stallSeconds} s (at tick ${ticksCompleted} of ${config.ticks}): are all services of the ${target.name} target up?`;
      settle('FAILED');
    }
  }, 1000);
  watchdog.unref();
  // Ctrl-C (or a SIGTERM) cancels the run: announced FAILED below, so every role lets it go.
  const cancel = (signal: NodeJS.Signals): void => {
    abandoned ??= `cancelled (${signal})`;
    settle('FAILED');
  };
  process.once('SIGINT', cancel);
  process.once('SIGTERM', cancel);
  const watcher = `duet-run-${runId}`;
  const progress = await target.bus.subscribe(`${watcher}-ticks`, ['duet.tick-kpis.v1'], async (messages: readonly IncomingMessage[], context) => {
    for (const message of messages) {
      const part = decodeChecked(
        message,
        context,
        (bytes) => contract.TickKpisRecorded.decode(bytes),
        (decoded) => identityViolation(decoded),
      );
      if (part === undefined || part.runId !== runId || part.tick < ticksCompleted) continue;
      const tick = parts.get(part.tick) ?? { received: new Set<number>(), lag: 0, online: 0 };
      const slot = part.shard * (ROLES_PER_SHARD + 1) + part.role;
      if (tick.received.has(slot)) continue;
      tick.received.add(slot);
      tick.lag = Math.max(tick.lag, part.lagMilliseconds);
      tick.online += Number(part.kpis?.handsetsOnline ?? 0);
      parts.set(part.tick, tick);
      events += Number(part.kpis?.events ?? 0);
      for (let done = parts.get(ticksCompleted); done !== undefined && done.received.size >= partsPerTick; done = parts.get(ticksCompleted)) {
        tickLagsMilliseconds.push(done.lag);
        handsetsOnline = done.online;
        parts.delete(ticksCompleted++);
        lastProgressAt = Date.now();
      }
      if (ticksCompleted === config.ticks) ticksDoneAt ??= performance.now();
    }
    onProgress({ ticksCompleted, ticks: config.ticks, events, handsetsOnline, lagMilliseconds: tickLagsMilliseconds[ticksCompleted - 1] ?? 0 });
  });
  const lifecycle = await target.bus.subscribe(`${watcher}-lifecycle`, ['duet.run-lifecycle.v1'], async (messages, context) => {
    for (const message of messages) {
      const update = decodeChecked(message, context, (bytes) => contract.RunLifecycle.decode(bytes), lifecycleViolation);
      if (update === undefined || update.runId !== runId) continue;
      if (update.phase === telemetry.RunPhase.RUN_PHASE_COMPLETED) settle('COMPLETED');
      if (update.phase === telemetry.RunPhase.RUN_PHASE_FAILED) settle('FAILED');
    }
  });
  try {
    startedAt = performance.now();
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
    const tickWallSeconds = ((ticksDoneAt ?? performance.now()) - startedAt) / 1000;
    if (abandoned !== undefined) {
      // Said on the lifecycle topic too, so every service lets the run go instead of waiting on it.
      await new RunReporter(target.bus).publishFailed(runId, `duet run: ${abandoned}`, FAILED_PUBLISH_BUDGET_MS).catch(() => undefined);
      return { runId, phase: 'FAILED', digest: '', failure: abandoned, tickLagsMilliseconds, tickWallSeconds };
    }
    return { ...(await target.outcome(runId)), tickLagsMilliseconds, tickWallSeconds };
  } finally {
    process.off('SIGINT', cancel);
    process.off('SIGTERM', cancel);
    clearInterval(watchdog);
    clearInterval(poll);
    await progress.close();
    await lifecycle.close();
  }
}
