import { Inject, Injectable, Logger } from '@nestjs/common';
import { DashboardRepository, type StoredTick } from '../repositories/dashboard.repository';
import { RunsRepository, type RunRow } from '../repositories/runs.repository';
import { toDashboardRun, type DashboardRun } from './dashboard.service';

/** What a watcher of one run is told, in order: the run, then its new final ticks, then its end. */
export type RunFeedMessage =
  | { readonly type: 'run'; readonly run: DashboardRun }
  | { readonly type: 'tick'; readonly runId: string; readonly ticksCompleted: number; readonly ticks: StoredTick[] }
  | { readonly type: 'phase'; readonly runId: string; readonly phase: 'COMPLETED' | 'FAILED'; readonly digest?: string; readonly failure?: string }
  | { readonly type: 'problem'; readonly runId: string; readonly message: string };

/** How often the feed reads a watched run; injectable so tests need not wait. */
export class RunFeedSettings {
  constructor(
    /** Wall milliseconds between reads of a watched run. */
    readonly pollMilliseconds = 500,
    /** Wall milliseconds between SSE comment lines that keep idle connections (and proxies) open. */
    readonly heartbeatMilliseconds = 15_000,
  ) {}
}

const MAX_TICKS_PER_MESSAGE = 500; // a client that fell far behind catches up over several messages

/**
 * Live updates of runs for the dashboard's event stream. It polls what the recorder stores rather
 * than hooking into the recorder: PostgreSQL is the one place a run's progress is true, so the
 * feed works the same whether the recorder runs in this process or in another one, and the
 * recorder stays free of presentation concerns. One read of the run row per poll; tick rows only
 * when some became final.
 */
@Injectable()
export class RunFeed {
  private readonly logger = new Logger('telemetry.dashboard');
  private active = 0;

  constructor(
    @Inject(RunsRepository) private readonly runs: RunsRepository,
    @Inject(DashboardRepository) private readonly dashboard: DashboardRepository,
    @Inject(RunFeedSettings) private readonly settings: RunFeedSettings,
  ) {}

  /** Runs being watched now (one per open stream). */
  get watchers(): number {
    return this.active;
  }

  /**
   * Tells `send` about `run` from tick `since` on (undefined = from now), until the run completes
   * or fails, then calls `end`. The returned function stops watching (a client went away).
   */
  watch(run: RunRow, since: number | undefined, send: (message: RunFeedMessage) => void, end: () => void): () => void {
    let stopped = false;
    this.active++;
    let timer: NodeJS.Timeout | undefined;
    let sent = Math.min(since ?? run.ticksCompleted, run.ticksCompleted);
    const runId = run.runId;
    send({ type: 'run', run: toDashboardRun(run) });

    const poll = async (): Promise<void> => {
      const row = await this.runs.find(runId);
      if (stopped || row === undefined) return;
      while (sent < row.ticksCompleted && !stopped) {
        const ticks = await this.dashboard.ticksFrom(runId, sent, MAX_TICKS_PER_MESSAGE);
        if (ticks.length === 0 || stopped) break;
        sent = ticks[ticks.length - 1].tick + 1;
        send({ type: 'tick', runId, ticksCompleted: sent, ticks });
      }
      if (row.phase !== 'STARTED' && !stopped) {
        send({ type: 'phase', runId, phase: row.phase, digest: row.digest, failure: row.failure });
        stop();
        end();
      }
    };
    const schedule = (delay: number) => {
      timer = setTimeout(() => {
        poll()
          .catch((error: unknown) => {
            // PostgreSQL away for a moment: say so and keep trying; the stream stays open.
            const message = error instanceof Error ? error.message : String(error);
            this.logger.warn(`dashboard feed of run ${runId}: ${message}`);
            if (!stopped) send({ type: 'problem', runId, message });
          })
          .finally(() => {
            if (!stopped) schedule(this.settings.pollMilliseconds);
          });
      }, delay);
    };
    const stop = () => {
      if (stopped) return;
      stopped = true;
      this.active--;
      clearTimeout(timer);
    };
    schedule(0);
    return stop;
  }
}
