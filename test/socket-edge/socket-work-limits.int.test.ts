import { randomUUID } from 'node:crypto';
import amqplib from 'amqplib';
import { canonicalConversationId, conversationPartition, topologyNames } from '@chat/contracts';
import {
  testServiceUrls,
  confirmBooking,
  collect,
  connectUser,
  newUserId,
  nextEvent,
  sendWithAck,
  type ClientSocket,
} from '@chat/testing';
import { startChatStack, type ChatStack } from '../support/chat-stack';

const PARTITIONS = 2;
const MAX_PENDING = 3;

describe('pending sends per socket (SOCKET_MAX_PENDING_SENDS=3)', () => {
  let stack: ChatStack;
  const sockets: ClientSocket[] = [];

  beforeAll(async () => {
    // No message-service: every send waits for its outcome until SEND_ACK_TIMEOUT_MS.
    stack = await startChatStack({
      label: 'pending',
      messageServices: 0,
      env: {
        SOCKET_MAX_PENDING_SENDS: String(MAX_PENDING),
        SEND_ACK_TIMEOUT_MS: '3000',
        SEND_DELAYED_NOTICE_MS: '100',
        CHAT_PARTITIONS: String(PARTITIONS),
        SEND_BACKLOG_PER_PARTITION: '1000',
        SEND_RATE_LIMIT: '1000',
      },
    });
  });
  afterEach(() => {
    for (const socket of sockets.splice(0)) socket.disconnect();
  });
  afterAll(() => stack?.close());

  it("when a socket has 3 sends waiting, then a 4th is refused at once, in order after the earlier answers, unpublished, and neither it nor the same user's other socket is cut off", async () => {
    const [user, partner] = [newUserId('eager'), newUserId('partner')];
    const conversationId = canonicalConversationId(user, partner);
    const queue = topologyNames(stack.namespace).sendQueue(
      conversationPartition(conversationId, PARTITIONS),
    );
    const { socket } = await connectUser(stack.edgeUrls[0]!, user);
    const { socket: other } = await connectUser(stack.edgeUrls[0]!, user);
    sockets.push(socket, other);
    const payload = (message: string) => ({
      conversationId,
      receiverId: partner,
      message,
      clientMessageId: randomUUID(),
    });
    const errors = collect(socket, 'error');
    const [one, two, four, fromOther, later] = [
      payload('one'),
      payload('two'),
      payload('four'),
      payload('from the other socket'),
      payload('later'),
    ];

    const waiting = [sendWithAck(socket, one), sendWithAck(socket, two)];
    let firstAnswered = false;
    void Promise.all(waiting).then(() => (firstAnswered = true));
    // Invalid (to oneself), so answered only when its turn in the socket's chain comes.
    const invalid = sendWithAck(socket, { ...payload('three'), receiverId: user });
    const refused = sendWithAck(socket, four);

    expect(await refused).toEqual({
      ok: false,
      error: { code: 'TOO_MANY_PENDING_SENDS', message: expect.stringMatching(/at most 3/) },
    });
    expect(firstAnswered).toBe(false); // refused at once, not after the others' 3 s
    expect(await invalid).toMatchObject({ ok: false });
    expect(errors.map((error) => error.code)).toEqual([
      'VALIDATION_FAILED',
      'TOO_MANY_PENDING_SENDS',
    ]);
    // The same user's other socket has its own budget: its send is taken and waits.
    const otherSend = sendWithAck(other, fromOther);
    await nextEvent(other, 'send-delayed');

    // The first sends time out; the socket was never dropped and may send again.
    for (const ack of await Promise.all(waiting)) {
      expect(ack).toMatchObject({ ok: false, error: { code: 'TIMEOUT' } });
    }
    expect([socket.connected, other.connected]).toEqual([true, true]);
    const laterSend = sendWithAck(socket, later);
    await nextEvent(socket, 'send-delayed');
    // Published: everything but the refused one (and the invalid one, which has no id here).
    expect((await queuedClientMessageIds(queue)).sort()).toEqual(
      [one, two, fromOther, later].map((sent) => sent.clientMessageId).sort(),
    );
    expect(await queuedClientMessageIds(queue)).not.toContain(four.clientMessageId);
    await Promise.all([laterSend, otherSend]);
  });
});

