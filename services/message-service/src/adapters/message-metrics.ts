import type { ErrorCode } from '@chat/errors';
import { Counter, Gauge, Histogram, type Registry } from '@chat/observability';
import type { BreakerState } from './booking-service-client';
import type { LeaseChange } from './partition-leases';

/** How one send command ended: stored (new or duplicate), refused with a code, or failed. */
export type CommandOutcome = 'stored' | 'refused' | 'failed';

/** What became of one booking event: applied, not newer than the stored state, or malformed. */
export type BookingEventOutcome = 'applied' | 'stale' | 'poison';

/**
 * What message-service counts. Labels hold only fixed vocabularies (outcomes, error codes of the
 * catalogue), never user or conversation ids.
 */
export interface MessageMetrics {
  messageStored(created: boolean): void;
  sendRefused(code: ErrorCode): void;
  /** Starts timing one send command; call the result once with how it ended. */
  startCommandTimer(): (outcome: CommandOutcome) => void;
  bookingEvent(outcome: BookingEventOutcome): void;
  /** A batch of send commands began, with this many commands. */
  sendBatch(size: number): void;
  /** A batch's booking check or store failed for want of the database and waits to try again. */
  storeRetried(): void;
  /** This instance began or stopped consuming a send partition. */
  partitionLease(change: LeaseChange): void;
}

const BREAKER_STATE_VALUE: Record<BreakerState, number> = { closed: 0, halfOpen: 1, open: 2 };

/**
 * Registers message-service's metrics on `registry`; once per registry (names must be unique).
 * `bookingBreakerState` (given when the booking-service fallback is on) adds
 * chat_booking_breaker_state, read at each scrape.
 */
export function createMessageMetrics(
  registry: Registry,
  options: { bookingBreakerState?: () => BreakerState } = {},
): MessageMetrics {
  const registers = [registry];
  const messagesStored = new Counter({
    name: 'chat_messages_stored_total',
    help: 'Send commands whose message is stored: created now, or found stored before (a re-send or redelivery)',
    labelNames: ['outcome'] as const,
    registers,
  });
  const sendRefused = new Counter({
    name: 'chat_send_refused_total',
    help: 'Send commands refused (no booking, invalid, booking check unavailable), by error code',
    labelNames: ['code'] as const,
    registers,
  });
  const commandSeconds = new Histogram({
    name: 'chat_send_command_seconds',
    help: 'Time from receiving a send command to acking it (broker confirms included), waiting behind earlier messages of the conversation included',
    labelNames: ['outcome'] as const,
    registers,
  });
  const bookingEvents = new Counter({
    name: 'chat_booking_events_total',
    help: 'booking.* events consumed: applied, stale (not newer than the stored state) or poison (malformed, dead-lettered)',
    labelNames: ['outcome'] as const,
    registers,
  });
  const batchSize = new Histogram({
    name: 'chat_send_batch_size',
    help: 'Send commands checked and stored together in one batch',
    buckets: [1, 2, 5, 10, 20, 50, 100, 200, 500],
    registers,
  });
  const storeRetries = new Counter({
    name: 'chat_send_store_retries_total',
    help: 'Times a batch of send commands waited for the database and tried again (commands stay queued meanwhile)',
    registers,
  });
  const partitionsHeld = new Gauge({
    name: 'chat_send_partitions_held',
    help: 'Send partitions this message-service instance consumes now',
    registers,
  });
  const partitionHandovers = new Counter({
    name: 'chat_send_partition_handovers_total',
    help: 'Send partitions this instance began consuming (acquired), gave to another instance (released) or found taken after losing its lock session (lost)',
    labelNames: ['change'] as const,
    registers,
  });
  const readBreaker = options.bookingBreakerState;
  if (readBreaker) {
    new Gauge({
      name: 'chat_booking_breaker_state',
      help: "The booking service's circuit breaker: 0 closed, 1 half-open, 2 open",
      registers,
      collect() {
        this.set(BREAKER_STATE_VALUE[readBreaker()]);
      },
    });
  }

  return {
    messageStored: (created) => messagesStored.inc({ outcome: created ? 'created' : 'duplicate' }),
    sendRefused: (code) => sendRefused.inc({ code }),
    startCommandTimer() {
      const end = commandSeconds.startTimer();
      return (outcome) => {
        end({ outcome });
      };
    },
    bookingEvent: (outcome) => bookingEvents.inc({ outcome }),
    sendBatch: (size) => batchSize.observe(size),
    storeRetried: () => storeRetries.inc(),
    partitionLease(change) {
      partitionHandovers.inc({ change });
      if (change === 'acquired') partitionsHeld.inc();
      else partitionsHeld.dec();
    },
  };
}
