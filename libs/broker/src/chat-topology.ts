import type { TopologyNames } from '@chat/contracts';
import { sendRoutingKey } from '@chat/contracts';
import type { TopologySetup } from './types';

/**
 * Deliveries a send command may get before the broker dead-letters it: a backstop for a command
 * that crashes its consumer's process each time (the consumer itself parks a command after 10
 * failed attempts; every redelivery after a lost connection counts too, hence the headroom).
 */
export const SEND_DELIVERY_LIMIT = 50;

/** How the send partitions are declared: quorum, one consumer at a time, a delivery limit. */
export const SEND_QUEUE_ARGUMENTS = {
  'x-queue-type': 'quorum',
  'x-single-active-consumer': true,
  'x-delivery-limit': SEND_DELIVERY_LIMIT,
} as const;

/**
 * How chat.offline is declared: quorum, and no delivery limit — its consumers retry a delivery
 * until Redis is back, and an outage must never park one.
 */
export const OFFLINE_QUEUE_ARGUMENTS = { 'x-queue-type': 'quorum' } as const;

export interface ExchangeDeclaration {
  name: string;
  type: 'direct' | 'fanout' | 'topic';
  options: { durable: boolean; alternateExchange?: string };
}

/**
 * Our exchanges as chatTopology declares them, in that order (the alternate exchange before
 * the one that names it); the AsyncAPI document describes them from here too.
 */
export function chatExchanges(names: TopologyNames) {
  return {
    deadLetter: { name: names.deadLetterExchange, type: 'direct', options: { durable: true } },
    commands: { name: names.commandsExchange, type: 'direct', options: { durable: true } },
    unrouted: { name: names.unroutedExchange, type: 'fanout', options: { durable: true } },
    delivery: {
      name: names.deliveryExchange,
      type: 'direct',
      options: { durable: true, alternateExchange: names.unroutedExchange },
    },
    events: { name: names.eventsExchange, type: 'topic', options: { durable: true } },
  } satisfies Record<string, ExchangeDeclaration>;
}

/**
 * The shared part of the design's topology. Edges and message-service both declare it (it is
 * idempotent), so whichever starts first finds the queues its publishes need.
 *
 * - chat.commands (direct) → chat.send.<p>: quorum, single active consumer, per-partition order
 * - chat.delivery (direct, alternate exchange chat.delivery.unrouted) → edge queues, bound per user
 * - chat.delivery.unrouted (fanout) → chat.offline (quorum): deliveries for users with no socket anywhere
 * - chat.events (topic): domain events for other TutorGo services
 * - chat.dlx (direct) → <queue>.dlq: poison messages, parked with their reason
 *
 * A send partition or chat.offline that exists with older arguments (classic queues, before
 * they became quorum queues) is left as it is, bound as it is: its consumer replaces it without
 * losing a message (see consumeReplacingOld).
 */
export function chatTopology(names: TopologyNames, partitions: number): TopologySetup {
  return async (channel, context) => {
    for (const exchange of Object.values(chatExchanges(names))) {
      await channel.assertExchange(exchange.name, exchange.type, exchange.options);
    }

    const declareUnlessOld = async (queue: string, args: Record<string, unknown>) => {
      const own = await context.openChannel();
      try {
        await assertQueueWithDeadLetter(own, names, queue, args);
        return true;
      } catch (error) {
        if ((error as { code?: number }).code === 406) return false;
        throw error;
      } finally {
        await own.close().catch(() => undefined);
      }
    };
    for (let partition = 0; partition < partitions; partition++) {
      const queue = names.sendQueue(partition);
      if (await declareUnlessOld(queue, SEND_QUEUE_ARGUMENTS)) {
        await channel.bindQueue(queue, names.commandsExchange, sendRoutingKey(partition));
      }
    }
    if (await declareUnlessOld(names.offlineQueue, OFFLINE_QUEUE_ARGUMENTS)) {
      await channel.bindQueue(names.offlineQueue, names.unroutedExchange, '');
    }
  };
}

/** A durable queue whose rejected messages go to `<queue>.dlq` through the dead-letter exchange. */
export async function assertQueueWithDeadLetter(
  channel: Parameters<TopologySetup>[0],
  names: TopologyNames,
  queue: string,
  args: Record<string, unknown> = {},
  /** Default `<queue>.dlq`; an interim queue parks in the dead-letter queue of the one it stands in for. */
  deadLetterQueue = names.deadLetterQueue(queue),
): Promise<void> {
  await channel.assertQueue(deadLetterQueue, { durable: true });
  await channel.bindQueue(deadLetterQueue, names.deadLetterExchange, deadLetterQueue);
  await channel.assertQueue(queue, {
    durable: true,
    arguments: {
      'x-dead-letter-exchange': names.deadLetterExchange,
      'x-dead-letter-routing-key': deadLetterQueue,
      ...args,
    },
  });
}

/** Where a consumer of `queue` parks poison messages (see ConsumeOptions.deadLetter). */
export function deadLetterTarget(names: TopologyNames, queue: string) {
  return { exchange: names.deadLetterExchange, routingKey: names.deadLetterQueue(queue) };
}
