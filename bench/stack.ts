import { randomBytes } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { connectBroker, type Broker } from '@chat/broker';
import { topologyNames } from '@chat/contracts';
import { createDb, ensureDatabaseExists, migrateLatest, type Db } from '@chat/db';
import type { Logger } from '@chat/observability';
import { createRedis, type RedisClient } from '@chat/redis';
import {
  deleteRabbitObjectsWithPrefix,
  LOCAL_SERVICE_URLS,
  TEST_JWT_SECRET,
  withDatabase,
} from '@chat/testing';
import { startHistoryService } from '../services/history-service/src/app';
import { loadHistoryServiceConfig } from '../services/history-service/src/config';
import { startMessageService } from '../services/message-service/src/app';
import { loadMessageServiceConfig } from '../services/message-service/src/config';
import { startSocketEdge, type SocketEdge } from '../services/socket-edge/src/app';
import { loadSocketEdgeConfig } from '../services/socket-edge/src/config';
import { deleteRedisKeys, dropDatabase, type Cleanup } from './cleanup';

export interface BenchStack {
  readonly namespace: string;
  readonly database: string;
  /** http://127.0.0.1:<port>: Socket.IO at /socket.io, REST at /chat, as `npm start` serves them. */
  readonly baseUrl: string;
  readonly db: Db;
  /** Under the namespace's key prefix, as the services use it. */
  readonly redis: RedisClient;
  readonly edge: SocketEdge;
  /** How long a send-message waits for its outcome before the edge answers TIMEOUT. */
  readonly sendAckTimeoutMs: number;
  /** The settings that shape the numbers, for the report. */
  readonly settings: Record<string, string | number>;
}

/**
 * The real system in this process, the way `npm start` composes it (one PostgreSQL pool, one
 * broker connection per service, history app and Socket.IO on one HTTP server), but on port 0,
 * in a database and a namespace of its own, with rate limits out of the way. Every resource is
 * registered with `cleanup` as soon as it exists.
 */
export async function startBenchStack(
  options: { offlineQueueCap: number; logger: Logger },
  cleanup: Cleanup,
): Promise<BenchStack> {
  const { logger } = options;
  const random = randomBytes(4).toString('hex');
  const namespace = `bench-${random}`;
  const database = `chat_bench_${random}`;
  const serverUrl = process.env.DATABASE_URL || LOCAL_SERVICE_URLS.databaseUrl;
  const redisUrl = process.env.REDIS_URL || LOCAL_SERVICE_URLS.redisUrl;
  const rabbitmqUrl = process.env.RABBITMQ_URL || LOCAL_SERVICE_URLS.rabbitmqUrl;
  const env: NodeJS.ProcessEnv = {
    // Tuning variables (CHAT_PARTITIONS, COMMAND_PREFETCH, DATABASE_POOL_MAX, …) pass through.
    ...process.env,
    CHAT_NAMESPACE: namespace,
    DATABASE_URL: withDatabase(serverUrl, database),
    REDIS_URL: redisUrl,
    RABBITMQ_URL: rabbitmqUrl,
    JWT_SECRET: TEST_JWT_SECRET,
    JWT_PUBLIC_KEY: undefined,
    JWT_ISSUER: undefined,
    JWT_AUDIENCE: undefined,
    BOOKING_EVENTS_EXCHANGE: `${namespace}.tutorgo.events`,
    BOOKING_SERVICE_URL: undefined,
    EDGE_NODE_ID: `${namespace}-edge`,
    // Per user and second, the most the edge accepts: the sweep's 8000 msg/s over 50 pairs is
    // 160 per sender, its overload step 3 × that; one pair at 10000/s would meet the limit.
    SEND_RATE_LIMIT: '10000',
    SEND_RATE_WINDOW_SEC: '1',
    HISTORY_RATE_LIMIT: '100000',
    // The idle scenario connects 10,000 sockets from 127.0.0.1 twice within a minute or two.
    CONNECT_RATE_LIMIT_PER_IP: '1000000',
    // --inflight allows up to 1000 sends in flight per sender socket (default 10).
    SOCKET_MAX_PENDING_SENDS: '1000',
    HISTORY_RATE_WINDOW_SEC: '1',
    OFFLINE_QUEUE_CAP: String(options.offlineQueueCap),
  };
  const edgeConfig = loadSocketEdgeConfig(env);
  const messageConfig = loadMessageServiceConfig(env);
  const historyConfig = loadHistoryServiceConfig(env);

  // Registered first, so they run last: after every connection is closed.
  cleanup.defer('RabbitMQ queues and exchanges', () =>
    deleteRabbitObjectsWithPrefix(rabbitmqUrl, `${namespace}.`),
  );
  cleanup.defer('Redis keys', () => deleteRedisKeys(redisUrl, `${namespace}:`));
  await ensureDatabaseExists(env.DATABASE_URL!);
  cleanup.defer(`database ${database}`, () => dropDatabase(serverUrl, database));

  const db = createDb({ url: env.DATABASE_URL!, poolMax: historyConfig.databasePoolMax }, logger);
  cleanup.defer('PostgreSQL pool', () => db.close());
  await migrateLatest(db.knex);
  const redis = createRedis(
    { url: redisUrl, keyPrefix: topologyNames(namespace).redisKeyPrefix },
    logger,
  );
  cleanup.defer('Redis client', () => redis.close());
  await redis.ping();
  const openBroker = async (name: string): Promise<Broker> => {
    const broker = await connectBroker(
      { url: rabbitmqUrl, connectionName: `bench:${name}` },
      logger,
    );
    cleanup.defer(`broker ${name}`, () => broker.close());
    return broker;
  };
  const messageBroker = await openBroker('message-service');
  const historyBroker = await openBroker('history-service');
  const edgeBroker = await openBroker('socket-edge');

  const messages = await startMessageService({
    config: messageConfig,
    logger,
    db,
    broker: messageBroker,
  });
  cleanup.defer('message-service', () => messages.close());
  const history = await startHistoryService({
    config: historyConfig,
    logger,
    db,
    redis,
    broker: historyBroker,
  });
  cleanup.defer('history-service', () => history.close());
  const httpServer = createServer(history.app);
  cleanup.defer('HTTP server', async () => {
    httpServer.closeAllConnections();
    if (httpServer.listening) await new Promise((resolve) => httpServer.close(resolve));
  });
  const edge = await startSocketEdge({
    config: edgeConfig,
    logger,
    httpServer,
    db,
    redis,
    broker: edgeBroker,
  });
  cleanup.defer('socket-edge', () => edge.close());
  await new Promise<void>((resolve, reject) => {
    httpServer.once('error', reject);
    httpServer.listen(0, '127.0.0.1', resolve);
  });
  const { port } = httpServer.address() as AddressInfo;

  return {
    namespace,
    database,
    baseUrl: `http://127.0.0.1:${port}`,
    db,
    redis,
    edge,
    sendAckTimeoutMs: edgeConfig.sendAckTimeoutMs,
    settings: {
      CHAT_PARTITIONS: messageConfig.partitions,
      COMMAND_PREFETCH: messageConfig.commandPrefetch,
      DATABASE_POOL_MAX: historyConfig.databasePoolMax,
      OFFLINE_QUEUE_CAP: edgeConfig.offlineQueueCap,
      SEND_RATE_LIMIT: `${edgeConfig.sendRateLimit}/${edgeConfig.sendRateWindowSec}s`,
      SEND_ACK_TIMEOUT_MS: edgeConfig.sendAckTimeoutMs,
      HISTORY_RATE_LIMIT: `${historyConfig.rateLimit}/${historyConfig.rateWindowSec}s`,
    },
  };
}
