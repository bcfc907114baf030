// Where a local stack keeps everything (`duet stack up --dir`, default <repo>/.duet/stack), and the
// ports it listens on. The ports `up` chose are stored in the stack dir, so `status`, `logs` and
// `down` find the stack without being told its ports again.
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, realpathSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { KAFKA_ADMIN_USER, KAFKA_PRINCIPALS, type KafkaPrincipal } from './kafka-principals';

/** 32 random characters of [A-Za-z0-9_-]: what Kafka's JAAS lines and PostgreSQL URLs take unquoted. */
const password = () => randomBytes(24).toString('base64url');

/** Every port of the local stack, all on 127.0.0.1. */
export interface StackPorts {
  readonly kafka: number;
  readonly kafkaController: number;
  readonly postgres: number;
  readonly hypervisorGrpc: number;
  readonly hypervisorHttp: number;
  readonly personalHttp: number;
  readonly businessHttp: number;
  readonly policyAuthorityGrpc: number;
  readonly policyAuthorityHttp: number;
  readonly telemetryGrpc: number;
  readonly telemetryHttp: number;
}

export type StackPortName = keyof StackPorts;

/**
 * The ports in a fixed order (`--base-port N` gives them N, N+1, ... in this order), with their
 * defaults from .env.example and the environment variable that overrides each.
 */
export const STACK_PORTS: readonly { readonly name: StackPortName; readonly defaultPort: number; readonly variable: string }[] = [
  { name: 'kafka', defaultPort: 9092, variable: 'DUET_KAFKA_PORT' },
  { name: 'kafkaController', defaultPort: 9093, variable: 'DUET_KAFKA_CONTROLLER_PORT' },
  { name: 'postgres', defaultPort: 5432, variable: 'DUET_POSTGRES_PORT' },
  { name: 'hypervisorGrpc', defaultPort: 50051, variable: 'HYPERVISOR_GRPC_PORT' },
  { name: 'hypervisorHttp', defaultPort: 8081, variable: 'HYPERVISOR_HTTP_PORT' },
  { name: 'personalHttp', defaultPort: 8082, variable: 'PERSONAL_HTTP_PORT' },
  { name: 'businessHttp', defaultPort: 8085, variable: 'BUSINESS_HTTP_PORT' },
  { name: 'policyAuthorityGrpc', defaultPort: 50053, variable: 'POLICY_AUTHORITY_GRPC_PORT' },
  { name: 'policyAuthorityHttp', defaultPort: 8083, variable: 'POLICY_AUTHORITY_HTTP_PORT' },
  { name: 'telemetryGrpc', defaultPort: 50054, variable: 'TELEMETRY_GRPC_PORT' },
  { name: 'telemetryHttp', defaultPort: 8084, variable: 'TELEMETRY_HTTP_PORT' },
];

const HIGHEST_PORT = 65_535;

export function defaultPorts(): StackPorts {
  return Object.fromEntries(STACK_PORTS.map((port) => [port.name, port.defaultPort])) as unknown as StackPorts;
}

/** N, N+1, ... N+10 in STACK_PORTS order. */
export function portsFromBase(basePort: number): StackPorts {
  if (basePort < 1 || basePort + STACK_PORTS.length - 1 > HIGHEST_PORT) {
    throw new Error(`--base-port must leave room for ${STACK_PORTS.length} ports below ${HIGHEST_PORT + 1}, got ${basePort}`);
  }
  return Object.fromEntries(STACK_PORTS.map((port, index) => [port.name, basePort + index])) as unknown as StackPorts;
}

/** The ports asked for: `--base-port` when given, else each port's variable when set, else its default. */
export function requestedPorts(basePort: number | undefined, environment: NodeJS.ProcessEnv = process.env): { ports: StackPorts; explicit: boolean } {
  if (basePort !== undefined) return { ports: portsFromBase(basePort), explicit: true };
  let explicit = false;
  const problems: string[] = [];
  const ports = Object.fromEntries(
    STACK_PORTS.map((port) => {
      const value = environment[port.variable]?.trim();
      if (!value) return [port.name, port.defaultPort];
      explicit = true;
      const parsed = Number(value);
      if (!/^\d+$/.test(value) || parsed < 1 || parsed > HIGHEST_PORT)
        problems.push(`${port.variable}: must be a port number (1..${HIGHEST_PORT}), got "${value}"`);
      return [port.name, parsed];
    }),
  ) as unknown as StackPorts;
  if (problems.length > 0) throw new Error(`bad port settings:\n  ${problems.join('\n  ')}`);
  return { ports, explicit };
}

/** The files and folders of one stack dir. */
export class StackLayout {
  readonly dir: string;

  constructor(dir: string) {
    this.dir = resolve(dir);
  }

  get stateFile(): string {
    return join(this.dir, 'stack.json');
  }
  get environmentFile(): string {
    return join(this.dir, 'stack.env');
  }
  get secretsFile(): string {
    return join(this.dir, 'secrets.json');
  }
  get logsDir(): string {
    return join(this.dir, 'logs');
  }
  get pidsDir(): string {
    return join(this.dir, 'pids');
  }
  /** The stack's CA and server certificate (@duet/stack ensureStackCertificates): DUET_TLS_CA is tls/ca.pem. */
  get tlsDir(): string {
    return join(this.dir, 'tls');
  }
  get kafkaDir(): string {
    return join(this.dir, 'kafka');
  }
  /** As requested; as root it may be a symlink to /tmp (see @duet/stack resolvePostgresDataDir). */
  get postgresDir(): string {
    return join(this.dir, 'postgres');
  }
  /** The PostgreSQL data dir with a symlink followed (runningPostmaster reads postmaster.pid there). */
  get postgresDataDir(): string {
    try {
      return realpathSync(this.postgresDir);
    } catch {
      return this.postgresDir;
    }
  }
  logFile(part: string): string {
    return join(this.logsDir, `${part}.log`);
  }
  pidFile(part: string): string {
    return join(this.pidsDir, `${part}.pid`);
  }

