// The five service processes of the local stack (DESIGN §2), in one explicit list: what each runs,
// the ports it serves and the environment it is configured by (services/*/src/config.ts).
import type { StackPorts } from './stack-layout';

const HOST = '127.0.0.1';

export type ServiceName = 'hypervisor-core' | 'persona-runtime-personal' | 'persona-runtime-business' | 'policy-authority' | 'telemetry';

/** What every service's environment is built from. */
export interface StackSettings {
  readonly ports: StackPorts;
  readonly kafkaBrokers: readonly string[];
  readonly databaseUrl: string;
  readonly adminToken: string;
  readonly enrollmentSecret: string;
}

export interface StackService {
  readonly name: ServiceName;
  /** The built entry point, relative to the repository root. */
  readonly mainFile: string;
  httpPort(ports: StackPorts): number;
  /** Undefined for the persona runtimes, which serve only health over HTTP. */
  grpcPort(ports: StackPorts): number | undefined;
  environment(settings: StackSettings): Record<string, string>;
}

export const STACK_SERVICES: readonly StackService[] = [
  {
    name: 'hypervisor-core',
    mainFile: 'services/hypervisor-core/dist/main.js',
    httpPort: (ports) => ports.hypervisorHttp,
    grpcPort: (ports) => ports.hypervisorGrpc,
    environment: ({ ports, kafkaBrokers }) => ({
      KAFKA_BROKERS: kafkaBrokers.join(','),
      HOST,
      GRPC_PORT: String(ports.hypervisorGrpc),
      HTTP_PORT: String(ports.hypervisorHttp),
    }),
  },
  {
    name: 'persona-runtime-personal',
    mainFile: 'services/persona-runtime/dist/main.js',
    httpPort: (ports) => ports.personalHttp,
    grpcPort: () => undefined,
    environment: ({ ports, kafkaBrokers }) => ({
      PERSONA: 'personal',
      KAFKA_BROKERS: kafkaBrokers.join(','),
      HYPERVISOR_ADDRESS: `${HOST}:${ports.hypervisorGrpc}`,
      HOST,
      HTTP_PORT: String(ports.personalHttp),
    }),
  },
  {
    name: 'persona-runtime-business',
    mainFile: 'services/persona-runtime/dist/main.js',
    httpPort: (ports) => ports.businessHttp,
    grpcPort: () => undefined,
    environment: ({ ports, kafkaBrokers }) => ({
      PERSONA: 'business',
      KAFKA_BROKERS: kafkaBrokers.join(','),
      HYPERVISOR_ADDRESS: `${HOST}:${ports.hypervisorGrpc}`,
      POLICY_AUTHORITY_ADDRESS: `${HOST}:${ports.policyAuthorityGrpc}`,
      HOST,
      HTTP_PORT: String(ports.businessHttp),
    }),
  },
  {
    name: 'policy-authority',
    mainFile: 'services/policy-authority/dist/main.js',
    httpPort: (ports) => ports.policyAuthorityHttp,
    grpcPort: (ports) => ports.policyAuthorityGrpc,
    environment: ({ ports, kafkaBrokers, databaseUrl, adminToken, enrollmentSecret }) => ({
      DATABASE_URL: databaseUrl,
      KAFKA_BROKERS: kafkaBrokers.join(','),
      GRPC_HOST: HOST,
      GRPC_PORT: String(ports.policyAuthorityGrpc),
      HTTP_HOST: HOST,
      HTTP_PORT: String(ports.policyAuthorityHttp),
      ADMIN_TOKEN: adminToken,
      ENROLLMENT_SECRET: enrollmentSecret,
    }),
  },
  {
    name: 'telemetry',
    mainFile: 'services/telemetry/dist/main.js',
    httpPort: (ports) => ports.telemetryHttp,
    grpcPort: (ports) => ports.telemetryGrpc,
    environment: ({ ports, kafkaBrokers, databaseUrl }) => ({
      DATABASE_URL: databaseUrl,
      KAFKA_BROKERS: kafkaBrokers.join(','),
      HOST,
      GRPC_PORT: String(ports.telemetryGrpc),
      HTTP_PORT: String(ports.telemetryHttp),
    }),
  },
];

export function kafkaBrokers(ports: StackPorts): string[] {
  return [`${HOST}:${ports.kafka}`];
}

export function databaseUrl(ports: StackPorts): string {
  return `postgres://duet@${HOST}:${ports.postgres}/duet`; // role and database made by @duet/stack startPostgres
}

/**
 * The variables a shell (or `duet run --target local`, or a test) needs to use the stack, in the
 * names .env.example gives them.
 */
export function clientEnvironment(settings: StackSettings): Record<string, string> {
  const { ports } = settings;
  return {
    KAFKA_BROKERS: settings.kafkaBrokers.join(','),
    DATABASE_URL: settings.databaseUrl,
    ADMIN_TOKEN: settings.adminToken,
    POLICY_AUTHORITY_URL: `http://${HOST}:${ports.policyAuthorityHttp}`,
    TELEMETRY_URL: `http://${HOST}:${ports.telemetryHttp}`,
    HYPERVISOR_ADDRESS: `${HOST}:${ports.hypervisorGrpc}`,
    POLICY_AUTHORITY_ADDRESS: `${HOST}:${ports.policyAuthorityGrpc}`,
  };
}
