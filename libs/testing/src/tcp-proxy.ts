import net from 'node:net';

/**
 * How a cut looks to the client:
 * - `reset`: the server is down: open connections are destroyed, new ones are accepted and
 *   closed at once (the client sees a reset or an end of stream, fast).
 * - `blackhole`: the network is partitioned: open connections stay open but carry nothing in
 *   either direction, and new ones are accepted but never reach the server, so the client only
 *   learns of the fault through its own timeouts. At heal, every connection the blackhole held
 *   is destroyed (what it swallowed cannot be replayed).
 */
export type CutMode = 'reset' | 'blackhole';

export interface TcpProxyStats {
  /** Connections forwarded to the target since the proxy started. */
  forwarded: number;
  /** Connections closed at once because a `reset` cut was on. */
  refused: number;
  /** Connections a `blackhole` cut swallowed (open ones it froze and new ones it held). */
  swallowed: number;
  /** Connections open now, forwarded or held. */
  open: number;
}

export interface TcpProxy {
  /** Port on 127.0.0.1 that forwards to the target. */
  readonly port: number;
  /** Destroys every open connection, as a network failure would; new connections still work. */
  severConnections(): void;
  /** Severs every connection and refuses new ones for `ms`, as an outage would (a `reset` cut healed after `ms`). */
  cutFor(ms: number, mode?: CutMode): void;
  /** Starts a cut that lasts until `heal()`; default mode `reset`. */
  cut(mode?: CutMode): void;
  /** Ends the cut: new connections reach the target again. */
  heal(): void;
  /** The mode of the cut in force, or undefined. */
  readonly cutMode: CutMode | undefined;
  readonly stats: Readonly<TcpProxyStats>;
  close(): Promise<void>;
}

interface Link {
  client: net.Socket;
  upstream?: net.Socket;
  frozen: boolean;
}

const discard = () => undefined;

/**
 * A loopback TCP proxy for fault injection: point a client at it, then cut its connections to
 * see the client recover, without touching the server or anyone else's connections.
 */
export async function createTcpProxy(targetHost: string, targetPort: number): Promise<TcpProxy> {
  const links = new Set<Link>();
  const stats: TcpProxyStats = { forwarded: 0, refused: 0, swallowed: 0, open: 0 };
  let mode: CutMode | undefined;
  let healTimer: NodeJS.Timeout | undefined;

  const destroy = (link: Link) => {
    link.client.destroy();
    link.upstream?.destroy();
  };
  const freeze = (link: Link) => {
    if (link.frozen) return;
    link.frozen = true;
    stats.swallowed++;
    link.client.unpipe();
    link.upstream?.unpipe();
    // A 'data' listener keeps each side flowing, so what it sends is read and dropped.
    link.client.on('data', discard);
    link.upstream?.on('data', discard);
  };
  const track = (link: Link, socket: net.Socket) => {
    socket.on('error', () => destroy(link));
    socket.on('close', () => {
      destroy(link);
      if (links.delete(link)) stats.open--;
    });
  };

  const server = net.createServer((client) => {
    if (mode === 'reset') {
      stats.refused++;
      client.destroy();
      return;
    }
    const link: Link = { client, frozen: false };
    links.add(link);
    stats.open++;
    track(link, client);
    if (mode === 'blackhole') {
      freeze(link);
      return;
    }
    const upstream = net.connect(targetPort, targetHost);
    link.upstream = upstream;
    track(link, upstream);
    stats.forwarded++;
    client.pipe(upstream).pipe(client);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;

  const startCut = (cutMode: CutMode) => {
    clearTimeout(healTimer);
    mode = cutMode;
    for (const link of links) {
      if (cutMode === 'reset') destroy(link);
      else freeze(link);
    }
  };
  const heal = () => {
    clearTimeout(healTimer);
    healTimer = undefined;
    mode = undefined;
    for (const link of links) if (link.frozen) destroy(link);
  };

  return {
    port,
    severConnections() {
      for (const link of links) destroy(link);
    },
    cutFor(ms, cutMode = 'reset') {
      startCut(cutMode);
      healTimer = setTimeout(heal, ms);
    },
    cut(cutMode = 'reset') {
      startCut(cutMode);
    },
    heal,
    get cutMode() {
      return mode;
    },
    get stats() {
      return { ...stats };
    },
    close() {
      clearTimeout(healTimer);
      for (const link of links) destroy(link);
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}
