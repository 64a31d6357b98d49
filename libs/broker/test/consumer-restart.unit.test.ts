import type { ChannelModel } from 'amqplib';
import { createLogger } from '@chat/observability';
import { createConsumers } from '../src/consumers';
import type { ConnectionState, Publish } from '../src/types';
import { FakeConnection } from './fake-amqp';

const logger = createLogger({ service: 'test', level: 'silent' });

/** The consumers of one process, over a connection the test swaps as a reconnect would. */
function consumersOver(first: FakeConnection) {
  let current: FakeConnection | undefined = first;
  const published: { routingKey: string; headers: Record<string, unknown> }[] = [];
  const publish: Publish = async (_exchange, routingKey, _body, options) => {
    published.push({ routingKey, headers: options?.headers ?? {} });
  };
  const state: ConnectionState = {
    get current() {
      return current as unknown as ChannelModel | undefined;
    },
    stopped: false,
    waitForConnection: () => Promise.reject(new Error('not used here')),
    log: logger,
  };
  const consumers = createConsumers(state, publish);
  return {
    consumers,
    published,
    /** Drops the connection (the broker's 'disconnect'). */
    lose() {
      current = undefined;
      consumers.detach();
    },
    /** A new connection came up: the broker's setup restores the consumers on it. */
    async reconnect(next: FakeConnection) {
      current = next;
      await consumers.restore(next as unknown as ChannelModel);
    },
  };
}

/** Lets handlers and the end-of-turn acks run. */
const settle = () => new Promise((resolve) => setImmediate(() => setImmediate(resolve)));

describe('consumers over a connection that comes and goes (fake amqplib)', () => {
  afterEach(() => jest.useRealTimers());

  it('when the connection comes back, then every consumer subscribes again on it and its deliveries are handled and acked there', async () => {
    const before = new FakeConnection();
    const { consumers, lose, reconnect } = consumersOver(before);
    const handled: string[] = [];
    await consumers.consume('q.a', async (m) => void handled.push(`a:${m.messageId}`), {
      prefetch: 5,
    });
    await consumers.consume('q.b', async (m) => void handled.push(`b:${m.messageId}`), {
      prefetch: 5,
    });

    lose();
    const after = new FakeConnection();
    await reconnect(after);
    const [channelA] = after.consuming('q.a');
    const [channelB] = after.consuming('q.b');
    channelA!.deliver('q.a', {}, 'm1');
    channelB!.deliver('q.b', {}, 'm2');
    await settle();

    expect(after.consuming('q.a')).toHaveLength(1);
    expect(after.consuming('q.b')).toHaveLength(1);
    expect(handled.sort()).toEqual(['a:m1', 'b:m2']);
    expect([channelA!.acked, channelB!.acked]).toEqual([[-1], [-1]]);
  });

  it('when a consumer was cancelled before the reconnect, then it does not come back', async () => {
    const before = new FakeConnection();
    const { consumers, lose, reconnect } = consumersOver(before);
    const consumer = await consumers.consume('q.gone', async () => undefined, { prefetch: 1 });
    await consumers.consume('q.kept', async () => undefined, { prefetch: 1 });

    await consumer.cancel({ deadlineMs: 100 });
    lose();
    const after = new FakeConnection();
    await reconnect(after);

    expect(after.consuming('q.gone')).toHaveLength(0);
    expect(after.consuming('q.kept')).toHaveLength(1);
  });

  it('when a channel error closes a consumer channel while the connection lives, then it consumes again a second later', async () => {
    jest.useFakeTimers({ doNotFake: ['setImmediate'] });
    const connection = new FakeConnection();
    const { consumers } = consumersOver(connection);
    await consumers.consume('q.a', async () => undefined, { prefetch: 1 });
    const [first] = connection.consuming('q.a');

    await first!.close();
    expect(connection.consuming('q.a')).toHaveLength(0);
    await jest.advanceTimersByTimeAsync(1000);

    const again = connection.consuming('q.a');
    expect(again).toHaveLength(1);
    expect(again[0]).not.toBe(first);
  });

  it('when restoring meets a queue that is gone (404), then the others are restored and that one retries on its own until it exists', async () => {
    jest.useFakeTimers({ doNotFake: ['setImmediate'] });
    const before = new FakeConnection();
    const { consumers, lose, reconnect } = consumersOver(before);
    await consumers.consume('q.missing', async () => undefined, { prefetch: 1 });
    await consumers.consume('q.fine', async () => undefined, { prefetch: 1 });

    lose();
    const after = new FakeConnection();
    after.failNextConsume({ code: 404, message: 'NOT_FOUND - no queue q.missing' });
    await reconnect(after);

    expect(after.consuming('q.fine')).toHaveLength(1);
    expect(after.consuming('q.missing')).toHaveLength(0);
    // The failed start and its channel's close both ask for a restart: one is enough.
    await jest.advanceTimersByTimeAsync(1000);
    expect(after.consuming('q.missing')).toHaveLength(1);
    await jest.advanceTimersByTimeAsync(5000);
    expect(after.consuming('q.missing')).toHaveLength(1);
  });

  it('when restoring fails for another reason than a channel error, then restore rejects so the reconnect is retried', async () => {
    const before = new FakeConnection();
    const { consumers, lose, reconnect } = consumersOver(before);
    await consumers.consume('q.a', async () => undefined, { prefetch: 1 });

    lose();
    const after = new FakeConnection();
    after.failNextConsume({ code: 320, message: 'CONNECTION_FORCED' });

    await expect(reconnect(after)).rejects.toThrow('CONNECTION_FORCED');
  });

  it('when a command without messageId reaches a consumer that requires one, then it is parked with the reason and never handled', async () => {
    const connection = new FakeConnection();
    const { consumers, published } = consumersOver(connection);
    const handled: unknown[] = [];
    await consumers.consume('send.0', async (m) => void handled.push(m.messageId), {
      prefetch: 1,
      requireMessageId: true,
      deadLetter: { exchange: 'dlx', routingKey: 'send.0.dead' },
    });
    const [channel] = connection.consuming('send.0');

    channel!.deliver('send.0', { text: 'hi' });
    await settle();

    expect(handled).toEqual([]);
    expect(published).toEqual([
      {
        routingKey: 'send.0.dead',
        headers: expect.objectContaining({
          'x-poison-reason': 'no messageId: its failures could not be counted',
        }) as Record<string, unknown>,
      },
    ]);
    expect(channel!.acked).toEqual([-1]);
  });
});
