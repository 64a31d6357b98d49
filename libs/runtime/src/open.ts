import { connectBroker, type Broker } from '@chat/broker';
import { topologyNames } from '@chat/contracts';
import { createDb, type Db } from '@chat/db';
import type { Logger } from '@chat/observability';
import { createRedis, type RedisClient } from '@chat/redis';
import type { Closer } from './closer';

/** A PostgreSQL pool that answered a ping; registered for closing. */
export async function openDb(
  closer: Closer,
  config: { databaseUrl: string; databasePoolMax: number; databaseStatementTimeoutMs: number },
  logger: Logger,
): Promise<Db> {
  const db = closer.add(
    createDb(
      {
        url: config.databaseUrl,
        poolMax: config.databasePoolMax,
        statementTimeoutMs: config.databaseStatementTimeoutMs,
      },
      logger,
    ),
  );
  await db.ping();
  return db;
}

/** A Redis client under the namespace's key prefix that answered a ping; registered for closing. */
export async function openRedis(
  closer: Closer,
  config: { redisUrl: string; namespace?: string },
  logger: Logger,
): Promise<RedisClient> {
  const redis = closer.add(
    createRedis(
      { url: config.redisUrl, keyPrefix: topologyNames(config.namespace).redisKeyPrefix },
      logger,
    ),
  );
  await redis.ping();
  return redis;
}

/** A connected broker named `connectionName` in RabbitMQ's connection list; registered for closing. */
export async function openBroker(
  closer: Closer,
  config: { rabbitmqUrl: string },
  connectionName: string,
  logger: Logger,
): Promise<Broker> {
  return closer.add(await connectBroker({ url: config.rabbitmqUrl, connectionName }, logger));
}
