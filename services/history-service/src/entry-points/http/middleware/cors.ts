import type { RequestHandler } from 'express';

const EXPOSED = 'Link, X-Next-Cursor, X-Request-Id, Retry-After';

/**
 * CORS for the browser frontend (FRONTEND_URL), which calls the API from another origin:
 * allowed origins get their origin echoed and the paging headers exposed; preflights are
 * answered here. Other origins get no CORS headers, so browsers keep their responses from them.
 */
export function createCors(origins: readonly string[]): RequestHandler {
  const allowed = new Set(origins);
  const allowsAny = allowed.has('*');
  return (req, res, next) => {
    const origin = req.headers.origin;
    const isAllowed = origin !== undefined && (allowsAny || allowed.has(origin));
    res.vary('Origin');
    if (isAllowed) {
      res.setHeader('Access-Control-Allow-Origin', origin);
      res.setHeader('Access-Control-Allow-Credentials', 'true');
      res.setHeader('Access-Control-Expose-Headers', EXPOSED);
    }
    if (req.method === 'OPTIONS' && req.headers['access-control-request-method'] !== undefined) {
      if (isAllowed) {
        res.setHeader('Access-Control-Allow-Methods', 'GET, HEAD, PATCH, OPTIONS');
        res.setHeader('Access-Control-Allow-Headers', 'Authorization, Content-Type, X-Request-Id');
        res.setHeader('Access-Control-Max-Age', '600');
      }
      res.status(204).end();
      return;
    }
    next();
  };
}
