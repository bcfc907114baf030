import { Catch, HttpStatus, type ArgumentsHost, type ExceptionFilter } from '@nestjs/common';
import type { Response } from 'express';
import { QueryError, RunNotFoundError } from '../domain/errors';

/** Domain errors as HTTP answers: 400 with every issue of a bad query, 404 for an unknown run. */
@Catch(QueryError, RunNotFoundError)
export class TelemetryHttpExceptionFilter implements ExceptionFilter<QueryError | RunNotFoundError> {
  catch(exception: QueryError | RunNotFoundError, host: ArgumentsHost): void {
    const response = host.switchToHttp().getResponse<Response>();
    if (exception instanceof QueryError) {
      response
        .status(HttpStatus.BAD_REQUEST)
        .json({ statusCode: HttpStatus.BAD_REQUEST, error: 'Bad Request', message: exception.message, issues: exception.issues });
    } else {
      response.status(HttpStatus.NOT_FOUND).json({ statusCode: HttpStatus.NOT_FOUND, error: 'Not Found', message: exception.message });
    }
  }
}
