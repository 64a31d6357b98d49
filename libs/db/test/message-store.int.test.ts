import { randomUUID } from 'node:crypto';
import { canonicalConversationId } from '@chat/contracts';
import {
  createBookingStore,
  createConversationStore,
  createMessageStore,
  type Db,
  type MessageStore,
  type StoredMessage,
} from '@chat/db';
import { newPair, newUserId, openTestDb } from './fixtures';

describe('message store', () => {
  let db: Db;
  let messages: MessageStore;

  beforeAll(() => {
    db = openTestDb();
    messages = createMessageStore(db.knex);
  });

  afterAll(() => db.close());

  const send = (
    from: string,
    to: string,
    conversationId: string,
    body: string = `hello ${randomUUID()}`,
    clientMessageId: string = randomUUID(),
  ) =>
    messages.storeMessage({
      conversationId,
      senderId: from,
      receiverId: to,
      body,
      clientMessageId,
    });

  const conversationRow = (id: string) =>
    db
      .knex('conversations')
      .where({ id })
      .first('last_seq', 'last_message_id', 'last_message', 'last_message_at');

  const unreadOf = async (conversationId: string, userId: string) =>
    (
      await db
        .knex('conversation_members')
        .where({ conversation_id: conversationId, user_id: userId })
        .first('unread_count')
    )?.unread_count as number | undefined;

  const seqs = (list: StoredMessage[]) => list.map((message) => message.seq);

  async function sendMany(count: number) {
    const { a, b, conversationId } = newPair();
    const stored: StoredMessage[] = [];
    for (let i = 0; i < count; i += 1) {
      stored.push((await send(a, b, conversationId, `m${i + 1}`)).message);
    }
    return { a, b, conversationId, stored };
  }

  it('when a first message is stored, then it gets seq 1 and the conversation and members exist', async () => {
    const { a, b, conversationId } = newPair();

    const { message, created } = await send(a, b, conversationId, 'hi there', 'c-1');

    expect(created).toBe(true);
    expect(message).toEqual({
      id: expect.stringMatching(/^[0-9a-f-]{36}$/),
      conversationId,
      seq: 1,
      senderId: a,
      receiverId: b,
      body: 'hi there',
      clientMessageId: 'c-1',
      createdAt: expect.any(Date),
      editedAt: null,
      read: false,
      delivered: false,
    });
    const conversation = await conversationRow(conversationId);
    expect(conversation).toMatchObject({ last_message_id: message.id, last_message: 'hi there' });
    expect(Number(conversation.last_seq)).toBe(1);
    expect(conversation.last_message_at).toEqual(message.createdAt);
    expect(await unreadOf(conversationId, b)).toBe(1);
    expect(await unreadOf(conversationId, a)).toBe(0);
  });

  it('when 50 messages are stored concurrently into one conversation, then their seqs are exactly 1..50', async () => {
    const { a, b, conversationId } = newPair();

    const results = await Promise.all(
      Array.from({ length: 50 }, (_, i) =>
        i % 2 === 0 ? send(a, b, conversationId) : send(b, a, conversationId),
      ),
    );

    expect(results.map((result) => result.created)).not.toContain(false);
    const bySeq = results.map((result) => result.message).sort((x, y) => x.seq - y.seq);
    expect(seqs(bySeq)).toEqual(Array.from({ length: 50 }, (_, i) => i + 1));
    for (let i = 1; i < bySeq.length; i += 1) {
      expect(bySeq[i]!.createdAt.getTime()).toBeGreaterThanOrEqual(
        bySeq[i - 1]!.createdAt.getTime(),
      );
    }
    const conversation = await conversationRow(conversationId);
    expect(Number(conversation.last_seq)).toBe(50);
    expect(conversation.last_message_id).toBe(bySeq[49]!.id);
    expect(await unreadOf(conversationId, b)).toBe(25);
    expect(await unreadOf(conversationId, a)).toBe(25);
  });

  it('when the same clientMessageId is stored twice in a row, then one row exists and only the first is created', async () => {
    const { a, b, conversationId } = newPair();

    const first = await send(a, b, conversationId, 'once', 'dup-1');
    const second = await send(a, b, conversationId, 'once', 'dup-1');

    expect(first.created).toBe(true);
    expect(second).toEqual({ message: first.message, created: false });
    expect(Number((await conversationRow(conversationId)).last_seq)).toBe(1);
    expect(await unreadOf(conversationId, b)).toBe(1);
  });

  it('when a stored clientMessageId comes again after the receiver got it, then the answer says delivered', async () => {
    const { a, b, conversationId } = newPair();
    const first = await send(a, b, conversationId, 'once', 'dup-delivered');
    await createConversationStore(db.knex).markDeliveredEach([
      { conversationId, userId: b, upToSeq: 1 },
    ]);

    const again = await send(a, b, conversationId, 'once', 'dup-delivered');

    expect(again).toEqual({
      message: { ...first.message, delivered: true },
      created: false,
    });
  });

  it('when the same clientMessageId is stored 10 times concurrently, then exactly one is created and all return it', async () => {
    const { a, b, conversationId } = newPair();

    const results = await Promise.all(
      Array.from({ length: 10 }, () => send(a, b, conversationId, 'racy', 'dup-2')),
    );

    expect(results.filter((result) => result.created)).toHaveLength(1);
    expect(new Set(results.map((result) => result.message.id)).size).toBe(1);
    const rows = await db.knex('messages').where({ sender_id: a, client_message_id: 'dup-2' });
    expect(rows).toHaveLength(1);
    expect(Number((await conversationRow(conversationId)).last_seq)).toBe(1);
    expect(await unreadOf(conversationId, b)).toBe(1);
  });

  it('when a clientMessageId is reused concurrently in two conversations, then one message is stored and no seq is burnt', async () => {
    const sender = newUserId();
    const [first, second] = [newUserId(), newUserId()];
    const conversationOf = (receiver: string) => canonicalConversationId(sender, receiver);

    const results = await Promise.all(
      Array.from({ length: 6 }, (_, i) => {
        const receiver = i % 2 === 0 ? first : second;
        return send(sender, receiver, conversationOf(receiver), 'either', 'dup-3');
      }),
    );

    expect(results.filter((result) => result.created)).toHaveLength(1);
    expect(new Set(results.map((result) => result.message.id)).size).toBe(1);
    const winner = results.find((result) => result.created)!.message;
    expect(winner.seq).toBe(1);
    const loser = conversationOf(winner.receiverId === first ? second : first);
    expect(await conversationRow(loser)).toBeUndefined();
  });

  it('when a stored clientMessageId comes again with another body, then the stored message is returned unchanged', async () => {
    const { a, b, conversationId } = newPair();
    const first = await send(a, b, conversationId, 'original', 'dup-4');

    const again = await send(a, b, conversationId, 'edited?', 'dup-4');

    expect(again).toEqual({ message: first.message, created: false });
    expect((await messages.findMessage(first.message.id))?.body).toBe('original');
  });

  it('when the conversation id is not the canonical pair, then it is refused and nothing is stored', async () => {
    const { a, b, conversationId } = newPair();
    const reversed = conversationId.split('_').reverse().join('_');

    await expect(send(a, b, reversed)).rejects.toMatchObject({ code: 'INVALID_CONVERSATION' });
    await expect(send(a, a, `${a}_${a}`)).rejects.toMatchObject({ code: 'INVALID_CONVERSATION' });
    expect(await conversationRow(reversed)).toBeUndefined();
  });

  it('when stored inside an outer transaction that rolls back, then nothing remains', async () => {
    const { a, b, conversationId } = newPair();

    await expect(
      db.knex.transaction(async (trx) => {
        const result = await messages.storeMessage(
          { conversationId, senderId: a, receiverId: b, body: 'gone', clientMessageId: 'tx-1' },
          trx,
        );
        expect(result.created).toBe(true);
        throw new Error('caller fails after storing');
      }),
    ).rejects.toThrow('caller fails after storing');

    expect(await conversationRow(conversationId)).toBeUndefined();
  });

  it('when a duplicate is stored inside an outer transaction, then the transaction stays usable', async () => {
    const { a, b, conversationId } = newPair();
    const input = {
      conversationId,
      senderId: a,
      receiverId: b,
      body: 'x',
      clientMessageId: 'tx-2',
    };

    const [first, second] = await db.knex.transaction(async (trx) => [
      await messages.storeMessage(input, trx),
      await messages.storeMessage(input, trx),
    ]);

    expect(first.created).toBe(true);
    expect(second).toEqual({ message: first.message, created: false });
  });

  it('when a store fails in the database, then the error carries no message text', async () => {
    const { a, b, conversationId } = newPair();

    const error = await send(a, b, conversationId, 'top secret\u0000text').catch((e: unknown) => e);

    expect(error).toBeInstanceOf(Error);
    expect(`${(error as Error).message} ${JSON.stringify(error)}`).not.toContain('top secret');
  });

  it('when a message is looked up, then it is found by id and unknown or malformed ids give undefined', async () => {
    const { a, b, conversationId } = newPair();
    const { message } = await send(a, b, conversationId);

    expect(await messages.findMessage(message.id)).toEqual(message);
    expect(await messages.findMessage(randomUUID())).toBeUndefined();
    expect(await messages.findMessage('not-a-uuid')).toBeUndefined();
  });

  it('when paged by offset, then pages are newest first and cover every message once', async () => {
    const { conversationId } = await sendMany(5);

    const page = (offset: number) => messages.listMessages(conversationId, { limit: 2, offset });

    expect(seqs(await page(0))).toEqual([5, 4]);
    expect(seqs(await page(2))).toEqual([3, 2]);
    expect(seqs(await page(4))).toEqual([1]);
    expect(await page(6)).toEqual([]);
    expect((await page(0))[0]!.body).toBe('m5');
  });

  it('when paged before or after a seq, then before is newest first and after is oldest first', async () => {
    const { conversationId } = await sendMany(6);

    const list = (page: { beforeSeq?: number; afterSeq?: number; limit: number }) =>
      messages.listMessages(conversationId, page).then(seqs);

    expect(await list({ limit: 3 })).toEqual([6, 5, 4]);
    expect(await list({ limit: 2, beforeSeq: 4 })).toEqual([3, 2]);
    expect(await list({ limit: 10, beforeSeq: 2 })).toEqual([1]);
    expect(await list({ limit: 2, afterSeq: 2 })).toEqual([3, 4]);
    expect(await list({ limit: 10, afterSeq: 6 })).toEqual([]);
    expect(await list({ limit: 10, afterSeq: 1, beforeSeq: 5 })).toEqual([2, 3, 4]);
  });

  it('when messages arrive between pages, then seq paging neither repeats nor skips any', async () => {
    const { a, b, conversationId } = await sendMany(5);

    const newest = await messages.listMessages(conversationId, { limit: 2 });
    await send(b, a, conversationId, 'm6');
    await send(a, b, conversationId, 'm7');
    const older = await messages.listMessages(conversationId, {
      limit: 2,
      beforeSeq: newest.at(-1)!.seq,
    });
    const missed = await messages.listMessages(conversationId, {
      limit: 50,
      afterSeq: newest[0]!.seq,
    });

    expect(seqs(newest)).toEqual([5, 4]);
    expect(seqs(older)).toEqual([3, 2]);
    expect(missed.map((message) => message.body)).toEqual(['m6', 'm7']);
  });

  it('when a page is not valid, then it is refused', async () => {
    const { conversationId } = newPair();

    await expect(messages.listMessages(conversationId, { limit: 0 })).rejects.toThrow(RangeError);
    await expect(messages.listMessages(conversationId, { limit: 10, offset: -1 })).rejects.toThrow(
      RangeError,
    );
  });

  it('when listed by ids, then the known ones come back oldest first', async () => {
    const one = await sendMany(2);
    const two = await sendMany(1);
    const ids = [two.stored[0]!.id, one.stored[1]!.id, randomUUID(), 'junk', one.stored[0]!.id];

    const listed = await messages.listMessagesByIds(ids);

    expect(listed.map((message) => message.body)).toEqual(['m1', 'm2', 'm1']);
    expect(listed.map((message) => message.id)).toEqual([
      one.stored[0]!.id,
      one.stored[1]!.id,
      two.stored[0]!.id,
    ]);
    expect(await messages.listMessagesByIds([])).toEqual([]);
  });

  describe('a batch', () => {
    const input = (
      from: string,
      to: string,
      body: string,
      clientMessageId: string = randomUUID(),
    ) => ({
      conversationId: canonicalConversationId(from, to),
      senderId: from,
      receiverId: to,
      body,
      clientMessageId,
    });

    it('when a batch mixes two conversations and both directions, then each conversation gets consecutive seqs in batch order and unread counts per receiver', async () => {
      const { a, b, conversationId } = newPair();
      const other = newPair();
      await send(a, b, conversationId, 'before');

      const results = await messages.storeMessages([
        input(a, b, 'one'),
        input(other.a, other.b, 'x1'),
        input(b, a, 'two'),
        input(a, b, 'three'),
        input(other.a, other.b, 'x2'),
      ]);

      expect(results.map((r) => [r.message.body, r.message.seq, r.created])).toEqual([
        ['one', 2, true],
        ['x1', 1, true],
        ['two', 3, true],
        ['three', 4, true],
        ['x2', 2, true],
      ]);
      expect(await conversationRow(conversationId)).toMatchObject({
        last_seq: '4',
        last_message: 'three',
        last_message_id: results[3]!.message.id,
      });
      expect(await unreadOf(conversationId, b)).toBe(3);
      expect(await unreadOf(conversationId, a)).toBe(1);
      expect(await unreadOf(other.conversationId, other.b)).toBe(2);
      const stored = await messages.listMessages(conversationId, { limit: 10, afterSeq: 0 });
      expect(stored.map((m) => m.body)).toEqual(['before', 'one', 'two', 'three']);
    });

    it('when a batch repeats a stored clientMessageId and one of its own, then each is stored once and the repeats answer the stored message, not created', async () => {
      const { a, b, conversationId } = newPair();
      const first = await send(a, b, conversationId, 'stored before', 'k-old');

      const results = await messages.storeMessages([
        input(a, b, 'again', 'k-old'),
        input(a, b, 'new', 'k-new'),
        input(a, b, 'new repeated', 'k-new'),
      ]);

      expect(results.map((r) => [r.message.body, r.message.seq, r.created])).toEqual([
        ['stored before', 1, false],
        ['new', 2, true],
        ['new', 2, false],
      ]);
      expect(results[0]!.message.id).toBe(first.message.id);
      expect(await unreadOf(conversationId, b)).toBe(2);
      expect((await conversationRow(conversationId))?.last_seq).toBe('2');
    });

    it('when one input is not a canonical conversation, then the batch is refused and nothing is stored', async () => {
      const { a, b, conversationId } = newPair();
      await expect(
        messages.storeMessages([
          input(a, b, 'fine'),
          { ...input(a, b, 'forged'), conversationId: `${a}_x` },
        ]),
      ).rejects.toMatchObject({ code: 'INVALID_CONVERSATION' });
      expect(await conversationRow(conversationId)).toBeUndefined();
    });

    it('when a batch is gated by bookings, then only entitled or vouched pairs are stored, the rest refused saying whether the pair is known, in the same statement', async () => {
      const booked = newPair();
      const cancelled = newPair();
      const unknown = newPair();
      const vouched = newPair();
      const bookings = createBookingStore(db.knex);
      await bookings.applyBookingEvent({
        bookingId: randomUUID(),
        studentId: booked.a,
        tutorId: booked.b,
        status: 'confirmed',
      });
      await bookings.applyBookingEvent({
        bookingId: randomUUID(),
        studentId: cancelled.a,
        tutorId: cancelled.b,
        status: 'cancelled',
      });
      const stored = await send(booked.a, booked.b, booked.conversationId, 'before', 'k-before');

      const results = await messages.storeEntitledMessages(
        [
          input(booked.b, booked.a, 'booked'),
          input(cancelled.a, cancelled.b, 'cancelled'),
          input(unknown.a, unknown.b, 'unknown'),
          input(vouched.b, vouched.a, 'vouched'),
          input(booked.a, booked.b, 'again', 'k-before'),
        ],
        { policy: { allowedStatuses: ['confirmed'] }, vouched: [[vouched.a, vouched.b]] },
      );

      expect(results).toEqual([
        { message: expect.objectContaining({ body: 'booked', seq: 2 }), created: true },
        { refused: { pairKnown: true } },
        { refused: { pairKnown: false } },
        { message: expect.objectContaining({ body: 'vouched', seq: 1 }), created: true },
        { message: stored.message, created: false },
      ]);
      expect(await conversationRow(cancelled.conversationId)).toBeUndefined();
      expect(await conversationRow(unknown.conversationId)).toBeUndefined();
    });
  });
});
