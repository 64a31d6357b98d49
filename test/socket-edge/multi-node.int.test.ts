import { canonicalConversationId } from '@chat/contracts';
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

describe('several edge nodes', () => {
  let stack: ChatStack;
  const sockets: ClientSocket[] = [];

  beforeAll(async () => {
    stack = await startChatStack({
      label: 'nodes',
      edges: 2,
      env: { SEND_RATE_LIMIT: '5', SEND_RATE_WINDOW_SEC: '60' },
    });
  });
  afterEach(() => {
    for (const socket of sockets.splice(0)) socket.disconnect();
  });
  afterAll(async () => {
    await stack.close();
  });

  const connect = async (userId: string, edge: number) => {
    const result = await connectUser(stack.edgeUrls[edge]!, userId);
    sockets.push(result.socket);
    return result;
  };

  it('when the two users are on different nodes, then they exchange messages both ways', async () => {
    const [a, b] = [newUserId(), newUserId()];
    await confirmBooking(stack.db, a, b);
    const conversationId = canonicalConversationId(a, b);
    const { socket: onNode0 } = await connect(a, 0);
    const { socket: onNode1 } = await connect(b, 1);

    const toB = nextEvent(onNode1, 'new-message');
    expect(
      await sendWithAck(onNode0, { conversationId, receiverId: b, message: 'from node 0' }),
    ).toMatchObject({ ok: true });
    expect(await toB).toMatchObject({ senderId: a, message: 'from node 0' });

    const toA = nextEvent(onNode0, 'new-message');
    expect(
      await sendWithAck(onNode1, { conversationId, receiverId: a, message: 'from node 1' }),
    ).toMatchObject({ ok: true });
    expect(await toA).toMatchObject({ senderId: b, message: 'from node 1' });
  });

  it('when a user has sockets on both nodes, then both get each message once and presence follows the last socket', async () => {
    const [user, partner] = [newUserId(), newUserId()];
    await confirmBooking(stack.db, user, partner);
    const conversationId = canonicalConversationId(user, partner);
    // `first` is node 0's only socket, so the node's clean-up is a barrier for its disconnect.
    const { socket: partnerSocket } = await connect(partner, 1);
    await sendWithAck(partnerSocket, { conversationId, receiverId: user, message: 'hello' });
    const online = collect(partnerSocket, 'user-online');
    const offline = collect(partnerSocket, 'user-offline');
    const toPartner = collect(partnerSocket, 'new-message');
    // Someone online who never talked with the user: presence is not theirs to see.
    const { socket: stranger } = await connect(newUserId(), 1);
    const strangerOnline = collect(stranger, 'user-online');
    const strangerOffline = collect(stranger, 'user-offline');

    const { socket: first } = await connect(user, 0);
    const { socket: second } = await connect(user, 1);
    await eventually(() => online.length === 1);
    const onFirst = collect(first, 'new-message');
    const onSecond = collect(second, 'new-message');
    await sendWithAck(partnerSocket, { conversationId, receiverId: user, message: 'both' });
    await sendSentinel(partnerSocket, { conversationId, receiverId: user }, [onFirst, onSecond]);
    expect(onFirst.map((m) => m.message)).toEqual(['both', 'sentinel']);
    expect(onSecond.map((m) => m.message)).toEqual(['both', 'sentinel']);

    first.disconnect();
    // Once node 0 has cleaned up after `first`, a user-offline it had published would be confirmed,
    // queued for the partner ahead of the sentinel message sent after it.
    await stack.edges[0]!.cleanedUp();
    await sendSentinel(second, { conversationId, receiverId: partner }, [toPartner]);
    expect(offline).toEqual([]);
    second.disconnect();
    await eventually(() => offline.length === 1);
    expect(offline).toEqual([{ userId: user }]);
    expect(online).toEqual([{ userId: user }]);
    expect([...strangerOnline, ...strangerOffline]).toEqual([]);
  });

  it('when the socket drops right after connected, then the queued messages are offered again on the next connect', async () => {
    const { sender, receiver, conversationId } = await bookedPair(stack.db);
    const { socket } = await connect(sender, 0);
    await sendWithAck(socket, {
      conversationId,
      receiverId: receiver,
      message: 'while you were away',
    });

    let queued: string[] = [];
    await eventually(async () => {
      const { socket: brief, connected } = await connectUser(stack.edgeUrls[1]!, receiver);
      brief.disconnect(); // gone before the offline confirm window closes
      queued = connected.queuedMessages.map((m) => m.message);
      return queued.length > 0;
    });
    expect(queued).toEqual(['while you were away']);
    // The brief socket's clean-up puts the messages back: node 1 has no other socket to wait for.
    await stack.edges[1]!.cleanedUp();
    const again = await connect(receiver, 0);
    expect(again.connected.queuedMessages.map((m) => m.message)).toEqual(['while you were away']);
  });

  it('when a user sends faster than the rate limit, then the excess gets RATE_LIMITED and nothing of it is stored', async () => {
    const { sender, receiver, conversationId } = await bookedPair(stack.db);
    const { socket } = await connect(sender, 1);
    const acks = await Promise.all(
      Array.from({ length: 7 }, (_, i) =>
        sendWithAck(socket, { conversationId, receiverId: receiver, message: `r${i}` }),
      ),
    );
    expect(acks.filter((ack) => ack.ok)).toHaveLength(5);
    expect(acks.filter((ack) => !ack.ok).map((ack) => !ack.ok && ack.error.code)).toEqual([
      'RATE_LIMITED',
      'RATE_LIMITED',
    ]);
    const rows = await stack.db
      .knex('messages')
      .where({ conversation_id: conversationId })
      .count({ n: '*' });
    expect(Number(rows[0]!.n)).toBe(5);
  });
});
