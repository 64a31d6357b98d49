import { randomBytes } from 'node:crypto';
import knexFactory from 'knex';
import { createDb, migrateLatest } from '@chat/db';
import { createLogger } from '@chat/observability';
import { testRunId, testServiceUrls, withDatabase } from './service-urls';

export interface ScratchDatabase {
  readonly name: string;
  /** URL of the database on the server the tests use. */
  readonly url: string;
  /** Drops it, disconnecting whoever is still in it; safe to call twice. */
  drop(): Promise<void>;
}

/** The prefix of every scratch database of a run; global teardown drops those a test left. */
export function scratchDatabasePrefix(runId = testRunId()): string {
  return `chat_test_${runId}_`;
}

/** The server URL with administrative access: global-setup's, else the tests' own. */
function adminUrl(): string {
  return process.env.CHAT_TEST_ADMIN_DATABASE_URL || testServiceUrls().databaseUrl;
}

/**
 * A migrated database of its own for a test that needs one beside the run's shared database
 * (e.g. one whose connections a fault cuts): `chat_test_<run>_<label>_<random>`.
 */
export async function createScratchDatabase(label: string): Promise<ScratchDatabase> {
  const cleanLabel =
    label
      .toLowerCase()
      .replace(/[^a-z0-9]/g, '')
      .slice(0, 12) || 'x';
  const name = `${scratchDatabasePrefix()}${cleanLabel}_${randomBytes(3).toString('hex')}`;
  const server = adminUrl();
  await runAdmin(server, (admin) => admin.raw('create database ??', [name]));
  const url = withDatabase(server, name);
  const db = createDb({ url, poolMax: 1 }, createLogger({ service: 'test', level: 'silent' }));
  try {
    await migrateLatest(db.knex);
  } finally {
    await db.close();
  }
  let dropped: Promise<void> | undefined;
  return {
    name,
    url,
    drop() {
      dropped ??= runAdmin(server, (admin) =>
        admin.raw('drop database if exists ?? with (force)', [name]),
      ).then(() => undefined);
      return dropped;
    },
  };
}

/** Drops every database whose name starts with `prefix`. */
export async function dropDatabasesWithPrefix(serverUrl: string, prefix: string): Promise<void> {
  await runAdmin(serverUrl, async (admin) => {
    const rows = await admin('pg_database')
      .whereRaw('starts_with(datname, ?)', [prefix])
      .select<{ datname: string }[]>('datname');
    for (const { datname } of rows) {
      await admin.raw('drop database if exists ?? with (force)', [datname]);
    }
  });
}

async function runAdmin<T>(
  serverUrl: string,
  work: (admin: ReturnType<typeof knexFactory>) => Promise<T>,
): Promise<T> {
  const admin = knexFactory({ client: 'pg', connection: serverUrl, pool: { min: 0, max: 1 } });
  try {
    return await work(admin);
  } finally {
    await admin.destroy();
  }
}
