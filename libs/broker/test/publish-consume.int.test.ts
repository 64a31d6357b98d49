import type { Broker, ReceivedMessage } from '@chat/broker';
import { testNamespace } from '@chat/testing';
import { deferred, openAdmin, startBroker, type Admin } from './helpers';

describe('broker publish and consume', () => {
  const ns = testNamespace('pubcons');
  const exchange = `${ns}.ex`;
  const queue = `${ns}.q`;
  let broker: Broker;
  let admin: Admin;

  beforeAll(async () => {
    admin = await openAdmin();
    broker = await startBroker({ connectionName: 'test:publish-consume' });
    await broker.addTopology(async (channel) => {
      await channel.assertExchange(exchange, 'direct', { durable: true });
      await channel.assertQueue(queue, { durable: true });
      await channel.bindQueue(queue, exchange, 'rk');
    });
  });

  afterAll(async () => {
    await broker?.close();
    await admin?.deleteAll({ queues: [queue], exchanges: [exchange] });
    await admin?.close();
  });

  it('when a message is published and consumed, then the confirm resolves, the handler sees body and properties, and the message is acked', async () => {
    await expect(
      broker.publish(
        exchange,
        'rk',
        { hello: 'world', n: 1 },
        {
          messageId: 'm-1',
          correlationId: 'corr-1',
          type: 'test.thing.v1',
          headers: { 'x-origin': 'test' },
          mandatory: true,
        },
      ),
    ).resolves.toBeUndefined();
    // Confirmed means it is in the queue, before anyone consumes it.
    expect(await admin.messageCount(queue)).toBe(1);

    const received = deferred<ReceivedMessage>();
    const handled = deferred();
    const consumer = await broker.consume(
      queue,
      async (message) => {
        received.resolve(message);
        handled.resolve();
      },
      { prefetch: 1 },
    );
    const message = await received.promise;
    await handled.promise;

    expect(message.json()).toEqual({ hello: 'world', n: 1 });
    expect(message.messageId).toBe('m-1');
    expect(message.correlationId).toBe('corr-1');
    expect(message.raw.properties.type).toBe('test.thing.v1');
    expect(message.headers).toMatchObject({ 'x-origin': 'test' });
    expect(message.exchange).toBe(exchange);
    expect(message.routingKey).toBe('rk');
    expect(message.redelivered).toBe(false);
    expect(message.raw.properties.contentType).toBe('application/json');
    expect(message.raw.properties.deliveryMode).toBe(2);

    // Closing the consumer's channel would requeue an unacked message: an empty queue after
    // cancel() proves the ack reached the broker.
    await consumer.cancel();
    expect(await admin.messageCount(queue)).toBe(0);
    expect(await admin.get(queue)).toBe(false);
  });

  it('when a publish has no message id, then one is generated and the message still arrives', async () => {
    await broker.publish(exchange, 'rk', { n: 2 });
    const got = await admin.get(queue);
    expect(got).not.toBe(false);
    if (got === false) return;
    expect(JSON.parse(got.content.toString())).toEqual({ n: 2 });
    expect(got.properties.messageId).toEqual(expect.any(String));
  });
});
