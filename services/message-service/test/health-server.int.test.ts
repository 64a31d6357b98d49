import { randomUUID } from 'node:crypto';
import { testServiceUrls, eventually } from '@chat/testing';
import type { Broker } from '@chat/broker';
import {
  canonicalConversationId,
  conversationPartition,
  sendRoutingKey,
  topologyNames,
  type SendMessageCommandV1,
} from '@chat/contracts';
import type { MessageService } from '../src/app';
import type { MessageServiceConfig } from '../src/config';
import type { HealthServer } from '../src/entry-points/http/health-server';
import { createMetricsRegistry, type OpsServer } from '@chat/observability';
import { startServiceUnderTest, type ServiceUnderTest } from './support/service-under-test';
import { answer, type BookingServiceStub } from './support/booking-service-stub';

const newRegistry = () => createMetricsRegistry('message-service', { defaultMetrics: false });

describe('message-service health server', () => {
  let sut: ServiceUnderTest;
  let config: MessageServiceConfig;
  let broker: Broker;
  let service: MessageService;
  let health: HealthServer;
  let ops: OpsServer;
  let stub: BookingServiceStub;

  beforeAll(async () => {
    sut = await startServiceUnderTest({ label: 'health', metrics: newRegistry() });
    ({ config, broker, service, health, ops, stub } = sut);
  });
  afterAll(async () => {
    await sut?.close();
  });

  const fetchFrom = async (port: number, path: string, headers: Record<string, string> = {}) => {
    const response = await fetch(`http://127.0.0.1:${port}${path}`, { headers });
    const text = await response.text();
    return { status: response.status, text, headers: response.headers };
  };
  /** From the health port, which load balancers and orchestrators reach. */
  const get = async (path: string) => {
    const { status, text } = await fetchFrom(health.port, path);
    return { status, body: JSON.parse(text) as Record<string, unknown> };
  };
  /** From the internal ops server. */
  const getOps = async (path: string) => {
    const { status, text } = await fetchFrom(ops.port, path);
    return { status, body: JSON.parse(text) as Record<string, unknown> };
  };

  it('when the process runs, then /healthz answers 200 on both ports and unknown paths 404', async () => {
    expect(await get('/healthz')).toEqual({ status: 200, body: { status: 'ok' } });
    expect(await getOps('/healthz')).toEqual({ status: 200, body: { status: 'ok' } });
    expect((await get('/metrics-or-whatever')).status).toBe(404);
  });

  it('when no OPS_TOKEN is set, then /metrics is a 404 on the health port and served on the ops port', async () => {
    expect((await fetchFrom(health.port, '/metrics')).status).toBe(404);
    const scraped = await fetchFrom(ops.port, '/metrics');
    expect(scraped.status).toBe(200);
    expect(scraped.text).toContain('chat_booking_breaker_state');
  });

  it('when PostgreSQL and RabbitMQ answer, then /readyz is 200 saying only ok, and the ops port shows each check and the booking service breaker closed', async () => {
    expect(await get('/readyz')).toEqual({ status: 200, body: { status: 'ok' } });
    expect(await getOps('/readyz')).toEqual({
      status: 200,
      body: {
        status: 'ok',
        checks: { postgres: { status: 'ok' }, rabbitmq: { status: 'ok' } },
        bookingService: 'closed',
      },
    });
  });

  it('when the booking service breaker opens, then /readyz stays 200 and the ops port reports it open', async () => {
    stub.behave(answer(503, {}));
    const [sender, receiver] = [`u-${randomUUID()}`, `u-${randomUUID()}`];
    const conversationId = canonicalConversationId(sender, receiver);
    const command: SendMessageCommandV1 = {
      type: 'chat.send-message.v1',
      conversationId,
      senderId: sender,
      receiverId: receiver,
      message: 'anyone there?',
      clientMessageId: randomUUID(),
      acceptedAt: new Date().toISOString(),
      correlationId: randomUUID(),
    };
    const names = topologyNames(config.namespace);
    await broker.publish(
      names.commandsExchange,
      sendRoutingKey(conversationPartition(conversationId, config.partitions)),
      command,
      { mandatory: true },
    );

    await eventually(() => service.bookingServiceState === 'open');
    expect(await get('/readyz')).toEqual({ status: 200, body: { status: 'ok' } });
    expect(await getOps('/readyz')).toMatchObject({
      status: 200,
      body: { status: 'ok', bookingService: 'open' },
    });
    expect(stub.requests).toHaveLength(1);
  });

  it('when the RabbitMQ connection is gone, then /readyz is 503 saying no more, and the ops port names it', async () => {
    await broker.close();
    expect(await get('/readyz')).toEqual({
      status: 503,
      body: { status: 'unavailable', error: { code: 'UNAVAILABLE', message: 'Not ready' } },
    });
    expect(await getOps('/readyz')).toMatchObject({
      status: 503,
      body: {
        status: 'unavailable',
        checks: { postgres: { status: 'ok' }, rabbitmq: { status: 'unavailable' } },
      },
    });
  });
});

describe('message-service health server when PostgreSQL cannot be reached, with an OPS_TOKEN', () => {
  const missingDatabase = `chat_missing_${randomUUID().slice(0, 8)}`;
  const opsToken = `ops-${randomUUID()}`;
  let sut: ServiceUnderTest;

  beforeAll(async () => {
    const url = new URL(testServiceUrls().databaseUrl);
    url.pathname = `/${missingDatabase}`;
    sut = await startServiceUnderTest({
      label: 'health-nodb',
      databaseUrl: url.toString(),
      opsToken,
      metrics: newRegistry(),
    });
  });
  afterAll(async () => {
    await sut?.close();
  });

  const fetchText = async (port: number, path: string, headers: Record<string, string> = {}) => {
    const response = await fetch(`http://127.0.0.1:${port}${path}`, { headers });
    return { status: response.status, text: await response.text(), headers: response.headers };
  };

  it('then /readyz is 503 without host, port or database name, while the ops port says why', async () => {
    const { hostname, port } = new URL(testServiceUrls().databaseUrl);
    const ready = await fetchText(sut.health.port, '/readyz');
    expect(ready.status).toBe(503);
    expect(JSON.parse(ready.text)).toEqual({
      status: 'unavailable',
      error: { code: 'UNAVAILABLE', message: 'Not ready' },
    });
    for (const secret of [missingDatabase, hostname, port || '5432', 'postgres']) {
      expect(ready.text).not.toContain(secret);
    }

    const detail = await fetchText(sut.ops.port, '/readyz');
    expect(detail.status).toBe(503);
    expect(JSON.parse(detail.text)).toMatchObject({
      checks: { postgres: { status: 'unavailable' }, rabbitmq: { status: 'ok' } },
    });
    expect(detail.text).toContain(missingDatabase);
  });

  it('then /metrics on the health port needs the bearer token: 401 without or with a wrong one, 200 with it', async () => {
    const without = await fetchText(sut.health.port, '/metrics');
    expect(without.status).toBe(401);
    expect(without.headers.get('www-authenticate')).toBe('Bearer');
    const wrong = await fetchText(sut.health.port, '/metrics', {
      authorization: `Bearer ${opsToken}x`,
    });
    expect(wrong.status).toBe(401);
    const right = await fetchText(sut.health.port, '/metrics', {
      authorization: `Bearer ${opsToken}`,
    });
    expect(right.status).toBe(200);
    expect(right.text).toContain('chat_booking_breaker_state');
  });
});
