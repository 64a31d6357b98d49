import { Router } from 'express';
import type { Db } from '@chat/db';
import {
  liveness,
  publicReadiness,
  runHealthChecks,
  type HealthReport,
  type Logger,
} from '@chat/observability';
import type { RedisClient } from '@chat/redis';

/** history-service's readiness: PostgreSQL and Redis answer; with why not, for the ops port. */
export function createHistoryReadiness(deps: {
  db: Db;
  redis: RedisClient;
}): () => Promise<HealthReport> {
  return () =>
    runHealthChecks([
      { name: 'postgres', check: () => deps.db.ping() },
      { name: 'redis', check: () => deps.redis.ping() },
    ]);
}

/**
 * GET /healthz — 200 while the process serves HTTP (liveness).
 * GET /readyz — 200 `{status:"ok"}` when PostgreSQL and Redis answer, else 503
 * `{status:"unavailable"}` in the error shape; which check failed and why (hosts, driver
 * messages) is on the ops server (OPS_PORT) and in the log only.
 */
export function createHealthRoutes(deps: {
  readiness: () => Promise<HealthReport>;
  logger: Logger;
}): Router {
  const log = deps.logger.child({ module: 'history:health' });
  const router = Router();

  router.get('/healthz', (_req, res) => {
    const { status, body } = liveness();
    res.status(status).json(body);
  });

  router.get('/readyz', async (_req, res) => {
    const report = await deps.readiness();
    if (report.status !== 'ok') log.warn({ checks: report.checks }, 'not ready');
    const { status, body } = publicReadiness(report);
    res.status(status).json(body);
  });

  return router;
}
