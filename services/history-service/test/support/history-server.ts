import { randomUUID } from 'node:crypto';
import { chatTopology, connectBroker, type Broker } from '@chat/broker';
import { loadConfig } from '@chat/config';
import { canonicalConversationId, topologyNames } from '@chat/contracts';
import { createDb, createMessageStore, type Db, type StoredMessage } from '@chat/db';
import {
  createLogger,
  createMetricsRegistry,
  listenHttp,
  startOpsServer,
  type Logger,
} from '@chat/observability';
import { createCloser } from '@chat/runtime';
import { createRedis, type RedisClient } from '@chat/redis';
import { TEST_JWT_SECRET, mintToken, testNamespace, testServiceUrls } from '@chat/testing';
import { createHistoryApp, startHistoryService } from '../../src/app';
import { historyServiceEnv, type HistoryServiceConfig } from '../../src/config';
import { createHistoryReadiness } from '../../src/entry-points/http/health-routes';

export { newUserId } from '@chat/testing';

export const testLogger = createLogger({
  service: 'test',
  level: (process.env.TEST_LOG_LEVEL as 'silent') ?? 'silent',
});

export interface HistoryTestServer {
  readonly baseUrl: string;
  /** The ops server's base URL (OPS_PORT in main.ts): /metrics, detailed /readyz. */
  readonly opsUrl: string;
  readonly namespace: string;
  readonly config: HistoryServiceConfig;
  readonly db: Db;
  readonly redis: RedisClient;
  readonly broker: Broker;
  close(): Promise<void>;
}

export interface HistoryTestServerOptions {
  label?: string;
  /** Environment over the test defaults (namespace, URLs, JWT secret). */
  env?: Record<string, string>;
  /** Use these instead of opening (and later closing) connections of its own. */
  db?: Db;
  redis?: RedisClient;
  namespace?: string;
  /**
   * true (default): the whole service, outbox relay included, with a broker connection.
   * false: only the app, as if the process died after each commit (outbox rows stay pending).
   */
  relay?: boolean;
  /** Default: silent (TEST_LOG_LEVEL to see it). */
  logger?: Logger;
  /** Declare the chat topology (default true); false leaves the exchanges missing. */
  topology?: boolean;
}

/**
 * history-service on port 0 against the real PostgreSQL, Redis and RabbitMQ, under a namespace
 * of its own. Its topology is declared even without a relay, so any relay in the run (they share
 * the outbox table) can publish the rows its requests leave.
 */
export async function startHistoryTestServer(
  options: HistoryTestServerOptions = {},
): Promise<HistoryTestServer> {
  const namespace = options.namespace ?? testNamespace(options.label ?? 'hist');
  const urls = testServiceUrls();
  const config = loadConfig(historyServiceEnv, {
    CHAT_NAMESPACE: namespace,
    DATABASE_URL: urls.databaseUrl,
    REDIS_URL: urls.redisUrl,
    RABBITMQ_URL: urls.rabbitmqUrl,
    JWT_SECRET: TEST_JWT_SECRET,
    CHAT_PARTITIONS: '4',
    OUTBOX_POLL_INTERVAL_MS: '200',
    ...options.env,
  });
  const logger = options.logger ?? testLogger;
  const closer = createCloser();
  try {
    const db =
      options.db ?? closer.add(createDb({ url: config.databaseUrl, poolMax: 6 }, testLogger));
    const redis =
      options.redis ??
      closer.add(
        createRedis(
          { url: config.redisUrl, keyPrefix: topologyNames(namespace).redisKeyPrefix },
          testLogger,
        ),
      );
    const broker = closer.add(
      await connectBroker(
        {
          url: config.rabbitmqUrl,
          connectionName: `test:history:${namespace}`,
          publishTimeoutMs: 5000,
        },
        testLogger,
      ),
    );
    const metrics = createMetricsRegistry('history-service', { defaultMetrics: false });
    let app: ReturnType<typeof createHistoryApp>;
    if (options.relay ?? true) {
      app = closer.add(
        await startHistoryService({ config, logger, db, redis, broker, metrics }),
      ).app;
    } else {
      if (options.topology ?? true) {
        await broker.addTopology(chatTopology(topologyNames(namespace), config.partitions));
      }
      app = createHistoryApp({ config, logger, db, redis, metrics });
    }
    const server = closer.add(await listenHttp(app, { port: 0, host: '127.0.0.1' }));
    const readiness = createHistoryReadiness({ db, redis });
    const ops = closer.add(
      await startOpsServer({ host: '127.0.0.1', port: 0, readiness, metrics, logger }),
    );
    return {
      baseUrl: `http://127.0.0.1:${server.port}`,
      opsUrl: `http://127.0.0.1:${ops.port}`,
      namespace,
      config,
      db,
      redis,
      broker,
      close: () => closer.close(),
    };
  } catch (error) {
    await closer.close();
    throw error;
  }
}

export interface ApiResponse<T = unknown> {
  status: number;
  headers: Headers;
  /** The parsed JSON body, or undefined when the body is not JSON. */
  body: T;
  text: string;
}

export interface RequestOptions {
  /** Sends a fresh token for this user. */
  as?: string;
  /** Sends this Authorization header value as is (wins over `as`). */
  authorization?: string;
  method?: string;
  body?: string;
  headers?: Record<string, string>;
}

/** One HTTP request with the global fetch; never throws on an error status. */
export async function request<T = unknown>(
  baseUrl: string,
  path: string,
  options: RequestOptions = {},
): Promise<ApiResponse<T>> {
  const headers: Record<string, string> = { ...options.headers };
  if (options.authorization !== undefined) headers.authorization = options.authorization;
  else if (options.as !== undefined) headers.authorization = `Bearer ${mintToken(options.as)}`;
  const response = await fetch(`${baseUrl}${path}`, {
    method: options.method ?? 'GET',
    headers,
    body: options.body,
  });
  const text = await response.text();
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    body = undefined;
  }
  return { status: response.status, headers: response.headers, body: body as T, text };
}

/** Stores messages from `from` to `to` directly, as message-service would; oldest first. */
export async function storeMessages(
  db: Db,
  from: string,
  to: string,
  bodies: readonly string[],
): Promise<StoredMessage[]> {
  const store = createMessageStore(db.knex);
  const stored: StoredMessage[] = [];
  for (const body of bodies) {
    const { message } = await store.storeMessage({
      conversationId: canonicalConversationId(from, to),
      senderId: from,
      receiverId: to,
      body,
      clientMessageId: randomUUID(),
    });
    stored.push(message);
  }
  return stored;
}

/** `count` numbered messages ("m1", "m2", …). */
export const numbered = (count: number, prefix = 'm') =>
  Array.from({ length: count }, (_, i) => `${prefix}${i + 1}`);

/** The target of a response's Link rel="next", or undefined on the last page. */
export function nextPageOf(response: ApiResponse): string | undefined {
  const match = /^<([^>]*)>; rel="next"$/.exec(response.headers.get('link') ?? '');
  return match?.[1];
}