describe('packet size (SOCKET_MAX_PAYLOAD_BYTES by default)', () => {
  let stack: ChatStack;
  const sockets: ClientSocket[] = [];

  beforeAll(async () => {
    stack = await startChatStack({ label: 'packet' });
  });
  afterEach(() => {
    for (const socket of sockets.splice(0)) socket.disconnect();
  });
  afterAll(() => stack?.close());

  it('when a legal 4000-character message is all characters JSON escapes or encodes in 4 bytes, then it is stored and delivered intact', async () => {
    const [sender, receiver] = [newUserId('s'), newUserId('r')];
    await confirmBooking(stack.db, sender, receiver);
    const { socket } = await connectUser(stack.edgeUrls[0]!, sender);
    const { socket: receiving } = await connectUser(stack.edgeUrls[0]!, receiver);
    sockets.push(socket, receiving);
    // 3000 control characters (6 bytes each as \u001f on the wire) and 500 emoji (2 UTF-16
    // units, 4 bytes each): 4000 characters as MESSAGE_MAX_LENGTH counts them, ~20 KB.
    const message = `x${'\u001f'.repeat(2999)}${'😀'.repeat(500)}`;
    expect(message.length).toBe(4000);

    const arrival = nextEvent(receiving, 'new-message');
    const ack = await sendWithAck(socket, {
      conversationId: canonicalConversationId(sender, receiver),
      receiverId: receiver,
      message,
    });

    expect(ack).toMatchObject({ ok: true, message: { message } });
    expect((await arrival).message).toBe(message);
  });

  it("when a socket sends a 1 MB packet, then Socket.IO closes that connection only and the same user's other socket keeps working", async () => {
    const [sender, receiver] = [newUserId('big'), newUserId('r')];
    await confirmBooking(stack.db, sender, receiver);
    const { socket: big } = await connectUser(stack.edgeUrls[0]!, sender);
    const { socket: other } = await connectUser(stack.edgeUrls[0]!, sender);
    sockets.push(big, other);
    const closed = new Promise<string>((resolve) => big.once('disconnect', resolve));
    const payload = (message: string) => ({
      conversationId: canonicalConversationId(sender, receiver),
      receiverId: receiver,
      message,
    });

    big.emit('send-message', payload('x'.repeat(1024 * 1024)) as never);

    expect(await closed).toBe('transport close');
    expect(await sendWithAck(other, payload('small'))).toMatchObject({ ok: true });
    expect(other.connected).toBe(true);
  });
});

/**
 * The clientMessageIds of the send commands waiting in a queue (nothing consumes the send
 * queues here), batches unpacked. Read by a consumer of our own — a quorum queue with a single
 * active consumer refuses basic.get — and given back unacked when the connection closes.
 */
async function queuedClientMessageIds(queue: string): Promise<string[]> {
  const connection = await amqplib.connect(testServiceUrls().rabbitmqUrl);
  try {
    const channel = await connection.createChannel();
    const { messageCount } = await channel.checkQueue(queue);
    const ids: string[] = [];
    let received = 0;
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`read ${received} of ${messageCount}`)),
        5000,
      );
      const done = () => {
        clearTimeout(timer);
        resolve();
      };
      if (messageCount === 0) return done();
      void channel.consume(queue, (message) => {
        if (!message) return;
        const body = JSON.parse(message.content.toString()) as {
          clientMessageId?: string;
          commands?: { clientMessageId: string }[];
        };
        for (const command of body.commands ?? [body]) ids.push(command.clientMessageId!);
        if (++received === messageCount) done();
      });
    });
    return ids;
  } finally {
    await connection.close();
  }
}
