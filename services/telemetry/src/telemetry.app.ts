import type { INestApplication, LogLevel } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { MicroserviceOptions } from '@nestjs/microservices';
import { PROTO_ROOT, telemetry } from '@duet/contracts';
import { answerParserRefusals, grpcServerOptions, httpsOptions, type ServerTls } from '@duet/service-kit';
import { join } from 'node:path';
import { TelemetryModule, type TelemetryModuleOptions } from './telemetry.module';

export interface TelemetryServerOptions extends TelemetryModuleOptions {
  readonly host: string;
  readonly grpcPort: number;
  readonly httpPort: number;
  /** Both ports serve TLS with this certificate when given. */
  readonly tls?: ServerTls;
  /** Nest log levels; default log, warn and error. */
  readonly logLevels?: LogLevel[];
}

/** gRPC server options of duet.telemetry.v1.TelemetryService (with health and reflection) at an address. */
export function telemetryGrpcOptions(url: string, tls?: ServerTls): MicroserviceOptions {
  return grpcServerOptions({ url, package: telemetry.protobufPackage, protoPath: join(PROTO_ROOT, telemetry.protobufFileName), tls });
}

/** The networked service: the module with its gRPC and HTTP servers listening. The caller closes it. */
export async function startTelemetryApplication(options: TelemetryServerOptions): Promise<INestApplication> {
  const app = await NestFactory.create(TelemetryModule.register(options), {
    logger: options.logLevels ?? ['log', 'warn', 'error'],
    ...httpsOptions(options.tls),
  });
  app.connectMicroservice<MicroserviceOptions>(telemetryGrpcOptions(`${options.host}:${options.grpcPort}`, options.tls));
  answerParserRefusals(app.getHttpServer());
  await app.startAllMicroservices();
  await app.listen(options.httpPort, options.host);
  return app;
}
