import { createServer, type RequestListener, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface HttpListener {
  readonly server: Server;
  /** The port it listens on (useful with port 0). */
  readonly port: number;
  /** Stops accepting and resolves once the server is closed. */
  close(): Promise<void>;
}

/**
 * Starts `server` listening on `host:port` (every interface without a host) and resolves once
 * it listens; rejects when it cannot (the port is taken, say). For a server created ahead of
 * listening, e.g. one Socket.IO attaches to first.
 */
export function listen(server: Server, options: { port: number; host?: string }): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ port: options.port, host: options.host }, () => {
      server.off('error', reject);
      resolve();
    });
  });
}

/**
 * Serves `handler` on `host:port` (every interface without a host); resolves once listening.
 * On close, keep-alive connections are closed when idle, or all at once with `dropConnections`
 * (probe and ops servers, whose requests are short and never worth waiting for).
 */
export async function listenHttp(
  handler: RequestListener,
  options: { port: number; host?: string; dropConnections?: boolean },
): Promise<HttpListener> {
  const server = createServer(handler);
  await listen(server, options);
  let closing: Promise<void> | undefined;
  return {
    server,
    port: (server.address() as AddressInfo).port,
    close() {
      closing ??= new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        if (options.dropConnections) server.closeAllConnections();
        else server.closeIdleConnections();
      });
      return closing;
    },
  };
}
