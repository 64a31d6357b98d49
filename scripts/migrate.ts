// npm run migrate            creates the database if needed and applies pending migrations
// npm run migrate:down       reverts every migration
import { loadConfig, sharedEnv } from '@chat/config';
import { createDb, ensureDatabaseExists, migrateLatest, migrateRollbackAll } from '@chat/db';
import { createLogger } from '@chat/observability';
import { exitOnStartupError } from '@chat/runtime';

async function main(direction: string | undefined): Promise<void> {
  if (direction !== 'latest' && direction !== 'rollback') {
    console.error('usage: tsx scripts/migrate.ts latest|rollback');
    process.exit(2);
  }
  const config = loadConfig({
    databaseUrl: sharedEnv.databaseUrl,
    logLevel: sharedEnv.logLevel,
    nodeEnv: sharedEnv.nodeEnv,
  });
  const logger = createLogger({
    service: 'migrate',
    level: config.logLevel,
    nodeEnv: config.nodeEnv,
  });
  if (direction === 'latest' && (await ensureDatabaseExists(config.databaseUrl))) {
    logger.info('created the database');
  }
  const db = createDb({ url: config.databaseUrl, poolMax: 1 }, logger);
  try {
    await db.ping();
    const names =
      direction === 'latest' ? await migrateLatest(db.knex) : await migrateRollbackAll(db.knex);
    logger.info(
      { migrations: names },
      names.length ? `${direction}: done` : `${direction}: nothing to do`,
    );
  } finally {
    await db.close();
  }
}

main(process.argv[2]).catch(exitOnStartupError('migrate'));
