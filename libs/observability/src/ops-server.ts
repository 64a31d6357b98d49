import type { RequestListener } from 'node:http';
import { listenHttp } from './http-server';
import type { Logger } from './logger';
import {
  createOpsListener,
  createPublicProbeListener,
  type ProbeListenerOptions,
} from './ops-endpoints';

export interface OpsServer {
  /** The port it listens on (useful with port 0). */
  readonly port: number;
  close(): Promise<void>;
}

/**
 * Listens with the internal operations endpoints (see createOpsListener) on `host:port`:
 * OPS_HOST, default 127.0.0.1, so they stay on the machine unless the operator opens them to a
 * private network (a container's, which the compose gateway does not route to).
 */
export function startOpsServer(
  options: ProbeListenerOptions & { port: number; host: string },
): Promise<OpsServer> {
  return serveProbes(createOpsListener(options), options, {
    module: 'ops:server',
    listening: 'ops endpoints listening (/healthz, /readyz, /metrics)',
  });
}

/**
 * Listens with the public probes (see createPublicProbeListener) on `host:port`: for a process
 * with no API of its own to serve them beside (message-service's health port).
 */
export function startPublicProbeServer(
  options: ProbeListenerOptions & { port: number; host?: string; opsToken?: string },
): Promise<OpsServer> {
  return serveProbes(createPublicProbeListener(options), options, {
    module: 'ops:public-server',
    listening: 'health server listening (/healthz, /readyz, /metrics)',
  });
}

async function serveProbes(
  listener: RequestListener,
  options: { port: number; host?: string; logger: Logger },
  names: { module: string; listening: string },
): Promise<OpsServer> {
  const log = options.logger.child({ module: names.module });
  const http = await listenHttp(listener, {
    port: options.port,
    host: options.host,
    dropConnections: true,
  });
  http.server.on('error', (error) => log.error({ err: error }, 'probe server error'));
  log.info({ host: options.host, port: http.port }, names.listening);
  return { port: http.port, close: http.close };
}
