import { z } from 'zod';

/**
 * Events on `chat.events` (topic) for other TutorGo services. The routing key is the event type;
 * a new version is added beside the old one, never changed in place.
 */

/**
 * A message was stored (once per message; a redelivery may publish it again, same messageId).
 * `message` is its text, present unless message-service runs with CHAT_EVENT_INCLUDE_TEXT=false:
 * the exchange is platform-wide, and consumers that only count or notify need no message
 * text. A consumer that needs the text must cope with its absence (or have it switched on).
 */
export const messageCreatedV1Schema = z.object({
  type: z.literal('chat.message.created.v1'),
  messageId: z.string(),
  conversationId: z.string(),
  seq: z.number().int().positive(),
  senderId: z.string(),
  receiverId: z.string(),
  message: z.string().optional(),
  createdAt: z.string(),
});
export type MessageCreatedV1 = z.infer<typeof messageCreatedV1Schema>;

export const conversationReadV1Schema = z.object({
  type: z.literal('chat.conversation.read.v1'),
  conversationId: z.string(),
  readerId: z.string(),
  upToMessageId: z.string().nullable(),
  upToSeq: z.number().int().nonnegative(),
  readAt: z.string(),
});
export type ConversationReadV1 = z.infer<typeof conversationReadV1Schema>;

export const conversationClosedV1Schema = z.object({
  type: z.literal('chat.conversation.closed.v1'),
  conversationId: z.string(),
  reason: z.string(),
  closedAt: z.string(),
});
export type ConversationClosedV1 = z.infer<typeof conversationClosedV1Schema>;

/** Every event on `chat.events`, told apart by `type` (the AsyncAPI document lists each one). */
export const chatDomainEventSchema = z.discriminatedUnion('type', [
  messageCreatedV1Schema,
  conversationReadV1Schema,
  conversationClosedV1Schema,
]);
export type ChatDomainEvent = z.infer<typeof chatDomainEventSchema>;
