import type { Knex } from 'knex';

export type { MessageRecord as StoredMessage } from '@chat/contracts';
import type { MessageRecord as StoredMessage } from '@chat/contracts';

interface MessageRow {
  id: string;
  conversation_id: string;
  seq: string | number;
  sender_id: string;
  receiver_id: string;
  body: string;
  client_message_id: string;
  created_at: Date;
  edited_at: Date | null;
  read: boolean;
  delivered: boolean;
}

export const MESSAGE_COLUMNS = [
  'id',
  'conversation_id',
  'seq',
  'sender_id',
  'receiver_id',
  'body',
  'client_message_id',
  'created_at',
  'edited_at',
] as const;

/**
 * Read implies delivered; the greater of the two watermarks also covers members read before
 * the delivered watermark existed (migration 003 did not back-fill it).
 */
export const DELIVERED_SQL = (member: string, message: string) =>
  `coalesce(greatest(${member}.last_delivered_seq, ${member}.last_read_seq) >= ${message}.seq, false)`;

/** Messages (alias `m`) with their derived `read` and `delivered` flags; callers add where/order/limit. */
export function selectMessages(db: Knex): Knex.QueryBuilder {
  return db('messages as m')
    .leftJoin('conversation_members as r', (join) =>
      join
        .on('r.conversation_id', '=', 'm.conversation_id')
        .andOn('r.user_id', '=', 'm.receiver_id'),
    )
    .select([
      ...MESSAGE_COLUMNS.map((column) => `m.${column}`),
      db.raw('coalesce(r.last_read_seq >= m.seq, false) as read'),
      db.raw(`${DELIVERED_SQL('r', 'm')} as delivered`),
    ]);
}

export function toStoredMessage(row: MessageRow): StoredMessage {
  return {
    id: row.id,
    conversationId: row.conversation_id,
    // bigint arrives as a string; a conversation would need 2^53 messages to lose precision.
    seq: Number(row.seq),
    senderId: row.sender_id,
    receiverId: row.receiver_id,
    body: row.body,
    clientMessageId: row.client_message_id,
    createdAt: row.created_at,
    editedAt: row.edited_at,
    read: row.read,
    delivered: row.delivered,
  };
}

export function toStoredMessages(rows: MessageRow[]): StoredMessage[] {
  return rows.map(toStoredMessage);
}

export type { MessageRow };
