import { Catch, Logger, type ArgumentsHost, type RpcExceptionFilter } from '@nestjs/common';
import { RpcException } from '@nestjs/microservices';
import { status } from '@grpc/grpc-js';
import { throwError, type Observable } from 'rxjs';
import { QueryError, RunNotFoundError } from '../domain/errors';

/** The gRPC status of an exception: a bad query INVALID_ARGUMENT, an unknown run NOT_FOUND, else INTERNAL. */
export function telemetryStatusOf(exception: unknown): status {
  if (exception instanceof QueryError) return status.INVALID_ARGUMENT;
  if (exception instanceof RunNotFoundError) return status.NOT_FOUND;
  if (exception instanceof RpcException) return (exception.getError() as { code: status }).code;
  return status.INTERNAL;
}

/** Domain errors as gRPC statuses (telemetryStatusOf), naming what and why. */
@Catch()
export class TelemetryGrpcExceptionFilter implements RpcExceptionFilter<unknown> {
  private readonly logger = new Logger('telemetry');

  catch(exception: unknown, _host: ArgumentsHost): Observable<never> {
    if (exception instanceof RpcException) return throwError(() => exception.getError());
    if (exception instanceof QueryError || exception instanceof RunNotFoundError) {
      return throwError(() => ({ code: telemetryStatusOf(exception), message: exception.message }));
    }
    // Not echoed: a database error's text is the server's business, not the caller's.
    this.logger.error(exception instanceof Error ? (exception.stack ?? exception.message) : String(exception));
    return throwError(() => ({ code: status.INTERNAL, message: 'internal error; see the telemetry log' }));
  }
}
