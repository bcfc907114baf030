import { Module, type DynamicModule, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import { Database, EventBus, HealthChecks, HealthModule, migrate, MetricsModule, Outbox } from '@duet/service-kit';
import { join } from 'node:path';
import { AdminTokenGuard } from './controllers/admin-token.guard';
import { PolicyAdminGrpcController } from './controllers/policy-admin.grpc';
import { PolicyAdminHttpController } from './controllers/policy-admin.http';
import { PolicyGrpcController } from './controllers/policy.grpc';
import { RateLimitGuard } from './controllers/rate-limit.guard';
import { ReEnrollAuthority } from './controllers/re-enroll-authority';
import { DeviceCredentials } from './domain/device-credential';
import { PolicyAuthoritySettings } from './policy-authority.settings';
import { CommandIssuedPublisher } from './publishers/command-issued.publisher';
import { PolicyChangedPublisher } from './publishers/policy-changed.publisher';
import { CommandRepository } from './repositories/command.repository';
import { ComplianceRepository } from './repositories/compliance.repository';
import { DeviceRepository } from './repositories/device.repository';
import { EnrollmentTokenRepository } from './repositories/enrollment-token.repository';
import { PolicyRepository } from './repositories/policy.repository';
import { PublicationRepository } from './repositories/publication.repository';
import { ShardCheckInRepository } from './repositories/shard-check-in.repository';
import { AgentService } from './services/agent.service';
import { CheckInGroupCommit } from './services/check-in.group-commit';
import { EnrollmentGroupCommit } from './services/enrollment.group-commit';
import { CommandService } from './services/command.service';
import { DeviceGroupCache } from './services/device-group.cache';
import { ShardReportCache } from './services/shard-report.cache';
import { ComplianceService } from './services/compliance.service';
import { EnrollmentTokenService } from './services/enrollment-token.service';
import { PolicyCatalogueService } from './services/policy-catalogue.service';
import { PublicationService } from './services/publication.service';
import { RevisionPolicyCache } from './services/revision-policy.cache';
import { RevisionTimelineCache } from './services/revision-timeline.cache';

/** The PostgreSQL schema policy-authority owns; its tables live nowhere else. */
export const POLICY_AUTHORITY_SCHEMA = 'policy_authority';
// Resolved from this file, so it holds from src/ (tests) and dist/ alike.
const MIGRATIONS_DIRECTORY = join(__dirname, '..', 'migrations');

export interface PolicyAuthorityModuleOptions {
  /** PostgreSQL; the caller opens and closes it (and runs PolicyAuthorityModule.migrate first). */
  readonly database: Database;
  /** Where PolicyChanged and CommandIssued go; the caller opens and closes it. */
  readonly eventBus: EventBus;
  /** Bearer token of the admin API. */
  readonly adminToken: string;
  /** HMAC key of device credentials. */
  readonly enrollmentSecret: string;
  /** PolicyService requests a second per client; 0 = no limit; default DEFAULT_RATE_LIMIT_PER_SECOND. */
  readonly rateLimitPerSecond?: number;
  /** The stack's service key (service identities); without it only the admin may re-enroll a handset. */
  readonly serviceIdentityKey?: string;
}

const REPOSITORIES = [
  PolicyRepository,
  PublicationRepository,
  EnrollmentTokenRepository,
  DeviceRepository,
  ShardCheckInRepository,
  CommandRepository,
  ComplianceRepository,
];
const SERVICES = [
  AgentService,
  PolicyCatalogueService,
  PublicationService,
  EnrollmentTokenService,
  CommandService,
  ComplianceService,
  RevisionTimelineCache,
  DeviceGroupCache,
  ShardReportCache,
  RevisionPolicyCache,
  CheckInGroupCommit,
  EnrollmentGroupCommit,
];
const PUBLISHERS = [PolicyChangedPublisher, CommandIssuedPublisher];
const CONTROLLERS = [PolicyGrpcController, PolicyAdminGrpcController, PolicyAdminHttpController];

/**
 * policy-authority as one Nest module, for both compositions: main.ts (networked: HTTP + gRPC,
 * Kafka) and the embedded composition root (every service in one process, in-process event bus),
 * which gets the application services (AgentService ...) from the app and calls them directly.
 */
@Module({})
export class PolicyAuthorityModule implements OnModuleInit, OnModuleDestroy {
  constructor(
    private readonly health: HealthChecks,
    private readonly database: Database,
    private readonly eventBus: EventBus,
    private readonly outbox: Outbox,
  ) {}

  static register(options: PolicyAuthorityModuleOptions): DynamicModule {
    const settings = new PolicyAuthoritySettings(options.adminToken, options.enrollmentSecret, options.rateLimitPerSecond, options.serviceIdentityKey);
    return {
      module: PolicyAuthorityModule,
      imports: [HealthModule, MetricsModule],
      controllers: CONTROLLERS,
      providers: [
        { provide: Database, useValue: options.database },
        { provide: EventBus, useValue: options.eventBus },
        { provide: PolicyAuthoritySettings, useValue: settings },
        { provide: DeviceCredentials, useValue: new DeviceCredentials(settings.enrollmentSecret) },
        AdminTokenGuard,
        {
          provide: Outbox,
          useFactory: (database: Database, eventBus: EventBus) => new Outbox(database, eventBus, POLICY_AUTHORITY_SCHEMA),
          inject: [Database, EventBus],
        },
        RateLimitGuard,
        ReEnrollAuthority,
        ...REPOSITORIES,
        ...SERVICES,
        ...PUBLISHERS,
      ],
      exports: SERVICES,
    };
  }

  /** Applies policy-authority's migrations (schema policy_authority); returns the files applied. */
  static async migrate(database: Database): Promise<string[]> {
    const applied = await migrate(database, MIGRATIONS_DIRECTORY, POLICY_AUTHORITY_SCHEMA);
    return [...applied, ...(await Outbox.migrate(database, POLICY_AUTHORITY_SCHEMA))];
  }

  onModuleInit(): void {
    this.health.register('policy-authority.postgresql', () => this.database.check());
    this.health.register('policy-authority.event-bus', () => this.eventBus.ready());
    void this.outbox.relay(); // what an earlier process stored but could not publish
  }

  async onModuleDestroy(): Promise<void> {
    await this.outbox.close();
  }
}
