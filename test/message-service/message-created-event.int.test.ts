import { messageCreatedV1Schema, topologyNames } from '@chat/contracts';
import {
  bookedPair,
  connectUser,
  sendWithAck,
  connectTutorGoEvents,
  type TutorGoEvents,
} from '@chat/testing';
import { startChatStack, type ChatStack } from '../support/chat-stack';

describe.each([
  { label: 'unset (default)', setting: undefined, carriesText: true },
  { label: 'true', setting: 'true', carriesText: true },
  { label: 'false', setting: 'false', carriesText: false },
])('chat.message.created.v1 with CHAT_EVENT_INCLUDE_TEXT $label', ({ setting, carriesText }) => {
  let stack: ChatStack;
  let consumer: TutorGoEvents;

  beforeAll(async () => {
    consumer = await connectTutorGoEvents();
    stack = await startChatStack({
      label: 'event-text',
      env: setting === undefined ? {} : { CHAT_EVENT_INCLUDE_TEXT: setting },
    });
  });
  afterAll(async () => {
    await stack?.close();
    await consumer?.close();
  });

  it(`when a message is stored, then the event on chat.events ${carriesText ? 'carries' : 'leaves out'} its text and carries ids, seq and time`, async () => {
    const queue = await consumer.watch(
      topologyNames(stack.namespace).eventsExchange,
      'chat.message.created.v1',
    );
    const { sender, receiver, conversationId } = await bookedPair(stack.db);
    const { socket } = await connectUser(stack.edgeUrls[0]!, sender);
    try {
      const ack = await sendWithAck(socket, {
        conversationId,
        receiverId: receiver,
        message: 'my phone number is 555-0100',
      });
      expect(ack).toMatchObject({ ok: true });

      const received = await consumer.nextMessage(queue);
      const event = JSON.parse(received.content.toString()) as Record<string, unknown>;
      expect(messageCreatedV1Schema.parse(event)).toEqual(event);
      const stored = await stack.db.knex('messages').where({ conversation_id: conversationId });
      expect(stored).toHaveLength(1);
      expect(event).toEqual({
        type: 'chat.message.created.v1',
        messageId: stored[0].id,
        conversationId,
        seq: 1,
        senderId: sender,
        receiverId: receiver,
        ...(carriesText && { message: 'my phone number is 555-0100' }),
        createdAt: new Date(stored[0].created_at).toISOString(),
      });
      if (!carriesText) expect(received.content.toString()).not.toContain('555-0100');
    } finally {
      socket.disconnect();
    }
  });
});
