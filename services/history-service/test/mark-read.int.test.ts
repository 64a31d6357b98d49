import { canonicalConversationId, type HistoryMessage } from '@chat/contracts';
import {
  newUserId,
  request,
  startHistoryTestServer,
  storeMessages,
  type HistoryTestServer,
} from './support/history-server';

describe('PATCH /chat/conversations/:conversationId/read', () => {
  let server: HistoryTestServer;

  beforeAll(async () => {
    server = await startHistoryTestServer({ label: 'read' });
  });
  afterAll(() => server.close());

  const markRead = (
    conversationId: string,
    as: string,
    options: { body?: string; headers?: Record<string, string> } = {},
  ) =>
    request(server.baseUrl, `/chat/conversations/${conversationId}/read`, {
      method: 'PATCH',
      as,
      ...options,
    });
  const unreadOf = async (userId: string, conversationId: string) => {
    const response = await request<{ id: string; unreadCount: number }[]>(
      server.baseUrl,
      `/chat/conversations/${userId}`,
      { as: userId },
    );
    return response.body.find((item) => item.id === conversationId)?.unreadCount;
  };
  const readFlags = async (conversationId: string, as: string) =>
    (
      await request<HistoryMessage[]>(server.baseUrl, `/chat/messages/${conversationId}?after=0`, {
        as,
      })
    ).body.map((message) => `${message.message}:${message.read}`);
  /** The outbox rows announcing reads of the conversation (published or not). */
  const outboxRows = async (conversationId: string) =>
    (await server.db
      .knex('outbox')
      .whereRaw(`coalesce(payload->'payload'->>'conversationId', payload->>'conversationId') = ?`, [
        conversationId,
      ])
      .orderBy('id')
      .select('exchange', 'routing_key', 'payload')) as {
      exchange: string;
      routing_key: string;
      payload: Record<string, unknown>;
    }[];

  it('when the receiver marks read, then unread is 0, the messages read, and a receipt and an event are queued once however often it repeats', async () => {
    const student = newUserId('student');
    const tutor = newUserId('tutor');
    const conversationId = canonicalConversationId(student, tutor);
    await storeMessages(server.db, student, tutor, ['q1', 'q2']);
    await storeMessages(server.db, tutor, student, ['a1']);
    const [last] = await storeMessages(server.db, student, tutor, ['q3']);
    expect(await unreadOf(tutor, conversationId)).toBe(3);

    const first = await markRead(conversationId, tutor);
    const again = await markRead(conversationId, tutor);

    for (const response of [first, again]) {
      expect(response.status).toBe(200);
      expect(response.body).toEqual({ success: true, message: 'Conversation marked as read' });
    }
    expect(await unreadOf(tutor, conversationId)).toBe(0);
    // The tutor's own answer is still unread for the student.
    expect(await unreadOf(student, conversationId)).toBe(1);
    expect(await readFlags(conversationId, tutor)).toEqual([
      'q1:true',
      'q2:true',
      'a1:false',
      'q3:true',
    ]);

    const rows = await outboxRows(conversationId);
    expect(rows).toHaveLength(2);
    const [receipt, event] = rows;
    expect(receipt).toEqual({
      exchange: `${server.namespace}.chat.delivery`,
      routing_key: `user.${student}`,
      payload: {
        type: 'chat.delivery.v1',
        userId: student,
        event: 'messages-read',
        correlationId: expect.any(String),
        payload: {
          conversationId,
          readerId: tutor,
          upToMessageId: last!.id,
          readAt: expect.stringMatching(/Z$/),
        },
      },
    });
    expect(event).toEqual({
      exchange: `${server.namespace}.chat.events`,
      routing_key: 'chat.conversation.read.v1',
      payload: {
        type: 'chat.conversation.read.v1',
        conversationId,
        readerId: tutor,
        upToMessageId: last!.id,
        upToSeq: 4,
        readAt: (receipt!.payload.payload as { readAt: string }).readAt,
      },
    });
  });

  it('when nothing is unread, then it still succeeds and announces nothing', async () => {
    const student = newUserId('student');
    const tutor = newUserId('tutor');
    const conversationId = canonicalConversationId(student, tutor);
    await storeMessages(server.db, student, tutor, ['only mine']);

    const response = await markRead(conversationId, student);

    expect(response.status).toBe(200);
    expect(response.body).toEqual({ success: true, message: 'Conversation marked as read' });
    expect(await outboxRows(conversationId)).toEqual([]);
    expect(await unreadOf(tutor, conversationId)).toBe(1);
  });

  it('when the caller is not a member or the conversation does not exist, then it is the same 404 and nothing changes', async () => {
    const student = newUserId('student');
    const tutor = newUserId('tutor');
    const outsider = newUserId('outsider');
    const conversationId = canonicalConversationId(student, tutor);
    await storeMessages(server.db, student, tutor, ['private']);

    const nonMember = await markRead(conversationId, outsider);
    const unknown = await markRead(canonicalConversationId(outsider, newUserId()), outsider);
    const ownIdInside = await markRead(canonicalConversationId(outsider, tutor), outsider);

    for (const response of [nonMember, unknown, ownIdInside]) {
      expect(response.status).toBe(404);
      expect(response.body).toEqual({
        error: { code: 'NOT_A_MEMBER', message: 'Conversation not found' },
      });
    }
    expect(await unreadOf(tutor, conversationId)).toBe(1);
    expect(await outboxRows(conversationId)).toEqual([]);
  });

  it('when the id is malformed or the token missing, then it is 400 or 401', async () => {
    const caller = newUserId();

    const malformed = await markRead('not-a-pair', caller);
    const anonymous = await request(
      server.baseUrl,
      `/chat/conversations/${canonicalConversationId(caller, newUserId())}/read`,
      { method: 'PATCH' },
    );

    expect(malformed.status).toBe(400);
    expect(malformed.body).toEqual({
      error: { code: 'VALIDATION_FAILED', message: 'conversationId must be "<userId>_<userId>"' },
    });
    expect(anonymous.status).toBe(401);
    expect(anonymous.body).toMatchObject({ error: { code: 'UNAUTHENTICATED' } });
  });

  it('when the body is malformed JSON or too large, then it is 400 or 413 and nothing is marked; a JSON body is ignored', async () => {
    const student = newUserId('student');
    const tutor = newUserId('tutor');
    const conversationId = canonicalConversationId(student, tutor);
    await storeMessages(server.db, student, tutor, ['hello']);
    const json = { 'content-type': 'application/json' };

    const malformed = await markRead(conversationId, tutor, {
      body: '{"upTo": "secret text',
      headers: json,
    });
    const tooLarge = await markRead(conversationId, tutor, {
      body: JSON.stringify({ padding: 'x'.repeat(20_000) }),
      headers: json,
    });
    expect(await unreadOf(tutor, conversationId)).toBe(1);
    const withBody = await markRead(conversationId, tutor, { body: '{}', headers: json });

    expect(malformed.status).toBe(400);
    expect(malformed.body).toEqual({
      error: { code: 'VALIDATION_FAILED', message: 'The request body is not valid JSON' },
    });
    expect(malformed.text).not.toContain('secret');
    expect(tooLarge.status).toBe(413);
    expect(tooLarge.body).toMatchObject({ error: { code: 'PAYLOAD_TOO_LARGE' } });
    expect(withBody.status).toBe(200);
    expect(await unreadOf(tutor, conversationId)).toBe(0);
  });
});
