import { listenHttp } from './http-server';
import { createOpsListener, type ProbeListenerOptions } from './ops-endpoints';

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
export async function startOpsServer(
  options: ProbeListenerOptions & { port: number; host: string },
): Promise<OpsServer> {
  const log = options.logger.child({ module: 'ops:server' });
  const http = await listenHttp(createOpsListener(options), { ...options, dropConnections: true });
  http.server.on('error', (error) => log.error({ err: error }, 'ops server error'));
  log.info(
    { host: options.host, port: http.port },
    'ops endpoints listening (/healthz, /readyz, /metrics)',
  );
  return { port: http.port, close: http.close };
}
