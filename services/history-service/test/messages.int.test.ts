import { canonicalConversationId, type HistoryMessage } from '@chat/contracts';
import { createConversationStore } from '@chat/db';
import { mintToken } from '@chat/testing';
import {
  newUserId,
  nextPageOf,
  numbered,
  request,
  startHistoryTestServer,
  storeMessages,
  type ApiResponse,
  type HistoryTestServer,
} from './support/history-server';

describe('GET /chat/messages/:conversationId', () => {
  let server: HistoryTestServer;

  beforeAll(async () => {
    server = await startHistoryTestServer({ label: 'msgs' });
  });
  afterAll(() => server.close());

  const get = <T = HistoryMessage[]>(path: string, as?: string) =>
    request<T>(server.baseUrl, path, as === undefined ? {} : { as });

  /** A student and a tutor who exchanged `count` messages (student → tutor), oldest first. */
  const arrange = async (count: number) => {
    const student = newUserId('student');
    const tutor = newUserId('tutor');
    const stored = await storeMessages(server.db, student, tutor, numbered(count));
    return { student, tutor, conversationId: canonicalConversationId(student, tutor), stored };
  };
  const bodies = (messages: HistoryMessage[]) => messages.map((message) => message.message);

  it('when a member asks, then the messages come newest first in the spec’s shape', async () => {
    const { student, tutor, conversationId, stored } = await arrange(3);

    const response = await get(`/chat/messages/${conversationId}`, tutor);

    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^application\/json/);
    expect(bodies(response.body)).toEqual(['m3', 'm2', 'm1']);
    expect(response.body[0]).toEqual({
      id: stored[2]!.id,
      conversationId,
      senderId: student,
      receiverId: tutor,
      message: 'm3',
      read: false,
      delivered: false,
      createdAt: stored[2]!.createdAt.toISOString(),
      seq: 3,
      clientMessageId: stored[2]!.clientMessageId,
      editedAt: null,
    });
    expect(response.headers.get('link')).toBeNull();
    // Both members may read it.
    expect((await get(`/chat/messages/${conversationId}`, student)).status).toBe(200);
  });

  it('when the receiver marked some delivered and read fewer, then each message says delivered and read by its own watermark', async () => {
    const { student, tutor, conversationId } = await arrange(5);
    const conversations = createConversationStore(server.db.knex);
    await conversations.markDeliveredEach([{ conversationId, userId: tutor, upToSeq: 4 }]);
    const flags = async () =>
      (await get(`/chat/messages/${conversationId}?after=0`, student)).body.map((message) => [
        message.seq,
        message.delivered,
        message.read,
      ]);
    expect(await flags()).toEqual([
      [1, true, false],
      [2, true, false],
      [3, true, false],
      [4, true, false],
      [5, false, false],
    ]);

    // Read implies delivered: message 5 was never marked delivered.
    await conversations.markRead(conversationId, tutor);
    expect(await flags()).toEqual([
      [1, true, true],
      [2, true, true],
      [3, true, true],
      [4, true, true],
      [5, true, true],
    ]);
  });

  it('when no limit is given, then 50 come back; limit and offset page from the newest', async () => {
    const { tutor, conversationId } = await arrange(55);

    const all = await get(`/chat/messages/${conversationId}`, tutor);
    const one = await get(`/chat/messages/${conversationId}?limit=1`, tutor);
    const second = await get(`/chat/messages/${conversationId}?limit=1&offset=1`, tutor);
    const tail = await get(`/chat/messages/${conversationId}?limit=10&offset=50`, tutor);
    const pastTheEnd = await get(`/chat/messages/${conversationId}?offset=55`, tutor);
    const farPast = await get(`/chat/messages/${conversationId}?offset=1000000`, tutor);
    const most = await get(`/chat/messages/${conversationId}?limit=200`, tutor);

    expect(all.body).toHaveLength(50);
    expect(all.body[0]!.message).toBe('m55');
    expect(bodies(one.body)).toEqual(['m55']);
    expect(bodies(second.body)).toEqual(['m54']);
    expect(bodies(tail.body)).toEqual(['m5', 'm4', 'm3', 'm2', 'm1']);
    expect([pastTheEnd.status, pastTheEnd.body]).toEqual([200, []]);
    expect([farPast.status, farPast.body]).toEqual([200, []]);
    expect(most.body).toHaveLength(55);
  });

  it.each([
    ['limit=0', 'limit must be a whole number from 1 to 200'],
    ['limit=-1', 'limit must be a whole number from 1 to 200'],
    ['limit=1e6', 'limit must be a whole number from 1 to 200'],
    ['limit=201', 'limit must be a whole number from 1 to 200'],
    ['limit=1000000', 'limit must be a whole number from 1 to 200'],
    ['limit=abc', 'limit must be a whole number from 1 to 200'],
    ['limit=', 'limit must be a whole number from 1 to 200'],
    ['limit=2.5', 'limit must be a whole number from 1 to 200'],
    ['limit=0x10', 'limit must be a whole number from 1 to 200'],
    ['limit=1&limit=2', 'limit must be given once'],
    ['offset=-1', 'offset must be a whole number from 0 to 1000000'],
    ['offset=abc', 'offset must be a whole number from 0 to 1000000'],
    ['offset=99999999999999999999', 'offset must be a whole number from 0 to 1000000'],
    ['offset=1&offset=1', 'offset must be given once'],
    ['before=abc', 'before must be a message id or a sequence number'],
    ['after=-3', 'after must be a message id or a sequence number'],
    ['offset=1&before=3', 'offset cannot be combined with before or after'],
  ])(
    'when the query is %s, then it is 400 VALIDATION_FAILED saying why',
    async (query, message) => {
      const { tutor, conversationId } = await arrange(1);

      const response = await get(`/chat/messages/${conversationId}?${query}`, tutor);

      expect(response.status).toBe(400);
      expect(response.body).toEqual({ error: { code: 'VALIDATION_FAILED', message } });
    },
  );

  it('when the caller is not a member, then the answer is the one an unknown conversation gets', async () => {
    const { student, tutor, conversationId } = await arrange(1);
    const outsider = newUserId('outsider');
    // Ids that contain the caller's id: its own pair with someone it never wrote to, the real
    // conversation's id reversed, and a conversation of a user whose id starts with the caller's.
    const prefixed = `${outsider}-2`;
    await storeMessages(server.db, prefixed, tutor, ['hi']);

    const nonMember = await get(`/chat/messages/${conversationId}`, outsider);
    const unknown = await get(
      `/chat/messages/${canonicalConversationId(outsider, newUserId())}`,
      outsider,
    );
    const ownPairNeverUsed = await get(
      `/chat/messages/${canonicalConversationId(outsider, student)}`,
      outsider,
    );
    const reversed = await get(`/chat/messages/${tutor}_${student}`, student);
    const lookalike = await get(
      `/chat/messages/${canonicalConversationId(prefixed, tutor)}`,
      outsider,
    );

    const notFound = { error: { code: 'NOT_A_MEMBER', message: 'Conversation not found' } };
    for (const response of [nonMember, unknown, ownPairNeverUsed, reversed, lookalike]) {
      expect(response.status).toBe(404);
      expect(response.body).toEqual(notFound);
    }
    // Nothing about the conversation leaks through a bad query either.
    const badQuery = await get(`/chat/messages/${conversationId}?limit=abc`, outsider);
    expect([badQuery.status, badQuery.body]).toEqual([404, notFound]);
  });

  it('when the conversation id is not a pair of user ids, then it is 400', async () => {
    const caller = newUserId();

    const response = await get(`/chat/messages/${caller}`, caller);
    const sqlish = await get(`/chat/messages/${encodeURIComponent("x' or '1'='1")}`, caller);
    const badEncoding = await get('/chat/messages/a_%E0%A4%A', caller);

    expect(response.status).toBe(400);
    expect(response.body).toEqual({
      error: { code: 'VALIDATION_FAILED', message: 'conversationId must be "<userId>_<userId>"' },
    });
    expect(sqlish.status).toBe(400);
    expect(badEncoding.status).toBe(400);
    expect(badEncoding.body).toEqual({
      error: { code: 'VALIDATION_FAILED', message: 'The request path is not validly encoded' },
    });
  });

  it('when the token is missing, malformed, forged or expired, then it is 401 and nothing is read', async () => {
    const { tutor, conversationId } = await arrange(1);
    const path = `/chat/messages/${conversationId}`;

    const missing = await request(server.baseUrl, path);
    const wrongScheme = await request(server.baseUrl, path, {
      authorization: `Basic ${Buffer.from('a:b').toString('base64')}`,
    });
    const garbage = await request(server.baseUrl, path, { authorization: 'Bearer not-a-jwt' });
    const forged = await request(server.baseUrl, path, {
      authorization: `Bearer ${mintToken(tutor, { secret: 'another-secret-of-32-characters!!' })}`,
    });
    const expired = await request(server.baseUrl, path, {
      authorization: `Bearer ${mintToken(tutor, { claims: { exp: Math.floor(Date.now() / 1000) - 60 } })}`,
    });
    const resetToken = await request(server.baseUrl, path, {
      authorization: `Bearer ${mintToken(tutor, { claims: { purpose: 'password-reset' } })}`,
    });

    for (const response of [missing, wrongScheme, garbage, forged, resetToken]) {
      expect(response.status).toBe(401);
      expect(response.body).toEqual({
        error: { code: 'UNAUTHENTICATED', message: expect.any(String) },
      });
      expect(response.headers.get('www-authenticate')).toBe('Bearer');
    }
    expect(expired.status).toBe(401);
    expect(expired.body).toEqual({
      error: { code: 'TOKEN_EXPIRED', message: 'The token has expired' },
    });
  });

  it('when the token never expires (no exp) or is a refresh or ID token, then it is 401 UNAUTHENTICATED and nothing is read', async () => {
    const { tutor, conversationId } = await arrange(1);
    const path = `/chat/messages/${conversationId}`;
    const as = (token: string) =>
      request(server.baseUrl, path, { authorization: `Bearer ${token}` });

    const noExp = await as(mintToken(tutor, { expiresIn: null }));
    const refresh = await as(mintToken(tutor, { claims: { token_type: 'refresh' } }));
    const idToken = await as(mintToken(tutor, { claims: { token_use: 'id' } }));

    expect(noExp.status).toBe(401);
    expect(noExp.body).toEqual({
      error: {
        code: 'UNAUTHENTICATED',
        message: 'The token has no expiry (exp); tokens that never expire are refused',
      },
    });
    for (const response of [refresh, idToken]) {
      expect(response.status).toBe(401);
      expect(response.body).toEqual({
        error: { code: 'UNAUTHENTICATED', message: expect.stringMatching(/not an access token/) },
      });
    }
    // The same user's access token still reads: only the token kind was refused.
    expect((await get(path, tutor)).status).toBe(200);
  });

  it('when the token expired less than JWT_CLOCK_TOLERANCE_SEC (30 s) ago, then it is still accepted', async () => {
    const { tutor, conversationId } = await arrange(1);
    const justExpired = mintToken(tutor, { claims: { exp: Math.floor(Date.now() / 1000) - 5 } });

    const response = await request(server.baseUrl, `/chat/messages/${conversationId}`, {
      authorization: `Bearer ${justExpired}`,
    });

    expect(response.status).toBe(200);
  });

  it('when paging back with before, then each page continues where the last ended, by seq or id, with a Link to the next', async () => {
    const { tutor, conversationId, stored } = await arrange(7);
    const path = `/chat/messages/${conversationId}`;

    const first = await get(`${path}?limit=3`, tutor);
    expect(first.headers.get('link')).toBe(`<${path}?limit=3&before=5>; rel="next"`);
    const second = await get(nextPageOf(first)!, tutor);
    const byId = await get(`${path}?limit=3&before=${stored[4]!.id}`, tutor);
    const last = await get(`${path}?limit=3&before=2`, tutor);
    const none = await get(`${path}?before=1`, tutor);

    expect(bodies(first.body)).toEqual(['m7', 'm6', 'm5']);
    expect(bodies(second.body)).toEqual(['m4', 'm3', 'm2']);
    expect(second.headers.get('link')).toBe(`<${path}?limit=3&before=2>; rel="next"`);
    expect(bodies(byId.body)).toEqual(['m4', 'm3', 'm2']);
    expect(bodies(last.body)).toEqual(['m1']);
    expect(last.headers.get('link')).toBeNull();
    expect(none.body).toEqual([]);
  });

  it('when a client that reconnects asks for what came after its last message, then it gets exactly those, oldest first', async () => {
    const { student, tutor, conversationId, stored } = await arrange(3);
    const lastSeen = stored[2]!;
    const missed = await storeMessages(server.db, tutor, student, numbered(4, 'reply'));
    const path = `/chat/messages/${conversationId}`;

    const byId = await get(`${path}?after=${lastSeen.id}`, student);
    const bySeq = await get(`${path}?after=${lastSeen.seq}&limit=2`, student);
    const nextPage = await get(`${path}?after=5&limit=2`, student);
    const upToDate = await get(`${path}?after=${missed[3]!.id}`, student);
    const range = await get(`${path}?after=1&before=4`, student);

    expect(bodies(byId.body)).toEqual(['reply1', 'reply2', 'reply3', 'reply4']);
    expect(byId.body.map((message) => message.id)).toEqual(missed.map((message) => message.id));
    expect(bodies(bySeq.body)).toEqual(['reply1', 'reply2']);
    expect(bySeq.headers.get('link')).toBe(`<${path}?limit=2&after=5>; rel="next"`);
    expect(bodies(nextPage.body)).toEqual(['reply3', 'reply4']);
    expect(nextPage.headers.get('link')).toBeNull();
    expect(upToDate.body).toEqual([]);
    expect(bodies(range.body)).toEqual(['m2', 'm3']);
  });

  it('when a cursor names a message of another conversation or none at all, then it is 400', async () => {
    const { tutor, conversationId } = await arrange(2);
    const other = await arrange(1);

    const foreign = await get(
      `/chat/messages/${conversationId}?before=${other.stored[0]!.id}`,
      tutor,
    );
    const unknown = await get(
      `/chat/messages/${conversationId}?after=00000000-0000-4000-8000-000000000000`,
      tutor,
    );

    expect(foreign.status).toBe(400);
    expect(foreign.body).toEqual({
      error: { code: 'VALIDATION_FAILED', message: 'before is not a message of this conversation' },
    });
    expect(unknown.status).toBe(400);
  });

  it('when messages arrive while a client pages back with before, then the pages neither repeat nor skip a message', async () => {
    const { student, tutor, conversationId } = await arrange(60);
    const path = `/chat/messages/${conversationId}`;

    let arriving = true;
    const writer = (async () => {
      let n = 0;
      while (arriving) await storeMessages(server.db, tutor, student, [`new${++n}`]);
      return n;
    })();
    const seen: string[] = [];
    let next: string | undefined = `${path}?limit=7`;
    while (next) {
      const page: ApiResponse<HistoryMessage[]> = await get(next, student);
      expect(page.status).toBe(200);
      seen.push(...bodies(page.body));
      next = nextPageOf(page);
    }
    arriving = false;
    const written = await writer;

    expect(written).toBeGreaterThan(0);
    // The first page starts at whatever was newest then; every older message follows once, in order.
    expect(seen.filter((body) => body.startsWith('m'))).toEqual(numbered(60).reverse());
    expect(new Set(seen).size).toBe(seen.length);
  });

  it('when bodies hold unicode, HTML and SQL, then they come back byte for byte', async () => {
    const student = newUserId('student');
    const tutor = newUserId('tutor');
    const tricky = [
      'Привет 👋🏽 — 你好, مرحبا, שָׁלוֹם',
      'e\u0301 + 👨‍👩‍👧‍👦 + \u200b zero width + \ud83d\ude00',
      '<script>alert("x")</script><img src=x onerror=alert(1)>&amp;',
      '\'; DROP TABLE messages; -- " OR 1=1 /* */',
      'back\\slash "quotes" \n new line \t tab \u007f delete and \u2028 line separator',
      '   leading and trailing spaces   ',
    ];
    await storeMessages(server.db, student, tutor, tricky);
    const conversationId = canonicalConversationId(student, tutor);

    const response = await get(`/chat/messages/${conversationId}?after=0`, tutor);
    const list = await get<{ lastMessage: string }[]>(`/chat/conversations/${tutor}`, tutor);

    expect(bodies(response.body)).toEqual(tricky);
    for (const body of tricky) {
      expect(Buffer.from(bodies(response.body)[tricky.indexOf(body)]!, 'utf8')).toEqual(
        Buffer.from(body, 'utf8'),
      );
    }
    expect(list.body[0]!.lastMessage).toBe(tricky.at(-1));
    expect(response.headers.get('x-content-type-options')).toBe('nosniff');
  });
});
