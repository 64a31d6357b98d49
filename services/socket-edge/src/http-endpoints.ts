import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http';
import type { Broker } from '@chat/broker';
import type { Db } from '@chat/db';
import { runHealthChecks, sendMetrics, type Logger, type Registry } from '@chat/observability';
import type { RedisClient } from '@chat/redis';

export interface EdgeHttpEndpointsDeps {
  db: Db;
  redis: RedisClient;
  broker: Broker;
  /** The process's registry, served at /metrics. */
  metrics: Registry;
  logger: Logger;
}

/**
 * What socket-edge answers besides Socket.IO when it runs on its own: create the HTTP server
 * with it (`http.createServer(createEdgeHttpEndpoints(…))`) before Socket.IO attaches, and
 * Socket.IO keeps /socket.io while these get the rest:
 * - `GET /healthz` — 200 while the process runs (liveness);
 * - `GET /readyz` — 200 when PostgreSQL, Redis and RabbitMQ answer, else 503 naming which did
 *   not; why (hosts, driver messages) goes to the log only;
 * - `GET /metrics` — the registry in the Prometheus text format (no user data, no token).
 */
export function createEdgeHttpEndpoints(deps: EdgeHttpEndpointsDeps): RequestListener {
  const log = deps.logger.child({ module: 'edge:http' });

  async function readiness(response: ServerResponse): Promise<void> {
    const report = await runHealthChecks([
      { name: 'postgres', check: () => deps.db.ping() },
      { name: 'redis', check: () => deps.redis.ping() },
      {
        name: 'rabbitmq',
        check: async () => {
          if (!deps.broker.isConnected) throw new Error('not connected');
        },
      },
    ]);
    const checks = Object.fromEntries(
      Object.entries(report.checks).map(([name, result]) => [name, { status: result.status }]),
    );
    if (report.status === 'ok') return reply(response, 200, { status: 'ok', checks });
    const down = Object.keys(report.checks).filter((name) => report.checks[name]?.status !== 'ok');
    log.warn({ checks: report.checks }, 'not ready');
    reply(response, 503, {
      error: { code: 'UNAVAILABLE', message: `Not reachable: ${down.join(', ')}` },
      status: 'unavailable',
      checks,
    });
  }

  async function handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const path = new URL(request.url ?? '/', 'http://localhost').pathname;
    // As in history-service, an unknown route or method is a 404 in the error shape.
    if (request.method === 'GET' || request.method === 'HEAD') {
      if (path === '/healthz') return reply(response, 200, { status: 'ok' });
      if (path === '/readyz') return readiness(response);
      if (path === '/metrics') return sendMetrics(deps.metrics, response);
    }
    reply(response, 404, { error: { code: 'NOT_FOUND', message: 'No such endpoint' } });
  }

  return (request, response) => {
    handle(request, response).catch((error: unknown) => {
      log.error({ err: error }, 'http request failed');
      if (!response.headersSent) {
        reply(response, 500, { error: { code: 'INTERNAL', message: 'Internal error' } });
      } else response.destroy();
    });
  };
}

function reply(response: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  response.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(text),
    'cache-control': 'no-store',
  });
  response.end(text);
}
