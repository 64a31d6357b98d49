import {
  userRoutingKey,
  type ChatDomainEvent,
  type DeliveryV1,
  type TopologyNames,
} from '@chat/contracts';
import type { Broker } from './broker';

export interface ChatPublisher {
  /** To one user's sockets, wherever they are; to the offline queue when they have none. */
  deliver(delivery: DeliveryV1): Promise<void>;
  /** A domain event on chat.events, routed by its type. */
  emitEvent(event: ChatDomainEvent, correlationId?: string): Promise<void>;
}

export function createChatPublisher(broker: Broker, names: TopologyNames): ChatPublisher {
  return {
    deliver: (delivery) =>
      broker.publish(names.deliveryExchange, userRoutingKey(delivery.userId), delivery, {
        type: delivery.type,
        correlationId: delivery.correlationId,
      }),
    emitEvent: (event, correlationId) =>
      broker.publish(names.eventsExchange, event.type, event, { type: event.type, correlationId }),
  };
}
