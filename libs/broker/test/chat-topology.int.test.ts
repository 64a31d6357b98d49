import {
  chatTopology,
  OFFLINE_QUEUE_ARGUMENTS,
  SEND_QUEUE_ARGUMENTS,
  type Broker,
} from '@chat/broker';
import { sendRoutingKey, topologyNames, userRoutingKey } from '@chat/contracts';
import { testNamespace } from '@chat/testing';
import { eventually, openAdmin, startBroker, type Admin } from './helpers';

describe('chat topology', () => {
  const ns = testNamespace('chattopo');
  const names = topologyNames(ns);
  const partitions = 3;
  const sendQueues = Array.from({ length: partitions }, (_, p) => names.sendQueue(p));
  const queues = [...sendQueues, names.offlineQueue];
  let broker: Broker;
  let admin: Admin;

  beforeAll(async () => {
    admin = await openAdmin();
    broker = await startBroker({ connectionName: 'test:chat-topology' });
  });

  afterAll(async () => {
    await broker?.close();
    await admin?.deleteAll({
      queues: [...queues, ...queues.map(names.deadLetterQueue)],
      exchanges: [
        names.commandsExchange,
        names.deliveryExchange,
        names.unroutedExchange,
        names.eventsExchange,
        names.deadLetterExchange,
      ],
    });
    await admin?.close();
  });

  it('when the chat topology is declared twice, then both succeed and every queue exists', async () => {
    await broker.addTopology(chatTopology(names, partitions));
    await broker.addTopology(chatTopology(names, partitions));
    // A second connection (another service instance) declaring it again is fine too.
    const other = await startBroker({ connectionName: 'test:chat-topology-2' });
    await other.addTopology(chatTopology(names, partitions));
    await other.close();

    for (const queue of [...queues, ...queues.map(names.deadLetterQueue)]) {
      expect(await admin.messageCount(queue)).toBe(0);
    }
  });

  it('when a command is published with routing key send.<p>, then it lands in chat.send.<p> only', async () => {
    await broker.publish(names.commandsExchange, sendRoutingKey(1), { p: 1 }, { mandatory: true });

    expect(await admin.messageCount(names.sendQueue(0))).toBe(0);
    expect(await admin.messageCount(names.sendQueue(2))).toBe(0);
    // A quorum queue with a single active consumer refuses basic.get: counted instead.
    await eventually(async () => expect(await admin.messageCount(names.sendQueue(1))).toBe(1));
  });

  it('when a delivery has no bound user queue, then the alternate exchange puts it in the offline queue, and a mandatory publish still resolves', async () => {
    // RabbitMQ counts a message taken by the alternate exchange as routed: no basic.return.
    await expect(
      broker.publish(
        names.deliveryExchange,
        userRoutingKey('x'),
        { to: 'x' },
        { mandatory: true, messageId: 'd-1' },
      ),
    ).resolves.toBeUndefined();

    const got = await admin.get(names.offlineQueue);
    if (got === false) throw new Error('offline queue is empty');
    expect(JSON.parse(got.content.toString())).toEqual({ to: 'x' });
    expect(got.fields.routingKey).toBe(userRoutingKey('x'));
    expect(got.fields.exchange).toBe(names.deliveryExchange);
    expect(got.properties.messageId).toBe('d-1');
  });

  it('when a user queue is bound for the delivery, then it gets the delivery and the offline queue does not', async () => {
    const edgeQueue = names.edgeQueue('node-1');
    queues.push(edgeQueue);
    await broker.addTopology(async (channel) => {
      await channel.assertQueue(edgeQueue, { durable: false });
      await channel.bindQueue(edgeQueue, names.deliveryExchange, userRoutingKey('y'));
    });

    await broker.publish(
      names.deliveryExchange,
      userRoutingKey('y'),
      { to: 'y' },
      { mandatory: true },
    );

    expect(await admin.messageCount(edgeQueue)).toBe(1);
    expect(await admin.messageCount(names.offlineQueue)).toBe(0);
  });

  it('when the send queues are declared, then they are quorum queues, single-active-consumer, with a delivery limit and a dead-letter queue', async () => {
    // Redeclaring with different arguments fails (406), so this proves the arguments in place.
    await expect(
      admin.withChannel((channel) =>
        channel.assertQueue(names.sendQueue(0), {
          durable: true,
          arguments: {
            'x-dead-letter-exchange': names.deadLetterExchange,
            'x-dead-letter-routing-key': names.deadLetterQueue(names.sendQueue(0)),
            ...SEND_QUEUE_ARGUMENTS,
          },
        }),
      ),
    ).resolves.toMatchObject({ queue: names.sendQueue(0) });
    // The arguments of before (a classic single-active-consumer queue) no longer match.
    await expect(
      admin.withChannel((channel) =>
        channel.assertQueue(names.sendQueue(0), {
          durable: true,
          arguments: {
            'x-dead-letter-exchange': names.deadLetterExchange,
            'x-dead-letter-routing-key': names.deadLetterQueue(names.sendQueue(0)),
            'x-single-active-consumer': true,
          },
        }),
      ),
    ).rejects.toMatchObject({ code: 406 });
  });

  it('when the offline queue is declared, then it is a quorum queue without a delivery limit', async () => {
    await expect(
      admin.withChannel((channel) =>
        channel.assertQueue(names.offlineQueue, {
          durable: true,
          arguments: {
            'x-dead-letter-exchange': names.deadLetterExchange,
            'x-dead-letter-routing-key': names.deadLetterQueue(names.offlineQueue),
            ...OFFLINE_QUEUE_ARGUMENTS,
          },
        }),
      ),
    ).resolves.toMatchObject({ queue: names.offlineQueue });
  });
});
