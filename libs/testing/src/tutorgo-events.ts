import { randomUUID } from 'node:crypto';
import amqplib, { type ChannelModel, type ConfirmChannel, type GetMessage } from 'amqplib';
import { testNamespace, testServiceUrls } from './service-urls';

/**
 * Plays TutorGo's booking service on a test's own copy of its exchange: publishes booking events
 * as raw AMQP messages (so malformed ones too), and reads what message-service parked or
 * announced.
 */
export interface TutorGoEvents {
  /** A namespaced stand-in for `tutorgo.events`; give it to the stack as BOOKING_EVENTS_EXCHANGE. */
  readonly exchange: string;
  /** Publishes `body` (JSON-encoded unless it is a Buffer) with publisher confirm. */
  publish(routingKey: string, body: unknown): Promise<void>;
  /** A fresh queue bound to `exchange` with `routingKey`, for watching what others publish. */
  watch(exchange: string, routingKey: string): Promise<string>;
  /** The next message on `queue`, or an error after `timeoutMs`. */
  nextMessage(queue: string, timeoutMs?: number): Promise<GetMessage>;
  /** Deletes the exchange and the watch queues, and disconnects. */
  close(): Promise<void>;
}

export async function connectTutorGoEvents(): Promise<TutorGoEvents> {
  const exchange = `${testNamespace('tutorgo')}.tutorgo.events`;
  const connection: ChannelModel = await amqplib.connect(testServiceUrls().rabbitmqUrl);
  const channel: ConfirmChannel = await connection.createConfirmChannel();
  await channel.assertExchange(exchange, 'topic', { durable: true });
  const watchQueues: string[] = [];

  return {
    exchange,
    async publish(routingKey, body) {
      const content = Buffer.isBuffer(body) ? body : Buffer.from(JSON.stringify(body));
      channel.publish(exchange, routingKey, content, {
        persistent: true,
        contentType: 'application/json',
        messageId: randomUUID(),
      });
      await channel.waitForConfirms();
    },
    async watch(source, routingKey) {
      const { queue } = await channel.assertQueue('', { exclusive: true, autoDelete: true });
      await channel.bindQueue(queue, source, routingKey);
      watchQueues.push(queue);
      return queue;
    },
    async nextMessage(queue, timeoutMs = 10_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const message = await channel.get(queue, { noAck: true });
        if (message) return message;
        if (Date.now() > deadline) throw new Error(`no message on ${queue} within ${timeoutMs} ms`);
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    },
    async close() {
      for (const queue of watchQueues) await channel.deleteQueue(queue).catch(() => undefined);
      await channel.deleteExchange(exchange).catch(() => undefined);
      await connection.close().catch(() => undefined);
    },
  };
}

/** A booking between two users and the events TutorGo would publish about it. */
export function bookingOf(studentId: string, tutorId: string, bookingId = `b-${randomUUID()}`) {
  return {
    bookingId,
    /** The body of a `booking.<status>` event; `minutesAgo` sets occurredAt in the past. */
    event(status: string, minutesAgo = 0) {
      return {
        bookingId,
        studentId,
        tutorId,
        status,
        startTime: new Date(Date.now() + 24 * 3600_000).toISOString(),
        endTime: new Date(Date.now() + 25 * 3600_000).toISOString(),
        occurredAt: new Date(Date.now() - minutesAgo * 60_000).toISOString(),
      };
    },
  };
}
