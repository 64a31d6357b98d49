import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createTokenVerifier } from '@chat/auth';
import { ConfigError, DEV_JWT_SECRET, loadConfig } from '@chat/config';
import { topologyNames, type DemoTokenResponse, type DemoUsersResponse } from '@chat/contracts';
import { createDb } from '@chat/db';
import { listenHttp } from '@chat/observability';
import { createCloser } from '@chat/runtime';
import { createRedis } from '@chat/redis';
import { TEST_JWT_SECRET, testNamespace, testServiceUrls } from '@chat/testing';
import { createHistoryApp } from '../src/app';
import { historyServiceEnv, loadHistoryServiceConfig } from '../src/config';
import { DEMO_USERS } from '../src/domain/demo-users';
import { request, testLogger } from './support/history-server';

describe('the demo page (/chat/demo)', () => {
  const closer = createCloser();
  const urls = testServiceUrls();
  const namespace = testNamespace('demo');
  const db = closer.add(createDb({ url: urls.databaseUrl, poolMax: 2 }, testLogger));
  const redis = closer.add(
    createRedis(
      { url: urls.redisUrl, keyPrefix: topologyNames(namespace).redisKeyPrefix },
      testLogger,
    ),
  );
  let bundleDir: string;

  beforeAll(async () => {
    bundleDir = await mkdtemp(join(tmpdir(), 'demo-bundle-'));
    await writeFile(join(bundleDir, 'chat-client.browser.js'), 'export const built = true;\n');
  });
  afterAll(async () => {
    await closer.close();
    await rm(bundleDir, { recursive: true, force: true });
  });

  /** history-service's app on port 0 with `env` over the test settings; its base URL. */
  async function serve(env: Record<string, string>, options: { bundleDir?: string } = {}) {
    const config = loadConfig(historyServiceEnv, {
      CHAT_NAMESPACE: namespace,
      DATABASE_URL: urls.databaseUrl,
      REDIS_URL: urls.redisUrl,
      RABBITMQ_URL: urls.rabbitmqUrl,
      ...env,
    });
    const app = createHistoryApp({
      config,
      logger: testLogger,
      db,
      redis,
      demoBundleDir: options.bundleDir ?? bundleDir,
    });
    const server = closer.add(await listenHttp(app, { port: 0, host: '127.0.0.1' }));
    return `http://127.0.0.1:${server.port}`;
  }

  const postToken = (baseUrl: string, body: string, contentType = 'application/json') =>
    request<DemoTokenResponse & { error?: { code: string; message: string } }>(
      baseUrl,
      '/chat/demo/token',
      { method: 'POST', body, headers: { 'content-type': contentType } },
    );

  it('when NODE_ENV=production, then the page, its assets, its users and its token route are all 404', async () => {
    const baseUrl = await serve({ NODE_ENV: 'production', JWT_SECRET: TEST_JWT_SECRET });
    for (const path of [
      '/chat/demo',
      '/chat/demo/app.js',
      '/chat/demo/chat-client.browser.js',
      '/chat/demo/users.json',
    ]) {
      const response = await request(baseUrl, path);
      expect([path, response.status, response.body]).toEqual([
        path,
        404,
        { error: { code: 'NOT_FOUND', message: 'No such endpoint' } },
      ]);
    }
    const token = await postToken(baseUrl, JSON.stringify({ userId: 'demo-student' }));
    expect(token.status).toBe(404);
  });

  it('when DEMO_PAGE_ENABLED=true comes with NODE_ENV=production, then the service refuses to start naming DEMO_PAGE_ENABLED', () => {
    const load = () =>
      loadHistoryServiceConfig({
        NODE_ENV: 'production',
        JWT_SECRET: TEST_JWT_SECRET,
        DEMO_PAGE_ENABLED: 'true',
      });
    expect(load).toThrow(ConfigError);
    expect(load).toThrow(/DEMO_PAGE_ENABLED: must not be true with NODE_ENV=production/);
  });

  it.each([
    ['NODE_ENV=development with DEMO_PAGE_ENABLED=false', { DEMO_PAGE_ENABLED: 'false' }],
    ['NODE_ENV=test', { NODE_ENV: 'test' }],
  ])('when %s, then /chat/demo is 404', async (_when, env) => {
    const baseUrl = await serve({ JWT_SECRET: DEV_JWT_SECRET, ...env });
    expect((await request(baseUrl, '/chat/demo')).status).toBe(404);
    expect((await postToken(baseUrl, JSON.stringify({ userId: 'demo-student' }))).status).toBe(404);
  });

  it('when NODE_ENV=test with DEMO_PAGE_ENABLED=true, then the page is served', async () => {
    const baseUrl = await serve({
      NODE_ENV: 'test',
      DEMO_PAGE_ENABLED: 'true',
      JWT_SECRET: TEST_JWT_SECRET,
    });
    expect((await request(baseUrl, '/chat/demo')).status).toBe(200);
  });

  describe('in development with the public development secret', () => {
    let baseUrl: string;
    beforeAll(async () => {
      baseUrl = await serve({ JWT_SECRET: DEV_JWT_SECRET });
    });

    it('when the page is asked for, then it is HTML under a CSP that allows scripts of this origin only, and the page has no inline script or handler', async () => {
      const page = await request(baseUrl, '/chat/demo');
      expect(page.status).toBe(200);
      expect(page.headers.get('content-type')).toMatch(/^text\/html/);
      const csp = page.headers.get('content-security-policy') ?? '';
      expect(csp).toContain("script-src 'self'");
      expect(csp).toContain("default-src 'none'");
      expect(csp).not.toContain('unsafe-inline');
      const scripts = [...page.text.matchAll(/<script\b[^>]*>/g)].map((match) => match[0]);
      expect(scripts).toEqual(['<script type="module" src="demo/app.js">']);
      expect(page.text).not.toMatch(/\son[a-z]+=/i);
    });

    it('when /chat/demo/ is asked for, then it redirects to /chat/demo, where the relative asset links resolve', async () => {
      const response = await fetch(`${baseUrl}/chat/demo/`, { redirect: 'manual' });
      expect([response.status, response.headers.get('location')]).toEqual([301, '../demo']);
    });

    it('when its script modules and styles are asked for, then they come with their types and the CSP; a file that is not one of them is 404', async () => {
      const script = await request(baseUrl, '/chat/demo/app.js');
      expect([script.status, script.headers.get('content-type')]).toEqual([
        200,
        expect.stringMatching(/^(text|application)\/javascript/),
      ]);
      expect(script.headers.get('content-security-policy')).toContain("script-src 'self'");
      const styles = await request(baseUrl, '/chat/demo/demo.css');
      expect([styles.status, styles.headers.get('content-type')]).toEqual([
        200,
        expect.stringMatching(/^text\/css/),
      ]);
      for (const path of [
        '/chat/demo/index.html',
        '/chat/demo/..%2fdemo-users.ts',
        '/chat/demo/%2e%2e/demo-tokens.ts',
        '/chat/demo/nothing.js',
      ]) {
        expect([path, (await request(baseUrl, path)).status]).toEqual([path, 404]);
      }
    });

    it('when the chat client bundle is built, then it is served as JavaScript; when it is not, then the 404 says how to build it', async () => {
      const bundle = await request(baseUrl, '/chat/demo/chat-client.browser.js');
      expect([bundle.status, bundle.text]).toEqual([200, 'export const built = true;\n']);
      expect(bundle.headers.get('content-type')).toMatch(/javascript/);

      const empty = await mkdtemp(join(tmpdir(), 'demo-no-bundle-'));
      try {
        const unbuilt = await serve({ JWT_SECRET: DEV_JWT_SECRET }, { bundleDir: empty });
        const missing = await request<{ error: { code: string; message: string } }>(
          unbuilt,
          '/chat/demo/chat-client.browser.js',
        );
        expect(missing.status).toBe(404);
        expect(missing.body.error.message).toMatch(/npm run build:chat-client/);
      } finally {
        await rm(empty, { recursive: true, force: true });
      }
    });

    it('when the demo users are asked for, then every one is listed with the partners their seeded bookings give, and signing in is on', async () => {
      const users = await request<DemoUsersResponse>(baseUrl, '/chat/demo/users.json');
      expect(users.status).toBe(200);
      expect(users.body).toEqual({ signIn: true, users: DEMO_USERS });
      expect(users.body.users.find((user) => user.userId === 'demo-student')?.partners).toEqual([
        'demo-tutor',
        'demo-tutor-2',
      ]);
    });

    it('when a demo user signs in, then the token is a development-secret access token of that user and role that the REST API accepts', async () => {
      const before = Date.now();
      const response = await postToken(baseUrl, JSON.stringify({ userId: 'demo-tutor' }));
      expect(response.status).toBe(200);
      const claims = createTokenVerifier({ secret: DEV_JWT_SECRET }).verify(response.body.token);
      expect(claims).toMatchObject({ userId: 'demo-tutor', role: 'tutor' });
      const expiresAt = Date.parse(response.body.expiresAt);
      expect(expiresAt).toBeGreaterThanOrEqual(before + 3_590_000);
      expect(expiresAt).toBeLessThanOrEqual(Date.now() + 3_600_000);

      const conversations = await request(baseUrl, '/chat/conversations/demo-tutor', {
        authorization: `Bearer ${response.body.token}`,
      });
      expect(conversations.status).toBe(200);
    });

    it.each([
      ['a user who is not a demo user', 403, 'FORBIDDEN', JSON.stringify({ userId: 'student-1' })],
      ['a malformed user id', 400, 'VALIDATION_FAILED', JSON.stringify({ userId: 'a_b' })],
      [
        'an unknown field',
        400,
        'VALIDATION_FAILED',
        JSON.stringify({ userId: 'demo-tutor', role: 'admin' }),
      ],
      ['a body that is not JSON', 400, 'VALIDATION_FAILED', '{"userId":'],
      ['no body', 400, 'VALIDATION_FAILED', ''],
    ])(
      'when the token is asked for %s, then it is refused with %i %s',
      async (_what, status, code, body) => {
        const response = await postToken(baseUrl, body);
        expect([response.status, response.body.error?.code]).toEqual([status, code]);
        expect(response.body.token).toBeUndefined();
      },
    );

    it('when the token is asked for with a form post (text/plain, as another site could send), then it is refused', async () => {
      const response = await postToken(baseUrl, '{"userId":"demo-tutor"}', 'text/plain');
      expect([response.status, response.body.error?.code]).toEqual([400, 'VALIDATION_FAILED']);
    });
  });

  it('when the service verifies tokens with a real secret in development, then the page is served but signs nobody in', async () => {
    const baseUrl = await serve({ JWT_SECRET: TEST_JWT_SECRET });
    expect((await request(baseUrl, '/chat/demo')).status).toBe(200);
    const users = await request<DemoUsersResponse>(baseUrl, '/chat/demo/users.json');
    expect(users.body.signIn).toBe(false);
    const token = await postToken(baseUrl, JSON.stringify({ userId: 'demo-student' }));
    expect([token.status, token.body.error?.code]).toEqual([404, 'NOT_FOUND']);
  });
});
