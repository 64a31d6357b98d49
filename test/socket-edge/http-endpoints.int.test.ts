import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { connectBroker, type Broker } from '@chat/broker';
import { createLogger, startOpsServer } from '@chat/observability';
import { createRedis, type RedisClient } from '@chat/redis';
import {
  createTcpProxy,
  metricValue,
  testServiceUrls,
  connectUser,
  newUserId,
} from '@chat/testing';
import {
  createEdgeHttpEndpoints,
  createEdgeReadiness,
} from '../../services/socket-edge/src/entry-points/http/http-endpoints';
import { startChatStack, type ChatStack } from '../support/chat-stack';

const logger = createLogger({ service: 'test', level: 'silent' });

describe('socket-edge HTTP endpoints', () => {
  let stack: ChatStack;

  beforeAll(async () => {
    // Each edge of the stack is served as main.ts serves it: these endpoints beside Socket.IO.
    stack = await startChatStack({ label: 'edgehttp' });
  });
  afterAll(async () => {
    await stack.close();
  });

  const get = (path: string, method = 'GET') => fetch(`${stack.edgeUrls[0]!}${path}`, { method });
  const getOps = (path: string) => fetch(`${stack.edgeOpsUrls[0]!}${path}`);

  /** The public endpoints (with the first edge's registry) on a server of their own. */
  async function serve(deps: { redis: RedisClient; broker: Broker; opsToken?: string }) {
    const server: Server = createServer(
      createEdgeHttpEndpoints({ db: stack.db, metrics: stack.edgeMetrics[0]!, logger, ...deps }),
    );
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return {
      url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
      close: () => new Promise((resolve) => server.close(resolve)),
    };
  }

  it('when probed, then /healthz is 200, /readyz 200 saying only ok, and the ops port shows PostgreSQL, Redis and RabbitMQ ok', async () => {
    const health = await get('/healthz');
    const ready = await get('/readyz');
    const detail = await getOps('/readyz');

    expect([health.status, await health.json()]).toEqual([200, { status: 'ok' }]);
    expect([ready.status, await ready.json()]).toEqual([200, { status: 'ok' }]);
    expect([detail.status, await detail.json()]).toEqual([
      200,
      {
        status: 'ok',
        checks: {
          postgres: { status: 'ok' },
          redis: { status: 'ok' },
          rabbitmq: { status: 'ok' },
        },
      },
    ]);
  });

  it('when scraped without OPS_TOKEN, then /metrics is a 404 on the public port and answers in the Prometheus text format on the ops port, while Socket.IO answers on the public one', async () => {
    const user = newUserId();
    const { socket } = await connectUser(stack.edgeUrls[0]!, user);
    try {
      const hidden = await get('/metrics');
      expect([hidden.status, await hidden.json()]).toEqual([
        404,
        { error: { code: 'NOT_FOUND', message: 'No such endpoint' } },
      ]);
      const response = await getOps('/metrics');
      const text = await response.text();

      expect(response.status).toBe(200);
      expect(response.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
      expect(text).toContain('# TYPE chat_sockets_connected gauge');
      expect(metricValue(text, 'chat_sockets_connected', { service: 'socket-edge' })).toBe(1);
      expect(text).not.toContain(user);
    } finally {
      socket.disconnect();
    }
  });

  it('when a path or method is not one of them, then it is 404 in the error shape', async () => {
    const unknown = await get('/nothing-here');
    const wrongMethod = await get('/metrics', 'POST');

    expect([unknown.status, await unknown.json()]).toEqual([
      404,
      { error: { code: 'NOT_FOUND', message: 'No such endpoint' } },
    ]);
    expect(wrongMethod.status).toBe(404);
  });

  it('when OPS_TOKEN is set, then /metrics on the public port is 401 without the bearer token or with a wrong one, and 200 with it', async () => {
    const opsToken = `ops-${newUserId()}`;
    const broker = await connectBroker(
      { url: testServiceUrls().rabbitmqUrl, connectionName: 'test:edge-ops-token' },
      logger,
    );
    const endpoints = await serve({ redis: stack.redis, broker, opsToken });
    const scrape = (authorization?: string) =>
      fetch(`${endpoints.url}/metrics`, { headers: authorization ? { authorization } : {} });
    try {
      const without = await scrape();
      expect(without.status).toBe(401);
      expect(without.headers.get('www-authenticate')).toBe('Bearer');
      expect(await without.json()).toEqual({
        error: { code: 'UNAUTHENTICATED', message: 'A valid bearer token is required' },
      });
      expect((await scrape(`Bearer ${opsToken.slice(0, -1)}`)).status).toBe(401);
      expect((await scrape(`Basic ${opsToken}`)).status).toBe(401);
      const right = await scrape(`Bearer ${opsToken}`);
      expect(right.status).toBe(200);
      expect(await right.text()).toContain('# TYPE chat_sockets_connected gauge');
    } finally {
      await endpoints.close();
      await broker.close();
    }
  });

  it('when Redis is unreachable, then /readyz is 503 naming neither it nor its address, and the ops port names it', async () => {
    const target = new URL(testServiceUrls().redisUrl);
    const proxy = await createTcpProxy(target.hostname, Number(target.port || 6379));
    const proxied = new URL(target);
    proxied.hostname = '127.0.0.1';
    proxied.port = String(proxy.port);
    const redis = createRedis({ url: proxied.toString(), keyPrefix: 'unused:' }, logger);
    const broker = await connectBroker(
      { url: testServiceUrls().rabbitmqUrl, connectionName: 'test:edge-readyz' },
      logger,
    );
    const endpoints = await serve({ redis, broker });
    const ops = await startOpsServer({
      host: '127.0.0.1',
      port: 0,
      readiness: createEdgeReadiness({ db: stack.db, redis, broker }),
      logger,
    });
    const url = `${endpoints.url}/readyz`;
    try {
      expect((await fetch(url)).status).toBe(200);

      await proxy.close();
      const ready = await fetch(url);
      const text = await ready.text();

      expect(ready.status).toBe(503);
      expect(JSON.parse(text)).toEqual({
        status: 'unavailable',
        error: { code: 'UNAVAILABLE', message: 'Not ready' },
      });
      expect(text).not.toMatch(/redis|127\.0\.0\.1/i);
      expect(text).not.toContain(String(proxy.port));
      const detail = await fetch(`http://127.0.0.1:${ops.port}/readyz`);
      expect([detail.status, await detail.json()]).toEqual([
        503,
        {
          status: 'unavailable',
          checks: {
            postgres: { status: 'ok' },
            redis: { status: 'unavailable', detail: expect.any(String) },
            rabbitmq: { status: 'ok' },
          },
        },
      ]);
    } finally {
      await ops.close();
      await endpoints.close();
      redis.redis.disconnect();
      await broker.close();
      await proxy.close();
    }
  });
});
