import { randomUUID } from 'node:crypto';
import amqplib from 'amqplib';
import {
  canonicalConversationId,
  conversationPartition,
  topologyNames,
  type SendDelayedPayload,
  type SendMessageAck,
} from '@chat/contracts';
import {
  testServiceUrls,
  connectUser,
  eventually,
  newUserId,
  nextEvent,
  sendWithAck,
  type ClientSocket,
} from '@chat/testing';
import { startChatStack, type ChatStack } from '../support/chat-stack';

const PARTITIONS = 2;
const BACKLOG = 3;

describe('a send that waits for its outcome', () => {
  let stack: ChatStack;
  const sockets: ClientSocket[] = [];

  beforeAll(async () => {
    // No message-service: every send waits until the edge gives up, as during an outage.
    stack = await startChatStack({
      label: 'delayed',
      messageServices: 0,
      env: {
        SEND_DELAYED_NOTICE_MS: '200',
        SEND_ACK_TIMEOUT_MS: '1500',
        CHAT_PARTITIONS: String(PARTITIONS),
        SEND_BACKLOG_PER_PARTITION: String(BACKLOG),
      },
    });
  });
  afterEach(() => {
    for (const socket of sockets.splice(0)) socket.disconnect();
  });
  afterAll(() => stack?.close());

  /** A connected sender, the send-delayed notices it got, and a payload to its partner. */
  async function connectedSender(message: string) {
    const sender = newUserId('s');
    const receiver = newUserId('r');
    const { socket } = await connectUser(stack.edgeUrls[0]!, sender);
    sockets.push(socket);
    const delayed: SendDelayedPayload[] = [];
    socket.on('send-delayed', (notice) => delayed.push(notice));
    const payload = {
      conversationId: canonicalConversationId(sender, receiver),
      receiverId: receiver,
      message,
      clientMessageId: randomUUID(),
    };
    return { socket, delayed, payload };
  }

  it('when its outcome takes longer than the notice time, then the socket gets send-delayed once, and the ack still comes', async () => {
    const { socket, delayed, payload } = await connectedSender('hello?');

    const ack = sendWithAck(socket, payload);
    const notice = await nextEvent(socket, 'send-delayed');

    expect(notice).toEqual({
      clientMessageId: payload.clientMessageId,
      conversationId: payload.conversationId,
      since: expect.any(String),
    });
    expect(await ack).toMatchObject({ ok: false, error: { code: 'TIMEOUT' } });
    expect(delayed).toHaveLength(1);
  });

  it('when a clientMessageId is sent again while the first is in flight, then one command is published and both sends share its outcome', async () => {
    const { socket, delayed, payload } = await connectedSender('once');

    const queue = topologyNames(stack.namespace).sendQueue(
      conversationPartition(payload.conversationId, PARTITIONS),
    );
    const before = await queuedCommands(queue);

    const acks = await Promise.all([sendWithAck(socket, payload), sendWithAck(socket, payload)]);

    expect(acks).toEqual([
      { ok: false, error: expect.objectContaining({ code: 'TIMEOUT' }) },
      { ok: false, error: expect.objectContaining({ code: 'TIMEOUT' }) },
    ]);
    expect(delayed).toHaveLength(2);
    expect((await queuedCommands(queue)) - before).toBe(1);
  });

  it('when a partition already holds the backlog of sends, then further sends to it are refused at once with OVERLOADED', async () => {
    const { socket, payload } = await connectedSender('busy?');
    const send = () => sendWithAck(socket, { ...payload, clientMessageId: randomUUID() });
    const waiting = Array.from({ length: BACKLOG }, send);
    const started = Date.now();

    const refused = await send();

    expect(refused).toEqual({
      ok: false,
      error: { code: 'OVERLOADED', message: expect.any(String) },
    });
    expect(Date.now() - started).toBeLessThan(1000);
    for (const ack of await Promise.all(waiting)) {
      expect(ack).toMatchObject({ ok: false, error: { code: 'TIMEOUT' } });
    }
  });

  // Last: it shuts the edge down.
  it('when the edge shuts down with a send in flight, then the send gets its answer before its socket closes', async () => {
    const { socket, payload } = await connectedSender('in flight at shutdown');
    const order: string[] = [];
    // Recorded in the ack callback itself: the answer and the disconnect may arrive in one
    // read, and a promise's continuation would run after the disconnect handler.
    const ack = new Promise<SendMessageAck>((resolve) => {
      socket.emit(
        'send-message',
        payload as never,
        ((answer: SendMessageAck) => {
          order.push('answer');
          resolve(answer);
        }) as never,
      );
    });
    await nextEvent(socket, 'send-delayed');
    socket.on('disconnect', () => order.push('disconnect'));

    await stack.edges[0]!.close();

    // Its own timeout (1.5 s here) comes first; with a longer one, shutdown answers UNAVAILABLE.
    expect(await ack).toMatchObject({ ok: false, error: { code: 'TIMEOUT' } });
    await eventually(() => order.length === 2);
    expect(order).toEqual(['answer', 'disconnect']);
  });
});

/** Messages waiting in a queue (nothing consumes the send queues here). */
async function queuedCommands(queue: string): Promise<number> {
  const connection = await amqplib.connect(testServiceUrls().rabbitmqUrl);
  try {
    const channel = await connection.createChannel();
    return (await channel.checkQueue(queue)).messageCount;
  } finally {
    await connection.close();
  }
}
