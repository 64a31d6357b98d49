import type {
  ChatMessage,
  MessageStatusUpdate,
  PresenceChange,
  ReadReceipt,
} from '@chat/chat-client';
import {
  bookedPair,
  eventually,
  numbered,
  startChatSystem,
  storeMessages,
  type ChatSystem,
} from '../support/chat-system';

/** Every payload of `event` from now on. */
function record<T>(subscribe: (listener: (payload: T) => void) => unknown): T[] {
  const seen: T[] = [];
  subscribe((payload) => seen.push(payload));
  return seen;
}

describe('a chat session with the client library', () => {
  let system: ChatSystem;

  beforeAll(async () => {
    system = await startChatSystem('cc-session');
  });
  afterAll(() => system?.close());

  it('when a conversation with history is opened, then it holds the newest page in seq order and loadOlder pages back to the first message', async () => {
    const { sender, receiver, conversationId } = await bookedPair(system.stack.db);
    const texts = numbered(60);
    await storeMessages(system.stack.db, sender, receiver, texts);
    const { client } = await system.client(receiver);

    const newest = await client.open(conversationId);
    expect(newest.map((message) => message.message)).toEqual(texts.slice(10));

    const older = await client.loadOlder(conversationId);
    expect(older.map((message) => message.message)).toEqual(texts.slice(0, 10));
    expect(client.messages(conversationId).map((message) => message.seq)).toEqual(
      texts.map((_, i) => i + 1),
    );
    await expect(client.loadOlder(conversationId)).resolves.toEqual([]);
  });

  it('when a new conversation is opened and both write, then each side sees every message once, in order, and sends resolve with the stored message', async () => {
    const { sender, receiver, conversationId } = await bookedPair(system.stack.db);
    const alice = (await system.client(sender)).client;
    const bob = (await system.client(receiver)).client;
    await expect(alice.open(conversationId)).resolves.toEqual([]);
    await bob.open(conversationId);
    const seenByAlice = record<ChatMessage>((listener) => alice.on('message', listener));
    const seenByBob = record<ChatMessage>((listener) => bob.on('message', listener));

    const first = await alice.send(conversationId, receiver, 'Hi Bob');
    const second = await bob.send(conversationId, sender, 'Hi Alice');
    const third = await alice.send(conversationId, receiver, '  How are you?  ');

    expect([first.seq, second.seq, third.seq]).toEqual([1, 2, 3]);
    expect(third.message).toBe('How are you?');
    const expected = ['Hi Bob', 'Hi Alice', 'How are you?'];
    await eventually(
      'both to see three messages',
      () => seenByAlice.length === 3 && seenByBob.length === 3,
    );
    expect(seenByAlice.map((message) => message.message)).toEqual(expected);
    expect(seenByBob.map((message) => message.message)).toEqual(expected);
    expect(bob.messages(conversationId).map((message) => message.id)).toEqual(
      [first, second, third].map((message) => message.id),
    );
  });

  it('when the receiver marks the conversation read, then the sender gets the read receipt and its messages go from sending through sent to read, and the receiver’s unread count drops to 0', async () => {
    const { sender, receiver, conversationId } = await bookedPair(system.stack.db);
    const alice = (await system.client(sender)).client;
    const bob = (await system.client(receiver)).client;
    await bob.open(conversationId);
    const statuses = record<MessageStatusUpdate>((listener) =>
      alice.on('message-status', listener),
    );
    const receipts = record<ReadReceipt>((listener) => alice.on('read', listener));

    const one = await alice.send(conversationId, receiver, 'one', {
      clientMessageId: 'status-one',
    });
    const two = await alice.send(conversationId, receiver, 'two', {
      clientMessageId: 'status-two',
    });
    await eventually(
      'bob to count 2 unread',
      () => bob.unread().byConversation[conversationId] === 2,
    );
    expect(bob.unread().total).toBe(2);

    await bob.markRead(conversationId);
    expect(bob.unread()).toEqual({ total: 0, byConversation: { [conversationId]: 0 } });
    await eventually('the read receipt', () => receipts.length === 1);
    expect(receipts[0]).toMatchObject({
      conversationId,
      readerId: receiver,
      upToMessageId: two.id,
    });
    expect(alice.statusOf('status-one')).toBe('read');
    expect(alice.statusOf('status-two')).toBe('read');
    const ofOne = statuses.filter((update) => update.clientMessageId === 'status-one');
    expect(ofOne.map((update) => update.status)).toEqual(
      expect.arrayContaining(['sending', 'sent', 'read']),
    );
    expect(ofOne.at(-1)).toMatchObject({ status: 'read', messageId: one.id, seq: one.seq });
  });

  it('when messages arrive while the receiver is away, then its unread counts come from connected and the conversations list and follow live messages', async () => {
    const { sender, receiver, conversationId } = await bookedPair(system.stack.db);
    const alice = (await system.client(sender)).client;
    for (const text of numbered(3)) await alice.send(conversationId, receiver, text);

    const bob = (await system.client(receiver)).client;
    expect(bob.unread().total).toBe(3);
    const page = await bob.conversations();
    expect(page.conversations).toEqual([
      expect.objectContaining({ id: conversationId, unreadCount: 3, lastMessage: 'm3' }),
    ]);
    expect(bob.unread().byConversation[conversationId]).toBe(3);

    await alice.send(conversationId, receiver, 'm4');
    await eventually('bob to count the live message', () => bob.unread().total === 4);
    expect(bob.unread().byConversation[conversationId]).toBe(4);
  });

  it('when a partner connects and closes, then the other client knows at connect and hears online and offline', async () => {
    // Partners are whom a booking lets chat now: no message between them is needed.
    const { sender, receiver } = await bookedPair(system.stack.db);
    const alice = (await system.client(sender)).client;
    const changes = record<PresenceChange>((listener) => alice.on('presence', listener));
    expect(alice.presenceOf(receiver)).toBe('offline');
    expect(alice.presenceOf('someone-without-a-booking')).toBe('unknown');

    const bob = (await system.client(receiver)).client;
    // From bob's `connected`, without waiting for a change.
    expect(bob.presenceOf(sender)).toBe('online');
    await eventually('bob to be online for alice', () => alice.presenceOf(receiver) === 'online');
    await bob.close();
    await eventually('bob to be offline for alice', () => alice.presenceOf(receiver) === 'offline');
    expect(changes).toEqual([
      { userId: receiver, status: 'online' },
      { userId: receiver, status: 'offline' },
    ]);
  });
});
