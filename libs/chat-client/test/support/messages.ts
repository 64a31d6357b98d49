import type { ChatMessage } from '../../src/types';

/** A stored message of `conversationId` ("a_b") at `seq`, from a to b unless told otherwise. */
export function message(seq: number, overrides: Partial<ChatMessage> = {}): ChatMessage {
  return {
    id: `id-${overrides.conversationId ?? 'a_b'}-${seq}`,
    conversationId: 'a_b',
    senderId: 'a',
    receiverId: 'b',
    message: `m${seq}`,
    timestamp: new Date(Date.UTC(2026, 0, 1, 0, 0, seq)).toISOString(),
    read: false,
    seq,
    clientMessageId: `c-${seq}`,
    ...overrides,
  };
}

/** Messages `from`..`to` (inclusive). */
export const range = (from: number, to: number, overrides: Partial<ChatMessage> = {}) =>
  Array.from({ length: to - from + 1 }, (_, i) => message(from + i, overrides));

export const seqs = (messages: readonly ChatMessage[]) => messages.map((m) => m.seq);
