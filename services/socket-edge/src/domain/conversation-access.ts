import { conversationPartner } from '@chat/contracts';
import { pairKey, type BookingStore, type ConversationStore } from '@chat/db';
import { AppError } from '@chat/errors';
import { createTurnBatcher } from './turn-batcher';

/** Whether `userId` may join the room of `conversationId`; rejects UNAVAILABLE when unsure. */
export type ConversationAccess = (userId: string, conversationId: string) => Promise<boolean>;

/**
 * A user may join a conversation's room when the id names them and the other user shares a
 * booking with them (in any status: closed conversations keep their history) or the
 * conversation exists with them as a member. The id's shape alone would let anyone watch a
 * room with any stranger. Joins come in bursts (a client rejoins its rooms after a reconnect):
 * the bookings of one turn's joins are read in one query; membership is asked only for pairs
 * without a booking, which are rare.
 */
export function createConversationAccess(stores: {
  bookings: Pick<BookingStore, 'pairStatuses'>;
  conversations: Pick<ConversationStore, 'isMember'>;
}): ConversationAccess {
  const lookup = createTurnBatcher(async (keys: string[]) => {
    const asked = keys.map((key) => {
      const [userId, conversationId] = key.split(' ') as [string, string];
      return { key, userId, conversationId, partner: conversationPartner(conversationId, userId) };
    });
    const statuses = await stores.bookings.pairStatuses(
      asked.flatMap(({ userId, partner }) => (partner ? [[userId, partner] as const] : [])),
      [],
    );
    const allowed = await Promise.all(
      asked.map(async ({ userId, conversationId, partner }) => {
        if (partner === undefined) return false;
        if (statuses.get(pairKey(userId, partner))?.known) return true;
        return stores.conversations.isMember(conversationId, userId);
      }),
    );
    return new Map(asked.map(({ key }, index) => [key, allowed[index]!]));
  });
  return async (userId, conversationId) => {
    try {
      // Neither id can contain a space.
      return await lookup(`${userId} ${conversationId}`);
    } catch (error) {
      throw new AppError('UNAVAILABLE', 'Could not check the conversation, try again', {
        cause: error,
      });
    }
  };
}
