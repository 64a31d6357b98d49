import { Router, type RequestHandler } from 'express';
import {
  conversationParamsSchema,
  messageListQuerySchema,
  toHistoryMessage,
  type MessageCursor,
} from '@chat/contracts';
import type { ConversationStore, MessageStore, StoredMessage } from '@chat/db';
import { AppError } from '@chat/errors';
import { callerOf } from './middleware/authentication';
import { nextPageLink } from './middleware/next-page-link';
import { parseInput } from './middleware/parse-input';

export interface MessageRoutesDeps {
  conversations: ConversationStore;
  messages: MessageStore;
  /** Authentication and rate limiting, run before each handler. */
  guard: RequestHandler[];
}

/**
 * GET /chat/messages/:conversationId — members only; anyone else gets the answer an unknown
 * conversation gets (404), so conversation ids cannot be probed. Pages are newest first, by
 * `offset` (the spec's) or, stable while messages arrive, `before`; `after` returns what came
 * after a message, oldest first. A full page carries a Link rel="next" that continues by seq.
 */
export function createMessageRoutes(deps: MessageRoutesDeps): Router {
  const router = Router();

  /** The seq a cursor names; a message id must be one of this conversation's messages. */
  async function seqOf(
    conversationId: string,
    cursor: MessageCursor | undefined,
    name: string,
  ): Promise<number | undefined> {
    if (cursor === undefined) return undefined;
    if ('seq' in cursor) return cursor.seq;
    const message = await deps.messages.findMessage(cursor.id);
    if (!message || message.conversationId !== conversationId) {
      throw new AppError('VALIDATION_FAILED', `${name} is not a message of this conversation`);
    }
    return message.seq;
  }

  router.get('/chat/messages/:conversationId', ...deps.guard, async (req, res) => {
    const caller = callerOf(res);
    const { conversationId } = parseInput(conversationParamsSchema, req.params);
    if (!(await deps.conversations.isMember(conversationId, caller.userId))) {
      throw new AppError('NOT_A_MEMBER');
    }
    const query = parseInput(messageListQuerySchema, req.query);
    const { limit } = query;
    const beforeSeq = await seqOf(conversationId, query.before, 'before');
    const afterSeq = await seqOf(conversationId, query.after, 'after');

    // One row more than asked tells whether a next page exists.
    let rows: StoredMessage[];
    if (beforeSeq === undefined && afterSeq === undefined) {
      rows = await deps.messages.listMessages(conversationId, {
        limit: limit + 1,
        offset: query.offset ?? 0,
      });
    } else {
      rows = await deps.messages.listMessages(conversationId, {
        limit: limit + 1,
        ...(beforeSeq !== undefined && { beforeSeq }),
        ...(afterSeq !== undefined && { afterSeq }),
      });
    }
    const page = rows.slice(0, limit);
    const last = page.at(-1);
    if (rows.length > limit && last) {
      const next =
        afterSeq === undefined
          ? { limit, before: last.seq }
          : { limit, after: last.seq, ...(beforeSeq !== undefined && { before: beforeSeq }) };
      res.setHeader('Link', nextPageLink(req, next));
    }
    res.json(page.map(toHistoryMessage));
  });

  return router;
}
