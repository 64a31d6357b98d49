import net from 'node:net';

export interface TcpProxy {
  /** Port on 127.0.0.1 that forwards to the target. */
  readonly port: number;
  /** Destroys every open connection, as a network failure would; new connections still work. */
  severConnections(): void;
  /** Severs every connection and refuses new ones for `ms`, as an outage would. */
  cutFor(ms: number): void;
  close(): Promise<void>;
}

/**
 * A loopback TCP proxy for fault injection: point a client at it, then cut its connections to
 * see the client recover, without touching the server or anyone else's connections.
 */
export async function createTcpProxy(targetHost: string, targetPort: number): Promise<TcpProxy> {
  const sockets = new Set<net.Socket>();
  const track = (socket: net.Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => socket.destroy());
  };
  let refuseUntil = 0;
  const server = net.createServer((client) => {
    if (Date.now() < refuseUntil) {
      client.destroy();
      return;
    }
    const upstream = net.connect(targetPort, targetHost);
    track(client);
    track(upstream);
    client.pipe(upstream).pipe(client);
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  return {
    port,
    severConnections() {
      for (const socket of sockets) socket.destroy();
    },
    cutFor(ms) {
      refuseUntil = Date.now() + ms;
      for (const socket of sockets) socket.destroy();
    },
    close() {
      for (const socket of sockets) socket.destroy();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}
