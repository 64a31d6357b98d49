import { randomBytes } from 'node:crypto';
import knexFactory from 'knex';
import { createDb, migrateLatest } from '@chat/db';
import { createLogger } from '@chat/observability';
import { startContainersIfDockerAnswers } from './containers';
import { testServiceUrls, withDatabase } from './service-urls';

/**
 * Runs once before the integration suites: finds PostgreSQL, Redis and RabbitMQ (containers
 * when a Docker engine answers, otherwise the URLs in the environment or the local defaults),
 * creates this run's own database and migrates it. Workers inherit the environment set here.
 */
export default async function globalSetup(): Promise<void> {
  const runId = randomBytes(3).toString('hex');
  const urls = (await startContainersIfDockerAnswers()) ?? testServiceUrls();
  const database = `chat_test_${runId}`;

  const admin = knexFactory({
    client: 'pg',
    connection: urls.databaseUrl,
    pool: { min: 0, max: 1 },
  });
  try {
    await admin.raw('create database ??', [database]);
  } finally {
    await admin.destroy();
  }
  const databaseUrl = withDatabase(urls.databaseUrl, database);
  const db = createDb(
    { url: databaseUrl, poolMax: 1 },
    createLogger({ service: 'test', level: 'silent' }),
  );
  try {
    await migrateLatest(db.knex);
  } finally {
    await db.close();
  }

  process.env.CHAT_TEST_RUN_ID = runId;
  process.env.CHAT_TEST_ADMIN_DATABASE_URL = urls.databaseUrl;
  process.env.DATABASE_URL = databaseUrl;
  process.env.REDIS_URL = urls.redisUrl;
  process.env.RABBITMQ_URL = urls.rabbitmqUrl;
}
