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
