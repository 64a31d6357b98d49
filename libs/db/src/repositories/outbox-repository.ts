import type { Knex } from 'knex';
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
   * Claims up to `limit` unpublished rows, oldest first (`for update skip locked`, so several
   * relays can run), publishes them one by one and marks them published in the same transaction.
   * Delivery is at least once: a crash after publishing and before the commit publishes again.
   * When `publish` rejects, the rows published before it are marked, that row and the rest stay
   * pending (keeping their order), and the rejection is rethrown. Resolves to the number published.
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
}

export function createOutboxStore(knex: Knex): OutboxStore {
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

  async function publishPending(
    limit: number,
    publish: (row: OutboxRow) => Promise<void>,
  ): Promise<number> {
    if (!Number.isSafeInteger(limit) || limit < 1) {
      throw new RangeError(`limit must be a positive integer, got ${limit}`);
    }
    const outcome = await knex.transaction(async (trx) => {
      const rows = (await trx('outbox')
        .whereNull('published_at')
        .orderBy('id')
        .limit(limit)
        .forUpdate()
        .skipLocked()
        .select('id', 'exchange', 'routing_key', 'payload', 'created_at')) as StoredRow[];
      const done: string[] = [];
      let failure: { error: unknown } | undefined;
      for (const row of rows) {
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
        await trx('outbox').whereIn('id', done).update({ published_at: trx.fn.now() });
      }
      return { published: done.length, failure };
    });
    if (outcome.failure) throw outcome.failure.error;
    return outcome.published;
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

  return withRedactedErrors({ add, publishPending, prunePublished });
}
