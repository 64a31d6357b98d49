import { ChatClientError, conversationIdOf, type MessageStatusUpdate } from '@chat/chat-client';
import { metricValue } from '@chat/testing';
import {
  bookedPair,
  newUserId,
  numbered,
  startChatSystem,
  type ChatSystem,
} from '../support/chat-system';

describe('refused sends', () => {
  let system: ChatSystem;

  beforeAll(async () => {
    // Five sends per second per user: a burst of twelve meets RATE_LIMITED.
    system = await startChatSystem('cc-refusals', {
      env: { SEND_RATE_LIMIT: '5', SEND_RATE_WINDOW_SEC: '1' },
    });
  });
  afterAll(() => system?.close());

  /** chat_send_requests_total of the edge with these labels. */
  const sendRequests = async (labels: Record<string, string>) =>
    metricValue(await system.stack.edgeMetrics[0]!.metrics(), 'chat_send_requests_total', labels);

  it('when a send is refused with BOOKING_REQUIRED, then its promise rejects with that code, its status is failed, and it is not sent again', async () => {
    const sender = newUserId('s');
    const stranger = newUserId('r');
    const conversationId = conversationIdOf(sender, stranger);
    const { client } = await system.client(sender);
    const statuses: MessageStatusUpdate[] = [];
    client.on('message-status', (update) => statuses.push(update));
    const publishedBefore = await sendRequests({ result: 'published' });

    const refusal = await client
      .send(conversationId, stranger, 'hello?', { clientMessageId: 'no-booking' })
      .catch((error: unknown) => error);
    expect(refusal).toBeInstanceOf(ChatClientError);
    expect(refusal).toMatchObject({ code: 'BOOKING_REQUIRED' });
    expect(client.statusOf('no-booking')).toBe('failed');
    expect(statuses.map((update) => update.status)).toEqual(['sending', 'failed']);

    // The sentinel waits behind the first send in its conversation's queue: had the first been
    // tried again, it would have been published again before the sentinel.
    await expect(client.send(conversationId, stranger, 'sentinel')).rejects.toMatchObject({
      code: 'BOOKING_REQUIRED',
    });
    expect((await sendRequests({ result: 'published' })) - publishedBefore).toBe(2);
    expect(client.pending()).toEqual([]);
  });

  it('when sends are refused with RATE_LIMITED, then the client backs off and sends them again, and all are stored once, in the order they were sent', async () => {
    const { sender, receiver, conversationId } = await bookedPair(system.stack.db);
    const { client } = await system.client(sender);
    const limitedBefore = await sendRequests({ result: 'rejected', code: 'RATE_LIMITED' });

    const texts = numbered(12);
    const stored = await Promise.all(
      texts.map((text) => client.send(conversationId, receiver, text)),
    );

    expect(stored.map((message) => message.message)).toEqual(texts);
    expect(stored.map((message) => message.seq)).toEqual(texts.map((_, i) => i + 1));
    expect(await sendRequests({ result: 'rejected', code: 'RATE_LIMITED' })).toBeGreaterThan(
      limitedBefore,
    );
    const rows = await system.stack.db
      .knex('messages')
      .where({ conversation_id: conversationId })
      .orderBy('seq')
      .select('body');
    expect(rows.map((row: { body: string }) => row.body)).toEqual(texts);
  }, 30_000);
});
