// Prometheus metrics (prom-client), one registry per process: every service's module imports
// MetricsModule, so the embedded mode serves all four services' metrics at one /metrics.
// Conventions: `duet_` prefix, base units, `_total` for counters, `_seconds` for durations, and
// bounded label values only (roles, topics, methods, states, reasons; never a handset or run id).
import { Controller, Get, Header, Injectable, Module } from '@nestjs/common';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { Observable } from 'rxjs';
import { grpcStatusName } from './grpc-requests';

/** The gRPC status code an RPC's error stands for. */
export type StatusOf = (error: unknown) => number | undefined;

function codeOfError(error: unknown): number | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'number' ? code : undefined;
}

// Per shard and tick: from sub-millisecond (embedded, small shards) to seconds (big shards, gRPC).
const TICK_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];
const RPC_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/** Handsets whose battery level (ratio 0..1) is at most `atMost`. */
export interface BatteryBand {
  readonly atMost: number;
  readonly handsets: number;
}

@Injectable()
export class Metrics {
  readonly registry = new Registry();

  readonly ticksProcessed = new Counter({
    name: 'duet_ticks_processed_total',
    help: 'Shard-ticks processed, by role (hypervisor, personal, business).',
    labelNames: ['role'] as const,
    registers: [this.registry],
  });

  readonly tickDuration = new Histogram({
    name: 'duet_tick_duration_seconds',
    help: 'Wall time to process one shard for one tick, by role (for a persona, including the exchange with hypervisor-core).',
    labelNames: ['role'] as const,
    buckets: TICK_BUCKETS,
    registers: [this.registry],
  });

  readonly tickLag = new Gauge({
    name: 'duet_tick_lag_seconds',
    help: 'How late the last tick started against its real-time schedule (0 when running as fast as possible), by role.',
    labelNames: ['role'] as const,
    registers: [this.registry],
  });

  readonly runTicksCompleted = new Gauge({
    name: 'duet_run_ticks_completed',
    help: 'Ticks completed on every shard and role of the latest run telemetry assembled.',
    registers: [this.registry],
  });

  readonly runTicks = new Gauge({
    name: 'duet_run_ticks',
    help: 'Ticks the latest run lasts.',
    registers: [this.registry],
  });

  readonly runs = new Counter({
    name: 'duet_runs_total',
    help: 'Runs telemetry saw reach a phase (started, completed, failed).',
    labelNames: ['phase'] as const,
    registers: [this.registry],
  });

  readonly handsets = new Gauge({
    name: 'duet_handsets',
    help: 'Handsets by state of the handset or its guest world after their last tick, over the runs hypervisor-core holds (in progress or finished within a minute).',
    labelNames: ['state'] as const,
    registers: [this.registry],
  });

  private readonly batteryLevelSources = new Set<() => BatteryBand[]>();

  readonly batteryLevels = new Gauge({
    name: 'duet_handsets_battery_level',
    help: 'Handsets whose battery level (ratio 0..1) is at most `at_most`, after the last tick: the fleet battery distribution as cumulative bands.',
    labelNames: ['at_most'] as const,
    registers: [this.registry],
    // Counted when read (a scrape, the dashboard), not every tick: a pass over every handset.
    collect: () => {
      if (this.batteryLevelSources.size === 0) return;
      const sums = new Map<number, number>();
      for (const source of this.batteryLevelSources) for (const band of source()) sums.set(band.atMost, (sums.get(band.atMost) ?? 0) + band.handsets);
      for (const [atMost, handsets] of sums) this.batteryLevels.set({ at_most: String(atMost) }, handsets);
    },
  });

  /**
   * Adds a source of batteryLevels, asked for its cumulative bands whenever the gauge is read; the
   * gauge is their sum. Returns the function that removes it.
   */
  onBatteryLevelsRead(source: () => BatteryBand[]): () => void {
    this.batteryLevelSources.add(source);
    return () => this.batteryLevelSources.delete(source);
  }

  readonly nonCompliant = new Gauge({
    name: 'duet_handsets_non_compliant',
    help: 'Enrolled handsets non-compliant at their last check-in, by AMAPI non-compliance reason.',
    labelNames: ['reason'] as const,
    registers: [this.registry],
  });

  readonly flows = new Counter({
    name: 'duet_cross_persona_flows_total',
    help: 'Cross-persona flows mediated by the hypervisor, by result (allowed, blocked).',
    labelNames: ['result'] as const,
    registers: [this.registry],
  });

