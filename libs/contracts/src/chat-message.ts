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
  clientMessageId: z.string(),
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
  delivered: z.boolean().meta({
    description:
      'The receiver’s devices have it (their mark-delivered watermark reached it), or it is read',
  }),
  createdAt: z.string(),
  seq: z.number().int().positive(),
  clientMessageId: z.string(),
  editedAt: z.string().nullable(),
});
export type HistoryMessage = z.infer<typeof historyMessageSchema>;

/** A message as stored, with `read` derived from the receiver's read watermark; the wire shapes are made from it. */
export interface MessageRecord {
  id: string;
  conversationId: string;
  /** Per-conversation sequence number: 1, 2, 3, … without gaps, in the order of storing. */
  seq: number;
  senderId: string;
  receiverId: string;
  body: string;
  /** The sender's id for the message; a second store with the same one returns the first. */
  clientMessageId: string;
  createdAt: Date;
  editedAt: Date | null;
  /** Whether the receiver's read watermark has reached this message. */
  read: boolean;
  /** Whether the receiver's delivered watermark (or the read one: read implies delivered) has reached it. */
  delivered: boolean;
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
  const { timestamp, ...fields } = toChatMessage(record);
  return {
    ...fields,
    delivered: record.delivered,
    createdAt: timestamp,
    editedAt: record.editedAt?.toISOString() ?? null,
  };
}
