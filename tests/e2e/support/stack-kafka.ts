// A kafkajs client of a local stack (`duet stack up --dir <dir>`), the way its own tools connect:
// SASL_SSL as the broker's super user (the stack's secrets.json) over TLS verified with the stack's
// CA. Tests that publish or read any topic directly use it; the services' own principals cannot.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Kafka, logLevel } from 'kafkajs';

export function stackKafka(dir: string, brokers: readonly string[], clientId: string): Kafka {
  const secrets = JSON.parse(readFileSync(join(dir, 'secrets.json'), 'utf8')) as { kafkaPasswords: Record<string, string> };
  return new Kafka({
    clientId,
    brokers: [...brokers],
    ssl: { ca: [readFileSync(join(dir, 'tls', 'ca.pem'), 'utf8')] },
    sasl: { mechanism: 'scram-sha-512', username: 'admin', password: secrets.kafkaPasswords.admin },
    logLevel: logLevel.NOTHING,
  });
}
