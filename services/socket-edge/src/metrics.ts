import type { DeliveryV1 } from '@chat/contracts';
import { isErrorCode } from '@chat/errors';
import { Counter, Gauge, Histogram, type Registry } from '@chat/observability';

/** Where a delivery went: this node's sockets of the user, or the user's offline queue. */
export type DeliveryTarget = 'socket' | 'offline';

/** How a send-message ended for the client: the stored message, or a coded failure. */
export type SendOutcome = 'stored' | 'failed';

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
    startSendTimer() {
      const end = sendAckSeconds.startTimer();
      return (outcome) => {
        end({ outcome });
      };
    },
  };
}
