import type { ConfirmChannel, GetMessage } from 'amqplib';

/** One parked message as an operator sees it: no body (it may hold message text). */
export interface ParkedMessage {
  messageId: string | undefined;
  type: string | undefined;
  reason: string | undefined;
  /** Where it came from, and where replay sends it. */
  exchange: string | undefined;
  routingKey: string | undefined;
  queue: string | undefined;
  bytes: number;
}

const header = (message: GetMessage, name: string): string | undefined => {
  const value = (message.properties.headers as Record<string, unknown> | undefined)?.[name];
  return typeof value === 'string' ? value : undefined;
};

function describe(message: GetMessage): ParkedMessage {
  return {
    messageId: message.properties.messageId as string | undefined,
    type: message.properties.type as string | undefined,
    reason: header(message, 'x-poison-reason'),
    exchange: header(message, 'x-original-exchange'),
    routingKey: header(message, 'x-original-routing-key'),
    queue: header(message, 'x-original-queue'),
    bytes: message.content.length,
  };
}

/**
 * Up to `limit` messages of a dead-letter queue, oldest first, left where they are (taken and
 * put back unacked, so their order stays).
 */
export async function listDeadLetters(
  channel: ConfirmChannel,
  queue: string,
  limit = 20,
): Promise<{ total: number; messages: ParkedMessage[] }> {
  const { messageCount: total } = await channel.checkQueue(queue);
  const taken: GetMessage[] = [];
  while (taken.length < limit) {
    const message = await channel.get(queue, { noAck: false });
    if (!message) break;
    taken.push(message);
  }
  if (taken.length > 0) channel.nackAll(true);
  return { total, messages: taken.map(describe) };
}

/**
 * Sends each parked message back where it came from (its original exchange and routing key, or
 * straight to its original queue), oldest first, with its headers and properties but without
 * the parking ones; each is removed from the dead-letter queue only once the broker confirmed
 * the republish. Stops at the first message it cannot send back (no origin recorded, or its
 * origin routes nowhere now): that one and those behind it stay parked, in order.
 */
export async function replayDeadLetters(
  channel: ConfirmChannel,
  queue: string,
  limit = Number.POSITIVE_INFINITY,
): Promise<{ replayed: number; left: number; stoppedAt?: ParkedMessage }> {
  let replayed = 0;
  // Mandatory: a message whose origin routes nowhere now is returned, and then stays parked.
  const last = { returned: false };
  const onReturn = () => (last.returned = true);
  channel.on('return', onReturn);
  try {
    while (replayed < limit) {
      const message = await channel.get(queue, { noAck: false });
      if (!message) break;
      const parked = describe(message);
      const target =
        parked.exchange !== undefined && parked.routingKey !== undefined
          ? { exchange: parked.exchange, routingKey: parked.routingKey }
          : parked.queue !== undefined
            ? { exchange: '', routingKey: parked.queue }
            : undefined;
      if (!target) {
        channel.nack(message, false, true);
        const { messageCount } = await channel.checkQueue(queue);
        return { replayed, left: messageCount, stoppedAt: parked };
      }
      const headers = { ...(message.properties.headers as Record<string, unknown>) };
      for (const name of PARKING_HEADERS) delete headers[name];
      headers['x-replayed-from'] = queue;
      last.returned = false;
      channel.publish(target.exchange, target.routingKey, message.content, {
        ...message.properties,
        headers,
        persistent: true,
        mandatory: true,
      });
      await channel.waitForConfirms();
      if (last.returned) {
        channel.nack(message, false, true);
        const { messageCount } = await channel.checkQueue(queue);
        return { replayed, left: messageCount, stoppedAt: parked };
      }
      channel.ack(message);
      replayed++;
    }
  } finally {
    channel.off('return', onReturn);
  }
  const { messageCount } = await channel.checkQueue(queue);
  return { replayed, left: messageCount };
}

/** Headers that describe the parking, not the message: a replayed message goes without them. */
const PARKING_HEADERS = [
  'x-poison-reason',
  'x-original-exchange',
  'x-original-routing-key',
  'x-original-queue',
  'x-return-key',
  'x-death',
];

/** Deletes every message of a dead-letter queue; resolves with how many there were. */
export async function purgeDeadLetters(channel: ConfirmChannel, queue: string): Promise<number> {
  return (await channel.purgeQueue(queue)).messageCount;
}
