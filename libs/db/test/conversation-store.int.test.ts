import { randomUUID } from 'node:crypto';
import { canonicalConversationId } from '@chat/contracts';
import {
  createBookingStore,
  createConversationStore,
  createMessageStore,
  InvalidCursorError,
  type BookingStore,
  type ConversationStore,
  type Db,
  type EntitlementPolicy,
  type MessageStore,
} from '@chat/db';
import { newPair, newUserId, openTestDb } from './fixtures';

describe('conversation store', () => {
  let db: Db;
  let messages: MessageStore;
  let conversations: ConversationStore;
  let bookings: BookingStore;

  beforeAll(() => {
    db = openTestDb();
    messages = createMessageStore(db.knex);
    conversations = createConversationStore(db.knex);
    bookings = createBookingStore(db.knex);
  });

  afterAll(() => db.close());

  const send = (from: string, to: string, body = `hello ${randomUUID()}`) =>
    messages
      .storeMessage({
        conversationId: canonicalConversationId(from, to),
        senderId: from,
        receiverId: to,
        body,
        clientMessageId: randomUUID(),
      })
      .then((result) => result.message);

  /** Confirmed and completed bookings count, a completed one for a week after it ended. */
  const POLICY: EntitlementPolicy = {
    allowedStatuses: ['confirmed', 'completed'],
    completedGraceDays: 7,
  };
  const daysAgo = (days: number) => new Date(Date.now() - days * 24 * 3600 * 1000);

  /** A booking of the pair in `status`, ended `endedDaysAgo` days ago (default: in an hour). */
  const book = (studentId: string, tutorId: string, status: string, endedDaysAgo = -1 / 24) =>
    bookings.applyBookingEvent({
      bookingId: `b-${randomUUID()}`,
      studentId,
      tutorId,
      status,
      endTime: daysAgo(endedDaysAgo),
    });

  const readFlags = async (conversationId: string) =>
    (await messages.listMessages(conversationId, { limit: 50, afterSeq: 0 })).map(
      (message) => message.read,
    );

  it('when two users have exchanged a message, then both are members and nobody else is', async () => {
    const { a, b, conversationId } = newPair();
    await send(a, b);

    expect(await conversations.isMember(conversationId, a)).toBe(true);
    expect(await conversations.isMember(conversationId, b)).toBe(true);
    expect(await conversations.isMember(conversationId, newUserId())).toBe(false);
    expect(await conversations.isMember(newPair().conversationId, a)).toBe(false);
  });

  it('when messages arrive, then the receiver’s unread counts grow and the sender’s do not', async () => {
    const { a, b, conversationId } = newPair();
    const c = newUserId();
    await send(a, b);
    await send(a, b);
    await send(a, b);
    await send(c, b);

    expect(await conversations.totalUnread(b)).toBe(4);
    expect(await conversations.totalUnread(a)).toBe(0);
    expect(await conversations.totalUnread(newUserId())).toBe(0);
    const { conversations: listed } = await conversations.listConversations(b, { limit: 10 });
    expect(listed.find((conversation) => conversation.id === conversationId)?.unreadCount).toBe(3);
  });

  it('when the receiver marks read, then it changes once, the read flags flip and unread is zero', async () => {
    const { a, b, conversationId } = newPair();
    await send(a, b);
    await send(b, a);
    const last = await send(a, b);
    expect(await readFlags(conversationId)).toEqual([false, false, false]);

    const first = await conversations.markRead(conversationId, b);
    const again = await conversations.markRead(conversationId, b);

    expect(first).toEqual({
      changed: true,
      upToSeq: 3,
      upToMessageId: last.id,
      readAt: expect.any(Date),
    });
    expect(again).toEqual({ ...first, changed: false });
    // b has read a's messages (seq 1 and 3); a has not read b's (seq 2).
    expect(await readFlags(conversationId)).toEqual([true, false, true]);
    expect(await conversations.totalUnread(b)).toBe(0);

    expect((await conversations.markRead(conversationId, a)).changed).toBe(true);
    expect(await readFlags(conversationId)).toEqual([true, true, true]);
  });

  it('when the reader has only sent messages since, then marking read changes nothing', async () => {
    const { a, b, conversationId } = newPair();
    await send(a, b);

    const result = await conversations.markRead(conversationId, a);

    expect(result).toMatchObject({ changed: false, upToSeq: 1 });
    expect(await readFlags(conversationId)).toEqual([false]);
  });

  it('when a non-member marks read, then NOT_A_MEMBER is thrown', async () => {
    const { a, b, conversationId } = newPair();
    await send(a, b);

    await expect(conversations.markRead(conversationId, newUserId())).rejects.toMatchObject({
      code: 'NOT_A_MEMBER',
    });
    await expect(conversations.markRead(newPair().conversationId, a)).rejects.toMatchObject({
      code: 'NOT_A_MEMBER',
    });
  });

  it('when marked read in an outer transaction that rolls back, then the message stays unread', async () => {
    const { a, b, conversationId } = newPair();
    await send(a, b);

    await expect(
      db.knex.transaction(async (trx) => {
        expect((await conversations.markRead(conversationId, b, trx)).changed).toBe(true);
        throw new Error('outbox write failed');
      }),
    ).rejects.toThrow('outbox write failed');

    expect(await readFlags(conversationId)).toEqual([false]);
    expect(await conversations.totalUnread(b)).toBe(1);
  });

  it('when reads and sends race, then the unread count always matches the unread messages', async () => {
    const { a, b, conversationId } = newPair();

    await Promise.all(
      Array.from({ length: 30 }, (_, i) =>
        i % 3 === 2 ? conversations.markRead(conversationId, b).catch(() => undefined) : send(a, b),
      ),
    );

    const unreadMessages = (await messages.listMessages(conversationId, { limit: 50 })).filter(
      (message) => !message.read,
    );
    expect(await conversations.totalUnread(b)).toBe(unreadMessages.length);
  });

  const deliveredFlags = async (conversationId: string) =>
    (await messages.listMessages(conversationId, { limit: 50, afterSeq: 0 })).map(
      (message) => message.delivered,
    );
  const watermarkOf = async (conversationId: string, userId: string) =>
    Number(
      (
        (await db
          .knex('conversation_members')
          .where({ conversation_id: conversationId, user_id: userId })
          .first('last_delivered_seq')) as { last_delivered_seq: string }
      ).last_delivered_seq,
    );

  describe('delivered watermarks', () => {
    it('when marks of several conversations come in one batch, then each watermark rises to its highest mark and only forward', async () => {
      const first = newPair();
      const second = newPair();
      const m1 = await send(first.a, first.b);
      const m2 = await send(first.a, first.b);
      await send(second.a, second.b);
      const key = (conversationId: string, userId: string) => `${conversationId} ${userId}`;

      const outcomes = await conversations.markDeliveredEach([
        { conversationId: first.conversationId, userId: first.b, upToSeq: 1 },
        { conversationId: first.conversationId, userId: first.b, upToSeq: 2 },
        { conversationId: second.conversationId, userId: second.b, upToSeq: 1 },
      ]);

      expect(outcomes.get(key(first.conversationId, first.b))).toEqual({
        member: true,
        lastSeq: 2,
        announced: { upToSeq: 2, upToMessageId: m2.id, deliveredAt: expect.any(Date) },
      });
      expect(outcomes.get(key(second.conversationId, second.b))).toMatchObject({
        announced: { upToSeq: 1 },
      });
      expect(await deliveredFlags(first.conversationId)).toEqual([true, true]);

      const again = await conversations.markDeliveredEach([
        { conversationId: first.conversationId, userId: first.b, upToSeq: 2 },
        { conversationId: first.conversationId, userId: first.b, upToSeq: 1 },
      ]);
      expect(again.get(key(first.conversationId, first.b))).toEqual({ member: true, lastSeq: 2 });
      expect(await watermarkOf(first.conversationId, first.b)).toBe(2);
      expect(m1.seq).toBe(1);
    });

    it('when a mark goes beyond the last message, then it is not applied but a valid mark beside it is', async () => {
      const { a, b, conversationId } = newPair();
      await send(a, b);
      await send(a, b);

      const outcomes = await conversations.markDeliveredEach([
        { conversationId, userId: b, upToSeq: 1 },
        { conversationId, userId: b, upToSeq: 99 },
      ]);

      expect(outcomes.get(`${conversationId} ${b}`)).toMatchObject({
        member: true,
        lastSeq: 2,
        announced: { upToSeq: 1 },
      });
      expect(await watermarkOf(conversationId, b)).toBe(1);
      expect(await deliveredFlags(conversationId)).toEqual([true, false]);
    });

    it('when the watermark rises over the user’s own messages only, then it moves without an announcement', async () => {
      const { a, b, conversationId } = newPair();
      await send(a, b);
      await conversations.markDeliveredEach([{ conversationId, userId: b, upToSeq: 1 }]);
      await send(b, a);

      const outcomes = await conversations.markDeliveredEach([
        { conversationId, userId: b, upToSeq: 2 },
      ]);

      expect(outcomes.get(`${conversationId} ${b}`)).toEqual({ member: true, lastSeq: 2 });
      expect(await watermarkOf(conversationId, b)).toBe(2);
      // b's own message is delivered when a's watermark says so, not b's.
      expect(await deliveredFlags(conversationId)).toEqual([true, false]);
    });

    it('when a non-member or an unknown conversation is marked, then the outcome says not a member and nothing moves', async () => {
      const { a, b, conversationId } = newPair();
      await send(a, b);
      const stranger = newUserId();
      const unknown = newPair();

      const outcomes = await conversations.markDeliveredEach([
        { conversationId, userId: stranger, upToSeq: 1 },
        { conversationId: unknown.conversationId, userId: unknown.a, upToSeq: 1 },
      ]);

      expect(outcomes.get(`${conversationId} ${stranger}`)).toEqual({ member: false, lastSeq: 1 });
      expect(outcomes.get(`${unknown.conversationId} ${unknown.a}`)).toEqual({
        member: false,
        lastSeq: 0,
      });
      expect(await deliveredFlags(conversationId)).toEqual([false]);
    });

    it('when read before, then marking delivered up to the read watermark is no news, and marking read raises the delivered watermark', async () => {
      const { a, b, conversationId } = newPair();
      await send(a, b);
      await send(a, b);
      await conversations.markRead(conversationId, b);
      expect(await watermarkOf(conversationId, b)).toBe(2);
      // As for a row read before the delivered watermark existed (migration 003).
      await db
        .knex('conversation_members')
        .where({ conversation_id: conversationId, user_id: b })
        .update({ last_delivered_seq: 0 });

      const outcomes = await conversations.markDeliveredEach([
        { conversationId, userId: b, upToSeq: 2 },
      ]);

      expect(outcomes.get(`${conversationId} ${b}`)).toEqual({ member: true, lastSeq: 2 });
      expect(await deliveredFlags(conversationId)).toEqual([true, true]);
    });

    it('when marks of one member race, then the watermark ends at the highest and exactly one batch announces each rise', async () => {
      const { a, b, conversationId } = newPair();
      for (let i = 0; i < 10; i++) await send(a, b);

      const results = await Promise.all(
        Array.from({ length: 10 }, (_, i) =>
          conversations.markDeliveredEach([{ conversationId, userId: b, upToSeq: i + 1 }]),
        ),
      );

      const announced = results
        .map((outcomes) => outcomes.get(`${conversationId} ${b}`)?.announced?.upToSeq)
        .filter((seq) => seq !== undefined);
      expect(await watermarkOf(conversationId, b)).toBe(10);
      expect(announced).toContain(10);
      expect(new Set(announced).size).toBe(announced.length);
    });

    it('when marked in an outer transaction that rolls back, then the watermark stays', async () => {
      const { a, b, conversationId } = newPair();
      await send(a, b);

      await expect(
        db.knex.transaction(async (trx) => {
          await conversations.markDeliveredEach([{ conversationId, userId: b, upToSeq: 1 }], trx);
          throw new Error('outbox write failed');
        }),
      ).rejects.toThrow('outbox write failed');

      expect(await watermarkOf(conversationId, b)).toBe(0);
    });
  });

  it('when a user has several conversations, then they are listed by latest activity with their summaries', async () => {
    const me = newUserId();
    const [p1, p2, p3] = [newUserId(), newUserId(), newUserId()];
    await send(p1, me, 'one');
    await send(me, p2, 'two');
    await send(p3, me, 'three');
    const latest = await send(p1, me, 'one again');

    const page = await conversations.listConversations(me, { limit: 10 });

    expect(page.nextCursor).toBeUndefined();
    expect(page.conversations.map((conversation) => conversation.id)).toEqual([
      canonicalConversationId(me, p1),
      canonicalConversationId(me, p3),
      canonicalConversationId(me, p2),
    ]);
    expect(page.conversations[0]).toEqual({
      id: canonicalConversationId(me, p1),
      participants: [me, p1].sort(),
      lastMessage: 'one again',
      lastMessageTime: latest.createdAt,
      unreadCount: 2,
      lastSeq: 2,
    });
    expect(page.conversations.map((conversation) => conversation.unreadCount)).toEqual([2, 1, 0]);
  });

  it('when paged with the cursor, then every conversation appears exactly once across pages', async () => {
    const me = newUserId();
    const partners = Array.from({ length: 5 }, () => newUserId());
    for (const partner of partners) await send(partner, me);

    const seen: string[] = [];
    const pageSizes: number[] = [];
    let cursor: string | undefined;
    do {
      const page = await conversations.listConversations(me, { limit: 2, cursor });
      seen.push(...page.conversations.map((conversation) => conversation.id));
      pageSizes.push(page.conversations.length);
      cursor = page.nextCursor;
    } while (cursor);

    expect(pageSizes).toEqual([2, 2, 1]);
    expect(seen).toEqual(partners.reverse().map((partner) => canonicalConversationId(me, partner)));
  });

  it('when the last page is exactly full, then no cursor is returned', async () => {
    const me = newUserId();
    await send(newUserId(), me);
    await send(newUserId(), me);

    const page = await conversations.listConversations(me, { limit: 2 });

    expect(page.conversations).toHaveLength(2);
    expect(page.nextCursor).toBeUndefined();
  });

  it('when the cursor is malformed, then InvalidCursorError is thrown', async () => {
    const me = newUserId();
    const bad = [
      'not base64!',
      Buffer.from('no separator').toString('base64url'),
      Buffer.from('12x|a_b').toString('base64url'),
      Buffer.from('123|').toString('base64url'),
      '',
    ];

    for (const cursor of bad) {
      const error = await conversations
        .listConversations(me, { limit: 5, cursor })
        .catch((e: unknown) => e);
      expect(error).toBeInstanceOf(InvalidCursorError);
      expect(error).toMatchObject({ code: 'VALIDATION_FAILED', status: 400 });
    }
  });

  it('when a user has more conversations, then listing still takes one query', async () => {
    const few = newUserId();
    const many = newUserId();
    await send(newUserId(), few);
    for (let i = 0; i < 6; i += 1) await send(newUserId(), many);

    const countQueries = async (userId: string) => {
      let count = 0;
      const onQuery = () => (count += 1);
      db.knex.on('query', onQuery);
      try {
        await conversations.listConversations(userId, { limit: 50 });
      } finally {
        db.knex.off('query', onQuery);
      }
      return count;
    };

    expect(await countQueries(few)).toBe(1);
    expect(await countQueries(many)).toBe(1);
  });

  it('when asked for partners, then everyone a booking lets the user chat with comes once, written to or not', async () => {
    const me = newUserId();
    const [p1, p2, silent] = [newUserId(), newUserId(), newUserId()];
    await Promise.all([
      book(me, p1, 'confirmed'),
      book(p2, me, 'confirmed'),
      book(me, silent, 'confirmed'),
      // A second booking of the same pair: still one partner.
      book(me, p1, 'completed', 1),
    ]);
    await send(me, p1);
    await send(p1, me);
    await send(p2, me);

    expect(await conversations.partnersOf(me, POLICY)).toEqual([p1, p2, silent].sort());
    expect(await conversations.partnersOf(silent, POLICY)).toEqual([me]);
    expect(await conversations.partnersOf(p1, POLICY)).toEqual([me]);
    expect(await conversations.partnersOf(newUserId(), POLICY)).toEqual([]);
  });

  it('when a partner’s booking is cancelled, pending, or completed longer ago than the grace days, then they are no partner now; completed within them, still one', async () => {
    const me = newUserId();
    const [confirmed, cancelled, pending, completedLately, completedLongAgo, neverBooked] = [
      newUserId(),
      newUserId(),
      newUserId(),
      newUserId(),
      newUserId(),
      newUserId(),
    ];
    await Promise.all([
      book(me, confirmed, 'confirmed'),
      book(cancelled, me, 'cancelled'),
      book(me, pending, 'pending'),
      book(me, completedLately, 'completed', 3),
      book(completedLongAgo, me, 'completed', 10),
    ]);
    for (const partner of [
      confirmed,
      cancelled,
      pending,
      completedLately,
      completedLongAgo,
      neverBooked,
    ]) {
      await send(partner, me);
    }

    const expected = [confirmed, completedLately].sort();
    expect(await conversations.partnersOf(me, POLICY)).toEqual(expected);
    expect((await conversations.partnersOfEach([me], POLICY)).get(me)).toEqual(expected);
    expect((await conversations.unreadAndPartnersOfEach([me], [me], POLICY)).get(me)).toEqual({
      unread: 6,
      partners: expected,
    });
    // The same pairs under a policy without grace days, or with confirmed bookings only.
    expect(await conversations.partnersOf(me, { ...POLICY, completedGraceDays: 0 })).toEqual(
      [confirmed, completedLately, completedLongAgo].sort(),
    );
    expect(await conversations.partnersOf(me, { allowedStatuses: ['confirmed'] })).toEqual([
      confirmed,
    ]);
    expect(await conversations.partnersOf(cancelled, POLICY)).toEqual([]);
  });

  it('when asked for several users at once, then one query answers each of them, those without conversations too', async () => {
    const [me, p1, p2, loner] = [newUserId(), newUserId(), newUserId(), newUserId()];
    await Promise.all([book(me, p1, 'confirmed'), book(me, p2, 'confirmed')]);
    await send(p1, me);
    await send(p1, me);
    await send(me, p2);
    await send(p2, me);

    let queries = 0;
    const onQuery = () => (queries += 1);
    db.knex.on('query', onQuery);
    try {
      const connecting = await conversations.unreadAndPartnersOfEach(
        [me, p1, p2, loner],
        [me, p2, loner],
        POLICY,
      );
      const partners = await conversations.partnersOfEach([me, p1, p2, loner], POLICY);

      expect(queries).toBe(2);
      expect(connecting).toEqual(
        new Map([
          [me, { unread: 3, partners: [p1, p2].sort() }],
          [p1, { unread: 0 }],
          [p2, { unread: 1, partners: [me] }],
          [loner, { unread: 0, partners: [] }],
        ]),
      );
      expect(partners).toEqual(
        new Map([
          [me, [p1, p2].sort()],
          [p1, [me]],
          [p2, [me]],
          [loner, []],
        ]),
      );
    } finally {
      db.knex.off('query', onQuery);
    }
    expect(await conversations.unreadAndPartnersOfEach([], [], POLICY)).toEqual(new Map());
  });
});
