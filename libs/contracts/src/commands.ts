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
