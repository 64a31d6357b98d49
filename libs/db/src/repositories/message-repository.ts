import { randomUUID } from 'node:crypto';
import type { Knex } from 'knex';
import { canonicalConversationId } from '@chat/contracts';
import { AppError } from '@chat/errors';
import { isUniqueViolation, withRedactedErrors } from './db-errors';
import {
  MESSAGE_COLUMNS,
  selectMessages,
  toStoredMessage,
  toStoredMessages,
  type MessageRow,
  type StoredMessage,
} from './message-rows';

export type { StoredMessage } from './message-rows';

export interface NewMessage {
  /** The canonical pair of sender and receiver (`canonicalConversationId`). */
  conversationId: string;
  senderId: string;
  receiverId: string;
  body: string;
  clientMessageId: string;
}

export interface StoreMessageResult {
  message: StoredMessage;
  /** False when the sender had already stored this clientMessageId; nothing was changed. */
  created: boolean;
}

/**
 * A page of a conversation's messages, either
 * - `{ limit, offset }`: newest first, skipping the `offset` newest; or
 * - `{ limit, beforeSeq?, afterSeq? }`: only seqs below `beforeSeq` and above `afterSeq`;
 *   newest first, except when `afterSeq` is given: then oldest first, so a reconnecting client
 *   gets exactly the messages after the last one it has, in order.
 */
export type MessagePage =
  | { limit: number; offset: number; beforeSeq?: never; afterSeq?: never }
  | { limit: number; offset?: never; beforeSeq?: number; afterSeq?: number };

