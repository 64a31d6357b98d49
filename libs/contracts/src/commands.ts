import { z } from 'zod';
import { clientMessageIdSchema, conversationIdSchema, userIdSchema } from './ids';

/**
 * edge → message-service on `chat.commands`. The edge has already authenticated the sender and
 * validated the payload; message-service checks again, because a broker message may be forged.
 */
export const sendMessageCommandV1Schema = z.object({
  type: z.literal('chat.send-message.v1'),
  conversationId: conversationIdSchema,
  senderId: userIdSchema,
  receiverId: userIdSchema,
  message: z.string().min(1),
  /** Given by the client, or made up by the edge, so a redelivered command stores one message. */
  clientMessageId: clientMessageIdSchema,
  acceptedAt: z.iso.datetime(),
  /**
   * When the edge stops waiting for the outcome. A command still unstored by then is refused
   * (TIMEOUT) instead of stored, so a sender who was told "timed out" never sees the message
   * appear later, behind what it sent since. Absent from older edges: no deadline.
   */
  expiresAt: z.iso.datetime().optional(),
  correlationId: z.string().max(100),
});
export type SendMessageCommandV1 = z.infer<typeof sendMessageCommandV1Schema>;

/** Most commands one edge puts in one batch message. */
export const SEND_BATCH_MAX = 500;

/**
 * edge → message-service on `chat.commands`: the send commands one edge accepted for one
 * partition during one turn of its event loop, in acceptance order. One broker message, one
 * confirm and one ack instead of one each per chat message; message-service treats each item
 * as the command it holds. The items are checked one by one on arrival, like single commands.
 */
export const sendMessageBatchV1Schema = z.object({
  type: z.literal('chat.send-message-batch.v1'),
  commands: z
    .array(z.unknown())
    .min(1)
    .max(SEND_BATCH_MAX)
    .describe(
      'chat.send-message.v1 commands in acceptance order, each checked on its own on arrival (one malformed item does not make the others unreadable)',
    ),
});
export type SendMessageBatchV1 = z.infer<typeof sendMessageBatchV1Schema>;
