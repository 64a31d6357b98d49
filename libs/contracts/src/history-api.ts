import { z } from 'zod';
import { conversationIdSchema, userIdSchema } from './ids';

/**
 * The REST API of chat-service-spec.md (history-service). These schemas validate requests and
 * are the source of the OpenAPI document, so the two cannot drift apart.
 */

export const HISTORY_LIMITS = {
  conversationsDefault: 50,
  conversationsMax: 100,
  messagesDefault: 50,
  messagesMax: 200,
  /** Deeper pages come through `before`, which costs the same at any depth. */
  offsetMax: 1_000_000,
} as const;

/**
 * A query parameter given at most once: `?limit=1&limit=2` arrives as an array, which is a
 * client bug worth reporting rather than guessing which value was meant.
 */
const once = <T extends z.ZodType>(schema: T, parse: (text: string) => unknown = (text) => text) =>
  z.preprocess((value, ctx) => {
    if (Array.isArray(value)) {
      ctx.addIssue({ code: 'custom', message: 'must be given once' });
      return z.NEVER;
    }
    return typeof value === 'string' ? parse(value) : value;
  }, schema);

/** Decimal digits only: "1e3", "0x10", " 5" and "5.0" are refused, not coerced. */
const integerParam = (min: number, max: number) => {
  const message = `must be a whole number from ${min} to ${max}`;
  return once(
    z.number({ error: message }).int(message).min(min, message).max(max, message),
    (text) => (/^\d{1,16}$/.test(text) ? Number(text) : text),
  );
};

/** A message of the conversation, named by its id (UUID) or its sequence number. */
export type MessageCursor = { seq: number } | { id: string };

const MESSAGE_CURSOR =
  /^(\d{1,15}|[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12})$/;

const messageCursorParam = once(
  z
    .string({ error: 'must be a message id or a sequence number' })
    .regex(MESSAGE_CURSOR, 'must be a message id or a sequence number')
    .transform((text): MessageCursor =>
      /^\d+$/.test(text) ? { seq: Number(text) } : { id: text },
    ),
);

export const conversationListParamsSchema = z.object({
  userId: userIdSchema.meta({ description: 'The caller’s own user id (from the token)' }),
});

export const conversationListQuerySchema = z.object({
  limit: integerParam(1, HISTORY_LIMITS.conversationsMax)
    .default(HISTORY_LIMITS.conversationsDefault)
    .meta({ description: 'Conversations per page' }),
  cursor: once(
    z
      .string()
      .regex(/^[A-Za-z0-9_-]{1,400}$/, 'must be a cursor this API handed out')
      .optional(),
  ).meta({
    description:
      'Where the next page starts: the `X-Next-Cursor` header (or the `Link` rel="next") of the previous page',
  }),
});
export type ConversationListQuery = z.infer<typeof conversationListQuerySchema>;

export const conversationParamsSchema = z.object({
  conversationId: conversationIdSchema.meta({
    description: 'The canonical pair `<smallerUserId>_<largerUserId>`',
    example: 'user-123_user-456',
  }),
});

export const messageListQuerySchema = z
  .object({
    limit: integerParam(1, HISTORY_LIMITS.messagesMax)
      .default(HISTORY_LIMITS.messagesDefault)
      .meta({ description: 'Messages per page' }),
    offset: integerParam(0, HISTORY_LIMITS.offsetMax).optional().meta({
      description:
        'Newest messages to skip (default 0). Pages shift when messages arrive; `before` does not',
    }),
    before: messageCursorParam.optional().meta({
      description:
        'Only messages older than this one (message id or seq), newest first: the next page of a scroll back',
    }),
    after: messageCursorParam.optional().meta({
      description:
        'Only messages newer than this one (message id or seq), oldest first: what a reconnecting client missed',
    }),
  })
  .refine((query) => query.offset === undefined || (!query.before && !query.after), {
    message: 'cannot be combined with before or after',
    path: ['offset'],
  });
export type MessageListQuery = z.infer<typeof messageListQuerySchema>;

export const conversationListItemSchema = z
  .object({
    id: z.string(),
    participants: z.array(z.string()).meta({ description: 'Member ids, smaller first' }),
    lastMessage: z.string().nullable(),
    lastMessageTime: z
      .string()
      .nullable()
      .meta({ description: 'ISO 8601, null before any message' }),
    unreadCount: z.number().int().nonnegative().meta({
      description: 'Messages to the caller not marked read; sums to `connected.unreadCount`',
    }),
  })
  .meta({ id: 'Conversation' });
export type ConversationListItem = z.infer<typeof conversationListItemSchema>;

export const markReadResponseSchema = z
  .object({ success: z.literal(true), message: z.string() })
  .meta({ id: 'MarkReadResponse' });
export type MarkReadResponse = z.infer<typeof markReadResponseSchema>;

export const errorResponseSchema = z
  .object({
    error: z.object({
      code: z
        .string()
        .meta({ description: 'Stable code clients may branch on', example: 'NOT_A_MEMBER' }),
      message: z.string().meta({ description: 'For people; may change' }),
    }),
  })
  .meta({ id: 'Error' });
export type ErrorResponse = z.infer<typeof errorResponseSchema>;
