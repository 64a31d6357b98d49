import { Router } from 'express';
import { sendMetrics, type Registry } from '@chat/observability';

/**
 * GET /metrics — the process's metrics in the Prometheus text format; no token, as they hold
 * no user data. In `npm start` the registry is shared, so this serves all three services'.
 */
export function createMetricsRoutes(registry: Registry): Router {
  const router = Router();
  router.get('/metrics', async (_req, res) => {
    await sendMetrics(registry, res);
  });
  return router;
}
