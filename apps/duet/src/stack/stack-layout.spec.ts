import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { defaultPorts, loadOrCreateSecrets, portsFromBase, requestedPorts, StackLayout } from './stack-layout';

describe('stack ports', () => {
  it('defaults to the ports of .env.example', () => {
    expect(defaultPorts()).toEqual({
      kafka: 9092,
      kafkaController: 9093,
      postgres: 5432,
      hypervisorGrpc: 50051,
      hypervisorHttp: 8081,
      personalHttp: 8082,
      businessHttp: 8085,
      policyAuthorityGrpc: 50053,
      policyAuthorityHttp: 8083,
      telemetryGrpc: 50054,
      telemetryHttp: 8084,
    });
    expect(requestedPorts(undefined, {})).toEqual({ ports: defaultPorts(), explicit: false });
  });

  it('gives --base-port N the ports N..N+10, each once', () => {
    const ports = Object.values(portsFromBase(30_000));
    expect(ports).toEqual(Array.from({ length: 11 }, (_, index) => 30_000 + index));
    expect(() => portsFromBase(65_530)).toThrow(/--base-port/);
  });

  it('takes a port from its variable, and names the variable of a bad one', () => {
    const { ports, explicit } = requestedPorts(undefined, { TELEMETRY_HTTP_PORT: '18084', DUET_KAFKA_PORT: '19092' });
    expect(explicit).toBe(true);
    expect(ports).toMatchObject({ telemetryHttp: 18084, kafka: 19092, postgres: 5432 });
    expect(() => requestedPorts(undefined, { DUET_POSTGRES_PORT: 'five' })).toThrow(/DUET_POSTGRES_PORT: must be a port number/);
  });

  it('lets --base-port win over the variables', () => {
    expect(requestedPorts(40_000, { TELEMETRY_HTTP_PORT: '18084' }).ports.telemetryHttp).toBe(40_010);
  });
});

describe('stack secrets', () => {
  const dirs: string[] = [];
  afterEach(() => dirs.splice(0).forEach((dir) => rmSync(dir, { recursive: true, force: true })));

  it('generates the admin token once, long enough for policy-authority, readable only by the owner', () => {
    const dir = mkdtempSync(join(tmpdir(), 'duet-stack-layout-'));
    dirs.push(dir);
    const sut = new StackLayout(dir);
    const first = loadOrCreateSecrets(sut);
    expect(first.adminToken.length).toBeGreaterThanOrEqual(16);
    expect(first.enrollmentSecret.length).toBeGreaterThanOrEqual(32);
    expect(loadOrCreateSecrets(sut)).toEqual(first);
    expect(statSync(sut.secretsFile).mode & 0o777).toBe(0o600);
  });

  it("makes a Kafka password per principal and PostgreSQL's two, URL-safe, kept across ups", () => {
    const dir = mkdtempSync(join(tmpdir(), 'duet-stack-layout-'));
    dirs.push(dir);
    const sut = new StackLayout(dir);
    const first = loadOrCreateSecrets(sut);
    const passwords = [...Object.values(first.kafkaPasswords), first.postgresAdminPassword, first.postgresPassword];
    expect(Object.keys(first.kafkaPasswords).sort()).toEqual(['admin', 'duet', 'hypervisor-core', 'persona-runtime', 'policy-authority', 'telemetry']);
    expect(new Set(passwords).size).toBe(passwords.length);
    for (const password of passwords) expect(password).toMatch(/^[A-Za-z0-9_-]{32}$/);
    expect(loadOrCreateSecrets(new StackLayout(dir))).toEqual(first);
  });

  it('remembers the ports of the last up', () => {
    const dir = mkdtempSync(join(tmpdir(), 'duet-stack-layout-'));
    dirs.push(dir);
    const sut = new StackLayout(dir);
    expect(sut.readPorts()).toBeUndefined();
    sut.writePorts(portsFromBase(31_000));
    expect(sut.readPorts()).toEqual(portsFromBase(31_000));
    expect(sut.isStackDir()).toBe(true);
  });
});
