import { createHistoryApi } from '../src/history-api';

interface Call {
  url: string;
  method: string;
  authorization: string | undefined;
}

/** A fetch answering each call with the next response, recording what was asked. */
function fakeFetch(responses: (() => Response)[]) {
  const calls: Call[] = [];
  const fetch = (input: string | URL | Request, init?: RequestInit) => {
    const headers = new Headers(init?.headers);
    calls.push({
      url: String(input),
      method: init?.method ?? 'GET',
      authorization: headers.get('authorization') ?? undefined,
    });
    const next = responses.shift();
    return next ? Promise.resolve(next()) : Promise.reject(new TypeError('fetch failed'));
  };
  return { fetch: fetch as typeof globalThis.fetch, calls };
}

const json =
  (body: unknown, init: ResponseInit = {}) =>
  () =>
    new Response(JSON.stringify(body), {
      ...init,
      headers: { 'content-type': 'application/json', ...init.headers },
    });
const historyMessage = (seq: number, extra: Record<string, unknown> = {}) => ({
  id: `id-${seq}`,
  conversationId: 'a_b',
  senderId: 'a',
  receiverId: 'b',
  message: `m${seq}`,
  read: false,
  createdAt: '2026-01-01T00:00:00.000Z',
  seq,
  clientMessageId: `c-${seq}`,
  editedAt: null,
  ...extra,
});

function api(responses: (() => Response)[]) {
  const { fetch, calls } = fakeFetch(responses);
  let fresh = 0;
  const history = createHistoryApi({
    baseUrl: 'http://chat.test/',
    token: () => Promise.resolve('old-token'),
    refreshToken: () => Promise.resolve(`fresh-token-${++fresh}`),
    fetch,
  });
  return { history, calls };
}

describe('createHistoryApi', () => {
  it('when messages after a seq are asked for, then the request names the cursor and the answer comes back as messages with timestamp and delivered', async () => {
    const { history, calls } = api([
      json([historyMessage(4), historyMessage(5, { delivered: true })]),
    ]);
    const entries = await history.messages('a_b', { after: 3, limit: 200 });
    expect(calls).toEqual([
      {
        url: 'http://chat.test/chat/messages/a_b?limit=200&after=3',
        method: 'GET',
        authorization: 'Bearer old-token',
      },
    ]);
    expect(
      entries.map((entry) => [entry.message.seq, entry.message.timestamp, entry.delivered]),
    ).toEqual([
      [4, '2026-01-01T00:00:00.000Z', undefined],
      [5, '2026-01-01T00:00:00.000Z', true],
    ]);
  });

  it('when the token is refused with 401, then a fresh one is asked for and the request made once more', async () => {
    const { history, calls } = api([
      json({ error: { code: 'TOKEN_EXPIRED', message: 'expired' } }, { status: 401 }),
      json([]),
    ]);
    await expect(history.messages('a_b')).resolves.toEqual([]);
    expect(calls.map((call) => call.authorization)).toEqual([
      'Bearer old-token',
      'Bearer fresh-token-1',
    ]);
  });

  it('when the server refuses, then the error carries its code, status and Retry-After', async () => {
    const { history } = api([
      json(
        { error: { code: 'RATE_LIMITED', message: 'slow down' } },
        { status: 429, headers: { 'retry-after': '3' } },
      ),
      json({ error: { code: 'NOT_A_MEMBER', message: 'Conversation not found' } }, { status: 404 }),
      () => new Response('<html>bad gateway</html>', { status: 502 }),
    ]);
    await expect(history.messages('a_b')).rejects.toMatchObject({
      code: 'RATE_LIMITED',
      status: 429,
      retryAfterMs: 3000,
      message: 'slow down',
    });
    await expect(history.messages('a_b')).rejects.toMatchObject({
      code: 'NOT_A_MEMBER',
      status: 404,
    });
    await expect(history.messages('a_b')).rejects.toMatchObject({
      code: 'BAD_RESPONSE',
      status: 502,
    });
  });

  it('when the server cannot be reached, or answers what is not the protocol, then NETWORK or BAD_RESPONSE', async () => {
    const { history } = api([
      json([historyMessage(1, { conversationId: 'a_c' })]),
      json({ not: 'a list' }),
      () => new Response('not json', { status: 200 }),
    ]);
    await expect(history.messages('a_b')).rejects.toMatchObject({ code: 'BAD_RESPONSE' });
    await expect(history.messages('a_b')).rejects.toMatchObject({ code: 'BAD_RESPONSE' });
    await expect(history.messages('a_b')).rejects.toMatchObject({ code: 'BAD_RESPONSE' });
    await expect(history.messages('a_b')).rejects.toMatchObject({ code: 'NETWORK' });
  });

  it('when conversations are listed, then the next page’s cursor comes from X-Next-Cursor; marking read is a PATCH', async () => {
    const item = {
      id: 'a_b',
      participants: ['a', 'b'],
      lastMessage: 'hi',
      lastMessageTime: null,
      unreadCount: 2,
    };
    const { history, calls } = api([
      json([item], { headers: { 'x-next-cursor': 'abc' } }),
      json([]),
      json({ success: true, message: 'Conversation marked as read' }),
    ]);
    await expect(history.conversations('a', { limit: 1 })).resolves.toEqual({
      conversations: [item],
      nextCursor: 'abc',
    });
    await expect(history.conversations('a', { cursor: 'abc' })).resolves.toEqual({
      conversations: [],
      nextCursor: undefined,
    });
    await history.markRead('a_b');
    expect(calls.map((call) => `${call.method} ${call.url}`)).toEqual([
      'GET http://chat.test/chat/conversations/a?limit=1',
      'GET http://chat.test/chat/conversations/a?cursor=abc',
      'PATCH http://chat.test/chat/conversations/a_b/read',
    ]);
  });
});
