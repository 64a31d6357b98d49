import { z } from 'zod';
import { chatMessageSchema } from './chat-message';
import { conversationClosedPayloadSchema, messagesReadPayloadSchema } from './socket-events';

const deliveryOf = <E extends string, P extends z.ZodType>(event: E, payload: P) =>
  z.object({
    type: z.literal('chat.delivery.v1'),
    /** The user whose sockets get it; the routing key is `user.<userId>`. */
    userId: z.string(),
    correlationId: z.string().optional(),
    event: z.literal(event),
    payload,
  });

export const sendRejectedPayloadSchema = z.object({
  clientMessageId: z.string(),
  conversationId: z.string(),
  code: z.string(),
  message: z.string(),
});
export type SendRejectedPayload = z.infer<typeof sendRejectedPayloadSchema>;

/**
 * What message-service and history-service send to one user's sockets over `chat.delivery`.
 * `event` is the Socket.IO event the edge emits with `payload`, except `send-rejected`, which
 * the edge turns into the sender's `error` event and acknowledgement.
 */
export const deliveryV1Schema = z.discriminatedUnion('event', [
  deliveryOf('new-message', chatMessageSchema),
  deliveryOf('message-sent', chatMessageSchema),
  deliveryOf('send-rejected', sendRejectedPayloadSchema),
  deliveryOf('messages-read', messagesReadPayloadSchema),
  deliveryOf('conversation-closed', conversationClosedPayloadSchema),
  deliveryOf('user-online', z.object({ userId: z.string() })),
  deliveryOf('user-offline', z.object({ userId: z.string() })),
]);
export type DeliveryV1 = z.infer<typeof deliveryV1Schema>;
export type DeliveryEvent = DeliveryV1['event'];

/** Builds a delivery with its type filled in, checked against the union at compile time. */
export function delivery<E extends DeliveryEvent>(
  userId: string,
  event: E,
  payload: Extract<DeliveryV1, { event: E }>['payload'],
  correlationId?: string,
): DeliveryV1 {
  return { type: 'chat.delivery.v1', userId, event, payload, correlationId } as DeliveryV1;
}
