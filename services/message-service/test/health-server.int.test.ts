import { randomUUID } from 'node:crypto';
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
import type { HealthServer } from '../src/health-server';
import { startServiceUnderTest, type ServiceUnderTest } from './support/service-under-test';
import { eventually } from '../../socket-edge/test/support/chat-client';
import { answer, type BookingServiceStub } from './support/booking-service-stub';

describe('message-service health server', () => {
  let sut: ServiceUnderTest;
  let config: MessageServiceConfig;
  let broker: Broker;
  let service: MessageService;
  let health: HealthServer;
  let stub: BookingServiceStub;

  beforeAll(async () => {
    sut = await startServiceUnderTest({ label: 'health' });
    ({ config, broker, service, health, stub } = sut);
  });
  afterAll(async () => {
    await sut?.close();
  });

  const get = async (path: string) => {
    const response = await fetch(`http://127.0.0.1:${health.port}${path}`);
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  };

  it('when the process runs, then /healthz answers 200 and unknown paths 404', async () => {
    expect(await get('/healthz')).toEqual({ status: 200, body: { status: 'ok' } });
    expect((await get('/metrics-or-whatever')).status).toBe(404);
  });

  it('when PostgreSQL and RabbitMQ answer, then /readyz is 200 and shows the booking service breaker closed', async () => {
    expect(await get('/readyz')).toEqual({
      status: 200,
      body: {
        status: 'ok',
        checks: { postgres: { status: 'ok' }, rabbitmq: { status: 'ok' } },
        bookingService: 'closed',
      },
    });
  });

  it('when the booking service breaker opens, then /readyz stays 200 and reports it open', async () => {
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
    expect(await get('/readyz')).toMatchObject({
      status: 200,
      body: { status: 'ok', bookingService: 'open' },
    });
    expect(stub.requests).toHaveLength(1);
  });

  it('when the RabbitMQ connection is gone, then /readyz is 503 and names it', async () => {
    await broker.close();
    expect(await get('/readyz')).toMatchObject({
      status: 503,
      body: {
        status: 'unavailable',
        checks: { postgres: { status: 'ok' }, rabbitmq: { status: 'unavailable' } },
      },
    });
  });
});
