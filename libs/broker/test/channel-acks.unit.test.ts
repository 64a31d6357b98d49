import type { Message } from 'amqplib';
import { createChannelAcks } from '../src/channel-acks';

const delivery = (tag: number) => ({ fields: { deliveryTag: tag } }) as unknown as Message;
const nextTurn = () => new Promise((resolve) => setImmediate(resolve));

/** A channel that records what was settled: "ack 3", "ack ≤5", "nack 2 requeue". */
function recordingChannel() {
  const calls: string[] = [];
  return {
    calls,
    channel: {
      ack: (message: Message, allUpTo?: boolean) =>
        calls.push(`ack ${allUpTo ? '≤' : ''}${message.fields.deliveryTag}`),
      nack: (message: Message, _allUpTo?: boolean, requeue?: boolean) =>
        calls.push(`nack ${message.fields.deliveryTag}${requeue ? ' requeue' : ''}`),
    },
  };
}

describe('channel acks', () => {
  it('when several deliveries are done in one turn, then one multiple ack settles them at its end', async () => {
    const { channel, calls } = recordingChannel();
    const acks = createChannelAcks(channel, () => undefined);
    const messages = [1, 2, 3].map(delivery);
    messages.forEach((message) => acks.received(message));
    messages.forEach((message) => acks.ack(message));
    expect(calls).toEqual([]);
    await nextTurn();
    expect(calls).toEqual(['ack ≤3']);
  });

  it('when an older delivery is still in hand, then the multiple ack stops before it and later ones are acked one by one', async () => {
    const { channel, calls } = recordingChannel();
    const acks = createChannelAcks(channel, () => undefined);
    const [first, second, third, fourth] = [1, 2, 3, 4].map(delivery);
    [first, second, third, fourth].forEach((message) => acks.received(message!));
    acks.ack(first!);
    acks.ack(third!);
    acks.ack(fourth!);
    await nextTurn();
    expect(calls).toEqual(['ack ≤1', 'ack 3', 'ack 4']);

    acks.nack(second!, true);
    await nextTurn();
    expect(calls).toEqual(['ack ≤1', 'ack 3', 'ack 4', 'nack 2 requeue']);
  });

  it('when the channel refuses to settle (it closed), then the error is reported, not thrown', async () => {
    const errors: unknown[] = [];
    const acks = createChannelAcks(
      {
        ack: () => {
          throw new Error('Channel closed');
        },
        nack: () => undefined,
      },
      (error) => errors.push(error),
    );
    const message = delivery(1);
    acks.received(message);
    acks.ack(message);
    await nextTurn();
    expect(errors).toHaveLength(1);
  });

  it('when flushed before the turn ends (the channel is about to close), then the acks go out at once', () => {
    const { channel, calls } = recordingChannel();
    const acks = createChannelAcks(channel, () => undefined);
    const message = delivery(1);
    acks.received(message);
    acks.ack(message);
    acks.flush();
    expect(calls).toEqual(['ack ≤1']);
  });
});
