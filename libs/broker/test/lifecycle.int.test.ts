import { BrokerUnavailableError, connectBroker, type Broker } from '@chat/broker';
import { testNamespace, testServiceUrls } from '@chat/testing';
import {
  closedPort,
  deferred,
  eventually,
  logger,
  openAdmin,
  settlesWithin,
  startBroker,
  type Admin,
} from './helpers';

describe('broker lifecycle', () => {
  const ns = testNamespace('lifecyc');
  const closeQueue = `${ns}.close`;
  const cancelQueue = `${ns}.cancel`;
  let admin: Admin;

  beforeAll(async () => {
    admin = await openAdmin();
  });

  afterAll(async () => {
    await admin?.deleteAll({ queues: [closeQueue, cancelQueue] });
    await admin?.close();
  });

  const withQueue = async (queue: string): Promise<Broker> => {
    const broker = await startBroker({ connectionName: 'test:lifecycle' });
    await broker.addTopology(async (channel) => {
      await channel.assertQueue(queue, { durable: true });
    });
    return broker;
  };

  it('when close() is called while a handler runs, then it waits for the handler, acks, is idempotent and later publishes reject', async () => {
    const broker = await withQueue(closeQueue);
    const started = deferred();
    const gate = deferred();
    let finished = false;
    await broker.consume(
      closeQueue,
      async () => {
        started.resolve();
        await gate.promise;
        finished = true;
      },
      { prefetch: 1 },
    );
    await broker.publish('', closeQueue, { n: 1 });
    await started.promise;

    const closing = broker.close();
    expect(await settlesWithin(closing, 300)).toBe(false);
    expect(finished).toBe(false);

    gate.resolve();
    await closing;
    expect(finished).toBe(true);
    expect(broker.isConnected).toBe(false);
    await expect(broker.close()).resolves.toBeUndefined();
    await expect(broker.close()).resolves.toBeUndefined();

    // The handler's ack went out before the connection closed.
    expect(await admin.messageCount(closeQueue)).toBe(0);
    await expect(broker.publish('', closeQueue, { n: 2 })).rejects.toBeInstanceOf(
      BrokerUnavailableError,
    );
    expect(await admin.messageCount(closeQueue)).toBe(0);
  });

  it('when a consumer is cancelled while a handler runs, then cancel waits for it and no further message is taken', async () => {
    const broker = await withQueue(cancelQueue);
    try {
      const started = deferred();
      const gate = deferred();
      let calls = 0;
      const consumer = await broker.consume(
        cancelQueue,
        async () => {
          calls++;
          started.resolve();
          await gate.promise;
        },
        { prefetch: 1 },
      );
      await broker.publish('', cancelQueue, { n: 1 });
      await started.promise;

      const cancelling = consumer.cancel();
      expect(await settlesWithin(cancelling, 300)).toBe(false);
      gate.resolve();
      await cancelling;

      await broker.publish('', cancelQueue, { n: 2 });
      await eventually(async () => expect(await admin.messageCount(cancelQueue)).toBe(1));
      expect(calls).toBe(1);
      expect(await admin.consumerCount(cancelQueue)).toBe(0);
    } finally {
      await broker.close();
    }
  });

  it('when RabbitMQ is unreachable at start-up, then connectBroker rejects quickly naming the host and port', async () => {
    const port = await closedPort();
    const startedAt = Date.now();
    const error = await connectBroker(
      {
        url: `amqp://guest:secret-pw@127.0.0.1:${port}`,
        connectionName: 'test:unreachable',
        initialConnectRetries: 1,
        reconnectInitialDelayMs: 100,
      },
      logger,
    ).then(
      () => undefined,
      (reason: unknown) => reason as Error,
    );
    expect(Date.now() - startedAt).toBeLessThan(5000);
    expect(error?.message).toContain(`127.0.0.1:${port}`);
    expect(error?.message).toMatch(/ECONNREFUSED/);
    expect(error?.message).not.toContain('secret-pw');
  });

  it('when RABBITMQ_URL names a virtual host, then the connection goes to that vhost (one that does not exist is refused by name)', async () => {
    const url = new URL(testServiceUrls().rabbitmqUrl);
    url.pathname = `/${encodeURIComponent(`${testNamespace('vhost')}-missing`)}`;
    const error = await connectBroker(
      { url: url.toString(), connectionName: 'test:vhost', initialConnectRetries: 0 },
      logger,
    ).then(
      () => undefined,
      (reason: unknown) => reason as Error,
    );
    expect(error?.message).toMatch(/RabbitMQ is not reachable at .*-missing/);
    expect(error?.message).toMatch(/vhost|access/i);
  });
});
