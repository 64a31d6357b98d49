import type { Broker } from '@chat/broker';
import { createTcpProxy, testNamespace, type TcpProxy } from '@chat/testing';
import {
  deferred,
  eventually,
  openAdmin,
  rabbitmqUrl,
  settlesWithin,
  sleep,
  startBroker,
  type Admin,
} from './helpers';

describe('broker reconnect', () => {
  const ns = testNamespace('reconn');
  const exchange = `${ns}.ex`;
  const workQueue = `${ns}.work`;
  // Only there to be deleted while the broker is away: it must come back with the topology.
  const markerQueue = `${ns}.marker`;
  const conflictQueue = `${ns}.conflict`;
  let proxy: TcpProxy;
  let broker: Broker;
  let admin: Admin;
  const received = new Set<number>();
  let reconnects = 0;
  let nextReconnect = deferred();

  beforeAll(async () => {
    admin = await openAdmin();
    const target = new URL(rabbitmqUrl());
    proxy = await createTcpProxy(target.hostname, Number(target.port || 5672));
    const viaProxy = new URL(target.toString());
    viaProxy.hostname = '127.0.0.1';
    viaProxy.port = String(proxy.port);
    // A reconnect delay long enough to act while the broker is away (jitter is ±20%).
    broker = await startBroker({
      url: viaProxy.toString(),
      connectionName: 'test:reconnect',
      reconnectInitialDelayMs: 1000,
      reconnectMaxDelayMs: 2000,
      publishTimeoutMs: 10_000,
    });
    broker.onReconnect(() => {
      reconnects++;
      nextReconnect.resolve();
    });
    await broker.addTopology(async (channel) => {
      await channel.assertExchange(exchange, 'direct', { durable: true });
      await channel.assertQueue(workQueue, { durable: true });
      await channel.bindQueue(workQueue, exchange, 'work');
      await channel.assertQueue(markerQueue, { durable: true });
    });
    await broker.consume(
      workQueue,
      async (message) => {
        // Slow enough that some messages are in the handler when the connection is cut.
        await sleep(2);
        received.add((message.json() as { n: number }).n);
      },
      { prefetch: 10, retryDelayMs: 20 },
    );
  });

  afterAll(async () => {
    await broker?.close();
    await proxy?.close();
    await admin?.deleteAll({
      queues: [workQueue, markerQueue, conflictQueue],
      exchanges: [exchange],
    });
    await admin?.close();
  });

  const cutConnection = async () => {
    nextReconnect = deferred();
    proxy.severConnections();
    await eventually(() => expect(broker.isConnected).toBe(false), 2000);
  };

  it('when the connection is cut, then it comes back with its topology and consumer, and no confirmed message is lost', async () => {
    const confirmed: number[] = [];
    const publish = async (n: number) => {
      await broker.publish(exchange, 'work', { n }, { messageId: `m-${n}` });
      confirmed.push(n);
    };

    for (let n = 1; n <= 20; n++) await publish(n);

    // Keep publishing through the cut; only the publishes that resolved are promised.
    let stopPublishing = false;
    const failed: unknown[] = [];
    const background = (async () => {
      for (let n = 1000; !stopPublishing; n++) {
        await publish(n).catch((error: unknown) => failed.push(error));
      }
    })();
    await eventually(() => expect(confirmed.length).toBeGreaterThan(40));

    await cutConnection();
    const before = reconnects;
    await admin.withChannel((channel) => channel.deleteQueue(markerQueue));
    expect(await admin.messageCount(markerQueue)).toBeUndefined();

    await nextReconnect.promise;
    expect(reconnects).toBe(before + 1);
    expect(broker.isConnected).toBe(true);
    expect(await admin.messageCount(markerQueue)).toBe(0);

    await eventually(() => expect(confirmed.length).toBeGreaterThan(80));
    stopPublishing = true;
    await background;
    for (let n = 2001; n <= 2010; n++) await publish(n);

    await eventually(() => expect(confirmed.filter((n) => !received.has(n))).toEqual([]));
    expect(failed).toEqual([]);
    // Exactly one consumer: the old one died with its channel, the new one replaced it.
    expect(await admin.consumerCount(workQueue)).toBe(1);
    await eventually(async () => expect(await admin.messageCount(workQueue)).toBe(0));
  });

  it('when a publish starts while the connection is down, then it resolves once the connection is back', async () => {
    await cutConnection();

    const publishing = broker.publish(exchange, 'work', { n: 5000 }, { messageId: 'm-5000' });
    expect(await settlesWithin(publishing, 300)).toBe(false);

    await nextReconnect.promise;
    await expect(publishing).resolves.toBeUndefined();
    await eventually(() => expect(received.has(5000)).toBe(true));
  });

  it('when an addTopology call fails, then it is not kept, and the next reconnect still succeeds', async () => {
    await admin.withChannel((channel) => channel.assertQueue(conflictQueue, { durable: false }));
    await expect(
      broker.addTopology(async (channel) => {
        // Same name, other arguments: PRECONDITION_FAILED.
        await channel.assertQueue(conflictQueue, { durable: true });
      }),
    ).rejects.toMatchObject({ code: 406 });

    await cutConnection();
    await nextReconnect.promise;
    await expect(broker.publish(exchange, 'work', { n: 6000 })).resolves.toBeUndefined();
    await eventually(() => expect(received.has(6000)).toBe(true));
  });
});
