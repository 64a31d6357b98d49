import { randomUUID } from 'node:crypto';
import { canonicalConversationId } from '@chat/contracts';
import { createBookingStore, createMessageStore } from '@chat/db';
import { startChatStack, type ChatStack } from '../support/chat-stack';
import { collect, connectUser, eventually, newUserId, type ClientSocket } from '@chat/testing';

const DAY_MS = 24 * 3600 * 1000;

describe('presence goes to partners whom a booking lets chat now', () => {
  let stack: ChatStack;
  const sockets: ClientSocket[] = [];

  beforeAll(async () => {
    stack = await startChatStack({
      label: 'presence-partners',
      // Completed bookings count for a week after the session, as message-service sends do.
      env: { ALLOWED_BOOKING_STATUSES: 'confirmed,completed', COMPLETED_GRACE_DAYS: '7' },
    });
  });
  afterEach(() => {
    for (const socket of sockets.splice(0)) socket.disconnect();
  });
  afterAll(async () => {
    await stack.close();
  });

  const connect = async (userId: string) => {
    const result = await connectUser(stack.edgeUrls[0]!, userId);
    sockets.push(result.socket);
    return result.socket;
  };

  /** A booking between the two now in `status`, whose session ended `endedDaysAgo` days ago (default -1: it is tomorrow). */
  async function booking(userId: string, partner: string, status: string, endedDaysAgo = -1) {
    await createBookingStore(stack.db.knex).applyBookingEvent({
      bookingId: `b-${randomUUID()}`,
      studentId: userId,
      tutorId: partner,
      status,
      endTime: new Date(Date.now() - endedDaysAgo * DAY_MS),
      occurredAt: new Date(),
    });
  }

  /** A conversation between the two (it was live once) and a booking now in `status`. */
  async function partners(userId: string, partner: string, status: string, endedDaysAgo = -1) {
    await createMessageStore(stack.db.knex).storeMessage({
      conversationId: canonicalConversationId(userId, partner),
      senderId: partner,
      receiverId: userId,
      body: 'see you on Monday',
      clientMessageId: randomUUID(),
    });
    await booking(userId, partner, status, endedDaysAgo);
  }

  it('when a user connects, then connected reports every partner a booking lets them chat with, online or not, written to or not', async () => {
    const user = newUserId();
    const [online, offline, cancelled, stranger] = [
      newUserId('online'),
      newUserId('offline'),
      newUserId('cancelled'),
      newUserId('stranger'),
    ];
    await booking(user, online, 'confirmed');
    await partners(user, offline, 'confirmed');
    await booking(user, cancelled, 'cancelled');
    await connect(online);
    await connect(cancelled);
    await connect(stranger);

    const { socket, connected } = await connectUser(stack.edgeUrls[0]!, user);
    sockets.push(socket);

    expect([...connected.partnerPresence].sort((a, b) => (a.userId < b.userId ? -1 : 1))).toEqual(
      [
        { userId: online, online: true },
        { userId: offline, online: false },
      ].sort((a, b) => (a.userId < b.userId ? -1 : 1)),
    );
  });

  it('when a partner without a conversation yet comes online, then the user hears user-online', async () => {
    const [user, partner] = [newUserId(), newUserId('new-partner')];
    await booking(user, partner, 'confirmed');
    const socket = await connect(user);
    const online = collect(socket, 'user-online');

    await connect(partner);

    await eventually(() => online.length === 1);
    expect(online).toEqual([{ userId: partner }]);
  });

  it('when a user comes and goes, then only partners with a confirmed booking or one completed within the grace days hear user-online and user-offline', async () => {
    const user = newUserId();
    const [confirmed, completedLately, cancelled, completedLongAgo] = [
      newUserId('confirmed'),
      newUserId('completed-3d'),
      newUserId('cancelled'),
      newUserId('completed-10d'),
    ];
    await partners(user, confirmed, 'confirmed');
    await partners(user, completedLately, 'completed', 3);
    await partners(user, cancelled, 'cancelled');
    await partners(user, completedLongAgo, 'completed', 10);
    // The sentinel: a friend whom both left-out partners may chat with, who comes online last.
    const friend = newUserId('friend');
    await partners(friend, cancelled, 'confirmed');
    await partners(friend, completedLongAgo, 'confirmed');

    const heard = new Map<string, { online: unknown[]; offline: unknown[] }>();
    for (const partner of [confirmed, completedLately, cancelled, completedLongAgo]) {
      const socket = await connect(partner);
      heard.set(partner, {
        online: collect(socket, 'user-online'),
        offline: collect(socket, 'user-offline'),
      });
    }
    const told = (partner: string) => heard.get(partner)!;

    const userSocket = await connect(user);
    await eventually(
      () => told(confirmed).online.length === 1 && told(completedLately).online.length === 1,
    );
    userSocket.disconnect();
    await eventually(
      () => told(confirmed).offline.length === 1 && told(completedLately).offline.length === 1,
    );
    // Presence reaches a socket in publish order: the friend's user-online comes after anything
    // about the user could have.
    await connect(friend);
    await eventually(
      () => told(cancelled).online.length >= 1 && told(completedLongAgo).online.length >= 1,
    );

    for (const partner of [confirmed, completedLately]) {
      expect(told(partner)).toEqual({ online: [{ userId: user }], offline: [{ userId: user }] });
    }
    for (const partner of [cancelled, completedLongAgo]) {
      expect(told(partner)).toEqual({ online: [{ userId: friend }], offline: [] });
    }
  });
});
