import type { DeliveryV1 } from '@chat/contracts';
import { isErrorCode } from '@chat/errors';
import { Counter, Gauge, Histogram, type Registry } from '@chat/observability';

/** Where a delivery went: this node's sockets of the user, or the user's offline queue. */
export type DeliveryTarget = 'socket' | 'offline';

/** How a send-message ended for the client: the stored message, or a coded failure. */
export type SendOutcome = 'stored' | 'failed';

/**
 * What became of a `typing` event: published to the partner's edges, dropped as a repeat within
 * the throttle window, dropped because presence shows the partner offline (no socket would get
 * it), dropped because the publish failed, or refused with an error.
 */
export type TypingOutcome =
  'relayed' | 'throttled' | 'partner_offline' | 'publish_failed' | 'refused';

/**
 * What became of a `mark-delivered`: the watermark moved and the sender is told, it moved
 * past the caller's own messages only or not at all (nothing to tell), or it was refused.
 */
export type ReceiptOutcome = 'announced' | 'unchanged' | 'refused';

/**
 * What socket-edge counts. Labels hold only fixed vocabularies (results, error codes of the
 * catalogue, delivery event names), never user or conversation ids.
 */
export interface EdgeMetrics {
  socketConnected(): void;
  socketDisconnected(): void;
  /** The broker confirmed the send command. */
  sendPublished(): void;
  /** The edge itself refused the send (validation, rate limit, publish failure). */
  sendRejected(code: string): void;
  delivered(event: DeliveryV1['event'], target: DeliveryTarget): void;
  offlineQueuePushed(): void;
  /**
   * A delivery reached chat.offline (no edge queue took it) and was dropped, being no message;
   * `delivery-batch` for a chat.delivery-batch.v1 (answers to senders with no socket).
   */
  unroutedDropped(event: DeliveryV1['event'] | 'delivery-batch'): void;
  typing(outcome: TypingOutcome): void;
  receipt(outcome: ReceiptOutcome): void;
  /** Starts timing one send-message; call the result once with how it ended. */
  startSendTimer(): (outcome: SendOutcome) => void;
}

/** An ack normally takes milliseconds; the tail reaches SEND_ACK_TIMEOUT_MS (default 15 s). */
const SEND_ACK_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 15, 30];

/** Registers socket-edge's metrics on `registry`; once per registry (names must be unique). */
export function createEdgeMetrics(registry: Registry): EdgeMetrics {
  const registers = [registry];
  const socketsConnected = new Gauge({
    name: 'chat_sockets_connected',
    help: 'Sockets connected to this edge node now',
    registers,
  });
  const socketConnections = new Counter({
    name: 'chat_socket_connections_total',
    help: 'Authenticated socket connections accepted',
    registers,
  });
  const sendRequests = new Counter({
    name: 'chat_send_requests_total',
    help: 'send-message events: published (confirmed by the broker) or rejected by the edge, with the error code',
    labelNames: ['result', 'code'] as const,
    registers,
  });
  const deliveries = new Counter({
    name: 'chat_deliveries_total',
    help: "Deliveries handed to this node's sockets or kept in the user's offline queue, by event",
    labelNames: ['event', 'target'] as const,
    registers,
  });
  const offlineQueuePushes = new Counter({
    name: 'chat_offline_queue_pushes_total',
    help: 'Messages pushed onto offline queues in Redis',
    registers,
  });
  const unroutedDrops = new Counter({
    name: 'chat_unrouted_deliveries_dropped_total',
    help: 'Deliveries that reached chat.offline (no edge had a socket of the user) and were dropped because only messages are kept offline, by event',
    labelNames: ['event'] as const,
    registers,
  });
  const typingEvents = new Counter({
    name: 'chat_typing_events_total',
    help: 'typing events by outcome: relayed to the partner, or dropped (throttled, partner_offline, publish_failed) or refused with an error',
    labelNames: ['outcome'] as const,
    registers,
  });
  const receipts = new Counter({
    name: 'chat_delivery_receipts_total',
    help: 'mark-delivered events by outcome: announced to the sender, unchanged (nothing new was delivered) or refused with an error',
    labelNames: ['outcome'] as const,
    registers,
  });
  const sendAckSeconds = new Histogram({
    name: 'chat_send_ack_seconds',
    help: 'Time from a send-message event to its outcome (the stored message or a failure)',
    labelNames: ['outcome'] as const,
    buckets: SEND_ACK_BUCKETS,
    registers,
  });

  return {
    socketConnected() {
      socketsConnected.inc();
      socketConnections.inc();
    },
    socketDisconnected: () => socketsConnected.dec(),
    sendPublished: () => sendRequests.inc({ result: 'published' }),
    // A code outside the catalogue would be an unbounded label value.
    sendRejected: (code) =>
      sendRequests.inc({ result: 'rejected', code: isErrorCode(code) ? code : 'INTERNAL' }),
    delivered: (event, target) => deliveries.inc({ event, target }),
    offlineQueuePushed: () => offlineQueuePushes.inc(),
    unroutedDropped: (event) => unroutedDrops.inc({ event }),
    typing: (outcome) => typingEvents.inc({ outcome }),
    receipt: (outcome) => receipts.inc({ outcome }),
    startSendTimer() {
      const end = sendAckSeconds.startTimer();
      return (outcome) => {
        end({ outcome });
      };
    },
  };
}
