import { OpenAPIRegistry, OpenApiGeneratorV31 } from '@asteasolutions/zod-to-openapi';
import { z } from 'zod';
import {
  conversationListItemSchema,
  conversationListParamsSchema,
  conversationListQuerySchema,
  conversationParamsSchema,
  errorResponseSchema,
  historyMessageSchema,
  markReadResponseSchema,
  messageListQuerySchema,
} from '@chat/contracts';

export type OpenApiDocument = ReturnType<OpenApiGeneratorV31['generateDocument']>;

/** Named, so the document lists it once under components and refers to it. */
const messageSchema = historyMessageSchema.meta({ id: 'Message' });

const json = (schema: z.ZodType, description: string) => ({
  description,
  content: { 'application/json': { schema } },
});

const errors = (...statuses: number[]) => {
  const meaning: Record<number, string> = {
    400: 'A parameter is not valid (VALIDATION_FAILED)',
    401: 'The bearer token is missing, invalid (UNAUTHENTICATED) or expired (TOKEN_EXPIRED)',
    403: 'Not the caller’s own data (FORBIDDEN)',
    404: 'No such conversation, or the caller is not a member: the same answer (NOT_A_MEMBER)',
    429: 'Too many requests (RATE_LIMITED); Retry-After says when to try again',
    500: 'Unexpected failure (INTERNAL)',
    503: 'PostgreSQL is unavailable (UNAVAILABLE); try again shortly',
  };
  return Object.fromEntries(
    statuses.map((status) => [status, json(errorResponseSchema, meaning[status] ?? 'Error')]),
  );
};

const linkHeader = {
  Link: {
    description: 'RFC 8288 `<…>; rel="next"` to the next page; absent on the last page',
    schema: { type: 'string' as const },
  },
};

/**
 * The OpenAPI 3.1 document of the REST API, generated from the zod schemas in @chat/contracts
 * that also validate the requests, so the document and the validation cannot disagree.
 *
 * It describes what clients call with a token. The operational endpoints are left out on
 * purpose, as /healthz and /readyz always were: GET /metrics (Prometheus text format for
 * scrapers, no token, see metrics-routes.ts) has no zod schema to generate from, and the docs
 * page renders JSON bodies only.
 */
export function buildOpenApiDocument(): OpenApiDocument {
  const registry = new OpenAPIRegistry();
  const bearer = registry.registerComponent('securitySchemes', 'bearerAuth', {
    type: 'http',
    scheme: 'bearer',
    bearerFormat: 'JWT',
    description: 'A TutorGo access token: `{ userId, email, role }`, HS256 (or RS256)',
  });
  const security = [{ [bearer.name]: [] }];

  registry.registerPath({
    method: 'get',
    path: '/chat/conversations/{userId}',
    operationId: 'listConversations',
    summary: 'The caller’s conversations',
    description:
      'Most recent activity first, with the last message and the caller’s unread count. Only the caller’s own list: another user id is 403. A conversation that gets a message while a client pages moves to the front of the list.',
    security,
    request: { params: conversationListParamsSchema, query: conversationListQuerySchema },
    responses: {
      200: {
        ...json(z.array(conversationListItemSchema), 'The page, a bare array'),
        headers: {
          ...linkHeader,
          'X-Next-Cursor': {
            description: 'Pass as `cursor` for the next page; absent on the last page',
            schema: { type: 'string' },
          },
        },
      },
      ...errors(400, 401, 403, 429, 500, 503),
    },
  });

  registry.registerPath({
    method: 'get',
    path: '/chat/messages/{conversationId}',
    operationId: 'listMessages',
    summary: 'Messages of a conversation',
    description:
      'Members only. Newest first by `offset` (default) or `before`; oldest first with `after`, which gives a reconnecting client exactly the messages after the last one it has. `offset` cannot be combined with `before`/`after`. A full page carries Link rel="next", continuing by sequence number (stable while messages arrive).',
    security,
    request: { params: conversationParamsSchema, query: messageListQuerySchema },
    responses: {
      200: { ...json(z.array(messageSchema), 'The page, a bare array'), headers: linkHeader },
      ...errors(400, 401, 404, 429, 500, 503),
    },
  });

  registry.registerPath({
    method: 'patch',
    path: '/chat/conversations/{conversationId}/read',
    operationId: 'markConversationRead',
    summary: 'Mark the conversation read',
    description:
      'Marks every message the caller received in the conversation read and zeroes their unread count. Idempotent. When something was unread, the other member’s sockets get `messages-read` and `chat.conversation.read.v1` is published on `chat.events`. No request body.',
    security,
    request: { params: conversationParamsSchema },
    responses: {
      200: json(markReadResponseSchema, 'Marked read (also when nothing was unread)'),
      ...errors(400, 401, 404, 429, 500, 503),
    },
  });

  return new OpenApiGeneratorV31(registry.definitions).generateDocument({
    openapi: '3.1.0',
    info: {
      title: 'TutorGo Chat REST API',
      version: '1.0.0',
      description:
        'Message history, conversations and read state of TutorGo chat. Errors are `{"error": {"code", "message"}}` with the status of the code.',
    },
  });
}
