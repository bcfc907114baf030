// The five service processes of the local stack (docs/design.md#services-and-contracts), in one explicit list: what each runs,
// the ports it serves and the environment it is configured by (services/*/src/config.ts).
import { postgresUrl, type StackCertificates } from '@duet/stack';
import type { KafkaPrincipal } from './kafka-principals';
import { defaultPorts, type StackPorts, type StackSecrets } from './stack-layout';

const HOST = '127.0.0.1';

export type ServiceName = 'hypervisor-core' | 'persona-runtime-personal' | 'persona-runtime-business' | 'policy-authority' | 'telemetry';

/**
 * The services that share their shards through Kafka consumer groups: `duet stack up --replicas N`
 * runs N instances of each, with no per-instance configuration but their ports.
 */
export const SCALABLE_SERVICES: readonly ServiceName[] = ['hypervisor-core', 'persona-runtime-personal', 'persona-runtime-business'];

/** Ports of one extra instance of a scalable service, chosen when `up` starts it and kept in the stack dir. */
export interface ReplicaPorts {
  readonly http: number;
  readonly grpc?: number;
}

/** What every service's environment is built from. */
export interface StackSettings extends StackSecrets {
  readonly ports: StackPorts;
  readonly kafkaBrokers: readonly string[];
  /** The role duet's URL: its password, TLS verified against the stack's CA. */
  readonly databaseUrl: string;
  /** The stack's CA and server certificate: every service port, Kafka and PostgreSQL serve it (tls/ in the stack dir); clients trust tls.caFile. */
  readonly tls: StackCertificates;
}

export interface StackService {
  /** The instance's name: the service's for its first instance, `<service>-<k>` for the k-th. */
  readonly name: string;
  /** The service it is an instance of. */
  readonly service: ServiceName;
  /** The built entry point, relative to the repository root. */
  readonly mainFile: string;
  httpPort(ports: StackPorts): number;
  /** Undefined for the persona runtimes, which serve only health over HTTP. */
  grpcPort(ports: StackPorts): number | undefined;
  /** The Kafka user it connects as (its ACLs: kafka-principals.ts). */
  readonly kafkaPrincipal: KafkaPrincipal;
  environment(settings: StackSettings): Record<string, string>;
}

export const STACK_SERVICES: readonly StackService[] = (
  [
    {
      name: 'hypervisor-core',
      kafkaPrincipal: 'hypervisor-core',
      mainFile: 'services/hypervisor-core/dist/main.js',
      httpPort: (ports) => ports.hypervisorHttp,
      grpcPort: (ports) => ports.hypervisorGrpc,
      environment: ({ ports, kafkaBrokers, serviceIdentityKey }) => ({
        KAFKA_BROKERS: kafkaBrokers.join(','),
        HOST,
        SERVICE_IDENTITY_KEY: serviceIdentityKey,
        GRPC_PORT: String(ports.hypervisorGrpc),
        HTTP_PORT: String(ports.hypervisorHttp),
      }),
    },
    {
      name: 'persona-runtime-personal',
      kafkaPrincipal: 'persona-runtime',
      mainFile: 'services/persona-runtime/dist/main.js',
      httpPort: (ports) => ports.personalHttp,
      grpcPort: () => undefined,
      environment: ({ ports, kafkaBrokers, serviceIdentityKey, runSecretsKey }) => ({
        PERSONA: 'personal',
        SERVICE_IDENTITY_KEY: serviceIdentityKey,
        RUN_SECRETS_KEY: runSecretsKey,
        KAFKA_BROKERS: kafkaBrokers.join(','),
        HOST,
        HTTP_PORT: String(ports.personalHttp),
      }),
    },
    {
      name: 'persona-runtime-business',
      kafkaPrincipal: 'persona-runtime',
      mainFile: 'services/persona-runtime/dist/main.js',
      httpPort: (ports) => ports.businessHttp,
      grpcPort: () => undefined,
      environment: ({ ports, kafkaBrokers, serviceIdentityKey, runSecretsKey }) => ({
        PERSONA: 'business',
        SERVICE_IDENTITY_KEY: serviceIdentityKey,
        RUN_SECRETS_KEY: runSecretsKey,
        KAFKA_BROKERS: kafkaBrokers.join(','),
        POLICY_AUTHORITY_ADDRESS: `${HOST}:${ports.policyAuthorityGrpc}`,
        HOST,
        HTTP_PORT: String(ports.businessHttp),
      }),
    },
    {
      name: 'policy-authority',
      kafkaPrincipal: 'policy-authority',
      mainFile: 'services/policy-authority/dist/main.js',
      httpPort: (ports) => ports.policyAuthorityHttp,
      grpcPort: (ports) => ports.policyAuthorityGrpc,
      environment: ({ ports, kafkaBrokers, databaseUrl, adminToken, enrollmentSecret, serviceIdentityKey }) => ({
        DATABASE_URL: databaseUrl,
        KAFKA_BROKERS: kafkaBrokers.join(','),
        GRPC_HOST: HOST,
        GRPC_PORT: String(ports.policyAuthorityGrpc),
        HTTP_HOST: HOST,
        HTTP_PORT: String(ports.policyAuthorityHttp),
        ADMIN_TOKEN: adminToken,
        ENROLLMENT_SECRET: enrollmentSecret,
        SERVICE_IDENTITY_KEY: serviceIdentityKey,
      }),
    },
    {
      name: 'telemetry',
      kafkaPrincipal: 'telemetry',
      mainFile: 'services/telemetry/dist/main.js',
      httpPort: (ports) => ports.telemetryHttp,
      grpcPort: (ports) => ports.telemetryGrpc,
      environment: ({ ports, kafkaBrokers, databaseUrl, viewerToken }) => ({
        DATABASE_URL: databaseUrl,
        KAFKA_BROKERS: kafkaBrokers.join(','),
        HOST,
        VIEWER_TOKEN: viewerToken,
        GRPC_PORT: String(ports.telemetryGrpc),
        HTTP_PORT: String(ports.telemetryHttp),
      }),
    },
  ] as Omit<StackService, 'service'>[]
).map((service) => ({ ...service, service: service.name as ServiceName }));

