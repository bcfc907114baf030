// A networked policy-authority for a spec file, as main.ts runs it: real gRPC and HTTP servers on
// free 127.0.0.1 ports, a fresh PostgreSQL database and real Kafka; and plain clients of it.
import type { INestApplication } from '@nestjs/common';
import { findTopic } from '@duet/contracts';
import { Database, KafkaEventBus, freePort } from '@duet/service-kit';
import { createTopics } from '@duet/stack';
import type { AddressInfo } from 'node:net';
import { freshDatabase, getInfrastructure } from '../../../tests/support/infrastructure';
import { createPolicyAuthorityApp, PolicyAuthorityModule } from '../src/index';
import { policyClients } from './policy-clients';

export const ADMIN_TOKEN = 'networked-spec-admin-token-0123456789';
const ENROLLMENT_SECRET = 'networked-spec-enrollment-secret-0123456789abcdef';

export interface NetworkedPolicyAuthority {
  readonly database: Database;
  readonly grpcAddress: string;
  readonly httpBase: string;
  readonly clients: ReturnType<typeof policyClients>;
  close(): Promise<void>;
}

export async function startNetworkedPolicyAuthority(
  name: string,
  options: { rateLimitPerSecond?: number; serviceIdentityKey?: string } = {},
): Promise<NetworkedPolicyAuthority> {
  const { kafkaBrokers } = await getInfrastructure();
  const database = new Database(await freshDatabase(name));
  await PolicyAuthorityModule.migrate(database);
  await createTopics(
    kafkaBrokers,
    (['duet.policy-changed.v1', 'duet.commands.v1'] as const).map((topic) => ({ topic, partitions: findTopic(topic).partitions })),
  );
  const eventBus = new KafkaEventBus({ brokers: kafkaBrokers, clientId: `${name}-test` });
  const grpcAddress = `127.0.0.1:${await freePort()}`;
  const app: INestApplication = await createPolicyAuthorityApp({
    database,
    eventBus,
    adminToken: ADMIN_TOKEN,
    enrollmentSecret: ENROLLMENT_SECRET,
    grpcUrl: grpcAddress,
    ownsConnections: false,
    logLevels: ['error'],
    ...options,
  });
  await app.startAllMicroservices();
  await app.listen(0, '127.0.0.1');
  const clients = policyClients(grpcAddress);
  return {
    database,
    grpcAddress,
    httpBase: `http://127.0.0.1:${(app.getHttpServer().address() as AddressInfo).port}`,
    clients,
    close: async () => {
      clients.close();
      await app.close();
      await eventBus.close();
      await database.close();
    },
  };
}
