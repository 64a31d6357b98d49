import { PoisonMessageError, type MessageHandler } from '@chat/broker';
import {
  deliveryBatchV1Schema,
  deliveryV1Schema,
  describeIssue,
  type DeliveryV1,
} from '@chat/contracts';
import { isErrorCode } from '@chat/errors';
import type { Logger } from '@chat/observability';
import type { Server } from 'socket.io';
import type { DeliveryTarget, EdgeMetrics } from '../../adapters/edge-metrics';
import type { OfflineQueue } from '../../adapters/offline-queue';
import { conversationRoom, userRoom } from '../socket/rooms';
import type { PendingSends } from '../../domain/pending-sends';
import { createRecentIds } from '../../domain/recent-ids';

export interface DeliveryRouterDeps {
  io: Server;
  pendingSends: PendingSends;
  offlineQueue: OfflineQueue;
  metrics: EdgeMetrics;
  logger: Logger;
  /** Told when a conversation-closed reaches this node (a booking ended): typing stops at once. */
  onConversationClosed?: (conversationId: string) => void;
}

export function parseDelivery(body: unknown): DeliveryV1 {
  const parsed = deliveryV1Schema.safeParse(body);
  if (!parsed.success)
    throw new PoisonMessageError(`invalid chat.delivery.v1: ${describeIssue(parsed.error)}`);
  return parsed.data;
}

/**
 * The deliveries a `chat.delivery-batch.v1` carries for the users `isWanted` picks (unchecked
 * until then: an edge parses only what it handles), or the one delivery of a plain message.
 */
export function parseDeliveries(
  body: unknown,
  isWanted: (userId: unknown) => boolean,
): { deliveries: DeliveryV1[]; invalid: string[] } {
  if ((body as { type?: unknown } | null)?.type !== 'chat.delivery-batch.v1') {
    return { deliveries: [parseDelivery(body)], invalid: [] };
  }
  const batch = deliveryBatchV1Schema.safeParse(body);
  if (!batch.success) {
    throw new PoisonMessageError(`invalid chat.delivery-batch.v1: ${describeIssue(batch.error)}`);
  }
  const deliveries: DeliveryV1[] = [];
  const invalid: string[] = [];
  batch.data.deliveries.forEach((item, index) => {
    if (!isWanted((item as { userId?: unknown } | null)?.userId)) return;
    const parsed = deliveryV1Schema.safeParse(item);
    if (parsed.success) deliveries.push(parsed.data);
    else invalid.push(`item ${index}: ${describeIssue(parsed.error)}`);
  });
  return { deliveries, invalid };
}

/**
 * Consumes this node's delivery queue: emits each delivery once to the user's sockets here
 * (their user room only, so a socket that also joined the conversation room gets one copy).
 * When the user's last socket here left meanwhile, a message goes to the offline queue
 * instead of being dropped; anything else (receipts, presence, typing) is dropped.
 */
export interface DeliveryRouter {
  /** Consumer of this node's delivery queue. */
  handle: MessageHandler;
  /** Routes one delivery as if it had come from the queue. */
  route(delivery: DeliveryV1): Promise<void>;
}

export function createDeliveryRouter(deps: DeliveryRouterDeps): DeliveryRouter {
  const { io, pendingSends, offlineQueue } = deps;
  const log = deps.logger.child({ module: 'edge:delivery' });
  const recent = createRecentIds(20_000);

  async function route(delivery: DeliveryV1): Promise<void> {
    const { userId } = delivery;
    const room = io.to(userRoom(userId));
    const hasLocalSocket = (io.sockets.adapter.rooms.get(userRoom(userId))?.size ?? 0) > 0;
    // Counted once handed on; a delivery for a user with no socket here reaches nobody.
    let target: DeliveryTarget | undefined = hasLocalSocket ? 'socket' : undefined;

    switch (delivery.event) {
      case 'new-message':
      case 'message-sent': {
        const message = delivery.payload;
        // A re-sent clientMessageId is answered with the stored message: its ack settles, and
        // its message-sent is emitted again, even though the sockets already saw that message —
        // a client waiting for the event must get an answer to every send.
        const answersSend =
          delivery.event === 'message-sent' && pendingSends.stored(userId, message);
        if (hasLocalSocket) {
          // Only what reached a socket counts as seen: a message kept offline may come back
          // through here (see redeliverOfflineQueues) and must then be emitted.
          const seen = recent.seen(`${delivery.event}|${userId}|${message.id}`);
          if (seen && !answersSend) return;
          room.emit(delivery.event, message);
        } else if (delivery.event === 'new-message') {
          await offlineQueue.push(userId, message);
          deps.metrics.offlineQueuePushed();
          target = 'offline';
        }
        break;
      }
      case 'send-rejected': {
        const { clientMessageId, code, message } = delivery.payload;
        // A code this edge does not know yet (a newer message-service in a rolling deploy) still
        // answers the send, as INTERNAL with the message it came with.
        pendingSends.failed(userId, clientMessageId, {
          code: isErrorCode(code) ? code : 'INTERNAL',
          message,
        });
        break;
      }
      case 'conversation-closed': {
        deps.onConversationClosed?.(delivery.payload.conversationId);
        const conversation = conversationRoom(delivery.payload.conversationId);
        room.emit('conversation-closed', delivery.payload);
        io.in(userRoom(userId)).socketsLeave(conversation);
        break;
      }
      case 'messages-read':
        room.emit('messages-read', delivery.payload);
        break;
      case 'message-delivered':
        room.emit('message-delivered', delivery.payload);
        break;
      case 'typing':
        room.emit('typing', delivery.payload);
        break;
      case 'user-online':
      case 'user-offline':
        room.emit(delivery.event, delivery.payload);
        break;
    }
    if (target) deps.metrics.delivered(delivery.event, target);
    log.debug({ event: delivery.event, correlationId: delivery.correlationId }, 'delivered');
  }

  const hasLocalSocket = (userId: unknown) =>
    typeof userId === 'string' && (io.sockets.adapter.rooms.get(userRoom(userId))?.size ?? 0) > 0;

  return {
    async handle(received) {
      const { deliveries, invalid } = parseDeliveries(received.json(), hasLocalSocket);
      await Promise.all(deliveries.map(route));
      // The valid items were handled; the rest of a batch cannot be parked apart from them.
      if (invalid.length > 0) {
        throw new PoisonMessageError(
          `invalid items of chat.delivery-batch.v1: ${invalid.join('; ')}`,
        );
      }
    },
    route,
  };
}
