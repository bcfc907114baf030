import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { KafkaEventBus } from '@duet/service-kit';
import { findRepoRoot } from '@duet/stack';
import type { RunSummary } from '@duet/sim-core';
import type { RunOutcome, RunTarget } from './run-target';

/** Addresses of the local stack, from the environment (`duet stack up` prints them). */
export interface LocalStackAddresses {
  readonly kafkaBrokers: string[];
  readonly policyAuthorityUrl: string;
  readonly telemetryUrl: string;
  readonly adminToken: string;
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
  if (problems.length > 0)
    throw new Error(
      `the local target needs:\n  ${problems.join('\n  ')}\nstart the stack with \`duet stack up\` (it writes .duet/stack/stack.env), or source a stack's stack.env`,
    );
  return {
    kafkaBrokers: environment.KAFKA_BROKERS!.split(',').map((broker) => broker.trim()),
    policyAuthorityUrl: environment.POLICY_AUTHORITY_URL ?? 'http://127.0.0.1:8083',
    telemetryUrl: environment.TELEMETRY_URL ?? 'http://127.0.0.1:8084',
    adminToken: environment.ADMIN_TOKEN!,
  };
}

/** The local-stack adapter of RunTarget: separate service processes over HTTP and Kafka. */
export class LocalTarget implements RunTarget {
  readonly name = 'local' as const;

  private constructor(
    readonly bus: KafkaEventBus,
    private readonly stack: LocalStackAddresses,
  ) {}

  static async connect(addresses: LocalStackAddresses = localStackAddresses()): Promise<LocalTarget> {
    const target = new LocalTarget(new KafkaEventBus({ brokers: addresses.kafkaBrokers, clientId: 'duet-cli' }), addresses);
    for (const [name, url] of [
      ['policy-authority', addresses.policyAuthorityUrl],
      ['telemetry', addresses.telemetryUrl],
    ]) {
      const response = await fetch(`${url}/readyz`).catch((error: Error) => ({ ok: false, statusText: error.message }) as Response);
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

  async publishPolicy(runId: string, policy: unknown, groups: readonly string[] | undefined, effectiveTick: number): Promise<number> {
    const created = (await this.admin('POST', '/v1/policies', policy)) as { policy: { name: string; version: number } };
    const published = (await this.admin('POST', `/v1/runs/${encodeURIComponent(runId)}/publications`, {
      name: created.policy.name,
      version: created.policy.version,
      groups: groups ?? [],
      effectiveTick,
    })) as { revision: number };
    return published.revision;
  }

  async createEnrollmentToken(runId: string, durationTicks: number): Promise<string> {
    const response = (await this.admin('POST', `/v1/runs/${encodeURIComponent(runId)}/enrollment-tokens`, { group: '', tick: 0, durationTicks })) as {
      enrollmentToken: { value: string };
    };
    return response.enrollmentToken.value;
  }

  async outcome(runId: string): Promise<RunOutcome> {
    // Telemetry stores the run before it announces COMPLETED; read it back.
    const response = await fetch(`${this.stack.telemetryUrl}/v1/runs/${encodeURIComponent(runId)}`);
    if (!response.ok) throw new Error(`telemetry: GET run ${runId}: ${response.status} ${await response.text()}`);
    const run = (await response.json()) as { phase: string; digest?: string; summary?: RunSummary; failure?: string };
    return { runId, phase: run.phase === 'COMPLETED' ? 'COMPLETED' : 'FAILED', digest: run.digest ?? '', summary: run.summary, failure: run.failure };
  }

  async progress(runId: string): Promise<{ phase: 'STARTED' | 'COMPLETED' | 'FAILED'; ticksCompleted: number } | undefined> {
    const response = await fetch(`${this.stack.telemetryUrl}/v1/runs/${encodeURIComponent(runId)}`, { signal: AbortSignal.timeout(5_000) }).catch(
      () => undefined,
    );
    if (!response?.ok) return undefined;
    const run = (await response.json()) as { phase: 'STARTED' | 'COMPLETED' | 'FAILED'; ticksCompleted: number };
    return { phase: run.phase, ticksCompleted: run.ticksCompleted };
  }

  close(): Promise<void> {
    return this.bus.close();
  }

  private async admin(method: string, path: string, body: unknown): Promise<unknown> {
    const response = await fetch(`${this.stack.policyAuthorityUrl}${path}`, {
      method,
      headers: { 'content-type': 'application/json', authorization: `Bearer ${this.stack.adminToken}` },
      body: JSON.stringify(body),
    });
    const text = await response.text();
    if (!response.ok) throw new Error(`policy-authority: ${method} ${path}: ${response.status} ${text}`);
    return JSON.parse(text) as unknown;
  }
}

function defaultStackEnvironmentFile(): string | undefined {
  try {
    return join(findRepoRoot(), '.duet', 'stack', 'stack.env');
  } catch {
    return undefined; // not inside the repository: only the environment counts
  }
}

/** `export NAME=value` lines, as `duet stack up` writes them. */
export function readStackEnvironment(file: string): Record<string, string> {
  const variables: Record<string, string> = {};
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    const match = /^\s*export\s+([A-Z_][A-Z0-9_]*)=(.*)$/.exec(line);
    if (match) variables[match[1]] = match[2].trim();
  }
  return variables;
}
