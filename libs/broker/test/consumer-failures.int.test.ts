import {
  assertQueueWithDeadLetter,
  deadLetterTarget,
  PoisonMessageError,
  type Broker,
  type ConsumeOptions,
  type Consumer,
  type ReceivedMessage,
} from '@chat/broker';
import { topologyNames } from '@chat/contracts';
import { testNamespace } from '@chat/testing';
import { eventually, openAdmin, sleep, startBroker, type Admin } from './helpers';

describe('broker consumer failures', () => {
  const ns = testNamespace('consfail');
  const names = topologyNames(ns);
  const exchange = `${ns}.ex`;
  const queues = [
    'transient',
    'poison',
    'badjson',
    'exhausted',
    'nodlt',
    'unbound',
    'noid',
    'idrequired',
    'stuck',
  ].map((kind) => `${ns}.${kind}`);
  const [
    transientQueue,
    poisonQueue,
    badJsonQueue,
    exhaustedQueue,
    queueDlxQueue,
    unboundQueue,
    noIdQueue,
    idRequiredQueue,
    stuckQueue,
  ] = queues as [string, string, string, string, string, string, string, string, string];
  let broker: Broker;
  let admin: Admin;
  const consumers: Consumer[] = [];

  beforeAll(async () => {
    admin = await openAdmin();
    broker = await startBroker({ connectionName: 'test:consumer-failures' });
    await broker.addTopology(async (channel) => {
      await channel.assertExchange(names.deadLetterExchange, 'direct', { durable: true });
      await channel.assertExchange(exchange, 'direct', { durable: true });
      for (const queue of queues) {
        await assertQueueWithDeadLetter(channel, names, queue);
        await channel.bindQueue(queue, exchange, queue);
      }
    });
  });

  afterEach(async () => {
    for (const consumer of consumers.splice(0)) await consumer.cancel();
  });

  afterAll(async () => {
    await broker?.close();
    await admin?.deleteAll({
      queues: [...queues, ...queues.map(names.deadLetterQueue)],
      exchanges: [exchange, names.deadLetterExchange],
    });
    await admin?.close();
  });

  const consume = async (
    queue: string,
    handler: (message: ReceivedMessage) => Promise<void>,
    options: Partial<ConsumeOptions> = { deadLetter: deadLetterTarget(names, queue) },
  ) => {
    consumers.push(
      await broker.consume(queue, handler, { prefetch: 5, retryDelayMs: 20, ...options }),
    );
  };

  it('when the handler throws an ordinary error, then the message is redelivered and processed later', async () => {
    const seen: { redelivered: boolean; body: unknown }[] = [];
    await consume(transientQueue, async (message) => {
      seen.push({ redelivered: message.redelivered, body: message.json() });
      if (seen.length < 3) throw new Error('database is busy');
    });

    await broker.publish(exchange, transientQueue, { n: 1 }, { messageId: 'transient-1' });

    await eventually(() => expect(seen).toHaveLength(3));
    expect(seen).toEqual([
      { redelivered: false, body: { n: 1 } },
      { redelivered: true, body: { n: 1 } },
      { redelivered: true, body: { n: 1 } },
    ]);
    await sleep(200);
    expect(seen).toHaveLength(3);
    expect(await admin.messageCount(names.deadLetterQueue(transientQueue))).toBe(0);
  });

  it('when the handler throws PoisonMessageError, then the message is parked on the dead-letter queue with its reason and not redelivered', async () => {
    let calls = 0;
    await consume(poisonQueue, async () => {
      calls++;
      throw new PoisonMessageError('unknown message version');
    });

    await broker.publish(
      exchange,
      poisonQueue,
      { v: 99 },
      { messageId: 'poison-1', correlationId: 'corr-p', headers: { 'x-keep': 'me' } },
    );

    const dlq = names.deadLetterQueue(poisonQueue);
    await eventually(async () => expect(await admin.messageCount(dlq)).toBe(1));
    await sleep(200);
    expect(calls).toBe(1);

    const parked = await admin.get(dlq);
    if (parked === false) throw new Error('dead-letter queue is empty');
    expect(JSON.parse(parked.content.toString())).toEqual({ v: 99 });
    expect(parked.properties.messageId).toBe('poison-1');
    expect(parked.properties.correlationId).toBe('corr-p');
    expect(parked.properties.headers).toMatchObject({
      'x-poison-reason': 'unknown message version',
      'x-original-exchange': exchange,
      'x-original-routing-key': poisonQueue,
      'x-original-queue': poisonQueue,
      'x-keep': 'me',
    });
    // Acked on the work queue: nothing left there once the consumer is gone.
    await consumers.splice(0).pop()?.cancel();
    expect(await admin.messageCount(poisonQueue)).toBe(0);
  });

  it('when the body is not JSON and the handler calls json(), then the message is parked', async () => {
    let calls = 0;
    await consume(badJsonQueue, async (message) => {
      calls++;
      message.json();
    });

    await broker.publish(exchange, badJsonQueue, Buffer.from('{not json'), {
      messageId: 'bad-1',
    });

    const dlq = names.deadLetterQueue(badJsonQueue);
    await eventually(async () => expect(await admin.messageCount(dlq)).toBe(1));
    const parked = await admin.get(dlq);
    if (parked === false) throw new Error('dead-letter queue is empty');
    expect(parked.content.toString()).toBe('{not json');
    expect(parked.properties.headers?.['x-poison-reason']).toBe('body is not valid JSON');
    expect(calls).toBe(1);
  });

  it('when the handler fails maxAttempts times, then the message is parked with the failure count', async () => {
    let calls = 0;
    await consume(
      exhaustedQueue,
      async () => {
        calls++;
        throw new Error('still broken');
      },
      { deadLetter: deadLetterTarget(names, exhaustedQueue), maxAttempts: 3 },
    );

    await broker.publish(exchange, exhaustedQueue, { n: 1 }, { messageId: 'exhausted-1' });

    const dlq = names.deadLetterQueue(exhaustedQueue);
    await eventually(async () => expect(await admin.messageCount(dlq)).toBe(1));
    await sleep(200);
    expect(calls).toBe(3);
    const parked = await admin.get(dlq);
    if (parked === false) throw new Error('dead-letter queue is empty');
    expect(parked.properties.headers?.['x-poison-reason']).toBe('failed 3 times: still broken');
    await consumers.splice(0).pop()?.cancel();
    expect(await admin.messageCount(exhaustedQueue)).toBe(0);
  });

  it('when messages without a messageId fail, then each one counts its own attempts, even with the same routing key and length', async () => {
    const calls = new Map<string, number>();
    await consume(
      noIdQueue,
      async (message) => {
        const body = message.raw.content.toString();
        calls.set(body, (calls.get(body) ?? 0) + 1);
        throw new Error('still broken');
      },
      { deadLetter: deadLetterTarget(names, noIdQueue), maxAttempts: 3 },
    );

    // Published without a messageId (the broker lib always sets one); both are in flight at once.
    await admin.withChannel(async (channel) => {
      channel.publish(exchange, noIdQueue, Buffer.from('{"n":1}'));
      channel.publish(exchange, noIdQueue, Buffer.from('{"n":2}'));
    });

    const dlq = names.deadLetterQueue(noIdQueue);
    await eventually(async () => expect(await admin.messageCount(dlq)).toBe(2));
    await sleep(200);
    expect(Object.fromEntries(calls)).toEqual({ '{"n":1}': 3, '{"n":2}': 3 });
  });

  it("when no deadLetter target is configured, then a poison message goes to the queue's own dead-letter exchange", async () => {
    let calls = 0;
    await consume(
      queueDlxQueue,
      async () => {
        calls++;
        throw new PoisonMessageError('forged sender');
      },
      {},
    );

    await broker.publish(exchange, queueDlxQueue, { n: 1 }, { messageId: 'nodlt-1' });

    const dlq = names.deadLetterQueue(queueDlxQueue);
    await eventually(async () => expect(await admin.messageCount(dlq)).toBe(1));
    await sleep(200);
    expect(calls).toBe(1);
    const parked = await admin.get(dlq);
    if (parked === false) throw new Error('dead-letter queue is empty');
    expect(parked.properties.messageId).toBe('nodlt-1');
    // RabbitMQ's own dead-lettering: the reason is the rejection, not our header.
    expect(parked.properties.headers?.['x-death']).toEqual([
      expect.objectContaining({ queue: queueDlxQueue, reason: 'rejected' }),
    ]);
  });

  it('when the dead-letter target routes nowhere, then the poison message is kept on its queue, not dropped', async () => {
    let calls = 0;
    await consume(
      unboundQueue,
      async () => {
        calls++;
        throw new PoisonMessageError('cannot be parked');
      },
      { deadLetter: { exchange: names.deadLetterExchange, routingKey: `${ns}.nobody` } },
    );

    await broker.publish(exchange, unboundQueue, { n: 1 }, { messageId: 'unbound-1' });

    // Each try waits retryDelayMs before the requeue, so this is no hot loop.
    await eventually(() => expect(calls).toBeGreaterThanOrEqual(2));
    await consumers.splice(0).pop()?.cancel();
    await eventually(async () => expect(await admin.messageCount(unboundQueue)).toBe(1));
    const kept = await admin.get(unboundQueue);
    expect(kept && kept.properties.messageId).toBe('unbound-1');
  });

  it('when a consumer requires message ids, then a message without one is parked unhandled with the reason, and one with an id is handled', async () => {
    const handled: unknown[] = [];
    await consume(
      idRequiredQueue,
      async (message) => {
        handled.push(message.json());
      },
      { deadLetter: deadLetterTarget(names, idRequiredQueue), requireMessageId: true },
    );

    await admin.withChannel(async (channel) => {
      channel.publish(exchange, idRequiredQueue, Buffer.from('{"n":"no id"}'));
    });
    await broker.publish(exchange, idRequiredQueue, { n: 'with id' }, { messageId: 'req-1' });

    await eventually(() => expect(handled).toEqual([{ n: 'with id' }]));
    const dlq = names.deadLetterQueue(idRequiredQueue);
    await eventually(async () => expect(await admin.messageCount(dlq)).toBe(1));
    const parked = await admin.get(dlq);
    if (parked === false) throw new Error('nothing parked');
    expect(parked.content.toString()).toBe('{"n":"no id"}');
    expect(parked.properties.headers?.['x-poison-reason']).toMatch(/no messageId/);
  });

  it('when a cancel reaches its deadline with a message still in hand, then it resolves and the broker hands the message to the next consumer', async () => {
    const stuck = await broker.consume(stuckQueue, () => new Promise<void>(() => undefined), {
      prefetch: 1,
    });
    await broker.publish(exchange, stuckQueue, { n: 'stuck' }, { messageId: 'stuck-1' });
    await eventually(async () => expect(await admin.messageCount(stuckQueue)).toBe(0));

    const started = Date.now();
    await stuck.cancel({ deadlineMs: 300 });
    expect(Date.now() - started).toBeLessThan(5_000);

    const next: { body: unknown; redelivered: boolean }[] = [];
    await consume(stuckQueue, async (message) => {
      next.push({ body: message.json(), redelivered: message.redelivered });
    });
    await eventually(() => expect(next).toEqual([{ body: { n: 'stuck' }, redelivered: true }]));
  });
});
