import { Catch, type ArgumentsHost, type RpcExceptionFilter } from '@nestjs/common';
import { status } from '@grpc/grpc-js';
import { throwError, type Observable } from 'rxjs';
import { QueryError, RunNotFoundError } from '../domain/errors';

/** Domain errors as gRPC statuses: a bad query is INVALID_ARGUMENT, an unknown run NOT_FOUND, naming what and why. */
@Catch()
export class TelemetryGrpcExceptionFilter implements RpcExceptionFilter<unknown> {
  catch(exception: unknown, _host: ArgumentsHost): Observable<never> {
    if (exception instanceof QueryError) return throwError(() => ({ code: status.INVALID_ARGUMENT, message: exception.message }));
    if (exception instanceof RunNotFoundError) return throwError(() => ({ code: status.NOT_FOUND, message: exception.message }));
    return throwError(() => ({ code: status.INTERNAL, message: exception instanceof Error ? exception.message : String(exception) }));
  }
}
