import { z } from 'zod';
import { ERROR_CODE_LIST, type ErrorBody } from '@chat/errors';
import { chatMessageSchema, type ChatMessage } from './chat-message';
import { clientMessageIdSchema, conversationIdSchema, userIdSchema } from './ids';

/**
 * The Socket.IO protocol of chat-service-spec.md. Client payloads are strict: an unknown key
 * (a forged `senderId`, say) is an error rather than silently ignored, so a client learns early.
 */
export const sendMessagePayloadSchema = z.strictObject({
  conversationId: conversationIdSchema,
  receiverId: userIdSchema,
  message: z.string(),
  clientMessageId: clientMessageIdSchema.optional(),
});
export type SendMessagePayload = z.infer<typeof sendMessagePayloadSchema>;

export const conversationArgSchema = conversationIdSchema;

/** A code of the error catalogue (libs/errors). */
export const errorCodeSchema = z.enum(ERROR_CODE_LIST);

/** `{code, message}`: the body of every refusal (see ErrorBody in libs/errors). */
export const errorBodySchema = z.object({
  code: errorCodeSchema,
  message: z.string(),
}) satisfies z.ZodType<ErrorBody>;

export const errorPayloadSchema = errorBodySchema.extend({
  clientMessageId: z.string().optional(),
  event: z.string().optional().describe('The client event that failed'),
});
export type ErrorPayload = z.infer<typeof errorPayloadSchema>;

export const partnerPresenceSchema = z.object({
  userId: z.string(),
  online: z.boolean().describe('Whether the partner has a socket open anywhere'),
});
export type PartnerPresence = z.infer<typeof partnerPresenceSchema>;

export const connectedPayloadSchema = z.object({
  userId: z.string(),
  socketId: z.string(),
  timestamp: z.string(),
  queuedMessages: z.array(chatMessageSchema),
  unreadCount: z.number().int().nonnegative(),
  partnerPresence: z
    .array(partnerPresenceSchema)
    .describe(
      'Everyone a booking lets this user chat with now, and whether each is online; later changes come as user-online / user-offline',
    ),
});
export type ConnectedPayload = z.infer<typeof connectedPayloadSchema>;

export const messagesReadPayloadSchema = z.object({
  conversationId: z.string(),
  readerId: z.string(),
  upToMessageId: z.string().nullable(),
  readAt: z.string(),
});
export type MessagesReadPayload = z.infer<typeof messagesReadPayloadSchema>;

export const conversationClosedPayloadSchema = z.object({
  conversationId: z.string(),
  reason: z.string(),
});
export type ConversationClosedPayload = z.infer<typeof conversationClosedPayloadSchema>;

/**
 * A send is still waiting for its outcome after SEND_DELAYED_NOTICE_MS (the database or the
 * broker is away, or the chat is very busy): shown as "sending…". Its ack and message-sent, or
 * its error, still come; nothing needs to be sent again.
 */
export interface SendDelayedPayload {
  clientMessageId: string;
  conversationId: string;
  /** When the edge accepted the send (ISO 8601). */
  since: string;
}

export type SendMessageAck = { ok: true; message: ChatMessage } | { ok: false; error: ErrorBody };

/**
 * `auth`: a fresh access token for the same user, so a live socket outlives the token it
 * connected with. The answer comes in the ack, or as an `error` event without one.
 */
export const authPayloadSchema = z.strictObject({ token: z.string().min(1) });
export type AuthPayload = z.infer<typeof authPayloadSchema>;

export type AuthAck =
  | { ok: true; /** The new token's exp (ISO 8601). */ expiresAt: string }
  | { ok: false; error: ErrorBody };

/**
 * The socket's token expires soon (TOKEN_EXPIRY_NOTICE_SEC before its exp): send `auth` with a
 * fresh one, or the socket gets TOKEN_EXPIRED and is disconnected at `expiresAt`.
 */
export interface TokenExpiringPayload {
  /** The token's exp (ISO 8601). */
  expiresAt: string;
}

/**
 * `typing` from a client: the user started (`true`) or stopped (`false`) typing in a
 * conversation. Never stored; relayed to the other member's sockets only while a booking lets
 * the two chat.
 */
export const typingPayloadSchema = z.strictObject({
  conversationId: conversationIdSchema,
  isTyping: z.boolean(),
});
export type TypingPayload = z.infer<typeof typingPayloadSchema>;

/** `typing` to the other member's sockets: `userId` (the typist) is or stopped typing. */
export const typingNoticeSchema = z.object({
  conversationId: z.string(),
  userId: z.string(),
  isTyping: z.boolean(),
});
export type TypingNotice = z.infer<typeof typingNoticeSchema>;

/**
 * `mark-delivered` from the receiver's client: its device has every message of the
 * conversation up to `upToSeq`. A cumulative watermark: repeating it, or a lower seq, changes
 * nothing.
 */
export const markDeliveredPayloadSchema = z.strictObject({
  conversationId: conversationIdSchema,
  upToSeq: z.number().int().min(1).max(Number.MAX_SAFE_INTEGER),
});
export type MarkDeliveredPayload = z.infer<typeof markDeliveredPayloadSchema>;

/**
 * `message-delivered` to the sender's sockets: the receiver's devices have the sender's
 * messages up to `upToSeq` (`upToMessageId` is the newest of them). Sent when the receiver's
 * delivered watermark moved past a message the sender wrote.
 */
export const messageDeliveredPayloadSchema = z.object({
  conversationId: z.string(),
  receiverId: z.string(),
  upToSeq: z.number().int().positive(),
  upToMessageId: z.string(),
  deliveredAt: z.string(),
});
export type MessageDeliveredPayload = z.infer<typeof messageDeliveredPayloadSchema>;

/** The acknowledgement of `typing` and `mark-delivered`, when the client asks for one. */
export type SignalAck = { ok: true } | { ok: false; error: ErrorBody };

export interface ConversationRoomPayload {
  conversationId: string;
  timestamp: string;
}

export interface ClientToServerEvents {
  'send-message': (payload: SendMessagePayload, ack?: (result: SendMessageAck) => void) => void;
  'join-conversation': (conversationId: string) => void;
  'leave-conversation': (conversationId: string) => void;
  auth: (payload: AuthPayload, ack?: (result: AuthAck) => void) => void;
  typing: (payload: TypingPayload, ack?: (result: SignalAck) => void) => void;
  'mark-delivered': (payload: MarkDeliveredPayload, ack?: (result: SignalAck) => void) => void;
}

export interface ServerToClientEvents {
  connected: (payload: ConnectedPayload) => void;
  'message-sent': (message: ChatMessage) => void;
  'new-message': (message: ChatMessage) => void;
  'user-online': (payload: { userId: string }) => void;
  'user-offline': (payload: { userId: string }) => void;
  'joined-conversation': (payload: ConversationRoomPayload) => void;
  'left-conversation': (payload: ConversationRoomPayload) => void;
  'messages-read': (payload: MessagesReadPayload) => void;
  'message-delivered': (payload: MessageDeliveredPayload) => void;
  typing: (payload: TypingNotice) => void;
  'conversation-closed': (payload: ConversationClosedPayload) => void;
  'send-delayed': (payload: SendDelayedPayload) => void;
  'token-expiring': (payload: TokenExpiringPayload) => void;
  error: (payload: ErrorPayload) => void;
}
