import knexFactory, { type Knex } from 'knex';
import {
  createDb,
  createOutboxStore,
  migrateLatest,
  type Db,
  type OutboxRow,
  type OutboxStore,
} from '@chat/db';
import { createLogger } from '@chat/observability';
import { testRunId, withDatabase } from '@chat/testing';

/*
 * The outbox is a shared queue: a relay claims whatever is pending. A database of its own keeps
 * this file from publishing other suites' rows, and theirs from publishing these.
 */
describe('outbox store', () => {
  const adminUrl = process.env.CHAT_TEST_ADMIN_DATABASE_URL!;
  const database = `chat_test_${testRunId()}_outbox`;
  let admin: Knex;
  let db: Db;
  let outbox: OutboxStore;

  beforeAll(async () => {
    admin = knexFactory({ client: 'pg', connection: adminUrl, pool: { min: 0, max: 1 } });
    await admin.raw('create database ??', [database]);
    db = createDb(
      { url: withDatabase(adminUrl, database) },
      createLogger({ service: 'test', level: 'silent' }),
    );
    await migrateLatest(db.knex);
    outbox = createOutboxStore(db.knex);
  });

  afterAll(async () => {
    await db.close();
    await admin.raw('drop database if exists ?? with (force)', [database]);
    await admin.destroy();
  });

  // Each test starts from an empty outbox, so counts are its own.
  beforeEach(() => db.knex('outbox').delete());

  const addEvents = (...keys: string[]) =>
    db.knex.transaction(async (trx) => {
      const ids: string[] = [];
      for (const key of keys) {
        ids.push(
          (await outbox.add(trx, { exchange: 'chat.events', routingKey: key, payload: { key } }))
            .id,
        );
      }
      return ids;
    });

  const pendingKeys = async () =>
    (await db
      .knex('outbox')
      .whereNull('published_at')
      .orderBy('id')
      .pluck('routing_key')) as string[];

  it('when events are pending, then they are published once, in order, and marked', async () => {
    await addEvents('one', 'two', 'three');
    const published: OutboxRow[] = [];

    const count = await outbox.publishPending(10, async (row) => {
      published.push(row);
    });
    const again = await outbox.publishPending(10, async (row) => {
      published.push(row);
    });

    expect(count).toBe(3);
    expect(again).toBe(0);
    expect(published.map((row) => row.routingKey)).toEqual(['one', 'two', 'three']);
    expect(published[0]).toEqual({
      id: expect.stringMatching(/^\d+$/),
      exchange: 'chat.events',
      routingKey: 'one',
      payload: { key: 'one' },
      createdAt: expect.any(Date),
    });
    expect(await pendingKeys()).toEqual([]);
  });

  it('when more events are pending than the limit, then one call publishes only the oldest ones', async () => {
    await addEvents('a', 'b', 'c');
    const published: string[] = [];

    expect(await outbox.publishPending(2, async (row) => void published.push(row.routingKey))).toBe(
      2,
    );

    expect(published).toEqual(['a', 'b']);
    expect(await pendingKeys()).toEqual(['c']);
  });

  it('when the adding transaction rolls back, then its event is never published', async () => {
    await expect(
      db.knex.transaction(async (trx) => {
        await outbox.add(trx, { exchange: 'chat.events', routingKey: 'ghost', payload: {} });
        throw new Error('write failed');
      }),
    ).rejects.toThrow('write failed');

    expect(await outbox.publishPending(10, async () => undefined)).toBe(0);
  });

  it('when a publish fails, then that row and the later ones stay pending and the error surfaces', async () => {
    await addEvents('ok', 'fails', 'later');
    const attempts: string[] = [];

    await expect(
      outbox.publishPending(10, async (row) => {
        attempts.push(row.routingKey);
        if (row.routingKey === 'fails') throw new Error('broker unavailable');
      }),
    ).rejects.toThrow('broker unavailable');

    expect(attempts).toEqual(['ok', 'fails']);
    expect(await pendingKeys()).toEqual(['fails', 'later']);

    const retried: string[] = [];
    expect(await outbox.publishPending(10, async (row) => void retried.push(row.routingKey))).toBe(
      2,
    );
    expect(retried).toEqual(['fails', 'later']);
  });

  it('when two relays run at once, then each row is published by exactly one of them', async () => {
    await addEvents(...Array.from({ length: 20 }, (_, i) => `k${i}`));
    const published: string[] = [];
    const relay = () =>
      outbox.publishPending(10, async (row) => {
        await new Promise((resolve) => setTimeout(resolve, 5));
        published.push(row.routingKey);
      });

    const counts = await Promise.all([relay(), relay()]);

    expect(counts[0]! + counts[1]!).toBe(20);
    expect(new Set(published).size).toBe(20);
    expect(published).toHaveLength(20);
  });

  it('when a publish hangs, then no transaction or row lock is held meanwhile: another transaction writes the claimed rows at once, and a second relay leaves them alone', async () => {
    const ids = await addEvents('hangs', 'next');
    let entered!: () => void;
    const inPublish = new Promise<void>((resolve) => (entered = resolve));
    let unblock!: () => void;
    const gate = new Promise<void>((resolve) => (unblock = resolve));
    const published: string[] = [];
    const running = outbox.publishPending(10, async (row) => {
      if (row.routingKey === 'hangs') {
        entered();
        await gate;
      }
      published.push(row.routingKey);
    });
    await inPublish;

    try {
      // Under a row lock this would wait for the publish and fail after the lock timeout.
      await db.knex.transaction(async (trx) => {
        await trx.raw(`set local lock_timeout = '1s'`);
        await trx('outbox')
          .whereIn('id', ids)
          .update({ payload: trx.raw('payload') });
      });
      const idle = (await db
        .knex('pg_stat_activity')
        .where({ datname: database })
        .where('state', 'like', 'idle in transaction%')
        .count({ n: '*' })) as { n: string }[];
      expect(Number(idle[0]!.n)).toBe(0);
      const second = await outbox.publishPending(10, async (row) => {
        throw new Error(`a second relay published ${row.routingKey}, which the first holds`);
      });
      expect(second).toBe(0);
    } finally {
      unblock();
    }
    expect(await running).toBe(2);
    expect(published).toEqual(['hangs', 'next']);
    expect(await pendingKeys()).toEqual([]);
  });

  it('when a relay died holding a claim, then its rows wait out the lease and are published after it, in order', async () => {
    const leased = createOutboxStore(db.knex, { leaseMs: 300 });
    await addEvents('first', 'second');
    // What a relay leaves behind when it dies between claim and mark.
    await db.knex('outbox').update({ locked_until: db.knex.raw(`now() + interval '300 ms'`) });
    const published: string[] = [];
    const publish = async (row: OutboxRow) => void published.push(row.routingKey);

    expect(await leased.publishPending(10, publish)).toBe(0);
    await new Promise((resolve) => setTimeout(resolve, 400));
    expect(await leased.publishPending(10, publish)).toBe(2);

    expect(published).toEqual(['first', 'second']);
  });

  describe('rows their writer publishes itself', () => {
    const addClaimed = (store: OutboxStore, ...keys: string[]) =>
      db.knex.transaction((trx) =>
        store.addClaimed(
          trx,
          keys.map((key) => ({ exchange: 'chat.delivery', routingKey: key, payload: { key } })),
        ),
      );
    const relay = async (store: OutboxStore) => {
      const published: string[] = [];
      await store.publishPending(10, async (row) => void published.push(row.routingKey));
      return published;
    };

    it('when added claimed, then the writer gets the rows and no relay takes them while the claim lasts', async () => {
      const rows = await addClaimed(outbox, 'user.a', 'user.b');

      expect(rows).toEqual([
        expect.objectContaining({ routingKey: 'user.a', payload: { key: 'user.a' } }),
        expect.objectContaining({ routingKey: 'user.b', payload: { key: 'user.b' } }),
      ]);
      expect(rows.map((row) => row.id)).toEqual([
        expect.stringMatching(/^\d+$/),
        expect.stringMatching(/^\d+$/),
      ]);
      expect(await relay(outbox)).toEqual([]);
    });

    it('when settled, then published rows are gone and unpublished ones go to the next relay at once', async () => {
      const [published, unpublished] = await addClaimed(outbox, 'user.sent', 'user.failed');

      await outbox.settleClaimed([published!.id], [unpublished!.id]);

      expect(await db.knex('outbox').orderBy('id').pluck('routing_key')).toEqual(['user.failed']);
      expect(await relay(outbox)).toEqual(['user.failed']);
    });

    it('when the writer died before settling, then a relay publishes its rows once the claim ran out', async () => {
      const leased = createOutboxStore(db.knex, { leaseMs: 300 });
      await addClaimed(leased, 'user.orphan');

      expect(await relay(leased)).toEqual([]);
      await new Promise((resolve) => setTimeout(resolve, 400));
      expect(await relay(leased)).toEqual(['user.orphan']);
    });

    it('when the adding transaction rolls back, then nothing is left', async () => {
      await expect(
        db.knex.transaction(async (trx) => {
          await outbox.addClaimed(trx, [{ exchange: 'x', routingKey: 'user.gone', payload: {} }]);
          throw new Error('watermark write failed');
        }),
      ).rejects.toThrow('watermark write failed');

      expect(await db.knex('outbox').count({ n: '*' })).toEqual([{ n: '0' }]);
    });
  });

  it('when the payload is an array or nested, then it comes back as JSON', async () => {
    const payload = [{ nested: { list: [1, 'two', null] } }, 'text'];
    await db.knex.transaction((trx) =>
      outbox.add(trx, { exchange: 'x', routingKey: 'json', payload }),
    );
    const seen: unknown[] = [];

    await outbox.publishPending(1, async (row) => void seen.push(row.payload));

    expect(seen).toEqual([payload]);
  });

  it('when pruning, then only rows published before the cut-off go, pending ones never', async () => {
    const [old, recent] = await addEvents('old', 'recent');
    await addEvents('pending');
    await db
      .knex('outbox')
      .where({ id: old })
      .update({ published_at: new Date(Date.now() - 3_600_000) });
    await db.knex('outbox').where({ id: recent }).update({ published_at: new Date() });

    expect(await outbox.prunePublished(new Date(Date.now() - 60_000))).toBe(1);
    expect(await db.knex('outbox').orderBy('id').pluck('routing_key')).toEqual([
      'recent',
      'pending',
    ]);
    expect(await outbox.prunePublished(new Date(Date.now() + 60_000))).toBe(1);
    expect(await pendingKeys()).toEqual(['pending']);
  });
});
