import type { ChatMessage, ConnectionState } from '@chat/chat-client';
import {
  bookedPair,
  eventually,
  numbered,
  startChatSystem,
  untilState,
  type ChatSystem,
} from '../support/chat-system';

describe('catching up after being away', () => {
  let system: ChatSystem;

  beforeAll(async () => {
    // The offline queue keeps only the newest 5: the rest must come from history.
    system = await startChatSystem('cc-resync', { env: { OFFLINE_QUEUE_CAP: '5' } });
  });
  afterAll(() => system?.close());

  it('when the receiver is offline while 30 messages are sent and comes back, then the queued ones and a resync from history give it all 30, once each and in order', async () => {
    const { sender, receiver, conversationId } = await bookedPair(system.stack.db);
    const alice = (await system.client(sender)).client;
    const bob = await system.client(receiver, { viaProxy: true });
    await bob.client.open(conversationId);
    const received: ChatMessage[] = [];
    bob.client.on('message', (message) => received.push(message));
    const states: ConnectionState[] = [];
    bob.client.on('connection', (state) => states.push(state));

    // Refuse its reconnects until the sends are done: bob has no socket at all meanwhile.
    bob.proxy!.cut('reset');
    await untilState(bob.client, 'offline');
    const texts = numbered(30);
    for (const text of texts) await alice.send(conversationId, receiver, text);
    await eventually('the 5 newest to wait in bob’s offline queue', async () => {
      const queued = await system.stack.redis.redis.lrange(`offline:${receiver}`, 0, -1);
      const bodies = queued.map((item) => (JSON.parse(item) as ChatMessage).message);
      return bodies.join() === texts.slice(25).join();
    });
    bob.proxy!.heal();

    await untilState(bob.client, 'online', 15_000);
    expect(received.map((message) => message.message)).toEqual(texts);
    expect(received.map((message) => message.seq)).toEqual(texts.map((_, i) => i + 1));
    expect(states).toEqual(
      expect.arrayContaining(['offline', 'connecting', 'resyncing', 'online']),
    );
    expect(bob.client.messages(conversationId)).toHaveLength(30);
  });

  it('when another device of the receiver stays online while this one is away, then nothing waits in a queue for it and the resync alone fills the gap', async () => {
    const { sender, receiver, conversationId } = await bookedPair(system.stack.db);
    const alice = (await system.client(sender)).client;
    await system.client(receiver);
    const laptop = await system.client(receiver, { viaProxy: true });
    await laptop.client.open(conversationId);
    await alice.send(conversationId, receiver, 'before');
    await eventually(
      'the laptop to have the first message',
      () => laptop.client.messages(conversationId).length === 1,
    );
    const received: ChatMessage[] = [];
    laptop.client.on('message', (message) => received.push(message));

    laptop.proxy!.cut('reset');
    await untilState(laptop.client, 'offline');
    const texts = numbered(12, 'away ');
    for (const text of texts) await alice.send(conversationId, receiver, text);
    laptop.proxy!.heal();

    await untilState(laptop.client, 'online', 15_000);
    expect(received.map((message) => message.message)).toEqual(texts);
    expect(received.map((message) => message.seq)).toEqual(texts.map((_, i) => i + 2));
  });
});
