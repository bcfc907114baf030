// The local stack serves TLS only (issue #15): `duet stack up` makes a CA and a server certificate
// in the stack dir, every gRPC and HTTP port of every service instance serves TLS with it, and
// stack.env exports the CA as DUET_TLS_CA with https:// URLs. Checked as an outsider would: a TLS
// handshake verified with that CA (node:tls, servername localhost) on every port, no answer to
// plaintext (http:// fetch, a plaintext gRPC health check), grpcurl with -cacert listing services
// through reflection (and refusing the stack without it), and the authentication behind TLS:
// telemetry's /v1/runs without the viewer token answers 401, ExchangeTick without a service
// identity is refused; a Python grpcio client generated from proto/ gets SERVING, a clean refusal of
// hostile input and, without the CA, a certificate that does not verify. The quickstart's digest on this stack is tests/e2e/local-stack.spec.ts's.
//
// Two instances of each scalable service, so the extra instances' ports are checked too.
import { spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { connect } from 'node:tls';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Client as GrpcClient, Metadata, credentials, status, type ChannelCredentials, type ServiceError } from '@grpc/grpc-js';
import { goTool } from '../support/go-tool';
import { pythonVenv } from '../support/python-venv';
import { lastJson, REPOSITORY_ROOT, runDuet } from './support/duet-process';
import { freePortRange } from './support/free-port-range';
import { type StackPart, type StackUp } from './support/stack-json';
import { stackCa, stackFetch, stackGrpcCredentials } from './support/stack-tls';
import { stackDown } from './support/stop-processes';

const STACK_PORT_COUNT = 11;
const STACK_UP_TIMEOUT_MS = 600_000;
const REPLICAS = 2;
const CALL_DEADLINE_MS = 10_000;
const GRPCURL = 'github.com/fullstorydev/grpcurl/cmd/grpcurl@v1.9.4';
// Binary wheels only: building grpcio from source would take the machine for many minutes.
const PYTHON_GRPC = ['grpcio==1.68.1', 'grpcio-tools==1.68.1', 'grpcio-health-checking==1.68.1'];
const HEALTH_CHECK = '/grpc.health.v1.Health/Check';
const SERVING = Buffer.from([0x08, 0x01]); // HealthCheckResponse { status: SERVING }

const log = (message: string): void => console.log(`[secure-stack e2e] ${message}`);

interface ServicePorts {
  readonly name: string;
  readonly grpc?: number;
  readonly http: number;
}

/** A service instance's ports, from the address `duet stack up` reports: `grpc 127.0.0.1:<port>, https://127.0.0.1:<port>`. */
function portsOf(part: StackPart): ServicePorts {
  const grpc = /grpc 127\.0\.0\.1:(\d+)/.exec(part.address ?? '');
  const http = /https:\/\/127\.0\.0\.1:(\d+)/.exec(part.address ?? '');
  if (http === null) throw new Error(`${part.name}: no https:// address in ${JSON.stringify(part.address)}`);
  return { name: part.name, grpc: grpc === null ? undefined : Number(grpc[1]), http: Number(http[1]) };
}

/** The TLS handshake with 127.0.0.1:port, the server certificate verified with ca (else the system's CAs) for the name localhost: whether it was authorised, or why not. */
function handshake(port: number, ca?: Buffer): Promise<{ authorized: boolean; error?: string; protocol?: string | null }> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port, ca, servername: 'localhost', timeout: CALL_DEADLINE_MS }, () => {
      resolve({ authorized: socket.authorized, error: socket.authorizationError?.message, protocol: socket.getProtocol() });
      socket.end();
    });
    socket.once('error', (error) => resolve({ authorized: false, error: error.message }));
    socket.once('timeout', () => {
      resolve({ authorized: false, error: 'timed out' });
      socket.destroy();
    });
  });
}

/** One unary call with raw bytes; its error, or null and the response bytes. */
function rawCall(port: number, channel: ChannelCredentials, method: string, request: Buffer): Promise<{ error: ServiceError | null; response?: Buffer }> {
  const client = new GrpcClient(`127.0.0.1:${port}`, channel);
  return new Promise((resolve) =>
    client.makeUnaryRequest(
      method,
      (bytes: Buffer) => bytes,
      (bytes: Buffer) => bytes,
      request,
      new Metadata(),
      { deadline: Date.now() + CALL_DEADLINE_MS },
      (error, response) => {
        client.close();
        resolve({ error, response });
      },
    ),
  );
}

