import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { sendMetrics, type Logger, type Registry } from '@chat/observability';

/** What /readyz reports; `status` decides between 200 and 503. */
export interface ReadinessReport {
  status: 'ok' | 'unavailable';
  [detail: string]: unknown;
}

export interface HealthServer {
  /** The port it listens on (useful with port 0). */
  readonly port: number;
  close(): Promise<void>;
}

/**
 * message-service has no API, only these probes:
 * - `GET /healthz` — 200 while the process runs (liveness);
 * - `GET /readyz` — 200 when its dependencies answer, else 503, with the report as JSON;
 * - `GET /metrics` — the process's metrics in the Prometheus text format, when `metrics` is given.
 */
export async function startHealthServer(deps: {
  port: number;
  host?: string;
  readiness: () => Promise<ReadinessReport>;
  /** The registry served at /metrics; default none (/metrics is a 404). */
  metrics?: Registry;
  logger: Logger;
}): Promise<HealthServer> {
  const log = deps.logger.child({ module: 'message:health' });

  async function handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const path = new URL(request.url ?? '/', 'http://localhost').pathname;
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      return reply(response, 405, { error: 'method not allowed' });
    }
    if (path === '/healthz') return reply(response, 200, { status: 'ok' });
    if (path === '/readyz') {
      const report = await deps.readiness();
      return reply(response, report.status === 'ok' ? 200 : 503, report);
    }
    if (path === '/metrics' && deps.metrics) return sendMetrics(deps.metrics, response);
    return reply(response, 404, { error: 'not found' });
  }

  const server = createServer((request, response) => {
    handle(request, response).catch((error: unknown) => {
      log.error({ err: error }, 'health request failed');
      if (!response.headersSent) reply(response, 500, { status: 'unavailable' });
      else response.destroy();
    });
  });
  server.on('error', (error) => log.error({ err: error }, 'health server error'));

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ port: deps.port, host: deps.host }, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  log.info({ port }, 'health server listening');

  let closing: Promise<void> | undefined;
  return {
    port,
    close() {
      closing ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      return closing;
    },
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
