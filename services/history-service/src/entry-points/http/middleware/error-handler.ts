import type { ErrorRequestHandler, RequestHandler, Response } from 'express';
import { isDatabaseUnavailable, isStatementTimeout } from '@chat/db';
import { AppError, errorResponseBody, isAppError, noSuchEndpoint } from '@chat/errors';
import type { Logger } from '@chat/observability';
import { RateLimitedError } from '@chat/redis';
import { requestIdOf } from './request-context';

/** body-parser's errors carry a `type`; their messages may quote the body, so they are replaced. */
function fromBodyParser(error: unknown): AppError | undefined {
  const type = (error as { type?: unknown } | null)?.type;
  if (type === 'entity.parse.failed') {
    return new AppError('VALIDATION_FAILED', 'The request body is not valid JSON');
  }
  if (type === 'entity.too.large') return new AppError('PAYLOAD_TOO_LARGE');
  if (typeof type === 'string') {
    return new AppError('VALIDATION_FAILED', 'The request body could not be read');
  }
  return undefined;
}

/** What a client may see: our own errors as they are; anything else without its details. */
export function toHttpError(error: unknown): AppError {
  if (isAppError(error)) return error;
  const bodyError = fromBodyParser(error);
  if (bodyError) return bodyError;
  // The router's answer to a path parameter with broken percent-encoding (e.g. "%E0%A4%A").
  if (error instanceof URIError) {
    return new AppError('VALIDATION_FAILED', 'The request path is not validly encoded');
  }
  if (isDatabaseUnavailable(error)) return new AppError('UNAVAILABLE', undefined, { cause: error });
  // A query cancelled by DATABASE_STATEMENT_TIMEOUT_MS: overload or a long lock, worth a retry.
  if (isStatementTimeout(error)) return new AppError('TIMEOUT', undefined, { cause: error });
  return new AppError('INTERNAL', undefined, { cause: error });
}

export function sendError(res: Response, error: AppError): void {
  res.locals.errorCode = error.code;
  if (error instanceof RateLimitedError) res.setHeader('Retry-After', String(error.retryAfterSec));
  if (error.status === 401) {
    res.setHeader('WWW-Authenticate', 'Bearer');
  }
  res.status(error.status).json(errorResponseBody(error));
}

/**
 * The one place a thrown error becomes a response: `{"error": {"code", "message"}}` with the
 * code's status. 5xx are logged with their cause (query values already redacted by the
 * stores); the client gets the catalogue's generic message, never a stack or SQL.
 */
export function createErrorHandler(logger: Logger): ErrorRequestHandler {
  const log = logger.child({ module: 'history:errors' });
  return (error: unknown, req, res, next) => {
    if (res.headersSent) {
      next(error);
      return;
    }
    const httpError = toHttpError(error);
    if (httpError.status >= 500) {
      log.error(
        {
          err: isAppError(error) ? error : (httpError.cause ?? error),
          requestId: requestIdOf(res),
          method: req.method,
          path: req.path,
          code: httpError.code,
        },
        'request failed',
      );
    }
    sendError(res, httpError);
  };
}

/** Any path or method the API does not have. */
export const notFound: RequestHandler = () => {
  throw noSuchEndpoint();
};
