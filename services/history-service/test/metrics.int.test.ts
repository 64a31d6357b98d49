import { canonicalConversationId } from '@chat/contracts';
import { metricValue, parseMetricSamples } from '@chat/testing';
import {
  newUserId,
  request,
  startHistoryTestServer,
  storeMessages,
  type HistoryTestServer,
} from './support/history-server';

describe('history-service metrics', () => {
  let server: HistoryTestServer;

  beforeAll(async () => {
    server = await startHistoryTestServer({ label: 'metrics' });
  });
  afterAll(() => server.close());

  const get = (path: string, options: Parameters<typeof request>[2] = {}) =>
    request(server.baseUrl, path, options);
  const scrape = () => request(server.opsUrl, '/metrics');
  const requestCount = (text: string, labels: Record<string, string>) =>
    metricValue(text, 'http_request_duration_seconds_count', labels);

  it('when requests were answered, then /metrics on the ops port counts them by method, route pattern and status, without a token', async () => {
    const me = newUserId();
    const other = newUserId();
    await storeMessages(server.db, other, me, ['hi']);
    const conversationId = canonicalConversationId(me, other);

    expect((await get(`/chat/messages/${conversationId}`, { as: me })).status).toBe(200);
    expect((await get(`/chat/conversations/${me}`)).status).toBe(401);
    expect((await get(`/chat/nothing/${me}`, { as: me })).status).toBe(404);
    const metrics = await scrape();

    expect(metrics.status).toBe(200);
    expect(metrics.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    expect(
      requestCount(metrics.text, {
        method: 'GET',
        route: '/chat/messages/:conversationId',
        status: '200',
      }),
    ).toBe(1);
    expect(
      requestCount(metrics.text, {
        method: 'GET',
        route: '/chat/conversations/:userId',
        status: '401',
      }),
    ).toBe(1);
    expect(requestCount(metrics.text, { method: 'GET', route: 'unmatched', status: '404' })).toBe(
      1,
    );
  });

  it('when scraped after requests about users, then no user or conversation id appears in the output', async () => {
    const me = newUserId();
    const other = newUserId();
    await storeMessages(server.db, other, me, ['secret words']);
    const conversationId = canonicalConversationId(me, other);
    await get(`/chat/messages/${conversationId}`, { as: me });
    await get(`/chat/conversations/${me}`, { as: me });
    await get(`/chat/conversations/${conversationId}/read`, { as: me, method: 'PATCH' });
    await get(`/chat/messages/${conversationId}?before=${encodeURIComponent(me)}`, { as: me });

    const { text } = await scrape();

    const routes = new Set(parseMetricSamples(text).map((sample) => sample.labels.route));
    expect([...routes].filter(Boolean).sort()).toEqual([
      '/chat/conversations/:conversationId/read',
      '/chat/conversations/:userId',
      '/chat/messages/:conversationId',
      'unmatched',
    ]);
    for (const secret of [me, other, conversationId, 'secret words']) {
      expect(text).not.toContain(secret);
    }
  });

  it('when no OPS_TOKEN is set, then /metrics on the public port is a 404 like any unknown path', async () => {
    const response = await get('/metrics');

    expect(response.status).toBe(404);
    expect(response.body).toMatchObject({ error: { code: 'NOT_FOUND' } });
  });

  it('when OPS_TOKEN is set, then /metrics on the public port is 401 without the bearer token or with a wrong one, and 200 with it', async () => {
    const opsToken = `ops-${newUserId()}`;
    const guarded = await startHistoryTestServer({
      label: 'metrics-token',
      env: { OPS_TOKEN: opsToken },
      relay: false,
    });
    try {
      const scrapeWith = (authorization?: string) =>
        fetch(`${guarded.baseUrl}/metrics`, { headers: authorization ? { authorization } : {} });
      const without = await scrapeWith();
      expect(without.status).toBe(401);
      expect(without.headers.get('www-authenticate')).toBe('Bearer');
      expect(await without.json()).toMatchObject({ error: { code: 'UNAUTHENTICATED' } });
      expect((await scrapeWith(`Bearer ${opsToken}-not`)).status).toBe(401);
      const right = await scrapeWith(`Bearer ${opsToken}`);
      expect(right.status).toBe(200);
      expect(await right.text()).toContain('http_request_duration_seconds');
    } finally {
      await guarded.close();
    }
  });
});
