import type { Publish } from '@chat/broker';
import { conversationPartner, delivery, userRoutingKey, type TopologyNames } from '@chat/contracts';
import {
  deliveredKey,
  type ConversationStore,
  type DeliveredMark,
  type DeliveredOutcome,
  type OutboxEntry,
  type OutboxRow,
  type OutboxStore,
  type RunInTransaction,
} from '@chat/db';
import { AppError } from '@chat/errors';
import type { Logger } from '@chat/observability';

/** What a mark did: the sender is told (`announced`), or nothing new reached the caller. */
export type MarkOutcome = 'announced' | 'unchanged';

export interface DeliveryReceipts {
  /**
   * Raises `userId`'s delivered watermark in the conversation to `upToSeq`; resolves once it is
   * stored. Rejects with AppError NOT_A_MEMBER (no such conversation for the user),
   * VALIDATION_FAILED (beyond the conversation's last message), UNAVAILABLE (PostgreSQL) or
   * OVERLOADED (too many marks already wait for PostgreSQL).
   */
  mark(userId: string, conversationId: string, upToSeq: number): Promise<MarkOutcome>;
  /** Stops taking marks and waits for the writes and announcements in flight. */
  close(): Promise<void>;
}

export interface DeliveryReceiptsDeps {
  /** The unit of work a batch of marks and its outbox rows commit in (Db.transaction). */
  transaction: RunInTransaction;
  conversations: Pick<ConversationStore, 'markDeliveredEach'>;
  outbox: Pick<OutboxStore, 'addClaimed' | 'settleClaimed'>;
  publish: Publish;
  names: TopologyNames;
  logger: Logger;
  /** Marks one transaction takes at most; default 1000. */
  maxBatch?: number;
  /**
   * Marks that may wait for a write (while PostgreSQL is slow or away); beyond it a mark is
   * refused at once with the retryable OVERLOADED. Default 20000.
   */
  maxWaiting?: number;
}

interface Waiter {
  mark: DeliveredMark;
  resolve(outcome: MarkOutcome): void;
  reject(error: unknown): void;
}

/**
 * `mark-delivered`, written without costing the hot path a transaction per message: the marks
 * that arrive while one write runs (at least those of one turn of the event loop) form the next
 * write, and one write runs at a time, so a busy edge holds one pooled connection for receipts
 * and a conversation's marks of a burst become one row update. Each write is one transaction:
 * one statement raises every watermark of the batch (ConversationStore.markDeliveredEach), and
 * the `message-delivered` announcements it calls for are added to the outbox, claimed by this
 * edge. After the commit the marks are answered and the edge publishes the announcements itself
 * (milliseconds, not a relay's poll), then deletes them; rows it could not publish are released
 * to history-service's outbox relay at once, and those of an edge that died in between are
 * published by that relay when their claim runs out (60 s). Receipts are so at least once.
 */
