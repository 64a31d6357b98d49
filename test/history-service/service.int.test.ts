import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import knexFactory from 'knex';
import { buildAsyncApiDocument, chatTopology, connectBroker } from '@chat/broker';
import { loadConfig } from '@chat/config';
import { canonicalConversationId, HISTORY_LIMITS, topologyNames } from '@chat/contracts';
import { createDb } from '@chat/db';
import { createLogger } from '@chat/observability';
import { createCloser } from '@chat/runtime';
import { createRedis } from '@chat/redis';
import {
  TEST_JWT_SECRET,
  createTcpProxy,
  testRunId,
  testServiceUrls,
  withDatabase,
  connectUser,
} from '@chat/testing';
import { startSocketEdge } from '../../services/socket-edge/src/app';
import { loadSocketEdgeConfig } from '../../services/socket-edge/src/config';
import { createHistoryApp } from '../../services/history-service/src/app';
import { historyServiceEnv } from '../../services/history-service/src/config';
import {
  newUserId,
  request,
  startHistoryTestServer,
  storeMessages,
  testLogger,
  type HistoryTestServer,
} from '../../services/history-service/test/support/history-server';

interface OpenApi {
  openapi: string;
  paths: Record<
    string,
    Record<string, { parameters?: { name: string; in: string; schema: Record<string, unknown> }[] }>
  >;
  components: { schemas: Record<string, unknown>; securitySchemes: Record<string, unknown> };
}

