// The runs a service instance knows of, from duet.run-lifecycle.v1 read from its beginning: a
// run's STARTED message carries its whole config, so any instance, also one started or given a
// shard mid-run, can build the run's shards; COMPLETED and FAILED end it. Instances of the
// stateful roles read it in a group of their own, so every instance sees every run.
import { events as contract, findTopic, telemetry } from '@duet/contracts';
import type { DeliveryContext, EventBus, IncomingMessage, Subscription } from './event-bus';
import { decodeChecked, lifecycleViolation } from './message-contract';
import { ReadProgress } from './read-progress';

const RUN_LIFECYCLE = findTopic('duet.run-lifecycle.v1');
// A run still unfinished this long after it started is not taken up again by an instance that
// learns of it at start-up (its driver is long gone; nothing will complete it).
const RESUME_WINDOW_MS = 24 * 3600_000;

export interface KnownRun {
  readonly runId: string;
  readonly configJson: string;
  readonly enrollmentToken: string;
  /** Wall time (ms) the STARTED message was written. */
  readonly startedAt: number;
  /** Set once the run ended: no role works on it any more. */
  ended?: 'COMPLETED' | 'FAILED';
}

export interface RunDirectoryListener {
  /** A run to work on: STARTED and not ended (also each such run found when catching up at start-up). */
  started(run: KnownRun): void;
  /** The run completed or failed: its state can go. */
  ended(run: KnownRun): void;
}

export class RunDirectory {
  private readonly runs = new Map<string, KnownRun>();
  private readonly progress = new ReadProgress();
  private subscription: Subscription | undefined;
  private caughtUp = false;
  private catchUpTo = 0;

  constructor(
    private readonly bus: EventBus,
    private readonly groupId: string,
    private readonly listener: RunDirectoryListener,
    private readonly now: () => number = Date.now,
  ) {}

  /** Resolves once every lifecycle message written before the call has been read. */
  async start(): Promise<void> {
    this.catchUpTo = (await this.bus.endOffsets(RUN_LIFECYCLE.name)).get(0)?.high ?? 0;
    if (this.catchUpTo === 0) this.caughtUp = true;
    this.subscription = await this.bus.subscribe(this.groupId, [RUN_LIFECYCLE.name], async (messages, context) => this.read(messages, context), {
      fromBeginning: true,
      manualCommit: true,
    });
  }

  async close(): Promise<void> {
    await this.subscription?.close();
  }

  get(runId: string): KnownRun | undefined {
    return this.runs.get(runId);
  }

  /** Waits (bounded) for a run's STARTED: a message about it may overtake it on another topic. */
  async waitFor(runId: string, timeoutMs: number): Promise<KnownRun | undefined> {
    await this.progress.until(() => this.runs.has(runId), this.now() + timeoutMs, this.now);
    return this.runs.get(runId);
  }

  /** Runs under way. */
  active(): KnownRun[] {
    return [...this.runs.values()].filter((run) => run.ended === undefined);
  }

  private read(messages: readonly IncomingMessage[], context: DeliveryContext): void {
    const touched = new Set<KnownRun>();
    let last = -1;
    for (const message of messages) {
      last = Math.max(last, Number(message.offset));
      const lifecycle = decodeChecked(message, context, (bytes) => contract.RunLifecycle.decode(bytes), lifecycleViolation);
      if (lifecycle === undefined) continue; // not a lifecycle message: dead-lettered, nothing to learn from it
      const known = this.runs.get(lifecycle.runId);
      if (lifecycle.phase === telemetry.RunPhase.RUN_PHASE_STARTED && known === undefined) {
        const run: KnownRun = {
          runId: lifecycle.runId,
          configJson: lifecycle.configJson,
          enrollmentToken: lifecycle.enrollmentToken,
          startedAt: message.timestamp ?? this.now(),
        };
        this.runs.set(run.runId, run);
        touched.add(run);
      } else if (known !== undefined && known.ended === undefined) {
        if (lifecycle.phase === telemetry.RunPhase.RUN_PHASE_COMPLETED) known.ended = 'COMPLETED';
        else if (lifecycle.phase === telemetry.RunPhase.RUN_PHASE_FAILED) known.ended = 'FAILED';
        if (known.ended !== undefined) touched.add(known);
      }
    }
    const wasCaughtUp = this.caughtUp;
    if (last + 1 >= this.catchUpTo) this.caughtUp = true;
    this.progress.advanced();
    if (!this.caughtUp) return;
    if (!wasCaughtUp) {
      // The history is read: take up what is still under way (and recent), once.
      for (const run of this.runs.values()) {
        if (run.ended === undefined && this.now() - run.startedAt > RESUME_WINDOW_MS) run.ended = 'FAILED';
        if (run.ended === undefined) this.listener.started(run);
      }
      return;
    }
    for (const run of touched) {
      if (run.ended === undefined) this.listener.started(run);
      else this.listener.ended(run);
    }
  }
}

/**
 * The run a consumed message names, when it is under way: a message of a run never started (within
 * `waitMs`, its STARTED may travel on another topic) is rejected, one of a run that ended is skipped.
 */
export async function activeRunOf(
  knownRun: (runId: string, waitMs: number) => Promise<KnownRun | undefined>,
  runId: string,
  message: IncomingMessage,
  context: DeliveryContext,
  waitMs: number,
): Promise<KnownRun | undefined> {
  const run = await knownRun(runId, waitMs);
  if (run === undefined) {
    context.reject(message, `run_id: no run "${runId}" was started`);
    return undefined;
  }
  return run.ended === undefined ? run : undefined;
}
