import { randomBytes } from 'node:crypto';
import { topologyNames } from '@chat/contracts';
import type { Logger } from '@chat/observability';
import { createRedis, type RedisClient } from '@chat/redis';
import {
  deleteRabbitObjectsWithPrefix,
  LOCAL_SERVICE_URLS,
  TEST_JWT_SECRET,
  withDatabase,
} from '@chat/testing';
import { loadHistoryServiceConfig } from '../services/history-service/src/config';
import { loadMessageServiceConfig } from '../services/message-service/src/config';
import { loadSocketEdgeConfig } from '../services/socket-edge/src/config';
import { deleteRedisKeys, dropDatabase, type Cleanup } from './cleanup';

/**
 * One bench run's own corner of the servers (database `chat_bench_<random>`, namespace
 * `bench-<random>`) and the environment the services run with in it, whether they run in the
 * bench's process or as a cluster of child processes: both profiles measure the same settings.
 */
export interface BenchRun {
  readonly namespace: string;
  readonly database: string;
  /** The PostgreSQL server without a database, and the run's database on it. */
  readonly serverUrl: string;
  readonly databaseUrl: string;
  readonly redisUrl: string;
  readonly rabbitmqUrl: string;
  /** Every service's environment: ours on top of the caller's. */
  readonly env: NodeJS.ProcessEnv;
  readonly configs: {
    edge: ReturnType<typeof loadSocketEdgeConfig>;
    message: ReturnType<typeof loadMessageServiceConfig>;
    history: ReturnType<typeof loadHistoryServiceConfig>;
  };
  /** The settings that shape the numbers, for the report. */
  readonly settings: Record<string, string | number>;
}

/**
 * Picks the run's names, builds the services' environment (rate limits out of the way, the
 * test JWT secret) and registers the removal of everything the run creates under its names:
 * RabbitMQ objects, Redis keys, the database. Registered first, so they run last, after every
 * connection and process is gone.
 */
export function prepareBenchRun(options: { offlineQueueCap: number }, cleanup: Cleanup): BenchRun {
  const random = randomBytes(4).toString('hex');
  const namespace = `bench-${random}`;
  const database = `chat_bench_${random}`;
  const serverUrl = process.env.DATABASE_URL || LOCAL_SERVICE_URLS.databaseUrl;
  const databaseUrl = withDatabase(serverUrl, database);
  const redisUrl = process.env.REDIS_URL || LOCAL_SERVICE_URLS.redisUrl;
  const rabbitmqUrl = process.env.RABBITMQ_URL || LOCAL_SERVICE_URLS.rabbitmqUrl;
  const env: NodeJS.ProcessEnv = {
    // Tuning variables (CHAT_PARTITIONS, COMMAND_PREFETCH, DATABASE_POOL_MAX, …) pass through.
    ...process.env,
    CHAT_NAMESPACE: namespace,
    DATABASE_URL: databaseUrl,
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
  const edge = loadSocketEdgeConfig(env);
  const message = loadMessageServiceConfig(env);
  const history = loadHistoryServiceConfig(env);

  cleanup.defer('RabbitMQ queues and exchanges', () =>
    deleteRabbitObjectsWithPrefix(rabbitmqUrl, `${namespace}.`),
  );
  cleanup.defer('Redis keys', () => deleteRedisKeys(redisUrl, `${namespace}:`));
  cleanup.defer(`database ${database}`, () => dropDatabase(serverUrl, database));

  return {
    namespace,
    database,
    serverUrl,
    databaseUrl,
    redisUrl,
    rabbitmqUrl,
    env,
    configs: { edge, message, history },
    settings: {
      CHAT_PARTITIONS: message.partitions,
      COMMAND_PREFETCH: message.commandPrefetch,
      DATABASE_POOL_MAX: history.databasePoolMax,
      OFFLINE_QUEUE_CAP: edge.offlineQueueCap,
      SEND_RATE_LIMIT: `${edge.sendRateLimit}/${edge.sendRateWindowSec}s`,
      SEND_ACK_TIMEOUT_MS: edge.sendAckTimeoutMs,
      HISTORY_RATE_LIMIT: `${history.rateLimit}/${history.rateWindowSec}s`,
    },
  };
}

/** A Redis client under the run's key prefix, as the services use it; closed at clean-up. */
export async function openRunRedis(
  run: BenchRun,
  logger: Logger,
  cleanup: Cleanup,
): Promise<RedisClient> {
  const redis = createRedis(
    { url: run.redisUrl, keyPrefix: topologyNames(run.namespace).redisKeyPrefix },
    logger,
  );
  cleanup.defer('Redis client', () => redis.close());
  await redis.ping();
  return redis;
}