describe('the local stack serves TLS only, verified with DUET_TLS_CA', () => {
  const dir = join(REPOSITORY_ROOT, '.duet', 'test-secure-stack', `run-${process.pid}`);
  let up: StackUp | undefined;
  let environment: Record<string, string> = {};
  let services: ServicePorts[] = [];

  beforeAll(async () => {
    const basePort = await freePortRange(STACK_PORT_COUNT);
    const result = await runDuet(['stack', 'up', '--dir', dir, '--base-port', String(basePort), '--replicas', String(REPLICAS), '--json'], {
      timeoutMs: STACK_UP_TIMEOUT_MS,
    });
    up = lastJson<StackUp>(result);
    if (!up.ok) throw new Error(`duet stack up failed:\n${up.error}`);
    environment = up.environment;
    services = up.parts.filter((part) => part.name !== 'kafka' && part.name !== 'postgres').map(portsOf);
    log(`stack up in ${up.seconds.toFixed(1)} s: ${services.map((service) => `${service.name} ${service.grpc ?? '-'}/${service.http}`).join(', ')}`);
  }, STACK_UP_TIMEOUT_MS);

  afterAll(async () => {
    const stillRunning = await stackDown(dir, up?.parts ?? []);
    expect(stillRunning).toEqual([]);
  }, 180_000);

  it('exports the CA and https:// URLs in stack.env', () => {
    expect(services).toHaveLength(5 + 3 * (REPLICAS - 1));
    expect(stackCa(environment)).toBe(join(dir, 'tls', 'ca.pem'));
    expect(readFileSync(stackCa(environment), 'utf8')).toContain('BEGIN CERTIFICATE');
    expect(environment.POLICY_AUTHORITY_URL).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    expect(environment.TELEMETRY_URL).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    const file = readFileSync(join(dir, 'stack.env'), 'utf8');
    expect(file).toContain(`export DUET_TLS_CA=${stackCa(environment)}\n`);
    expect(file).toContain(`export TELEMETRY_URL=${environment.TELEMETRY_URL}\n`);
  });

  it('completes a TLS handshake verified with the CA on every gRPC and HTTP port of every instance', async () => {
    const ca = readFileSync(stackCa(environment));
    const ports = services.flatMap((service) => [
      ...(service.grpc === undefined ? [] : [{ what: `${service.name} gRPC`, port: service.grpc }]),
      { what: `${service.name} HTTP`, port: service.http },
    ]);
    expect(ports).toHaveLength(5 + 3 + 3 * (REPLICAS - 1) + (REPLICAS - 1));
    for (const { what, port } of ports) {
      const verified = await handshake(port, ca);
      expect(verified, `${what} (${port})`).toMatchObject({ authorized: true });
      expect(verified.protocol, `${what} (${port})`).toMatch(/^TLSv1\.[23]$/);
    }
    // The same handshake trusting only the system's CAs fails: the certificate is the stack's own.
    const unverified = await handshake(services[0].http);
    expect(unverified).toMatchObject({ authorized: false, error: expect.stringMatching(/certificate/i) as unknown });
  }, 120_000);

  it('gives plaintext no answer: http:// fetch fails on every HTTP port, a plaintext gRPC health check on every gRPC port', async () => {
    for (const service of services) {
      const plain = await fetch(`http://127.0.0.1:${service.http}/healthz`, { signal: AbortSignal.timeout(CALL_DEADLINE_MS) }).then(
        (response) => `answered ${response.status}`,
        (error: Error) => `failed: ${(error.cause as Error | undefined)?.message ?? error.message}`,
      );
      expect(plain, `${service.name} HTTP ${service.http}`).toMatch(/^failed: /);
      const secure = await stackFetch(environment)(`https://127.0.0.1:${service.http}/healthz`, { signal: AbortSignal.timeout(CALL_DEADLINE_MS) });
      expect(secure.status, `${service.name} https /healthz`).toBe(200);
      await secure.body?.cancel();
      if (service.grpc === undefined) continue;
      const insecure = await rawCall(service.grpc, credentials.createInsecure(), HEALTH_CHECK, Buffer.alloc(0));
      expect(insecure.error?.code, `${service.name} plaintext gRPC ${service.grpc}`).toBe(status.UNAVAILABLE);
      const verified = await rawCall(service.grpc, stackGrpcCredentials(environment), HEALTH_CHECK, Buffer.alloc(0));
      expect(verified.error, `${service.name} gRPC over TLS`).toBeNull();
      expect(verified.response).toEqual(SERVING);
    }
  }, 120_000);

  it('over TLS still answers only authenticated callers: /v1/runs without the viewer token 401, ExchangeTick without a service identity refused', async () => {
    const trusting = stackFetch(environment);
    for (const path of ['/v1/runs', '/dashboard']) {
      const response = await trusting(`${environment.TELEMETRY_URL}${path}`);
      expect(response.status, path).toBe(401);
      await response.body?.cancel();
    }
    const viewer = await trusting(`${environment.TELEMETRY_URL}/v1/runs`, { headers: { authorization: `Bearer ${environment.VIEWER_TOKEN}` } });
    expect(viewer.status).toBe(200);
    await viewer.body?.cancel();

    for (const hypervisor of services.filter((service) => service.name.startsWith('hypervisor-core'))) {
      const refused = await rawCall(hypervisor.grpc!, stackGrpcCredentials(environment), '/duet.hypervisor.v1.HypervisorService/ExchangeTick', Buffer.alloc(0));
      expect(refused.error?.code, hypervisor.name).toBe(status.UNAUTHENTICATED);
    }
  }, 60_000);

  it('lets grpcurl list every gRPC server’s services through reflection with -cacert, and refuses it without', () => {
    const grpcurl = goTool('grpcurl', GRPCURL);
    if (grpcurl.path === undefined) {
      console.log(`[secure-stack e2e] SKIPPED the grpcurl checks: ${grpcurl.reason}`);
      return;
    }
    const expected: Record<string, string> = {
      'hypervisor-core': 'duet.hypervisor.v1.HypervisorService',
      'policy-authority': 'duet.policy.v1.PolicyService',
      telemetry: 'duet.telemetry.v1.TelemetryService',
    };
    for (const service of services.filter((each) => each.grpc !== undefined)) {
      const address = `127.0.0.1:${service.grpc}`;
      const list = spawnSync(grpcurl.path, ['-cacert', stackCa(environment), address, 'list'], { encoding: 'utf8', timeout: 30_000 });
      expect(list.status, `${service.name}: ${list.stderr}`).toBe(0);
      const hosted = expected[service.name.replace(/-\d+$/, '')];
      expect(list.stdout.split('\n')).toEqual(expect.arrayContaining([hosted, 'grpc.health.v1.Health']));
      const untrusted = spawnSync(grpcurl.path, [address, 'list'], { encoding: 'utf8', timeout: 30_000 });
      expect(untrusted.status, service.name).not.toBe(0);
      expect(untrusted.stderr).toMatch(/certificate/i);
      const plaintext = spawnSync(grpcurl.path, ['-plaintext', '-max-time', '10', address, 'list'], { encoding: 'utf8', timeout: 30_000 });
      expect(plaintext.status, service.name).not.toBe(0);
    }
  }, 120_000);

  it('serves a Python grpcio client generated from proto/: health SERVING, hostile input INVALID_ARGUMENT naming the field, no connection without the CA', async () => {
    const venv = await pythonVenv(PYTHON_GRPC);
    if (venv.python === undefined) {
      console.log(`[secure-stack e2e] SKIPPED the Python grpcio checks: ${venv.reason}`);
      return;
    }
    const stubs = join(dir, 'python-stubs');
    mkdirSync(stubs, { recursive: true });
    const protos = readdirSync(join(REPOSITORY_ROOT, 'proto'), { recursive: true, encoding: 'utf8' }).filter((file) => file.endsWith('.proto'));
    const protoc = spawnSync(venv.python, ['-m', 'grpc_tools.protoc', '-Iproto', `--python_out=${stubs}`, `--grpc_python_out=${stubs}`, ...protos], {
      cwd: REPOSITORY_ROOT,
      encoding: 'utf8',
      timeout: 60_000,
    });
    expect(protoc.status, protoc.stderr).toBe(0);
    const client = spawnSync(venv.python, [join(__dirname, 'support', 'outsider_client.py')], {
      encoding: 'utf8',
      timeout: 90_000,
      env: { ...process.env, ...environment, PYTHONPATH: stubs },
    });
    expect(client.status, client.stderr).toBe(0);
    const checks = Object.fromEntries(
      client.stdout
        .trim()
        .split('\n')
        .map((line) => JSON.parse(line) as { check: string })
        .map((line) => [line.check, line]),
    );
    log(`Python grpcio client: ${JSON.stringify(checks)}`);
    expect(checks.health).toEqual({ check: 'health', status: 'SERVING' });
    expect(checks.hostile).toEqual({ check: 'hostile', code: 'INVALID_ARGUMENT', details: expect.stringContaining('run_id') as unknown });
    expect(checks.untrusted).toEqual({ check: 'untrusted', code: 'UNAVAILABLE', details: expect.stringMatching(/certificate.?verify.?failed/i) as unknown });
  }, 420_000);

  it('reports every part ready in `duet stack status`, whose probes verify the CA', async () => {
    const result = await runDuet(['stack', 'status', '--dir', dir, '--json'], { timeoutMs: 60_000 });
    expect(result.status).toBe(0);
    const parts = lastJson<{ parts: StackPart[] }>(result).parts;
    expect(parts.filter((part) => part.address?.startsWith('grpc') || part.address?.startsWith('https')).length).toBeGreaterThan(0);
    expect(parts.every((part) => part.running && part.ready)).toBe(true);
  }, 60_000);
});
