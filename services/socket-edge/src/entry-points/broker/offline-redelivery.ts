import { delivery } from '@chat/contracts';
import type { Logger } from '@chat/observability';
import type { OfflineQueue } from '../../adapters/offline-queue';
import type { DeliveryRouter } from './delivery-router';

/**
 * While this node's connection to RabbitMQ was down, its exclusive delivery queue was gone:
 * deliveries for its users went unrouted into their offline queues although their sockets are
 * still here. After the reconnect has bound them again, hand those messages to the sockets
 * instead of leaving them for the next connect.
 */
export async function redeliverOfflineQueues(deps: {
  localUsers: () => Iterable<string>;
  offlineQueue: OfflineQueue;
  router: DeliveryRouter;
  takerId: string;
  logger: Logger;
}): Promise<void> {
  const { offlineQueue, router, takerId } = deps;
  let redelivered = 0;
  for (const userId of [...deps.localUsers()]) {
    const messages = await offlineQueue.take(userId, takerId);
    for (const message of messages) await router.route(delivery(userId, 'new-message', message));
    await offlineQueue.confirm(userId, takerId);
    redelivered += messages.length;
  }
  if (redelivered > 0) {
    deps.logger
      .child({ module: 'edge:delivery' })
      .info({ redelivered }, 'redelivered messages queued during the outage');
  }
}
