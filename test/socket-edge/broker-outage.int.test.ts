import {
  createTcpProxy,
  testServiceUrls,
  type TcpProxy,
  bookedPair,
  collect,
  connectUser,
  eventually,
  sendSentinel,
  sendWithAck,
  type ClientSocket,
} from '@chat/testing';
import { startChatStack, type ChatStack } from '../support/chat-stack';

describe('an edge node losing RabbitMQ', () => {
  let proxy: TcpProxy;
  let stack: ChatStack;
  const sockets: ClientSocket[] = [];

  beforeAll(async () => {
    const rabbit = new URL(testServiceUrls().rabbitmqUrl);
    proxy = await createTcpProxy(rabbit.hostname, Number(rabbit.port || 5672));
    const throughProxy = new URL(rabbit.toString());
    throughProxy.hostname = '127.0.0.1';
    throughProxy.port = String(proxy.port);
    // Edge 0 reaches RabbitMQ through the proxy; edge 1 and message-service directly.
    stack = await startChatStack({
      label: 'outage',
      edges: 2,
      edgeRabbitmqUrl: (index) => (index === 0 ? throughProxy.toString() : undefined),
    });
  });
  afterAll(async () => {
    for (const socket of sockets) socket.disconnect();
    await stack.close();
    await proxy.close();
  });

  it('when messages arrive while its connection is down, then its connected users get every one once after the reconnect', async () => {
    const { sender, receiver, conversationId } = await bookedPair(stack.db);
    const { socket: receiverSocket } = await connectUser(stack.edgeUrls[0]!, receiver);
    const { socket: senderSocket } = await connectUser(stack.edgeUrls[1]!, sender);
    sockets.push(receiverSocket, senderSocket);
    const received = collect(receiverSocket, 'new-message');

    proxy.cutFor(1500);
    for (let i = 0; i < 10; i++) {
      const ack = await sendWithAck(senderSocket, {
        conversationId,
        receiverId: receiver,
        message: `during ${i}`,
      });
      expect(ack).toMatchObject({ ok: true });
    }
    await eventually(() => received.length >= 10, 15_000);
    for (let i = 0; i < 3; i++) {
      await sendWithAck(senderSocket, {
        conversationId,
        receiverId: receiver,
        message: `after ${i}`,
      });
    }
    await eventually(() => received.length >= 13, 10_000);
    await sendSentinel(senderSocket, { conversationId, receiverId: receiver }, [received]);

    expect(received.map((m) => m.seq)).toEqual(Array.from({ length: 14 }, (_, i) => i + 1));
    expect(received.map((m) => m.message)).toEqual([
      ...Array.from({ length: 10 }, (_, i) => `during ${i}`),
      ...Array.from({ length: 3 }, (_, i) => `after ${i}`),
      'sentinel',
    ]);
  }, 40_000);
});
