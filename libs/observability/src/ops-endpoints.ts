import { timingSafeEqual } from 'node:crypto';
import type { RequestListener, ServerResponse } from 'node:http';
import { AppError, bearerTokenRequired, errorResponseBody, noSuchEndpoint } from '@chat/errors';
import type { Logger } from './logger';
import { sendMetrics, type Registry } from './metrics';

/**
 * What a readiness check reports: `status` decides between 200 and 503; whatever else it holds
 * (a HealthReport's checks, say) is detail, shown on the ops port only.
 */
export interface ReadinessReport {
  readonly status: 'ok' | 'unavailable';
}

/** The whole of /healthz on every port: 200 `{status:"ok"}` while the process serves. */
export function liveness(): { status: 200; body: { status: 'ok' } } {
  return { status: 200, body: { status: 'ok' } };
}

/**
 * The whole of a public /readyz: 200 `{status:"ok"}` or 503 `{status:"unavailable", error}`.
 * Which dependency failed and why (host names, ports, database names in driver messages) is
 * for the ops port and the log, not for whoever can reach the public port.
 */
export function publicReadiness(report: ReadinessReport): { status: 200 | 503; body: unknown } {
  if (report.status === 'ok') return { status: 200, body: { status: 'ok' } };
  return {
    status: 503,
    body: {
      status: 'unavailable',
      ...errorResponseBody(new AppError('UNAVAILABLE', 'Not ready')),
    },
  };
}

/**
 * Whether a request on a public port may read /metrics: only with `Authorization: Bearer
 * <OPS_TOKEN>`, and only when an OPS_TOKEN is configured. Without one the endpoint does not
 * exist there ('not-found'); with one, a missing or wrong token is 'unauthorized'.
 */
export function metricsAccess(
  authorization: string | undefined,
  opsToken: string | undefined,
): 'allowed' | 'not-found' | 'unauthorized' {
  if (!opsToken) return 'not-found';
  const match = /^Bearer (.+)$/i.exec(authorization ?? '');
  if (!match) return 'unauthorized';
  const given = Buffer.from(match[1]!.trim());
  const expected = Buffer.from(opsToken);
  // Compared in constant time, so response times do not spell the token out.
  return given.length === expected.length && timingSafeEqual(given, expected)
    ? 'allowed'
    : 'unauthorized';
}

/**
 * One readiness of several parts (npm start's three services): ok when every part is, with
 * each part's own report under `services`.
 */
export function combineReadiness(
  parts: Record<string, () => Promise<ReadinessReport>>,
): () => Promise<ReadinessReport & { services: Record<string, ReadinessReport> }> {
  return async () => {
    const names = Object.keys(parts);
    const reports = await Promise.all(names.map((name) => parts[name]!()));
    return {
      status: reports.every((report) => report.status === 'ok') ? 'ok' : 'unavailable',
      services: Object.fromEntries(names.map((name, index) => [name, reports[index]!])),
    };
  };
}

export interface ProbeListenerOptions {
  readiness: () => Promise<ReadinessReport>;
  /** The registry served at /metrics; default none (/metrics is a 404). */
  metrics?: Registry;
  logger: Logger;
}

/**
 * The internal operations endpoints (OPS_HOST:OPS_PORT), for the orchestrator and Prometheus,
 * never routed from outside:
 * - `GET /healthz` — 200 while the process runs (liveness);
 * - `GET /readyz` — 200 or 503 with the full report: each dependency's status and, when one
 *   fails, why (which may name hosts, ports and databases);
 * - `GET /metrics` — the registry in the Prometheus text format.
 */
export function createOpsListener(options: ProbeListenerOptions): RequestListener {
  return probeListener(options, async (response) => {
    const report = await options.readiness();
    reply(response, report.status === 'ok' ? 200 : 503, report);
  });
}

/**
 * The same paths for a port others can reach (a service's public port, or message-service's
 * health port): `/healthz`; `/readyz` saying only ok or unavailable (see publicReadiness; the
 * failing dependencies are logged at warn); `/metrics` only with the OPS_TOKEN bearer token
 * (see metricsAccess).
 */
export function createPublicProbeListener(
  options: ProbeListenerOptions & { opsToken?: string },
): RequestListener {
  const log = options.logger.child({ module: 'ops:public' });
  return probeListener(
    options,
    async (response) => {
      const report = await options.readiness();
      if (report.status !== 'ok') log.warn({ readiness: report }, 'not ready');
      const { status, body } = publicReadiness(report);
      reply(response, status, body);
    },
    (authorization) => metricsAccess(authorization, options.opsToken),
  );
}

function probeListener(
  options: ProbeListenerOptions,
  readyz: (response: ServerResponse) => Promise<void>,
  metricsAllowed: (authorization: string | undefined) => ReturnType<typeof metricsAccess> = () =>
    'allowed',
): RequestListener {
  const log = options.logger.child({ module: 'ops:http' });

  async function handle(
    path: string,
    authorization: string | undefined,
    response: ServerResponse,
  ): Promise<void> {
    if (path === '/healthz') {
      const { status, body } = liveness();
      return reply(response, status, body);
    }
    if (path === '/readyz') return readyz(response);
    if (path === '/metrics' && options.metrics) {
      const access = metricsAllowed(authorization);
      if (access === 'allowed') return sendMetrics(options.metrics, response);
      if (access === 'unauthorized') {
        response.setHeader('www-authenticate', 'Bearer');
        return replyError(response, bearerTokenRequired());
      }
    }
    replyError(response, noSuchEndpoint());
  }

  return (request, response) => {
    const path = new URL(request.url ?? '/', 'http://localhost').pathname;
    const known = request.method === 'GET' || request.method === 'HEAD';
    const handled = known
      ? handle(path, request.headers.authorization, response)
      : Promise.resolve(replyError(response, noSuchEndpoint()));
    handled.catch((error: unknown) => {
      log.error({ err: error }, 'probe request failed');
      if (!response.headersSent) reply(response, 500, { status: 'unavailable' });
      else response.destroy();
    });
  };
}

function replyError(response: ServerResponse, error: AppError): void {
  reply(response, error.status, errorResponseBody(error));
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