export interface MessageStore {
  /**
   * Stores a message in one transaction (a savepoint inside `trx` when given): allocates the
   * conversation's next seq, updates its last message, adds both members and the receiver's
   * unread count. Idempotent per (senderId, clientMessageId): a repeat, concurrent or not,
   * returns the stored message with `created: false`, even when its conversation or body differ.
   * Throws AppError INVALID_CONVERSATION when conversationId is not the pair's canonical id.
   */
  storeMessage(input: NewMessage, trx?: Knex.Transaction): Promise<StoreMessageResult>;
  /** The message, or undefined when there is none (or it was deleted). */
  findMessage(id: string): Promise<StoredMessage | undefined>;
  listMessages(conversationId: string, page: MessagePage): Promise<StoredMessage[]>;
  /** The messages with these ids that exist, oldest first; ids that are not UUIDs are skipped. */
  listMessagesByIds(ids: readonly string[]): Promise<StoredMessage[]>;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/*
 * One statement stores a message, so the common case is one round trip and atomic without an
 * explicit transaction:
 * - `allocated`: the conversation row is the per-conversation sequence. The upsert takes its row
 *   lock, so concurrent stores into one conversation queue here and each gets last_seq + 1; a
 *   failed statement undoes the increment with the message, so seqs stay gap-free.
 *   clock_timestamp() is read under that lock, so created_at never goes backwards as seq grows.
 * - `members`: both members exist and the receiver's unread count grows. It reads `allocated`,
 *   so it runs after the conversation row is locked — the order markRead locks them in too.
 * - the message itself; a repeated (sender, clientMessageId) fails on its unique key.
 */
const STORE_MESSAGE = `
  with allocated as (
    insert into conversations as c (id, last_seq, last_message_id, last_message, last_message_at)
    values (?, 1, ?, ?, clock_timestamp())
    on conflict (id) do update set
      last_seq = c.last_seq + 1,
      last_message_id = excluded.last_message_id,
      last_message = excluded.last_message,
      last_message_at = greatest(c.last_message_at, clock_timestamp()),
      updated_at = clock_timestamp()
    returning id, last_seq, last_message_at
  ), members as (
    insert into conversation_members as cm (conversation_id, user_id, unread_count)
    select allocated.id, member.user_id, member.unread_count
    from allocated cross join (values (?::text, 0), (?::text, 1)) as member (user_id, unread_count)
    on conflict (conversation_id, user_id) do update
      set unread_count = cm.unread_count + excluded.unread_count
      where excluded.unread_count > 0
  )
  insert into messages
    (id, conversation_id, seq, sender_id, receiver_id, body, client_message_id, created_at)
  select ?, allocated.id, allocated.last_seq, ?, ?, ?, ?, allocated.last_message_at
  from allocated
  returning ${MESSAGE_COLUMNS.join(', ')}`;

export function createMessageStore(knex: Knex): MessageStore {
  const findBySenderClientId = async (db: Knex, senderId: string, clientMessageId: string) =>
    (await selectMessages(db)
      .where({ 'm.sender_id': senderId, 'm.client_message_id': clientMessageId })
      .first()) as MessageRow | undefined;

  async function insertMessage(db: Knex, input: NewMessage): Promise<StoredMessage> {
    const id = randomUUID();
    const result = await db.raw<{ rows: Omit<MessageRow, 'read'>[] }>(STORE_MESSAGE, [
      input.conversationId,
      id,
      input.body,
      input.senderId,
      input.receiverId,
      id,
      input.senderId,
      input.receiverId,
      input.body,
      input.clientMessageId,
    ]);
    // The receiver's watermark is at most the previous last_seq, so a new message is unread.
    return toStoredMessage({ ...result.rows[0]!, read: false });
  }

  async function storeMessage(
    input: NewMessage,
    trx?: Knex.Transaction,
  ): Promise<StoreMessageResult> {
    if (
      input.senderId === input.receiverId ||
      input.conversationId !== canonicalConversationId(input.senderId, input.receiverId)
    ) {
      throw new AppError('INVALID_CONVERSATION');
    }
    try {
      // Inside a caller's transaction, a savepoint: a duplicate must not abort the caller's work.
      const message = trx
        ? await trx.transaction((savepoint) => insertMessage(savepoint, input))
        : await insertMessage(knex, input);
      return { message, created: true };
    } catch (error) {
      // Stored before — by a client re-sending, a redelivered command or a concurrent twin.
      if (!isUniqueViolation(error, 'messages_sender_client_id_key')) throw error;
      const existing = await findBySenderClientId(
        trx ?? knex,
        input.senderId,
        input.clientMessageId,
      );
      if (!existing) throw error;
      return { message: toStoredMessage(existing), created: false };
    }
  }

  async function findMessage(id: string): Promise<StoredMessage | undefined> {
    if (!UUID.test(id)) return undefined;
    const row = (await selectMessages(knex).where('m.id', id).whereNull('m.deleted_at').first()) as
      MessageRow | undefined;
    return row && toStoredMessage(row);
  }

  async function listMessages(conversationId: string, page: MessagePage): Promise<StoredMessage[]> {
    assertCount('limit', page.limit, 1);
    const query = selectMessages(knex)
      .where('m.conversation_id', conversationId)
      .whereNull('m.deleted_at')
      .limit(page.limit);
    if (page.offset !== undefined) {
      assertCount('offset', page.offset, 0);
      if (page.beforeSeq !== undefined || page.afterSeq !== undefined) {
        throw new RangeError('a message page takes offset or beforeSeq/afterSeq, not both');
      }
      return toStoredMessages(await query.orderBy('m.seq', 'desc').offset(page.offset));
    }
    if (page.beforeSeq !== undefined) {
      assertCount('beforeSeq', page.beforeSeq, 0);
      query.where('m.seq', '<', page.beforeSeq);
    }
    if (page.afterSeq !== undefined) {
      assertCount('afterSeq', page.afterSeq, 0);
      query.where('m.seq', '>', page.afterSeq);
    }
    return toStoredMessages(
      await query.orderBy('m.seq', page.afterSeq === undefined ? 'desc' : 'asc'),
    );
  }

  async function listMessagesByIds(ids: readonly string[]): Promise<StoredMessage[]> {
    const uuids = [...new Set(ids.filter((id) => UUID.test(id)))];
    if (uuids.length === 0) return [];
    const rows = (await selectMessages(knex)
      .whereRaw('m.id = any(?::uuid[])', [uuids])
      .whereNull('m.deleted_at')
      .orderBy([
        { column: 'm.created_at', order: 'asc' },
        { column: 'm.conversation_id', order: 'asc' },
        { column: 'm.seq', order: 'asc' },
      ])) as MessageRow[];
    return toStoredMessages(rows);
  }

  return withRedactedErrors({ storeMessage, findMessage, listMessages, listMessagesByIds });
}

/** Pages come from validated requests; anything else here is a bug in the caller. */
function assertCount(name: string, value: number, min: number): void {
  if (!Number.isSafeInteger(value) || value < min) {
    throw new RangeError(`${name} must be an integer of at least ${min}, got ${value}`);
  }
}
