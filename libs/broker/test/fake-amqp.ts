import { EventEmitter } from 'node:events';
import type { ConsumeMessage } from 'amqplib';

/**
 * An amqplib channel without a network, for unit tests of the broker's recovery logic: it
 * records what it was asked to do and lets the test deliver messages and close it.
 */
export class FakeChannel extends EventEmitter {
  readonly acked: number[] = [];
  readonly nacked: { tag: number; requeue: boolean }[] = [];
  consumers = new Map<
    string,
    { queue: string; deliver: (message: ConsumeMessage | null) => void }
  >();
  closed = false;
  private nextTag = 1;

  constructor(private readonly failConsume?: { code: number; message: string }) {
    super();
  }

  prefetch(): Promise<void> {
    return Promise.resolve();
  }

  consume(queue: string, deliver: (message: ConsumeMessage | null) => void) {
    if (this.failConsume) {
      const error = Object.assign(new Error(this.failConsume.message), {
        code: this.failConsume.code,
      });
      // A refused consume closes the channel, as the broker's channel error does.
      setImmediate(() => this.close());
      return Promise.reject(error);
    }
    const consumerTag = `ctag-${this.consumers.size + 1}`;
    this.consumers.set(consumerTag, { queue, deliver });
    return Promise.resolve({ consumerTag });
  }

  cancel(consumerTag: string): Promise<void> {
    this.consumers.delete(consumerTag);
    return Promise.resolve();
  }

  ack(message: ConsumeMessage, allUpTo = false): void {
    this.acked.push(allUpTo ? -message.fields.deliveryTag : message.fields.deliveryTag);
  }

  nack(message: ConsumeMessage, _allUpTo: boolean, requeue: boolean): void {
    this.nacked.push({ tag: message.fields.deliveryTag, requeue });
  }

  /** Publishes as a confirm channel: recorded, confirmed on the next turn. */
  readonly published: { routingKey: string; messageId: string }[] = [];
  publish(
    _exchange: string,
    routingKey: string,
    _content: Buffer,
    options: { messageId: string },
    confirm?: (error: unknown) => void,
  ): boolean {
    this.published.push({ routingKey, messageId: options.messageId });
    if (confirm) setImmediate(() => confirm(null));
    return true;
  }

  close(): Promise<void> {
    if (!this.closed) {
      this.closed = true;
      this.emit('close');
    }
    return Promise.resolve();
  }

  /** Hands every consumer on `queue` a message, as the broker would. */
  deliver(queue: string, body: unknown, messageId?: string): ConsumeMessage {
    const message = {
      content: Buffer.from(JSON.stringify(body)),
      fields: {
        deliveryTag: this.nextTag++,
        redelivered: false,
        exchange: 'ex',
        routingKey: queue,
        consumerTag: '',
      },
      properties: { messageId, headers: {} },
    } as unknown as ConsumeMessage;
    for (const consumer of this.consumers.values()) {
      if (consumer.queue === queue) consumer.deliver(message);
    }
    return message;
  }
}

/** A connection whose channels are FakeChannels. */
export class FakeConnection extends EventEmitter {
  /** amqplib's underlying connection; no socket here. */
  readonly connection = {};
  readonly channels: FakeChannel[] = [];
  private refuseNext: { code: number; message: string } | undefined;

  /** The next channel's consume fails with `error` (e.g. a 404 for a queue that is gone). */
  failNextConsume(error: { code: number; message: string }): void {
    this.refuseNext = error;
  }

  createChannel(): Promise<FakeChannel> {
    const channel = new FakeChannel(this.refuseNext);
    this.refuseNext = undefined;
    this.channels.push(channel);
    return Promise.resolve(channel);
  }

  createConfirmChannel(): Promise<FakeChannel> {
    return this.createChannel();
  }

  /** The channels that currently consume `queue`. */
  consuming(queue: string): FakeChannel[] {
    return this.channels.filter(
      (channel) =>
        !channel.closed && [...channel.consumers.values()].some((c) => c.queue === queue),
    );
  }
}
