import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { KafkaEventBus, kafkaClientSecurity, RunSecrets, tlsCaFile, trustingFetch } from '@duet/service-kit';
import { findRepoRoot } from '@duet/stack';
import { HttpPolicyAdmin } from '../clients/policy-admin.http';
import { DEFAULT_TELEMETRY_URL, HttpTelemetryRuns } from '../clients/telemetry-runs.http';
import { ServicesTarget } from './run-target';

/** Addresses of the local stack, from the environment (`duet stack up` prints them). */
export interface LocalStackAddresses {
  readonly kafkaBrokers: string[];
  readonly policyAuthorityUrl: string;
  readonly telemetryUrl: string;
  readonly adminToken: string;
  /** telemetry's read-only token, for its query API. */
  readonly viewerToken: string;
  /** Seals the run's enrollment token on duet.run-lifecycle.v1 (RUN_SECRETS_KEY). */
  readonly runSecretsKey: string;
  /** The stack's CA (PEM file, DUET_TLS_CA) that its https:// ports are verified with; undefined: the system's CAs. */
  readonly tlsCa?: string;
  /** TLS and the `duet` SCRAM user of the stack's Kafka (KAFKA_SSL_CA, KAFKA_SASL_*); empty for a plaintext broker. */
  readonly kafkaSecurity: ReturnType<typeof kafkaClientSecurity>;
}

/**
 * The local stack's addresses: from the environment when KAFKA_BROKERS is set there, else from the
 * `stack.env` that `duet stack up` wrote in the default stack dir (so a fresh shell needs no
 * `source`), else an error saying what is missing.
 */
export function localStackAddresses(environment: NodeJS.ProcessEnv = process.env, stackEnvironmentFile = defaultStackEnvironmentFile()): LocalStackAddresses {
  if (!environment.KAFKA_BROKERS && stackEnvironmentFile !== undefined && existsSync(stackEnvironmentFile)) {
    environment = { ...readStackEnvironment(stackEnvironmentFile), ...environment };
  }
  const problems: string[] = [];
  if (!environment.KAFKA_BROKERS) problems.push('KAFKA_BROKERS: required (host:port of the local stack’s Kafka)');
  if (!environment.ADMIN_TOKEN) problems.push('ADMIN_TOKEN: required (policy-authority’s admin token)');
  if (!environment.VIEWER_TOKEN) problems.push('VIEWER_TOKEN: required (telemetry’s read-only token)');
  if (!environment.RUN_SECRETS_KEY) problems.push('RUN_SECRETS_KEY: required (seals the run’s enrollment token on Kafka)');
  if (problems.length > 0)
    throw new Error(
      `the local target needs:\n  ${problems.join('\n  ')}\nstart the stack with \`duet stack up\` (it writes .duet/stack/stack.env), or source a stack's stack.env`,
    );
  return {
    kafkaBrokers: environment.KAFKA_BROKERS!.split(',').map((broker) => broker.trim()),
    policyAuthorityUrl: environment.POLICY_AUTHORITY_URL ?? 'https://127.0.0.1:8083',
    telemetryUrl: environment.TELEMETRY_URL ?? DEFAULT_TELEMETRY_URL,
    adminToken: environment.ADMIN_TOKEN!,
    viewerToken: environment.VIEWER_TOKEN!,
    runSecretsKey: environment.RUN_SECRETS_KEY!,
    tlsCa: tlsCaFile(environment),
    kafkaSecurity: kafkaClientSecurity(environment),
  };
}

/** The local-stack adapter of RunTarget: separate service processes over HTTP and Kafka. */
export class LocalTarget extends ServicesTarget {
  readonly name = 'local' as const;

  private readonly runSecrets: RunSecrets;

  private constructor(
    readonly bus: KafkaEventBus,
    private readonly stack: LocalStackAddresses,
  ) {
    const trusting = trustingFetch(stack.tlsCa);
    super(new HttpPolicyAdmin(stack.policyAuthorityUrl, stack.adminToken, trusting), new HttpTelemetryRuns(stack.telemetryUrl, trusting, stack.viewerToken));
    this.runSecrets = new RunSecrets(stack.runSecretsKey);
  }

  static async connect(addresses: LocalStackAddresses = localStackAddresses()): Promise<LocalTarget> {
    const target = new LocalTarget(new KafkaEventBus({ brokers: addresses.kafkaBrokers, clientId: 'duet-cli', security: addresses.kafkaSecurity }), addresses);
    const trusting = trustingFetch(addresses.tlsCa);
    for (const [name, url] of [
      ['policy-authority', addresses.policyAuthorityUrl],
      ['telemetry', addresses.telemetryUrl],
    ]) {
      const response = await trusting(`${url}/readyz`).catch((error: Error) => ({ ok: false, statusText: error.message }) as Response);
      if (!response.ok) throw new Error(`${name} at ${url} is not ready (${response.statusText}): start the local stack with \`duet stack up\``);
    }
    return target;
  }

  get addresses() {
    return {
      kafka: this.stack.kafkaBrokers.join(','),
      policy: this.stack.policyAuthorityUrl,
      runs: `${this.stack.telemetryUrl}/v1/runs`,
      dashboard: `${this.stack.telemetryUrl}/dashboard`,
    };
  }

  /** Sealed: the run's STARTED carries it on Kafka, where only the persona runtimes may read it. */
  override async createEnrollmentToken(runId: string, durationTicks: number): Promise<string> {
    return this.runSecrets.seal(runId, await super.createEnrollmentToken(runId, durationTicks));
  }

  close(): Promise<void> {
    return this.bus.close();
  }
}

function defaultStackEnvironmentFile(): string | undefined {
  try {
    return join(findRepoRoot(), '.duet', 'stack', 'stack.env');
  } catch {
    return undefined; // not inside the repository: only the environment counts
  }
}

/** `export NAME=value` lines, as `duet stack up` writes them (a value with shell characters single-quoted). */
export function readStackEnvironment(file: string): Record<string, string> {
  const variables: Record<string, string> = {};
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    const match = /^\s*export\s+([A-Z_][A-Z0-9_]*)=(.*)$/.exec(line);
    if (!match) continue;
    const value = match[2].trim();
    variables[match[1]] = value.startsWith("'") && value.endsWith("'") && value.length >= 2 ? value.slice(1, -1).replaceAll(`'\\''`, "'") : value;
  }
  return variables;
}
