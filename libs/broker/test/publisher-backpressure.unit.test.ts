import { EventEmitter } from 'node:events';
import type { ChannelModel } from 'amqplib';
import { createLogger } from '@chat/observability';
import { createPublisher } from '../src/publisher';
import type { ConnectionState } from '../src/types';

/** A confirm channel whose buffer is full after `capacity` publishes until drain() is called. */
function fakeChannel(capacity: number) {
  const channel = Object.assign(new EventEmitter(), {
    published: [] as string[],
    publish(
      _exchange: string,
      routingKey: string,
      _content: Buffer,
      _options: unknown,
      cb: (error?: unknown) => void,
    ) {
      channel.published.push(routingKey);
      setImmediate(() => cb());
      return channel.published.length < capacity;
    },
    drain() {
      capacity = Infinity;
      channel.emit('drain');
    },
  });
  return channel;
}

function stateWith(channel: ReturnType<typeof fakeChannel>): ConnectionState {
  const connection = { createConfirmChannel: async () => channel } as unknown as ChannelModel;
  return {
    current: connection,
    stopped: false,
    waitForConnection: async () => connection,
    log: createLogger({ service: 'test', level: 'silent' }),
  };
}

const turn = () => new Promise((resolve) => setImmediate(resolve));

describe('publisher backpressure', () => {
  it('when the channel says its buffer is full, then later publishes wait for drain, and all are confirmed after it', async () => {
    const channel = fakeChannel(2);
    const { publish } = createPublisher(stateWith(channel), 5_000);

    const first = publish('ex', 'one', {});
    await turn();
    const second = publish('ex', 'two', {});
    await first;
    await second;
    // 'two' filled the buffer: 'three' and 'four' are held back.
    const held = [publish('ex', 'three', {}), publish('ex', 'four', {})];
    for (let i = 0; i < 5; i++) await turn();
    expect(channel.published).toEqual(['one', 'two']);

    channel.drain();
    await Promise.all(held);
    expect(channel.published).toEqual(['one', 'two', 'three', 'four']);
  });

  it('when the channel closes while publishes wait for drain, then they go on (to fail or retry) instead of waiting forever', async () => {
    const channel = fakeChannel(1);
    const { publish } = createPublisher(stateWith(channel), 5_000);
    await publish('ex', 'one', {});
    const waiting = publish('ex', 'two', {});
    for (let i = 0; i < 3; i++) await turn();
    expect(channel.published).toEqual(['one']);

    channel.emit('close');
    await waiting;
    expect(channel.published).toEqual(['one', 'two']);
  });
});
