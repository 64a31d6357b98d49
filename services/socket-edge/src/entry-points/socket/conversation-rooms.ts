import { conversationArgSchema, conversationPartner } from '@chat/contracts';
import { AppError } from '@chat/errors';
import type { Logger } from '@chat/observability';
import type { RateLimit } from '@chat/redis';
import type { ConversationAccess } from '../../domain/conversation-access';
import { conversationRoom } from './rooms';
import { reportSocketError } from './socket-errors';
import type { ChatSocket } from './chat-socket';

export interface ConversationRoomsDeps {
  /** Who may join which conversation (conversation-access.ts). */
  access: ConversationAccess;
  /** join-conversation events per socket (JOIN_RATE_LIMIT per JOIN_RATE_WINDOW_SEC), keyed by socket id. */
  joinRateLimit: RateLimit;
  /** Conversation rooms a socket may be in at once (MAX_ROOMS_PER_SOCKET). */
  maxRoomsPerSocket: number;
  logger: Logger;
}

const ROOM_PREFIX = conversationRoom('');

/**
 * `join-conversation` / `leave-conversation`. Only a member may join: someone whose id the
 * conversation id names and who shares a booking or the conversation with the other user.
 * Anyone else gets NOT_A_MEMBER — the same answer as for an id that does not exist — and is
 * never added to the room. Joins are rate-limited per socket (RATE_LIMITED) and a socket is in
 * at most `maxRoomsPerSocket` rooms (TOO_MANY_ROOMS); joining a room it is in costs no slot.
 * A socket's room events are answered in the order they came, so a leave right after a join
 * whose check is still running leaves the room instead of being overtaken by it.
 *
 * Returns what registers them on a socket; the logger and helpers are made once, not per socket.
 */
export function createConversationRooms(deps: ConversationRoomsDeps): (socket: ChatSocket) => void {
  const log = deps.logger.child({ module: 'edge:rooms' });
  // The tail of each socket's room events still running; empty for sockets at rest.
  const running = new Map<string, Promise<void>>();

  const inOrder = (socket: ChatSocket, work: () => Promise<void>) => {
    const tail = (running.get(socket.id) ?? Promise.resolve()).then(work);
    running.set(socket.id, tail);
    void tail.finally(() => {
      if (running.get(socket.id) === tail) running.delete(socket.id);
    });
  };

  async function join(socket: ChatSocket, value: unknown, admitted: Promise<unknown>) {
    try {
      const refusal = await admitted;
      if (refusal) throw refusal;
      const conversationId = readConversationId(value);
      const { userId } = socket.data.user;
      if (conversationPartner(conversationId, userId) === undefined) {
        throw new AppError('NOT_A_MEMBER');
      }
      const room = conversationRoom(conversationId);
      if (!socket.rooms.has(room)) {
        assertRoomForOneMore(socket, deps.maxRoomsPerSocket);
        if (!(await deps.access(userId, conversationId))) throw new AppError('NOT_A_MEMBER');
        if (socket.disconnected) return;
        void socket.join(room);
      }
      socket.emit('joined-conversation', { conversationId, timestamp: new Date().toISOString() });
    } catch (error) {
      reportSocketError(socket, log, error, { event: 'join-conversation' });
    }
  }

  async function leave(socket: ChatSocket, value: unknown) {
    try {
      const conversationId = readConversationId(value);
      void socket.leave(conversationRoom(conversationId));
      socket.emit('left-conversation', { conversationId, timestamp: new Date().toISOString() });
    } catch (error) {
      reportSocketError(socket, log, error, { event: 'leave-conversation' });
    }
  }

  return (socket) => {
    socket.on('join-conversation', (value: unknown) => {
      // The point is taken at arrival, so a flood is refused without waiting for its turn.
      const admitted = deps.joinRateLimit.take(socket.id).then(
        () => undefined,
        (error: unknown) => error ?? new Error('join rate limit failed'),
      );
      inOrder(socket, () => join(socket, value, admitted));
    });
    socket.on('leave-conversation', (value: unknown) =>
      inOrder(socket, () => leave(socket, value)),
    );
  };
}

function readConversationId(value: unknown): string {
  const parsed = conversationArgSchema.safeParse(value);
  if (!parsed.success) {
    throw new AppError('VALIDATION_FAILED', 'conversationId must be a string "<userId>_<userId>"');
  }
  return parsed.data;
}

/** Room events run one at a time per socket, so the count cannot change during a check. */
function assertRoomForOneMore(socket: ChatSocket, maxRooms: number): void {
  let rooms = 0;
  for (const room of socket.rooms) if (room.startsWith(ROOM_PREFIX)) rooms++;
  if (rooms >= maxRooms) {
    throw new AppError(
      'TOO_MANY_ROOMS',
      `This connection is in ${rooms} conversations (at most ${maxRooms}); leave one first`,
    );
  }
}
