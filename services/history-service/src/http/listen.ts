import { createServer, type RequestListener, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface HttpListener {
  readonly server: Server;
  /** The port it listens on (useful with port 0). */
  readonly port: number;
  /** Stops accepting, lets requests in flight finish and closes idle keep-alive connections. */
  close(): Promise<void>;
}

/** Serves `handler` (an Express app) on `port`; resolves once listening. */
export async function listen(
  handler: RequestListener,
  port: number,
  host?: string,
): Promise<HttpListener> {
  const server = createServer(handler);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ port, host }, () => {
      server.off('error', reject);
      resolve();
    });
  });
  let closing: Promise<void> | undefined;
  return {
    server,
    port: (server.address() as AddressInfo).port,
    close() {
      closing ??= new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeIdleConnections();
      });
      return closing;
    },
  };
}
