import { Catch, Logger, type ArgumentsHost, type RpcExceptionFilter } from '@nestjs/common';
import { status as GrpcStatus } from '@grpc/grpc-js';
import { Observable, throwError } from 'rxjs';
import { isTransientDatabaseError } from '@duet/service-kit';
import { RequestError, type RefusalStatus } from '../domain/request-error';

const GRPC_CODES: Record<RefusalStatus, GrpcStatus> = {
  'invalid-argument': GrpcStatus.INVALID_ARGUMENT,
  unauthenticated: GrpcStatus.UNAUTHENTICATED,
  'failed-precondition': GrpcStatus.FAILED_PRECONDITION,
  'not-found': GrpcStatus.NOT_FOUND,
  'already-exists': GrpcStatus.ALREADY_EXISTS,
};

/**
 * Refused requests become their gRPC status with every issue in the message; PostgreSQL out of
 * reach (a restart) becomes UNAVAILABLE, which callers retry with backoff; anything else INTERNAL.
 */
@Catch()
export class GrpcExceptionFilter implements RpcExceptionFilter<unknown> {
  private readonly logger = new Logger('policy-authority');

  catch(exception: unknown, _host: ArgumentsHost): Observable<never> {
    if (exception instanceof RequestError) return throwError(() => ({ code: GRPC_CODES[exception.status], message: exception.message }));
    if (isTransientDatabaseError(exception)) {
      this.logger.warn(`PostgreSQL out of reach: ${(exception as Error).message}; answered UNAVAILABLE`);
      return throwError(() => ({ code: GrpcStatus.UNAVAILABLE, message: 'the database is out of reach for now; retry' }));
    }
    this.logger.error(exception instanceof Error ? (exception.stack ?? exception.message) : String(exception));
    return throwError(() => ({ code: GrpcStatus.INTERNAL, message: 'internal error; see the policy-authority log' }));
  }
}
