import { canonicalConversationId } from '@chat/contracts';
import {
  confirmBooking,
  connectUser,
  eventually,
  newUserId,
  nextEvent,
  sendWithAck,
  tryConnect,
  type ClientSocket,
} from '@chat/testing';
import { startChatStack, type ChatStack } from '../support/chat-stack';

describe('socket-edge connection limits', () => {
  const sockets: ClientSocket[] = [];
  const track = <T extends { socket: ClientSocket }>(result: T): T => {
    sockets.push(result.socket);
    return result;
  };
  afterEach(() => {
    for (const socket of sockets.splice(0)) socket.disconnect();
  });

  describe('sockets per user (MAX_SOCKETS_PER_USER=3, two edge nodes)', () => {
    let stack: ChatStack;
    beforeAll(async () => {
      stack = await startChatStack({
        label: 'socketcap',
        edges: 2,
        env: { MAX_SOCKETS_PER_USER: '3' },
      });
    });
    afterAll(() => stack?.close());

    const presenceMembers = (userId: string) => stack.redis.redis.smembers(`presence:${userId}`);

    it('when a user has 3 sockets across the nodes, then a 4th is refused with TOO_MANY_SOCKETS, the others keep working and a closed one frees its place', async () => {
      const [user, partner] = [newUserId('capped'), newUserId('partner')];
      await confirmBooking(stack.db, user, partner);
      const conversationId = canonicalConversationId(user, partner);
      const [url0, url1] = stack.edgeUrls as [string, string];
      const open = [
        track(await connectUser(url0, user)).socket,
        track(await connectUser(url0, user)).socket,
        track(await connectUser(url1, user)).socket,
      ];

      const fourth = track(await tryConnect(url1, user));

      expect(fourth.refusal?.data?.code).toBe('TOO_MANY_SOCKETS');
      expect(fourth.refusal?.message).toMatch(/3 connections/);
      expect(await presenceMembers(user)).toHaveLength(3);
      // The refusal touched none of the others: each still gets a message sent now.
      const { socket: partnerSocket } = track(await connectUser(url0, partner));
      const arrivals = open.map((socket) => nextEvent(socket, 'new-message'));
      const ack = await sendWithAck(partnerSocket, {
        conversationId,
        receiverId: user,
        message: 'still there?',
      });
      expect(ack).toMatchObject({ ok: true });
      for (const message of await Promise.all(arrivals)) {
        expect(message).toMatchObject({ message: 'still there?' });
      }
      expect(open.map((socket) => socket.connected)).not.toContain(false);

      open[2]!.disconnect();
      await eventually(async () => (await presenceMembers(user)).length === 2);
      const again = track(await tryConnect(url1, user));
      expect(again.refusal).toBeUndefined();
    });

    it('when many sockets of one user connect at the same moment on both nodes, then exactly 3 get in and presence holds exactly them', async () => {
      const user = newUserId('crowd');
      const attempts = await Promise.all(
        Array.from({ length: 10 }, (_, index) =>
          tryConnect(stack.edgeUrls[index % 2]!, user).then(track),
        ),
      );

      const admitted = attempts.filter((attempt) => !attempt.refusal);
      const refused = attempts.filter((attempt) => attempt.refusal);
      expect(admitted).toHaveLength(3);
      expect(refused.map((attempt) => attempt.refusal?.data?.code)).toEqual(
        Array(7).fill('TOO_MANY_SOCKETS'),
      );
      const members = await presenceMembers(user);
      expect(members.map((member) => member.split('|')[1]).sort()).toEqual(
        admitted.map((attempt) => attempt.socket.id).sort(),
      );

      for (const attempt of admitted) attempt.socket.disconnect();
      await eventually(async () => (await presenceMembers(user)).length === 0);
    });
  });

  describe('connects per IP (CONNECT_RATE_LIMIT_PER_IP=3 per minute)', () => {
    let stack: ChatStack;
    beforeAll(async () => {
      stack = await startChatStack({
        label: 'iplimit',
        messageServices: 0,
        env: { CONNECT_RATE_LIMIT_PER_IP: '3', CONNECT_RATE_WINDOW_SEC: '60' },
      });
    });
    afterAll(() => stack?.close());

    it('when one address connects a 4th time within the window, then it gets RATE_LIMITED with retryAfterSec, X-Forwarded-For is not believed, and the open sockets stay', async () => {
      const url = stack.edgeUrls[0]!;
      const open = [];
      for (let i = 0; i < 3; i++) open.push(track(await connectUser(url, newUserId())).socket);

      const fourth = track(await tryConnect(url, newUserId()));
      const forged = track(
        await tryConnect(url, newUserId(), { 'X-Forwarded-For': '198.51.100.7' }),
      );

      expect(fourth.refusal?.data?.code).toBe('RATE_LIMITED');
      expect(fourth.refusal?.data?.retryAfterSec).toBeGreaterThan(0);
      expect(fourth.refusal?.data?.retryAfterSec).toBeLessThanOrEqual(60);
      expect(forged.refusal?.data?.code).toBe('RATE_LIMITED');
      expect(open.map((socket) => socket.connected)).not.toContain(false);
    });
  });

  describe('connects per IP behind a proxy (TRUST_PROXY_HOPS=1, 2 per minute)', () => {
    let stack: ChatStack;
    beforeAll(async () => {
      stack = await startChatStack({
        label: 'iproxy',
        messageServices: 0,
        env: {
          CONNECT_RATE_LIMIT_PER_IP: '2',
          CONNECT_RATE_WINDOW_SEC: '60',
          TRUST_PROXY_HOPS: '1',
        },
      });
    });
    afterAll(() => stack?.close());

    it('when clients come through one proxy, then each is counted by the address the proxy appended, not by what the client wrote before it', async () => {
      const url = stack.edgeUrls[0]!;
      // What nginx sends for a client at 203.0.113.1 that itself claimed to be someone else.
      const viaProxy = (client: string, claimed = '192.0.2.99') => ({
        'X-Forwarded-For': `${claimed}, ${client}`,
      });

      const first = [
        track(await tryConnect(url, newUserId(), viaProxy('203.0.113.1', '192.0.2.1'))),
        track(await tryConnect(url, newUserId(), viaProxy('203.0.113.1', '192.0.2.2'))),
      ];
      const third = track(await tryConnect(url, newUserId(), viaProxy('203.0.113.1', '192.0.2.3')));
      const otherClient = track(await tryConnect(url, newUserId(), viaProxy('203.0.113.2')));

      expect(first.map((attempt) => attempt.refusal)).toEqual([undefined, undefined]);
      expect(third.refusal?.data?.code).toBe('RATE_LIMITED');
      expect(otherClient.refusal).toBeUndefined();
    });
  });
});
