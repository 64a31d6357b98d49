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
  correlationId: z.string().max(100),
});
export type SendMessageCommandV1 = z.infer<typeof sendMessageCommandV1Schema>;
