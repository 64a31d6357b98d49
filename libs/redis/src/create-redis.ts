import { Redis } from 'ioredis';
import { coalesceWrites } from '@chat/net';
import type { Logger } from '@chat/observability';

export type { Redis };

export interface RedisConfig {
  /** redis:// URL; a path /N selects database N (ioredis reads it from the URL). */
  url: string;
  /** Prepended to every key this client touches, e.g. "staging:chat:". */
  keyPrefix: string;
  /** Fail commands after this many reconnect attempts instead of queueing forever; default 3. */
  maxRetriesPerRequest?: number;
}

export interface RedisClient {
  /**
   * The ioredis connection, for the Redis adapters that define scripts or read lists on it
   * (rate limits here, the edge's presence and offline queue); the rest take the RedisClient.
   */
  readonly redis: Redis;
  readonly keyPrefix: string;
  ping(): Promise<void>;
  close(): Promise<void>;
}

export function createRedis(config: RedisConfig, logger: Logger): RedisClient {
  const log = logger.child({ module: 'redis' });
  const redis = new Redis(config.url, {
    keyPrefix: config.keyPrefix,
    maxRetriesPerRequest: config.maxRetriesPerRequest ?? 3,
    lazyConnect: true,
    // At most a second between attempts: a heal is noticed within a second, not five.
    retryStrategy: (attempt) => Math.min(100 * 2 ** attempt, 1000),
  });
  redis.on('error', (error) => log.error({ err: error }, 'redis error'));
  // Each reconnect opens a new socket; commands of one turn leave in one write.
  redis.on('connect', () => coalesceWrites(redis.stream));
  redis.on('reconnecting', (delay: number) => log.warn({ delay }, 'redis reconnecting'));
  let closing: Promise<void> | undefined;
  return {
    redis,
    keyPrefix: config.keyPrefix,
    async ping() {
      try {
        if (redis.status === 'wait') await redis.connect();
        await redis.ping();
      } catch (error) {
        const url = new URL(config.url);
        throw new Error(
          `Redis is not reachable at ${url.hostname}:${url.port || 6379}${url.pathname}: ${(error as Error).message}`,
          { cause: error },
        );
      }
    },
    close() {
      closing ??= redis.quit().then(
        () => undefined,
        () => redis.disconnect(),
      );
      return closing;
    },
  };
}
