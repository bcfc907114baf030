// What Duet's gRPC clients (@grpc/grpc-js, built from the .proto by proto-loader) share.
import type * as grpc from '@grpc/grpc-js';

/** One unary method of a proto-loader client, as grpc-js calls it. */
export type UnaryCall<Request, Response> = (
  request: Request,
  metadata: grpc.Metadata,
  options: grpc.CallOptions,
  callback: (error: grpc.ServiceError | null, response: Response) => void,
) => void;
