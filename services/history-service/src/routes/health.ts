import { Router } from 'express';
import type { Db } from '@chat/db';
import { runHealthChecks, type Logger } from '@chat/observability';
import type { RedisClient } from '@chat/redis';

/**
 * GET /healthz — 200 while the process serves HTTP (liveness).
 * GET /readyz — 200 when PostgreSQL and Redis answer, else 503 with the error shape and which
 * check failed; why it failed (hosts, driver messages) goes to the log only.
 */
export function createHealthRoutes(deps: { db: Db; redis: RedisClient; logger: Logger }): Router {
  const log = deps.logger.child({ module: 'history:health' });
  const router = Router();

  router.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });

  router.get('/readyz', async (_req, res) => {
    const report = await runHealthChecks([
      { name: 'postgres', check: () => deps.db.ping() },
      { name: 'redis', check: () => deps.redis.ping() },
    ]);
    const checks = Object.fromEntries(
      Object.entries(report.checks).map(([name, result]) => [name, { status: result.status }]),
    );
    if (report.status === 'ok') {
      res.json({ status: 'ok', checks });
      return;
    }
    const down = Object.keys(report.checks).filter((name) => report.checks[name]?.status !== 'ok');
    log.warn({ checks: report.checks }, 'not ready');
    res.status(503).json({
      error: { code: 'UNAVAILABLE', message: `Not reachable: ${down.join(', ')}` },
      status: 'unavailable',
      checks,
    });
  });

  return router;
}
