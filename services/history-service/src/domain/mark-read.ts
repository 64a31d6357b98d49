import {
  conversationPartner,
  delivery,
  userRoutingKey,
  type ConversationReadV1,
  type TopologyNames,
} from '@chat/contracts';
import type { ConversationStore, OutboxStore, ReadResult, RunInTransaction } from '@chat/db';

export interface MarkReadDeps {
  /** The unit of work the watermark and its outbox rows commit in (Db.transaction). */
  transaction: RunInTransaction;
  conversations: ConversationStore;
  outbox: OutboxStore;
  names: TopologyNames;
  /** Called after a commit that added outbox rows (the relay's kick). */
  onOutboxWrite?: () => void;
}

/** Marks what `readerId` received in the conversation read; throws AppError NOT_A_MEMBER. */
export type MarkRead = (
  conversationId: string,
  readerId: string,
  correlationId?: string,
) => Promise<ReadResult>;

/**
 * The watermark, the zeroed unread count and the outbox rows announcing them commit together,
 * so the read receipt (`messages-read` to the other member's sockets) and the domain event
 * (`chat.conversation.read.v1`) go out exactly when the read is stored, even if the process dies
 * right after the commit. Nothing is announced when nothing was unread, so marking read again
 * is a no-op.
 *
 * Unread counts live in PostgreSQL only (conversation_members.unread_count, which
 * `connected.unreadCount` and the REST list also read); no Redis copy exists that could
 * disagree, so there is none to zero here.
 */
export function createMarkRead(deps: MarkReadDeps): MarkRead {
  const { names, outbox } = deps;
  return async (conversationId, readerId, correlationId) => {
    const result = await deps.transaction(async (trx) => {
      const read = await deps.conversations.markRead(conversationId, readerId, trx);
      if (!read.changed) return read;
      const readAt = read.readAt.toISOString();
      // Conversations are pairs; a group would list its other members here instead.
      const partner = conversationPartner(conversationId, readerId);
      if (partner) {
        await outbox.add(trx, {
          exchange: names.deliveryExchange,
          routingKey: userRoutingKey(partner),
          payload: delivery(
            partner,
            'messages-read',
            { conversationId, readerId, upToMessageId: read.upToMessageId, readAt },
            correlationId,
          ),
        });
      }
      const event: ConversationReadV1 = {
        type: 'chat.conversation.read.v1',
        conversationId,
        readerId,
        upToMessageId: read.upToMessageId,
        upToSeq: read.upToSeq,
        readAt,
      };
      await outbox.add(trx, {
        exchange: names.eventsExchange,
        routingKey: event.type,
        payload: event,
      });
      return read;
    });
    if (result.changed) deps.onOutboxWrite?.();
    return result;
  };
}
