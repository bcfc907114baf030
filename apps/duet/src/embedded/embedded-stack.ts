// The embedded mode (docs/design.md#modes): all four services' Nest modules in one process, wired with the
// in-process adapters of their ports (event bus, peers) and an embedded PostgreSQL. No Docker,
// no Java, no server to install. The domain code is the one the networked services run.
import 'reflect-metadata';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { Module, type DynamicModule, type INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { HypervisorCoreModule, HypervisorRunsService } from '@duet/hypervisor-core';
import {
  GrpcPolicyGateway,
  InProcessHypervisorPeer,
  InProcessPolicyGateway,
  MeasuredPolicyGateway,
  PerHandsetPolicyGateway,
  PersonaRuntimeModule,
  type PolicyGateway,
  type PolicyLoadFigures,
} from '@duet/persona-runtime';
import { AgentService, PolicyAuthorityModule } from '@duet/policy-authority';
import { Database, InProcessEventBus, startEmbeddedPostgres, type EmbeddedPostgresHandle } from '@duet/service-kit';
import { Persona } from '@duet/sim-core';
import { TelemetryModule, migrateTelemetry } from '@duet/telemetry';

export interface EmbeddedStack {
  readonly app: INestApplication;
  readonly bus: InProcessEventBus;
  readonly database: Database;
  /** http://127.0.0.1:<port>: health and telemetry's query API. */
  readonly url: string;
  /** The business agents' policy calls, measured (latency histograms, errors, divergences) per run. */
  readonly policyCalls: { figures(runId: string): PolicyLoadFigures | undefined };
  close(): Promise<void>;
}

export interface EmbeddedStackOptions {
  /** Where the embedded PostgreSQL keeps its data for this process. */
  readonly dataDir: string;
  /** HTTP port for health and the query API; 0 picks a free one. */
  readonly httpPort?: number;
  /**
   * A policy authority to load-test over gRPC (duet.policy.v1.PolicyService, at host:port): the
   * business agents call it instead of the embedded one, showing its admin token, which lets them
   * re-enroll handsets whose business world is re-provisioned.
   */
  readonly policyAuthority?: { readonly address: string; readonly adminToken: string; readonly caFile?: string };
  /** With policyAuthority: one batch RPC per shard and tick (default), or each agent's own unary calls. */
  readonly traffic?: Traffic;
  /** HTTP/2 connections of per-handset traffic. */
  readonly connections?: number;
}

export type Traffic = 'batched' | 'per-handset';
/** Connections per-handset traffic opens by default: a fleet's agents arrive over many. */
export const DEFAULT_CONNECTIONS = 16;

const UNLOGGED_TABLES = [
  'policy_authority.devices',
  'policy_authority.shard_check_ins',
  'policy_authority.check_in_batches',
  'policy_authority.compliance_records',
  'telemetry.tick_kpis',
  'telemetry.tick_kpi_parts',
  'telemetry.final_state_parts',
  'telemetry.event_batches',
  'telemetry.pending_event_batches',
  'telemetry.policy_applications',
  'telemetry.series',
];

/** A late-bound reference: the persona modules are registered before Nest builds the services they call. */
class Later<T> {
  private value: T | undefined;
  set(value: T): void {
    this.value = value;
  }
  get(): T {
    if (this.value === undefined) throw new Error('the embedded stack is not started yet');
    return this.value;
  }
}

export async function startEmbeddedStack(options: EmbeddedStackOptions): Promise<EmbeddedStack> {
  const postgres: EmbeddedPostgresHandle = await startEmbeddedPostgres({ dataDir: join(options.dataDir, `postgres-${process.pid}`) });
  const database = new Database(postgres.url);
  const bus = new InProcessEventBus();
  try {
    await PolicyAuthorityModule.migrate(database);
    await migrateTelemetry(database);
    // The tables written per tick skip the write-ahead log: this database is the process's own
    // and gone with it, and at 100,000 handsets their WAL was a large share of PostgreSQL's work.
    for (const table of UNLOGGED_TABLES) await database.query(`ALTER TABLE ${table} SET UNLOGGED`);
    const hypervisorRuns = new Later<HypervisorRunsService>();
    const agents = new Later<AgentService>();
    const hypervisor = new InProcessHypervisorPeer(
      { exchange: (request) => hypervisorRuns.get().exchange(request) },
      (error) => (error as { reason?: string }).reason === 'unknown-run',
    );
    const { policy, remote } = policyGateway(options, agents);
    const secret = randomBytes(24).toString('base64url');
    const root: DynamicModule = {
      module: EmbeddedRootModule,
      imports: [
        PolicyAuthorityModule.register({ database, eventBus: bus, adminToken: secret, enrollmentSecret: secret }),
        TelemetryModule.register({ database, eventBus: bus }),
        HypervisorCoreModule.register({ eventBus: bus, instanceId: 'embedded' }),
        PersonaRuntimeModule.register({ persona: Persona.PERSONAL, eventBus: bus, hypervisor, instanceId: 'embedded' }),
        PersonaRuntimeModule.register({ persona: Persona.BUSINESS, eventBus: bus, hypervisor, policy, instanceId: 'embedded' }),
      ],
    };
    const app = await NestFactory.create(root, { logger: process.env.DUET_LOG === 'debug' ? ['error', 'warn', 'log', 'debug'] : ['error', 'warn'] });
    hypervisorRuns.set(app.get(HypervisorRunsService));
    agents.set(app.get(AgentService));
    app.enableShutdownHooks();
    await app.listen(options.httpPort ?? 0, '127.0.0.1');
    const address = app.getHttpServer().address() as { port: number };
    return {
      app,
      bus,
      database,
      url: `http://127.0.0.1:${address.port}`,
      policyCalls: policy,
      async close() {
        await app.close();
        remote?.close();
        await bus.close();
        await database.close();
        await postgres.stop();
      },
    };
  } catch (error) {
    await database.close().catch(() => undefined);
    await postgres.stop().catch(() => undefined);
    throw error;
  }
}

@Module({})
class EmbeddedRootModule {}

// The business agents' gateway: measured batches to the embedded policy authority or to the one
// under test, or per-handset calls to the one under test (measured per RPC by the gateway itself).
function policyGateway(
  options: EmbeddedStackOptions,
  agents: Later<AgentService>,
): { policy: PolicyGateway & EmbeddedStack['policyCalls']; remote?: { close(): void } } {
  if (options.policyAuthority !== undefined && options.traffic === 'per-handset') {
    const perHandset = new PerHandsetPolicyGateway({
      address: options.policyAuthority.address,
      connections: options.connections ?? DEFAULT_CONNECTIONS,
      caFile: options.policyAuthority.caFile,
    });
    return { policy: perHandset, remote: perHandset };
  }
  const remote =
    options.policyAuthority === undefined
      ? undefined
      : new GrpcPolicyGateway(options.policyAuthority.address, `Bearer ${options.policyAuthority.adminToken}`, options.policyAuthority.caFile);
  const inner =
    remote ??
    new InProcessPolicyGateway({
      enrollBatch: (request) => agents.get().enrollBatch(request),
      checkInBatch: (request) => agents.get().checkInBatch(request),
    });
  return { policy: new MeasuredPolicyGateway(inner), remote };
}
