// A persona runtime as a networked application: the module with the adapters given, HTTP (health,
// metrics) listening. main.ts builds it from the environment; the integration spec builds it too.
import type { INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { httpsOptions, type ServerTls } from '@duet/service-kit';
import { PersonaRuntimeModule, type PersonaRuntimeModuleOptions } from './persona-runtime.module';

export interface PersonaRuntimeServerOptions {
  readonly host: string;
  readonly httpPort: number;
  /** The HTTP port serves TLS with this certificate when given. */
  readonly tls?: ServerTls;
}

/** Builds and starts the application; `close()` on it stops the listener and the module. */
export async function startPersonaRuntimeApp(options: PersonaRuntimeModuleOptions, server: PersonaRuntimeServerOptions): Promise<INestApplication> {
  const app = await NestFactory.create(PersonaRuntimeModule.register(options), { logger: ['error', 'warn', 'log'], ...httpsOptions(server.tls) });
  app.enableShutdownHooks();
  await app.listen(server.httpPort, server.host);
  return app;
}
