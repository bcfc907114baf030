import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { shellWord } from '../stack/local-stack';
import { localStackAddresses, readStackEnvironment } from './local.target';

function stackEnvironment(lines: readonly string[]): string {
  const file = join(mkdtempSync(join(tmpdir(), 'duet-stack-env-')), 'stack.env');
  writeFileSync(file, `# written by duet stack up\n${lines.join('\n')}\n`);
  return file;
}

describe('the local target in a fresh shell', () => {
  const caFile = join(mkdtempSync(join(tmpdir(), 'duet-stack-tls-')), 'ca.pem');
  writeFileSync(caFile, '-----BEGIN CERTIFICATE-----\n(the stack CA)\n-----END CERTIFICATE-----\n');
  const written = stackEnvironment([
    'export KAFKA_BROKERS=127.0.0.1:29092',
    `export KAFKA_SSL_CA=${caFile}`,
    'export KAFKA_SASL_USERNAME=duet',
    'export KAFKA_SASL_PASSWORD=duet-kafka-password-from-the-stack-dir',
    'export ADMIN_TOKEN=duet-from-the-stack-dir',
    'export VIEWER_TOKEN=duet-view-from-the-stack-dir',
    `export RUN_SECRETS_KEY=${'k'.repeat(43)}`,
    'export POLICY_AUTHORITY_URL=https://127.0.0.1:29083',
    'export TELEMETRY_URL=https://127.0.0.1:29084',
    `export DUET_TLS_CA=${caFile}`,
  ]);

  it("reads the stack's stack.env when nothing is set in the environment", () => {
    const sut = localStackAddresses({}, written);
    expect(sut).toEqual({
      kafkaBrokers: ['127.0.0.1:29092'],
      adminToken: 'duet-from-the-stack-dir',
      viewerToken: 'duet-view-from-the-stack-dir',
      runSecretsKey: 'k'.repeat(43),
      policyAuthorityUrl: 'https://127.0.0.1:29083',
      telemetryUrl: 'https://127.0.0.1:29084',
      tlsCa: caFile,
      // The stack's Kafka takes SASL_SSL only: TLS trusting its CA, the command line's own SCRAM user.
      kafkaSecurity: {
        ssl: { ca: ['-----BEGIN CERTIFICATE-----\n(the stack CA)\n-----END CERTIFICATE-----\n'] },
        sasl: { mechanism: 'scram-sha-512', username: 'duet', password: 'duet-kafka-password-from-the-stack-dir' },
      },
    });
  });

  it('lets the environment win over the file when KAFKA_BROKERS is set there', () => {
    const sut = localStackAddresses(
      { KAFKA_BROKERS: '127.0.0.1:39092', ADMIN_TOKEN: 'from-the-shell', VIEWER_TOKEN: 'view-from-the-shell', RUN_SECRETS_KEY: 'k'.repeat(43) },
      written,
    );
    expect(sut.kafkaBrokers).toEqual(['127.0.0.1:39092']);
    expect(sut.adminToken).toBe('from-the-shell');
    expect(sut.telemetryUrl).toBe('https://127.0.0.1:8084'); // the file is not read at all then
    expect(sut.tlsCa).toBeUndefined();
    expect(sut.kafkaSecurity).toEqual({}); // a plaintext broker: no KAFKA_SSL_CA, no KAFKA_SASL_* in the shell
  });

  it('refuses a DUET_TLS_CA that names no file, naming the variable', () => {
    const environment = { KAFKA_BROKERS: '127.0.0.1:39092', ADMIN_TOKEN: 'a', VIEWER_TOKEN: 'v', RUN_SECRETS_KEY: 'k'.repeat(43) };
    expect(() => localStackAddresses({ ...environment, DUET_TLS_CA: '/no/such/ca.pem' }, written)).toThrow(/DUET_TLS_CA: no such file: "\/no\/such\/ca\.pem"/);
  });

  it("reads back what stack up single-quotes for the shell: DATABASE_URL's & and a quote inside", () => {
    const url = "postgres://duet:p'w@127.0.0.1:29085/duet?sslmode=verify-full&sslrootcert=/tmp/ca.pem";
    const file = stackEnvironment([`export DATABASE_URL=${shellWord(url)}`, `export KAFKA_BROKERS=${shellWord('127.0.0.1:29092')}`]);
    expect(readStackEnvironment(file)).toEqual({ DATABASE_URL: url, KAFKA_BROKERS: '127.0.0.1:29092' });
    // And a shell that sources the file gets the same value, not a background job.
    const sourced = execFileSync('bash', ['-c', `source ${file} && printf %s "$DATABASE_URL"`], { encoding: 'utf8' });
    expect(sourced).toBe(url);
  });

  it('says how to get a stack when there is neither', () => {
    expect(() => localStackAddresses({}, join(tmpdir(), 'no-such-dir', 'stack.env'))).toThrow(/KAFKA_BROKERS: required[\s\S]*duet stack up/);
  });
});
