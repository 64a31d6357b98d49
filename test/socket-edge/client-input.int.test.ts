import { io } from 'socket.io-client';
import { canonicalConversationId } from '@chat/contracts';
import {
  TEST_JWT_SECRET,
  mintToken,
  confirmBooking,
  connectUser,
  newUserId,
  nextEvent,
  sendWithAck,
  type ClientSocket,
} from '@chat/testing';
import { conversationRoom } from '../../services/socket-edge/src/entry-points/socket/rooms';
import { startChatStack, type ChatStack } from '../support/chat-stack';

describe('socket-edge client input', () => {
  let stack: ChatStack;
  const sockets: ClientSocket[] = [];

  beforeAll(async () => {
    stack = await startChatStack({ label: 'input' });
  });
  afterEach(() => {
    for (const socket of sockets.splice(0)) socket.disconnect();
  });
  afterAll(async () => {
    await stack.close();
  });

  const connect = async (userId: string) => {
    const result = await connectUser(stack.edgeUrls[0]!, userId);
    sockets.push(result.socket);
    return result;
  };
  const connectError = (auth: Record<string, unknown>, extraHeaders?: Record<string, string>) =>
    new Promise<Error & { data?: { code: string } }>((resolve, reject) => {
      const socket = io(stack.edgeUrls[0]!, {
        auth,
        extraHeaders,
        transports: ['polling'],
        reconnection: false,
        forceNew: true,
      });
      socket.on('connect', () => {
        socket.disconnect();
        reject(new Error('connected although it should not'));
      });
      socket.on('connect_error', (error) => {
        socket.disconnect();
        resolve(error as Error & { data?: { code: string } });
      });
    });
  const storedCount = async (conversationId: string) =>
    Number(
      (
        await stack.db.knex('messages').where({ conversation_id: conversationId }).count({ n: '*' })
      )[0]!.n,
    );

  describe('handshake', () => {
    it('when no token is given, then connect_error says a token is required', async () => {
      const error = await connectError({});
      expect(error.message).toMatch(/token is required/i);
      expect(error.data?.code).toBe('UNAUTHENTICATED');
    });

    it('when the token is expired, then connect_error says so', async () => {
      const error = await connectError({ token: mintToken(newUserId(), { expiresIn: -10 }) });
      expect(error.data?.code).toBe('TOKEN_EXPIRED');
      expect(error.message).toMatch(/expired/i);
    });

    it('when the token is signed with another secret, then the connection is refused', async () => {
      const error = await connectError({
        token: mintToken(newUserId(), { secret: `${TEST_JWT_SECRET}-other` }),
      });
      expect(error.data?.code).toBe('UNAUTHENTICATED');
    });

    it('when the token comes in an Authorization header, then the socket connects', async () => {
      const userId = newUserId();
      const socket: ClientSocket = io(stack.edgeUrls[0]!, {
        extraHeaders: { Authorization: `Bearer ${mintToken(userId)}` },
        transports: ['polling'],
        reconnection: false,
        forceNew: true,
      });
      sockets.push(socket);
      expect((await nextEvent(socket, 'connected')).userId).toBe(userId);
    });

    it('when the token expires while connected, then the socket gets TOKEN_EXPIRED and is disconnected', async () => {
      const socket: ClientSocket = io(stack.edgeUrls[0]!, {
        auth: { token: mintToken(newUserId(), { expiresIn: 2 }) },
        transports: ['websocket'],
        reconnection: false,
        forceNew: true,
      });
      sockets.push(socket);
      await nextEvent(socket, 'connected');
      const disconnected = new Promise<string>((resolve) => socket.once('disconnect', resolve));
      expect(await nextEvent(socket, 'error', 5000)).toMatchObject({ code: 'TOKEN_EXPIRED' });
      expect(await disconnected).toBe('io server disconnect');
    });
  });

  describe('conversation rooms', () => {
    it('when a member joins and leaves, then joined-conversation and left-conversation answer', async () => {
      const [userId, partner] = [newUserId(), newUserId()];
      await confirmBooking(stack.db, userId, partner);
      const conversationId = canonicalConversationId(userId, partner);
      const { socket } = await connect(userId);
      socket.emit('join-conversation', conversationId);
      expect(await nextEvent(socket, 'joined-conversation')).toMatchObject({ conversationId });
      socket.emit('leave-conversation', conversationId);
      expect(await nextEvent(socket, 'left-conversation')).toMatchObject({ conversationId });
    });

    // Nothing is emitted to a conversation room (deliveries go to user rooms), so what a refused
    // join must not do is visible on the server only: the socket is not in the room.
    it('when a non-member joins a conversation, then it is refused and kept out of its room', async () => {
      const [a, b] = [newUserId(), newUserId()];
      await confirmBooking(stack.db, a, b);
      const conversationId = canonicalConversationId(a, b);
      const { socket: intruder } = await connect(newUserId());
      const { socket: member } = await connect(a);
      intruder.emit('join-conversation', conversationId);
      expect(await nextEvent(intruder, 'error')).toMatchObject({
        code: 'NOT_A_MEMBER',
        event: 'join-conversation',
      });
      member.emit('join-conversation', conversationId);
      await nextEvent(member, 'joined-conversation');

      const room = stack.edges[0]!.io.sockets.adapter.rooms.get(conversationRoom(conversationId));
      expect([...(room ?? [])]).toEqual([member.id]);
    });

    it('when join-conversation gets something that is not a conversation id, then it answers VALIDATION_FAILED', async () => {
      const { socket } = await connect(newUserId());
      socket.emit('join-conversation', { $ne: null } as never);
      expect(await nextEvent(socket, 'error')).toMatchObject({ code: 'VALIDATION_FAILED' });
    });
  });

  describe('send-message validation', () => {
    it('when the conversationId is not the pair of sender and receiver, then it is refused and nothing is stored', async () => {
      const [sender, receiver, other] = [newUserId(), newUserId(), newUserId()];
      await confirmBooking(stack.db, sender, receiver);
      const { socket } = await connect(sender);
      const forged = canonicalConversationId(receiver, other);
      const ack = await sendWithAck(socket, {
        conversationId: forged,
        receiverId: receiver,
        message: 'hi',
      });
      expect(ack).toMatchObject({ ok: false, error: { code: 'INVALID_CONVERSATION' } });
      expect(await storedCount(forged)).toBe(0);
      expect(await storedCount(canonicalConversationId(sender, receiver))).toBe(0);
    });

    it.each([
      ['not an object', 'hello', 'VALIDATION_FAILED'],
      ['null', null, 'VALIDATION_FAILED'],
      ['a number as message', { message: 42 }, 'VALIDATION_FAILED'],
      ['missing fields', {}, 'VALIDATION_FAILED'],
      ['an empty message', { message: '   ' }, 'VALIDATION_FAILED'],
      // Longer than MESSAGE_MAX_LENGTH but within the packet size (a 1 MB packet closes the
      // connection: socket-work-limits.int.test.ts).
      ['a message over the length limit', { message: 'x'.repeat(4001) }, 'PAYLOAD_TOO_LARGE'],
      ['an extra senderId field', { senderId: 'someone-else' }, 'VALIDATION_FAILED'],
      ['an array', [1, 2, 3], 'VALIDATION_FAILED'],
    ])(
      'when the payload is %s, then the sender gets a coded error and the server keeps serving',
      async (_label, shape, code) => {
        const [sender, receiver] = [newUserId(), newUserId()];
        await confirmBooking(stack.db, sender, receiver);
        const conversationId = canonicalConversationId(sender, receiver);
        const { socket } = await connect(sender);
        const payload =
          typeof shape === 'object' && shape !== null && !Array.isArray(shape)
            ? { conversationId, receiverId: receiver, message: 'valid', ...shape }
            : shape;
        if (typeof shape === 'object' && shape !== null && Object.keys(shape).length === 0) {
          // "missing fields": send only the message.
          (payload as Record<string, unknown>).conversationId = undefined;
        }
        const errorEvent = nextEvent(socket, 'error');
        const ack = await sendWithAck(socket, payload);
        expect(ack).toMatchObject({ ok: false, error: { code } });
        expect(await errorEvent).toMatchObject({ code, event: 'send-message' });
        expect(await storedCount(conversationId)).toBe(0);

        // Same socket still works, and the identity still comes from the token.
        const good = await sendWithAck(socket, {
          conversationId,
          receiverId: receiver,
          message: 'after',
        });
        expect(good).toMatchObject({ ok: true, message: { senderId: sender, message: 'after' } });
      },
    );

    it('when send-message is emitted without an acknowledgement, then the error still arrives as an event', async () => {
      const { socket } = await connect(newUserId());
      socket.emit('send-message', 'garbage' as never);
      expect(await nextEvent(socket, 'error')).toMatchObject({
        code: 'VALIDATION_FAILED',
        event: 'send-message',
      });
    });

    it('when a user sends to themselves, then it is refused', async () => {
      const userId = newUserId();
      const { socket } = await connect(userId);
      const ack = await sendWithAck(socket, {
        conversationId: canonicalConversationId(userId, userId),
        receiverId: userId,
        message: 'me',
      });
      expect(ack).toMatchObject({ ok: false, error: { code: 'VALIDATION_FAILED' } });
    });
  });
});
