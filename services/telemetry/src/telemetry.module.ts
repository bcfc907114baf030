import { join } from 'node:path';
import { Inject, Module, type DynamicModule, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import { Database, EventBus, HealthChecks, HealthModule, migrate, MetricsModule, Outbox } from '@duet/service-kit';
import { TelemetryEventsConsumer } from './consumers/telemetry-events.consumer';
import { RunsHttpController } from './controllers/runs.http';
import { DashboardHttpController } from './dashboard/dashboard.http';
import { DashboardPageController } from './dashboard/dashboard-page.http';
import { DashboardService } from './dashboard/dashboard.service';
import { RunFeed, RunFeedSettings } from './dashboard/run-feed';
import { TelemetryGrpcController } from './controllers/telemetry.grpc';
import { ViewerGuard } from './controllers/viewer.guard';
import { RunLifecyclePublisher } from './publishers/run-lifecycle.publisher';
import { DashboardRepository } from './repositories/dashboard.repository';
import { FinalStatesRepository } from './repositories/final-states.repository';
import { PendingEventBatchesRepository } from './repositories/pending-event-batches.repository';
import { PolicyApplicationsRepository } from './repositories/policy-applications.repository';
import { RunsRepository } from './repositories/runs.repository';
import { SeriesRepository } from './repositories/series.repository';
import { TickKpisRepository } from './repositories/tick-kpis.repository';
import { RunRecorder } from './services/run-recorder.service';
import { TelemetryQueryService } from './services/telemetry-query.service';
import { TelemetrySettings } from './telemetry.settings';

/** The PostgreSQL schema telemetry owns (services share one server in the embedded mode). */
export const TELEMETRY_SCHEMA = 'telemetry';
const MIGRATIONS = join(__dirname, '..', 'migrations'); // from src/ (tests) and dist/ alike

/** Applies telemetry's migrations to its schema; returns the files applied now. */
export async function migrateTelemetry(database: Database): Promise<string[]> {
  const applied = await migrate(database, MIGRATIONS, TELEMETRY_SCHEMA);
  return [...applied, ...(await Outbox.migrate(database, TELEMETRY_SCHEMA))];
}

export interface TelemetryModuleOptions {
  /** PostgreSQL, migrated with migrateTelemetry. The caller opens and closes it. */
  readonly database: Database;
  /** Kafka in networked mode, the in-process bus in the embedded mode. The caller opens and closes it. */
  readonly eventBus: EventBus;
  /** Consumer group reading the event topics; default "telemetry". */
  readonly consumerGroup?: string;
  /** How often the dashboard's live feed reads a watched run (default every 500 ms, heartbeat every 15 s). */
  readonly dashboardFeed?: { readonly pollMilliseconds?: number; readonly heartbeatMilliseconds?: number };
  /** The read-only token of the query APIs and the dashboard; without it they are open (the embedded mode). */
  readonly viewerToken?: string;
}

/**
 * The telemetry service as a Nest module: consumers start on module init and stop on destroy;
 * TelemetryQueryService is exported for a composition root that wants a run's digest and summary.
 */
@Module({})
export class TelemetryModule implements OnModuleInit, OnModuleDestroy {
  constructor(
    @Inject(HealthChecks) private readonly health: HealthChecks,
    @Inject(Database) private readonly database: Database,
    @Inject(EventBus) private readonly eventBus: EventBus,
    @Inject(Outbox) private readonly outbox: Outbox,
  ) {}

  static register(options: TelemetryModuleOptions): DynamicModule {
    return {
      module: TelemetryModule,
      imports: [HealthModule, MetricsModule],
      controllers: [TelemetryGrpcController, RunsHttpController, DashboardHttpController, DashboardPageController],
      providers: [
        { provide: Database, useValue: options.database },
        { provide: EventBus, useValue: options.eventBus },
        { provide: TelemetrySettings, useValue: new TelemetrySettings(options.consumerGroup ?? 'telemetry', options.viewerToken) },
        {
          provide: Outbox,
          useFactory: (database: Database, eventBus: EventBus) => new Outbox(database, eventBus, TELEMETRY_SCHEMA),
          inject: [Database, EventBus],
        },
        RunsRepository,
        TickKpisRepository,
        FinalStatesRepository,
        SeriesRepository,
        PolicyApplicationsRepository,
        PendingEventBatchesRepository,
        RunLifecyclePublisher,
        RunRecorder,
        TelemetryQueryService,
        ViewerGuard,
        TelemetryEventsConsumer,
        DashboardRepository,
        DashboardService,
        RunFeed,
        {
          provide: RunFeedSettings,
          useValue: new RunFeedSettings(options.dashboardFeed?.pollMilliseconds, options.dashboardFeed?.heartbeatMilliseconds),
        },
      ],
      exports: [TelemetryQueryService],
    };
  }

  onModuleInit(): void {
    this.health.register('telemetry.postgresql', () => this.database.check());
    this.health.register('telemetry.event-bus', () => this.eventBus.ready());
    this.health.registerLiveness('telemetry.event-bus', () => this.eventBus.notLive());
    void this.outbox.relay(); // what an earlier process stored but could not publish
  }

  async onModuleDestroy(): Promise<void> {
    await this.outbox.close();
  }
}
