import { Catch, HttpException, HttpStatus, Logger, type ArgumentsHost, type ExceptionFilter } from '@nestjs/common';
import type { ValidationIssue } from '@duet/sim-core';
import { RequestError, type RefusalStatus } from '../domain/request-error';

// gRPC → HTTP as in google.rpc.Code's mapping.
const HTTP_STATUSES: Record<RefusalStatus, number> = {
  'invalid-argument': HttpStatus.BAD_REQUEST,
  unauthenticated: HttpStatus.UNAUTHORIZED,
  'permission-denied': HttpStatus.FORBIDDEN,
  'failed-precondition': HttpStatus.BAD_REQUEST,
  'not-found': HttpStatus.NOT_FOUND,
  'already-exists': HttpStatus.CONFLICT,
  'resource-exhausted': HttpStatus.TOO_MANY_REQUESTS,
};

interface JsonResponse {
  status(code: number): JsonResponse;
  setHeader(name: string, value: string): void;
  json(body: unknown): void;
}

/** Errors as `{ error, issues: [{ path, rule, message }] }` with the matching HTTP status. */
@Catch()
export class HttpExceptionFilter implements ExceptionFilter {
  private readonly logger = new Logger('policy-authority');

  catch(exception: unknown, host: ArgumentsHost): void {
    const response = host.switchToHttp().getResponse<JsonResponse>();
    if (exception instanceof RequestError) {
      if (exception.status === 'unauthenticated') response.setHeader('WWW-Authenticate', 'Bearer');
      reply(response, HTTP_STATUSES[exception.status], exception.message, exception.issues);
    } else if (exception instanceof HttpException) {
      // Nest's own refusals: unknown route, unparsable JSON body.
      reply(response, exception.getStatus(), exception.message, []);
    } else {
      this.logger.error(exception instanceof Error ? (exception.stack ?? exception.message) : String(exception));
      reply(response, HttpStatus.INTERNAL_SERVER_ERROR, 'internal error; see the policy-authority log', []);
    }
  }
}

// What body-parser's errors carry (http-errors).
interface BodyError {
  readonly type?: string;
  readonly status?: number;
  readonly length?: number;
  readonly limit?: number;
}

/**
 * Express error middleware after the JSON body parser: a body too large or not JSON is answered in
 * the same `{ error, issues }` shape as every other refusal, not Express's HTML page.
 */
export function refuseUnreadableBodies(error: BodyError, _request: unknown, response: JsonResponse, next: (error: unknown) => void): void {
  if (error.type === 'entity.too.large') {
    reply(response, HttpStatus.PAYLOAD_TOO_LARGE, 'request body too large', [
      { path: '(body)', rule: 'max-bytes', message: `is ${error.length} bytes; a request body holds at most ${error.limit}` },
    ]);
  } else if (error.status !== undefined && error.status >= 400 && error.status < 500) {
    reply(response, error.status, 'request body unreadable', [{ path: '(body)', rule: 'json', message: 'must be a JSON document in UTF-8' }]);
  } else {
    next(error);
  }
}

function reply(response: JsonResponse, status: number, error: string, issues: readonly ValidationIssue[]): void {
  response.status(status).json({ error, issues });
}
