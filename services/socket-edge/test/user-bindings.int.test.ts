import { randomUUID } from 'node:crypto';
import amqplib, { type ChannelModel } from 'amqplib';
import { chatTopology, connectBroker, type Broker } from '@chat/broker';
import { topologyNames, type TopologyNames } from '@chat/contracts';
import { createLogger } from '@chat/observability';
import { deleteRabbitObjectsWithPrefix, testNamespace, testServiceUrls } from '@chat/testing';
import { createUserBindings, type UserBindings } from '../src/adapters/user-bindings';

const logger = createLogger({ service: 'test', level: 'silent' });

describe('user bindings', () => {
  const { rabbitmqUrl } = testServiceUrls();
  const namespace = testNamespace('bindings');
  const names: TopologyNames = topologyNames(namespace);
  let broker: Broker;
  let bindings: UserBindings;
  let probe: ChannelModel;

  beforeAll(async () => {
    broker = await connectBroker({ url: rabbitmqUrl, connectionName: 'test:bindings' }, logger);
    await broker.addTopology(chatTopology(names, 1));
    bindings = createUserBindings({ broker, names, nodeId: 'n1', logger });
    await broker.addTopology(bindings.topology);
    probe = await amqplib.connect(rabbitmqUrl);
  });
  afterAll(async () => {
    await probe.close();
    await broker.close();
    await deleteRabbitObjectsWithPrefix(rabbitmqUrl, `${namespace}.`);
  });

  /**
   * Which of `users` the delivery exchange routes to this node's queue now. The queue is
   * exclusive to the broker's connection: it is read there, on a lane the bindings never use.
   */
  async function routed(users: string[]): Promise<string[]> {
    const onQueue = <T>(work: (channel: amqplib.Channel) => Promise<T>) =>
      broker.withChannel(work, { lane: 1000 });
    await onQueue((channel) => channel.purgeQueue(bindings.queue));
    const channel = await probe.createConfirmChannel();
    try {
      for (const userId of users) {
        channel.publish(names.deliveryExchange, `user.${userId}`, Buffer.from(userId));
      }
      await channel.waitForConfirms();
    } finally {
      await channel.close();
    }
    const found: string[] = [];
    for (;;) {
      const message = await onQueue((channel) => channel.get(bindings.queue, { noAck: true }));
      if (!message) return found.sort();
      found.push(message.content.toString());
    }
  }

  const newUser = () => `b-${randomUUID()}`;

  it('when many users connect at once, then each is bound when its addSocket resolves, and unbound after its last removeSocket', async () => {
    const users = Array.from({ length: 1500 }, newUser);

    await Promise.all(users.map((userId) => bindings.addSocket(userId)));
    expect(await routed(users)).toEqual([...users].sort());

    await Promise.all(users.map((userId) => bindings.removeSocket(userId)));
    expect(await routed(users)).toEqual([]);
    expect([...bindings.localUsers()]).toEqual([]);
  });

  it('when a user’s second socket connects in the same turn as the first, then both addSockets resolve bound, and the binding stays until the last socket leaves', async () => {
    const userId = newUser();

    void bindings.addSocket(userId);
    await bindings.addSocket(userId);

    expect(await routed([userId])).toEqual([userId]);
    expect(bindings.localSocketCount(userId)).toBe(2);
    await bindings.removeSocket(userId);
    expect(await routed([userId])).toEqual([userId]);
    await bindings.removeSocket(userId);
    expect(await routed([userId])).toEqual([]);
  });

  it('when a user’s sockets come and go within one turn, then the binding ends as the last one left it', async () => {
    const [stays, leaves, returns] = [newUser(), newUser(), newUser()];
    await bindings.addSocket(returns);

    await Promise.all([
      bindings.addSocket(stays),
      bindings.addSocket(leaves),
      bindings.removeSocket(leaves),
      bindings.removeSocket(returns),
      bindings.addSocket(returns),
    ]);

    expect(await routed([stays, leaves, returns])).toEqual([stays, returns].sort());
    await Promise.all([bindings.removeSocket(stays), bindings.removeSocket(returns)]);
    expect(await routed([stays, returns])).toEqual([]);
  });
});
