import {
  assertQueueWithDeadLetter,
  consumeReplacingOld,
  interimQueueName,
  SEND_QUEUE_ARGUMENTS,
  type Broker,
  type Consumer,
} from '@chat/broker';
import { topologyNames } from '@chat/contracts';
import { testNamespace } from '@chat/testing';
import { eventually, logger, openAdmin, startBroker, type Admin } from './helpers';

// The send partitions were classic queues before they became quorum queues: a deployment that
// upgrades must keep every command in them, in order, while edges go on publishing.
describe('replacing a queue declared with older arguments', () => {
  const names = topologyNames(testNamespace('replace'));
  const queue = names.sendQueue(0);
  const interim = interimQueueName(queue);
  const routingKey = 'send.0';
  let admin: Admin;
  let broker: Broker;
  let publisher: Broker;

  beforeAll(async () => {
    admin = await openAdmin();
    broker = await startBroker({ connectionName: 'test:replace' });
    publisher = await startBroker({ connectionName: 'test:replace-publisher' });
  });

  beforeEach(async () => {
    // The queue as the code before quorum queues declared it.
    await admin.withChannel(async (channel) => {
      await channel.assertExchange(names.commandsExchange, 'direct', { durable: true });
      await channel.assertExchange(names.deadLetterExchange, 'direct', { durable: true });
      await channel.assertQueue(queue, {
        durable: true,
        arguments: {
          'x-dead-letter-exchange': names.deadLetterExchange,
          'x-dead-letter-routing-key': names.deadLetterQueue(queue),
          'x-single-active-consumer': true,
        },
      });
      await channel.bindQueue(queue, names.commandsExchange, routingKey);
    });
  });

  afterEach(async () => {
    await admin.deleteAll({ queues: [queue, interim, names.deadLetterQueue(queue)] });
  });

  afterAll(async () => {
    await publisher.close();
    await broker.close();
    await admin.deleteAll({ exchanges: [names.commandsExchange, names.deadLetterExchange] });
    await admin.close();
  });

  const publish = (n: number) =>
    publisher.publish(names.commandsExchange, routingKey, { n }, { mandatory: true });

  function replaceWith(received: number[], handleMs = 0): Promise<Consumer> {
    return consumeReplacingOld(broker, {
      queue,
      exchange: names.commandsExchange,
      routingKey,
      declare: (channel, name) =>
        assertQueueWithDeadLetter(
          channel,
          names,
          name,
          SEND_QUEUE_ARGUMENTS,
          names.deadLetterQueue(queue),
        ),
      consume: (name) =>
        broker.consume(
          name,
          async (message) => {
            if (handleMs) await new Promise((resolve) => setTimeout(resolve, handleMs));
            received.push((message.json() as { n: number }).n);
          },
          { prefetch: 10 },
        ),
      logger,
      pollMs: 50,
    });
  }

  const isQuorumNow = () =>
    admin
      .withChannel((channel) =>
        assertQueueWithDeadLetter(
          channel,
          names,
          queue,
          SEND_QUEUE_ARGUMENTS,
          names.deadLetterQueue(queue),
        ),
      )
      .then(
        () => true,
        () => false,
      );

  /**
   * Every number, first seen in publish order. While a binding moves, a message published in
   * that moment lands in both queues and comes again from the later one, after what followed
   * it in the earlier one (…69, 70, 69, 70, 71…): a repeat of one already seen, which the real
   * consumer answers from what it stored. So order is that of first arrivals.
   */
  const expectInOrder = (received: number[], count: number) => {
    expect([...new Set(received)]).toEqual(Array.from({ length: count }, (_, n) => n));
  };

  it('when a classic queue holds commands and more keep coming, then all are consumed in order and the queue becomes a quorum queue', async () => {
    for (let n = 0; n < 50; n++) await publish(n);
    expect(await isQuorumNow()).toBe(false);

    const received: number[] = [];
    const consumer = await replaceWith(received, 5);
    for (let n = 50; n < 100; n++) {
      await publish(n);
      await new Promise((resolve) => setTimeout(resolve, 5));
    }

    await eventually(() => expect(new Set(received).size).toBe(100), 30_000);
    await consumer.cancel();
    expectInOrder(received, 100);
    expect(await isQuorumNow()).toBe(true);
    expect(await admin.messageCount(interim)).toBeUndefined();
  }, 60_000);

  it('when the replacement is interrupted half way, then the next consumer takes it up and nothing is lost or reordered', async () => {
    for (let n = 0; n < 60; n++) await publish(n);

    const received: number[] = [];
    const first = await replaceWith(received, 20);
    await eventually(() => expect(received.length).toBeGreaterThanOrEqual(10), 20_000);
    await first.cancel();
    for (let n = 60; n < 80; n++) await publish(n);

    const second = await replaceWith(received);
    await eventually(() => expect(new Set(received).size).toBe(80), 30_000);
    await second.cancel();
    expectInOrder(received, 80);
    expect(await isQuorumNow()).toBe(true);
  }, 60_000);
});