export function createDeliveryReceipts(deps: DeliveryReceiptsDeps): DeliveryReceipts {
  const log = deps.logger.child({ module: 'edge:receipts' });
  const maxBatch = Math.max(1, deps.maxBatch ?? 1000);
  const maxWaiting = Math.max(1, deps.maxWaiting ?? 20_000);
  const waiting: Waiter[] = [];
  let writing: Promise<void> | undefined;
  let scheduled = false;
  let closed = false;
  const announcing = new Set<Promise<void>>();

  function schedule(): void {
    if (scheduled || writing) return;
    scheduled = true;
    setImmediate(() => {
      scheduled = false;
      const batch = waiting.splice(0, maxBatch);
      if (batch.length === 0) return;
      writing = write(batch).finally(() => {
        writing = undefined;
        if (waiting.length > 0) schedule();
      });
    });
  }

  async function write(batch: Waiter[]): Promise<void> {
    let outcomes: Map<string, DeliveredOutcome>;
    let claimed: OutboxRow[];
    try {
      ({ outcomes, claimed } = await deps.transaction(async (trx) => {
        const found = await deps.conversations.markDeliveredEach(
          batch.map((waiter) => waiter.mark),
          trx,
        );
        const rows = await deps.outbox.addClaimed(trx, announcements(found));
        return { outcomes: found, claimed: rows };
      }));
    } catch (error) {
      log.warn({ err: error, marks: batch.length }, 'delivered watermarks not stored');
      const unavailable = new AppError('UNAVAILABLE', 'Could not store the receipt, try again', {
        cause: error,
      });
      for (const waiter of batch) waiter.reject(unavailable);
      return;
    }
    answer(batch, outcomes);
    if (claimed.length > 0) {
      const announced = announce(claimed);
      announcing.add(announced);
      void announced.finally(() => announcing.delete(announced));
    }
  }

  function announcements(outcomes: Map<string, DeliveredOutcome>): OutboxEntry[] {
    const entries: OutboxEntry[] = [];
    for (const [key, outcome] of outcomes) {
      if (!outcome.announced) continue;
      const [conversationId, receiverId] = key.split(' ') as [string, string];
      const sender = conversationPartner(conversationId, receiverId);
      if (sender === undefined) continue;
      const { upToSeq, upToMessageId, deliveredAt } = outcome.announced;
      entries.push({
        exchange: deps.names.deliveryExchange,
        routingKey: userRoutingKey(sender),
        payload: delivery(sender, 'message-delivered', {
          conversationId,
          receiverId,
          upToSeq,
          upToMessageId,
          deliveredAt: deliveredAt.toISOString(),
        }),
      });
    }
    return entries;
  }

  /** Per (conversation, user) its highest valid mark carries the outcome; the others are no news. */
  function answer(batch: Waiter[], outcomes: Map<string, DeliveredOutcome>): void {
    const valid: Waiter[] = [];
    for (const waiter of batch) {
      const { conversationId, userId, upToSeq } = waiter.mark;
      const outcome = outcomes.get(deliveredKey(conversationId, userId));
      if (!outcome?.member) {
        waiter.reject(new AppError('NOT_A_MEMBER'));
      } else if (upToSeq > outcome.lastSeq) {
        waiter.reject(
          new AppError(
            'VALIDATION_FAILED',
            `upToSeq ${upToSeq} is beyond the conversation's last message (${outcome.lastSeq})`,
          ),
        );
      } else {
        valid.push(waiter);
      }
    }
    const carriers = new Map<string, Waiter>();
    for (const waiter of valid) {
      const key = deliveredKey(waiter.mark.conversationId, waiter.mark.userId);
      const carrier = carriers.get(key);
      if (!carrier || carrier.mark.upToSeq < waiter.mark.upToSeq) carriers.set(key, waiter);
    }
    for (const waiter of valid) {
      const key = deliveredKey(waiter.mark.conversationId, waiter.mark.userId);
      const announced = carriers.get(key) === waiter && outcomes.get(key)!.announced;
      waiter.resolve(announced ? 'announced' : 'unchanged');
    }
  }

  async function announce(rows: OutboxRow[]): Promise<void> {
    const results = await Promise.allSettled(
      rows.map((row) => {
        const payload = row.payload as { type?: string };
        return deps.publish(row.exchange, row.routingKey, row.payload, {
          messageId: `outbox-${row.id}`,
          ...(typeof payload.type === 'string' && { type: payload.type }),
        });
      }),
    );
    const published = rows.filter((_, index) => results[index]!.status === 'fulfilled');
    const unpublished = rows.filter((_, index) => results[index]!.status === 'rejected');
    if (unpublished.length > 0) {
      log.warn(
        { unpublished: unpublished.length },
        'message-delivered not published; left to the outbox relay',
      );
    }
    try {
      await deps.outbox.settleClaimed(
        published.map((row) => row.id),
        unpublished.map((row) => row.id),
      );
    } catch (error) {
      // The published rows go out once more when their claim ends: a repeat, never a loss.
      log.warn({ err: error }, 'could not settle announced receipts; the relay repeats them');
    }
  }

  return {
    mark(userId, conversationId, upToSeq) {
      if (closed) {
        return Promise.reject(new AppError('UNAVAILABLE', 'The server is shutting down'));
      }
      if (waiting.length >= maxWaiting) {
        return Promise.reject(
          new AppError('OVERLOADED', 'Too many receipts are waiting to be stored; send it again'),
        );
      }
      return new Promise<MarkOutcome>((resolve, reject) => {
        waiting.push({ mark: { conversationId, userId, upToSeq }, resolve, reject });
        schedule();
      });
    },
    async close() {
      closed = true;
      while (writing || scheduled || waiting.length > 0) {
        if (writing) await writing;
        else await new Promise((resolve) => setImmediate(resolve));
      }
      await Promise.all(announcing);
    },
  };
}
