import knexFactory from 'knex';
import { Redis } from 'ioredis';
import { deleteKeysWithPrefix } from '@chat/redis';

/**
 * Everything the bench created, undone last first, each step once and bounded in time, so
 * that a failure or Ctrl-C half way still leaves no database, queue or Redis key behind.
 */
export interface Cleanup {
  defer(name: string, step: () => Promise<unknown>): void;
  /** Runs the deferred steps; resolves with the ones that failed (never rejects). */
  run(): Promise<string[]>;
}

export function createCleanup(stepTimeoutMs = 15_000): Cleanup {
  const steps: { name: string; step: () => Promise<unknown> }[] = [];
  let running: Promise<string[]> | undefined;
  return {
    defer(name, step) {
      steps.push({ name, step });
    },
    run() {
      running ??= (async () => {
        const failed: string[] = [];
        while (steps.length > 0) {
          const { name, step } = steps.pop()!;
          try {
            await withTimeout(step(), stepTimeoutMs, name);
          } catch (error) {
            failed.push(`${name}: ${(error as Error).message}`);
          }
        }
        return failed;
      })();
      return running;
    },
  };
}

function withTimeout<T>(promise: Promise<T>, ms: number, name: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${name} did not finish in ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** Drops the database, disconnecting whoever is still in it. */
export async function dropDatabase(serverUrl: string, database: string): Promise<void> {
  const admin = knexFactory({ client: 'pg', connection: serverUrl, pool: { min: 0, max: 1 } });
  try {
    await admin.raw('drop database if exists ?? with (force)', [database]);
  } finally {
    await admin.destroy();
  }
}

/** UNLINKs every key starting with `prefix` (SCAN, so Redis is never blocked). */
export async function deleteRedisKeys(redisUrl: string, prefix: string): Promise<number> {
  const redis = new Redis(redisUrl, { lazyConnect: true, maxRetriesPerRequest: 1 });
  redis.on('error', () => undefined);
  try {
    await redis.connect();
    return await deleteKeysWithPrefix(redis, prefix);
  } finally {
    redis.disconnect();
  }
}
