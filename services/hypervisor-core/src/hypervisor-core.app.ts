// hypervisor-core as a networked application: the module with the adapters given, gRPC
// (duet.hypervisor.v1.HypervisorService) and HTTP (health, metrics) listening. main.ts builds it
// from the environment; the integration spec builds it with an in-process bus.
import { join } from 'node:path';
import type { INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { MicroserviceOptions } from '@nestjs/microservices';
import { PROTO_ROOT } from '@duet/contracts';
import { grpcServerOptions, httpsOptions, type ServerTls } from '@duet/service-kit';
import { HypervisorCoreModule, type HypervisorCoreAdapters } from './hypervisor-core.module';

const MAX_MESSAGE_BYTES = 64 * 1024 * 1024; // a shard's columnar batch; 25,000 handsets take ~1 MB

export interface HypervisorCoreServerOptions {
  readonly host: string;
  readonly grpcPort: number;
  readonly httpPort: number;
  /** Both ports serve TLS with this certificate when given. */
  readonly tls?: ServerTls;
}

/** Builds and starts the application; `close()` on it stops both listeners and the module. */
export async function startHypervisorCoreApp(adapters: HypervisorCoreAdapters, server: HypervisorCoreServerOptions): Promise<INestApplication> {
  const app = await NestFactory.create(HypervisorCoreModule.register(adapters), { logger: ['error', 'warn', 'log'], ...httpsOptions(server.tls) });
  app.connectMicroservice<MicroserviceOptions>(
    grpcServerOptions({
      package: 'duet.hypervisor.v1',
      protoPath: join(PROTO_ROOT, 'duet/hypervisor/v1/hypervisor.proto'),
      url: `${server.host}:${server.grpcPort}`,
      maxMessageBytes: MAX_MESSAGE_BYTES,
      tls: server.tls,
    }),
  );
  app.enableShutdownHooks();
  await app.startAllMicroservices();
  await app.listen(server.httpPort, server.host);
  return app;
}
