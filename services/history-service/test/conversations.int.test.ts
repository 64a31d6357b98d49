import { canonicalConversationId, type ConversationListItem } from '@chat/contracts';
import {
  newUserId,
  nextPageOf,
  request,
  startHistoryTestServer,
  storeMessages,
  type HistoryTestServer,
} from './support/history-server';

describe('GET /chat/conversations/:userId', () => {
  let server: HistoryTestServer;

  beforeAll(async () => {
    server = await startHistoryTestServer({ label: 'convs' });
  });
  afterAll(() => server.close());

  const list = (userId: string, query = '', as = userId) =>
    request<ConversationListItem[]>(server.baseUrl, `/chat/conversations/${userId}${query}`, {
      as,
    });

  it('when a user has conversations, then they come most recent first with last message and unread count', async () => {
    const me = newUserId('me');
    const older = newUserId('older');
    const newer = newUserId('newer');
    await storeMessages(server.db, older, me, ['one', 'two']);
    await storeMessages(server.db, me, older, ['my reply']);
    const [latest] = await storeMessages(server.db, newer, me, ['latest']);

    const response = await list(me);

    expect(response.status).toBe(200);
    expect(response.body).toEqual([
      {
        id: canonicalConversationId(me, newer),
        participants: [me, newer].sort(),
        lastMessage: 'latest',
        lastMessageTime: latest!.createdAt.toISOString(),
        unreadCount: 1,
      },
      {
        id: canonicalConversationId(me, older),
        participants: [me, older].sort(),
        lastMessage: 'my reply',
        lastMessageTime: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/),
        unreadCount: 2,
      },
    ]);
    expect(response.headers.get('x-next-cursor')).toBeNull();
    // The other side sees the same conversation with its own unread count.
    expect((await list(older)).body).toEqual([
      expect.objectContaining({ id: canonicalConversationId(me, older), unreadCount: 1 }),
    ]);
  });

  it('when a user has no conversations, then the list is empty', async () => {
    const loner = newUserId('loner');

    const response = await list(loner);

    expect([response.status, response.body]).toEqual([200, []]);
  });

  it('when someone asks for another user’s list, then it is 403 and nothing of it is shown', async () => {
    const victim = newUserId('victim');
    const attacker = newUserId('attacker');
    await storeMessages(server.db, attacker, victim, ['hello']);

    const other = await list(victim, '', attacker);
    const lookalike = await list(`${attacker}-x`, '', attacker);
    const prefix = await list(attacker.slice(0, -1), '', attacker);

    for (const response of [other, lookalike, prefix]) {
      expect(response.status).toBe(403);
      expect(response.body).toEqual({
        error: { code: 'FORBIDDEN', message: 'You can only list your own conversations' },
      });
    }
  });

  it('when the token is missing, then it is 401', async () => {
    const me = newUserId();

    const response = await request(server.baseUrl, `/chat/conversations/${me}`);

    expect(response.status).toBe(401);
    expect(response.body).toEqual({
      error: { code: 'UNAUTHENTICATED', message: 'A bearer token is required' },
    });
  });

  it('when a user pages with limit, then X-Next-Cursor and Link lead through every conversation once', async () => {
    const me = newUserId('pager');
    const partners = Array.from({ length: 5 }, () => newUserId('p'));
    for (const partner of partners) await storeMessages(server.db, partner, me, ['hi']);

    const first = await list(me, '?limit=2');
    const cursor = first.headers.get('x-next-cursor');
    const second = await list(me, `?limit=2&cursor=${cursor}`);
    const third = await request<ConversationListItem[]>(server.baseUrl, nextPageOf(second)!, {
      as: me,
    });

    expect(first.headers.get('link')).toBe(
      `</chat/conversations/${me}?limit=2&cursor=${cursor}>; rel="next"`,
    );
    const ids = [...first.body, ...second.body, ...third.body].map((item) => item.id);
    expect(ids).toEqual(
      [...partners].reverse().map((partner) => canonicalConversationId(me, partner)),
    );
    expect(third.body).toHaveLength(1);
    expect(third.headers.get('x-next-cursor')).toBeNull();
    expect(third.headers.get('link')).toBeNull();
  });

  it.each([
    ['?limit=0', 'limit must be a whole number from 1 to 100'],
    ['?limit=-1', 'limit must be a whole number from 1 to 100'],
    ['?limit=101', 'limit must be a whole number from 1 to 100'],
    ['?limit=1e6', 'limit must be a whole number from 1 to 100'],
    ['?limit=abc', 'limit must be a whole number from 1 to 100'],
    ['?limit=1&limit=2', 'limit must be given once'],
    ['?cursor=%3Cscript%3E', 'cursor must be a cursor this API handed out'],
    ['?cursor=bm90LWEtY3Vyc29y', 'cursor is not valid'],
  ])(
    'when the query is %s, then it is 400 VALIDATION_FAILED saying why',
    async (query, message) => {
      const me = newUserId();

      const response = await list(me, query);

      expect(response.status).toBe(400);
      expect(response.body).toEqual({ error: { code: 'VALIDATION_FAILED', message } });
    },
  );

  it('when a user has many conversations, then the list costs as many queries as with one', async () => {
    const few = newUserId('few');
    const many = newUserId('many');
    await storeMessages(server.db, newUserId(), few, ['hi']);
    for (let i = 0; i < 12; i++) await storeMessages(server.db, newUserId(), many, ['hi']);
    // A server without an outbox relay, whose polls would count too.
    const quiet = await startHistoryTestServer({ label: 'convq', relay: false });
    const queriesDuring = async (userId: string) => {
      let count = 0;
      const onQuery = () => count++;
      quiet.db.knex.on('query', onQuery);
      try {
        const response = await request<unknown[]>(quiet.baseUrl, `/chat/conversations/${userId}`, {
          as: userId,
        });
        expect(response.status).toBe(200);
      } finally {
        quiet.db.knex.off('query', onQuery);
      }
      return count;
    };

    let forFew: number;
    let forMany: number;
    try {
      forFew = await queriesDuring(few);
      forMany = await queriesDuring(many);
    } finally {
      await quiet.close();
    }

    expect((await list(many)).body).toHaveLength(12);
    expect(forFew).toBeGreaterThan(0);
    expect(forMany).toBe(forFew);
    expect(forMany).toBeLessThanOrEqual(2);
  });
});
