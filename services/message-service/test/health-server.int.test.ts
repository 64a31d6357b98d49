import { randomUUID } from 'node:crypto';
import { connectBroker, type Broker } from '@chat/broker';
import {
  canonicalConversationId,
  conversationPartition,
  sendRoutingKey,
  topologyNames,
  type SendMessageCommandV1,
} from '@chat/contracts';
import { createDb, type Db } from '@chat/db';
import { createLogger } from '@chat/observability';
import { testNamespace, testServiceUrls } from '@chat/testing';
import { startMessageService, type MessageService } from '../src/app';
import { loadMessageServiceConfig, type MessageServiceConfig } from '../src/config';
import { startHealthServer, type HealthServer } from '../src/health-server';
import { eventually } from '../../socket-edge/test/support/chat-client';
import {
  answer,
  startBookingServiceStub,
  type BookingServiceStub,
} from './support/booking-service-stub';
import { connectTutorGoEvents, type TutorGoEvents } from './support/tutorgo-events';

const logger = createLogger({ service: 'test', level: 'silent' });

describe('message-service health server', () => {
  let config: MessageServiceConfig;
  let db: Db;
  let broker: Broker;
  let service: MessageService;
  let health: HealthServer;
  let stub: BookingServiceStub;
  let tutorgo: TutorGoEvents;

  beforeAll(async () => {
    stub = await startBookingServiceStub();
    tutorgo = await connectTutorGoEvents();
    const urls = testServiceUrls();
    config = loadMessageServiceConfig({
      CHAT_NAMESPACE: testNamespace('health'),
      DATABASE_URL: urls.databaseUrl,
      RABBITMQ_URL: urls.rabbitmqUrl,
      CHAT_PARTITIONS: '2',
      BOOKING_EVENTS_EXCHANGE: tutorgo.exchange,
      BOOKING_SERVICE_URL: stub.url,
      BOOKING_BREAKER_VOLUME_THRESHOLD: '1',
      BOOKING_BREAKER_RESET_MS: '60000',
    });
    db = createDb({ url: config.databaseUrl, poolMax: 2 }, logger);
    broker = await connectBroker(
      { url: config.rabbitmqUrl, connectionName: 'test:health', publishTimeoutMs: 5000 },
      logger,
    );
    service = await startMessageService({ config, logger, db, broker });
    health = await startHealthServer({
      port: 0,
      host: '127.0.0.1',
      readiness: () => service.readiness(),
      logger,
    });
  });
  afterAll(async () => {
    await health?.close();
    await service?.close();
    await broker?.close();
    await db?.close();
    await tutorgo?.close();
    await stub?.close();
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
