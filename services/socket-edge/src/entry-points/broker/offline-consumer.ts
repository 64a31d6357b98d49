import type { Broker, MessageHandler } from '@chat/broker';
import { userRoutingKey, type TopologyNames } from '@chat/contracts';
import type { Logger } from '@chat/observability';
import type { EdgeMetrics } from '../../adapters/edge-metrics';
import type { OfflineQueue } from '../../adapters/offline-queue';
import type { Presence } from '../../adapters/presence';
import { parseDeliveries } from './delivery-router';

const HOPS_HEADER = 'x-offline-hops';

/**
 * Consumes chat.offline — deliveries that found no edge queue bound to the user — and keeps
 * the messages in the user's offline queue. Other deliveries (confirmations, receipts,
 * presence, typing notices) mean nothing to a user who is not there and are dropped, counted
 * by event (chat_unrouted_deliveries_dropped_total).
 *
 * A user who connected just after the delivery was routed is online by now but would not see
 * the message until the next connect; such a delivery is routed once more instead.
 */
export function createOfflineConsumer(deps: {
  broker: Broker;
  names: TopologyNames;
  presence: Presence;
  offlineQueue: OfflineQueue;
  metrics: EdgeMetrics;
  logger: Logger;
}): MessageHandler {
  const log = deps.logger.child({ module: 'edge:offline' });
  return async (received) => {
    // A batch here holds answers for senders with no socket anywhere: nothing to keep.
    const { deliveries } = parseDeliveries(received.json(), () => false);
    const delivery = deliveries[0];
    if (delivery?.event !== 'new-message') {
      deps.metrics.unroutedDropped(delivery?.event ?? 'delivery-batch');
      return;
    }
    const hops = Number(received.headers[HOPS_HEADER] ?? 0);
    if (hops < 1 && (await deps.presence.isOnline(delivery.userId))) {
      await deps.broker.publish(
        deps.names.deliveryExchange,
        userRoutingKey(delivery.userId),
        delivery,
        {
          type: delivery.type,
          correlationId: delivery.correlationId,
          headers: { [HOPS_HEADER]: hops + 1 },
        },
      );
      log.debug({ correlationId: delivery.correlationId }, 'user came online, routed again');
      return;
    }
    await deps.offlineQueue.push(delivery.userId, delivery.payload);
    deps.metrics.offlineQueuePushed();
    deps.metrics.delivered(delivery.event, 'offline');
  };
}
