import {
  chatTopology,
  createChatPublisher,
  OFFLINE_QUEUE_ARGUMENTS,
  SEND_QUEUE_ARGUMENTS,
  type Broker,
} from '@chat/broker';
import { delivery, sendRoutingKey, topologyNames, userRoutingKey } from '@chat/contracts';
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

  it('when answers for several users go out with deliverAll, then each edge holding one of them gets the batch once, and a batch for users with no edge goes to the offline queue', async () => {
    const [edgeA, edgeB] = [names.edgeQueue('node-a'), names.edgeQueue('node-b')];
    queues.push(edgeA, edgeB);
    await broker.addTopology(async (channel) => {
      for (const queue of [edgeA, edgeB]) await channel.assertQueue(queue, { durable: false });
      // node-a holds a1 and a2, node-b holds b1; nobody holds z.
      for (const [queue, user] of [
        [edgeA, 'a1'],
        [edgeA, 'a2'],
        [edgeB, 'b1'],
      ] as const) {
        await channel.bindQueue(queue, names.deliveryExchange, userRoutingKey(user));
      }
    });
    const publisher = createChatPublisher(broker, names);
    const rejected = (userId: string) =>
      delivery(userId, 'send-rejected', {
        clientMessageId: `c-${userId}`,
        conversationId: 'a1_b1',
        code: 'BOOKING_REQUIRED',
        message: 'no booking',
      });
    const offlineBefore = (await admin.messageCount(names.offlineQueue)) ?? 0;

    await publisher.deliverAll(['a1', 'b1', 'a2', 'z'].map(rejected));

    for (const queue of [edgeA, edgeB]) {
      const got = await admin.get(queue);
      if (got === false) throw new Error(`${queue} got no batch`);
      const body = JSON.parse(got.content.toString()) as { type: string; deliveries: unknown[] };
      expect(body.type).toBe('chat.delivery-batch.v1');
      expect(body.deliveries).toHaveLength(4);
      // The BCC list is the broker's business: consumers do not see it.
      expect(got.properties.headers).not.toHaveProperty('BCC');
      expect(await admin.get(queue)).toBe(false);
    }
    expect(await admin.messageCount(names.offlineQueue)).toBe(offlineBefore);

    await publisher.deliverAll(['y2', 'z'].map(rejected));
    await eventually(async () =>
      expect(await admin.messageCount(names.offlineQueue)).toBe(offlineBefore + 1),
    );
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
