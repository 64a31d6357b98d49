import type { Channel, Message } from 'amqplib';

/**
 * Settles one channel's deliveries, acking many with one frame: the acks of a turn of the
 * event loop go out at its end, those of the oldest deliveries as a single `multiple` ack and
 * any others one by one. A multiple ack covers every unsettled delivery up to its tag, so it
 * is sent only over deliveries that are all done; one still in hand (a retry waiting to be
 * requeued) keeps the later ones out of it.
 */
export interface ChannelAcks {
  /** Registers a delivery, in the order the channel delivered them. */
  received(message: Message): void;
  /** Marks it done; its ack goes out at the end of the turn. */
  ack(message: Message): void;
  /** Rejects it at once (requeued or dead-lettered by the broker). */
  nack(message: Message, requeue: boolean): void;
  /** Sends the acks waiting for the end of the turn now (before the channel closes). */
  flush(): void;
}

export function createChannelAcks(
  channel: Pick<Channel, 'ack' | 'nack'>,
  onError: (error: unknown) => void,
): ChannelAcks {
  /** Unsettled deliveries by tag, oldest first (a Map keeps insertion order). */
  const unsettled = new Map<number, { message: Message; done: boolean }>();
  let scheduled = false;

  /** Acks and nacks on a channel that closed meanwhile fail; the broker redelivers those anyway. */
  const settle = (action: () => void) => {
    try {
      action();
    } catch (error) {
      onError(error);
    }
  };

  function flush(): void {
    scheduled = false;
    let lastOfPrefix: Message | undefined;
    const pastGap: Message[] = [];
    let gap = false;
    for (const [tag, entry] of unsettled) {
      if (!entry.done) {
        gap = true;
        continue;
      }
      unsettled.delete(tag);
      if (gap) pastGap.push(entry.message);
      else lastOfPrefix = entry.message;
    }
    if (lastOfPrefix) {
      const upTo = lastOfPrefix;
      settle(() => channel.ack(upTo, true));
    }
    for (const message of pastGap) settle(() => channel.ack(message));
  }

  return {
    received(message) {
      unsettled.set(message.fields.deliveryTag, { message, done: false });
    },
    ack(message) {
      const entry = unsettled.get(message.fields.deliveryTag);
      if (!entry) return;
      entry.done = true;
      if (scheduled) return;
      scheduled = true;
      setImmediate(flush);
    },
    nack(message, requeue) {
      unsettled.delete(message.fields.deliveryTag);
      settle(() => channel.nack(message, false, requeue));
    },
    flush,
  };
}
