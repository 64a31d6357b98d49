import { canonicalConversationId, type ChatMessage } from '@chat/contracts';
import {
  bookedPair,
  confirmBooking,
  collect,
  connectUser,
  eventually,
  newUserId,
  nextEvent,
  sendSentinel,
  sendWithAck,
  type ClientSocket,
} from '@chat/testing';
import { startChatStack, type ChatStack } from '../support/chat-stack';

describe('real-time messaging', () => {
  let stack: ChatStack;
  const sockets: ClientSocket[] = [];

  beforeAll(async () => {
    // A high send budget: the 500-message test is about order and completeness, not limits.
    // One test has 500 sends of one socket in flight at once: more than the default backlog of a
    // partition, which would refuse the rest with OVERLOADED (send-delayed.int.test.ts shows it).
    stack = await startChatStack({
      label: 'msg',
      // 500 sends of one socket in flight at once (back to back below).
      env: {
        SEND_RATE_LIMIT: '1000',
        SEND_BACKLOG_PER_PARTITION: '1000',
        SOCKET_MAX_PENDING_SENDS: '1000',
      },
    });
  });
  afterEach(() => {
    for (const socket of sockets.splice(0)) socket.disconnect();
  });
  afterAll(async () => {
    await stack.close();
  });

  const connect = async (userId: string, edge = 0) => {
    const result = await connectUser(stack.edgeUrls[edge]!, userId);
    sockets.push(result.socket);
    return result;
  };
  const storedCount = async (conversationId: string) =>
    Number(
      (
        await stack.db.knex('messages').where({ conversation_id: conversationId }).count({ n: '*' })
      )[0]!.n,
    );

  it('when two users with a booking message each other, then each side gets message-sent and new-message with the stored fields', async () => {
    const student = newUserId('student');
    const tutor = newUserId('tutor');
    await confirmBooking(stack.db, student, tutor);
    const conversationId = canonicalConversationId(student, tutor);
    const { socket: studentSocket } = await connect(student);
    const { socket: tutorSocket } = await connect(tutor);

    const sentToStudent = nextEvent(studentSocket, 'message-sent');
    const arrivedAtTutor = nextEvent(tutorSocket, 'new-message');
    const ack = await sendWithAck(studentSocket, {
      conversationId,
      receiverId: tutor,
      message: '  Hello, how are you?  ',
      clientMessageId: 'c-1',
    });
    expect(ack).toMatchObject({ ok: true });
    const stored = ack.ok ? ack.message : undefined;
    expect(stored).toMatchObject({
      conversationId,
      senderId: student,
      receiverId: tutor,
      message: 'Hello, how are you?',
      read: false,
      seq: 1,
      clientMessageId: 'c-1',
    });
    expect(typeof stored!.id).toBe('string');
    expect(new Date(stored!.timestamp).toISOString()).toBe(stored!.timestamp);
    expect(await sentToStudent).toEqual(stored);
    expect(await arrivedAtTutor).toEqual(stored);

    const reply = nextEvent(studentSocket, 'new-message');
    const replyAck = await sendWithAck(tutorSocket, {
      conversationId,
      receiverId: student,
      message: 'Fine!',
    });
    expect(replyAck).toMatchObject({
      ok: true,
      message: { senderId: tutor, receiverId: student, seq: 2 },
    });
    expect(await reply).toMatchObject({ senderId: tutor, message: 'Fine!', seq: 2 });
  });

  it('when the users share no booking, then the sender gets BOOKING_REQUIRED and nothing is stored', async () => {
    const sender = newUserId();
    const receiver = newUserId();
    const conversationId = canonicalConversationId(sender, receiver);
    const { socket } = await connect(sender);
    const errorEvent = nextEvent(socket, 'error');
    const ack = await sendWithAck(socket, {
      conversationId,
      receiverId: receiver,
      message: 'hi',
      clientMessageId: 'x1',
    });
    expect(ack).toEqual({
      ok: false,
      error: { code: 'BOOKING_REQUIRED', message: expect.any(String) },
    });
    expect(await errorEvent).toMatchObject({ code: 'BOOKING_REQUIRED', clientMessageId: 'x1' });
    expect(await storedCount(conversationId)).toBe(0);
  });

  it('when the receiver is offline, then connected.queuedMessages holds every message in order with the unread count, once', async () => {
    const { sender, receiver, conversationId } = await bookedPair(stack.db);
    const { socket } = await connect(sender);
    for (let i = 1; i <= 5; i++) {
      expect(
        await sendWithAck(socket, { conversationId, receiverId: receiver, message: `m${i}` }),
      ).toMatchObject({ ok: true });
    }
    let first: Awaited<ReturnType<typeof connect>> | undefined;
    await eventually(async () => {
      // The offline queue is filled by a consumer: wait until all five are there.
      first?.socket.disconnect();
      first = await connect(receiver);
      if (first.connected.queuedMessages.length === 5) return true;
      return false;
    });
    expect(first!.connected.queuedMessages.map((m: ChatMessage) => m.message)).toEqual([
      'm1',
      'm2',
      'm3',
      'm4',
      'm5',
    ]);
    expect(first!.connected.unreadCount).toBe(5);
    await new Promise((resolve) => setTimeout(resolve, 2500)); // past the offline confirm window
    first!.socket.disconnect();
    const second = await connect(receiver);
    expect(second.connected.queuedMessages).toEqual([]);
    expect(second.connected.unreadCount).toBe(5);
  });

  // That the partner hears user-offline only once the last of them closes is in
  // multi-node.int.test.ts, where a barrier (the node's clean-up) can prove it without a sleep.
  it('when a user has two sockets, then each gets every message once', async () => {
    const user = newUserId();
    const partner = newUserId();
    await confirmBooking(stack.db, user, partner);
    const conversationId = canonicalConversationId(user, partner);
    const { socket: partnerSocket } = await connect(partner);
    await sendWithAck(partnerSocket, { conversationId, receiverId: user, message: 'first' });
    const { socket: a } = await connect(user);
    const { socket: b } = await connect(user);
    a.emit('join-conversation', conversationId);
    await nextEvent(a, 'joined-conversation');
    const onA = collect(a, 'new-message');
    const onB = collect(b, 'new-message');

    for (let i = 0; i < 3; i++)
      await sendWithAck(partnerSocket, { conversationId, receiverId: user, message: `x${i}` });
    await sendSentinel(partnerSocket, { conversationId, receiverId: user }, [onA, onB]);
    expect(onA.map((m) => m.message)).toEqual(['x0', 'x1', 'x2', 'sentinel']);
    expect(onB.map((m) => m.message)).toEqual(['x0', 'x1', 'x2', 'sentinel']);
  });

  it('when the same clientMessageId is sent twice, then one row is stored and the receiver gets it once', async () => {
    const { sender, receiver, conversationId } = await bookedPair(stack.db);
    const { socket } = await connect(sender);
    const { socket: receiverSocket } = await connect(receiver);
    const received = collect(receiverSocket, 'new-message');
    const payload = {
      conversationId,
      receiverId: receiver,
      message: 'once',
      clientMessageId: 'dup-1',
    };
    const first = await sendWithAck(socket, payload);
    const second = await sendWithAck(socket, payload);
    expect(first).toMatchObject({ ok: true, message: { message: 'once' } });
    expect(second).toMatchObject({ ok: true, message: { id: first.ok && first.message.id } });
    await sendSentinel(socket, { conversationId, receiverId: receiver }, [received]);
    expect(received.map((m) => m.message)).toEqual(['once', 'sentinel']);
    expect(await storedCount(conversationId)).toBe(2); // 'once' and the sentinel
  });

  it('when 500 messages are sent back to back, then all arrive in order without duplicates and 500 rows are stored', async () => {
    const { sender, receiver, conversationId } = await bookedPair(stack.db);
    const { socket } = await connect(sender);
    const { socket: receiverSocket } = await connect(receiver);
    const received = collect(receiverSocket, 'new-message');
    const acks: Promise<unknown>[] = [];
    for (let i = 0; i < 500; i++) {
      acks.push(
        sendWithAck(socket, { conversationId, receiverId: receiver, message: `n${i}` }, 60_000),
      );
    }
    await Promise.all(acks);
    await eventually(() => received.length >= 500, 30_000);
    await sendSentinel(socket, { conversationId, receiverId: receiver }, [received]);
    expect(received.map((m) => m.message)).toEqual([
      ...Array.from({ length: 500 }, (_, i) => `n${i}`),
      'sentinel',
    ]);
    expect(received.map((m) => m.seq)).toEqual(Array.from({ length: 501 }, (_, i) => i + 1));
    expect(await storedCount(conversationId)).toBe(501);
  }, 90_000);
});