  readonly leaks = new Counter({
    name: 'duet_data_leaks_total',
    help: 'Business items the hypervisor let into the personal persona (the data-leak ledger), by flow.',
    labelNames: ['flow'] as const,
    registers: [this.registry],
  });

  readonly messagesProduced = new Counter({
    name: 'duet_events_produced_total',
    help: 'Messages published on the event bus, by topic.',
    labelNames: ['topic'] as const,
    registers: [this.registry],
  });

  readonly messagesConsumed = new Counter({
    name: 'duet_events_consumed_total',
    help: 'Messages handled from the event bus, by topic and consumer group.',
    labelNames: ['topic', 'group'] as const,
    registers: [this.registry],
  });

  readonly messagesDeadLettered = new Counter({
    name: 'duet_events_dead_lettered_total',
    help: "Messages moved to their topic's dead-letter topic (<topic>.dlq) because they could not be decoded, broke the contract or kept failing, by source topic and consumer group.",
    labelNames: ['topic', 'group'] as const,
    registers: [this.registry],
  });

  readonly deliveryRetries = new Counter({
    name: 'duet_events_delivery_retries_total',
    help: 'Batches handed to a consumer again after its handler failed, by consumer group, topic and cause (transient: a dependency away; failed: any other error).',
    labelNames: ['group', 'topic', 'cause'] as const,
    registers: [this.registry],
  });

  readonly consumerLag = new Gauge({
    name: 'duet_kafka_consumer_lag_messages',
    help: 'Messages behind the end of the partition at the last batch, by consumer group and topic (summed over partitions).',
    labelNames: ['group', 'topic'] as const,
    registers: [this.registry],
  });

  readonly rpcDuration = new Histogram({
    name: 'duet_rpc_duration_seconds',
    help: 'Duration of RPCs as seen by the caller (side=client) or the handler (side=server), by method and outcome code.',
    labelNames: ['method', 'side', 'code'] as const,
    buckets: RPC_BUCKETS,
    registers: [this.registry],
  });

  constructor() {
    collectDefaultMetrics({ register: this.registry, prefix: 'duet_process_' });
    // prom-client names three of its default gauges `_total`, which Prometheus conventions (and
    // promtool check metrics) reserve for counters; the same figures stay in `_handles`/`_requests`.
    for (const name of ['nodejs_active_handles_total', 'nodejs_active_requests_total', 'nodejs_active_resources_total']) {
      this.registry.removeSingleMetric(`duet_process_${name}`);
    }
  }

  /**
   * Times an async call into duet_rpc_duration_seconds, its outcome labelled with the gRPC status
   * name `statusOf` gives the error (by default the error's numeric `code`, else UNKNOWN).
   */
  async timeRpc<T>(method: string, side: 'client' | 'server', call: () => Promise<T>, statusOf: StatusOf = codeOfError): Promise<T> {
    const end = this.rpcDuration.startTimer({ method, side });
    try {
      const result = await call();
      end({ code: 'OK' });
      return result;
    } catch (error) {
      end({ code: grpcStatusName(statusOf(error)) });
      throw error;
    }
  }

  /** Times a server stream from subscription to its end (CANCELLED when the caller leaves first). */
  timeStream<T>(method: string, stream: Observable<T>, statusOf: StatusOf = codeOfError): Observable<T> {
    return new Observable<T>((subscriber) => {
      const end = this.rpcDuration.startTimer({ method, side: 'server' });
      let ended = false;
      const finish = (code: string) => {
        if (!ended) end({ code });
        ended = true;
      };
      const subscription = stream.subscribe({
        next: (value) => subscriber.next(value),
        error: (error: unknown) => {
          finish(grpcStatusName(statusOf(error)));
          subscriber.error(error);
        },
        complete: () => {
          finish('OK');
          subscriber.complete();
        },
      });
      return () => {
        finish('CANCELLED');
        subscription.unsubscribe();
      };
    });
  }
}

/** The registry of the process; modules import MetricsModule and inject Metrics. */
export const PROCESS_METRICS = new Metrics();

@Controller()
export class MetricsController {
  constructor(private readonly metrics: Metrics) {}

  @Get('metrics')
  @Header('content-type', 'text/plain; version=0.0.4; charset=utf-8')
  scrape(): Promise<string> {
    return this.metrics.registry.metrics();
  }
}

@Module({ controllers: [MetricsController], providers: [{ provide: Metrics, useValue: PROCESS_METRICS }], exports: [Metrics] })
export class MetricsModule {}
