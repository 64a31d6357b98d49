import { io, type ManagerOptions, type Socket, type SocketOptions } from 'socket.io-client';
import { ChatClientError, toClientError } from './errors';
import type { ClientEvents, ServerEvents } from './protocol-additions';
import { backoffDelay, type BackoffOptions } from './retry-policy';
import type { TokenSource } from './token-source';

export type ChatSocket = Socket<ServerEvents, ClientEvents>;

/** Options passed on to socket.io-client's `io()` (transports, path, …); `auth` is the client's own. */
export type SocketClientOptions = Partial<
  Omit<ManagerOptions & SocketOptions, 'auth' | 'autoConnect'>
>;

export interface ConnectionOptions {
  url: string;
  tokens: TokenSource;
  socketOptions?: SocketClientOptions;
  /** Backoff of the reconnects the client makes itself; default 1 s doubling to 30 s. */
  reconnect?: BackoffOptions;
  /** How long the `auth` answer may take; default 10 000 ms. */
  authTimeoutMs?: number;
  /** A refused handshake, a failed getToken or a refused `auth`. */
  onError(error: ChatClientError): void;
  /** A connection attempt starts. */
  onConnecting(): void;
}

export interface Connection {
  readonly socket: ChatSocket;
  open(): void;
  close(): void;
}

/**
 * The Socket.IO connection and its token. Every handshake asks getToken for a fresh token
 * (socket.io-client calls the `auth` function on each attempt). socket.io-client reconnects
 * by itself after a lost transport, but not when the server refused the handshake or closed
 * the socket (an expired token, a shutdown): then this reconnects, after a backoff, or after
 * the `retryAfterSec` a RATE_LIMITED refusal names. `token-expiring` is answered with `auth`
 * and a fresh token, so the socket outlives its first token; a refused `auth` reconnects at
 * once, with another fresh token, rather than wait for the old one to run out.
 */
export function createConnection(options: ConnectionOptions): Connection {
  const backoff = { baseMs: 1000, maxMs: 30_000, ...options.reconnect };
  let closed = false;
  let failures = 0;
  let timer: ReturnType<typeof setTimeout> | undefined;

  const socket: ChatSocket = io(options.url, {
    ...options.socketOptions,
    autoConnect: false,
    auth: (send) => {
      options.tokens.fresh().then(
        (token) => send({ token }),
        (error: unknown) => {
          // The handshake cannot go on without a token: drop this attempt, try again later.
          options.onError(asClientError(error));
          socket.disconnect();
          reconnectLater();
        },
      );
    },
  });

  const reconnectLater = (delayMs = backoffDelay(++failures, backoff)) => {
    if (closed) return;
    clearTimeout(timer);
    timer = setTimeout(() => {
      timer = undefined;
      if (closed || socket.connected || socket.active) return;
      options.onConnecting();
      socket.connect();
    }, delayMs);
  };

  socket.on('connect', () => {
    failures = 0;
  });
  socket.io.on('reconnect_attempt', () => options.onConnecting());
  socket.on(
    'connect_error',
    (error: Error & { data?: { code?: string; retryAfterSec?: number } }) => {
      // Still active: a transport failure, which socket.io-client retries by itself.
      if (closed || socket.active) return;
      const code = error.data?.code ?? 'UNAVAILABLE';
      options.onError(new ChatClientError(code, error.message));
      const retryAfterSec = error.data?.retryAfterSec;
      reconnectLater(retryAfterSec ? retryAfterSec * 1000 : undefined);
    },
  );
  socket.on('disconnect', (reason) => {
    if (!closed && reason === 'io server disconnect') reconnectLater();
  });
  socket.on('token-expiring', () => {
    options.tokens.fresh().then(
      (token) =>
        socket.timeout(options.authTimeoutMs ?? 10_000).emit('auth', { token }, (error, ack) => {
          if (error || closed || ack?.ok) return;
          options.onError(
            toClientError(ack?.error, 'The fresh token was refused', { event: 'auth' }),
          );
          // The old token ends soon anyway: connect again now, with another fresh token.
          socket.disconnect();
          reconnectLater();
        }),
      (error: unknown) => options.onError(asClientError(error)),
    );
  });

  return {
    socket,
    open() {
      if (closed || socket.connected || socket.active) return;
      options.onConnecting();
      socket.connect();
    },
    close() {
      closed = true;
      clearTimeout(timer);
      socket.disconnect();
    },
  };
}

function asClientError(error: unknown): ChatClientError {
  return error instanceof ChatClientError
    ? error
    : new ChatClientError('TOKEN_UNAVAILABLE', 'getToken failed', { cause: error });
}
