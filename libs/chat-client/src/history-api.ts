import { ChatClientError, toClientError } from './errors';
import type { ConversationSummary } from './types';
import { isConversationSummary, toHistoryEntry, type HistoryEntry } from './wire-guards';

export interface HistoryApiOptions {
  /** Base URL of the REST API (the part before `/chat/...`). */
  baseUrl: string;
  /** The token to send now. */
  token(): Promise<string>;
  /** A fresh token, after the server refused the one sent (401). */
  refreshToken(): Promise<string>;
  /** Default: the global fetch (browsers, Node 18+). */
  fetch?: typeof fetch;
  /** Aborts every request in progress when the client closes. */
  signal?: AbortSignal;
}

/** A page of `GET /chat/messages/:conversationId`: `after` oldest first, otherwise newest first. */
export interface MessagesQuery {
  limit?: number;
  after?: number;
  before?: number;
}

export interface ConversationsPage {
  conversations: ConversationSummary[];
  /** Where the next page starts (`cursor`), or undefined on the last page. */
  nextCursor: string | undefined;
}

export interface HistoryApi {
  messages(conversationId: string, query?: MessagesQuery): Promise<HistoryEntry[]>;
  conversations(
    userId: string,
    query?: { limit?: number; cursor?: string },
  ): Promise<ConversationsPage>;
  markRead(conversationId: string): Promise<void>;
}

/**
 * The REST API of history-service (docs/protocol.md, "REST API"). Every failure is a
 * ChatClientError: the server's code and status, NETWORK when it was not reached,
 * BAD_RESPONSE when the answer is not the protocol. A refused token (401) is replaced by a
 * fresh one and the request made once more.
 */
export function createHistoryApi(options: HistoryApiOptions): HistoryApi {
  const base = options.baseUrl.replace(/\/+$/, '');
  const doFetch = options.fetch ?? ((input, init) => globalThis.fetch(input, init));

  async function request(method: string, path: string): Promise<Response> {
    let response = await send(method, path, await options.token());
    if (response.status === 401) {
      // Undici keeps a connection busy until its body is read or cancelled.
      await response.body?.cancel();
      response = await send(method, path, await options.refreshToken());
    }
    if (response.ok) return response;
    throw await refusal(response);
  }

  async function send(method: string, path: string, token: string): Promise<Response> {
    try {
      return await doFetch(`${base}${path}`, {
        method,
        headers: { authorization: `Bearer ${token}`, accept: 'application/json' },
        signal: options.signal,
      });
    } catch (error) {
      if (options.signal?.aborted) {
        throw new ChatClientError('CLOSED', 'The chat client is closed', { cause: error });
      }
      throw new ChatClientError('NETWORK', `${method} ${path} did not reach the server`, {
        cause: error,
      });
    }
  }

  async function json(response: Response): Promise<unknown> {
    try {
      return await response.json();
    } catch (error) {
      throw new ChatClientError('BAD_RESPONSE', 'The server answered something that is not JSON', {
        status: response.status,
        cause: error,
      });
    }
  }

  async function refusal(response: Response): Promise<ChatClientError> {
    const body = (await response.json().catch(() => undefined)) as
      { error?: { code?: unknown; message?: unknown } } | undefined;
    const coded = toClientError(body?.error, `The server answered ${response.status}`);
    const retryAfterSec = Number(response.headers.get('retry-after'));
    return new ChatClientError(coded.code, coded.message, {
      status: response.status,
      ...(retryAfterSec > 0 && { retryAfterMs: retryAfterSec * 1000 }),
    });
  }

  return {
    async messages(conversationId, query = {}) {
      const params = new URLSearchParams();
      if (query.limit !== undefined) params.set('limit', String(query.limit));
      if (query.after !== undefined) params.set('after', String(query.after));
      if (query.before !== undefined) params.set('before', String(query.before));
      const body = await json(
        await request(
          'GET',
          `/chat/messages/${encodeURIComponent(conversationId)}${queryString(params)}`,
        ),
      );
      if (!Array.isArray(body)) throw badResponse('a list of messages');
      return body.map((item) => {
        const entry = toHistoryEntry(item);
        if (!entry || entry.message.conversationId !== conversationId) {
          throw badResponse('messages of the conversation asked for');
        }
        return entry;
      });
    },
    async conversations(userId, query = {}) {
      const params = new URLSearchParams();
      if (query.limit !== undefined) params.set('limit', String(query.limit));
      if (query.cursor !== undefined) params.set('cursor', query.cursor);
      const response = await request(
        'GET',
        `/chat/conversations/${encodeURIComponent(userId)}${queryString(params)}`,
      );
      const body = await json(response);
      if (!Array.isArray(body) || !body.every(isConversationSummary)) {
        throw badResponse('a list of conversations');
      }
      return {
        conversations: body,
        nextCursor: response.headers.get('x-next-cursor') ?? undefined,
      };
    },
    async markRead(conversationId) {
      const response = await request(
        'PATCH',
        `/chat/conversations/${encodeURIComponent(conversationId)}/read`,
      );
      await response.body?.cancel();
    },
  };
}

function badResponse(expected: string): ChatClientError {
  return new ChatClientError('BAD_RESPONSE', `The server did not answer with ${expected}`);
}

function queryString(params: URLSearchParams): string {
  const text = params.toString();
  return text ? `?${text}` : '';
}
