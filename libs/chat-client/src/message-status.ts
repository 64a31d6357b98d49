import type { ChatClientError } from './errors';
import type { ChatMessage } from './types';

/**
 * Where one of the user's own messages is: sending (not answered yet), sent (stored),
 * delivered (the receiver's device has it), read (the receiver marked it read), or failed
 * (refused for good). It only moves forward: a late `sent` never undoes `read`.
 */
export type MessageStatus = 'sending' | 'sent' | 'delivered' | 'read' | 'failed';

export interface MessageStatusUpdate {
  conversationId: string;
  clientMessageId: string;
  status: MessageStatus;
  /** Once stored: the message's id and seq. */
  messageId?: string;
  seq?: number;
  /** With `failed`: why. */
  error?: ChatClientError;
  /** With `sending`: the server said the answer is taking long (send-delayed); it still comes. */
  delayed?: boolean;
}

const RANK: Record<MessageStatus, number> = {
  sending: 0,
  failed: 0,
  sent: 1,
  delivered: 2,
  read: 3,
};

interface OwnMessage {
  conversationId: string;
  clientMessageId: string;
  status: MessageStatus;
  messageId?: string;
  seq?: number;
  timestamp?: string;
}

interface Watermarks {
  delivered: number;
  read: number;
  /** Stored own messages not read yet, which later receipts move on. */
  unread: Set<OwnMessage>;
}

export interface StatusBook {
  sending(conversationId: string, clientMessageId: string): void;
  delayed(clientMessageId: string): void;
  failed(conversationId: string, clientMessageId: string, error: ChatClientError): void;
  /** An own message is stored; `delivered` and `message.read` are what history says of it. */
  stored(message: ChatMessage, delivered?: boolean): void;
  /** The receiver's delivered watermark reached `upToSeq`. */
  delivered(conversationId: string, upToSeq: number): void;
  /** The receiver read up to `upToSeq`, or (the message unknown here) everything stored by `readAt`. */
  read(conversationId: string, upTo: { seq: number } | { readAt: string }): void;
  statusOf(clientMessageId: string): MessageStatus | undefined;
}

/**
 * The statuses of the user's own messages. Receipts are watermarks per conversation and are
 * kept, so a message whose `sent` comes after the receipt covering it (its ack can be slower
 * than the receiver's receipt) still lands on `delivered` or `read` at once.
 */
export function createStatusBook(onChange: (update: MessageStatusUpdate) => void): StatusBook {
  const own = new Map<string, OwnMessage>();
  const conversations = new Map<string, Watermarks>();

  const marks = (conversationId: string) => {
    let found = conversations.get(conversationId);
    if (!found) {
      found = { delivered: 0, read: 0, unread: new Set() };
      conversations.set(conversationId, found);
    }
    return found;
  };

  const announce = (entry: OwnMessage, extra: Partial<MessageStatusUpdate> = {}) =>
    onChange({
      conversationId: entry.conversationId,
      clientMessageId: entry.clientMessageId,
      status: entry.status,
      ...(entry.messageId !== undefined && { messageId: entry.messageId, seq: entry.seq }),
      ...extra,
    });

  /** Moves `entry` forward to `status`; never back, never out of failed. */
  const advance = (entry: OwnMessage, status: MessageStatus) => {
    if (entry.status === 'failed' || RANK[status] <= RANK[entry.status]) return;
    entry.status = status;
    if (status === 'read') marks(entry.conversationId).unread.delete(entry);
    announce(entry);
  };

  const reached = (entry: OwnMessage, seq: number, watermarks: Watermarks): MessageStatus => {
    if (seq <= watermarks.read) return 'read';
    if (seq <= watermarks.delivered) return 'delivered';
    return entry.status === 'sending' || entry.status === 'failed' ? 'sent' : entry.status;
  };

  return {
    sending(conversationId, clientMessageId) {
      if (own.has(clientMessageId)) return;
      const entry: OwnMessage = { conversationId, clientMessageId, status: 'sending' };
      own.set(clientMessageId, entry);
      announce(entry);
    },
    delayed(clientMessageId) {
      const entry = own.get(clientMessageId);
      if (entry?.status === 'sending') announce(entry, { delayed: true });
    },
    failed(conversationId, clientMessageId, error) {
      const entry = own.get(clientMessageId) ?? {
        conversationId,
        clientMessageId,
        status: 'sending',
      };
      if (entry.status !== 'sending') return;
      own.set(clientMessageId, entry);
      entry.status = 'failed';
      announce(entry, { error });
    },
    stored(message, delivered) {
      const watermarks = marks(message.conversationId);
      if (message.read) watermarks.read = Math.max(watermarks.read, message.seq);
      if (delivered) watermarks.delivered = Math.max(watermarks.delivered, message.seq);
      let entry = own.get(message.clientMessageId);
      if (!entry) {
        // Sent from another device, or loaded from history.
        entry = {
          conversationId: message.conversationId,
          clientMessageId: message.clientMessageId,
          status: 'sending',
        };
        own.set(message.clientMessageId, entry);
      }
      if (entry.status === 'failed') return;
      entry.messageId = message.id;
      entry.seq = message.seq;
      entry.timestamp = message.timestamp;
      const status = reached(entry, message.seq, watermarks);
      if (status !== 'read') watermarks.unread.add(entry);
      advance(entry, status);
    },
    delivered(conversationId, upToSeq) {
      const watermarks = marks(conversationId);
      if (upToSeq <= watermarks.delivered) return;
      watermarks.delivered = upToSeq;
      for (const entry of [...watermarks.unread]) {
        if (entry.seq !== undefined && entry.seq <= upToSeq) advance(entry, 'delivered');
      }
    },
    read(conversationId, upTo) {
      const watermarks = marks(conversationId);
      let seq: number;
      if ('seq' in upTo) {
        seq = upTo.seq;
      } else {
        // The newest own message stored by then (timestamps and readAt are the database's).
        seq = 0;
        for (const entry of watermarks.unread) {
          if (
            entry.seq !== undefined &&
            entry.timestamp !== undefined &&
            entry.timestamp <= upTo.readAt
          ) {
            seq = Math.max(seq, entry.seq);
          }
        }
      }
      if (seq <= watermarks.read) return;
      watermarks.read = seq;
      // Read implies delivered.
      watermarks.delivered = Math.max(watermarks.delivered, seq);
      for (const entry of [...watermarks.unread]) {
        if (entry.seq !== undefined && entry.seq <= seq) advance(entry, 'read');
      }
    },
    statusOf: (clientMessageId) => own.get(clientMessageId)?.status,
  };
}
