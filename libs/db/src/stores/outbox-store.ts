import type { Knex } from 'knex';
import { knexOf, type StoreSource } from './knex-of';
import { withRedactedErrors } from './db-errors';

export interface OutboxEntry {
  exchange: string;
  routingKey: string;
  /** Stored as jsonb; must survive JSON.stringify. */
  payload: unknown;
}

export interface OutboxRow extends OutboxEntry {
  id: string;
  createdAt: Date;
}

export interface OutboxStore {
  /** Adds an event inside the caller's transaction, so it exists exactly when their write does. */
  add(trx: Knex.Transaction, entry: OutboxEntry): Promise<{ id: string }>;
  /**
   * Adds events inside the caller's transaction, already claimed by the caller for the lease
   * (see createOutboxStore): the writer publishes them itself right after its commit, without
   * waiting for a relay's poll, then calls `settleClaimed`. Should it die first, a relay
   * publishes them once the lease ends. Returns the rows added.
   */
  addClaimed(trx: Knex.Transaction, entries: readonly OutboxEntry[]): Promise<OutboxRow[]>;
  /**
   * Ends the writer's claim: `published` rows are deleted (their writer delivered them; events
   * as frequent as delivery receipts would make a week of kept rows the largest table), the
   * `unpublished` ones are released to the relays at once.
   */
  settleClaimed(published: readonly string[], unpublished: readonly string[]): Promise<void>;
  /**
   * Claims up to `limit` unpublished rows, oldest first, publishes them one by one in that order
   * and marks them published. Several relays can run: a claimed row is leased to one of them
   * for `leaseMs` (see createOutboxStore). Delivery is at least once: a crash after publishing
   * and before the mark publishes again once the lease runs out. When `publish` rejects, the
   * rows published before it are marked, that row and the rest are released still pending
   * (keeping their order), and the rejection is rethrown. Resolves to the number published.
   */
  publishPending(limit: number, publish: (row: OutboxRow) => Promise<void>): Promise<number>;
  /** Deletes up to `limit` (default 10000) rows published before `olderThan`; returns how many. */
  prunePublished(olderThan: Date, limit?: number): Promise<number>;
}

interface StoredRow {
  id: string;
  exchange: string;
  routing_key: string;
  payload: unknown;
  created_at: Date;
  locked_until: Date;
}

export interface OutboxStoreOptions {
  /**
   * How long a claim keeps other relays off its rows, in ms; default 60000. A relay publishes
   * from a claim only during its first half, so one publish (at most the broker's publish
   * timeout, 10 s by default) must fit in the other half.
   */
  leaseMs?: number;
}

/**
 * Why a lease and not `select … for update` in a transaction around the publishes: that held
 * the row locks and a transaction open (idle, pinning a pool connection and vacuum's horizon)
 * for as long as RabbitMQ took, and a hung publish left anything touching those rows waiting.
 * Now each step is one short statement of its own: claim (set `locked_until`, skipping rows
 * another relay holds), publish with no transaction open, mark published. Two relays never
 * publish the same row while its lease lasts; a relay that dies leaves its rows to others
 * when the lease runs out. A session advisory lock would serialize the relays too, but would
 * have to pin one pooled connection outside any transaction and release it by hand.
 */
