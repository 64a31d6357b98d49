import { conversationArgSchema, conversationPartner } from '@chat/contracts';
import { AppError } from '@chat/errors';
import type { Logger } from '@chat/observability';
import { conversationRoom } from './rooms';
import { reportSocketError } from './socket-errors';
import type { ChatSocket } from './types';

/**
 * `join-conversation` / `leave-conversation`. A direct conversation's id names its two members,
 * so only they may join; anyone else gets NOT_A_MEMBER — the same answer as for an id that
 * does not exist — and is never added to the room.
 */
export function registerConversationRooms(socket: ChatSocket, logger: Logger): void {
  const log = logger.child({ module: 'edge:rooms' });
  const readConversationId = (value: unknown): string => {
    const parsed = conversationArgSchema.safeParse(value);
    if (!parsed.success) {
      throw new AppError(
        'VALIDATION_FAILED',
        'conversationId must be a string "<userId>_<userId>"',
      );
    }
    return parsed.data;
  };

  socket.on('join-conversation', (value: unknown) => {
    try {
      const conversationId = readConversationId(value);
      if (conversationPartner(conversationId, socket.data.user.userId) === undefined) {
        throw new AppError('NOT_A_MEMBER');
      }
      void socket.join(conversationRoom(conversationId));
      socket.emit('joined-conversation', { conversationId, timestamp: new Date().toISOString() });
    } catch (error) {
      reportSocketError(socket, log, error, { event: 'join-conversation' });
    }
  });

  socket.on('leave-conversation', (value: unknown) => {
    try {
      const conversationId = readConversationId(value);
      void socket.leave(conversationRoom(conversationId));
      socket.emit('left-conversation', { conversationId, timestamp: new Date().toISOString() });
    } catch (error) {
      reportSocketError(socket, log, error, { event: 'leave-conversation' });
    }
  });
}