/** Instance `k` (2, 3, ...) of a scalable service's name. */
export function replicaName(service: ServiceName, k: number): string {
  return `${service}-${k}`;
}

/**
 * Every service instance of a stack with `replicas` instances of each scalable service, in start
 * order: the five services, then the extra instances. Every instance is told its name (INSTANCE_ID);
 * extra ones also their own ports.
 */
export function stackServices(replicas: number, replicaPorts: Readonly<Record<string, ReplicaPorts>>): StackService[] {
  const named = (service: StackService): StackService => ({
    ...service,
    environment: (settings) => ({
      ...service.environment(settings),
      ...tlsEnvironment(settings.tls),
      ...kafkaClientEnvironment(settings, service.kafkaPrincipal),
      INSTANCE_ID: service.name,
    }),
  });
  const instances = STACK_SERVICES.map(named);
  for (let k = 2; k <= replicas; k++) {
    for (const base of STACK_SERVICES.filter((service) => SCALABLE_SERVICES.includes(service.service))) {
      const name = replicaName(base.service, k);
      const ports = replicaPorts[name];
      if (ports === undefined) throw new Error(`no ports chosen for ${name}`);
      instances.push({
        name,
        service: base.service,
        mainFile: base.mainFile,
        kafkaPrincipal: base.kafkaPrincipal,
        httpPort: () => ports.http,
        grpcPort: () => ports.grpc,
        environment: (settings) => ({
          ...base.environment(settings),
          ...tlsEnvironment(settings.tls),
          ...kafkaClientEnvironment(settings, base.kafkaPrincipal),
          HTTP_PORT: String(ports.http),
          ...(ports.grpc === undefined ? {} : { GRPC_PORT: String(ports.grpc) }),
          INSTANCE_ID: name,
        }),
      });
    }
  }
  return instances;
}

/** Every instance serves TLS only, with the stack's certificate, and trusts the stack's CA as a client (service-kit tlsEnvironment). */
function tlsEnvironment(tls: StackCertificates): Record<string, string> {
  return { DUET_TLS_CERT: tls.certFile, DUET_TLS_KEY: tls.keyFile, DUET_TLS_CA: tls.caFile };
}

/** Whether the service serves gRPC (and so an extra instance needs a gRPC port too). */
export function servesGrpc(service: ServiceName): boolean {
  return STACK_SERVICES.find((each) => each.service === service)?.grpcPort(defaultPorts()) !== undefined;
}

export function kafkaBrokers(ports: StackPorts): string[] {
  return [`${HOST}:${ports.kafka}`];
}

/** The role duet's URL (role and database made by @duet/stack startPostgres): its password, TLS verified against caFile. */
export function databaseUrl(ports: StackPorts, secrets: Pick<StackSecrets, 'postgresPassword'>, caFile: string): string {
  return postgresUrl(ports.postgres, 'duet', 'duet', { password: secrets.postgresPassword, caFile });
}

/**
 * How a Kafka client of the stack connects as `principal` (service-kit kafkaClientSecurity reads
 * these): SASL_SSL, the stack's CA, the principal's SCRAM user.
 */
export function kafkaClientEnvironment(settings: StackSettings, principal: KafkaPrincipal): Record<string, string> {
  return {
    KAFKA_BROKERS: settings.kafkaBrokers.join(','),
    KAFKA_SSL_CA: settings.tls.caFile,
    KAFKA_SASL_USERNAME: principal,
    KAFKA_SASL_PASSWORD: settings.kafkaPasswords[principal],
  };
}

/**
 * The variables a shell (or `duet run --target local`, or a test) needs to use the stack, in the
 * names .env.example gives them: https:// URLs and the CA (DUET_TLS_CA) that verifies every port.
 */
export function clientEnvironment(settings: StackSettings): Record<string, string> {
  const { ports } = settings;
  return {
    ...kafkaClientEnvironment(settings, 'duet'),
    DUET_TLS_CA: settings.tls.caFile,
    DATABASE_URL: settings.databaseUrl,
    ADMIN_TOKEN: settings.adminToken,
    VIEWER_TOKEN: settings.viewerToken,
    RUN_SECRETS_KEY: settings.runSecretsKey,
    POLICY_AUTHORITY_URL: `https://${HOST}:${ports.policyAuthorityHttp}`,
    TELEMETRY_URL: `https://${HOST}:${ports.telemetryHttp}`,
    POLICY_AUTHORITY_ADDRESS: `${HOST}:${ports.policyAuthorityGrpc}`,
  };
}
