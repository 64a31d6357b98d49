import { createChatClient, type ChatClient, type ChatClientOptions } from '@chat/chat-client';
import { createTcpProxy, eventually as pollUntil, mintToken, type TcpProxy } from '@chat/testing';
import {
  startHistoryTestServer,
  type HistoryTestServer,
} from '../../services/history-service/test/support/history-server';

export {
  numbered,
  storeMessages,
} from '../../services/history-service/test/support/history-server';
import { startChatStack, type ChatStack, type ChatStackOptions } from './chat-stack';

export { bookedPair, confirmBooking } from '@chat/testing';
export { newUserId } from '@chat/testing';

/**
 * The real system for the client's tests: message-service and a socket-edge (startChatStack)
 * with history-service on the same database, Redis and namespace, as `npm start` runs them.
 * Clients made here are closed by `close()`.
 */
export interface ChatSystem {
  readonly stack: ChatStack;
  readonly history: HistoryTestServer;
  /** A connected client of `userId` (resolves at its first `online`), with fresh test tokens. */
  client(userId: string, options?: ClientOptions): Promise<TestClient>;
  close(): Promise<void>;
}

export interface ClientOptions extends Partial<ChatClientOptions> {
  /** Route the socket through a TCP proxy whose connections the test can cut. */
  viaProxy?: boolean;
  /** Lifetime of each token getToken hands out; default '1h'. */
  tokenLifetime?: string | number;
  /** Resolve without waiting to be online. */
  noWait?: boolean;
}

export interface TestClient {
  readonly client: ChatClient;
  /** The proxy the socket goes through, with viaProxy. */
  readonly proxy: TcpProxy | undefined;
  /** How many tokens getToken handed out. */
  readonly tokensIssued: number;
}

export async function startChatSystem(
  label: string,
  options: ChatStackOptions = {},
): Promise<ChatSystem> {
  const stack = await startChatStack({ label, ...options });
  const history = await startHistoryTestServer({
    namespace: stack.namespace,
    db: stack.db,
    redis: stack.redis,
  });
  const clients: ChatClient[] = [];
  const proxies: TcpProxy[] = [];
  const edge = new URL(stack.edgeUrls[0]!);

  return {
    stack,
    history,
    async client(userId, { viaProxy, tokenLifetime, noWait, ...overrides } = {}) {
      const proxy = viaProxy ? await createTcpProxy(edge.hostname, Number(edge.port)) : undefined;
      if (proxy) proxies.push(proxy);
      let issued = 0;
      const client = createChatClient({
        url: proxy ? `http://127.0.0.1:${proxy.port}` : stack.edgeUrls[0]!,
        historyUrl: history.baseUrl,
        getToken: () => {
          issued++;
          return mintToken(userId, { expiresIn: tokenLifetime ?? '1h' });
        },
        socketOptions: {
          transports: ['websocket'],
          reconnectionDelay: 100,
          reconnectionDelayMax: 500,
        },
        reconnect: { baseMs: 100, maxMs: 1000 },
        gapFillDelayMs: 100,
        ...overrides,
      });
      clients.push(client);
      if (!noWait) await untilState(client, 'online');
      return {
        client,
        proxy,
        get tokensIssued() {
          return issued;
        },
      };
    },
    async close() {
      await Promise.all(clients.map((client) => client.close()));
      await Promise.all(proxies.map((proxy) => proxy.close()));
      await history.close();
      await stack.close();
    },
  };
}

/** Resolves when the client is in `state` (at once if it is), or rejects after `timeoutMs`. */
export function untilState(
  client: ChatClient,
  state: ChatClient['state'],
  timeoutMs = 10_000,
): Promise<void> {
  if (client.state === state) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      off();
      reject(new Error(`expected the client to become ${state}; it is ${client.state}`));
    }, timeoutMs);
    const off = client.on('connection', (next) => {
      if (next !== state) return;
      clearTimeout(timer);
      off();
      resolve();
    });
  });
}

/** libs/testing's `eventually` with what it waits for first, as the client's tests read. */
export const eventually = (
  what: string,
  check: () => boolean | Promise<boolean>,
  timeoutMs = 10_000,
): Promise<void> => pollUntil(check, timeoutMs, what);
