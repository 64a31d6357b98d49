import { Router, json, type RequestHandler } from 'express';
import {
  conversationListQuerySchema,
  conversationParamsSchema,
  type ConversationListItem,
  type MarkReadResponse,
} from '@chat/contracts';
import type { ConversationStore, ConversationSummary } from '@chat/db';
import { AppError } from '@chat/errors';
import { callerOf } from './middleware/authentication';
import { nextPageLink } from './middleware/next-page-link';
import { requestIdOf } from './middleware/request-context';
import { parseInput } from './middleware/parse-input';
import type { MarkRead } from '../../domain/mark-read';

export interface ConversationRoutesDeps {
  conversations: ConversationStore;
  markRead: MarkRead;
  /** Authentication and rate limiting, run before each handler. */
  guard: RequestHandler[];
}

/**
 * GET /chat/conversations/:userId — the caller's own conversations, most recent first, in one
 * query; the next page's cursor comes in X-Next-Cursor and Link, so the body stays the spec's
 * bare array.
 * PATCH /chat/conversations/:conversationId/read — marks what the caller received read.
 */
export function createConversationRoutes(deps: ConversationRoutesDeps): Router {
  const router = Router();

  router.get('/chat/conversations/:userId', ...deps.guard, async (req, res) => {
    const caller = callerOf(res);
    // Equal to the token's id implies well-formed, so the id needs no check of its own.
    if (req.params.userId !== caller.userId) {
      throw new AppError('FORBIDDEN', 'You can only list your own conversations');
    }
    const query = parseInput(conversationListQuerySchema, req.query);
    const page = await deps.conversations.listConversations(caller.userId, query);
    if (page.nextCursor !== undefined) {
      res.setHeader('X-Next-Cursor', page.nextCursor);
      res.setHeader('Link', nextPageLink(req, { limit: query.limit, cursor: page.nextCursor }));
    }
    res.json(page.conversations.map(toListItem));
  });

  router.patch(
    '/chat/conversations/:conversationId/read',
    ...deps.guard,
    // The spec's request has no body; one that is sent must still be valid JSON.
    json({ limit: '16kb' }),
    async (req, res) => {
      const caller = callerOf(res);
      const { conversationId } = parseInput(conversationParamsSchema, req.params);
      await deps.markRead(conversationId, caller.userId, requestIdOf(res));
      const body: MarkReadResponse = { success: true, message: 'Conversation marked as read' };
      res.json(body);
    },
  );

  return router;
}

function toListItem(summary: ConversationSummary): ConversationListItem {
  return {
    id: summary.id,
    participants: summary.participants,
    lastMessage: summary.lastMessage,
    lastMessageTime: summary.lastMessageTime ? summary.lastMessageTime.toISOString() : null,
    unreadCount: summary.unreadCount,
  };
}