export function createOutboxStore(
  source: StoreSource,
  options: OutboxStoreOptions = {},
): OutboxStore {
  const knex = knexOf(source);
  const leaseMs = options.leaseMs ?? 60_000;

  async function add(trx: Knex.Transaction, entry: OutboxEntry): Promise<{ id: string }> {
    const [row] = (await trx('outbox')
      .insert({
        exchange: entry.exchange,
        routing_key: entry.routingKey,
        // Stringified because pg would turn a top-level array into a PostgreSQL array.
        payload: JSON.stringify(entry.payload),
      })
      .returning('id')) as { id: string }[];
    return { id: String(row!.id) };
  }

  async function addClaimed(
    trx: Knex.Transaction,
    entries: readonly OutboxEntry[],
  ): Promise<OutboxRow[]> {
    if (entries.length === 0) return [];
    const rows = (await trx('outbox')
      .insert(
        entries.map((entry) => ({
          exchange: entry.exchange,
          routing_key: entry.routingKey,
          payload: JSON.stringify(entry.payload),
          locked_until: trx.raw(`now() + ? * interval '1 millisecond'`, [leaseMs]),
        })),
      )
      .returning(['id', 'exchange', 'routing_key', 'payload', 'created_at'])) as StoredRow[];
    return rows.map((row) => ({
      id: String(row.id),
      exchange: row.exchange,
      routingKey: row.routing_key,
      payload: row.payload,
      createdAt: row.created_at,
    }));
  }

  async function settleClaimed(
    published: readonly string[],
    unpublished: readonly string[],
  ): Promise<void> {
    if (published.length > 0) await knex('outbox').whereIn('id', published).delete();
    if (unpublished.length > 0) {
      await knex('outbox')
        .whereIn('id', unpublished)
        .whereNull('published_at')
        .update({ locked_until: null });
    }
  }

  /** Leases the oldest free pending rows; returns them in id order with the lease's end. */
  async function claim(limit: number): Promise<StoredRow[]> {
    // `for update skip locked` only orders concurrent claims; the lock ends with the statement.
    // The lease's end doubles as the claim's token (see the release below): whole milliseconds,
    // so it survives the trip through a JavaScript Date.
    const { rows } = (await knex.raw(
      `update outbox
          set locked_until = date_trunc('milliseconds', now()) + ? * interval '1 millisecond'
        where id in (
          select id from outbox
           where published_at is null and (locked_until is null or locked_until < now())
           order by id
           limit ?
           for update skip locked)
        returning id, exchange, routing_key, payload, created_at, locked_until`,
      [leaseMs, limit],
    )) as { rows: StoredRow[] };
    return rows.sort((a, b) => (BigInt(a.id) < BigInt(b.id) ? -1 : 1));
  }

  async function publishPending(
    limit: number,
    publish: (row: OutboxRow) => Promise<void>,
  ): Promise<number> {
    if (!Number.isSafeInteger(limit) || limit < 1) {
      throw new RangeError(`limit must be a positive integer, got ${limit}`);
    }
    const claimedAt = Date.now();
    const rows = await claim(limit);
    const done: string[] = [];
    let failure: { error: unknown } | undefined;
    for (const row of rows) {
      // Past half the lease, leave the rest to the next claim rather than risk another relay
      // taking them over while we still publish.
      if (Date.now() - claimedAt > leaseMs / 2) break;
      try {
        await publish({
          id: String(row.id),
          exchange: row.exchange,
          routingKey: row.routing_key,
          payload: row.payload,
          createdAt: row.created_at,
        });
      } catch (error) {
        failure = { error };
        break;
      }
      done.push(String(row.id));
    }
    if (done.length > 0) {
      await knex('outbox')
        .whereIn('id', done)
        .update({ published_at: knex.fn.now(), locked_until: null });
    }
    const rest = rows.slice(done.length);
    if (rest.length > 0) {
      // Free for the next claim at once, so they go out next and in order; not if our lease ran
      // out and another relay holds them now.
      const restIds = rest.map((row) => String(row.id));
      await knex('outbox')
        .whereIn('id', restIds)
        .where('locked_until', rest[0]!.locked_until)
        .update({ locked_until: null });
    }
    if (failure) throw failure.error;
    return done.length;
  }

  async function prunePublished(olderThan: Date, limit = 10_000): Promise<number> {
    const oldest = knex('outbox')
      .whereNotNull('published_at')
      .where('published_at', '<', olderThan)
      .orderBy('id')
      .limit(limit)
      .select('id');
    return knex('outbox').whereIn('id', oldest).delete();
  }

  return withRedactedErrors({ add, addClaimed, settleClaimed, publishPending, prunePublished });
}
