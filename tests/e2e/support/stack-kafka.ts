// A kafkajs client of a local stack (`duet stack up --dir <dir>`), the way the stack's own tools
// connect: SASL_SSL as the broker's super user, over TLS verified with the stack's CA, both read
// from the stack dir. Tests that publish or read any topic directly use it; no service's principal
// may (docs/security.md#kafka).
import { Kafka, logLevel } from 'kafkajs';
import { kafkaClientSettings, stackCertificateFiles } from '@duet/stack';
import { KAFKA_ADMIN_USER } from '@duet/cli/dist/stack/kafka-principals';
import { readSecrets, StackLayout } from '@duet/cli/dist/stack/stack-layout';

export function stackKafka(dir: string, brokers: readonly string[], clientId: string): Kafka {
  const layout = new StackLayout(dir);
  const secrets = readSecrets(layout);
  if (secrets === undefined) throw new Error(`${dir} holds no stack secrets: was \`duet stack up --dir ${dir}\` run?`);
  const credentials = { username: KAFKA_ADMIN_USER, password: secrets.kafkaPasswords[KAFKA_ADMIN_USER] };
  return new Kafka({
    clientId,
    brokers: [...brokers],
    ...kafkaClientSettings({ caFile: stackCertificateFiles(layout.tlsDir).caFile, credentials }),
    logLevel: logLevel.NOTHING,
  });
}
