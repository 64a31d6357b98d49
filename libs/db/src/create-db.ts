import knexFactory, { type Knex } from 'knex';
import { coalesceWrites, type CorkableStream } from '@chat/net';
import type { Logger } from '@chat/observability';
import { migrationSource } from './migration-source';
import { destroyWhenStalled, type WatchedPgClient } from './stalled-connection';

/** Beyond statement_timeout, how long a busy connection may stay silent before it counts as cut. */
const STALLED_MARGIN_MS = 5000;

export interface DbConfig {
  /** postgresql:// URL. */
  url: string;
  /** Largest pool size; default 10. */
  poolMax?: number;
  /** How long a query may wait for a connection before failing, in ms; default 5000. */
  acquireTimeoutMs?: number;
  /**
   * PostgreSQL's statement_timeout on every connection of the pool, in ms; default 10000. A
   * statement that runs longer is cancelled (SQLSTATE 57014, see isStatementTimeout), so a
   * stuck query or a long lock wait fails instead of holding a connection and its caller.
   */
  statementTimeoutMs?: number;
}

/** A transaction that stores' methods take as `trx`; committed or rolled back in one place. */
export type Transaction = Knex.Transaction;

/**
 * Runs `work` as one unit of work: commits when it resolves, rolls back when it rejects, and
 * resolves or rejects as `work` did.
 */
export type RunInTransaction = <T>(work: (trx: Transaction) => Promise<T>) => Promise<T>;

export interface Db {
  /** For migrations and the stores in this lib; services use the stores and `transaction`. */
  readonly knex: Knex;
  transaction: RunInTransaction;
  /** Resolves when PostgreSQL answers; rejects with a message naming the host and database when not. */
  ping(): Promise<void>;
  close(): Promise<void>;
}

export function createDb(config: DbConfig, logger: Logger): Db {
  const log = logger.child({ module: 'db' });
  const statementTimeoutMs = config.statementTimeoutMs ?? 10_000;
  const acquireTimeoutMs = config.acquireTimeoutMs ?? 5000;
  const knex = knexFactory({
    client: 'pg',
    connection: {
      connectionString: config.url,
      application_name: 'tutorgo-chat',
      // Sent in the startup packet, so it holds from a connection's first statement on.
      statement_timeout: statementTimeoutMs,
      // A connect into a partition would otherwise hang until the kernel gives up (minutes).
      connectionTimeoutMillis: acquireTimeoutMs,
    },
    pool: {
      min: 0,
      max: config.poolMax ?? 10,
      // A connection that breaks while idle emits 'error'; without a listener it would crash the process.
      afterCreate(
        connection: WatchedPgClient & {
          on(event: 'error', listener: (error: Error) => void): void;
          connection?: { stream?: CorkableStream };
        },
        done: (error: Error | null, connection: unknown) => void,
      ) {
        connection.on('error', (error) => log.error({ err: error }, 'postgres connection error'));
        // pg writes Parse, Bind, Execute and Sync separately: one syscall for the lot.
        const socket = connection.connection?.stream;
        if (socket) coalesceWrites(socket);
        destroyWhenStalled(connection, statementTimeoutMs + STALLED_MARGIN_MS);
        done(null, connection);
      },
    },
    acquireConnectionTimeout: acquireTimeoutMs,
    // Knex logs to the console by default, stack traces included: send it to pino instead.
    log: {
      warn: (message: unknown) => log.warn({ knex: String(message) }, 'knex warning'),
      error: (message: unknown) => log.error({ knex: String(message) }, 'knex error'),
      deprecate: (method: string, alternative: string) =>
        log.warn({ method, alternative }, 'knex deprecation'),
      debug: () => undefined,
    },
    migrations: { migrationSource, tableName: 'knex_migrations' },
  });
  let closing: Promise<void> | undefined;
  return {
    knex,
    transaction: (work) => knex.transaction(work),
    async ping() {
      try {
        await knex.raw('select 1');
      } catch (error) {
        throw new Error(
          `PostgreSQL is not reachable at ${describeUrl(config.url)}: ${(error as Error).message}`,
          {
            cause: error,
          },
        );
      }
    },
    close() {
      closing ??= knex.destroy();
      return closing;
    },
  };
}

/** host:port/database of a URL, without the password, for messages and logs. */
export function describeUrl(url: string): string {
  try {
    const parsed = new URL(url);
    return `${parsed.hostname}:${parsed.port || '5432'}${parsed.pathname}`;
  } catch {
    return '(unparseable URL)';
  }
}
