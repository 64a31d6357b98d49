import type { Request, RequestHandler } from 'express';
import type { HistoryMetrics } from '../../../adapters/history-metrics';

/** The route label of a request that no route matched (404s, probes of random paths). */
export const UNMATCHED_ROUTE = 'unmatched';

/**
 * Times every request into http_request_duration_seconds, labelled with the route pattern
 * that matched (`/chat/messages/:conversationId`), so ids in the URL never become label values.
 */
export function createRequestMetrics(metrics: HistoryMetrics): RequestHandler {
  return (req, res, next) => {
    const done = metrics.startRequestTimer();
    res.on('finish', () => {
      done({ method: req.method, route: routeOf(req), status: String(res.statusCode) });
    });
    next();
  };
}

function routeOf(req: Request): string {
  // Set once a route matched, and kept while its handlers and the error handler answer.
  const path = (req.route as { path?: unknown } | undefined)?.path;
  return typeof path === 'string' ? `${req.baseUrl}${path}` : UNMATCHED_ROUTE;
}
