import { z } from 'zod';
import { chatMessageSchema } from './chat-message';
import { conversationClosedPayloadSchema, messagesReadPayloadSchema } from './socket-events';

/**
 * What message-service (and history-service) send to one user's sockets over `chat.delivery`,
 * routed by `user.<userId>`. `event` is the Socket.IO event the edge emits with `payload`.
 */
export const deliveryV1Schema = z.discriminatedUnion('event', [
  z.object({
    type: z.literal('chat.delivery.v1'),
    userId: z.string(),
    correlationId: z.string().optional(),
    event: z.literal('new-message'),
    payload: chatMessageSchema,
  }),
  z.object({
    type: z.literal('chat.delivery.v1'),
    userId: z.string(),
    correlationId: z.string().optional(),
    event: z.literal('message-sent'),
    payload: chatMessageSchema,
  }),
  z.object({
    type: z.literal('chat.delivery.v1'),
    userId: z.string(),
    correlationId: z.string().optional(),
    event: z.literal('send-rejected'),
    payload: z.object({
      clientMessageId: z.string(),
      conversationId: z.string(),
      code: z.string(),
      message: z.string(),
    }),
  }),
  z.object({
    type: z.literal('chat.delivery.v1'),
    userId: z.string(),
    correlationId: z.string().optional(),
    event: z.literal('messages-read'),
    payload: messagesReadPayloadSchema,
  }),
  z.object({
    type: z.literal('chat.delivery.v1'),
    userId: z.string(),
    correlationId: z.string().optional(),
    event: z.literal('conversation-closed'),
    payload: conversationClosedPayloadSchema,
  }),
]);
export type DeliveryV1 = z.infer<typeof deliveryV1Schema>;
export type DeliveryEvent = DeliveryV1['event'];
