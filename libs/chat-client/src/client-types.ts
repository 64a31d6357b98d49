import type { SocketClientOptions } from './connection';
import type { ChatClientError } from './errors';
import type { ConversationsPage } from './history-api';
import type { MessageStatus, MessageStatusUpdate } from './message-status';
import type { PendingSend } from './outbox';
import type { BackoffOptions } from './retry-policy';
import type { TypingTimings } from './typing';
import type {
  ChatMessage,
  ConversationClosed,
  DeliveryReceipt,
  ReadReceipt,
  TypingNotice,
} from './types';
import type { UnreadCounts } from './unread-counts';

/**
 * - connecting: a connection attempt is under way
 * - resyncing: connected; fetching what open conversations missed
 * - online: connected and caught up
 * - offline: disconnected; reconnecting by itself (sends wait in the outbox)
 * - closed: `close()` was called
 */
export type ConnectionState = 'connecting' | 'resyncing' | 'online' | 'offline' | 'closed';

/** What the client knows of a user's presence; unknown until it hears, and again while offline itself. */
export type PresenceStatus = 'online' | 'offline' | 'unknown';

export interface PresenceChange {
  userId: string;
  status: PresenceStatus;
}

/** The events of a ChatClient (`client.on(event, listener)`). */
export interface ChatClientEvents {
  /** The connection state changed. */
  connection: ConnectionState;
  /** A message to show, once per id, in seq order per conversation: received, sent (by any device) or caught up. */
  message: ChatMessage;
  /** One of the user's own messages changed status. */
  'message-status': MessageStatusUpdate;
  presence: PresenceChange;
  unread: UnreadCounts;
  /** The partner read the conversation (a read receipt). */
  read: ReadReceipt;
  /** The partner's device received messages up to a seq (a delivery receipt). */
  delivered: DeliveryReceipt;
  /** A partner started or stopped typing (shown at most `typing.showMs` without renewal). */
  typing: TypingNotice;
  'conversation-closed': ConversationClosed;
  /** Something failed that no promise reports: a refused handshake or token, a refused join, … */
  error: ChatClientError;
}

export interface ChatClientOptions {
  /** Base URL of the chat's Socket.IO server, e.g. `http://localhost:3006`. */
  url: string;
  /** Gives a valid access token; called for every (re)connect, on `token-expiring` and after a REST 401. */
  getToken(): Promise<string> | string;
  /** Base URL of the REST API; default `url` (one base URL serves both). */
  historyUrl?: string;
  /** Connect at once; default true (else call `connect()`). */
  autoConnect?: boolean;
  /** Passed on to socket.io-client (transports, path, reconnectionDelay, …). */
  socketOptions?: SocketClientOptions;
  /** Default: the global fetch. */
  fetch?: typeof fetch;
  /** Messages per page for `open()` and `loadOlder()`; default 50. */
  pageSize?: number;
  /** How long a send waits for its answer before it goes again; default 20 000 ms (the server answers within its SEND_ACK_TIMEOUT_MS, 15 s). */
  sendAckTimeoutMs?: number;
  /** Sends in flight at once over all conversations (one per conversation); default 8. */
  maxSendsInFlight?: number;
  /** Backoff after a retryable refusal of a send; default 250 ms doubling to 10 s. */
  sendRetry?: BackoffOptions;
  /** Backoff of reconnects after a refused handshake or a server-side disconnect; default 1 s doubling to 30 s. */
  reconnect?: BackoffOptions;
  /** How long a message ahead of a gap waits for the missing ones before history is asked; default 500 ms. */
  gapFillDelayMs?: number;
  typing?: TypingTimings;
  /** At most one delivery receipt per conversation this often; default 250 ms. */
  deliveryReceiptIntervalMs?: number;
}

export interface ChatClient {
  /** The user's id, once known (from the first `connected`, or the token). */
  readonly userId: string | undefined;
  readonly state: ConnectionState;

  on<E extends keyof ChatClientEvents>(
    event: E,
    listener: (payload: ChatClientEvents[E]) => void,
  ): () => void;
  once<E extends keyof ChatClientEvents>(
    event: E,
    listener: (payload: ChatClientEvents[E]) => void,
  ): () => void;
  off<E extends keyof ChatClientEvents>(
    event: E,
    listener: (payload: ChatClientEvents[E]) => void,
  ): void;

  /** Connects (only needed with `autoConnect: false`). */
  connect(): void;
  /** Disconnects for good: pending sends reject with CLOSED, timers stop. */
  close(): Promise<void>;

  /**
   * Sends a message; resolves with the stored message. Queued while offline and sent again
   * with the same clientMessageId until answered; rejects only on a final refusal
   * (BOOKING_REQUIRED, VALIDATION_FAILED, …) or `close()`.
   */
  send(
    conversationId: string,
    receiverId: string,
    text: string,
    options?: { clientMessageId?: string },
  ): Promise<ChatMessage>;
  /** Sends not answered yet, in order (for "sending…" rows). */
  pending(conversationId?: string): PendingSend[];
  statusOf(clientMessageId: string): MessageStatus | undefined;

  /** Joins the conversation's room, loads its newest page and keeps it in sync; resolves with its messages. */
  open(conversationId: string): Promise<readonly ChatMessage[]>;
  /** Stops keeping the conversation open (leaves its room). */
  leave(conversationId: string): void;
  /** Loads the page before the oldest message loaded; resolves with it, oldest first ([] at the start). */
  loadOlder(conversationId: string, limit?: number): Promise<ChatMessage[]>;
  /** The conversation's messages as shown so far, oldest first. */
  messages(conversationId: string): readonly ChatMessage[];

  /** Marks what the partner sent so far read. */
  markRead(conversationId: string): Promise<void>;
  /** A page of the user's conversations, most recent first; also refreshes the unread counts. */
  conversations(options?: { limit?: number; cursor?: string }): Promise<ConversationsPage>;
  unread(): UnreadCounts;

  presenceOf(userId: string): PresenceStatus;
  /** Call with true on every keystroke, false when the draft is sent or cleared. */
  setTyping(conversationId: string, isTyping: boolean): void;
  /** Who is typing in the conversation now. */
  typingIn(conversationId: string): string[];
}
