import type { TopologyNames } from '@chat/contracts';
import { sendRoutingKey } from '@chat/contracts';
import type { TopologySetup } from './types';

/**
 * The shared part of the design's topology. Edges and message-service both declare it (it is
 * idempotent), so whichever starts first finds the queues its publishes need.
 *
 * - chat.commands (direct) → chat.send.<p>: durable, single active consumer, per-partition order
 * - chat.delivery (direct, alternate exchange chat.delivery.unrouted) → edge queues, bound per user
 * - chat.delivery.unrouted (fanout) → chat.offline: deliveries for users with no socket anywhere
 * - chat.events (topic): domain events for other TutorGo services
 * - chat.dlx (direct) → <queue>.dlq: poison messages, parked with their reason
 */
export function chatTopology(names: TopologyNames, partitions: number): TopologySetup {
  return async (channel) => {
    await channel.assertExchange(names.deadLetterExchange, 'direct', { durable: true });
    await channel.assertExchange(names.commandsExchange, 'direct', { durable: true });
    await channel.assertExchange(names.unroutedExchange, 'fanout', { durable: true });
    await channel.assertExchange(names.deliveryExchange, 'direct', {
      durable: true,
      alternateExchange: names.unroutedExchange,
    });
    await channel.assertExchange(names.eventsExchange, 'topic', { durable: true });

    for (let partition = 0; partition < partitions; partition++) {
      const queue = names.sendQueue(partition);
      await assertQueueWithDeadLetter(channel, names, queue, { 'x-single-active-consumer': true });
      await channel.bindQueue(queue, names.commandsExchange, sendRoutingKey(partition));
    }
    await assertQueueWithDeadLetter(channel, names, names.offlineQueue);
    await channel.bindQueue(names.offlineQueue, names.unroutedExchange, '');
  };
}

/** A durable queue whose rejected messages go to `<queue>.dlq` through the dead-letter exchange. */
export async function assertQueueWithDeadLetter(
  channel: Parameters<TopologySetup>[0],
  names: TopologyNames,
  queue: string,
  args: Record<string, unknown> = {},
): Promise<void> {
  const deadLetterQueue = names.deadLetterQueue(queue);
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
