import { canonicalConversationId, topologyNames, type HistoryMessage } from '@chat/contracts';
import { createConversationStore, createOutboxStore } from '@chat/db';
import { createLogger } from '@chat/observability';
import {
  metricValue,
  confirmBooking,
  collect,
  connectUser,
  eventually,
  newUserId,
  nextEvent,
  sendWithAck,
  signalWithAck,
  type ClientSocket,
} from '@chat/testing';
import {
  request,
  startHistoryTestServer,
  type HistoryTestServer,
} from '../../services/history-service/test/support/history-server';
import { createDeliveryReceipts } from '../../services/socket-edge/src/domain/delivery-receipts';
import { startChatStack, type ChatStack } from '../support/chat-stack';

/*
 * The sender on edge 0, the receiver on edge 1, and history-service (with its outbox relay) on
 * the same database and namespace, so receipts cross RabbitMQ and REST reads see them.
 */
describe('delivery receipts', () => {
  let stack: ChatStack;
  let history: HistoryTestServer;
  const sockets: ClientSocket[] = [];

  beforeAll(async () => {
    stack = await startChatStack({
      label: 'dlvr',
      edges: 2,
      env: { MARK_DELIVERED_RATE_LIMIT: '20', MARK_DELIVERED_RATE_WINDOW_SEC: '60' },
    });
    history = await startHistoryTestServer({
      namespace: stack.namespace,
      db: stack.db,
      redis: stack.redis,
    });
  });
  afterEach(() => {
    for (const socket of sockets.splice(0)) socket.disconnect();
  });
  afterAll(async () => {
    await history?.close();
    await stack?.close();
  });

  const connect = async (userId: string, edge: number) => {
    const { socket } = await connectUser(stack.edgeUrls[edge]!, userId);
    sockets.push(socket);
    return socket;
  };
  const markDelivered = (socket: ClientSocket, conversationId: string, upToSeq: unknown) =>
    signalWithAck(socket, 'mark-delivered', { conversationId, upToSeq });
  const send = async (socket: ClientSocket, conversationId: string, to: string, text: string) => {
    const ack = await sendWithAck(socket, { conversationId, receiverId: to, message: text });
    if (!ack.ok) throw new Error(`send failed: ${ack.error.code}`);
    return ack.message;
  };
  const watermark = async (conversationId: string, userId: string) => {
    const row = (await stack.db
      .knex('conversation_members')
      .where({ conversation_id: conversationId, user_id: userId })
      .first('last_delivered_seq')) as { last_delivered_seq: string } | undefined;
    return row === undefined ? undefined : Number(row.last_delivered_seq);
  };
  const receipts = async (outcome: string) =>
    metricValue(await stack.edgeMetrics[1]!.metrics(), 'chat_delivery_receipts_total', {
      outcome,
    });
  /** A sender on edge 0 who sent `count` messages to a receiver on edge 1. */
  const conversationWith = async (count: number) => {
    const sender = newUserId('sender');
    const receiver = newUserId('receiver');
    await confirmBooking(stack.db, sender, receiver);
    const conversationId = canonicalConversationId(sender, receiver);
    const senderSocket = await connect(sender, 0);
    const receiverSocket = await connect(receiver, 1);
    const messages = [];
    for (let i = 1; i <= count; i++) {
      messages.push(await send(senderSocket, conversationId, receiver, `m${i}`));
    }
    return { sender, receiver, conversationId, senderSocket, receiverSocket, messages };
  };

  it('when the receiver marks delivered, then every socket of the sender hears message-delivered once, and a repeat or a lower seq announces nothing', async () => {
    const { sender, receiver, conversationId, senderSocket, receiverSocket, messages } =
      await conversationWith(3);
    const senderElsewhere = await connect(sender, 1);
    const heard = collect(senderSocket, 'message-delivered');
    const heardElsewhere = collect(senderElsewhere, 'message-delivered');
    const unchangedBefore = await receipts('unchanged');

    const first = nextEvent(senderSocket, 'message-delivered');
    expect(await markDelivered(receiverSocket, conversationId, 2)).toEqual({ ok: true });
    expect(await first).toEqual({
      conversationId,
      receiverId: receiver,
      upToSeq: 2,
      upToMessageId: messages[1]!.id,
      deliveredAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/),
    });
    expect(await watermark(conversationId, receiver)).toBe(2);

    expect(await markDelivered(receiverSocket, conversationId, 2)).toEqual({ ok: true });
    expect(await markDelivered(receiverSocket, conversationId, 1)).toEqual({ ok: true });
    expect(await watermark(conversationId, receiver)).toBe(2);
    // Sentinel: the next real move is the next announcement.
    const sentinel = nextEvent(senderSocket, 'message-delivered');
    expect(await markDelivered(receiverSocket, conversationId, 3)).toEqual({ ok: true });
    expect(await sentinel).toMatchObject({ upToSeq: 3, upToMessageId: messages[2]!.id });
    await eventually(() => heardElsewhere.length === 2);

    expect(heard.map((receipt) => receipt.upToSeq)).toEqual([2, 3]);
    expect(heardElsewhere.map((receipt) => receipt.upToSeq)).toEqual([2, 3]);
    expect((await receipts('unchanged')) - unchangedBefore).toBe(2);
    // The edge published and deleted its announcements: no outbox row is left for a relay to repeat.
    await eventually(async () => {
      const [row] = await stack.db
        .knex('outbox')
        .whereRaw(`payload->>'event' = 'message-delivered'`)
        .whereRaw(`payload->'payload'->>'conversationId' = ?`, [conversationId])
        .count({ n: '*' });
      return Number(row!.n) === 0;
    });
  });

  it('when messages are marked delivered, then history shows delivered up to the watermark, and marking read makes the rest delivered without a message-delivered', async () => {
    const { sender, receiver, conversationId, senderSocket, receiverSocket, messages } =
      await conversationWith(3);
    const heard = collect(senderSocket, 'message-delivered');
    const delivered = nextEvent(senderSocket, 'message-delivered');
    expect(await markDelivered(receiverSocket, conversationId, 2)).toEqual({ ok: true });
    await delivered;
    const historyOf = async () =>
      (
        await request<HistoryMessage[]>(
          history.baseUrl,
          `/chat/messages/${conversationId}?after=0`,
          { as: sender },
        )
      ).body.map((message) => [message.seq, message.delivered, message.read]);

    expect(await historyOf()).toEqual([
      [1, true, false],
      [2, true, false],
      [3, false, false],
    ]);

    const read = nextEvent(senderSocket, 'messages-read');
    const marked = await request(history.baseUrl, `/chat/conversations/${conversationId}/read`, {
      method: 'PATCH',
      as: receiver,
    });
    expect(marked.status).toBe(200);
    await read;
    expect(await historyOf()).toEqual([
      [1, true, true],
      [2, true, true],
      [3, true, true],
    ]);
    expect(await watermark(conversationId, receiver)).toBe(3);

    // Read implies delivered: marking the read messages delivered is no news.
    expect(await markDelivered(receiverSocket, conversationId, 3)).toEqual({ ok: true });
    const fourth = await send(senderSocket, conversationId, receiver, 'm4');
    const sentinel = nextEvent(senderSocket, 'message-delivered');
    expect(await markDelivered(receiverSocket, conversationId, 4)).toEqual({ ok: true });
    expect(await sentinel).toMatchObject({ upToSeq: 4, upToMessageId: fourth.id });
    expect(heard.map((receipt) => receipt.upToSeq)).toEqual([2, 4]);
    expect(messages).toHaveLength(3);
  });

  it('when the receiver’s mark covers only their own newer messages, then the watermark moves and the sender hears nothing', async () => {
    const { sender, receiver, conversationId, senderSocket, receiverSocket } =
      await conversationWith(1);
    const heard = collect(senderSocket, 'message-delivered');
    const first = nextEvent(senderSocket, 'message-delivered');
    expect(await markDelivered(receiverSocket, conversationId, 1)).toEqual({ ok: true });
    await first;
    await send(receiverSocket, conversationId, sender, 'my own');

    expect(await markDelivered(receiverSocket, conversationId, 2)).toEqual({ ok: true });
    expect(await watermark(conversationId, receiver)).toBe(2);
    const third = await send(senderSocket, conversationId, receiver, 'm3');
    const sentinel = nextEvent(senderSocket, 'message-delivered');
    expect(await markDelivered(receiverSocket, conversationId, 3)).toEqual({ ok: true });
    expect(await sentinel).toMatchObject({ upToSeq: 3, upToMessageId: third.id });

    expect(heard.map((receipt) => receipt.upToSeq)).toEqual([1, 3]);
  });

  it('when the caller did not receive what it marks, then it is NOT_A_MEMBER or VALIDATION_FAILED and no watermark moves', async () => {
    const { receiver, conversationId, senderSocket, receiverSocket } = await conversationWith(2);
    const heard = collect(senderSocket, 'message-delivered');
    const outsider = newUserId('outsider');
    const outsiderSocket = await connect(outsider, 1);
    const refusedBefore = await receipts('refused');

    expect(await markDelivered(outsiderSocket, conversationId, 1)).toEqual({
      ok: false,
      error: { code: 'NOT_A_MEMBER', message: expect.any(String) },
    });
    // Names the caller, but no message ever made it a conversation.
    expect(
      await markDelivered(receiverSocket, canonicalConversationId(receiver, outsider), 1),
    ).toEqual({ ok: false, error: { code: 'NOT_A_MEMBER', message: expect.any(String) } });
    expect(await markDelivered(receiverSocket, conversationId, 3)).toEqual({
      ok: false,
      error: {
        code: 'VALIDATION_FAILED',
        message: "upToSeq 3 is beyond the conversation's last message (2)",
      },
    });
    expect(await watermark(conversationId, receiver)).toBe(0);
    expect(await watermark(conversationId, outsider)).toBeUndefined();

    const sentinel = nextEvent(senderSocket, 'message-delivered');
    expect(await markDelivered(receiverSocket, conversationId, 2)).toEqual({ ok: true });
    expect(await sentinel).toMatchObject({ upToSeq: 2 });
    expect(heard.map((receipt) => receipt.upToSeq)).toEqual([2]);
    expect((await receipts('refused')) - refusedBefore).toBe(3);
  });

  it('when a mark-delivered payload is malformed, then it is VALIDATION_FAILED and the socket stays usable', async () => {
    const { receiver, conversationId, senderSocket, receiverSocket } = await conversationWith(1);
    const malformed: unknown[] = [
      undefined,
      conversationId,
      { conversationId },
      { conversationId, upToSeq: 0 },
      { conversationId, upToSeq: -1 },
      { conversationId, upToSeq: 1.5 },
      { conversationId, upToSeq: '1' },
      { conversationId, upToSeq: 2 ** 60 },
      { conversationId, upToSeq: 1, receiverId: receiver },
      { conversationId: 'nope', upToSeq: 1 },
    ];
    for (const payload of malformed) {
      expect(await signalWithAck(receiverSocket, 'mark-delivered', payload)).toEqual({
        ok: false,
        error: { code: 'VALIDATION_FAILED', message: expect.stringMatching(/mark-delivered/) },
      });
    }
    const error = nextEvent(receiverSocket, 'error');
    receiverSocket.emit('mark-delivered', { conversationId } as never);
    expect(await error).toMatchObject({ code: 'VALIDATION_FAILED', event: 'mark-delivered' });

    const delivered = nextEvent(senderSocket, 'message-delivered');
    expect(await markDelivered(receiverSocket, conversationId, 1)).toEqual({ ok: true });
    expect(await delivered).toMatchObject({ receiverId: receiver, upToSeq: 1 });
  });

  it('when a socket marks more often than MARK_DELIVERED_RATE_LIMIT, then the excess is RATE_LIMITED and its other events still work', async () => {
    const { receiver, conversationId, senderSocket, receiverSocket } = await conversationWith(1);
    const acks = [];
    for (let i = 0; i < 21; i++) acks.push(await markDelivered(receiverSocket, conversationId, 1));

    expect(acks.slice(0, 20)).toEqual(Array.from({ length: 20 }, () => ({ ok: true })));
    expect(acks[20]).toEqual({
      ok: false,
      error: { code: 'RATE_LIMITED', message: expect.stringMatching(/delivery receipts/) },
    });
    const heard = nextEvent(senderSocket, 'typing');
    expect(
      await signalWithAck(receiverSocket, 'typing', { conversationId, isTyping: true }),
    ).toEqual({ ok: true });
    expect(await heard).toEqual({ conversationId, userId: receiver, isTyping: true });
  });

  it('when the edge cannot publish an announcement, then it stays in the outbox and history-service’s relay delivers it', async () => {
    const { receiver, conversationId, senderSocket, messages } = await conversationWith(1);
    const heard = collect(senderSocket, 'message-delivered');
    const failing = createDeliveryReceipts({
      transaction: stack.db.transaction,
      conversations: createConversationStore(stack.db),
      outbox: createOutboxStore(stack.db),
      publish: () => Promise.reject(new Error('broker refused')),
      names: topologyNames(stack.namespace),
      logger: createLogger({ service: 'test', level: 'silent' }),
    });

    const relayed = nextEvent(senderSocket, 'message-delivered');
    expect(await failing.mark(receiver, conversationId, 1)).toBe('announced');
    await failing.close();

    expect(await relayed).toMatchObject({
      conversationId,
      receiverId: receiver,
      upToSeq: 1,
      upToMessageId: messages[0]!.id,
    });
    expect(heard).toHaveLength(1);
  });
});
