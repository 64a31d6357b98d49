import {
  DELIVERY_BATCH_MAX,
  userRoutingKey,
  type ChatDomainEvent,
  type DeliveryBatchV1,
  type DeliveryV1,
  type TopologyNames,
} from '@chat/contracts';
import type { Broker } from './broker';

/** How a delivery travels; the default suits what must not be lost. */
export interface DeliverOptions {
  /**
   * false: kept in memory only (a broker restart loses it) — for signals worth nothing later,
   * such as typing notices. Default true.
   */
  persistent?: boolean;
  /** Dropped by the edge queue once it waited this long (ms); default never. */
  expirationMs?: number;
}

export interface ChatPublisher {
  /** To one user's sockets, wherever they are; to the offline queue when they have none. */
  deliver(delivery: DeliveryV1, options?: DeliverOptions): Promise<void>;
  /**
   * Several deliveries as one broker message (`chat.delivery-batch.v1`, a message per
   * DELIVERY_BATCH_MAX), routed at once to every edge holding one of their users. Only for
   * deliveries that mean nothing to a user with no socket (answers to the sender): a batch
   * nobody holds goes to chat.offline, which drops it.
   */
  deliverAll(deliveries: DeliveryV1[]): Promise<void>;
  /** A domain event on chat.events, routed by its type. */
  emitEvent(event: ChatDomainEvent, correlationId?: string): Promise<void>;
}

export function createChatPublisher(broker: Broker, names: TopologyNames): ChatPublisher {
  const deliver = (delivery: DeliveryV1, options?: DeliverOptions) =>
    broker.publish(names.deliveryExchange, userRoutingKey(delivery.userId), delivery, {
      type: delivery.type,
      correlationId: delivery.correlationId,
      ...options,
    });

  function publishBatch(deliveries: DeliveryV1[]): Promise<void> {
    const [first, ...rest] = deliveries as [DeliveryV1, ...DeliveryV1[]];
    if (rest.length === 0) return deliver(first);
    const others = new Set(rest.map(({ userId }) => userId));
    others.delete(first.userId);
    const batch: DeliveryBatchV1 = { type: 'chat.delivery-batch.v1', deliveries };
    return broker.publish(names.deliveryExchange, userRoutingKey(first.userId), batch, {
      type: batch.type,
      bcc: [...others].map(userRoutingKey),
    });
  }

  return {
    deliver,
    async deliverAll(deliveries) {
      const publishes: Promise<void>[] = [];
      for (let start = 0; start < deliveries.length; start += DELIVERY_BATCH_MAX) {
        publishes.push(publishBatch(deliveries.slice(start, start + DELIVERY_BATCH_MAX)));
      }
      await Promise.all(publishes);
    },
    emitEvent: (event, correlationId) =>
      broker.publish(names.eventsExchange, event.type, event, { type: event.type, correlationId }),
  };
}
