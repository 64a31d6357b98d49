import type { ChatMessage } from '@chat/chat-client';
import {
  bookedPair,
  eventually,
  startChatSystem,
  untilState,
  type ChatSystem,
} from '../support/chat-system';

/*
 * The outbox and the timelines against the real system while connections drop: what the
 * sender's promises resolve with, what the receiver's client hands out, and what PostgreSQL
 * holds must be the same messages, each once, in the order they were sent.
 */
describe('a burst of sends across reconnects', () => {
  let system: ChatSystem;

  beforeAll(async () => {
    // The default 30 sends per 10 s would stretch 200 sends over a minute.
    system = await startChatSystem('cc-burst', { env: { SEND_RATE_LIMIT: '10000' } });
  });
  afterAll(() => system?.close());

  it('when the sender and then the receiver lose their transport in the middle of 200 sends, then none is lost or doubled, the receiver gets them in order, and each send resolves with its own stored message', async () => {
    const { sender, receiver, conversationId } = await bookedPair(system.stack.db);
    const alice = await system.client(sender, { viaProxy: true });
    const bob = await system.client(receiver, { viaProxy: true });
    await bob.client.open(conversationId);
    const received: ChatMessage[] = [];
    bob.client.on('message', (message) => {
      if (message.conversationId === conversationId) received.push(message);
    });
    const states = { alice: [] as string[], bob: [] as string[] };
    alice.client.on('connection', (state) => states.alice.push(state));
    bob.client.on('connection', (state) => states.bob.push(state));

    const texts = Array.from({ length: 200 }, (_, i) => `burst ${i + 1}`);
    let resolved = 0;
    const sends = texts.map((text) =>
      alice.client.send(conversationId, receiver, text).then((message) => {
        resolved++;
        return message;
      }),
    );
    await eventually('50 sends answered', () => resolved >= 50, 30_000);
    alice.proxy!.severConnections();
    await eventually('120 messages received', () => received.length >= 120, 30_000);
    bob.proxy!.severConnections();

    const stored = await Promise.all(sends);
    await eventually('all 200 messages received', () => received.length >= 200, 30_000);
    await untilState(bob.client, 'online');

    expect(new Set(stored.map((message) => message.id)).size).toBe(200);
    expect(stored.map((message) => message.message)).toEqual(texts);
    expect(received.map((message) => message.message)).toEqual(texts);
    expect(received.map((message) => message.seq)).toEqual(texts.map((_, i) => i + 1));
    expect(received.map((message) => message.id)).toEqual(stored.map((message) => message.id));
    // Both really lost their connection and came back.
    expect(states.alice).toEqual(expect.arrayContaining(['offline', 'online']));
    expect(states.bob).toEqual(expect.arrayContaining(['offline', 'online']));
    const rows = await system.stack.db
      .knex('messages')
      .where({ conversation_id: conversationId })
      .orderBy('seq')
      .select('body');
    expect(rows.map((row: { body: string }) => row.body)).toEqual(texts);
    // The sender's own view holds each of its messages once too.
    expect(alice.client.messages(conversationId).map((message) => message.message)).toEqual(texts);
    expect(alice.client.pending()).toEqual([]);
  }, 90_000);
});
