import { z } from 'zod';

/**
 * A stored message as sockets see it (`new-message`, `message-sent`, `connected.queuedMessages`).
 * The spec's fields come first; receiverId, seq and clientMessageId are additions clients may use
 * to order and de-duplicate.
 */
export const chatMessageSchema = z.object({
  id: z.string(),
  conversationId: z.string(),
  senderId: z.string(),
  receiverId: z.string(),
  message: z.string(),
  timestamp: z.string().describe('ISO 8601 time the message was stored'),
  read: z.boolean(),
  seq: z.number().int().positive().describe('Position in the conversation, 1-based, gap-free'),
  clientMessageId: z.string().nullable(),
});
export type ChatMessage = z.infer<typeof chatMessageSchema>;

/** A stored message as the REST API returns it (the spec names the time `createdAt` there). */
export const historyMessageSchema = z.object({
  id: z.string(),
  conversationId: z.string(),
  senderId: z.string(),
  receiverId: z.string(),
  message: z.string(),
  read: z.boolean(),
  createdAt: z.string(),
  seq: z.number().int().positive(),
  clientMessageId: z.string().nullable(),
  editedAt: z.string().nullable(),
});
export type HistoryMessage = z.infer<typeof historyMessageSchema>;
