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

/** The fields of a stored message the wire shapes are made from. */
export interface MessageRecord {
  id: string;
  conversationId: string;
  seq: number;
  senderId: string;
  receiverId: string;
  body: string;
  clientMessageId: string | null;
  createdAt: Date;
  editedAt: Date | null;
  read: boolean;
}

export function toChatMessage(record: MessageRecord): ChatMessage {
  return {
    id: record.id,
    conversationId: record.conversationId,
    senderId: record.senderId,
    receiverId: record.receiverId,
    message: record.body,
    timestamp: record.createdAt.toISOString(),
    read: record.read,
    seq: record.seq,
    clientMessageId: record.clientMessageId,
  };
}

export function toHistoryMessage(record: MessageRecord): HistoryMessage {
  return {
    id: record.id,
    conversationId: record.conversationId,
    senderId: record.senderId,
    receiverId: record.receiverId,
    message: record.body,
    read: record.read,
    createdAt: record.createdAt.toISOString(),
    seq: record.seq,
    clientMessageId: record.clientMessageId,
    editedAt: record.editedAt ? record.editedAt.toISOString() : null,
  };
}
