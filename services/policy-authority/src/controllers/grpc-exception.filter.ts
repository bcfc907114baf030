import { Catch, Logger, type ArgumentsHost, type RpcExceptionFilter } from '@nestjs/common';
import { RpcException } from '@nestjs/microservices';
import { status as GrpcStatus } from '@grpc/grpc-js';
import { Observable, throwError } from 'rxjs';
import { isTransientDatabaseError } from '@duet/service-kit';
import { RequestError, type RefusalStatus } from '../domain/request-error';

const GRPC_CODES: Record<RefusalStatus, GrpcStatus> = {
  'invalid-argument': GrpcStatus.INVALID_ARGUMENT,
  unauthenticated: GrpcStatus.UNAUTHENTICATED,
  'permission-denied': GrpcStatus.PERMISSION_DENIED,
  'failed-precondition': GrpcStatus.FAILED_PRECONDITION,
  'not-found': GrpcStatus.NOT_FOUND,
  'already-exists': GrpcStatus.ALREADY_EXISTS,
  'resource-exhausted': GrpcStatus.RESOURCE_EXHAUSTED,
};

/**
 * The gRPC status an exception is answered with: a refused request its status, PostgreSQL out of
 * reach (a restart) UNAVAILABLE, which callers retry with backoff; anything else INTERNAL. The
 * filter answers with it and the RPC metrics label the outcome with it.
 */
export function grpcStatusOf(exception: unknown): GrpcStatus {
  if (exception instanceof RequestError) return GRPC_CODES[exception.status];
  if (exception instanceof RpcException) return (exception.getError() as { code: GrpcStatus }).code;
  if (isTransientDatabaseError(exception)) return GrpcStatus.UNAVAILABLE;
  return GrpcStatus.INTERNAL;
}

/** Refused requests become their gRPC status with every issue in the message (see grpcStatusOf). */
@Catch()
export class GrpcExceptionFilter implements RpcExceptionFilter<unknown> {
  private readonly logger = new Logger('policy-authority');

  catch(exception: unknown, _host: ArgumentsHost): Observable<never> {
    if (exception instanceof RequestError) return throwError(() => ({ code: grpcStatusOf(exception), message: exception.message }));
    if (exception instanceof RpcException) return throwError(() => exception.getError());
    if (isTransientDatabaseError(exception)) {
      this.logger.warn(`PostgreSQL out of reach: ${(exception as Error).message}; answered UNAVAILABLE`);
      return throwError(() => ({ code: GrpcStatus.UNAVAILABLE, message: 'the database is out of reach for now; retry' }));
    }
    this.logger.error(exception instanceof Error ? (exception.stack ?? exception.message) : String(exception));
    return throwError(() => ({ code: GrpcStatus.INTERNAL, message: 'internal error; see the policy-authority log' }));
  }
}
