import { randomUUID } from 'node:crypto';
import type { ChatPublisher, ReceivedMessage } from '@chat/broker';
import {
  canonicalConversationId,
  type DeliveryV1,
  type SendMessageCommandV1,
} from '@chat/contracts';
import { createBookingStore, createDb, createMessageStore, type Db } from '@chat/db';
import { createLogger } from '@chat/observability';
import { testServiceUrls } from '@chat/testing';
import { createEntitlementChecker } from '../src/domain/entitlement-checker';
import { createSendMessageHandler } from '../src/entry-points/broker/send-message-handler';

const logger = createLogger({ service: 'test', level: 'silent' });

/** A publisher that records what it sends and fails the first `failures` deliveries, like a broker outage would. */
function createFlakyPublisher(failures: number) {
  const delivered: DeliveryV1[] = [];
  const events: string[] = [];
  let remaining = failures;
  const publisher: ChatPublisher = {
    async deliver(delivery) {
      if (remaining > 0) {
        remaining--;
        throw new Error('connection lost before the confirm');
      }
      delivered.push(delivery);
    },
    async deliverAll(deliveries) {
      await Promise.all(deliveries.map((delivery) => publisher.deliver(delivery)));
    },
    async emitEvent(event) {
      events.push(event.type);
    },
  };
  return { publisher, delivered, events };
}

function received(command: SendMessageCommandV1, redelivered: boolean): ReceivedMessage {
  return {
    json: () => command,
    redelivered,
    headers: {},
    exchange: 'chat.commands',
    routingKey: 'send.0',
    messageId: command.correlationId,
    correlationId: command.correlationId,
  } as unknown as ReceivedMessage;
}

describe('send command redelivery', () => {
  let db: Db;

  beforeAll(() => {
    db = createDb({ url: testServiceUrls().databaseUrl, poolMax: 4 }, logger);
  });
  afterAll(async () => {
    await db.close();
  });

  async function arrange() {
    const sender = `s-${randomUUID()}`;
    const receiver = `r-${randomUUID()}`;
    await createBookingStore(db.knex).applyBookingEvent({
      bookingId: `b-${randomUUID()}`,
      studentId: sender,
      tutorId: receiver,
      status: 'confirmed',
    });
    const command: SendMessageCommandV1 = {
      type: 'chat.send-message.v1',
      conversationId: canonicalConversationId(sender, receiver),
      senderId: sender,
      receiverId: receiver,
      message: 'survives a crash',
      clientMessageId: randomUUID(),
      acceptedAt: new Date().toISOString(),
      correlationId: randomUUID(),
    };
    return { command };
  }

  const handlerWith = (publisher: ChatPublisher) =>
    createSendMessageHandler({
      messages: createMessageStore(db.knex),
      policy: { allowedStatuses: ['confirmed'] },
      entitlements: createEntitlementChecker({
        bookings: createBookingStore(db.knex),
        allowedStatuses: ['confirmed'],
      }),
      publisher,
      messageMaxLength: 4000,
      logger,
    });

  it('when publishing fails after the commit, then the handler fails (no ack) and the redelivered command publishes the same message again', async () => {
    const { command } = await arrange();
    const flaky = createFlakyPublisher(1);
    const handle = handlerWith(flaky.publisher);

    await expect(handle(received(command, false))).rejects.toThrow(/connection lost/);
    const rows = await db.knex('messages').where({ conversation_id: command.conversationId });
    expect(rows).toHaveLength(1);

    const beforeRedelivery = flaky.delivered.length;
    await handle(received(command, true));
    // At-least-once: the redelivery publishes the same stored message again (edges and clients
    // drop repeats by id).
    const republished = flaky.delivered.slice(beforeRedelivery);
    expect(republished.map((d) => d.event).sort()).toEqual(['message-sent', 'new-message']);
    for (const delivery of republished)
      expect(delivery.payload).toMatchObject({ id: rows[0].id, seq: 1 });
    expect(flaky.events).toContain('chat.message.created.v1');
    expect(
      await db.knex('messages').where({ conversation_id: command.conversationId }),
    ).toHaveLength(1);
  });

  it('when a client re-sends a stored clientMessageId, then only the sender is answered and nothing is stored or announced again', async () => {
    const { command } = await arrange();
    const first = createFlakyPublisher(0);
    await handlerWith(first.publisher)(received(command, false));

    const again = createFlakyPublisher(0);
    await handlerWith(again.publisher)(
      received({ ...command, correlationId: randomUUID() }, false),
    );
    expect(again.delivered.map((d) => d.event)).toEqual(['message-sent']);
    expect(again.events).toEqual([]);
    expect(
      await db.knex('messages').where({ conversation_id: command.conversationId }),
    ).toHaveLength(1);
  });

  it('when a command is not a valid send command, then it is refused as poison rather than retried', async () => {
    const handle = handlerWith(createFlakyPublisher(0).publisher);
    const forged = {
      type: 'chat.send-message.v1',
      senderId: 'x',
    } as unknown as SendMessageCommandV1;
    await expect(handle(received(forged, false))).rejects.toMatchObject({
      name: 'PoisonMessageError',
    });
  });
});
