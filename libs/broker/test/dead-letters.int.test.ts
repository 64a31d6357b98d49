import { randomUUID } from 'node:crypto';
import amqplib, { type ChannelModel, type ConfirmChannel } from 'amqplib';
import { listDeadLetters, purgeDeadLetters, replayDeadLetters, type Broker } from '@chat/broker';
import { testNamespace } from '@chat/testing';
import { openAdmin, rabbitmqUrl, startBroker, type Admin } from './helpers';

describe('dead-letter queues (npm run dlq)', () => {
  const prefix = testNamespace('dlq');
  const origin = `${prefix}.work`;
  const parked = `${origin}.dlq`;
  let broker: Broker;
  let admin: Admin;
  /** What the dlq script uses: a plain connection with a confirm channel. */
  let tool: ChannelModel;

  beforeAll(async () => {
    broker = await startBroker({ connectionName: 'test:dlq' });
    admin = await openAdmin();
    tool = await amqplib.connect(rabbitmqUrl());
  });
  afterAll(async () => {
    await admin.deleteAll({ queues: [origin, parked] });
    await tool.close();
    await admin.close();
    await broker.close();
  });

  /** Parks `count` messages as a consumer does: body kept, reason and origin in headers. */
  async function park(count: number, origins: Record<string, unknown> = {}): Promise<string[]> {
    const ids = Array.from({ length: count }, () => randomUUID());
    for (const [index, messageId] of ids.entries()) {
      await broker.publish(
        '',
        parked,
        { n: index },
        {
          messageId,
          type: 'test.v1',
          headers: {
            'x-poison-reason': `failed 10 times: ${index}`,
            'x-original-exchange': '',
            'x-original-routing-key': origin,
            'x-original-queue': origin,
            ...origins,
          },
        },
      );
    }
    return ids;
  }

  async function withConfirmChannel<T>(work: (channel: ConfirmChannel) => Promise<T>) {
    const channel = await tool.createConfirmChannel();
    try {
      return await work(channel);
    } finally {
      await channel.close();
    }
  }

  beforeEach(async () => {
    await admin.withChannel(async (channel) => {
      await channel.assertQueue(origin, { durable: true });
      await channel.assertQueue(parked, { durable: true });
      await channel.purgeQueue(origin);
      await channel.purgeQueue(parked);
    });
  });

  it('when listed, then the oldest parked messages show id, type, reason and origin, and all stay parked in order', async () => {
    const ids = await park(3);

    const listed = await withConfirmChannel((channel) => listDeadLetters(channel, parked, 2));

    expect(listed.total).toBe(3);
    expect(listed.messages).toEqual([
      expect.objectContaining({
        messageId: ids[0],
        type: 'test.v1',
        reason: 'failed 10 times: 0',
        routingKey: origin,
      }),
      expect.objectContaining({ messageId: ids[1], reason: 'failed 10 times: 1' }),
    ]);
    expect(await admin.messageCount(parked)).toBe(3);
    const again = await withConfirmChannel((channel) => listDeadLetters(channel, parked));
    expect(again.messages.map((message) => message.messageId)).toEqual(ids);
  });

  it('when replayed, then each goes back to its origin in order, without the parking headers, and leaves the dead-letter queue', async () => {
    const ids = await park(3);

    const result = await withConfirmChannel((channel) => replayDeadLetters(channel, parked));

    expect(result).toEqual({ replayed: 3, left: 0 });
    for (const [index, id] of ids.entries()) {
      const message = await admin.get(origin);
      expect(message && message.properties.messageId).toBe(id);
      expect(message && JSON.parse(message.content.toString())).toEqual({ n: index });
      expect(message && message.properties.headers).toEqual({ 'x-replayed-from': parked });
    }
  });

  it('when a parked message has no origin that takes it, then replay stops there and it and those behind it stay parked', async () => {
    await park(1);
    await park(2, { 'x-original-routing-key': `${prefix}.nowhere`, 'x-original-queue': undefined });

    const result = await withConfirmChannel((channel) => replayDeadLetters(channel, parked));

    expect(result).toMatchObject({
      replayed: 1,
      left: 2,
      stoppedAt: { routingKey: `${prefix}.nowhere` },
    });
    expect(await admin.messageCount(origin)).toBe(1);
  });

  it('when purged, then they are gone and the count is told', async () => {
    await park(2);
    expect(await withConfirmChannel((channel) => purgeDeadLetters(channel, parked))).toBe(2);
    expect(await admin.messageCount(parked)).toBe(0);
  });
});
