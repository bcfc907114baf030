import { join } from 'node:path';

// NestJS's gRPC transport reads the .proto files at run time (protoPath, loader.includeDirs):
// services take the location from here instead of writing ../../../proto themselves. Resolved
// from this file, so it holds from src/ (tests) and dist/ alike.
export const PROTO_ROOT = join(__dirname, '..', '..', '..', 'proto');

/**
 * @grpc/proto-loader options under which messages reach a Nest handler in the shape of the
 * generated interfaces: camelCase keys, 64-bit integers and enums as numbers, empty repeated
 * fields as [] and unset scalars as their defaults.
 */
export const GRPC_LOADER_OPTIONS = {
  keepCase: false,
  longs: Number,
  enums: Number,
  defaults: true,
  arrays: true,
  objects: true,
  includeDirs: [PROTO_ROOT],
} as const;

/**
 * FileDescriptorSets the build compiles with buf (npm run generate): every proto/ file, and the
 * standard grpc.health.v1 service (from grpc-health-check's proto). Server reflection serves these
 * rather than the descriptors @grpc/proto-loader rebuilds, which lose imports and map entry names.
 */
export const DESCRIPTOR_SETS = {
  duet: join(__dirname, '..', 'descriptors', 'duet.binpb'),
  grpcHealth: join(__dirname, '..', 'descriptors', 'grpc-health.binpb'),
} as const;
