import knexFactory from 'knex';
import { describeUrl } from './create-db';

/**
 * Creates the database the URL names when the server does not have it yet, so that a fresh
 * machine's `npm start` needs no manual step. Connects to the server's `postgres` database to
 * do so; returns true when it created the database.
 */
export async function ensureDatabaseExists(url: string): Promise<boolean> {
  const target = new URL(url);
  const database = decodeURIComponent(target.pathname.replace(/^\//, ''));
  if (!database) throw new Error(`DATABASE_URL names no database: ${describeUrl(url)}`);
  const admin = new URL(url);
  admin.pathname = '/postgres';
  const knex = knexFactory({
    client: 'pg',
    connection: admin.toString(),
    pool: { min: 0, max: 1 },
    acquireConnectionTimeout: 5000,
    // Knex would print connection failures with their stack to the console; the error thrown
    // below says it in one line instead.
    log: {
      warn: () => undefined,
      error: () => undefined,
      deprecate: () => undefined,
      debug: () => undefined,
    },
  });
  try {
    const found = await knex('pg_database').where({ datname: database }).first('datname');
    if (found) return false;
    await knex.raw('create database ??', [database]);
    return true;
  } catch (error) {
    throw new Error(
      `PostgreSQL is not reachable at ${describeUrl(url)}: ${(error as Error).message}`,
      {
        cause: error,
      },
    );
  } finally {
    await knex.destroy();
  }
}
