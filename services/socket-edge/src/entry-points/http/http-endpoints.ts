import type { RequestListener } from 'node:http';
import type { Broker } from '@chat/broker';
import type { Db } from '@chat/db';
import {
  createPublicProbeListener,
  runHealthChecks,
  type HealthReport,
  type Logger,
  type Registry,
} from '@chat/observability';
import type { RedisClient } from '@chat/redis';

export interface EdgeHttpEndpointsDeps {
  db: Db;
  redis: RedisClient;
  broker: Broker;
  /** The process's registry, served at /metrics to OPS_TOKEN holders. */
  metrics: Registry;
  /** OPS_TOKEN: the bearer token that reads /metrics here; unset, /metrics is a 404 here. */
  opsToken?: string;
  logger: Logger;
}

/** The edge's readiness: PostgreSQL, Redis and RabbitMQ answer; with why not, for the ops port. */
export function createEdgeReadiness(
  deps: Pick<EdgeHttpEndpointsDeps, 'db' | 'redis' | 'broker'>,
): () => Promise<HealthReport> {
  return () =>
    runHealthChecks([
      { name: 'postgres', check: () => deps.db.ping() },
      { name: 'redis', check: () => deps.redis.ping() },
      {
        name: 'rabbitmq',
        check: async () => {
          if (!deps.broker.isConnected) throw new Error('not connected');
        },
      },
    ]);
}

/**
 * What socket-edge answers besides Socket.IO when it runs on its own, on its public port:
 * create the HTTP server with it (`http.createServer(createEdgeHttpEndpoints(…))`) before
 * Socket.IO attaches, and Socket.IO keeps /socket.io while these get the rest:
 * - `GET /healthz` — 200 while the process runs (liveness);
 * - `GET /readyz` — 200 when PostgreSQL, Redis and RabbitMQ answer, else 503, saying no more
 *   (which one and why are on the ops server, OPS_PORT, and in the log);
 * - `GET /metrics` — only with the OPS_TOKEN bearer token (404 when none is set, else 401).
 */
export function createEdgeHttpEndpoints(deps: EdgeHttpEndpointsDeps): RequestListener {
  return createPublicProbeListener({
    readiness: createEdgeReadiness(deps),
    metrics: deps.metrics,
    opsToken: deps.opsToken,
    logger: deps.logger.child({ module: 'edge:http' }),
  });
}
