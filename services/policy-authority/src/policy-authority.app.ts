import { Module, type DynamicModule, type INestApplication, type LogLevel, type OnApplicationShutdown } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import type { GrpcOptions } from '@nestjs/microservices';
import { PROTO_ROOT } from '@duet/contracts';
import { answerParserRefusals, grpcServerOptions, httpsOptions, type ServerTls } from '@duet/service-kit';
import { join } from 'node:path';
import { refuseUnreadableBodies } from './controllers/http-exception.filter';
import { PolicyAuthorityModule, type PolicyAuthorityModuleOptions } from './policy-authority.module';

const GRPC_PACKAGE = 'duet.policy.v1';
// A CheckInBatch of 100,000 rows is about 6 MB; gRPC's default limit is 4 MB.
const MAX_GRPC_MESSAGE_BYTES = 64 * 1024 * 1024;
// The admin API's JSON bodies: above the largest policy document (MAX_POLICY_DOCUMENT_BYTES), so
// HTTP refuses the same documents gRPC does, with the same issue.
const MAX_HTTP_BODY = '1mb';

export interface NetworkedOptions extends PolicyAuthorityModuleOptions {
  /** host:port the gRPC server binds. */
  readonly grpcUrl: string;
  /** Both ports serve TLS with this certificate when given. */
  readonly tls?: ServerTls;
  /** Close the database and the event bus when the app closes (they belong to the app). */
  readonly ownsConnections: boolean;
  readonly logLevels?: LogLevel[];
}

/** The gRPC server options of duet.policy.v1 (PolicyService and PolicyAdminService, with health and reflection). */
export function policyAuthorityGrpcOptions(url: string, tls?: ServerTls): GrpcOptions {
  return grpcServerOptions({
    url,
    package: GRPC_PACKAGE,
    protoPath: join(PROTO_ROOT, 'duet', 'policy', 'v1', 'policy.proto'),
    maxMessageBytes: MAX_GRPC_MESSAGE_BYTES,
    tls,
  });
}

/**
 * The networked policy-authority: HTTP (admin API, health) plus the gRPC microservice, not yet
 * listening. Callers run migrations first, then `startAllMicroservices()` and `listen()`.
 */
export async function createPolicyAuthorityApp(options: NetworkedOptions): Promise<INestApplication> {
  const app = await NestFactory.create<NestExpressApplication>(networkedModule(options), {
    logger: options.logLevels ?? ['log', 'warn', 'error'],
    bodyParser: false,
    ...httpsOptions(options.tls),
  });
  app.useBodyParser('json', { limit: MAX_HTTP_BODY });
  app.use(refuseUnreadableBodies);
  answerParserRefusals(app.getHttpServer());
  app.connectMicroservice<GrpcOptions>(policyAuthorityGrpcOptions(options.grpcUrl, options.tls), { inheritAppConfig: true });
  return app;
}

// Closes what the app owns after Nest has stopped serving.
class OwnedConnections implements OnApplicationShutdown {
  constructor(private readonly options: PolicyAuthorityModuleOptions) {}

  async onApplicationShutdown(): Promise<void> {
    await Promise.allSettled([this.options.eventBus.close(), this.options.database.close()]);
  }
}

@Module({})
class NetworkedPolicyAuthorityModule {}

function networkedModule(options: NetworkedOptions): DynamicModule {
  return {
    module: NetworkedPolicyAuthorityModule,
    imports: [PolicyAuthorityModule.register(options)],
    providers: options.ownsConnections ? [{ provide: OwnedConnections, useValue: new OwnedConnections(options) }] : [],
  };
}
