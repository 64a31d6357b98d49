import { randomUUID } from 'node:crypto';
import type { Broker } from '@chat/broker';
import {
  canonicalConversationId,
  conversationPartition,
  sendRoutingKey,
  topologyNames,
  type SendMessageCommandV1,
} from '@chat/contracts';
import { createMetricsRegistry, type OpsServer, type Registry } from '@chat/observability';
import { metricValue, eventually, newUserId, bookingOf, type TutorGoEvents } from '@chat/testing';
import type { MessageServiceConfig } from '../src/config';
import { startServiceUnderTest, type ServiceUnderTest } from './support/service-under-test';
import { answer, type BookingServiceStub } from './support/booking-service-stub';

describe('message-service metrics', () => {
  let metrics: Registry;
  let sut: ServiceUnderTest;
  let config: MessageServiceConfig;
  let broker: Broker;
  let ops: OpsServer;
  let stub: BookingServiceStub;
  let tutorgo: TutorGoEvents;

  beforeAll(async () => {
    metrics = createMetricsRegistry('message-service');
    sut = await startServiceUnderTest({ label: 'msgmetrics', metrics });
    ({ config, broker, ops, stub, tutorgo } = sut);
  });
  afterAll(async () => {
    await sut?.close();
  });

  const scrape = async () => {
    const response = await fetch(`http://127.0.0.1:${ops.port}/metrics`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    return response.text();
  };

  it('when the ops server is scraped, then /metrics has the process metrics and the booking breaker closed (0)', async () => {
    const text = await scrape();

    expect(text).toContain('# TYPE process_cpu_user_seconds_total counter');
    expect(text).toContain('# TYPE chat_send_command_seconds histogram');
    expect(metricValue(text, 'chat_booking_breaker_state', { service: 'message-service' })).toBe(0);
  });

  it('when booking events arrive, then each counts once as applied, stale (a repeat) or poison (malformed)', async () => {
    const booking = bookingOf(newUserId('student'), newUserId('tutor'));
    const confirmed = booking.event('confirmed');
    const count = async (outcome: string) =>
      metricValue(await scrape(), 'chat_booking_events_total', { outcome });
    const before = {
      applied: await count('applied'),
      stale: await count('stale'),
      poison: await count('poison'),
    };

    await tutorgo.publish('booking.confirmed', confirmed);
    await eventually(async () => (await count('applied')) === before.applied + 1);
    await tutorgo.publish('booking.confirmed', confirmed);
    await tutorgo.publish('booking.confirmed', { bookingId: booking.bookingId });

    await eventually(
      async () =>
        (await count('stale')) === before.stale + 1 &&
        (await count('poison')) === before.poison + 1,
    );
    expect(await count('applied')).toBe(before.applied + 1);
  });

  it('when the booking service fails until the breaker opens, then the gauge reads open (2) and the refusal is counted by its code', async () => {
    stub.behave(answer(503, {}));
    const [sender, receiver] = [newUserId(), newUserId()];
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
    await broker.publish(
      topologyNames(config.namespace).commandsExchange,
      sendRoutingKey(conversationPartition(conversationId, config.partitions)),
      command,
      { mandatory: true },
    );

    let text = '';
    await eventually(async () => {
      text = await scrape();
      return metricValue(text, 'chat_send_command_seconds_count', { outcome: 'refused' }) === 1;
    });
    expect(metricValue(text, 'chat_booking_breaker_state')).toBe(2);
    expect(
      metricValue(text, 'chat_send_refused_total', { code: 'BOOKING_CHECK_UNAVAILABLE' }),
    ).toBe(1);
    for (const id of [sender, receiver, conversationId]) expect(text).not.toContain(id);
  });
});