  ensureFolders(): void {
    for (const dir of [this.dir, this.logsDir, this.pidsDir]) mkdirSync(dir, { recursive: true });
  }

  /** The ports the last `up` used, or undefined when this dir never held a stack. */
  readPorts(): StackPorts | undefined {
    try {
      const state = JSON.parse(readFileSync(this.stateFile, 'utf8')) as { ports?: Partial<StackPorts> };
      const stored = state.ports ?? {};
      if (STACK_PORTS.some((port) => !Number.isInteger(stored[port.name]))) return undefined;
      return stored as StackPorts;
    } catch {
      return undefined;
    }
  }

  writePorts(ports: StackPorts): void {
    this.writeState({ ...this.readState(), ports });
  }

  /** Instances of each scalable service the last `up` ran, and the ports of the extra ones. */
  readReplicas(): { replicas: number; replicaPorts: Record<string, { http: number; grpc?: number }> } {
    const state = this.readState();
    const replicas = Number.isInteger(state.replicas) && (state.replicas as number) >= 1 ? (state.replicas as number) : 1;
    return { replicas, replicaPorts: (state.replicaPorts as Record<string, { http: number; grpc?: number }> | undefined) ?? {} };
  }

  writeReplicas(replicas: number, replicaPorts: Record<string, { http: number; grpc?: number }>): void {
    this.writeState({ ...this.readState(), replicas, replicaPorts });
  }

  private readState(): Record<string, unknown> {
    try {
      return JSON.parse(readFileSync(this.stateFile, 'utf8')) as Record<string, unknown>;
    } catch {
      return {};
    }
  }

  private writeState(state: Record<string, unknown>): void {
    writeFileSync(this.stateFile, `${JSON.stringify(state, null, 2)}\n`);
  }

  /** Whether this dir was made by `duet stack up` (guards `down --purge` against deleting anything else). */
  isStackDir(): boolean {
    return existsSync(this.stateFile);
  }
}

/** The stack's secrets, generated once per stack dir and kept there (mode 600). */
export interface StackSecrets {
  /** policy-authority's admin bearer token (≥ 16 characters). */
  readonly adminToken: string;
  /** policy-authority's HMAC key of device credentials (≥ 32 characters). */
  readonly enrollmentSecret: string;
  /** The HMAC key of service identities, which services show each other (≥ 32 characters). */
  readonly serviceIdentityKey: string;
  /** telemetry's read-only bearer token: its query API and dashboard (≥ 16 characters). */
  readonly viewerToken: string;
  /** The AES-256 key (base64url) that seals the run's enrollment token on duet.run-lifecycle.v1. */
  readonly runSecretsKey: string;
  /** Kafka's SCRAM passwords: the admin's (topics, ACLs, probes) and each principal's (kafka-principals.ts). */
  readonly kafkaPasswords: Readonly<Record<typeof KAFKA_ADMIN_USER | KafkaPrincipal, string>>;
  /** PostgreSQL's superuser (postgres) password, set when the cluster is made. */
  readonly postgresAdminPassword: string;
  /** The application role duet's password: the services' DATABASE_URL. */
  readonly postgresPassword: string;
}

/** The secrets of a stack dir that `up` made them in, without making any (for `status`). */
export function readSecrets(layout: StackLayout): StackSecrets | undefined {
  return existsSync(layout.secretsFile) ? loadOrCreateSecrets(layout) : undefined;
}

export function loadOrCreateSecrets(layout: StackLayout): StackSecrets {
  let stored: Partial<Omit<StackSecrets, 'kafkaPasswords'> & { kafkaPasswords: Partial<StackSecrets['kafkaPasswords']> }> = {};
  try {
    stored = JSON.parse(readFileSync(layout.secretsFile, 'utf8')) as Partial<StackSecrets>;
  } catch {
    // none yet
  }
  // Each secret kept if a previous `up` made it (credentials and tokens stay valid), made if not.
  const kept = (value: string | undefined, minimum: number, make: () => string) => (value !== undefined && value.length >= minimum ? value : make());
  const secrets: StackSecrets = {
    adminToken: kept(stored.adminToken, 16, () => `duet-${randomBytes(24).toString('base64url')}`), // 37 characters
    enrollmentSecret: kept(stored.enrollmentSecret, 32, () => randomBytes(48).toString('base64url')), // 64 characters
    serviceIdentityKey: kept(stored.serviceIdentityKey, 32, () => randomBytes(48).toString('base64url')),
    viewerToken: kept(stored.viewerToken, 16, () => `duet-view-${randomBytes(24).toString('base64url')}`),
    runSecretsKey: kept(stored.runSecretsKey, 43, () => randomBytes(32).toString('base64url')),
    kafkaPasswords: Object.fromEntries(
      ([KAFKA_ADMIN_USER, ...KAFKA_PRINCIPALS] as (typeof KAFKA_ADMIN_USER | KafkaPrincipal)[]).map((user) => [
        user,
        kept(stored.kafkaPasswords?.[user], 24, password),
      ]),
    ) as StackSecrets['kafkaPasswords'],
    postgresAdminPassword: kept(stored.postgresAdminPassword, 24, password),
    postgresPassword: kept(stored.postgresPassword, 24, password),
  };
  if (JSON.stringify(secrets) === JSON.stringify(stored)) return secrets;
  writeFileSync(layout.secretsFile, `${JSON.stringify(secrets, null, 2)}\n`, { mode: 0o600 });
  chmodSync(layout.secretsFile, 0o600);
  return secrets;
}
