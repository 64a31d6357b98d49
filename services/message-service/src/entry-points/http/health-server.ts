import {
  startPublicProbeServer,
  type Logger,
  type ReadinessReport,
  type Registry,
} from '@chat/observability';

export type { ReadinessReport };

export interface HealthServer {
  /** The port it listens on (useful with port 0). */
  readonly port: number;
  close(): Promise<void>;
}

/**
 * message-service has no API, only these probes on MESSAGE_SERVICE_HEALTH_PORT, which load
 * balancers and orchestrators may reach:
 * - `GET /healthz` — 200 while the process runs (liveness);
 * - `GET /readyz` — 200 `{status:"ok"}` when its dependencies answer, else 503
 *   `{status:"unavailable"}`: which one failed and why is on the ops server and in the log;
 * - `GET /metrics` — only with the OPS_TOKEN bearer token (else 404, or 401 when one is set);
 *   the ops server (OPS_PORT) serves it without.
 */
export function startHealthServer(deps: {
  port: number;
  host?: string;
  readiness: () => Promise<ReadinessReport>;
  /** The registry served at /metrics to OPS_TOKEN holders; default none (/metrics is a 404). */
  metrics?: Registry;
  opsToken?: string;
  logger: Logger;
}): Promise<HealthServer> {
  return startPublicProbeServer({
    ...deps,
    logger: deps.logger.child({ module: 'message:health' }),
  });
}
