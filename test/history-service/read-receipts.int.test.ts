import amqplib, { type Channel, type ChannelModel } from 'amqplib';
import {
  canonicalConversationId,
  topologyNames,
  type ConversationListItem,
  type ConversationReadV1,
} from '@chat/contracts';
import {
  testServiceUrls,
  confirmBooking,
  collect,
  connectUser,
  eventually,
  nextEvent,
  sendWithAck,
  type ClientSocket,
} from '@chat/testing';
import { startChatStack, type ChatStack } from '../support/chat-stack';
import {
  newUserId,
  request,
  startHistoryTestServer,
  type HistoryTestServer,
} from '../../services/history-service/test/support/history-server';

/*
 * The whole system: message-service and an edge (startChatStack) with history-service on the
 * same database, Redis and namespace, so REST reads and socket events meet as in production.
 */
describe('read receipts and unread counts across the stack', () => {
  let stack: ChatStack;
  let history: HistoryTestServer;
  let amqp: ChannelModel;
  let channel: Channel;
  const sockets: ClientSocket[] = [];

  beforeAll(async () => {
    stack = await startChatStack({ label: 'rcpt' });
    history = await startHistoryTestServer({
      namespace: stack.namespace,
      db: stack.db,
      redis: stack.redis,
    });
    amqp = await amqplib.connect(testServiceUrls().rabbitmqUrl);
    channel = await amqp.createChannel();
  });
  afterEach(() => {
    for (const socket of sockets.splice(0)) socket.disconnect();
  });
  afterAll(async () => {
    await amqp.close();
    await history.close();
    await stack.close();
  });

  const connect = async (userId: string) => {
    const result = await connectUser(stack.edgeUrls[0]!, userId);
    sockets.push(result.socket);
    return result;
  };
  const unreadOf = async (userId: string, conversationId: string) => {
    const response = await request<ConversationListItem[]>(
      history.baseUrl,
      `/chat/conversations/${userId}`,
      { as: userId },
    );
    return response.body.find((item) => item.id === conversationId)?.unreadCount;
  };
  const markRead = (conversationId: string, as: string) =>
    request(history.baseUrl, `/chat/conversations/${conversationId}/read`, {
      method: 'PATCH',
      as,
    });
  /** Every chat.conversation.read.v1 published from now on. */
  const watchReadEvents = async () => {
    const { queue } = await channel.assertQueue('', { exclusive: true, autoDelete: true });
    await channel.bindQueue(
      queue,
      topologyNames(stack.namespace).eventsExchange,
      'chat.conversation.read.v1',
    );
    const events: ConversationReadV1[] = [];
    await channel.consume(
      queue,
      (message) => {
        if (message) events.push(JSON.parse(message.content.toString()) as ConversationReadV1);
      },
      { noAck: true },
    );
    return events;
  };

  it('when the receiver marks read over REST, then the sender’s socket gets messages-read once and chat.conversation.read.v1 is published', async () => {
    const student = newUserId('student');
    const tutor = newUserId('tutor');
    const conversationId = canonicalConversationId(student, tutor);
    await confirmBooking(stack.db, student, tutor);
    const { socket: studentSocket } = await connect(student);
    await sendWithAck(studentSocket, { conversationId, receiverId: tutor, message: 'first' });
    const last = await sendWithAck(studentSocket, {
      conversationId,
      receiverId: tutor,
      message: 'second',
    });
    if (!last.ok) throw new Error(`send failed: ${last.error.message}`);
    const events = await watchReadEvents();
    const receipts = collect(studentSocket, 'messages-read');
    const receipt = nextEvent(studentSocket, 'messages-read');

    const response = await markRead(conversationId, tutor);

    expect(response.status).toBe(200);
    const payload = await receipt;
    expect(payload).toEqual({
      conversationId,
      readerId: tutor,
      upToMessageId: last.message.id,
      readAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT.*Z$/),
    });
    await eventually(() => events.length === 1);
    expect(events[0]).toEqual({
      type: 'chat.conversation.read.v1',
      conversationId,
      readerId: tutor,
      upToMessageId: last.message.id,
      upToSeq: 2,
      readAt: payload.readAt,
    });

    // Marking read again announces nothing new. The sentinel: a later message, marked read,
    // is announced after anything the repeated mark-read would have announced.
    expect((await markRead(conversationId, tutor)).status).toBe(200);
    const later = await sendWithAck(studentSocket, {
      conversationId,
      receiverId: tutor,
      message: 'third',
    });
    if (!later.ok) throw new Error(`send failed: ${later.error.message}`);
    expect((await markRead(conversationId, tutor)).status).toBe(200);
    await eventually(() => receipts.length >= 2 && events.length >= 2);
    expect(receipts.map((announced) => announced.upToMessageId)).toEqual([
      last.message.id,
      later.message.id,
    ]);
    expect(events.map((announced) => announced.upToSeq)).toEqual([2, 3]);
  });

  it('when messages arrive and are read, then REST, connected.unreadCount and mark-read agree at every step', async () => {
    const student = newUserId('student');
    const tutor = newUserId('tutor');
    const other = newUserId('other');
    const conversationId = canonicalConversationId(student, tutor);
    const otherConversationId = canonicalConversationId(other, tutor);
    await confirmBooking(stack.db, student, tutor);
    await confirmBooking(stack.db, other, tutor);
    const { socket: studentSocket } = await connect(student);
    const { socket: otherSocket } = await connect(other);
    for (const message of ['a', 'b', 'c']) {
      expect(
        await sendWithAck(studentSocket, { conversationId, receiverId: tutor, message }),
      ).toMatchObject({ ok: true });
    }
    expect(
      await sendWithAck(otherSocket, {
        conversationId: otherConversationId,
        receiverId: tutor,
        message: 'x',
      }),
    ).toMatchObject({ ok: true });

    const before = await connect(tutor);
    const restBefore = [
      await unreadOf(tutor, conversationId),
      await unreadOf(tutor, otherConversationId),
    ];
    before.socket.disconnect();

    expect(restBefore).toEqual([3, 1]);
    expect(before.connected.unreadCount).toBe(4);

    expect((await markRead(conversationId, tutor)).status).toBe(200);
    const after = await connect(tutor);

    expect(await unreadOf(tutor, conversationId)).toBe(0);
    expect(await unreadOf(tutor, otherConversationId)).toBe(1);
    expect(after.connected.unreadCount).toBe(1);

    expect((await markRead(otherConversationId, tutor)).status).toBe(200);
    const allRead = await connect(tutor);
    expect(await unreadOf(tutor, otherConversationId)).toBe(0);
    expect(allRead.connected.unreadCount).toBe(0);
  });
});
