import { canonicalConversationId } from '@chat/contracts';
import {
  confirmBooking,
  collect,
  connectUser,
  eventually,
  newUserId,
  nextEvent,
  sendWithAck,
  tryConnect,
  type ClientSocket,
} from '@chat/testing';
import { startChatStack, type ChatStack } from '../support/chat-stack';

// Issue #11: an edge that dies without its disconnect clean-up (SIGKILL) must not keep its
// users online. With the default EDGE_ALIVE_TTL_SEC (15 s) its alive key expires within 15 s
// of the death and the next reaper round (every 5 s) clears its sockets: within 30 s.
describe('when an edge node dies without cleaning up', () => {
  let stack: ChatStack;
  const sockets: ClientSocket[] = [];

  beforeAll(async () => {
    stack = await startChatStack({
      label: 'dead-edge',
      edges: 2,
      env: { MAX_SOCKETS_PER_USER: '2' },
    });
  });
  afterAll(async () => {
    for (const socket of sockets) socket.disconnect();
    await stack.close();
  });

  const connect = async (userId: string, edge: number) => {
    const { socket } = await connectUser(stack.edgeUrls[edge]!, userId);
    sockets.push(socket);
    return socket;
  };
  const presenceMembers = (userId: string) => stack.redis.redis.smembers(`presence:${userId}`);

  it('then partners hear user-offline within 30 s, a user who moved to another node stays online until it leaves, and the dead sockets stop counting against MAX_SOCKETS_PER_USER', async () => {
    const partner = newUserId('partner');
    // `gone` had its only socket on the dead node; `moved` reconnects to the live one; `capped`
    // had MAX_SOCKETS_PER_USER (2) sockets on the dead node.
    const [gone, moved, capped] = [newUserId('gone'), newUserId('moved'), newUserId('capped')];
    const partnerSocket = await connect(partner, 0);
    for (const user of [gone, moved, capped]) {
      await confirmBooking(stack.db, user, partner);
      const conversationId = canonicalConversationId(user, partner);
      expect(
        await sendWithAck(partnerSocket, { conversationId, receiverId: user, message: 'hi' }),
      ).toMatchObject({ ok: true });
    }
    const online = collect(partnerSocket, 'user-online');
    const offline = collect(partnerSocket, 'user-offline');
    await connect(gone, 1);
    await connect(moved, 1);
    await connect(capped, 1);
    await connect(capped, 1);
    await eventually(() => online.length === 3);

    await stack.killEdge(1);
    const killedAt = Date.now();
    const movedSocket = await connect(moved, 0);
    // Until the reaper's round, the dead node's two sockets still fill the user's place.
    const early = await tryConnect(stack.edgeUrls[0]!, capped);
    expect(early.refusal?.data?.code).toBe('TOO_MANY_SOCKETS');

    await eventually(() => offline.length >= 2, 30_000);
    const correctedMs = Date.now() - killedAt;
    expect(correctedMs).toBeLessThan(30_000);
    // `moved` still has its socket on the live node: no user-offline for it.
    expect(offline.map(({ userId }) => userId).sort()).toEqual([capped, gone].sort());
    expect(await presenceMembers(gone)).toEqual([]);
    expect(await presenceMembers(moved)).toEqual([expect.stringMatching(/-edge0\|/)]);
    expect(online).toHaveLength(3);

    // Both of the user's places are free again.
    const again = [
      await tryConnect(stack.edgeUrls[0]!, capped),
      await tryConnect(stack.edgeUrls[0]!, capped),
    ];
    sockets.push(...again.map(({ socket }) => socket));
    expect(again.map(({ refusal }) => refusal?.data?.code)).toEqual([undefined, undefined]);

    // The user who moved leaves: its socket on the live node was its last.
    const movedOffline = nextEvent(partnerSocket, 'user-offline');
    movedSocket.disconnect();
    expect(await movedOffline).toEqual({ userId: moved });

    // The dead node is forgotten: out of the registry, its index gone.
    expect(await stack.redis.redis.smembers('presence-nodes')).toEqual([
      `${stack.namespace}-edge0`,
    ]);
    expect(await stack.redis.redis.exists(`presence-node:users:${stack.namespace}-edge1`)).toBe(0);
  }, 60_000);

  it('when a live node was taken for dead (its alive key expired, its sockets reaped), then it registers its sockets again and partners hear user-online', async () => {
    const [user, partner] = [newUserId('revived'), newUserId('partner')];
    await confirmBooking(stack.db, user, partner);
    const partnerSocket = await connect(partner, 0);
    const conversationId = canonicalConversationId(user, partner);
    await sendWithAck(partnerSocket, { conversationId, receiverId: user, message: 'hi' });
    const online = collect(partnerSocket, 'user-online');
    await connect(user, 0);
    await eventually(() => online.length === 1);
    const [member] = await presenceMembers(user);

    // What a reaper does to a node whose alive key is gone (a node cut off from Redis).
    const nodeId = `${stack.namespace}-edge0`;
    await stack.redis.redis
      .multi()
      .del(`presence-node:alive:${nodeId}`)
      .srem(`presence:${user}`, member!)
      .srem('presence-nodes', nodeId)
      .exec();

    await eventually(() => online.length === 2, 15_000);
    expect(online[1]).toEqual({ userId: user });
    expect(await presenceMembers(user)).toEqual([member]);
    expect(await stack.redis.redis.smembers('presence-nodes')).toContain(nodeId);
  }, 30_000);
});
