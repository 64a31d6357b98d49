import { z } from 'zod';
import { chatMessageSchema } from './chat-message';
import {
  conversationClosedPayloadSchema,
  messageDeliveredPayloadSchema,
  messagesReadPayloadSchema,
  typingNoticeSchema,
} from './socket-events';

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
  /**
   * A code of the error catalogue; read as any string, so that an edge older than the
   * message-service that sent it still answers the send (it shows an unknown code as INTERNAL).
   */
  code: z.string(),
  message: z.string(),
});
export type SendRejectedPayload = z.infer<typeof sendRejectedPayloadSchema>;

/**
 * What message-service, history-service and the edges send to one user's sockets over
 * `chat.delivery`.
 * `event` is the Socket.IO event the edge emits with `payload`, except `send-rejected`, which
 * the edge turns into the sender's `error` event and acknowledgement.
 */
export const deliveryV1Schema = z.discriminatedUnion('event', [
  deliveryOf('new-message', chatMessageSchema),
  deliveryOf('message-sent', chatMessageSchema),
  deliveryOf('send-rejected', sendRejectedPayloadSchema),
  deliveryOf('messages-read', messagesReadPayloadSchema),
  deliveryOf('message-delivered', messageDeliveredPayloadSchema),
  // Published non-persistent and never kept offline: a notice nobody is there to see is dropped.
  deliveryOf('typing', typingNoticeSchema),
  deliveryOf('conversation-closed', conversationClosedPayloadSchema),
  deliveryOf('user-online', z.object({ userId: z.string() })),
  deliveryOf('user-offline', z.object({ userId: z.string() })),
]);
export type DeliveryV1 = z.infer<typeof deliveryV1Schema>;
export type DeliveryEvent = DeliveryV1['event'];

/** Most deliveries one `chat.delivery-batch.v1` carries. */
export const DELIVERY_BATCH_MAX = 200;

/**
 * message-service → edges on `chat.delivery`: the answers to one batch of send commands
 * (`message-sent`, `send-rejected`) as one broker message, routed to every edge that holds one of
 * their users (the publish names the first user in its routing key and the others in `BCC`). An
 * edge handles the items of its own users and skips the rest. Items are checked one by one when
 * handled, like single deliveries, so an edge does not parse what it skips.
 */
export const deliveryBatchV1Schema = z.object({
  type: z.literal('chat.delivery-batch.v1'),
  deliveries: z
    .array(z.unknown())
    .min(1)
    .max(DELIVERY_BATCH_MAX)
    .describe(
      'chat.delivery.v1 deliveries (message-sent, send-rejected), each checked on its own by the edge that holds its user',
    ),
});
export type DeliveryBatchV1 = z.infer<typeof deliveryBatchV1Schema>;

/** Builds a delivery with its type filled in, checked against the union at compile time. */
export function delivery<E extends DeliveryEvent>(
  userId: string,
  event: E,
  payload: Extract<DeliveryV1, { event: E }>['payload'],
  correlationId?: string,
): DeliveryV1 {
  return { type: 'chat.delivery.v1', userId, event, payload, correlationId } as DeliveryV1;
}
