import { EventEmitter } from 'node:events';
import type { ChannelModel, ConfirmChannel } from 'amqplib';
import { createLogger } from '@chat/observability';
import { BrokerUnavailableError } from '../src/errors';
import { createPublisher } from '../src/publisher';
import type { ConnectionState } from '../src/types';

/**
 * A confirm channel that records the frames it is handed and reports a full write buffer on
 * the publishes whose id is in `fullOn`, as amqplib does past its high-water mark. Every frame
 * it is handed is confirmed on the next turn.
 */
class FakeConfirmChannel extends EventEmitter {
  readonly written: string[] = [];
  readonly fullOn = new Set<string>();

  publish(
    _exchange: string,
    _routingKey: string,
    _content: Buffer,
    options: { messageId: string },
    confirm: (error: unknown) => void,
  ): boolean {
    this.written.push(options.messageId);
    setImmediate(() => confirm(null));
    return !this.fullOn.has(options.messageId);
  }
}

function publisherOn(channel: FakeConfirmChannel, timeoutMs = 5_000) {
  const model = {
    createConfirmChannel: () => Promise.resolve(channel as unknown as ConfirmChannel),
  } as unknown as ChannelModel;
  const state: ConnectionState = {
    current: model,
    stopped: false,
    waitForConnection: () => Promise.resolve(model),
    log: createLogger({ service: 'test', level: 'silent' }),
  };
  return createPublisher(state, timeoutMs);
}

describe('publisher backpressure', () => {
  it('when a publish meets a full buffer, then later publishes wait for drain and go out in order', async () => {
    const channel = new FakeConfirmChannel();
    const { publish } = publisherOn(channel);
    await publish('ex', 'key', {}, { messageId: 'open' });
    channel.fullOn.add('a');

    const sent = ['a', 'b', 'c'].map((id) => publish('ex', 'key', {}, { messageId: id }));

    expect(channel.written).toEqual(['open', 'a']);
    channel.emit('drain');
    expect(channel.written).toEqual(['open', 'a', 'b', 'c']);
    await Promise.all(sent);
  });

  it('when the buffer fills again while waiters are written, then the rest wait for the next drain', async () => {
    const channel = new FakeConfirmChannel();
    const { publish } = publisherOn(channel);
    await publish('ex', 'key', {}, { messageId: 'open' });
    channel.fullOn.add('a').add('b');

    const first = ['a', 'b', 'c'].map((id) => publish('ex', 'key', {}, { messageId: id }));
    channel.emit('drain');
    // 'c' still waits: a publish arriving now must queue behind it, not overtake it.
    const late = publish('ex', 'key', {}, { messageId: 'd' });

    expect(channel.written).toEqual(['open', 'a', 'b']);
    channel.emit('drain');
    expect(channel.written).toEqual(['open', 'a', 'b', 'c', 'd']);
    await Promise.all([...first, late]);
  });

  it('when a publish arrives in the same turn as the drain, before the waiters are written, then it goes out after them', async () => {
    const channel = new FakeConfirmChannel();
    const { publish } = publisherOn(channel);
    await publish('ex', 'key', {}, { messageId: 'open' });
    const sent: Promise<void>[] = [];
    // Registered before the publisher's own 'drain' listener, so it runs first.
    channel.on('drain', () => sent.push(publish('ex', 'key', {}, { messageId: 'during-drain' })));
    channel.fullOn.add('a');

    sent.push(...['a', 'b', 'c'].map((id) => publish('ex', 'key', {}, { messageId: id })));
    channel.emit('drain');

    expect(channel.written).toEqual(['open', 'a', 'b', 'c', 'during-drain']);
    await Promise.all(sent);
  });

  it('when a waiting publish times out, then it is never written afterwards', async () => {
    const channel = new FakeConfirmChannel();
    const { publish } = publisherOn(channel, 50);
    await publish('ex', 'key', {}, { messageId: 'open' });
    channel.fullOn.add('a');
    const first = publish('ex', 'key', {}, { messageId: 'a' });
    const waiting = publish('ex', 'key', {}, { messageId: 'b' });

    await expect(waiting).rejects.toBeInstanceOf(BrokerUnavailableError);
    channel.emit('drain');
    const after = publish('ex', 'key', {}, { messageId: 'c' });

    expect(channel.written).toEqual(['open', 'a', 'c']);
    await Promise.all([first, after]);
  });

  it('when the channel closes while publishes wait, then they are published again, in order, on the next channel', async () => {
    const first = new FakeConfirmChannel();
    const second = new FakeConfirmChannel();
    const channels = [first, second];
    const model = {
      createConfirmChannel: () => Promise.resolve(channels.shift() as unknown as ConfirmChannel),
    } as unknown as ChannelModel;
    const { publish } = createPublisher(
      {
        current: model,
        stopped: false,
        waitForConnection: () => Promise.resolve(model),
        log: createLogger({ service: 'test', level: 'silent' }),
      },
      5_000,
    );
    await publish('ex', 'key', {}, { messageId: 'open' });
    first.fullOn.add('a');
    // 'a' was handed over (its confirm will come); 'b' and 'c' wait for a drain that never comes.
    const sent = ['a', 'b', 'c'].map((id) => publish('ex', 'key', {}, { messageId: id }));

    first.emit('close');
    await Promise.all(sent);

    expect(first.written).toEqual(['open', 'a']);
    expect(second.written).toEqual(['b', 'c']);
  });
});
