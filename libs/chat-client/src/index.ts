export { createChatClient } from './client';
export type {
  ChatClient,
  ChatClientEvents,
  ChatClientOptions,
  ConnectionState,
  PresenceChange,
  PresenceStatus,
} from './client-types';
export type { SocketClientOptions } from './connection';
export { conversationIdOf, partnerIn } from './conversation-id';
export { ChatClientError, type ChatClientErrorDetails, type ClientErrorCode } from './errors';
export type { ConversationsPage } from './history-api';
export type { MessageStatus, MessageStatusUpdate } from './message-status';
export type { PendingSend } from './outbox';
export type { BackoffOptions } from './retry-policy';
export type { TypingTimings } from './typing';
export type {
  ChatMessage,
  ConversationClosed,
  ConversationSummary,
  DeliveryReceipt,
  ReadReceipt,
  TypingNotice,
} from './types';
export type { UnreadCounts } from './unread-counts';
