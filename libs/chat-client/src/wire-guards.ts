import type {
  ChatMessage,
  ConversationSummary,
  DeliveryReceipt,
  ReadReceipt,
  TypingNotice,
} from './types';

/**
 * Small shape checks of what the server sends, so a malformed message is dropped (and said)
 * instead of breaking the timeline. The full schemas live in libs/contracts; they are not
 * bundled here to keep zod out of the browser.
 */
const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null;

const STRING_FIELDS = [
  'id',
  'conversationId',
  'senderId',
  'receiverId',
  'message',
  'clientMessageId',
] as const;

function hasMessageFields(value: Record<string, unknown>): boolean {
  return (
    STRING_FIELDS.every((field) => typeof value[field] === 'string') &&
    typeof value.read === 'boolean' &&
    Number.isInteger(value.seq) &&
    (value.seq as number) > 0
  );
}

export function isChatMessage(value: unknown): value is ChatMessage {
  return isRecord(value) && hasMessageFields(value) && typeof value.timestamp === 'string';
}

/** A message of the REST API (`createdAt`, and `delivered` where the server has receipts). */
export interface HistoryEntry {
  message: ChatMessage;
  /** Whether the receiver's device has it; undefined from a server without delivery receipts. */
  delivered: boolean | undefined;
}

export function toHistoryEntry(value: unknown): HistoryEntry | undefined {
  if (!isRecord(value) || !hasMessageFields(value) || typeof value.createdAt !== 'string') {
    return undefined;
  }
  const message: ChatMessage = {
    id: value.id as string,
    conversationId: value.conversationId as string,
    senderId: value.senderId as string,
    receiverId: value.receiverId as string,
    message: value.message as string,
    timestamp: value.createdAt,
    read: value.read as boolean,
    seq: value.seq as number,
    clientMessageId: value.clientMessageId as string,
  };
  return { message, delivered: typeof value.delivered === 'boolean' ? value.delivered : undefined };
}

export function isConversationSummary(value: unknown): value is ConversationSummary {
  return (
    isRecord(value) &&
    typeof value.id === 'string' &&
    Array.isArray(value.participants) &&
    Number.isInteger(value.unreadCount)
  );
}

export function isReadReceipt(value: unknown): value is ReadReceipt {
  return (
    isRecord(value) &&
    typeof value.conversationId === 'string' &&
    typeof value.readerId === 'string' &&
    (value.upToMessageId === null || typeof value.upToMessageId === 'string') &&
    typeof value.readAt === 'string'
  );
}

export function isDeliveryReceipt(value: unknown): value is DeliveryReceipt {
  return (
    isRecord(value) &&
    typeof value.conversationId === 'string' &&
    typeof value.receiverId === 'string' &&
    Number.isInteger(value.upToSeq) &&
    typeof value.upToMessageId === 'string' &&
    typeof value.deliveredAt === 'string'
  );
}

export function isTypingNotice(value: unknown): value is TypingNotice {
  return (
    isRecord(value) &&
    typeof value.conversationId === 'string' &&
    typeof value.userId === 'string' &&
    typeof value.isTyping === 'boolean'
  );
}

/** The part of `connected` the client reads (its queued messages are checked one by one). */
export interface ConnectedInfo {
  userId: string;
  unreadCount: number;
  timestamp: string;
  queuedMessages: unknown[];
  /** Absent from servers older than the field: presence is then learnt from changes only. */
  partnerPresence?: unknown[];
}

/** One entry of `connected.partnerPresence`. */
export function isPartnerPresence(value: unknown): value is { userId: string; online: boolean } {
  return isRecord(value) && typeof value.userId === 'string' && typeof value.online === 'boolean';
}

export function isConnectedInfo(value: unknown): value is ConnectedInfo {
  return (
    isRecord(value) &&
    typeof value.userId === 'string' &&
    Number.isInteger(value.unreadCount) &&
    typeof value.timestamp === 'string' &&
    Array.isArray(value.queuedMessages) &&
    (value.partnerPresence === undefined || Array.isArray(value.partnerPresence))
  );
}