describe('history-service as a whole', () => {
  let server: HistoryTestServer;

  beforeAll(async () => {
    server = await startHistoryTestServer({ label: 'svc' });
  });
  afterAll(() => server.close());

  const get = <T = unknown>(path: string, options: Parameters<typeof request>[2] = {}) =>
    request<T>(server.baseUrl, path, options);

  it('when probed, then /healthz and /readyz answer 200 without a token, /readyz saying only ok, and the ops port shows each check', async () => {
    const health = await get('/healthz');
    const ready = await get('/readyz');
    const detail = await request(server.opsUrl, '/readyz');

    expect([health.status, health.body]).toEqual([200, { status: 'ok' }]);
    expect([ready.status, ready.body]).toEqual([200, { status: 'ok' }]);
    expect([detail.status, detail.body]).toEqual([
      200,
      { status: 'ok', checks: { postgres: { status: 'ok' }, redis: { status: 'ok' } } },
    ]);
  });

  it('when the OpenAPI document is fetched, then it is 3.1 and describes every endpoint with the limits the validation enforces', async () => {
    const response = await get<OpenApi>('/chat/openapi.json');
    const document = response.body;

    expect(response.status).toBe(200);
    expect(document.openapi).toBe('3.1.0');
    expect(Object.keys(document.paths).sort()).toEqual([
      '/chat/conversations/{conversationId}/read',
      '/chat/conversations/{userId}',
      '/chat/messages/{conversationId}',
    ]);
    expect(Object.keys(document.paths['/chat/conversations/{conversationId}/read']!)).toEqual([
      'patch',
    ]);
    expect(Object.keys(document.components.schemas).sort()).toEqual([
      'Conversation',
      'Error',
      'MarkReadResponse',
      'Message',
    ]);
    expect(document.components.schemas.Message).toMatchObject({
      properties: { read: { type: 'boolean' }, delivered: { type: 'boolean' } },
      required: expect.arrayContaining(['read', 'delivered']),
    });
    expect(document.components.securitySchemes.bearerAuth).toMatchObject({
      type: 'http',
      scheme: 'bearer',
    });

    const paramOf = (path: string, name: string) =>
      document.paths[path]!.get!.parameters!.find((parameter) => parameter.name === name)!.schema;
    const messageLimit = paramOf('/chat/messages/{conversationId}', 'limit');
    const listLimit = paramOf('/chat/conversations/{userId}', 'limit');
    expect(messageLimit).toMatchObject({ type: 'integer', minimum: 1, maximum: 200, default: 50 });
    expect(listLimit).toMatchObject({ type: 'integer', minimum: 1, maximum: 100, default: 50 });
    expect(paramOf('/chat/messages/{conversationId}', 'offset')).toMatchObject({
      type: 'integer',
      minimum: 0,
      maximum: HISTORY_LIMITS.offsetMax,
    });

    // What the document says is what the server enforces.
    const me = newUserId();
    const other = newUserId();
    await storeMessages(server.db, other, me, ['hi']);
    const conversationId = canonicalConversationId(me, other);
    const status = async (path: string) => (await get(path, { as: me })).status;
    expect(
      await status(`/chat/messages/${conversationId}?limit=${String(messageLimit.maximum)}`),
    ).toBe(200);
    expect(
      await status(`/chat/messages/${conversationId}?limit=${Number(messageLimit.maximum) + 1}`),
    ).toBe(400);
    expect(await status(`/chat/conversations/${me}?limit=${String(listLimit.maximum)}`)).toBe(200);
    expect(await status(`/chat/conversations/${me}?limit=${Number(listLimit.maximum) + 1}`)).toBe(
      400,
    );
  });

  it('when the AsyncAPI document is fetched beside the OpenAPI one, then it is the document the contracts generate, without a token', async () => {
    const response = await get<{ asyncapi: string }>('/chat/asyncapi.json');

    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^application\/json/);
    expect(response.body).toEqual(JSON.parse(JSON.stringify(buildAsyncApiDocument())));
    expect(response.body.asyncapi).toBe('3.0.0');
    // The docs page links to it, relatively, as it does to openapi.json.
    expect((await get('/chat/docs')).text).toContain('href="asyncapi.json"');
  });

  it('when the docs page is opened, then it lists every endpoint and loads nothing from elsewhere', async () => {
    const response = await get('/chat/docs');

    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^text\/html/);
    expect(response.headers.get('content-security-policy')).toContain("default-src 'none'");
    for (const path of [
      '/chat/conversations/{userId}',
      '/chat/messages/{conversationId}',
      '/chat/conversations/{conversationId}/read',
    ]) {
      expect(response.text).toContain(`<code>${path}</code>`);
    }
    expect(response.text).toContain('href="openapi.json"');
    expect(response.text).not.toMatch(/<script|<link|src=|https?:\/\//i);
  });

  it('when the docs page is opened with a trailing slash, then it redirects to the address whose openapi.json link works', async () => {
    const docsWithSlash = `${server.baseUrl}/chat/docs/`;
    const response = await fetch(docsWithSlash, { redirect: 'manual' });
    expect(response.status).toBe(301);
    const page = new URL(response.headers.get('location') ?? '', docsWithSlash);
    expect(page.pathname).toBe('/chat/docs');

    const document = await fetch(new URL('openapi.json', page));
    expect(document.status).toBe(200);
    expect(((await document.json()) as { openapi: string }).openapi).toMatch(/^3\./);
  });

  it('when a route or method does not exist, then it is 404 in the error shape', async () => {
    const me = newUserId();

    const unknown = await get('/chat/nothing-here', { as: me });
    const anonymous = await get('/');
    const wrongMethod = await get(`/chat/messages/${canonicalConversationId(me, newUserId())}`, {
      as: me,
      method: 'DELETE',
    });

    for (const response of [unknown, anonymous, wrongMethod]) {
      expect(response.status).toBe(404);
      expect(response.body).toEqual({ error: { code: 'NOT_FOUND', message: 'No such endpoint' } });
    }
  });

  it('when the frontend’s origin asks, then CORS allows it and exposes the paging headers; other origins get nothing', async () => {
    const me = newUserId();
    const preflight = await get(`/chat/conversations/${me}/read`, {
      method: 'OPTIONS',
      headers: {
        origin: 'http://localhost:3000',
        'access-control-request-method': 'PATCH',
        'access-control-request-headers': 'authorization',
      },
    });
    const actual = await get(`/chat/conversations/${me}`, {
      as: me,
      headers: { origin: 'http://localhost:3000' },
    });
    const foreign = await get(`/chat/conversations/${me}`, {
      as: me,
      headers: { origin: 'https://evil.example' },
    });

    expect(preflight.status).toBe(204);
    expect(preflight.headers.get('access-control-allow-origin')).toBe('http://localhost:3000');
    expect(preflight.headers.get('access-control-allow-methods')).toContain('PATCH');
    expect(preflight.headers.get('access-control-allow-headers')).toContain('Authorization');
    expect(actual.headers.get('access-control-allow-origin')).toBe('http://localhost:3000');
    expect(actual.headers.get('access-control-expose-headers')).toContain('X-Next-Cursor');
    expect(foreign.headers.get('access-control-allow-origin')).toBeNull();
  });

  it('when a request carries X-Request-Id, then the response returns it; otherwise one is made up', async () => {
    const given = await get('/healthz', { headers: { 'x-request-id': 'req-123' } });
    const made = await get('/healthz');

    expect(given.headers.get('x-request-id')).toBe('req-123');
    expect(made.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('when a user exceeds the request budget, then it is 429 with Retry-After while others go on', async () => {
    const limited = await startHistoryTestServer({
      label: 'rate',
      db: server.db,
      env: { HISTORY_RATE_LIMIT: '3', HISTORY_RATE_WINDOW_SEC: '60' },
    });
    try {
      const me = newUserId('busy');
      const other = newUserId('calm');
      const statuses: number[] = [];
      let last;
      for (let i = 0; i < 4; i++) {
        last = await request(limited.baseUrl, `/chat/conversations/${me}`, { as: me });
        statuses.push(last.status);
      }
      const someoneElse = await request(limited.baseUrl, `/chat/conversations/${other}`, {
        as: other,
      });

      expect(statuses).toEqual([200, 200, 200, 429]);
      expect(last!.body).toEqual({
        error: { code: 'RATE_LIMITED', message: expect.stringMatching(/^Too many requests/) },
      });
      expect(Number(last!.headers.get('retry-after'))).toBeGreaterThan(0);
      expect(someoneElse.status).toBe(200);
    } finally {
      await limited.close();
    }
  });

  it('when PostgreSQL is unreachable, then requests get 503 UNAVAILABLE, /readyz says so without naming it or its address, the ops port names it, and /healthz stays up', async () => {
    const target = new URL(testServiceUrls().databaseUrl);
    const proxy = await createTcpProxy(target.hostname, Number(target.port || 5432));
    const proxied = new URL(target);
    proxied.hostname = '127.0.0.1';
    proxied.port = String(proxy.port);
    const db = createDb(
      { url: proxied.toString(), poolMax: 2, acquireTimeoutMs: 1000 },
      testLogger,
    );
    const down = await startHistoryTestServer({ label: 'pgdown', db, relay: false });
    try {
      const me = newUserId();
      expect((await request(down.baseUrl, `/chat/conversations/${me}`, { as: me })).status).toBe(
        200,
      );

      await proxy.close();
      const list = await request(down.baseUrl, `/chat/conversations/${me}`, { as: me });
      const ready = await request(down.baseUrl, '/readyz');
      const health = await request(down.baseUrl, '/healthz');

      expect(list.status).toBe(503);
      expect(list.body).toEqual({
        error: { code: 'UNAVAILABLE', message: 'The service is temporarily unavailable' },
      });
      expect(ready.status).toBe(503);
      expect(ready.body).toEqual({
        status: 'unavailable',
        error: { code: 'UNAVAILABLE', message: 'Not ready' },
      });
      expect(ready.text).not.toMatch(/postgres|127\.0\.0\.1/i);
      expect(ready.text).not.toContain(String(proxy.port));
      const detail = await request(down.opsUrl, '/readyz');
      expect(detail.status).toBe(503);
      expect(detail.body).toMatchObject({
        checks: { postgres: { status: 'unavailable' }, redis: { status: 'ok' } },
      });
      expect(health.status).toBe(200);
    } finally {
      await down.close();
      await db.close();
      await proxy.close();
    }
  });

  it('when Redis is unreachable, then /readyz is 503 without naming it, and the ops port names it', async () => {
    const target = new URL(testServiceUrls().redisUrl);
    const proxy = await createTcpProxy(target.hostname, Number(target.port || 6379));
    const proxied = new URL(target);
    proxied.hostname = '127.0.0.1';
    proxied.port = String(proxy.port);
    const redis = createRedis({ url: proxied.toString(), keyPrefix: 'unused:' }, testLogger);
    const down = await startHistoryTestServer({
      label: 'rdown',
      db: server.db,
      redis,
      relay: false,
    });
    try {
      expect((await request(down.baseUrl, '/readyz')).status).toBe(200);

      await proxy.close();
      const ready = await request(down.baseUrl, '/readyz');

      expect(ready.status).toBe(503);
      expect(ready.body).toEqual({
        status: 'unavailable',
        error: { code: 'UNAVAILABLE', message: 'Not ready' },
      });
      expect(ready.text).not.toMatch(/redis/i);
      expect((await request(down.opsUrl, '/readyz')).body).toMatchObject({
        status: 'unavailable',
        checks: { postgres: { status: 'ok' }, redis: { status: 'unavailable' } },
      });
    } finally {
      await down.close();
      redis.redis.disconnect();
      await proxy.close();
    }
  });

  it('when something fails unexpectedly, then it is 500 INTERNAL without SQL or stack, and the log has the cause but no bodies or query values', async () => {
    // A database without the chat schema: every query fails with "relation … does not exist".
    const adminUrl = process.env.CHAT_TEST_ADMIN_DATABASE_URL ?? testServiceUrls().databaseUrl;
    const database = `chat_test_${testRunId()}_histempty`;
    const admin = knexFactory({ client: 'pg', connection: adminUrl, pool: { min: 0, max: 1 } });
    await admin.raw('drop database if exists ?? with (force)', [database]);
    await admin.raw('create database ??', [database]);
    const lines: string[] = [];
    const logger = createLogger(
      { service: 'test', level: 'info' },
      new Writable({
        write(chunk: Buffer, _encoding, done) {
          lines.push(chunk.toString());
          done();
        },
      }),
    );
    const empty = createDb({ url: withDatabase(adminUrl, database), poolMax: 2 }, testLogger);
    const broken = await startHistoryTestServer({
      label: 'broken',
      db: empty,
      relay: false,
      logger,
    });
    try {
      const me = newUserId();
      const conversationId = canonicalConversationId(me, newUserId());

      const response = await request(
        broken.baseUrl,
        `/chat/messages/${conversationId}?limit=7&secretquery=hunter2`,
        { as: me },
      );
      const patch = await request(broken.baseUrl, `/chat/conversations/${conversationId}/read`, {
        method: 'PATCH',
        as: me,
        headers: { 'content-type': 'application/json' },
        body: '{"note": "a private body"}',
      });

      for (const failed of [response, patch]) {
        expect(failed.status).toBe(500);
        expect(failed.body).toEqual({ error: { code: 'INTERNAL', message: 'Internal error' } });
        expect(failed.text).not.toMatch(/relation|select|conversation_members|at .*\.ts/i);
      }
      const log = lines.join('');
      expect(log).toContain('request failed');
      expect(log).toContain('does not exist');
      expect(log).not.toContain('hunter2');
      expect(log).not.toContain('secretquery');
      expect(log).not.toContain('a private body');
    } finally {
      await broken.close();
      await empty.close();
      await admin.raw('drop database if exists ?? with (force)', [database]);
      await admin.destroy();
    }
  });

  it('when the app and Socket.IO share one http server, then REST and sockets answer on one port', async () => {
    const namespace = server.namespace;
    const urls = testServiceUrls();
    const env = {
      CHAT_NAMESPACE: namespace,
      DATABASE_URL: urls.databaseUrl,
      REDIS_URL: urls.redisUrl,
      RABBITMQ_URL: urls.rabbitmqUrl,
      JWT_SECRET: TEST_JWT_SECRET,
      CHAT_PARTITIONS: '4',
    };
    const closer = createCloser();
    try {
      const broker = closer.add(
        await connectBroker(
          { url: urls.rabbitmqUrl, connectionName: 'test:shared-port' },
          testLogger,
        ),
      );
      await broker.addTopology(chatTopology(topologyNames(namespace), 4));
      const app = createHistoryApp({
        config: loadConfig(historyServiceEnv, env),
        logger: testLogger,
        db: server.db,
        redis: server.redis,
      });
      // As scripts/start.ts would: the server is created with the app, Socket.IO attaches after.
      const httpServer = createServer(app);
      closer.add({
        close: () => new Promise<void>((resolve) => httpServer.close(() => resolve())),
      });
      closer.add(
        await startSocketEdge({
          config: loadSocketEdgeConfig({ ...env, EDGE_NODE_ID: `${namespace}-shared` }),
          logger: testLogger,
          httpServer,
          db: server.db,
          redis: server.redis,
          broker,
        }),
      );
      await new Promise<void>((resolve) => httpServer.listen(0, '127.0.0.1', resolve));
      const baseUrl = `http://127.0.0.1:${(httpServer.address() as AddressInfo).port}`;
      const me = newUserId();

      const { socket, connected } = await connectUser(baseUrl, me);
      const list = await request(baseUrl, `/chat/conversations/${me}`, { as: me });
      const health = await request(baseUrl, '/healthz');
      socket.disconnect();

      expect(connected).toMatchObject({ userId: me, unreadCount: 0 });
      expect([list.status, list.body]).toEqual([200, []]);
      expect(health.status).toBe(200);
    } finally {
      await closer.close();
    }
  });
});
