import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
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
  const server = createServer(createOpsListener(options));
  server.on('error', (error) => log.error({ err: error }, 'ops server error'));
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ port: options.port, host: options.host }, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  log.info({ host: options.host, port }, 'ops endpoints listening (/healthz, /readyz, /metrics)');

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
