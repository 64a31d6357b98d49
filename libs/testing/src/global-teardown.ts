import knexFactory from 'knex';
import { Redis } from 'ioredis';
import { deleteKeysWithPrefix } from '@chat/redis';
import { stopContainers } from './containers';
import { deleteRabbitObjectsWithPrefix } from './rabbit-cleanup';
import { dropDatabasesWithPrefix, scratchDatabasePrefix } from './scratch-database';

/**
 * Drops this run's database (and the scratch databases its tests left) and deletes whatever Redis keys, queues and exchanges its tests
 * left under the run's prefix (tests clean up after themselves; this catches the ones that
 * failed half way).
 */
export default async function globalTeardown(): Promise<void> {
  const runId = process.env.CHAT_TEST_RUN_ID;
  const adminUrl = process.env.CHAT_TEST_ADMIN_DATABASE_URL;
  if (!runId || !adminUrl) return;
  const prefix = `t${runId}-`;

  const admin = knexFactory({ client: 'pg', connection: adminUrl, pool: { min: 0, max: 1 } });
  try {
    await admin.raw('drop database if exists ?? with (force)', [`chat_test_${runId}`]);
  } finally {
    await admin.destroy();
  }
  await dropDatabasesWithPrefix(adminUrl, scratchDatabasePrefix(runId));

  const redis = new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379/0', {
    lazyConnect: true,
  });
  try {
    await redis.connect();
    await deleteKeysWithPrefix(redis, prefix);
  } finally {
    redis.disconnect();
  }

  await deleteRabbitObjectsWithPrefix(process.env.RABBITMQ_URL ?? '', prefix);
  await stopContainers();
}
