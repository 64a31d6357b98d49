import { createDb, isDatabaseUnavailable, type Db } from '@chat/db';
import { createLogger } from '@chat/observability';
import { createTcpProxy, testServiceUrls, type TcpProxy } from '@chat/testing';

// A partition (the network between us and PostgreSQL carries nothing, nothing is reset) must
// fail a query in flight after statement_timeout + 5 s, not when TCP gives up minutes later.
const STATEMENT_TIMEOUT_MS = 300;
const STALLED_AFTER_MS = STATEMENT_TIMEOUT_MS + 5000;

describe('a PostgreSQL connection that goes silent mid-query', () => {
  const logger = createLogger({ service: 'test', level: 'silent' });
  let proxy: TcpProxy;
  let db: Db;

  beforeEach(async () => {
    const target = new URL(testServiceUrls().databaseUrl);
    proxy = await createTcpProxy(target.hostname, Number(target.port || 5432));
    target.host = `127.0.0.1:${proxy.port}`;
    db = createDb(
      { url: target.toString(), poolMax: 1, statementTimeoutMs: STATEMENT_TIMEOUT_MS },
      logger,
    );
  });

  afterEach(async () => {
    proxy.heal();
    await db.close();
    await proxy.close();
  });

  const backendPid = async () =>
    (await db.knex.raw<{ rows: { pid: number }[] }>('select pg_backend_pid() as pid')).rows[0]!.pid;

  it('when the network is partitioned during a query, then the query fails as "database unavailable" within the stall limit, and the next one runs on a fresh connection once the network is back', async () => {
    const before = await backendPid();
    proxy.cut('blackhole');

    const started = Date.now();
    const error: unknown = await db.knex.raw('select 1').then(
      () => undefined,
      (rejection: unknown) => rejection,
    );
    const waited = Date.now() - started;

    expect(error).toBeDefined();
    expect(isDatabaseUnavailable(error)).toBe(true);
    expect(waited).toBeGreaterThanOrEqual(STALLED_AFTER_MS - 100);
    expect(waited).toBeLessThan(STALLED_AFTER_MS + 4000);
    // Still partitioned: the proxy froze the connection and never closed it; we gave up on it.
    expect(proxy.cutMode).toBe('blackhole');

    proxy.heal();
    const after = await backendPid();
    expect(after).not.toBe(before);
  }, 30_000);

  it('when a pooled connection sits idle longer than the stall limit, then it is kept: silence counts only while a query waits', async () => {
    const before = await backendPid();
    await new Promise((resolve) => setTimeout(resolve, STALLED_AFTER_MS + 500));

    expect(await backendPid()).toBe(before);
  }, 30_000);
});
