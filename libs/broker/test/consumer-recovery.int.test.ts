import type { Broker } from '@chat/broker';
import { createTcpProxy, testNamespace, type TcpProxy } from '@chat/testing';
import {
  deferred,
  eventually,
  openAdmin,
  rabbitmqUrl,
  sleep,
  startBroker,
  type Admin,
} from './helpers';

/**
 * Consumers on queues the broker's topology does not declare (another service owns them): the
 * queue may vanish and come back while the connection lives, or be missing at a reconnect.
 */
describe('broker consumer recovery', () => {
  const ns = testNamespace('consrec');
  const deletedQueue = `${ns}.deleted`;
  const missingQueue = `${ns}.missing`;
  const goodQueue = `${ns}.good`;
  const lateQueue = `${ns}.late`;
  let admin: Admin;
  let proxy: TcpProxy;
  const brokers: Broker[] = [];

  beforeAll(async () => {
    admin = await openAdmin();
    const target = new URL(rabbitmqUrl());
    proxy = await createTcpProxy(target.hostname, Number(target.port || 5672));
  });

  afterAll(async () => {
    for (const broker of brokers) await broker.close();
    await proxy?.close();
    await admin?.deleteAll({ queues: [deletedQueue, missingQueue, goodQueue, lateQueue] });
    await admin?.close();
  });

  const declare = (queue: string) =>
    admin.withChannel((channel) => channel.assertQueue(queue, { durable: false }));

  it('when the consumed queue is deleted and declared again, then exactly one consumer resumes on it', async () => {
    await declare(deletedQueue);
    const broker = await startBroker({ connectionName: 'test:consumer-recovery' });
    brokers.push(broker);
    const received: number[] = [];
    await broker.consume(
      deletedQueue,
      async (message) => {
        received.push((message.json() as { n: number }).n);
      },
      { prefetch: 1 },
    );

    await admin.withChannel((channel) => channel.deleteQueue(deletedQueue));
    // Several failed restarts (one a second) while the queue is gone.
    await sleep(3500);
    await declare(deletedQueue);

    await eventually(async () => expect(await admin.consumerCount(deletedQueue)).toBe(1), 5000);
    await sleep(1500);
    expect(await admin.consumerCount(deletedQueue)).toBe(1);
    expect(broker.isConnected).toBe(true);

    await broker.publish('', deletedQueue, { n: 1 });
    await eventually(() => expect(received).toEqual([1]));
  });

  it("when a consumer's queue is missing at a reconnect, then the connection still comes back and the consumer resumes once the queue exists", async () => {
    await declare(missingQueue);
    await declare(goodQueue);
    const viaProxy = new URL(rabbitmqUrl());
    viaProxy.hostname = '127.0.0.1';
    viaProxy.port = String(proxy.port);
    const broker = await startBroker({
      url: viaProxy.toString(),
      connectionName: 'test:consumer-recovery-reconnect',
      reconnectInitialDelayMs: 500,
      reconnectMaxDelayMs: 1000,
    });
    brokers.push(broker);
    let reconnected = deferred();
    broker.onReconnect(() => reconnected.resolve());
    const received: number[] = [];
    await broker.consume(
      missingQueue,
      async (message) => {
        received.push((message.json() as { n: number }).n);
      },
      { prefetch: 1 },
    );

    proxy.severConnections();
    await eventually(() => expect(broker.isConnected).toBe(false), 2000);
    await admin.withChannel((channel) => channel.deleteQueue(missingQueue));

    // Publishing to other queues must not depend on this one consumer.
    await reconnected.promise;
    reconnected = deferred();
    expect(broker.isConnected).toBe(true);
    await broker.publish('', goodQueue, { n: 1 });
    expect(await admin.messageCount(goodQueue)).toBe(1);

    await declare(missingQueue);
    await eventually(async () => expect(await admin.consumerCount(missingQueue)).toBe(1), 5000);
    await broker.publish('', missingQueue, { n: 2 });
    await eventually(() => expect(received).toEqual([2]));
  });

  it('when consume() is called on a queue that does not exist, then it rejects and never consumes later', async () => {
    const broker = await startBroker({ connectionName: 'test:consumer-recovery-late' });
    brokers.push(broker);
    let calls = 0;
    await expect(
      broker.consume(
        lateQueue,
        async () => {
          calls++;
        },
        { prefetch: 1 },
      ),
    ).rejects.toMatchObject({ code: 404 });

    await declare(lateQueue);
    await broker.publish('', lateQueue, { n: 1 });
    // Past the consumer restart delay (1 s): nobody took the message.
    await sleep(1500);
    expect(await admin.consumerCount(lateQueue)).toBe(0);
    expect(await admin.messageCount(lateQueue)).toBe(1);
    expect(calls).toBe(0);
  });
});
