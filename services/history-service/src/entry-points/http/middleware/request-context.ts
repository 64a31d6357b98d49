import { randomUUID } from 'node:crypto';
import type { RequestHandler, Response } from 'express';
import type { Logger } from '@chat/observability';

const REQUEST_ID = /^[A-Za-z0-9._:-]{1,100}$/;

/**
 * Gives each request an id (the caller's X-Request-Id, e.g. nginx's, when it is sane), returns
 * it in X-Request-Id and writes one log line per response: method, path, status, error code,
 * duration and user. Never the query string or a body: they can carry what users wrote.
 */
export function createRequestContext(logger: Logger): RequestHandler {
  const log = logger.child({ module: 'history:http' });
  return (req, res, next) => {
    const incoming = req.get('x-request-id');
    const requestId = incoming && REQUEST_ID.test(incoming) ? incoming : randomUUID();
    res.locals.requestId = requestId;
    res.setHeader('X-Request-Id', requestId);
    const started = process.hrtime.bigint();
    const { method, path } = req;
    res.on('finish', () => {
      const user = res.locals.user as { userId: string } | undefined;
      log.info(
        {
          requestId,
          method,
          path,
          status: res.statusCode,
          ...(res.locals.errorCode !== undefined && { code: res.locals.errorCode as string }),
          ...(user && { userId: user.userId }),
          ms: Number((process.hrtime.bigint() - started) / 1000n) / 1000,
        },
        'request',
      );
    });
    next();
  };
}

export function requestIdOf(res: Response): string | undefined {
  return res.locals.requestId as string | undefined;
}
