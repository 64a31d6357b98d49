import {
  bookedPair,
  collect,
  connectUser,
  eventually,
  sendSentinel,
  sendWithAck,
  type ClientSocket,
} from '@chat/testing';
import { startChatStack, type ChatStack } from '../support/chat-stack';

describe('several message-service instances', () => {
  let stack: ChatStack;
  const sockets: ClientSocket[] = [];

  beforeAll(async () => {
    stack = await startChatStack({
      label: 'failover',
      messageServices: 2,
      // 200 sends of one socket in flight at once: past the default backlog of a partition
      // and the default bound of one socket.
      env: {
        SEND_RATE_LIMIT: '1000',
        SEND_BACKLOG_PER_PARTITION: '1000',
        SOCKET_MAX_PENDING_SENDS: '1000',
      },
    });
  });
  afterAll(async () => {
    for (const socket of sockets) socket.disconnect();
    await stack.close();
  });

  it('when the instance holding the send queues stops mid-stream, then the other takes over and every message arrives once, in order', async () => {
    const { sender, receiver, conversationId } = await bookedPair(stack.db);
    const { socket } = await connectUser(stack.edgeUrls[0]!, sender);
    const { socket: receiverSocket } = await connectUser(stack.edgeUrls[0]!, receiver);
    sockets.push(socket, receiverSocket);
    const received = collect(receiverSocket, 'new-message');

    const acks: Promise<unknown>[] = [];
    for (let i = 0; i < 200; i++) {
      acks.push(
        sendWithAck(socket, { conversationId, receiverId: receiver, message: `f${i}` }, 30_000),
      );
      if (i === 60) await stack.messageServices[0]!.stop();
    }
    await Promise.all(acks);
    await eventually(() => received.length >= 200, 20_000);
    await sendSentinel(socket, { conversationId, receiverId: receiver }, [received]);

    const expected = [...Array.from({ length: 200 }, (_, i) => `f${i}`), 'sentinel'];
    expect(received.map((m) => m.message)).toEqual(expected);
    const rows = await stack.db
      .knex('messages')
      .where({ conversation_id: conversationId })
      .orderBy('seq');
    expect(rows.map((row: { body: string }) => row.body)).toEqual(expected);
    expect(rows.map((row: { seq: string }) => Number(row.seq))).toEqual(
      expected.map((_, i) => i + 1),
    );
  }, 60_000);
});
