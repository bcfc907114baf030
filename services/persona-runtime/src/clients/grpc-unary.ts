// One unary gRPC call as a promise, for the persona runtime's gRPC adapters: a peer that is not
// reachable now (UNAVAILABLE, a deadline, RESOURCE_EXHAUSTED) becomes PeerUnavailable, which the
// shard runner retries with backoff; any other status is the caller's error.
import * as grpc from '@grpc/grpc-js';
import type { UnaryCall } from '@duet/service-kit';
import { PeerUnavailable } from '../domain/ports';

const CALL_DEADLINE_MS = 120_000; // a batch of a large shard may wait on a busy server
const RETRYABLE = new Set([grpc.status.UNAVAILABLE, grpc.status.DEADLINE_EXCEEDED, grpc.status.RESOURCE_EXHAUSTED]);

export function unary<Request, Response>(
  call: UnaryCall<Request, Response>,
  request: Request,
  peer: string,
  metadata = new grpc.Metadata(),
): Promise<Response> {
  return new Promise((resolve, reject) => {
    call(request, metadata, { deadline: Date.now() + CALL_DEADLINE_MS }, (error, response) => {
      if (error === null) resolve(response);
      else if (RETRYABLE.has(error.code)) reject(new PeerUnavailable(peer, error.details || error.message));
      else reject(error);
    });
  });
}
