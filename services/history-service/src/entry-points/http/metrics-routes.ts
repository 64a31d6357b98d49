import { Router } from 'express';
import { bearerTokenRequired } from '@chat/errors';
import { metricsAccess, sendMetrics, type Registry } from '@chat/observability';

/**
 * GET /metrics on the public port — the process's metrics in the Prometheus text format, for a
 * scraper holding OPS_TOKEN (`Authorization: Bearer <token>`): 404 when no token is configured,
 * 401 without the right one. The ops server (OPS_PORT) serves them without a token. In
 * `npm start` the registry is shared, so this serves all three services'.
 */
export function createMetricsRoutes(registry: Registry, opsToken: string | undefined): Router {
  const router = Router();
  router.get('/metrics', async (req, res, next) => {
    const access = metricsAccess(req.headers.authorization, opsToken);
    if (access === 'not-found') return next();
    if (access === 'unauthorized') {
      return next(bearerTokenRequired());
    }
    await sendMetrics(registry, res);
  });
  return router;
}
