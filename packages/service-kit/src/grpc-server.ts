// The gRPC server options every Duet service uses with NestJS's gRPC transport. Besides its own
// package, each server serves the standard grpc.health.v1.Health service and server reflection
// (grpc.reflection.v1 and v1alpha), so grpcurl, ghz, k6 and load balancers work without the proto
// files (docs/decisions/0009-grpc-health-and-reflection.md).
import { readFileSync } from 'node:fs';
import type { Server } from '@grpc/grpc-js';
import type { PackageDefinition } from '@grpc/proto-loader';
import { ReflectionService } from '@grpc/reflection';
import { Transport, type GrpcOptions } from '@nestjs/microservices';
import { DESCRIPTOR_SETS, GRPC_LOADER_OPTIONS } from '@duet/contracts';
import { HealthImplementation, type ServingStatusMap } from 'grpc-health-check';
import { acceptMalformedRequests } from './grpc-requests';
import { grpcServerCredentials, type ServerTls } from './tls';
import { FileDescriptorProto, FileDescriptorSet, type IFileDescriptorSet } from 'protobufjs/ext/descriptor';

const HEALTH_SERVICE = 'grpc.health.v1.Health';

export interface GrpcServerSettings {
  /** host:port to bind. */
  readonly url: string;
  /** The proto package the service implements, e.g. duet.policy.v1. */
  readonly package: string;
  /** Its .proto file; imports resolve under PROTO_ROOT. */
  readonly protoPath: string;
  /** Largest message received or sent; gRPC's default (4 MB) when unset. */
  readonly maxMessageBytes?: number;
  /** The certificate and key to serve TLS with (serverTls); plaintext when unset. */
  readonly tls?: ServerTls;
}

/**
 * NestJS gRPC transport options for a service, TLS when settings.tls is given, with health and reflection added to its server and
 * every method answering INVALID_ARGUMENT to bytes that are not its request (acceptMalformedRequests).
 */
export function grpcServerOptions(settings: GrpcServerSettings): GrpcOptions {
  const limits =
    settings.maxMessageBytes === undefined ? {} : { maxReceiveMessageLength: settings.maxMessageBytes, maxSendMessageLength: settings.maxMessageBytes };
  return {
    transport: Transport.GRPC,
    options: {
      url: settings.url,
      credentials: grpcServerCredentials(settings.tls),
      package: settings.package,
      protoPath: settings.protoPath,
      loader: { ...GRPC_LOADER_OPTIONS, includeDirs: [...GRPC_LOADER_OPTIONS.includeDirs] },
      ...limits,
      onLoadPackageDefinition: (definition: PackageDefinition, server: Pick<Server, 'addService'>) => {
        acceptMalformedRequests(definition);
        addStandardServices(definition, server);
      },
    },
  };
}

/**
 * Adds grpc.health.v1.Health (SERVING for the whole server, "", and for each service it hosts,
 * while it runs; readiness of dependencies stays on HTTP /readyz) and server reflection listing the
 * hosted services and health.
 */
export function addStandardServices(definition: PackageDefinition, server: Pick<Server, 'addService'>): void {
  const hosted = serviceNames(definition);
  // Reflection answers from buf's descriptors: imports and map entries as protoc writes them.
  const files = [DESCRIPTOR_SETS.duet, DESCRIPTOR_SETS.grpcHealth].flatMap((path) =>
    (FileDescriptorSet.decode(readFileSync(path)) as unknown as IFileDescriptorSet).file.map((file) => FileDescriptorProto.encode(file).finish()),
  );
  const descriptors = { files: { fileDescriptorProtos: files } } as unknown as PackageDefinition;
  new ReflectionService(descriptors, { services: [...hosted, HEALTH_SERVICE] }).addToServer(server);
  const serving: ServingStatusMap = { '': 'SERVING' };
  for (const name of hosted) serving[name] = 'SERVING';
  new HealthImplementation(serving).addToServer(server);
}

// Fully qualified names of the services in a package definition (messages and enums carry a format).
function serviceNames(definition: PackageDefinition): string[] {
  return Object.entries(definition)
    .filter(([, value]) => !('format' in value))
    .map(([name]) => name);
}
