import {
  createDb,
  isDatabaseUnavailable,
  isRetryableDatabaseError,
  isStatementTimeout,
  type Db,
} from '@chat/db';
import { createLogger } from '@chat/observability';
import { testServiceUrls } from '@chat/testing';

describe('statement timeout', () => {
  const logger = createLogger({ service: 'test', level: 'silent' });
  const opened: Db[] = [];
  const open = (statementTimeoutMs?: number) => {
    const db = createDb(
      { url: testServiceUrls().databaseUrl, poolMax: 2, statementTimeoutMs },
      logger,
    );
    opened.push(db);
    return db;
  };

  afterAll(() => Promise.all(opened.map((db) => db.close())));

  it('when no timeout is given, then every connection runs with the 10 s default', async () => {
    const db = open();
    const { rows } = await db.knex.raw<{ rows: { statement_timeout: string }[] }>(
      'show statement_timeout',
    );
    expect(rows[0]?.statement_timeout).toBe('10s');
  });

  it('when a statement runs longer than the timeout, then PostgreSQL cancels it and the error counts as retryable, not as the database being away', async () => {
    const db = open(200);
    const started = Date.now();
    const error: unknown = await db.knex.raw('select pg_sleep(5)').then(
      () => undefined,
      (rejection: unknown) => rejection,
    );

    expect(error).toMatchObject({
      code: '57014',
      message: expect.stringContaining('canceling statement due to statement timeout'),
    });
    expect(Date.now() - started).toBeLessThan(4000);
    expect(isStatementTimeout(error)).toBe(true);
    expect(isRetryableDatabaseError(error)).toBe(true);
    expect(isDatabaseUnavailable(error)).toBe(false);
    // The connection is still good for the next statement.
    await expect(db.knex.raw('select 1 as ok')).resolves.toMatchObject({ rows: [{ ok: 1 }] });
  });

  it('when a statement finishes within the timeout, then it succeeds', async () => {
    const db = open(2000);
    await expect(db.knex.raw('select pg_sleep(0.05), 1 as ok')).resolves.toMatchObject({
      rows: [{ ok: 1 }],
    });
  });
});
