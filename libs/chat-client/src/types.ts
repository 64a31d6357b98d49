/**
 * The shapes the client hands to applications. They are the wire shapes of libs/contracts
 * written out as plain interfaces, so the published declarations need neither zod nor the
 * repository; contract-conformance.ts fails the type check the moment the two differ.
 */

/** A stored message (`new-message`, `message-sent`, `connected.queuedMessages`, history). */
export interface ChatMessage {
  /** The server's id (a UUID): one message, one id. */
  id: string;
  conversationId: string;
  senderId: string;
  receiverId: string;
  /** The text, trimmed by the server. */
  message: string;
  /** When it was stored (ISO 8601). */
  timestamp: string;
  /** Whether the receiver had marked it read when this copy was made. */
  read: boolean;
  /** Its place in the conversation: 1, 2, 3, … without gaps, the order everyone sees. */
  seq: number;
  /** The sender's id for the send that stored it. */
  clientMessageId: string;
}

/** One entry of the conversations list (`GET /chat/conversations/:userId`). */
export interface ConversationSummary {
  id: string;
  /** Both member ids, the smaller first. */
  participants: string[];
  lastMessage: string | null;
  /** ISO 8601, null before any message. */
  lastMessageTime: string | null;
  /** Messages to the caller not marked read. */
  unreadCount: number;
}

/** `messages-read`: the other member marked the conversation read. */
export interface ReadReceipt {
  conversationId: string;
  readerId: string;
  /** The newest message the read covers, or null when the conversation had none. */
  upToMessageId: string | null;
  readAt: string;
}

/** `message-delivered`: the receiver's device got every message up to `upToSeq`. */
export interface DeliveryReceipt {
  conversationId: string;
  receiverId: string;
  upToSeq: number;
  upToMessageId: string;
  /** ISO 8601. */
  deliveredAt: string;
}

/** `typing` from the server: `userId` started or stopped typing in the conversation. */
export interface TypingNotice {
  conversationId: string;
  userId: string;
  isTyping: boolean;
}

/** `conversation-closed`: the booking ended; further sends get BOOKING_REQUIRED. */
export interface ConversationClosed {
  conversationId: string;
  reason: string;
}
