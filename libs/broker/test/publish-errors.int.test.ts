import { PublishNackedError, UnroutableError, type Broker } from '@chat/broker';
import { testNamespace } from '@chat/testing';
import { openAdmin, startBroker, type Admin } from './helpers';

describe('broker publish errors', () => {
  const ns = testNamespace('puberr');
  const lonelyExchange = `${ns}.lonely`;
  const goodExchange = `${ns}.good`;
  const goodQueue = `${ns}.good.q`;
  const fullQueue = `${ns}.full.q`;
  let broker: Broker;
  let admin: Admin;

  beforeAll(async () => {
    admin = await openAdmin();
    broker = await startBroker({ connectionName: 'test:publish-errors' });
    await broker.addTopology(async (channel) => {
      await channel.assertExchange(lonelyExchange, 'direct', { durable: false });
      await channel.assertExchange(goodExchange, 'direct', { durable: false });
      await channel.assertQueue(goodQueue, { durable: false });
      await channel.bindQueue(goodQueue, goodExchange, 'rk');
      // Holds one message and refuses (nacks) the next publish.
      await channel.assertQueue(fullQueue, {
        durable: false,
        arguments: { 'x-max-length': 1, 'x-overflow': 'reject-publish' },
      });
      await channel.bindQueue(fullQueue, goodExchange, 'full');
    });
  });

  afterAll(async () => {
    await broker?.close();
    await admin?.deleteAll({
      queues: [goodQueue, fullQueue],
      exchanges: [lonelyExchange, goodExchange],
    });
    await admin?.close();
  });

  it('when a mandatory publish reaches no queue, then it rejects with UnroutableError', async () => {
    const publishing = broker.publish(lonelyExchange, 'nobody', { n: 1 }, { mandatory: true });
    await expect(publishing).rejects.toBeInstanceOf(UnroutableError);
    await expect(publishing).rejects.toMatchObject({
      exchange: lonelyExchange,
      routingKey: 'nobody',
      replyText: 'NO_ROUTE',
    });
  });

  it('when a publish without mandatory reaches no queue, then it resolves', async () => {
    await expect(broker.publish(lonelyExchange, 'nobody', { n: 1 })).resolves.toBeUndefined();
  });

  it('when a mandatory publish is routed, then it resolves and the queue has it', async () => {
    await broker.publish(goodExchange, 'rk', { n: 1 }, { mandatory: true });
    const got = await admin.get(goodQueue);
    expect(got && JSON.parse(got.content.toString())).toEqual({ n: 1 });
  });

  it('when publishing to an exchange that does not exist, then it rejects and a later publish to a good exchange still succeeds', async () => {
    await expect(broker.publish(`${ns}.missing`, 'rk', { n: 1 })).rejects.toMatchObject({
      code: 404,
      message: expect.stringContaining(`no exchange '${ns}.missing'`),
    });

    expect(broker.isConnected).toBe(true);
    await expect(
      broker.publish(goodExchange, 'rk', { n: 2 }, { mandatory: true }),
    ).resolves.toBeUndefined();
    const got = await admin.get(goodQueue);
    expect(got && JSON.parse(got.content.toString())).toEqual({ n: 2 });
  });

  it('when publishes to a missing exchange and a good one run together, then only the bad one rejects', async () => {
    const results = await Promise.allSettled([
      broker.publish(goodExchange, 'rk', { n: 3 }),
      broker.publish(`${ns}.missing`, 'rk', { n: 4 }),
      broker.publish(goodExchange, 'rk', { n: 5 }),
    ]);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    // The failed channel may take an unconfirmed good publish with it; the broker then
    // publishes that one again, so a duplicate is allowed but a loss is not.
    const bodies = new Set<number>();
    for (let got = await admin.get(goodQueue); got; got = await admin.get(goodQueue)) {
      bodies.add((JSON.parse(got.content.toString()) as { n: number }).n);
    }
    expect([...bodies].sort()).toEqual([3, 5]);
  });

  it('when the broker refuses a publish (basic.nack), then it rejects with PublishNackedError', async () => {
    await broker.publish(goodExchange, 'full', { n: 1 });
    await expect(broker.publish(goodExchange, 'full', { n: 2 })).rejects.toBeInstanceOf(
      PublishNackedError,
    );
    expect(await admin.messageCount(fullQueue)).toBe(1);
  });
});
