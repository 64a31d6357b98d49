import {
  assertQueueWithDeadLetter,
  deadLetterTarget,
  PoisonMessageError,
  type Broker,
  type ChatPublisher,
  type Consumer,
  type MessageHandler,
  type ReceivedMessage,
  type TopologySetup,
} from '@chat/broker';
import {
  canonicalConversationId,
  delivery,
  parseBookingEvent,
  type BookingEvent,
  type TopologyNames,
} from '@chat/contracts';
import type { BookingEventInput, EntitlementPolicy } from '@chat/db';
import type { Logger } from '@chat/observability';
import type { BookingLookup } from '../../domain/entitlement-checker';
import { createKeyedSerializer } from '../../domain/keyed-serializer';
import type { MessageMetrics } from '../../adapters/message-metrics';

export interface BookingProjection extends BookingLookup {
  applyBookingEvent(event: BookingEventInput): Promise<{ applied: boolean }>;
}

export interface BookingEventsDeps {
  bookings: BookingProjection;
  policy: EntitlementPolicy;
  publisher: ChatPublisher;
  metrics: MessageMetrics;
  logger: Logger;
  now?: () => Date;
}

/**
 * TutorGo's exchange (asserted as it is conventionally declared, never prefixed: TutorGo owns
 * it) and our queue of its `booking.*` events, whose poison messages go to `<queue>.dlq`.
 */
export function bookingEventsTopology(names: TopologyNames, exchange: string): TopologySetup {
  return async (channel) => {
    await channel.assertExchange(exchange, 'topic', { durable: true });
    await channel.assertExchange(names.deadLetterExchange, 'direct', { durable: true });
    await assertQueueWithDeadLetter(channel, names, names.bookingQueue);
    await channel.bindQueue(names.bookingQueue, exchange, 'booking.*');
  };
}

/** Declares the booking topology and consumes the queue into the projection. */
export async function startBookingEventsConsumer(
  deps: BookingEventsDeps & { broker: Broker; names: TopologyNames; exchange: string },
): Promise<Consumer> {
  const { broker, names } = deps;
  await broker.addTopology(bookingEventsTopology(names, deps.exchange));
  return broker.consume(names.bookingQueue, createBookingEventsHandler(deps), {
    prefetch: 20,
    deadLetter: deadLetterTarget(names, names.bookingQueue),
  });
}

/**
 * Applies each booking event to the projection (newer wins, duplicates are no-ops). When the
 * event takes away the pair's last booking that lets them chat, both users' sockets on every
 * edge get `conversation-closed` and leave the conversation room, and
 * `chat.conversation.closed.v1` goes to other services; the message is acked only once those
 * publishes are confirmed. A malformed event is parked on the dead-letter queue with its reason.
 */
export function createBookingEventsHandler(deps: BookingEventsDeps): MessageHandler {
  const log = deps.logger.child({ module: 'message:bookings' });
  const now = deps.now ?? (() => new Date());
  // Events of one pair run one after another, so "entitled before, not after" is exact here.
  const serializer = createKeyedSerializer();

  async function apply(event: BookingEvent, received: ReceivedMessage): Promise<void> {
    const { bookingId, studentId, tutorId, status } = event;
    const conversationId = canonicalConversationId(studentId, tutorId);
    const wasEntitled = await deps.bookings.hasEntitlement(studentId, tutorId, deps.policy, now());
    const { applied } = await deps.bookings.applyBookingEvent(event);
    deps.metrics.bookingEvent(applied ? 'applied' : 'stale');
    log.info(
      { bookingId, status, applied, messageId: received.messageId },
      applied ? 'booking event applied' : 'booking event not newer than the stored state, skipped',
    );
    // A redelivered event may have been applied by an attempt that died before its closing
    // publishes were confirmed: it cannot tell whether the pair was entitled, so it closes
    // again when they are not now (a repeated close is harmless).
    if (!(applied && wasEntitled) && !received.redelivered) return;
    if (await deps.bookings.hasEntitlement(studentId, tutorId, deps.policy, now())) return;

    const reason = closeReason(status);
    const correlationId = received.correlationId ?? received.messageId ?? `booking:${bookingId}`;
    const payload = { conversationId, reason };
    await Promise.all([
      deps.publisher.deliver(delivery(studentId, 'conversation-closed', payload, correlationId)),
      deps.publisher.deliver(delivery(tutorId, 'conversation-closed', payload, correlationId)),
      deps.publisher.emitEvent(
        {
          type: 'chat.conversation.closed.v1',
          conversationId,
          reason,
          closedAt: now().toISOString(),
        },
        correlationId,
      ),
    ]);
    log.info({ bookingId, conversationId, reason, correlationId }, 'conversation closed');
  }

  return async (received) => {
    const parsed = parseBookingEvent(received.routingKey, received.json());
    if (!parsed.success) {
      deps.metrics.bookingEvent('poison');
      throw new PoisonMessageError(parsed.reason);
    }
    const event = parsed.data;
    await serializer.run(canonicalConversationId(event.studentId, event.tutorId), () =>
      apply(event, received),
    );
  };
}

function closeReason(status: string): string {
  if (status === 'cancelled') return 'booking-cancelled';
  if (status === 'completed') return 'booking-completed';
  return 'booking-inactive';
}
