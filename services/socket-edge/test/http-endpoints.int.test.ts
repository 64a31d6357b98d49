import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { connectBroker } from '@chat/broker';
import { createLogger, createMetricsRegistry } from '@chat/observability';
import { createRedis } from '@chat/redis';
import { createTcpProxy, metricValue, testServiceUrls } from '@chat/testing';
import { createEdgeHttpEndpoints } from '../src/http-endpoints';
import { startChatStack, type ChatStack } from './support/chat-stack';
import { connectUser, newUserId } from './support/chat-client';

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

  it('when probed, then /healthz is 200 and /readyz is 200 with PostgreSQL, Redis and RabbitMQ ok', async () => {
    const health = await get('/healthz');
    const ready = await get('/readyz');

    expect([health.status, await health.json()]).toEqual([200, { status: 'ok' }]);
    expect([ready.status, await ready.json()]).toEqual([
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

  it('when scraped, then /metrics answers in the Prometheus text format, and Socket.IO still answers on the same port', async () => {
    const user = newUserId();
    const { socket } = await connectUser(stack.edgeUrls[0]!, user);
    try {
      const response = await get('/metrics');
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

  it('when Redis is unreachable, then /readyz is 503 naming it', async () => {
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
    const server: Server = createServer(
      createEdgeHttpEndpoints({
        db: stack.db,
        redis,
        broker,
        metrics: createMetricsRegistry('socket-edge', { defaultMetrics: false }),
        logger,
      }),
    );
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/readyz`;
    try {
      expect((await fetch(url)).status).toBe(200);

      await proxy.close();
      const ready = await fetch(url);

      expect(ready.status).toBe(503);
      expect(await ready.json()).toEqual({
        error: { code: 'UNAVAILABLE', message: 'Not reachable: redis' },
        status: 'unavailable',
        checks: {
          postgres: { status: 'ok' },
          redis: { status: 'unavailable' },
          rabbitmq: { status: 'ok' },
        },
      });
    } finally {
      await new Promise((resolve) => server.close(resolve));
      redis.redis.disconnect();
      await broker.close();
      await proxy.close();
    }
  });
});
