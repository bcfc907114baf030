// The one place every Kafka and PostgreSQL client of a service or the `duet` command learns its TLS
// and SASL settings from the environment (config.ts): what it makes of them, and how it refuses.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, kafkaClientSecurity, postgresClientTls } from './config';

const CA = '-----BEGIN CERTIFICATE-----\n(a CA)\n-----END CERTIFICATE-----\n';

describe('client security from the environment', () => {
  const caFile = join(mkdtempSync(join(tmpdir(), 'duet-client-security-')), 'ca.pem');
  writeFileSync(caFile, CA);

  it('is plaintext without credentials when nothing is set (the integration tests)', () => {
    expect(kafkaClientSecurity({})).toEqual({});
    expect(postgresClientTls({})).toBeUndefined();
  });

  it('gives kafkajs TLS trusting KAFKA_SSL_CA and SCRAM-SHA-512 as the named user', () => {
    expect(kafkaClientSecurity({ KAFKA_SSL_CA: caFile, KAFKA_SASL_USERNAME: 'telemetry', KAFKA_SASL_PASSWORD: 'secret-of-telemetry' })).toEqual({
      ssl: { ca: [CA] },
      sasl: { mechanism: 'scram-sha-512', username: 'telemetry', password: 'secret-of-telemetry' },
    });
    expect(kafkaClientSecurity({ KAFKA_SASL_USERNAME: 'duet', KAFKA_SASL_PASSWORD: 'p', KAFKA_SASL_MECHANISM: 'scram-sha-256' }).sasl).toMatchObject({
      mechanism: 'scram-sha-256',
    });
  });

  it('refuses a user without a password, an unknown mechanism and an unreadable CA, naming the variable', () => {
    expect(() => kafkaClientSecurity({ KAFKA_SASL_USERNAME: 'duet' })).toThrow(/KAFKA_SASL_PASSWORD: KAFKA_SASL_USERNAME and KAFKA_SASL_PASSWORD go together/);
    expect(() => kafkaClientSecurity({ KAFKA_SASL_USERNAME: 'duet', KAFKA_SASL_PASSWORD: 'p', KAFKA_SASL_MECHANISM: 'plain' })).toThrow(/KAFKA_SASL_MECHANISM/);
    expect(() => kafkaClientSecurity({ KAFKA_SSL_CA: '/no/such/ca.pem' })).toThrow(ConfigError);
    expect(() => postgresClientTls({ PGSSLROOTCERT: '/no/such/ca.pem' })).toThrow(/PGSSLROOTCERT: cannot read "\/no\/such\/ca\.pem" \(ENOENT\)/);
  });

  it("verifies PostgreSQL against PGSSLROOTCERT's CA", () => {
    expect(postgresClientTls({ PGSSLROOTCERT: caFile })).toEqual({ ca: CA });
  });
});
